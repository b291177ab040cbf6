"""VIHF: parsing the official examples, building from the acting context, verifying (ours, xmlsec1, signxml)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from dmpclient import _xml
from dmpclient.context import AccessMode, AuthenticationMode
from dmpclient.errors import CertificateError, RuleViolation, SignatureError, TokenError, ValidationFailed
from dmpclient.ids import INS
from dmpclient.security import xmldsig
from dmpclient.security.pki import TestPki
from dmpclient.security.vihf import (
    AuthnContextClass,
    ReasonPlacement,
    SignedVihf,
    VihfOptions,
    build_vihf,
    parse_vihf,
    verify_vihf,
)

SAML = _xml.NS["saml2"]
DS = _xml.NS["ds"]
PATIENT = INS.parse("277076322082910")


def _token(pki: TestPki, mode: AuthenticationMode = AuthenticationMode.DIRECTE, **kw: object) -> SignedVihf:
    context = kw.pop("context", None) or pki.acting_context(mode)
    signer = kw.pop("signer", None) or pki.signer("prof-sign" if mode is AuthenticationMode.DIRECTE else "ej-sign")
    return build_vihf(context, PATIENT, signer=signer, **kw)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------- official examples


OFFICIAL = {
    "vihf-directe-non-signe.xml": ("DIRECTE", "499900063480001", False),
    "vihf-directe-signe.xml": ("DIRECTE", "499900063480001", True),
    "vihf-indirecte-signe.xml": ("INDIRECTE", "339172288100052", True),
    "vihf-indirecte-renforcee-signe.xml": ("INDIRECTE_RENFORCEE", "10B0127189", True),
}


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_official_examples_every_attribute_is_extracted(official_examples: Path, name: str) -> None:
    mode, structure, signed = OFFICIAL[name]
    v = parse_vihf((official_examples / name).read_bytes())
    assert v.authentification_mode == mode
    assert v.identifiant_structure == structure
    assert v.secteur_activite == "SA07^1.2.250.1.71.4.2.4"
    assert v.name_id == "899900063480"
    assert [(r.code, r.code_system) for r in v.roles] == [("10", "1.2.250.1.71.1.2.7"), ("SM26", "1.2.250.1.71.4.2.5")]
    assert v.vihf_version == "3.0"
    assert v.resource_id == "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH"
    assert v.patient == INS.parse("207058575627097")
    assert v.ressource_urn == "urn:dmp"
    assert v.purpose_of_use is not None
    assert (v.purpose_of_use.code, v.purpose_of_use.display_name) == ("normal", "Accès normal")
    assert v.purpose_of_use.code_system_name == "mode acces VIHF 2.0"
    assert (v.lps_id, v.lps_nom, v.lps_version, v.lps_id_homologation_dmp) == (
        "01.01.01.01",
        "LPS GIE-SV",
        "1",
        "NumAutorisation",
    )
    assert v.authn_context_class_ref == AuthnContextClass.SMARTCARD_PKI
    assert v.issuer_format == "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"
    assert v.signed is signed
    assert v.extra_attributes == {}
    assert v.legacy_attributes == []
    assert (v.subject_id == "MAX LIBRE") is (mode != "DIRECTE")
    assert (v.authn_context_decl is not None) is (mode == "INDIRECTE_RENFORCEE")
    assert v.issue_instant.year in (2019, 2020)
    assert [f for f in v.check() if f.is_error] == []


@pytest.mark.shared
@pytest.mark.parametrize("name", [n for n, (_, _, signed) in OFFICIAL.items() if signed])
def test_official_signed_examples_signedinfo_verifies_as_of_date_but_digest_does_not(
    official_examples: Path, name: str
) -> None:
    data = (official_examples / name).read_bytes()
    issue = parse_vihf(data).issue_instant
    report = verify_vihf(
        data, trust_anchors=None, at=issue, allowed_algorithms=xmldsig.LEGACY_ALLOWED, raise_on_failure=False
    )
    checks = {c.name: c.ok for c in report.checks}
    assert checks["signature-value"] is True
    assert checks["reference"] is True
    assert checks["digest"] is False  # the examples were edited after signing (fixture README)
    assert checks["certificate-chain"] is None  # no anchors given (the direct example's card is not even DER)
    assert not report.ok
    with pytest.raises(SignatureError, match="digest"):
        verify_vihf(data, trust_anchors=None, at=issue, allowed_algorithms=xmldsig.LEGACY_ALLOWED)
    with pytest.raises(SignatureError, match="not allowed"):
        verify_vihf(data, trust_anchors=None, at=issue)  # SHA-1 refused unless explicitly allowed


@pytest.mark.shared
def test_parser_tolerates_capital_m_and_reports_legacy_attributes(official_examples: Path) -> None:
    data = (official_examples / "vihf-directe-non-signe.xml").read_bytes()
    data = data.replace(b'Name="Authentification_mode"', b'Name="Authentification_Mode"')
    data = data.replace(b'Name="LPS_ID"', b'Name="LPS_Type"')
    v = parse_vihf(data)
    assert v.authentification_mode == "DIRECTE"
    assert any("Authentification_Mode" in n for n in v.notes)
    assert v.legacy_attributes == ["LPS_Type"]
    assert v.extra_attributes == {"LPS_Type": ["01.01.01.01"]}
    assert any(f.rule == "vihf.legacy" for f in v.check())


# ---------------------------------------------------------------------------------------------- build


def test_direct_token_attributes_and_layout(pki: TestPki, fixed_now: dt.datetime) -> None:
    token = _token(pki, clock=lambda: fixed_now)
    v = parse_vihf(token.to_bytes())
    assert v.model_dump(exclude={"notes"}) == token.vihf.model_dump(exclude={"notes"})
    assert v.authentification_mode == "DIRECTE"
    assert v.identifiant_structure == "499900063480001"
    assert v.name_id == "899900063480"
    assert v.authn_context_class_ref == AuthnContextClass.SMARTCARD_PKI
    assert v.subject_id is None  # absent in direct mode, as in the examples
    assert v.vihf_version == "4.0"
    assert v.resource_id == PATIENT.to_cx()
    assert v.not_on_or_after is None
    assert v.not_before is None
    assert v.issuer.endswith("2.5.4.12=#0c084dc3a9646563696e,C=FR")  # title as #hex, RFC 4514
    root = token.element
    assert root.get("IssueInstant") == fixed_now.strftime("%Y-%m-%dT%H:%M:%S.123Z")
    children = [etree.QName(c).localname for c in root]
    assert children == ["Issuer", "Signature", "Subject", "AuthnStatement", "AttributeStatement"]
    sig = root[1]
    assert sig.find(f"{{{DS}}}SignedInfo/{{{DS}}}CanonicalizationMethod").get("Algorithm") == (  # type: ignore[union-attr]
        "http://www.w3.org/2001/10/xml-exc-c14n#"
    )
    assert sig.find(f"{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod").get("Algorithm") == (  # type: ignore[union-attr]
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    )
    refs = sig.findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
    assert [r.get("URI") for r in refs] == [f"#{token.assertion_id}"]
    assert [t.algorithm for t in xmldsig.parse_transforms(refs[0])] == [
        xmldsig.ENVELOPED,
        "http://www.w3.org/2001/10/xml-exc-c14n#",
    ]
    assert refs[0].find(f"{{{DS}}}DigestMethod").get("Algorithm") == "http://www.w3.org/2001/04/xmlenc#sha256"  # type: ignore[union-attr]
    assert [etree.QName(c).localname for c in sig.iter() if isinstance(c.tag, str)][-3:] == [
        "KeyInfo",
        "X509Data",
        "X509Certificate",
    ]
    names = [a.get("Name") for a in root.iter(f"{{{SAML}}}Attribute")]
    assert names == [
        "Identifiant_Structure",
        "Secteur_Activite",
        "urn:oasis:names:tc:xacml:2.0:subject:role",
        "VIHF_Version",
        "Authentification_mode",
        "urn:oasis:names:tc:xacml:2.0:resource:resource-id",
        "Ressource_URN",
        "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse",
        "LPS_Nom",
        "LPS_Version",
        "LPS_ID_HOMOLOGATION_DMP",
    ]
    # never re-serialised: element and bytes agree byte for byte
    assert _xml.to_bytes(token.element) == token.to_bytes()


def test_indirect_token_uses_the_structure_and_password_class(pki: TestPki) -> None:
    v = _token(pki, AuthenticationMode.INDIRECTE).vihf
    assert v.identifiant_structure == "10B0156832"  # the EG, while the certificate is on the EJ
    assert v.secteur_activite == "SA01^1.2.250.1.71.4.2.4"
    assert v.authn_context_class_ref == AuthnContextClass.PASSWORD
    assert v.subject_id == "MAX LIBRE"
    assert "OU=11B0062640" in v.issuer
    other = _token(
        pki, AuthenticationMode.INDIRECTE, options=VihfOptions(indirect_authn_context=AuthnContextClass.UNSPECIFIED)
    )
    assert other.vihf.authn_context_class_ref == AuthnContextClass.UNSPECIFIED


def test_air_token_lives_30_seconds_and_is_single_use(pki: TestPki, fixed_now: dt.datetime) -> None:
    token = _token(
        pki,
        AuthenticationMode.INDIRECTE_RENFORCEE,
        signer=pki.signer("ej-auth"),  # AIR tokens may be signed by an AUTH_CLI-type certificate (GIE example)
        clock=lambda: fixed_now,
        options=VihfOptions(air_authn_context=AuthnContextClass.TIME_SYNC_TOKEN),
        not_before_skew=dt.timedelta(seconds=5),
    )
    v = token.vihf
    assert v.not_on_or_after == fixed_now.replace(microsecond=123000) + dt.timedelta(seconds=30)
    assert v.not_before == fixed_now.replace(microsecond=123000) - dt.timedelta(seconds=5)
    assert v.authn_context_class_ref == AuthnContextClass.TIME_SYNC_TOKEN
    conditions = token.element.find(f"{{{SAML}}}Conditions")
    assert conditions is not None
    assert conditions.getprevious().tag == f"{{{SAML}}}Subject"
    assert token.single_use
    assert token.consume(now=fixed_now) == token.to_bytes()
    with pytest.raises(TokenError, match="single use"):
        token.consume(now=fixed_now)
    expired = _token(pki, AuthenticationMode.INDIRECTE_RENFORCEE, signer=pki.signer("ej-auth"), clock=lambda: fixed_now)
    with pytest.raises(TokenError, match="expired"):
        expired.consume(now=fixed_now + dt.timedelta(seconds=31))


def test_break_glass_reason_travels_in_a_configurable_attribute(pki: TestPki) -> None:
    context = pki.acting_context().with_access(AccessMode.BRIS_DE_GLACE, "patient inconscient")
    token = _token(pki, context=context)
    assert token.vihf.purpose_of_use is not None
    assert token.vihf.purpose_of_use.code == "bris_de_glace"
    assert token.vihf.purpose_of_use.display_name == "Accès en bris de glace"
    assert parse_vihf(token.to_bytes()).access_reason == "patient inconscient"
    assert b'Name="Mode_Acces_Raison"' in token.to_bytes()
    hidden = _token(pki, context=context, options=VihfOptions(reason_placement=ReasonPlacement.NONE))
    assert b"patient inconscient" not in hidden.to_bytes()
    renamed = _token(pki, context=context, options=VihfOptions(reason_attribute="Raison_Acces"))
    assert b'Name="Raison_Acces"' in renamed.to_bytes()


def test_secret_connection_of_a_minor(pki: TestPki) -> None:
    context = pki.acting_context().with_secret_connection()
    token = _token(pki, context=context)
    code = parse_vihf(token.to_bytes()).confidentiality_code
    assert code is not None
    assert code.code == "INVISIBLE_REPRESENTANTS_LEGAUX"
    assert code.code_system == "1.2.250.1.213.1.1.4.13"
    assert b"<ConfidentialityCode" in token.to_bytes()
    as_string = _token(pki, context=context, options=VihfOptions(confidentiality_as_string=True))
    assert b"<ConfidentialityCode" not in as_string.to_bytes()
    assert parse_vihf(as_string.to_bytes()).confidentiality_code.code == "INVISIBLE_REPRESENTANTS_LEGAUX"  # type: ignore[union-attr]
    assert parse_vihf(_token(pki).to_bytes()).confidentiality_code is None


def test_version_3_and_patientless_call(pki: TestPki) -> None:
    token = build_vihf(pki.acting_context(), None, signer=pki.signer("prof-sign"), vihf_version="3.0")
    v = parse_vihf(token.to_bytes())
    assert v.vihf_version == "3.0"
    assert v.resource_id is None


def test_authentication_certificate_refused_for_signing_in_direct_mode(pki: TestPki) -> None:
    with pytest.raises(RuleViolation, match="signature certificate") as caught:
        _token(pki, signer=pki.signer("prof-auth"))
    assert "DMPInvalidCertificate" in (caught.value.hint or "")
    token = _token(pki, signer=pki.signer("prof-auth"), options=VihfOptions(check_consistency=False))
    assert token.vihf.name_id == "899900063480"


def test_structure_certificate_of_another_structure_is_refused(pki: TestPki) -> None:
    context = pki.acting_context(AuthenticationMode.INDIRECTE)
    from dataclasses import replace

    from dmpclient.context import Structure

    other = replace(context, structure=Structure.create("10B0127189", "CENTRE DE SANTE", secteur_activite="SA01"))
    with pytest.raises(RuleViolation, match="structure certificate"):
        build_vihf(other, PATIENT, signer=pki.signer("ej-sign"))


def test_direct_mode_card_of_another_person_is_refused(pki: TestPki) -> None:
    from dataclasses import replace

    from dmpclient.context import Professional

    context = pki.acting_context()
    other = replace(context, professional=Professional.create("899700296140", "MED-CS", "ANNE", specialty="SM26"))
    with pytest.raises(RuleViolation, match="CN = IdNat"):
        build_vihf(other, PATIENT, signer=pki.signer("prof-sign"))


def test_physician_without_speciality_is_refused(pki: TestPki) -> None:
    from dataclasses import replace

    context = pki.acting_context()
    no_spec = replace(context, professional=replace(context.professional, specialty=None))
    with pytest.raises(RuleViolation, match="speciality"):
        build_vihf(no_spec, PATIENT, signer=pki.signer("prof-sign"))


def test_value_rules_of_check(pki: TestPki) -> None:
    v = _token(pki).vihf
    bad = v.model_copy(update={"secteur_activite": "SA07", "vihf_version": "5.0", "resource_id": "123^^^&1.2&ISO^NH"})
    rules = {f.rule for f in bad.check()}
    assert {"vihf.secteur", "vihf.version", "vihf.resource-id"} <= rules
    resource = next(f for f in bad.check() if f.rule == "vihf.resource-id")
    assert resource.message_fr == "Le champ Resource_id est incorrect : 123^^^&1.2&ISO^NH"
    # a token breaking a value rule never reaches the wire
    from dataclasses import replace

    from dmpclient.context import Structure

    ctx = pki.acting_context()
    broken = replace(ctx, structure=Structure.create("499900063480001", "X", secteur_activite="SA 07"))
    with pytest.raises(ValidationFailed, match="expected <code>"):
        build_vihf(broken, PATIENT, signer=pki.signer("prof-sign"))


# ------------------------------------------------------------------------------------- verification


def _write(tmp_path: Path, data: bytes, name: str = "vihf.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.xmlsec1
def test_our_token_verifies_with_our_verifier_and_xmlsec1(
    pki: TestPki, tmp_path: Path, xmlsec_verify: Any, vihf_id_attrs: list[str], counts: Any
) -> None:
    token = _token(pki)
    report = verify_vihf(token.to_bytes(), trust_anchors=pki.trust_store())
    assert report.ok
    assert all(c.ok is not False for c in report.checks)
    assert report.certificate is not None
    assert report.certificate.key_usage == ["nonRepudiation"]
    path = _write(tmp_path, token.to_bytes())
    trusted = [
        "--trusted-pem",
        str(pki.path("ca/root.cert.pem")),
        "--untrusted-pem",
        str(pki.path("ca/personnes.cert.pem")),
    ]
    result = xmlsec_verify(path, *vihf_id_attrs, *trusted)
    assert result.returncode == 0, result.stderr
    assert counts(result.stderr)["SignedInfo References"] == (1, 1)


def test_our_token_verifies_with_signxml_too(pki: TestPki) -> None:
    """A third implementation (signxml, pinned certificate) accepts our VIHF; tampering is caught by it too."""
    from signxml import XMLVerifier
    from signxml.exceptions import InvalidDigest

    token = _token(pki)
    result = XMLVerifier().verify(token.to_bytes(), x509_cert=pki.certificate("prof-sign"))
    assert result.signed_xml is not None
    assert result.signed_xml.get("ID") == token.assertion_id
    tampered = token.to_bytes().replace(b">499900063480001<", b">499900063480002<")
    with pytest.raises(InvalidDigest):
        XMLVerifier().verify(tampered, x509_cert=pki.certificate("prof-sign"))


@pytest.mark.xmlsec1
def test_inclusive_namespaces_prefix_list_is_written_and_verifies(
    pki: TestPki, tmp_path: Path, xmlsec_verify: Any, vihf_id_attrs: list[str], counts: Any
) -> None:
    """signxml defect: InclusiveNamespaces used for the digest but not written (upstream issue #163)."""
    token = _token(pki, options=VihfOptions(inclusive_prefixes=("ds", "saml2", "#default", "xsi")))
    ref = token.element.find(f"{{{DS}}}Signature/{{{DS}}}SignedInfo/{{{DS}}}Reference")
    assert ref is not None
    assert xmldsig.parse_transforms(ref)[1].inclusive_prefixes == ("ds", "saml2", "#default", "xsi")
    assert verify_vihf(token.to_bytes(), trust_anchors=pki.trust_store()).ok
    result = xmlsec_verify(_write(tmp_path, token.to_bytes()), *vihf_id_attrs, "--insecure")
    assert result.returncode == 0, result.stderr


@pytest.mark.softhsm
@pytest.mark.xmlsec1
def test_softhsm_token_is_byte_identical_and_verifies(
    softhsm_pki: TestPki,
    tmp_path: Path,
    fixed_now: dt.datetime,
    xmlsec_verify: Any,
    vihf_id_attrs: list[str],
    counts: Any,
) -> None:
    kwargs = {"clock": lambda: fixed_now, "assertion_id": "_fixed-id"}
    software = _token(softhsm_pki, **kwargs)
    with softhsm_pki.pkcs11_signer() as card:
        hardware = _token(softhsm_pki, signer=card, **kwargs)
    assert hardware.to_bytes() == software.to_bytes()
    assert verify_vihf(hardware.to_bytes(), trust_anchors=softhsm_pki.trust_store()).ok
    result = xmlsec_verify(_write(tmp_path, hardware.to_bytes()), *vihf_id_attrs, "--insecure")
    assert result.returncode == 0, result.stderr


def test_token_still_verifies_inside_a_soap_envelope(pki: TestPki) -> None:
    token = _token(pki)
    envelope = (
        b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header>'
        b'<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
        + token.to_bytes()
        + b"</wsse:Security></soap:Header><soap:Body/></soap:Envelope>"
    )
    report = verify_vihf(envelope, trust_anchors=pki.trust_store())
    assert report.ok
    assert report.assertion_id == token.assertion_id
    assert parse_vihf(envelope).name_id == "899900063480"


def test_tampered_attribute_is_detected(pki: TestPki) -> None:
    data = _token(pki).to_bytes().replace(b">499900063480001<", b">499900063480002<")
    report = verify_vihf(data, trust_anchors=pki.trust_store(), raise_on_failure=False)
    assert {c.name: c.ok for c in report.checks}["digest"] is False
    with pytest.raises(SignatureError, match="digest"):
        verify_vihf(data, trust_anchors=pki.trust_store())


def test_tampered_signature_value_is_detected(pki: TestPki) -> None:
    token = _token(pki)
    root = token.copy_element()
    sv = root.find(f"{{{DS}}}Signature/{{{DS}}}SignatureValue")
    assert sv is not None
    assert sv.text
    sv.text = ("B" if sv.text[0] != "B" else "C") + sv.text[1:]
    with pytest.raises(SignatureError, match="SignatureValue"):
        verify_vihf(_xml.to_bytes(root), trust_anchors=pki.trust_store())


def test_wrapping_moved_assertion_is_rejected(pki: TestPki) -> None:
    """The signed assertion is moved into an Advice of a forged assertion that reuses its ID."""
    signed = _token(pki).copy_element()
    forged = _xml.parse_bytes(_token(pki).to_bytes().replace(b">499900063480001<", b">499900063480002<"))
    forged.set("ID", signed.get("ID") or "")
    advice = etree.SubElement(forged, f"{{{SAML}}}Advice")
    advice.append(signed)
    with pytest.raises(SignatureError, match="another assertion"):
        verify_vihf(_xml.to_bytes(forged), trust_anchors=pki.trust_store())


def test_wrapping_duplicated_id_in_the_envelope_is_rejected(pki: TestPki) -> None:
    token = _token(pki)
    envelope = (
        b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header>'
        + token.to_bytes()
        + b'</soap:Header><soap:Body><x ID="'
        + token.assertion_id.encode()
        + b'"/></soap:Body></soap:Envelope>'
    )
    with pytest.raises(SignatureError, match="appears 2 times"):
        verify_vihf(envelope, trust_anchors=pki.trust_store())


def test_two_assertions_in_a_message_are_ambiguous(pki: TestPki) -> None:
    envelope = b"<e>" + _token(pki).to_bytes() + _token(pki).to_bytes() + b"</e>"
    with pytest.raises(SignatureError, match="ambiguous"):
        verify_vihf(envelope, trust_anchors=pki.trust_store())


def test_reference_to_another_element_and_extra_reference_are_rejected(pki: TestPki) -> None:
    token = _token(pki)
    other = token.to_bytes().replace(f'URI="#{token.assertion_id}"'.encode(), b'URI="#elsewhere"')
    with pytest.raises(SignatureError, match="does not point at the assertion"):
        verify_vihf(other, trust_anchors=pki.trust_store())
    root = token.copy_element()
    si = root.find(f"{{{DS}}}Signature/{{{DS}}}SignedInfo")
    assert si is not None
    si.append(_xml.parse_bytes(_xml.to_bytes(si[-1])))
    with pytest.raises(SignatureError, match="exactly one Reference"):
        verify_vihf(_xml.to_bytes(root), trust_anchors=pki.trust_store())


def test_chain_expiry_revocation_and_unknown_anchor_are_certificate_errors(pki: TestPki) -> None:
    for name in ("prof-sign-expired", "prof-sign-revoked"):
        token = _token(pki, signer=pki.signer(name))
        with pytest.raises(CertificateError):
            verify_vihf(token.to_bytes(), trust_anchors=pki.trust_store())
    with pytest.raises(CertificateError, match="no trusted issuer"):
        verify_vihf(_token(pki).to_bytes(), trust_anchors=[pki.certificate("dmp-server")])
    report = verify_vihf(_token(pki).to_bytes(), trust_anchors=None)
    assert report.ok
    assert {c.name: c.ok for c in report.checks}["certificate-chain"] is None


def test_validity_window_and_clock_skew(pki: TestPki, fixed_now: dt.datetime) -> None:
    air = _token(pki, AuthenticationMode.INDIRECTE_RENFORCEE, signer=pki.signer("ej-auth"), clock=lambda: fixed_now)
    store = pki.trust_store()
    assert verify_vihf(air.to_bytes(), trust_anchors=store, at=fixed_now + dt.timedelta(seconds=20)).ok
    skew = dt.timedelta(seconds=0)
    with pytest.raises(SignatureError, match="expired"):
        verify_vihf(air.to_bytes(), trust_anchors=store, at=fixed_now + dt.timedelta(seconds=31), max_clock_skew=skew)
    future = _token(pki, clock=lambda: fixed_now + dt.timedelta(minutes=10))
    with pytest.raises(SignatureError, match="in the future"):
        verify_vihf(future.to_bytes(), trust_anchors=store, at=fixed_now)
    old = _token(pki, clock=lambda: fixed_now - dt.timedelta(minutes=30))
    assert verify_vihf(old.to_bytes(), trust_anchors=store, at=fixed_now).ok
    with pytest.raises(SignatureError, match="older than"):
        verify_vihf(old.to_bytes(), trust_anchors=store, at=fixed_now, max_age=dt.timedelta(minutes=10))


def test_sha1_is_refused_unless_allowed(pki: TestPki) -> None:
    token = _token(pki, signature_algorithm="rsa-sha1", digest_algorithm="sha1")
    with pytest.raises(SignatureError, match="not allowed"):
        verify_vihf(token.to_bytes(), trust_anchors=pki.trust_store())
    assert verify_vihf(token.to_bytes(), trust_anchors=pki.trust_store(), allowed_algorithms=xmldsig.LEGACY_ALLOWED).ok


def test_report_is_json_ready(pki: TestPki) -> None:
    report = verify_vihf(_token(pki).to_bytes(), trust_anchors=pki.trust_store())
    data = report.to_dict()
    assert data["ok"] is True
    assert data["vihf"]["authentification_mode"] == "DIRECTE"
    assert {c["name"] for c in data["checks"]} >= {"digest", "signature-value", "certificate-chain", "issuer"}
    assert [f for f in report.findings() if f.is_error] == []
