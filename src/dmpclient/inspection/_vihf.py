"""The VIHF of a captured request: every attribute, the DMP's value rules, the signature and the certificate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Final

from cryptography import x509
from lxml import etree

from dmpclient.errors import DMPClientError
from dmpclient.inspection._model import CheckStatus
from dmpclient.inspection._record import Recorder
from dmpclient.inspection._variants import algorithm_name
from dmpclient.security import xmldsig
from dmpclient.security.certificates import TrustStore
from dmpclient.security.vihf import Vihf, format_instant, parse_vihf, verify_vihf
from dmpclient.xds.model import SubmissionRequest

__all__ = ["check_vihf", "check_vihf_authors", "decode_vihf"]

_SECTION: Final = "vihf"
_MASK: Final = "***"
_SHA1: Final = frozenset({xmldsig.RSA_SHA1, xmldsig.SHA1})


def decode_vihf(assertion: etree._Element | None) -> Vihf | None:
    """The decoded token, or None when there is none or it cannot be read (reported by :func:`check_vihf`)."""
    if assertion is None:
        return None
    try:
        return parse_vihf(assertion)
    except (DMPClientError, ValueError):
        return None


def check_vihf(
    rec: Recorder,
    assertion: etree._Element,
    *,
    at: dt.datetime | None,
    trust_anchors: TrustStore | Sequence[x509.Certificate] | None,
    allowed: Iterable[str],
) -> Vihf | None:
    """Record the VIHF checks; ``at`` None means "as of its IssueInstant". Returns the decoded token."""
    try:
        vihf = parse_vihf(assertion)
    except (DMPClientError, ValueError) as exc:
        rec.add(_SECTION, "decoded", CheckStatus.FAILED, f"the VIHF cannot be decoded: {exc}")
        return None
    subject = f"{vihf.name_id} ({vihf.subject_id})" if vihf.subject_id else vihf.name_id
    rec.add(
        _SECTION,
        "decoded",
        CheckStatus.PASSED,
        f"VIHF {vihf.vihf_version or '?'} {vihf.authentification_mode or '?'}: {subject} for structure "
        f"{vihf.identifiant_structure or '?'}, patient {vihf.resource_id or '?'}, access "
        f"{vihf.purpose_of_use.code if vihf.purpose_of_use else '?'}, issued {format_instant(vihf.issue_instant)}",
        details=vihf.to_dict(),
    )
    findings = vihf.check()
    for f in findings:
        rec.add_finding(_SECTION, f, name=f"attribute {f.location or f.rule}")
    if not findings:
        rec.add(_SECTION, "attributes", CheckStatus.PASSED, "every attribute follows the DMP rules (vihf.md §2–4)")
    for note in vihf.notes:
        rec.add(_SECTION, "encoding", CheckStatus.WARNING, note)

    when = at or vihf.issue_instant
    if not vihf.signed:
        rec.add(
            _SECTION,
            "signature",
            CheckStatus.FAILED,
            "the VIHF is not signed: the DMP requires an enveloped XML signature by the card's signature key or the "
            "structure's ORG SIGN certificate (vihf.md §5); the official request examples carry this unsigned token",
        )
        return vihf
    allowed_set = frozenset(allowed)
    report = verify_vihf(
        assertion, trust_anchors=trust_anchors, at=when, allowed_algorithms=allowed_set, raise_on_failure=False
    )
    masked = vihf.lps_id_homologation_dmp == _MASK
    for check in report.checks:
        if check.name == "digest" and check.ok is False and masked:
            rec.add(
                _SECTION,
                "signature digest",
                CheckStatus.WARNING,
                "the assertion digest does not match because LPS_ID_HOMOLOGATION_DMP was masked (***) when the "
                "capture was written; capture with mask_homologation=False to check the VIHF signature",
            )
            continue
        rec.add_security_check(_SECTION, check, prefix="signature ")
    used = {u for u in (report.signature_method, report.digest_method) if u}
    if used & _SHA1 and used <= allowed_set:
        rec.add(
            _SECTION,
            "algorithms sha1",
            CheckStatus.WARNING,
            f"{', '.join(sorted(filter(None, map(algorithm_name, used))))} accepted for an old capture (allow_sha1); "
            "the current practice is RSA-SHA256 / SHA-256",
        )
    cert = report.certificate
    if cert is not None and cert.parse_error is not None:
        rec.add(
            _SECTION,
            "certificate",
            CheckStatus.WARNING,
            f"the signing certificate cannot be decoded ({cert.parse_error}): its subject, validity and KeyUsage "
            "are not checked",
            details=cert.to_dict(),
        )
    elif cert is not None and cert.not_before is not None and cert.not_after is not None:
        valid = cert.not_before <= when <= cert.not_after
        rec.add(
            _SECTION,
            "certificate",
            CheckStatus.PASSED if valid else CheckStatus.FAILED,
            f"signer {cert.subject}, issued by {cert.issuer}, valid {cert.not_before.date()} to "
            f"{cert.not_after.date()} ({'valid' if valid else 'NOT valid'} at {format_instant(when)}), "
            f"KeyUsage {cert.key_usage or 'none'}",
            details=cert.to_dict(),
        )
    return vihf


def check_vihf_authors(rec: Recorder, vihf: Vihf, submission: SubmissionRequest) -> None:
    """Feeding: the VIHF user must be a document author (vihf.md §4, EX_2.1-1140)."""
    from dmpclient.xds.signature import is_signature_entry

    entries = [e for e in submission.documents if not is_signature_entry(e)]
    if not entries:
        return
    institutions = {o.id for e in entries for a in e.authors for o in a.institutions if o.id}
    people = {a.person.id for e in entries for a in e.authors if a.person is not None and a.person.id}
    people |= {
        e.legal_authenticator.id for e in entries if e.legal_authenticator is not None and e.legal_authenticator.id
    }
    structure = vihf.identifiant_structure
    if structure and institutions:
        ok = structure in institutions
        rec.add(
            _SECTION,
            "structure ⇄ authorInstitution",
            CheckStatus.PASSED if ok else CheckStatus.FAILED,
            f"Identifiant_Structure {structure} is the authorInstitution of a document author"
            if ok
            else f"Identifiant_Structure {structure} is not among the authorInstitution ids {sorted(institutions)}",
            message_fr=None if ok else "Aucun AuthorInstitution ne correspond à l'utilisateur du VIHF",
        )
    direct = (vihf.authentification_mode or "").upper() == "DIRECTE"
    cpe = "/" in vihf.name_id
    if direct and not cpe and people:
        ok = vihf.name_id in people
        rec.add(
            _SECTION,
            "NameID ⇄ author",
            CheckStatus.PASSED if ok else CheckStatus.FAILED,
            f"NameID {vihf.name_id} is a document author or legal authenticator"
            if ok
            else f"direct mode: NameID {vihf.name_id} is neither an authorPerson nor the legalAuthenticator "
            f"{sorted(people)} (EX_2.1-1140)",
        )
