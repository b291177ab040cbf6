"""``dmpclient pki``: create and show a local test PKI shaped like IGC-Santé TEST."""

from __future__ import annotations

from pathlib import Path

import click

from dmpclient.cli._common import console, handle_errors, json_option, print_json, secret, verbose_option

__all__ = ["PIN_ENV", "PKI_PASSWORD_ENV", "pki"]

#: Environment variable of the PKCS#12 password of a new test PKI (default ``dmpclient-test``).
PKI_PASSWORD_ENV = "DMPCLIENT_PKI_PASSWORD"  # noqa: S105 - a variable name, not a secret
#: Environment variable of the SoftHSM2 user PIN of a new test PKI (default ``123456``).
PIN_ENV = "DMPCLIENT_SOFTHSM_PIN"


@click.group()
def pki() -> None:
    """Create a local test PKI (CAs, CPS-like and structure certificates, DMP server certificate)."""


@pki.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--softhsm", is_flag=True, help="Also load the professional's two key pairs into a SoftHSM2 token.")
@click.option("--key-size", type=click.IntRange(2048, 4096), default=2048, show_default=True, help="RSA key size.")
@click.option("--force", is_flag=True, help="Overwrite a PKI already present in DIRECTORY.")
@json_option
@verbose_option
@handle_errors
def init(directory: Path, softhsm: bool, key_size: int, force: bool, as_json: bool, verbose: int) -> None:
    """Create a test PKI in DIRECTORY and describe it in DIRECTORY/manifest.json.

    \b
    Content: root + ORGANISATIONS + PERSONNES CAs named like IGC-Santé TEST; prof-sign / prof-auth
    (CPS-like, MAX LIBRE 899900063480); ej-auth / ej-sign / eg-auth / eg-sign (ORG AUTH_CLI and
    ORG SIGN of a FINESS EJ and EG); dmp-server (localhost, 127.0.0.1); expired and revoked variants;
    CRLs. Every certificate as PEM + PKCS#12. TEST MATERIAL ONLY.

    \b
    Secrets are never options: the PKCS#12 password comes from $DMPCLIENT_PKI_PASSWORD (default
    dmpclient-test) and the SoftHSM2 user PIN from $DMPCLIENT_SOFTHSM_PIN (default 123456); both are
    written in DIRECTORY/manifest.json, on purpose (test material).

    \b
    Examples:
      dmpclient pki init ./pki
      dmpclient pki init ./pki --softhsm --json
      DMPCLIENT_PKI_PASSWORD=s3cret dmpclient pki init ./pki --force
      export SOFTHSM2_CONF=./pki/softhsm/softhsm2.conf   # then use the token with Pkcs11Signer
    """
    from dmpclient.security.pki import create_test_pki

    password = secret(PKI_PASSWORD_ENV, "PKCS#12 password of the test PKI", default="dmpclient-test")
    pin = secret(PIN_ENV, "SoftHSM2 user PIN of the test PKI", default="123456")

    result = create_test_pki(
        directory, password=password, key_size=key_size, softhsm=softhsm, softhsm_pin=pin, overwrite=force
    )
    if as_json:
        print_json({"ok": True, "directory": str(directory.resolve()), **result.to_dict()})
        return
    console.print(f"[green]test PKI created[/green] in {directory}", markup=True)
    for name, entry in result.entries.items():
        flags = " (expired)" if entry.expired else " (revoked)" if entry.revoked else ""
        console.print(f"  {name:20} {entry.role:20} {entry.subject}{flags}")
    console.print(f"  trust: {directory / 'trust-bundle.pem'} (root + CAs); PKCS#12 password in manifest.json")
    if result.softhsm is not None:
        console.print(
            f"  SoftHSM2 token {result.softhsm.token_label!r} (PIN in manifest.json); "
            f"export SOFTHSM2_CONF={result.softhsm.conf}"
        )


@pki.command("show")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
@json_option
@verbose_option
@handle_errors
def show(directory: Path, as_json: bool, verbose: int) -> None:
    """Describe the certificates of a test PKI.

    \b
    Examples:
      dmpclient pki show ./pki
      dmpclient pki show ./pki --json
    """
    from dmpclient.security.pki import TestPki

    loaded = TestPki.load(directory)
    if as_json:
        print_json({"ok": True, **loaded.to_dict()})
        return
    for name, entry in loaded.entries.items():
        console.print(f"[bold]{name}[/bold] ({entry.role}) — {entry.description}", markup=True)
        console.print(f"    subject  {entry.subject}")
        console.print(f"    issuer   {entry.issuer}")
        console.print(f"    valid    {entry.not_before} → {entry.not_after}")
        console.print(f"    usage    {', '.join(entry.key_usage)} / {', '.join(entry.extended_key_usage)}")
        console.print(f"    files    {entry.cert}, {entry.key}, {entry.p12}")
