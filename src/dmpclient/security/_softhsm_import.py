"""Child-process helper of :func:`dmpclient.security.pkcs11.init_softhsm_token` (not a public API).

Reads a JSON job on stdin (module, token label, PIN, keys and certificates as hex DER) and writes the
objects into the token with python-pkcs11. Run as ``python -m dmpclient.security._softhsm_import`` with
``SOFTHSM2_CONF`` set; the PIN travels on stdin, never on the command line.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _run(job: dict[str, Any]) -> None:
    import pkcs11
    from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass
    from pkcs11.util.rsa import decode_rsa_private_key
    from pkcs11.util.x509 import decode_x509_public_key

    lib = pkcs11.lib(job["module"])
    token = lib.get_token(token_label=job["token_label"])
    with token.open(rw=True, user_pin=job["pin"]) as session:
        for item in job["keys"]:
            key_id = bytes.fromhex(item["id"])
            cert_der = bytes.fromhex(item["cert"])
            attrs = decode_rsa_private_key(bytes.fromhex(item["key"]))
            attrs.update(
                {
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.LABEL: item["label"],
                    Attribute.ID: key_id,
                    Attribute.SIGN: True,
                    Attribute.DECRYPT: False,
                    Attribute.UNWRAP: False,
                }
            )
            session.create_object(attrs)
            public = decode_x509_public_key(cert_der)
            public.update(
                {
                    Attribute.TOKEN: True,
                    Attribute.LABEL: item["label"],
                    Attribute.ID: key_id,
                    Attribute.KEY_TYPE: KeyType.RSA,
                }
            )
            session.create_object(public)
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: item["label"],
                    Attribute.ID: key_id,
                    Attribute.SUBJECT: bytes.fromhex(item["subject"]),
                    Attribute.VALUE: cert_der,
                }
            )
        for index, ca in enumerate(job.get("cas", [])):
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: f"CA {index + 1}",
                    Attribute.SUBJECT: bytes.fromhex(ca["subject"]),
                    Attribute.VALUE: bytes.fromhex(ca["cert"]),
                }
            )


def main() -> int:
    """Entry point: job on stdin, exit code 0 on success."""
    job = json.loads(sys.stdin.buffer.read())
    try:
        _run(job)
    except Exception as exc:  # report the type only: nothing secret leaks on stderr
        sys.stderr.write(f"{type(exc).__name__}: {str(exc)[:200]}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
