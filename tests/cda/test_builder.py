"""The CDA builder: canonical form, determinism, N1 bodies, replacement, N3 (LDL-SES), XSD validity."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from dmpclient._xml import C14NMethod, canonicalize, parse_bytes
from dmpclient.cda import (
    XML_DECLARATION,
    BuiltCda,
    DocumentHeaderInput,
    N1MediaType,
    Observation,
    Section,
    StructuredBody,
    build_n1,
    build_n1_to_file,
    build_n3,
    detect_media_type,
    extract_payload,
    format_ts,
    ldl_ses_body,
    make_sample_pdf,
    read_header,
)
from dmpclient.cda.demo import demo_context, demo_header, demo_ldl_ses, demo_patient
from dmpclient.context import Structure
from dmpclient.errors import InputError, ValidationFailed
from dmpclient.terminology import Code

HL7 = "urn:hl7-org:v3"
NSMAP = {"h": HL7}
IdFactory = Callable[[], str]

PAYLOADS: dict[str, bytes] = {
    "application/pdf": make_sample_pdf(),
    "text/plain": "Compte rendu : tension 12/8, rien à signaler.\nÀ revoir dans 6 mois.\n".encode(),
    "text/rtf": rb"{\rtf1\ansi Compte rendu\par}",
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4 + b"\xff\xd9",
    "image/tiff": b"II*\x00\x08\x00\x00\x00" + bytes(64),
}


def assert_canonical(data: bytes) -> None:
    """The document is the XML declaration followed by the C14N-with-comments form of its root."""
    assert data.startswith(XML_DECLARATION)
    assert not data.startswith(XML_DECLARATION + b"\n")
    body = data[len(XML_DECLARATION) :]
    assert canonicalize(parse_bytes(data, huge=True), C14NMethod.C14N10_COMMENTS) == body
    assert b"\r" not in data
    assert not data.endswith(b"\n")


def assert_digests(built: BuiltCda, data: bytes) -> None:
    assert built.size == len(data)
    assert built.sha1 == hashlib.sha1(data).hexdigest()
    assert built.sha256 == hashlib.sha256(data[len(XML_DECLARATION) :]).hexdigest()


# --------------------------------------------------------------------------------------------- N1


@pytest.mark.parametrize("media_type", sorted(PAYLOADS))
def test_n1_documents_are_canonical_and_carry_the_payload(
    media_type: str, header: DocumentHeaderInput, ids: IdFactory
) -> None:
    built = build_n1(header, PAYLOADS[media_type], media_type=media_type, ids=ids)
    assert built.data is not None
    assert_canonical(built.data)
    assert_digests(built, built.data)
    assert built.media_type == media_type
    root = parse_bytes(built.data)
    templates = [t.get("root") for t in root.findall("h:templateId", NSMAP)]
    assert templates == ["2.16.840.1.113883.2.8.2.1", "1.2.250.1.213.1.1.1.1", "1.3.6.1.4.1.19376.1.2.20"]
    text = root.find("h:component/h:nonXMLBody/h:text", NSMAP)
    assert text is not None
    assert text.get("mediaType") == media_type
    assert text.get("representation") == "B64"
    assert all(len(line) <= 76 for line in (text.text or "").split("\n"))
    payload = extract_payload(built.data)
    assert (payload.media_type, payload.data) == (media_type, PAYLOADS[media_type])


@pytest.mark.parametrize("media_type", sorted(PAYLOADS))
def test_n1_documents_validate_against_the_kit_xsd(
    media_type: str, header: DocumentHeaderInput, ids: IdFactory, kit_xsd: etree.XMLSchema
) -> None:
    built = build_n1(header, PAYLOADS[media_type], media_type=media_type, ids=ids)
    assert built.data is not None
    tree = parse_bytes(built.data).getroottree()
    assert kit_xsd.validate(tree), kit_xsd.error_log


def test_n1_output_is_deterministic(header: DocumentHeaderInput) -> None:
    def ids_factory() -> IdFactory:
        counter = iter(range(1, 100))
        return lambda: f"1.2.250.1.999.1.1.7898.9.{next(counter)}"

    first = build_n1(header, PAYLOADS["text/plain"], media_type="text/plain", ids=ids_factory())
    second = build_n1(header, PAYLOADS["text/plain"], media_type="text/plain", ids=ids_factory())
    assert first.data == second.data
    other_ids = build_n1(header, PAYLOADS["text/plain"], media_type="text/plain", ids=lambda: "1.2.250.1.999.7")
    assert other_ids.data != first.data


def test_generated_ids_and_clock_are_used_when_the_header_leaves_them_empty(ids: IdFactory) -> None:
    header = demo_header().model_copy(update={"effective_time": None})
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=1)))
    built = build_n1(header, PAYLOADS["text/plain"], media_type="text/plain", ids=ids, clock=lambda: when)
    assert built.unique_id == "1.2.250.1.999.1.1.7898.9.1"
    assert built.header.set_id is not None
    assert built.header.set_id.root == "1.2.250.1.999.1.1.7898.9.2"
    assert built.header.effective_time == "20250102030405+0100"
    assert built.header.version == 1
    assert built.header.related_documents == ()


def test_given_unique_id_is_the_document_id_without_extension(ids: IdFactory) -> None:
    header = demo_header(unique_id="1.2.250.1.999.1.1.7898.1.42", set_id="1.2.250.1.999.1.1.7898.1.43")
    built = build_n1(header, PAYLOADS["text/plain"], media_type="text/plain", ids=ids)
    assert built.unique_id == "1.2.250.1.999.1.1.7898.1.42"
    assert built.header.id.extension is None
    assert built.header.set_id is not None
    assert built.header.set_id.root == "1.2.250.1.999.1.1.7898.1.43"


def test_ins_identity_traits_are_written(header: DocumentHeaderInput, ids: IdFactory) -> None:
    built = build_n1(header, PAYLOADS["text/plain"], media_type="text/plain", ids=ids)
    assert built.data is not None
    root = parse_bytes(built.data)
    role = root.find("h:recordTarget/h:patientRole", NSMAP)
    assert role is not None
    ins, ipp = role.findall("h:id", NSMAP)
    assert (ins.get("root"), ins.get("extension")) == ("1.2.250.1.213.1.4.10", "279035121518989")
    assert (ipp.get("root"), ipp.get("extension")) == ("1.2.250.1.999.1.1.7898.2", "0456789999")
    name = role.find("h:patient/h:name", NSMAP)
    assert name is not None
    parts = [(etree.QName(p).localname, p.get("qualifier"), p.text) for p in name]
    assert parts == [
        ("family", "BR", "PAT-TROIS"),
        ("given", None, "DOMINIQUE MARIE-LOUISE"),
        ("given", "BR", "DOMINIQUE"),
        ("family", "CL", "PAT-TROIS"),
        ("given", "CL", "DOMINIQUE"),
    ]
    assert (
        root.findtext("h:recordTarget/h:patientRole/h:patient/h:birthplace/h:place/h:addr/h:county", None, NSMAP)
        == "51215"
    )
    gender = role.find("h:patient/h:administrativeGenderCode", NSMAP)
    assert gender is not None
    assert gender.get("code") == "F"


def test_header_is_derived_from_the_acting_context(header: DocumentHeaderInput, ids: IdFactory) -> None:
    built = build_n1(header, PAYLOADS["text/plain"], media_type="text/plain", ids=ids)
    h = built.header
    [author] = h.authors
    assert author.person is not None
    assert author.person.idnat == "899900063480"
    assert author.person.code is not None
    assert author.person.code.code == "G15_10/SM26"
    assert author.organization is not None
    assert author.organization.idnat == "499900063480001"
    assert h.custodian is not None
    assert h.custodian.idnat == "499900063480001"
    assert h.legal_authenticator is not None
    assert h.legal_authenticator.signature_code == "S"
    [event] = h.service_events
    [performer] = event.performers
    assert performer.organization is not None
    assert performer.organization.industry_code is not None
    assert performer.organization.industry_code.code == "AMBULATOIRE"
    assert h.encounter is not None
    assert h.encounter.facility_code is not None
    assert h.encounter.facility_code.code == "SA07"
    assert h.encounter.responsible is not None
    assert h.encounter.responsible.id_root == "1.2.250.1.71.4.2.1"
    assert event.low == "20240612132423+0200"
    assert event.high == "20240612134923+0200"


def test_structure_without_cadre_exercice_is_refused() -> None:
    context = demo_context()
    structure = Structure.create("499900063480001", "CABINET", cadre_exercice=None)
    with pytest.raises(InputError) as err:
        DocumentHeaderInput.from_context(
            type(context)(context.professional, structure, context.authentication_mode, context.software),
            patient=demo_patient(),
            type_code="11488-4",
            title="x",
        )
    assert err.value.field == "structure.cadre_exercice"


def test_type_code_display_comes_from_j07() -> None:
    assert demo_header(type_code="SYNTH").type_code == Code("SYNTH", "1.2.250.1.213.1.1.4.12", "Synthèse")
    assert (
        demo_header(type_code="11490-0").type_code.display
        == "Lettre de liaison à la sortie d'un établissement de soins"
    )


# ------------------------------------------------------------------------------------- replacement


def test_replacement_writes_relateddocument_rplc(ids: IdFactory) -> None:
    v1 = build_n1(demo_header(), PAYLOADS["text/plain"], media_type="text/plain", ids=ids)
    assert v1.header.set_id is not None
    assert v1.header.set_id.root is not None
    v2_header = demo_header(unique_id="1.2.250.1.999.1.1.7898.1.77", set_id=v1.header.set_id.root).model_copy(
        update={"version": 2, "replaces": v1.unique_id}
    )
    DocumentHeaderInput.model_validate(v2_header.model_dump())  # the validator accepts it
    v2 = build_n1(v2_header, PAYLOADS["text/plain"], media_type="text/plain", ids=ids)
    assert v2.data is not None
    assert_canonical(v2.data)
    root = parse_bytes(v2.data)
    related = root.find("h:relatedDocument", NSMAP)
    assert related is not None
    assert related.get("typeCode") == "RPLC"
    assert root.find("h:relatedDocument/h:parentDocument/h:id", NSMAP).get("root") == v1.unique_id  # type: ignore[union-attr]
    assert v2.header.replaced_id == v1.unique_id
    assert v2.header.set_id == v1.header.set_id
    assert v2.header.version == 2


def test_replacement_rules_are_enforced() -> None:
    data = demo_header().model_dump()
    with pytest.raises(InputError, match="versionNumber"):
        DocumentHeaderInput.from_data({**data, "replaces": "1.2.250.1.999.1"})
    with pytest.raises(InputError, match="setId"):
        DocumentHeaderInput.from_data({**data, "replaces": "1.2.250.1.999.1", "version": 2})
    with pytest.raises(InputError, match="setId"):
        DocumentHeaderInput.from_data({**data, "version": 3})
    with pytest.raises(InputError, match=r"EX_2\.1-1130"):
        DocumentHeaderInput.from_data({**data, "unique_id": "1.2.250.1.999^123"})
    with pytest.raises(InputError) as err:
        DocumentHeaderInput.from_data({**data, "title": ""})
    assert (err.value.field, err.value.value, err.value.rule) == ("DocumentHeaderInput.title", "", "string_too_short")
    with pytest.raises(InputError, match="INS key"):
        DocumentHeaderInput.from_data({**data, "patient": {**data["patient"], "ins": "279035121518988"}})


# ------------------------------------------------------------------------------------ media types


def test_media_type_is_detected_from_magic_bytes_and_extension() -> None:
    assert detect_media_type(b"%PDF-1.7") is N1MediaType.PDF
    assert detect_media_type(b"\xff\xd8\xff\xdb") is N1MediaType.JPEG
    assert detect_media_type(b"MM\x00*") is N1MediaType.TIFF
    assert detect_media_type(b"{\\rtf1") is N1MediaType.RTF
    assert detect_media_type(b"hello", "note.TXT") is N1MediaType.TEXT
    with pytest.raises(InputError):
        detect_media_type(b"hello", "note.docx")


def test_declared_media_type_must_match_the_content(header: DocumentHeaderInput) -> None:
    with pytest.raises(InputError) as err:
        build_n1(header, PAYLOADS["image/jpeg"], media_type="application/pdf")
    assert err.value.field == "media_type"


def test_media_types_outside_the_ci_sis_list_are_refused(header: DocumentHeaderInput) -> None:
    with pytest.raises(InputError, match="CI-SIS accepts only"):
        build_n1(header, b"PK\x03\x04", media_type="application/zip")


def test_empty_body_is_refused(header: DocumentHeaderInput) -> None:
    with pytest.raises(InputError, match="empty"):
        build_n1(header, b"", media_type="text/plain")


def test_pdf_without_pdfa_claim_is_built_with_a_warning(header: DocumentHeaderInput, ids: IdFactory) -> None:
    built = build_n1(header, make_sample_pdf(pdfa=None), ids=ids)
    assert built.pdfa is None
    assert [f.rule for f in built.findings] == ["cda.body.pdfa.absent"]
    assert build_n1(header, make_sample_pdf(), ids=ids).findings == ()


def test_text_body_that_is_not_utf8_gives_a_warning(header: DocumentHeaderInput, ids: IdFactory) -> None:
    built = build_n1(header, "Côte".encode("latin-1"), media_type="text/plain", ids=ids)
    assert [f.rule for f in built.findings] == ["cda.body.text.encoding"]


# -------------------------------------------------------------------------------------- streaming


def test_streamed_build_writes_the_same_bytes_as_the_in_memory_build(
    tmp_path: Path, header: DocumentHeaderInput
) -> None:
    body = tmp_path / "report.pdf"
    body.write_bytes(make_sample_pdf())
    out = tmp_path / "report.cda.xml"

    def fresh_ids() -> IdFactory:
        counter = iter(range(1, 100))
        return lambda: f"1.2.250.1.999.1.1.7898.9.{next(counter)}"

    streamed = build_n1_to_file(header, body, out, ids=fresh_ids(), chunk_size=57 * 3)
    in_memory = build_n1(header, make_sample_pdf(), ids=fresh_ids())
    assert streamed.path == out
    assert streamed.data is None
    assert out.read_bytes() == in_memory.data
    assert (streamed.sha1, streamed.sha256, streamed.size) == (in_memory.sha1, in_memory.sha256, in_memory.size)
    assert streamed.media_type == "application/pdf"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.cda.xml", "report.pdf"]


def test_chunk_size_must_keep_base64_lines_whole(header: DocumentHeaderInput) -> None:
    from dmpclient.cda import write_n1

    with pytest.raises(InputError, match="multiple of 57"):
        write_n1(header, io.BytesIO(b"abc"), io.BytesIO(), media_type="text/plain", chunk_size=100)


def test_short_reads_from_a_pipe_do_not_break_the_base64(header: DocumentHeaderInput, ids: IdFactory) -> None:
    from dmpclient.cda import write_n1

    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = data

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            piece, self.data = self.data[:13], self.data[13:]
            return piece

    payload = b"II*\x00" + bytes(range(256)) * 40
    sink = io.BytesIO()
    write_n1(header, Trickle(payload), sink, media_type="image/tiff", ids=ids, chunk_size=57 * 4)  # type: ignore[arg-type]
    assert extract_payload(sink.getvalue()).data == payload


@pytest.mark.slow
def test_streaming_a_20_mib_payload(tmp_path: Path, header: DocumentHeaderInput, ids: IdFactory) -> None:
    """20 MiB random body: right SHA-1/size/SHA-256, payload intact, bounded memory while streaming."""
    body = tmp_path / "big.pdf"
    size = 20 * 1024 * 1024
    with body.open("wb") as fh:
        fh.write(b"%PDF-1.7\n")
        remaining = size - 9
        while remaining:
            n = min(remaining, 1 << 20)
            fh.write(os.urandom(n))
            remaining -= n
    out = tmp_path / "big.cda.xml"
    tracemalloc.start()
    try:
        built = build_n1_to_file(header, body, out, ids=ids)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12 * 1024 * 1024, f"streaming used {peak} bytes of Python memory"
    sha1, sha256, total = hashlib.sha1(), hashlib.sha256(), 0
    with out.open("rb") as fh:
        head = fh.read(len(XML_DECLARATION))
        sha1.update(head)
        total += len(head)
        while chunk := fh.read(1 << 20):
            sha1.update(chunk)
            sha256.update(chunk)
            total += len(chunk)
    assert head == XML_DECLARATION
    assert_canonical(out.read_bytes())
    assert (built.size, built.sha1, built.sha256) == (total, sha1.hexdigest(), sha256.hexdigest())
    assert built.size > size * 4 // 3
    assert [f.rule for f in built.findings] == ["cda.body.pdfa.absent"]
    decoded = hashlib.sha1()
    from dmpclient.cda import extract_payload_to_file

    media, written = extract_payload_to_file(out, tmp_path / "back.pdf")
    assert (media, written) == ("application/pdf", size)
    decoded.update((tmp_path / "back.pdf").read_bytes())
    assert decoded.hexdigest() == hashlib.sha1(body.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------------------ N3


def test_ldl_ses_document_is_canonical_and_xsd_valid(ids: IdFactory, kit_xsd: etree.XMLSchema) -> None:
    header = demo_header(type_code="11490-0", title="Lettre de liaison à la sortie")
    built = build_n3(header, ldl_ses_body(demo_ldl_ses()), ids=ids)
    assert built.data is not None
    assert_canonical(built.data)
    assert_digests(built, built.data)
    root = parse_bytes(built.data)
    assert kit_xsd.validate(root.getroottree()), kit_xsd.error_log
    templates = [t.get("root") for t in root.findall("h:templateId", NSMAP)]
    assert templates == ["2.16.840.1.113883.2.8.2.1", "1.2.250.1.213.1.1.1.1", "1.2.250.1.213.1.1.1.29"]
    section_templates = {
        t.get("root") for t in root.iterfind("h:component/h:structuredBody/h:component/h:section/h:templateId", NSMAP)
    }
    for mandatory in (
        "1.2.250.1.213.1.1.2.35.1",
        "1.3.6.1.4.1.19376.1.5.3.1.3.1",
        "1.3.6.1.4.1.19376.1.7.3.1.1.13.7",
        "1.3.6.1.4.1.19376.1.5.3.1.3.22",
    ):
        assert mandatory in section_templates
    # every entry text reference points at a narrative content ID of the document
    content_ids = {c.get("ID") for c in root.iter(f"{{{HL7}}}content")}
    refs = {r.get("value", "").lstrip("#") for r in root.iter(f"{{{HL7}}}reference")}
    assert refs
    assert refs <= content_ids
    assert built.header.body.kind.value == "N3"
    assert built.header.body.section_count == 6


def test_ldl_ses_requires_its_document_code(ids: IdFactory) -> None:
    with pytest.raises(InputError, match="11490-0"):
        build_n3(demo_header(), ldl_ses_body(demo_ldl_ses()), ids=ids)


def test_entry_pointing_at_a_missing_narrative_id_is_refused(header: DocumentHeaderInput, ids: IdFactory) -> None:
    body = StructuredBody(
        template_ids=(),
        sections=(
            Section(
                template_ids=("1.2.3",),
                code=Code("42349-1", "2.16.840.1.113883.6.1"),
                title="Motif",
                narrative=("texte",),
                entries=(Observation(("1.2.4",), Code("X", "1.2.5"), text_reference="absent"),),
            ),
        ),
    )
    with pytest.raises(ValidationFailed) as err:
        build_n3(header, body, ids=ids)
    assert [f.rule for f in err.value.findings] == ["cda.entry.reference"]


def test_narrative_text_is_escaped_by_the_serializer(header: DocumentHeaderInput, ids: IdFactory) -> None:
    body = StructuredBody(
        template_ids=(),
        sections=(Section(("1.2.3",), Code("42349-1", "2.16.840.1.113883.6.1"), "T", ("a < b & <script>",)),),
    )
    built = build_n3(header, body, ids=ids)
    assert built.data is not None
    assert b"a &lt; b &amp; &lt;script&gt;" in built.data
    assert_canonical(built.data)


# ------------------------------------------------------------------------------------------- times


def test_format_ts_writes_local_time_with_offset() -> None:
    assert format_ts(date(2024, 3, 9)) == "20240309"
    assert format_ts(datetime(2024, 6, 12, 13, 54, 23, tzinfo=UTC)) == "20240612135423+0000"
    assert format_ts(datetime(2024, 6, 12, 13, 54, 23)) == "20240612135423+0200"  # naive: Europe/Paris, summer
    assert format_ts(datetime(2024, 1, 12, 13, 54, 23)) == "20240112135423+0100"  # winter


def test_built_header_reads_back_identically(header: DocumentHeaderInput, ids: IdFactory) -> None:
    built = build_n1(header, PAYLOADS["text/plain"], media_type="text/plain", ids=ids)
    assert built.data is not None
    assert read_header(built.data) == built.header
    encoded = built.data.split(b'representation="B64">')[1].split(b"<")[0]
    assert base64.b64decode(b"".join(encoded.split())) == PAYLOADS["text/plain"]
