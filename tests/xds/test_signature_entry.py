"""The XAdES signature document's DocumentEntry and its associations (xades-signature.md §3)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from dmpclient import _xml
from dmpclient.errors import InputError, InvalidIdentifier
from dmpclient.ids import INS
from dmpclient.xds import AssociationType, PatientInfo
from dmpclient.xds.ebrim import parse_message, to_provide_and_register
from dmpclient.xds.signature import add_signature, is_signature_entry, signature_document_entry

from .xds_core_factories import INS_CX, author, entry, patient_info, submission

PARIS = timezone(timedelta(hours=2))
SIGNED_AT = datetime(2024, 6, 12, 10, 30, 5, 123456, tzinfo=PARIS)
SIG_UID = "1.2.250.1.999.1.1.7898.4.1"


def build(**overrides: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "signer": author(),
        "patient": INS.from_cx(INS_CX),
        "signing_time": SIGNED_AT,
        "unique_id": SIG_UID,
        "documents": [entry(1, entry_uuid="Document01")],
    }
    args.update(overrides)
    return signature_document_entry(**args)  # type: ignore[arg-type]


def test_signature_entry_has_the_fixed_dmp_metadata() -> None:
    sig = build()
    assert sig.entry_uuid == "Signature01"
    assert sig.mime_type == "text/xml"
    assert sig.class_code is not None
    assert sig.class_code.key == ("URN", "urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1")
    assert sig.type_code is not None
    assert sig.type_code.key == ("ASTM", "E1762")
    assert sig.format_code is not None
    assert sig.format_code.key == ("URN", "http://www.w3.org/2000/09/xmldsig#")
    assert sig.format_code.display == "Default Signature Style"
    assert [c.key for c in sig.event_codes] == [("1.2.840.10065.1.12", "1.2.840.10065.1.12.1.14")]
    assert [c.code for c in sig.confidentiality_codes] == ["N", "MASQUE_PS", "INVISIBLE_PATIENT"]
    assert (sig.language_code, sig.title, sig.comments) == ("art", "Source", "XADES signature")
    assert is_signature_entry(sig)
    assert not is_signature_entry(entry(1))


def test_signature_times_are_the_signing_time_in_utc_seconds() -> None:
    sig = build()
    expected = datetime(2024, 6, 12, 8, 30, 5, tzinfo=timezone.utc)  # noqa: UP017
    assert sig.creation_time == sig.service_start_time == sig.service_stop_time == expected


def test_signature_patient_ids_and_copied_codes() -> None:
    doc = entry(1, entry_uuid="Document01")
    sig = build(documents=[doc])
    assert sig.patient_id == sig.source_patient_id == INS_CX
    assert sig.healthcare_facility_type_code == doc.healthcare_facility_type_code
    assert sig.practice_setting_code == doc.practice_setting_code
    assert sig.source_patient_info == doc.source_patient_info
    assert sig.authors == (author(),)
    assert sig.legal_authenticator == author().person


def test_signature_source_patient_info_is_never_empty() -> None:
    with pytest.raises(InputError, match="sourcePatientInfo"):
        build(documents=[entry(1, source_patient_info=None)])
    with pytest.raises(InputError, match="PID-5"):
        build(patient_info=PatientInfo(sex="F"))
    explicit = PatientInfo(birth_family_name="X", birth_given_name="Y")
    assert build(patient_info=explicit).source_patient_info == explicit
    assert build(documents=[entry(1, source_patient_info=None)], patient_info=patient_info()).source_patient_info


def test_signature_refuses_bad_inputs() -> None:
    with pytest.raises(InputError, match="differ"):
        build(unique_id=entry(1).unique_id)
    with pytest.raises(InputError, match="timezone-aware"):
        build(signing_time=datetime(2024, 6, 12, 10, 30))
    with pytest.raises(InputError):
        build(documents=[])
    with pytest.raises(InvalidIdentifier):
        build(patient="277076322082911^^^&1.2.250.1.213.1.4.10&ISO^NH")
    with pytest.raises(InputError):
        build(unique_id="1.2.3^ext")


def test_add_signature_links_it_with_has_member_and_signs() -> None:
    request = submission(documents=2)
    stored = add_signature(request, build(documents=request.documents))
    assert request.documents[-1] is stored
    members = [a.target for a in request.associations_of_type(AssociationType.HAS_MEMBER)]
    assert members == ["Document01", "Document02", "Signature01"]
    (signs,) = request.associations_of_type(AssociationType.SIGNS)
    assert (signs.source, signs.target) == ("Signature01", "SubmissionSet01")
    assert len({a.id for a in request.associations}) == len(request.associations)


@pytest.mark.shared
def test_signed_submission_is_schema_valid_and_round_trips(fixtures: Path) -> None:
    request = submission(documents=1)
    add_signature(request, build(documents=request.documents))
    el = to_provide_and_register(request, {"Document01": b"<cda/>", "Signature01": b"<ds:Signature/>"})
    data = _xml.to_bytes(el)
    schema = etree.XMLSchema(etree.parse(str(fixtures / "ebrs30" / "IHE" / "XDSB-wrapper.xsd")))
    assert schema.validate(_xml.parse_bytes(data)), schema.error_log
    again = parse_message(data)
    assert again.submission == request
    sig = again.submission.documents[-1]
    assert sig.source_patient_info is not None
    assert sig.source_patient_info.birth_family_name == "DUPONT"
