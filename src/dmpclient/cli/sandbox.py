"""``dmpclient sandbox``: run the embedded DMP sandbox over HTTPS with mutual TLS, or make its PKI."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from typing import Any

import click

from dmpclient.cli._common import (
    EXIT_USAGE,
    console,
    fail,
    handle_errors,
    json_option,
    pki_option,
    print_json,
    verbose_option,
)

__all__ = ["sandbox"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.group()
def sandbox() -> None:
    """Run the embedded DMP sandbox (a local, strict DMP for tests and demos)."""


@sandbox.command("serve")
@pki_option("Test PKI folder (created with `dmpclient pki init` if empty or missing).", required=True, exists=False)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port (0: a free one).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--db", "database", type=click.Path(dir_okay=False, path_type=Path), help="SQLite file (default: memory)."
)
@click.option("--admin", is_flag=True, help="Enable the HTTP admin API (loopback only, random token printed).")
@click.option(
    "--clock", "clock", metavar="TIME", help="Start the sandbox clock at TIME (ISO 8601, e.g. 2019-06-26T08:08:55Z)."
)
@click.option("--frozen", is_flag=True, help="With --clock: keep the clock frozen at TIME.")
@click.option("--prefix", default="", help="Path prefix before /si-dmp-server (e.g. /024 like a DVx).")
@click.option("--allow-sha1", is_flag=True, help="Accept SHA-1 VIHF signatures (old captures).")
@click.option("--allow-soap11", is_flag=True, help="Accept SOAP 1.1 envelopes.")
@click.option("--no-seed", is_flag=True, help="Start with an empty store (no test patients).")
@click.option("--behaviour", "behaviour_factory", hidden=True, help="module:function building the DMP behaviour.")
@json_option
@verbose_option
@handle_errors
def serve_command(
    pki_dir: Path,
    port: int,
    host: str,
    database: Path | None,
    admin: bool,
    clock: str | None,
    frozen: bool,
    prefix: str,
    allow_sha1: bool,
    allow_soap11: bool,
    no_seed: bool,
    behaviour_factory: str | None,
    as_json: bool,
    verbose: int,
) -> None:
    """Serve the sandbox over HTTPS with mutual TLS until Ctrl-C.

    \b
    The PKI gives the server certificate (dmp-server: localhost, 127.0.0.1), the trust anchors for client
    certificates and VIHF signatures, and the hospital's FINESS EJ → EG. Clients authenticate with a
    certificate of the PKI (ej-auth for INDIRECTE/AIR, prof-auth for DIRECTE) and sign their VIHF with
    ej-sign / prof-sign. The SOAP base URL is printed at start.

    \b
    Examples:
      dmpclient sandbox serve --pki ./pki --port 8443
      dmpclient sandbox serve --pki ./pki --admin --json          # one JSON line, then serves
      dmpclient sandbox serve --pki ./pki --db sandbox.db --clock 2019-06-26T08:08:55Z --frozen
      dmpclient sandbox serve --pki ./pki -vv                        # the sandbox's log on stderr
    """
    from dmpclient.sandbox.clock import SandboxClock, parse_instant
    from dmpclient.sandbox.server import Sandbox, SandboxServer, serve
    from dmpclient.security.pki import MANIFEST_NAME, TestPki, create_test_pki

    if verbose:
        import logging

        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger = logging.getLogger("dmpclient.sandbox")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO if verbose == 1 else logging.DEBUG)
    if admin and not _is_loopback(host):
        fail("--admin is only allowed on a loopback address (--host 127.0.0.1)", EXIT_USAGE, as_json=as_json)
    if frozen and clock is None:
        fail("--frozen needs --clock TIME", EXIT_USAGE, as_json=as_json)
    created = False
    if not (pki_dir / MANIFEST_NAME).exists():
        if pki_dir.exists() and any(pki_dir.iterdir()):
            fail(f"{pki_dir} is not empty and holds no dmpclient test PKI", EXIT_USAGE, as_json=as_json)
        create_test_pki(pki_dir)
        created = True
    pki = TestPki.load(pki_dir)
    sandbox_clock = SandboxClock(parse_instant(clock), frozen=frozen) if clock else SandboxClock()
    overrides: dict[str, Any] = {
        "path_prefix": prefix,
        "database": database,
        "admin": admin,
        "clock": sandbox_clock,
        "allow_sha1": allow_sha1,
        "allow_soap11": allow_soap11,
        "seed": not no_seed,
    }
    if behaviour_factory:
        overrides["behaviour_factory"] = behaviour_factory
    box = Sandbox.from_pki(pki, **overrides)

    def ready(server: SandboxServer) -> None:
        info = {
            "ok": True,
            "base_url": server.base_url,
            "soap_base": server.base_url + box.config.services_root,
            "pki": str(pki_dir.resolve()),
            "pki_created": created,
            "ca_file": str((pki_dir / "trust-anchors.pem").resolve()),
            "client_certificates": {
                name: str(pki.path(pki.entry(name).p12 or "").resolve()) for name in ("ej-auth", "prof-auth")
            },
            "pkcs12_password": pki.password,
            "admin_token": box.admin_token,
            "admin_url": server.base_url + "/_sandbox/admin/" if box.admin_token else None,
            "clock": box.clock.now().isoformat(),
        }
        if as_json:
            print_json(info)
        else:
            console.print(f"[green]DMP sandbox[/green] listening on {info['soap_base']}", markup=True)
            console.print(f"  trust anchor (CA file): {info['ca_file']}")
            console.print(
                f"  client certificates: ej-auth (INDIRECTE/AIR), prof-auth (DIRECTE) in {pki_dir} "
                f"(PKCS#12 password {pki.password})"
            )
            if box.admin_token:
                console.print(f"  admin API: {info['admin_url']}  (Authorization: Bearer {box.admin_token})")
            console.print("  Ctrl-C to stop.")
        sys.stdout.flush()

    try:
        serve(box, host=host, port=port, on_ready=ready)
    finally:
        box.close()
    if not as_json:
        console.print("sandbox stopped")


@sandbox.command("pki")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@json_option
@verbose_option
@handle_errors
def pki_command(directory: Path, as_json: bool, verbose: int) -> None:
    """Create the test PKI the sandbox needs in DIRECTORY (shortcut for `dmpclient pki init`).

    \b
    Examples:
      dmpclient sandbox pki ./pki
      dmpclient sandbox serve --pki ./pki
    """
    from dmpclient.security.pki import create_test_pki

    created = create_test_pki(directory)
    if as_json:
        print_json({"ok": True, "directory": str(directory.resolve()), "entries": sorted(created.entries)})
        return
    console.print(f"[green]test PKI created[/green] in {directory}", markup=True)
    console.print(f"  next: dmpclient sandbox serve --pki {directory}")
