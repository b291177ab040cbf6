"""Building blocks of ``inspect``: HTTP splitting, digest variants, answer decoding, recognition edge cases."""

from __future__ import annotations

import hashlib

import pytest

from dmpclient import _xml
from dmpclient._xml import C14NMethod
from dmpclient.inspection import CheckStatus, InspectionReport, inspect_capture
from dmpclient.inspection._capture import split_http
from dmpclient.inspection._codes import explain
from dmpclient.inspection._variants import algorithm_name, document_variants, find_match, signed_info_variant

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"


def envelope(body: str, *, action: str | None = None, relates_to: str | None = None) -> bytes:
    header = ""
    if action is not None:
        header += f'<Action xmlns="{WSA}">{action}</Action>'
    header += f'<MessageID xmlns="{WSA}">urn:uuid:0b6f4648-f2e9-4a06-94fd-c563a807212f</MessageID>'
    if relates_to is not None:
        header += f'<RelatesTo xmlns="{WSA}">{relates_to}</RelatesTo>'
    return (
        f'<soap:Envelope xmlns:soap="{SOAP12}"><soap:Header>{header}</soap:Header>'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def answer(report: InspectionReport) -> list[tuple[str, CheckStatus, str | None, str | None]]:
    return [(c.name, c.status, c.code, c.message_fr) for c in report.checks if c.section == "answer"]


# ------------------------------------------------------------------------------------- HTTP splitting


def test_split_http_request_line_and_headers() -> None:
    raw = split_http(b"POST /x HTTP/1.1\r\nContent-Type: text/xml\r\nX-A: 1\r\n   continued\r\n\r\n<body/>")
    assert raw.start_line == "POST /x HTTP/1.1"
    assert raw.direction == "request"
    assert raw.headers == (("Content-Type", "text/xml"), ("X-A", "1 continued"))
    assert raw.body == b"<body/>"


def test_split_http_status_line_with_bare_lf() -> None:
    raw = split_http(b"HTTP/1.1 500 Server Error\nContent-Type: application/soap+xml\n\n<e/>")
    assert (raw.direction, raw.http_status, raw.body) == ("response", 500, b"<e/>")


def test_split_http_header_block_without_start_line() -> None:
    raw = split_http(b"Content-Type: multipart/related; boundary=b\r\n\r\n--b\r\n")
    assert raw.start_line is None
    assert raw.header("content-type") == "multipart/related; boundary=b"
    assert raw.body == b"--b\r\n"


@pytest.mark.parametrize("data", [b"--boundary\nContent-Type: x\n\n", b"<soap:Envelope/>", b"\n\n<a/>"])
def test_bodies_without_headers_are_kept_whole(data: bytes) -> None:
    raw = split_http(data)
    assert raw.headers == ()
    assert raw.body == data


def test_chunked_body_is_decoded_with_a_warning() -> None:
    raw = split_http(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n<a/\r\n1\r\n>\r\n0\r\n\r\n")
    assert raw.body == b"<a/>"
    assert [(n.name, n.status) for n in raw.notes] == [("http", "passed"), ("transfer-encoding", "warning")]


def test_content_length_checks() -> None:
    ok = split_http(b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n<a/>\r\n")
    assert ok.body == b"<a/>"  # trailing line end of the capture file ignored
    assert ok.notes[-1].status == "passed"
    short = split_http(b"POST / HTTP/1.1\r\nContent-Length: 40\r\n\r\n<a/>")
    assert short.notes[-1].status == "warning"


def test_start_line_without_blank_line_fails() -> None:
    raw = split_http(b"POST / HTTP/1.1\r\nContent-Type: text/xml\r\n")
    assert [n.status for n in raw.notes] == ["failed"]


# ------------------------------------------------------------------------------------------- variants


def test_variants_name_the_processing_that_matches() -> None:
    data = b'\xef\xbb\xbf<?xml version="1.0"?>\r\n<a  b="1"><!-- c --><b/></a>'
    canonical = _xml.canonicalize(_xml.parse_bytes(data).getroottree(), C14NMethod.C14N10)
    matched, tried = find_match(document_variants(data), hashlib.sha256(canonical).digest())
    assert matched == "the parsed document in inclusive C14N 1.0 without comments, SHA-256"
    assert tried[:3] == ["the raw bytes", "the raw bytes without the BOM", "the raw bytes with LF line ends"]
    matched, _ = find_match(document_variants(data), hashlib.sha1(data[3:]).digest())
    assert matched == "the raw bytes without the BOM, SHA-1"
    matched, tried = find_match(document_variants(data), b"\x00" * 20)
    assert matched is None
    assert len(tried) == 7


def test_variants_of_non_xml_bytes_are_raw_only() -> None:
    assert [label for label, _ in document_variants(b"%PDF-1.4\n")] == [
        "the raw bytes",
        "the raw bytes with CRLF line ends",
    ]


def test_algorithm_names() -> None:
    assert algorithm_name("http://www.w3.org/2001/10/xml-exc-c14n#") == "exclusive C14N without comments"
    assert algorithm_name("http://www.w3.org/2001/04/xmlenc#sha256") == "SHA-256"
    assert algorithm_name("http://www.w3.org/2000/09/xmldsig#rsa-sha1") == "RSA-SHA1"
    assert algorithm_name("urn:unknown") == "urn:unknown"
    assert signed_info_variant("exclusive c14n, sha256") == "exclusive C14N without comments, SHA-256"
    assert signed_info_variant(None) is None


def test_explanations_by_code_and_by_message() -> None:
    assert explain("DMPInvalidCertificate") is not None
    assert "NTP" in (explain(None, "Erreur : VIHF expiré") or "")
    assert explain("SomethingElse", "rien") is None


# -------------------------------------------------------------------------------------- the answers


def test_soap_fault_is_decoded_with_the_dmp_code_and_french_message() -> None:
    body = (
        "<soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value><soap:Subcode>"
        '<soap:Value xmlns:dmp="urn:dmp">dmp:DMPInvalidCertificate</soap:Value></soap:Subcode></soap:Code>'
        '<soap:Reason><soap:Text xml:lang="fr">Le certificat ayant signé le VIHF est invalide : Not a valid '
        "signature certificate</soap:Text></soap:Reason></soap:Fault>"
    )
    report = inspect_capture(envelope(body, action="http://www.w3.org/2005/08/addressing/soap/fault", relates_to="x"))
    assert report.transaction.direction == "response"
    assert report.transaction.td is None  # a fault does not say which transaction it answers
    (name, status, code, message_fr), *_ = answer(report)
    assert (name, status, code) == ("soap-fault", CheckStatus.FAILED, "DMPInvalidCertificate")
    assert message_fr is not None
    assert message_fr.startswith("Le certificat ayant signé le VIHF est invalide")
    fault = next(c for c in report.failures if c.name == "soap-fault")
    assert "signature key" in fault.message  # the explanation
    assert not report.ok


def test_registry_response_failure_lists_every_error() -> None:
    rs = "urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"
    body = (
        f'<rs:RegistryResponse xmlns:rs="{rs}" status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure">'
        "<rs:RegistryErrorList>"
        '<rs:RegistryError errorCode="XDSRegistryMetadataError" codeContext="Le champ \'sourcePatientInfo PID5\' '
        'est obligatoire" location="Signature01" severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"/>'
        '<rs:RegistryError errorCode="W1" codeContext="attention" '
        'severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning"/>'
        "</rs:RegistryErrorList></rs:RegistryResponse>"
    )
    report = inspect_capture(envelope(body, action="urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse"))
    assert report.transaction.td == "TD2.1"
    assert answer(report) == [
        ("registry-status", CheckStatus.FAILED, None, None),
        (
            "registry-error 1",
            CheckStatus.FAILED,
            "XDSRegistryMetadataError",
            "Le champ 'sourcePatientInfo PID5' est obligatoire",
        ),
        ("registry-error 2", CheckStatus.WARNING, "W1", "attention"),
    ]


def test_hl7_acknowledgement_error_and_nf() -> None:
    hl7 = "urn:hl7-org:v3"
    error = (
        f'<PRPA_IN201308UV02 xmlns="{hl7}"><acknowledgement typeCode="AE"><acknowledgementDetail>'
        '<code code="DMPAccessForbidden"/><text>Accès refusé</text></acknowledgementDetail></acknowledgement>'
        '<controlActProcess><reasonCode code="TEST_EXST"/></controlActProcess></PRPA_IN201308UV02>'
    )
    report = inspect_capture(envelope(error, action="urn:hl7-org:v3:PRPA_IN201308UV02"))
    assert report.transaction.td == "TD0.2"
    assert answer(report)[0] == ("hl7-acknowledgement", CheckStatus.FAILED, "DMPAccessForbidden", "Accès refusé")
    nf = (
        f'<PRPA_IN201308UV02 xmlns="{hl7}"><acknowledgement typeCode="AA"/><controlActProcess>'
        '<reasonCode code="TEST_EXST"/><queryAck><queryResponseCode code="NF"/></queryAck></controlActProcess>'
        "</PRPA_IN201308UV02>"
    )
    report = inspect_capture(envelope(nf, action="urn:hl7-org:v3:PRPA_IN201308UV02"))
    assert [(n, s) for n, s, _, _ in answer(report)] == [
        ("hl7-acknowledgement", CheckStatus.PASSED),
        ("hl7-query", CheckStatus.PASSED),
    ]


def test_proprietary_status_other_than_dmpok_fails() -> None:
    body = (
        '<ns1:setAuthorizationResponse xmlns:ns1="urn:si-dmp-habilitations"><ns1:output>'
        "<ns1:status>DMPAccessDeniedByRightsService</ns1:status><ns1:context>Action interdite</ns1:context>"
        "</ns1:output></ns1:setAuthorizationResponse>"
    )
    report = inspect_capture(
        envelope(body, action="urn:si-dmp-habilitations:HabilitationsEndPoint:setAuthorizationResponse")
    )
    assert report.transaction.td == "TD0.3"
    assert answer(report) == [("status", CheckStatus.FAILED, "DMPAccessDeniedByRightsService", "Action interdite")]


# --------------------------------------------------------------------------------------- recognition


def test_unknown_message_is_reported_with_the_reasons() -> None:
    report = inspect_capture(envelope('<x:Other xmlns:x="urn:x"/>', action="urn:x:other"))
    assert report.transaction.td is None
    recognised = next(c for c in report.checks if c.name == "recognised")
    assert recognised.status is CheckStatus.WARNING
    assert "urn:x:other" in recognised.message


def test_request_without_action_is_recognised_from_its_body_with_a_warning() -> None:
    body = '<ns:listAuthorizationByPatient xmlns:ns="urn:si-dmp-habilitations"/>'
    report = inspect_capture(envelope(body))
    assert report.transaction.td == "TD1.6"
    assert [c.status for c in report.checks if c.section == "transaction" and c.name == "action"] == [
        CheckStatus.WARNING
    ]
    # a request without VIHF is refused
    assert [c.status for c in report.checks if c.section == "vihf"] == [CheckStatus.FAILED]


def test_stored_query_by_unique_id_in_objectref_mode_is_td31b() -> None:
    body = (
        '<query:AdhocQueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0" '
        'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><query:ResponseOption returnType="ObjectRef"/>'
        '<rim:AdhocQuery id="urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4"><rim:Slot '
        "name=\"$XDSDocumentEntryUniqueId\"><rim:ValueList><rim:Value>('1.2.3')</rim:Value></rim:ValueList>"
        "</rim:Slot></rim:AdhocQuery></query:AdhocQueryRequest>"
    )
    report = inspect_capture(envelope(body, action="urn:ihe:iti:2007:RegistryStoredQuery"))
    assert report.transaction.td == "TD3.1b"
    assert report.transaction.candidates[0] == "TD3.1b"


def test_garbage_is_a_failed_capture_not_an_exception() -> None:
    report = inspect_capture(b"this is not a SOAP message")
    assert not report.ok
    assert [(c.section, c.name) for c in report.failures] == [("capture", "read")]


def test_a_submission_without_submission_set_is_reported_not_raised() -> None:
    xdsb = "urn:ihe:iti:xds-b:2007"
    body = (
        f'<xdsb:ProvideAndRegisterDocumentSetRequest xmlns:xdsb="{xdsb}">'
        '<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"/>'
        '<xdsb:Document id="Document01">aGVsbG8=</xdsb:Document>'
        "</xdsb:ProvideAndRegisterDocumentSetRequest>"
    )
    report = inspect_capture(envelope(body, action="urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"))
    assert report.transaction.td == "TD2.1"
    assert {(c.section, c.name) for c in report.failures} == {
        ("vihf", "present"),
        ("metadata", "ihe.submissionSet.count"),
        ("documents", "metadata"),
    }
    assert any(c.section == "parts" and c.name == "mtom" and c.status is CheckStatus.WARNING for c in report.checks)
