"""``inspect_capture`` on the official GIE examples: recognition of every file, and the known defects of TD2.1."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest

from dmpclient.inspection import AT_ISSUE_INSTANT, CheckStatus, InspectionReport, inspect_capture

TD21 = "td2.1-alimentation.request.multipart"


def check(report: InspectionReport, section: str, name: str) -> list[CheckStatus]:
    """Statuses of the checks called ``name`` in ``section``."""
    return [c.status for c in report.checks if c.section == section and c.name == name]


@pytest.fixture(scope="module")
def td21(official_examples: Path) -> InspectionReport:
    return inspect_capture(official_examples / TD21, at=AT_ISSUE_INSTANT)


def test_td21_multipart_is_a_td21_request_with_three_parts(td21: InspectionReport, official_examples: Path) -> None:
    assert td21.transaction.direction == "request"
    assert td21.transaction.td == "TD2.1"
    assert td21.transaction.title == "Alimentation"
    assert [p.role for p in td21.parts] == ["root", "document", "signature"]
    assert [p.content_id for p in td21.parts] == [
        "rootpart@soapui.org",
        "WS_DMP_TD2.1-DocumentME2.xml",
        "WS_DMP_TD2.1-SignatureXades.xml",
    ]
    # the XAdES part is byte-identical to the standalone file of the package
    signature = (official_examples / "td2.1-signature-xades.xml").read_bytes()
    assert td21.parts[2].size == len(signature)
    assert td21.parts[2].sha1 == hashlib.sha1(signature).hexdigest()
    assert td21.envelope.line_ending == "LF"
    assert td21.envelope.soap_version == "1.1"


def test_td21_transport_defects_are_warnings(td21: InspectionReport) -> None:
    assert check(td21, "capture", "line-ends") == [CheckStatus.WARNING]
    assert check(td21, "capture", "soap-version") == [CheckStatus.WARNING]
    assert check(td21, "capture", "action-consistency") == [CheckStatus.WARNING]
    assert not any(c.failed for c in td21.checks if c.section == "capture")


def test_td21_vihf_is_decoded_and_reported_unsigned(td21: InspectionReport) -> None:
    assert td21.vihf is not None
    assert td21.vihf["name_id"] == "899900063480"
    assert td21.vihf["identifiant_structure"] == "499900063480001"
    assert td21.vihf["authentification_mode"] == "DIRECTE"
    assert td21.vihf["signed"] is False
    unsigned = next(c for c in td21.checks if c.section == "vihf" and c.name == "signature")
    assert unsigned.status is CheckStatus.FAILED
    assert "not signed" in unsigned.message


def test_td21_metadata_findings_are_the_known_example_defects(td21: InspectionReport) -> None:
    section = td21.section("metadata")
    assert section is not None
    rules = {c.details.get("rule"): c.status for c in section.checks}
    assert rules["ihe.document.idCase"] is CheckStatus.WARNING
    assert rules["dmp.typeCode.valueSet"] is CheckStatus.WARNING
    assert rules["dmp.sourcePatientInfo.pid5"] is CheckStatus.FAILED
    pid5 = next(c for c in section.checks if c.details.get("rule") == "dmp.sourcePatientInfo.pid5")
    assert pid5.message_fr == "Le champ 'sourcePatientInfo PID5' est obligatoire"
    assert pid5.code == "XDSRegistryMetadataError"


def test_td21_documents_are_matched_through_the_uniqueid_document_cid_chain(td21: InspectionReport) -> None:
    doc, sig = td21.documents
    assert (doc.entry_id, doc.document_id, doc.content_id, doc.part_index) == (
        "DocumentME2",
        "documentME2",  # the example's case difference
        "WS_DMP_TD2.1-DocumentME2.xml",
        2,
    )
    assert (sig.role, sig.part_index) == ("signature", 3)
    # the example sends neither hash nor size: nothing to compare
    assert check(td21, "documents", "hash DocumentME2") == [CheckStatus.SKIPPED]
    assert doc.is_cda
    uid = next(c for c in td21.checks if c.name == "cda DocumentME2 DocumentEntry.uniqueId")
    assert uid.status is CheckStatus.FAILED


def test_td21_signed_info_references_are_valid_as_of_2019_with_sha1(td21: InspectionReport) -> None:
    assert td21.xades is not None
    assert td21.xades.signing_time == dt.datetime(2019, 4, 4, 12, 20, 12, 282000, tzinfo=dt.UTC)
    signed_info = [r for r in td21.xades.references if r.role == "signed-info"]
    assert [(r.target, r.status) for r in signed_info] == [("Manifest", "ok"), ("SignedProperties", "ok")]
    assert all(r.digest_method == "SHA-1" for r in signed_info)
    assert all(
        r.canonicalization and r.canonicalization.startswith("inclusive C14N 1.0 without comments") for r in signed_info
    )
    assert check(td21, "signature", "signature-value") == [CheckStatus.PASSED]
    assert check(td21, "signature", "certificate-validity") == [CheckStatus.PASSED]
    assert check(td21, "signature", "algorithms sha1") == [CheckStatus.WARNING]


def test_td21_placeholder_is_recognised_and_the_cda_reference_does_not_match(td21: InspectionReport) -> None:
    assert td21.xades is not None
    placeholder, document = (r for r in td21.xades.references if r.role == "manifest")
    assert placeholder.status == "placeholder"
    assert placeholder.digest_found == "AA=="
    assert placeholder.target == "submission set"
    # the manifest names the CDA by another uniqueId (its CDA id): it is compared with the unreferenced document
    assert document.status == "mismatch"
    assert document.matched is None
    assert document.compared_with is not None
    assert "WS_DMP_TD2.1-DocumentME2.xml" in document.compared_with
    assert document.canonicalization == "inclusive C14N 1.0 with comments"
    assert document.digest_found == "ZHdMHCdgcMNU7PIhGp6aYG7cWU0="
    assert "the raw bytes" in document.tried
    assert "the parsed document in inclusive C14N 1.0 with comments" in document.tried
    assert "the raw bytes with CRLF line ends" in document.tried  # the MIME part has LF, the file CRLF
    failed = next(c for c in td21.failures if c.name == f"reference {document.uri}")
    assert "tried:" in failed.message


def test_td21_refuses_sha1_when_asked(official_examples: Path) -> None:
    report = inspect_capture(official_examples / TD21, at=AT_ISSUE_INSTANT, allow_sha1=False)
    assert report.xades is not None
    assert {r.status for r in report.xades.references if r.role == "signed-info"} == {"refused-algorithm"}
    assert check(report, "signature", "algorithms sha1") == []


def test_td21_certificate_is_expired_now(official_examples: Path) -> None:
    report = inspect_capture(official_examples / TD21)
    assert report.at_mode == "now"
    assert check(report, "signature", "certificate-validity") == [CheckStatus.FAILED]


def test_td21_checked_at_a_fixed_date(official_examples: Path) -> None:
    report = inspect_capture(official_examples / TD21, at=dt.datetime(2020, 1, 1))
    assert report.at == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    assert check(report, "signature", "certificate-validity") == [CheckStatus.PASSED]


# ------------------------------------------------------------------------------------- every file

_EXPECTED = {
    "td0.2": "TD0.2",
    "td0.3": "TD0.3",
    "td0.4": "TD0.4",
    "td0.5": "TD0.5",
    "td1.3a": "TD1.3a",
    "td1.3b": "TD1.3b",
    "td1.4": "TD1.4",
    "td1.5a": "TD1.5a",
    "td1.5b": "TD1.5b",
    "td1.5d": "TD1.5d",
    "td1.6": "TD1.6",
    "td2.1": "TD2.1",
    "td3.1": "TD3.1",
    "td3.2": "TD3.2",
    "td3.3c": "TD3.3c",
    "td3.3d": "TD3.3d",
    "insi": "INSi",
}
_MESSAGES = sorted(
    name
    for name in (
        "insi-rechercher-ins-avec-traits-identite.request.xml",
        "insi-rechercher-ins-avec-traits-identite.response.xml",
        "td0.2-test-existence.request.xml",
        "td0.2-test-existence.response.xml",
        "td0.3-mise-a-jour-autorisation.request.xml",
        "td0.3-mise-a-jour-autorisation.response.xml",
        "td0.4-liste-dmp-autorises.request.xml",
        "td0.4-liste-dmp-autorises.response.xml",
        "td0.5-recherche-patient-sans-ins.request.xml",
        "td0.5-recherche-patient-sans-ins.response.xml",
        "td1.3a-consultation-donnees-administratives.request.xml",
        "td1.3a-consultation-donnees-administratives.response.xml",
        "td1.3b-modification-donnees-administratives.request.xml",
        "td1.3b-modification-donnees-administratives.response.xml",
        "td1.4-fermeture.request.xml",
        "td1.4-fermeture.response.xml",
        "td1.5a-creation-compte-internet.request.xml",
        "td1.5a-creation-compte-internet.response.xml",
        "td1.5b-ajout-canal-otp.request.xml",
        "td1.5b-ajout-canal-otp.response.xml",
        "td1.5d-maj-compte-internet.request.xml",
        "td1.5d-maj-compte-internet.response.xml",
        "td1.6-liste-ps-autorises-bloques.request.xml",
        "td1.6-liste-ps-autorises-bloques.response.xml",
        TD21,
        "td2.1-alimentation.request.soap-part.xml",
        "td2.1-alimentation.response.xml",
        "td3.1-recherche-documents.request.xml",
        "td3.1-recherche-documents.response.xml",
        "td3.2-consultation-document.request.xml",
        "td3.2-consultation-document.response.xml",
        "td3.3c-supprimer.request.xml",
        "td3.3c-supprimer.response.xml",
        "td3.3d-archiver.request.xml",
        "td3.3d-archiver.response.xml",
    )
)


def test_the_list_covers_every_message_of_the_package(official_examples: Path) -> None:
    on_disk = {p.name for p in official_examples.iterdir() if re.search(r"\.(request|response)\.", p.name)}
    assert on_disk == set(_MESSAGES)


@pytest.mark.parametrize("name", _MESSAGES)
def test_every_official_message_is_recognised(official_examples: Path, name: str) -> None:
    report = inspect_capture(official_examples / name)
    expected = _EXPECTED[name.split("-", 1)[0]]
    direction = "request" if ".request." in name else "response"
    assert report.transaction.direction == direction
    if name.startswith("td3.3") and direction == "response":
        # a RegistryResponse to UpdateDocumentSet does not say which TD3.3 it answers
        assert report.transaction.td is None
        assert expected in report.transaction.candidates
        assert check(report, "transaction", "recognised") == [CheckStatus.WARNING]
    else:
        assert report.transaction.td == expected
        assert check(report, "transaction", "recognised") == [CheckStatus.PASSED]


@pytest.mark.parametrize(
    ("name", "check_name", "message_fr"),
    [
        ("td0.3-mise-a-jour-autorisation.response.xml", "status", "Autorisation déjà présente aucune action effectuée"),
        ("td2.1-alimentation.response.xml", "registry-status", None),
        ("td0.2-test-existence.response.xml", "hl7-acknowledgement", None),
    ],
)
def test_successful_answers_are_decoded(
    official_examples: Path, name: str, check_name: str, message_fr: str | None
) -> None:
    report = inspect_capture(official_examples / name)
    answer = [c for c in report.checks if c.section == "answer" and c.name == check_name]
    assert [c.status for c in answer] == [CheckStatus.PASSED]
    assert answer[0].message_fr == message_fr
    assert report.ok


def test_legacy_and_retired_transactions_are_flagged(official_examples: Path) -> None:
    legacy = inspect_capture(official_examples / "td1.4-fermeture.request.xml")
    retired = inspect_capture(official_examples / "td1.5a-creation-compte-internet.request.xml")
    current = inspect_capture(official_examples / "td1.6-liste-ps-autorises-bloques.request.xml")
    assert (legacy.transaction.status, retired.transaction.status, current.transaction.status) == (
        "legacy",
        "retired",
        "current",
    )
    assert check(legacy, "transaction", "status") == [CheckStatus.WARNING]
    assert check(current, "transaction", "status") == []


def test_root_only_capture_is_inspected_and_a_given_document_resolves_it(
    official_examples: Path, tmp_path: Path
) -> None:
    name = "td3.2-consultation-document.response.xml"
    alone = inspect_capture(official_examples / name)
    assert check(alone, "parts", "xop") == [CheckStatus.FAILED]
    assert alone.transaction.td == "TD3.2"
    cid = "b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn:ihe:iti:xds-b:2007"
    doc = tmp_path / "document.xml"
    doc.write_bytes(b"<doc/>")
    resolved = inspect_capture(official_examples / name, documents={cid: doc})
    assert check(resolved, "parts", "xop") == [CheckStatus.PASSED]
    assert [(p.origin, p.size) for p in resolved.parts] == [("external", 6)]


def test_signed_example_vihf_is_reported_as_modified_after_signing(official_examples: Path) -> None:
    request = (official_examples / "td0.2-test-existence.request.xml").read_bytes()
    signed = (official_examples / "vihf-indirecte-signe.xml").read_bytes()
    start = request.index(b"<saml2:Assertion")
    end = request.index(b"</saml2:Assertion>") + len(b"</saml2:Assertion>")
    capture = request[:start] + signed.strip() + request[end:]
    report = inspect_capture(capture, at=AT_ISSUE_INSTANT)
    assert report.transaction.td == "TD0.2"
    assert check(report, "vihf", "signature signature-value") == [CheckStatus.PASSED]
    assert check(report, "vihf", "signature digest") == [CheckStatus.FAILED]
    assert check(report, "vihf", "algorithms sha1") == [CheckStatus.WARNING]
    cert = next(c for c in report.checks if c.section == "vihf" and c.name == "certificate")
    assert cert.status is CheckStatus.PASSED  # valid in 2019
    assert "TEST" in (cert.details.get("issuer") or "")
    now = inspect_capture(capture)
    assert [c.status for c in now.checks if c.section == "vihf" and c.name == "certificate"] == [CheckStatus.FAILED]
