"""Tests of ``dmpclient demo`` and :mod:`dmpclient.demo`."""
