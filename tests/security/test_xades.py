"""XAdES submission-set signature: the official example vs xmlsec1, our layout, signxml defects, tampering."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from dmpclient import _xml
from dmpclient.errors import InputError
from dmpclient.security import xmldsig
from dmpclient.security.pki import TestPki
from dmpclient.security.xades import (
    DmpXadesProfile,
    ManifestDocument,
    PrecomputedDigest,
    SigningCertificateVersion,
    build_submission_signature,
    document_digest,
    verify_submission_signature,
)

DS = _xml.NS["ds"]
XA = _xml.NS["xades"]
SS = "1.2.250.1.999.1.1.7898.3.1"
SIG = "1.2.250.1.999.1.1.7898.4.99"
DOC_IDS = ("1.2.250.1.999.1.1.7898.4.1", "1.2.250.1.999.1.1.7898.4.2", "1.2.250.1.999.1.1.7898.4.3")
CDA = (
    b'<?xml version="1.0" encoding="UTF-8"?>\r\n<!-- entete -->\r\n<ClinicalDocument xmlns="urn:hl7-org:v3" '
    b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\r\n\t<title>Compte rendu &amp; suite</title>\r\n'
    b"\t<!-- commentaire -->\r\n\t<component a=\"1\"   b='2'/>\r\n</ClinicalDocument>\r\n"
)
#: Inside the session PKI's validity, fixed so that two signatures of the same input are byte-identical.
SIGNING_TIME = dt.datetime.now().astimezone().replace(microsecond=282000)
OFFICIAL_CDA_UID = "1.2.250.1.999.1.1.7898.4.9956570902"
OFFICIAL_SS_UID = "1.2.250.1.999.1.1.7898.3.9956570900"


def _docs() -> dict[str, bytes]:
    return {uid: CDA.replace(b"suite", f"suite {i}".encode()) for i, uid in enumerate(DOC_IDS)}


def _sign(pki: TestPki, *, signer: Any = None, profile: DmpXadesProfile | None = None, **kw: Any) -> bytes:
    docs = kw.pop("documents") if "documents" in kw else [ManifestDocument(u, d) for u, d in _docs().items()]
    return build_submission_signature(
        submission_set_unique_id=SS,
        documents=docs,
        signer=signer or pki.signer("prof-sign"),
        signature_unique_id=SIG,
        clock=kw.pop("clock", lambda: SIGNING_TIME),
        profile=profile,
    )


def _xmlsec(xmlsec_verify: Any, attrs: list[str], tmp_path: Path, signature: bytes, docs: dict[str, bytes]) -> Any:
    sig_path = tmp_path / "signature.xml"
    sig_path.write_bytes(signature)
    maps: list[str] = []
    for i, (uid, data) in enumerate(docs.items()):
        p = tmp_path / f"doc{i}.xml"
        p.write_bytes(data)
        maps += [f"--url-map:urn:oid:{uid}", str(p)]
    maps += [f"--url-map:urn:oid:{SS}", str(tmp_path / "doc0.xml")]
    return xmlsec_verify(sig_path, *attrs, "--insecure", *maps)


# -------------------------------------------------------------------------------------- official example


@pytest.mark.shared
@pytest.mark.xmlsec1
def test_official_example_we_report_what_xmlsec1_finds(
    official_examples: Path, xmlsec_verify: Any, xades_id_attrs: list[str], counts: Any
) -> None:
    sig_path = official_examples / "td2.1-signature-xades.xml"
    cda_path = official_examples / "td2.1-document-me2.cda.xml"
    result = xmlsec_verify(
        sig_path,
        *xades_id_attrs,
        "--insecure",
        "--verification-time",
        "2019-04-05+00:00:00",
        f"--url-map:urn:oid:{OFFICIAL_CDA_UID}",
        str(cda_path),
        f"--url-map:urn:oid:{OFFICIAL_SS_UID}",
        str(cda_path),
    )
    oracle = counts(result.stderr)
    assert result.returncode == 0  # xmlsec1 says OK although a manifest reference fails
    report = verify_submission_signature(
        sig_path.read_bytes(), {OFFICIAL_CDA_UID: cda_path}, allowed_algorithms=xmldsig.LEGACY_ALLOWED
    )
    ours_signed_info = sum(r.status == "ok" for r in report.signed_info_references)
    assert (ours_signed_info, len(report.signed_info_references)) == oracle["SignedInfo References"] == (2, 2)
    assert report.signature_value_ok is True
    assert report.signature_ok
    ours_manifest = sum(r.status == "ok" for r in report.manifest_references)
    assert (ours_manifest, len(report.manifest_references)) == oracle["Manifests References"] == (0, 2)
    placeholder, cda = report.manifest_references
    assert placeholder.status == "placeholder"
    assert placeholder.digest_found == "AA=="
    assert cda.status == "mismatch"
    assert cda.alternative_match is None
    assert cda.canonicalization == "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
    assert not report.ok
    assert not report.manifest_ok
    checks = {c.name: c.ok for c in report.checks}
    assert checks["signing-certificate"]
    assert checks["purpose-of-signature"]
    assert checks["certificate-validity"]
    assert report.signing_time == dt.datetime.fromisoformat("2019-04-04T14:20:12.282+02:00")
    # without explicit SHA-1 allowance nothing is accepted
    strict = verify_submission_signature(sig_path.read_bytes(), {OFFICIAL_CDA_UID: cda_path})
    assert {r.status for r in strict.signed_info_references} == {"refused-algorithm"}
    assert strict.signature_value_ok is None
    assert not strict.ok


@pytest.mark.shared
def test_signxml_as_is_rejects_the_official_example_that_we_accept(official_examples: Path) -> None:
    """signxml canonicalizes in place and hits the lxml xmlns="" trap (library-notes.md)."""
    from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod, XMLVerifier
    from signxml.exceptions import InvalidSignature

    data = (official_examples / "td2.1-signature-xades.xml").read_bytes()
    root = _xml.parse_bytes(data)
    cert = root.findtext(f".//{{{DS}}}X509Certificate") or ""
    pem = "-----BEGIN CERTIFICATE-----\n" + "".join(cert.split()) + "\n-----END CERTIFICATE-----\n"
    config = SignatureConfiguration(
        signature_methods=frozenset(SignatureMethod),
        digest_algorithms=frozenset(DigestAlgorithm),
        expect_references=2,
        verification_time=dt.datetime(2019, 4, 5, tzinfo=dt.UTC),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # negative serial number of the 2019 test certificate
        with pytest.raises(InvalidSignature):
            XMLVerifier().verify(data, x509_cert=pem, expect_config=config, validate_schema=False)
    report = verify_submission_signature(data, None, allowed_algorithms=xmldsig.LEGACY_ALLOWED)
    assert report.signature_ok
    # the lxml trap signxml falls into: in-place inclusive c14n of SignedInfo emits xmlns=""
    si = root.find(f"{{{DS}}}SignedInfo")
    assert si is not None
    assert b'xmlns=""' in etree.tostring(si, method="c14n", with_comments=True)
    assert b'xmlns=""' not in xmldsig.canonical_signed_info(si)


# --------------------------------------------------------------------------------------------- layout


def test_layout_is_the_official_one_with_sha256(pki: TestPki) -> None:
    signature = _sign(pki)
    root = _xml.parse_bytes(signature)
    assert signature.startswith(b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="' + SIG.encode() + b'">')
    si = root.find(f"{{{DS}}}SignedInfo")
    assert si is not None
    assert si[0].get("Algorithm") == "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
    assert si[1].get("Algorithm") == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    refs = si.findall(f"{{{DS}}}Reference")
    assert [(r.get("Type"), r.get("URI")) for r in refs] == [
        ("http://www.w3.org/2000/09/xmldsig#Manifest", "#IHEManifest"),
        ("http://uri.etsi.org/01903/v1.1.1#SignedProperties", "#S0-SignedProperties"),
    ]
    assert all(r.find(f"{{{DS}}}Transforms") is None for r in refs)
    assert [etree.QName(c).localname for c in root] == [
        "SignedInfo",
        "SignatureValue",
        "KeyInfo",
        "Object",
        "Object",
        "Object",
    ]
    assert len(root.findall(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")) == 1
    manifest = root.find(f"{{{DS}}}Object/{{{DS}}}Manifest")
    assert manifest is not None
    assert manifest.get("Id") == "IHEManifest"
    mrefs = manifest.findall(f"{{{DS}}}Reference")
    assert [r.get("URI") for r in mrefs] == [f"urn:oid:{SS}", *(f"urn:oid:{u}" for u in DOC_IDS)]
    assert mrefs[0].findtext(f"{{{DS}}}DigestValue") == "AA=="
    assert mrefs[0].find(f"{{{DS}}}Transforms") is None
    for r in mrefs[1:]:
        assert [t.algorithm for t in xmldsig.parse_transforms(r)] == [
            "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
        ]
    # SignatureProperties in no namespace, exactly as the example and the accepted trace
    assert b'<SignatureProperties xmlns="">' in signature
    prop = root.find(f"{{{DS}}}Object/SignatureProperties/SignatureProperty")
    assert prop is not None
    assert (prop.get("Id"), prop.get("Target"), prop.text) == (
        "purposeOfSignature",
        f"#{SIG}",
        "1.2.840.10065.1.12.1.14",
    )
    qp = root.find(f"{{{DS}}}Object/{{{XA}}}QualifyingProperties")
    assert qp is not None
    assert qp.get("Target") == f"#{SIG}"
    sp = qp.find(f"{{{XA}}}SignedProperties")
    assert sp is not None
    assert sp.get("Id") == "S0-SignedProperties"
    signing_time = sp.findtext(f"{{{XA}}}SignedSignatureProperties/{{{XA}}}SigningTime") or ""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.282[+-]\d\d:\d\d", signing_time)
    assert dt.datetime.fromisoformat(signing_time) == SIGNING_TIME
    certs = sp.findall(f"{{{XA}}}SignedSignatureProperties/{{{XA}}}SigningCertificate/{{{XA}}}Cert")
    assert len(certs) == 3  # signer, PERSONNES CA, root
    chain = pki.chain("prof-sign")
    for cert_el, cert in zip(certs, chain, strict=True):
        assert cert_el.findtext(f"{{{XA}}}IssuerSerial/{{{DS}}}X509SerialNumber") == str(cert.serial_number)
        assert cert_el.find(f"{{{XA}}}CertDigest/{{{XA}}}DigestMethod") is not None  # XAdES 1.1.1 local element
    assert (
        sp.find(f"{{{XA}}}SignedSignatureProperties/{{{XA}}}SignaturePolicyIdentifier/{{{XA}}}SignaturePolicyImplied")
        is not None
    )
    assert b"CommitmentTypeIndication" not in signature


@pytest.mark.shared
def test_qualifying_properties_validate_against_xades_111(pki: TestPki, fixtures: Path) -> None:
    schemas = fixtures / "xades-schemas"

    class Local(etree.Resolver):
        def resolve(self, url: str, pubid: str, context: object) -> Any:
            if url.endswith("xmldsig-core-schema.xsd"):
                return self.resolve_filename(str(schemas / "xmldsig-core-schema.xsd"), context)
            return None

    parser = etree.XMLParser(no_network=True, load_dtd=True, resolve_entities=False)
    parser.resolvers.add(Local())
    schema = etree.XMLSchema(etree.parse(str(schemas / "XAdES.xsd"), parser))
    qp = _xml.parse_bytes(_sign(pki)).find(f"{{{DS}}}Object/{{{XA}}}QualifyingProperties")
    assert qp is not None
    standalone = _xml.parse_bytes(etree.tostring(qp))
    assert schema.validate(standalone), schema.error_log


# ------------------------------------------------------------------------------------ verification


@pytest.mark.xmlsec1
def test_our_signature_verifies_with_our_verifier_and_xmlsec1(
    pki: TestPki, tmp_path: Path, xmlsec_verify: Any, xades_id_attrs: list[str], counts: Any
) -> None:
    signature = _sign(pki)
    report = verify_submission_signature(
        signature, _docs(), trust_anchors=pki.trust_store(), submission_set_unique_id=SS
    )
    assert report.ok, report.to_dict()
    assert [r.status for r in report.manifest_references] == ["placeholder", "ok", "ok", "ok"]
    result = _xmlsec(xmlsec_verify, xades_id_attrs, tmp_path, signature, _docs())
    assert result.returncode == 0, result.stderr
    oracle = counts(result.stderr)
    assert oracle["SignedInfo References"] == (2, 2)
    assert oracle["Manifests References"] == (3, 4)  # only the AA== placeholder fails


@pytest.mark.softhsm
@pytest.mark.xmlsec1
def test_softhsm_signature_is_byte_identical_and_verifies(
    softhsm_pki: TestPki, tmp_path: Path, xmlsec_verify: Any, xades_id_attrs: list[str]
) -> None:
    software = _sign(softhsm_pki)
    with softhsm_pki.pkcs11_signer(raw_rsa=True) as card:
        hardware = _sign(softhsm_pki, signer=card)
    assert hardware == software
    assert verify_submission_signature(hardware, _docs(), trust_anchors=softhsm_pki.trust_store()).ok
    assert _xmlsec(xmlsec_verify, xades_id_attrs, tmp_path, hardware, _docs()).returncode == 0


def test_tampered_document_is_detected_and_explained(pki: TestPki) -> None:
    docs = _docs()
    signature = _sign(pki)
    changed = dict(docs)
    changed[DOC_IDS[1]] = docs[DOC_IDS[1]].replace(b"Compte", b"Konto")
    report = verify_submission_signature(signature, changed)
    assert report.signature_ok
    assert not report.ok
    statuses = {r.unique_id: r.status for r in report.manifest_references}
    assert statuses[DOC_IDS[1]] == "mismatch"
    assert statuses[DOC_IDS[0]] == "ok"
    assert any(f.rule == "xades.reference.mismatch" for f in report.findings())
    # formatting-only changes (line ends, attribute quotes) are not tampering under C14N
    reformatted = dict(docs)
    reformatted[DOC_IDS[0]] = docs[DOC_IDS[0]].replace(b"\r\n", b"\n").replace(b"b='2'", b'b="2"')
    assert verify_submission_signature(signature, reformatted).ok


def test_alternative_canonicalization_is_named(pki: TestPki) -> None:
    docs = _docs()
    signature = _sign(pki)
    raw_digest = base64.b64encode(hashlib.sha256(docs[DOC_IDS[0]]).digest())
    root = _xml.parse_bytes(signature)
    ref = root.find(f"{{{DS}}}Object/{{{DS}}}Manifest/{{{DS}}}Reference[@URI='urn:oid:{DOC_IDS[0]}']")
    assert ref is not None
    ref.find(f"{{{DS}}}DigestValue").text = raw_digest.decode()  # type: ignore[union-attr]
    report = verify_submission_signature(_xml.to_bytes(root), docs)
    doc = next(r for r in report.manifest_references if r.unique_id == DOC_IDS[0])
    assert doc.status == "mismatch"
    assert doc.alternative_match == "raw bytes, sha256"
    manifest_ref = report.signed_info_references[0]
    assert manifest_ref.status == "mismatch"  # the manifest itself changed


def test_tampered_manifest_signed_property_and_signature_value(pki: TestPki) -> None:
    docs = _docs()
    signature = _sign(pki)
    manifest = signature.replace(f"urn:oid:{DOC_IDS[2]}".encode(), b"urn:oid:1.2.3.4")
    report = verify_submission_signature(manifest, docs)
    assert report.signed_info_references[0].status == "mismatch"
    assert not report.ok
    time_changed = re.sub(rb"<SigningTime>(\d{4})", b"<SigningTime>1999", signature)
    report = verify_submission_signature(time_changed, docs)
    assert [r.status for r in report.signed_info_references] == ["ok", "mismatch"]
    root = _xml.parse_bytes(signature)
    sv = root.find(f"{{{DS}}}SignatureValue")
    assert sv is not None
    assert sv.text
    sv.text = ("A" if sv.text[0] != "A" else "B") + sv.text[1:]
    report = verify_submission_signature(_xml.to_bytes(root), docs)
    assert report.signature_value_ok is False
    assert not report.ok


def test_missing_unexpected_and_duplicated_ids(pki: TestPki) -> None:
    docs = _docs()
    signature = _sign(pki)
    extra = dict(docs, **{"1.2.250.1.999.1.1.7898.4.50": CDA})
    report = verify_submission_signature(signature, extra)
    assert {c.name: c.ok for c in report.checks}["manifest-coverage"] is False
    fewer = {k: v for k, v in docs.items() if k != DOC_IDS[2]}
    report = verify_submission_signature(signature, fewer)
    assert {r.unique_id: r.status for r in report.manifest_references}[DOC_IDS[2]] == "missing-document"
    # a second element with Id="IHEManifest" (wrapping attempt)
    wrapped = signature.replace(b"</Signature>", b'<Object><Manifest Id="IHEManifest"/></Object></Signature>')
    report = verify_submission_signature(wrapped, docs)
    assert {c.name: c.ok for c in report.checks}["ids"] is False
    assert report.signed_info_references[0].status == "unresolved"
    assert not report.ok


def test_wrong_submission_set_and_not_checked_documents(pki: TestPki) -> None:
    signature = _sign(pki)
    report = verify_submission_signature(signature, _docs(), submission_set_unique_id="1.2.3")
    assert {c.name: c.ok for c in report.checks}["manifest-submission-set"] is False
    unchecked = verify_submission_signature(signature, None)
    assert [r.status for r in unchecked.manifest_references] == [
        "placeholder",
        "not-checked",
        "not-checked",
        "not-checked",
    ]
    assert unchecked.ok


def test_untrusted_expired_and_revoked_signers(pki: TestPki) -> None:
    signature = _sign(pki, signer=pki.signer("prof-sign-revoked"))
    report = verify_submission_signature(
        signature, _docs(), trust_anchors=pki.trust_store(), at=dt.datetime.now(dt.UTC)
    )
    assert {c.name: c.ok for c in report.checks}["certificate-chain"] is False
    expired = _sign(pki, signer=pki.signer("prof-sign-expired"))
    report = verify_submission_signature(expired, _docs(), at=dt.datetime.now(dt.UTC))
    assert {c.name: c.ok for c in report.checks}["certificate-validity"] is False
    assert report.signature_ok  # cryptographically valid, but the certificate is expired


def test_signing_certificate_must_name_the_signer(pki: TestPki) -> None:
    signature = _sign(pki)
    other = pki.certificate("prof-auth")
    forged = re.sub(
        rb"<X509SerialNumber xmlns=\"http://www.w3.org/2000/09/xmldsig#\">\d+",
        b'<X509SerialNumber xmlns="http://www.w3.org/2000/09/xmldsig#">' + str(other.serial_number).encode(),
        signature,
        count=1,
    )
    report = verify_submission_signature(forged, _docs())
    assert {c.name: c.ok for c in report.checks}["signing-certificate"] is False


# -------------------------------------------------------------------------------- signxml defects, options


@pytest.mark.xmlsec1
def test_non_default_c14n_references_carry_transforms(
    pki: TestPki, tmp_path: Path, xmlsec_verify: Any, xades_id_attrs: list[str]
) -> None:
    """signxml defect: SignedProperties digested with a non-default c14n but written without Transforms."""
    for profile in (
        DmpXadesProfile(reference_c14n=_xml.C14NMethod.EXC_C14N.value),
        DmpXadesProfile(signed_info_c14n=_xml.C14NMethod.EXC_C14N.value),
    ):
        signature = _sign(pki, profile=profile)
        refs = _xml.parse_bytes(signature).findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
        has_transforms = [r.find(f"{{{DS}}}Transforms") is not None for r in refs]
        assert has_transforms == [profile.reference_c14n is not None] * 2
        assert verify_submission_signature(signature, _docs()).ok
        result = _xmlsec(xmlsec_verify, xades_id_attrs, tmp_path, signature, _docs())
        assert result.returncode == 0, result.stderr


@pytest.mark.xmlsec1
def test_signxml_xades_signer_with_exclusive_c14n_is_rejected_by_xmlsec1(
    pki: TestPki, tmp_path: Path, xmlsec_verify: Any
) -> None:
    """Documents the upstream defect our own builder avoids (see the test above)."""
    from signxml.xades import XAdESDataObjectFormat, XAdESSigner

    data = _xml.parse_bytes(b'<Doc xmlns="urn:x"><a>1</a></Doc>')
    signer = XAdESSigner(
        data_object_format=XAdESDataObjectFormat(MimeType="text/xml"),
        c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
    )
    entry = pki.entry("prof-sign")
    signed = signer.sign(data, key=pki.path(entry.key).read_bytes(), cert=pki.path(entry.chain).read_text())
    refs = signed.findall(f".//{{{DS}}}SignedInfo/{{{DS}}}Reference")
    props = [r for r in refs if (r.get("Type") or "").endswith("#SignedProperties")]
    assert props
    assert props[0].find(f"{{{DS}}}Transforms") is None
    path = tmp_path / "signxml.xml"
    path.write_bytes(etree.tostring(signed))
    ids = ["--id-attr:Id", "http://uri.etsi.org/01903/v1.3.2#:SignedProperties"]
    ids += ["--id-attr:Id", "http://www.w3.org/2000/09/xmldsig#:KeyInfo"]
    result = xmlsec_verify(path, "--insecure", *ids)
    assert result.returncode != 0
    assert "data and digest do not match" in result.stderr
    # control: the same signer with inclusive C14N 1.0 (the default digest c14n) is accepted
    control = XAdESSigner(c14n_algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
    path.write_bytes(
        etree.tostring(control.sign(data, key=pki.path(entry.key).read_bytes(), cert=pki.path(entry.chain).read_text()))
    )
    assert xmlsec_verify(path, "--insecure", *ids).returncode == 0


def test_signing_certificate_v2_and_legacy_sha1_profiles(pki: TestPki) -> None:
    v2 = _sign(pki, profile=DmpXadesProfile(signing_certificate=SigningCertificateVersion.V2))
    assert b"SigningCertificateV2" in v2
    assert b"http://uri.etsi.org/01903/v1.3.2#" in v2
    report = verify_submission_signature(v2, _docs())
    assert report.ok
    assert {c.name: c.ok for c in report.checks}["signing-certificate"]
    legacy = _sign(pki, profile=DmpXadesProfile.legacy_sha1())
    assert b"xmldsig#rsa-sha1" in legacy
    assert not verify_submission_signature(legacy, _docs()).ok
    assert verify_submission_signature(legacy, _docs(), allowed_algorithms=xmldsig.LEGACY_ALLOWED).ok
    ds_props = _sign(pki, profile=DmpXadesProfile(signature_properties_in_ds=True))
    assert b'<SignatureProperties xmlns="">' not in ds_props
    assert verify_submission_signature(ds_props, _docs()).ok


# ------------------------------------------------------------------------------------- document digests


def test_canonical_documents_are_streamed_not_parsed(tmp_path: Path) -> None:
    parsed = _xml.parse_bytes(CDA)
    canonical = _xml.canonicalize(parsed.getroottree(), _xml.C14NMethod.C14N10_COMMENTS)
    path = tmp_path / "canonical.xml"
    path.write_bytes(b'<?xml version="1.0" encoding="UTF-8"?>\n' + canonical)
    expected = document_digest(ManifestDocument("1.2.3", CDA))
    assert document_digest(ManifestDocument("1.2.3", path, canonical=True)) == expected
    assert document_digest(ManifestDocument("1.2.3", canonical, canonical=True)) == expected
    # canonical=True really skips parsing: a non-XML payload is hashed as is
    assert document_digest(ManifestDocument("1.2.3", b"not xml", canonical=True)) == hashlib.sha256(b"not xml").digest()


def test_precomputed_digest_and_algorithm_mismatch(pki: TestPki) -> None:
    digest = document_digest(ManifestDocument("x", CDA))
    docs = [ManifestDocument(DOC_IDS[0], PrecomputedDigest(digest))]
    signature = _sign(pki, documents=docs)
    assert verify_submission_signature(signature, {DOC_IDS[0]: CDA}).ok
    with pytest.raises(InputError, match="pre-computed digest is sha1"):
        document_digest(ManifestDocument("x", PrecomputedDigest(b"\x00" * 20, "sha1")))


def test_invalid_lots_are_refused(pki: TestPki) -> None:
    with pytest.raises(InputError, match="at least one document"):
        _sign(pki, documents=[])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="must all differ"):
        _sign(pki, documents=[ManifestDocument(SS, CDA)])


def test_report_is_json_ready(pki: TestPki) -> None:
    data = verify_submission_signature(_sign(pki), _docs()).to_dict()
    assert data["ok"] is True
    assert data["signed_info_references"][0]["uri"] == "#IHEManifest"
    assert data["manifest_references"][0]["status"] == "placeholder"
    assert data["certificate"]["subject"].endswith("C=FR")


def test_cda_builder_output_is_signed_without_parsing(pki: TestPki, tmp_path: Path) -> None:
    """The CDA builder emits its documents in C14N-with-comments form: canonical=True, path and digest agree."""
    from dmpclient.cda import build_n1
    from dmpclient.cda.demo import demo_header

    built = build_n1(demo_header(), b"texte du compte rendu", media_type="text/plain")
    path = tmp_path / "cda.xml"
    path.write_bytes(built.read_bytes())
    parsed = document_digest(ManifestDocument(built.unique_id, built.read_bytes()))
    assert document_digest(ManifestDocument(built.unique_id, path, canonical=True)) == parsed
    assert bytes.fromhex(built.sha256) == parsed
    signature = _sign(
        pki, documents=[ManifestDocument(built.unique_id, PrecomputedDigest(bytes.fromhex(built.sha256)))]
    )
    assert verify_submission_signature(signature, {built.unique_id: path}).ok
