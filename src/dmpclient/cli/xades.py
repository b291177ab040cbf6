"""``dmpclient xades``: verify (and, for tests, produce) XAdES submission-set signatures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from dmpclient.cli._common import (
    EXIT_INVALID,
    at_option,
    console,
    handle_errors,
    json_option,
    load_trust,
    out_option,
    parse_at,
    print_json,
    trust_options,
    verbose_option,
)
from dmpclient.cli.vihf import test_pki_option

__all__ = ["xades"]


def _documents(values: tuple[str, ...]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for value in values:
        uid, sep, path = value.partition("=")
        if not sep or not uid or not path:
            raise click.BadParameter(f"expected UNIQUEID=FILE, got {value!r}", param_hint="--document")
        p = Path(path)
        if not p.is_file():
            raise click.BadParameter(f"{uid}: no such file {path!r}", param_hint="--document")
        out[uid.removeprefix("urn:oid:")] = p
    return out


@click.group()
def xades() -> None:
    """Verify XAdES submission-set signatures (the signature document of a TD2.1 lot)."""


@xades.command("verify")
@click.argument("signature", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--document",
    "documents",
    multiple=True,
    metavar="UNIQUEID=FILE",
    help="A document of the lot, by its uniqueId (repeatable); the manifest digests are recomputed.",
)
@trust_options
@at_option("the SigningTime (issue-instant)")
@click.option("--allow-sha1", is_flag=True, help="Accept RSA-SHA1/SHA-1 (old captures, the official example).")
@click.option("--submission-set", default=None, metavar="OID", help="The lot's SubmissionSet uniqueId.")
@json_option
@verbose_option
@handle_errors
def verify(
    signature: Path,
    documents: tuple[str, ...],
    trust: tuple[Path, ...],
    trust_pki: Path | None,
    at: str | None,
    allow_sha1: bool,
    submission_set: str | None,
    as_json: bool,
    verbose: int,
) -> None:
    """Verify a submission-set signature reference by reference.

    Checks the SignatureValue, both SignedInfo references, SigningCertificate, purposeOfSignature,
    and — with --document — re-hashes every document against the manifest (which xmlsec1 and
    signxml do not enforce). When a digest differs, the report says which other canonicalization or
    hash would have matched. Exit code 1 when anything fails.

    \b
    Examples:
      dmpclient xades verify sig.xml --document 1.2.250.1.999.1.1.7898.4.1=cda.xml --pki ./pki
      dmpclient xades verify sig.xml --trust trust-bundle.pem --at now
      dmpclient xades verify td2.1-signature-xades.xml --allow-sha1 \\
          --document 1.2.250.1.999.1.1.7898.4.9956570902=td2.1-document-me2.cda.xml --json
    """
    from dmpclient.security import xmldsig
    from dmpclient.security.xades import verify_submission_signature

    docs = _documents(documents)
    report = verify_submission_signature(
        signature.read_bytes(),
        docs or None,
        trust_anchors=load_trust(trust, trust_pki),
        at=_verify_time(at),
        allowed_algorithms=xmldsig.LEGACY_ALLOWED if allow_sha1 else xmldsig.DEFAULT_ALLOWED,
        submission_set_unique_id=submission_set,
    )
    if as_json:
        print_json({"ok": report.ok, **report.to_dict()})
    else:
        console.print(f"[bold]signature[/bold] Id={report.signature_id}", markup=True)
        console.print(f"  method {report.signature_method}, SignedInfo c14n {report.signed_info_c14n}")
        if report.certificate is not None:
            console.print(f"  signer {report.certificate.subject or report.certificate.parse_error}")
        console.print(f"  signing time {report.signing_time}")
        for r in (*report.signed_info_references, *report.manifest_references):
            colour = {True: "green", False: "red", None: "yellow"}[r.ok]
            console.print(f"  [{colour}]{r.status:17}[/{colour}] {r.role:11} {r.uri}", markup=True)
            console.print(f"      {r.message}; c14n={r.canonicalization}; digest={r.digest_algorithm}")
        for c in report.checks:
            mark = "[green]ok[/green]" if c.ok else "[dim]--[/dim]" if c.ok is None else "[red]FAIL[/red]"
            console.print(f"  {mark} {c.name}: {c.message}", markup=True)
        console.print("[green]valid[/green]" if report.ok else "[red]invalid[/red]", markup=True)
    if not report.ok:
        raise SystemExit(EXIT_INVALID)


def _verify_time(value: str | None) -> dt.datetime | None:
    """``--at`` of ``verify``: None (the SigningTime) unless a time or ``now`` is given."""
    parsed = parse_at(value)
    if parsed == "now":
        return dt.datetime.now(dt.UTC)
    return parsed if isinstance(parsed, dt.datetime) else None


@xades.command("sign")
@test_pki_option
@click.option(
    "--signer",
    "signer_name",
    default="prof-sign",
    show_default=True,
    help="PKI entry that signs (prof-sign in direct mode, ej-sign in indirect mode).",
)
@click.option("--submission-set", required=True, metavar="OID", help="The SubmissionSet uniqueId.")
@click.option("--signature-id", required=True, metavar="OID", help="The signature document's uniqueId.")
@click.option(
    "--document",
    "documents",
    multiple=True,
    required=True,
    metavar="UNIQUEID=FILE",
    help="A document of the lot, by its uniqueId (repeatable).",
)
@out_option("Where to write the signature document.", required=True)
@json_option
@verbose_option
@handle_errors
def sign(
    pki_dir: Path,
    signer_name: str,
    submission_set: str,
    signature_id: str,
    documents: tuple[str, ...],
    output: Path,
    as_json: bool,
    verbose: int,
) -> None:
    """Sign a lot with a test PKI key (demos and sandbox tests).

    \b
    Examples:
      dmpclient xades sign --pki ./pki --submission-set 1.2.3.1 --signature-id 1.2.3.3 \\
          --document 1.2.3.2=cda.xml -o signature.xml
      dmpclient xades sign --pki ./pki --signer ej-sign --submission-set 1.2.3.1 --signature-id 1.2.3.3 \\
          --document 1.2.3.2=cda.xml -o signature.xml --json
    """
    from dmpclient.security.pki import TestPki
    from dmpclient.security.xades import ManifestDocument, build_submission_signature

    test_pki = TestPki.load(pki_dir)
    docs_by_uid = _documents(documents)
    docs = [ManifestDocument(uid, path) for uid, path in docs_by_uid.items()]
    data = build_submission_signature(
        submission_set_unique_id=submission_set,
        documents=docs,
        signer=test_pki.signer(signer_name),
        signature_unique_id=signature_id,
    )
    output.write_bytes(data)
    if as_json:
        print_json({"ok": True, "output": str(output), "signer": signer_name, "documents": sorted(docs_by_uid)})
    else:
        console.print(f"[green]signature written[/green] to {output}", markup=True)
