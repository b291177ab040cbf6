"""End-to-end tests: DMPClient / AsyncDMPClient against the embedded sandbox, in-process and over mutual TLS."""
