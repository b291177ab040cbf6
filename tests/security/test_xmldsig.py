"""Our XML-DSig core: reference octets (default c14n, enveloped, comments), certificates, DN strings."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from lxml import etree

from dmpclient import _xml
from dmpclient.errors import CertificateError, SignatureError
from dmpclient.security import xmldsig
from dmpclient.security.certificates import dn_string, parse_dn, same_dn
from dmpclient.security.xmldsig import ENVELOPED, Transform

DS = _xml.NS["ds"]


def test_default_reference_c14n_avoids_the_lxml_xmlns_trap() -> None:
    root = _xml.parse_bytes(b'<S xmlns="urn:x"><SI><R><DM/></R></SI></S>')
    si = root[0]
    # lxml in place emits a spurious xmlns="" on the grandchild …
    assert b'<DM xmlns="">' in etree.tostring(si, method="c14n")
    # … our reference octets (inclusive C14N 1.0, the XML-DSig default) do not.
    assert xmldsig.reference_octets(si, []) == b'<SI xmlns="urn:x"><R><DM></DM></R></SI>'


def test_enveloped_transform_removes_the_signature_and_keeps_surrounding_text() -> None:
    root = _xml.parse_bytes(
        b'<a xmlns:u="urn:u" ID="x">t1<ds:Signature xmlns:ds="%s"><x/></ds:Signature>t2<b/></a>' % DS.encode()
    )
    sig = root[0]
    octets = xmldsig.reference_octets(
        root, [Transform(ENVELOPED), Transform(_xml.C14NMethod.EXC_C14N.value)], signature=sig
    )
    assert octets == b'<a ID="x">t1t2<b></b></a>'
    # the tree itself is untouched
    assert root[0] is sig


def test_same_document_reference_drops_comments_even_with_a_with_comments_transform() -> None:
    root = _xml.parse_bytes(b"<a><!-- c --><b/></a>")
    with_comments = Transform(_xml.C14NMethod.C14N10_COMMENTS.value)
    assert xmldsig.reference_octets(root, [with_comments]) == b"<a><b></b></a>"
    assert xmldsig.reference_octets(root, [with_comments], same_document=False) == b"<a><!-- c --><b></b></a>"


def test_unsupported_transform_is_refused() -> None:
    root = _xml.parse_bytes(b"<a/>")
    with pytest.raises(SignatureError, match="unsupported transform"):
        xmldsig.reference_octets(root, [Transform("http://www.w3.org/TR/1999/REC-xpath-19991116")])


def test_transforms_round_trip_with_inclusive_namespaces() -> None:
    el = xmldsig.transforms_element(
        [Transform(ENVELOPED), Transform(_xml.C14NMethod.EXC_C14N.value, ("ds", "#default"))]
    )
    ref = etree.Element(f"{{{DS}}}Reference")
    ref.append(el)
    parsed = xmldsig.parse_transforms(_xml.parse_bytes(_xml.to_bytes(ref)))
    assert parsed == [Transform(ENVELOPED), Transform(_xml.C14NMethod.EXC_C14N.value, ("ds", "#default"))]


def test_b64decode_ignores_line_breaks_and_refuses_garbage() -> None:
    assert xmldsig.b64decode("AA\n==") == b"\x00"
    with pytest.raises(SignatureError, match="not valid base64"):
        xmldsig.b64decode("***")


def test_digest_uris() -> None:
    assert xmldsig.digest_uri("sha256") == "http://www.w3.org/2001/04/xmlenc#sha256"
    assert xmldsig.signature_method_uri("rsa-sha256") == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    assert xmldsig.digest(b"x", "http://www.w3.org/2001/04/xmlenc#sha256") == hashlib.sha256(b"x").digest()
    with pytest.raises(SignatureError):
        xmldsig.digest_uri("md5")
    assert "http://www.w3.org/2000/09/xmldsig#sha1" not in xmldsig.DEFAULT_ALLOWED
    assert "http://www.w3.org/2000/09/xmldsig#sha1" in xmldsig.LEGACY_ALLOWED


@pytest.mark.shared
def test_public_key_is_read_from_a_certificate_cryptography_refuses(official_examples: Path) -> None:
    """The direct VIHF example's IGC-CPS certificate has an unsorted multi-valued RDN (not DER)."""
    root = _xml.parse_file(official_examples / "vihf-directe-signe.xml")
    der, cert, error = xmldsig.certificate_from_b64(root.findtext(f".//{{{DS}}}X509Certificate"))
    assert cert is None
    assert error is not None
    assert "SetOrdering" in error
    key = xmldsig.public_key_from_certificate_der(der)
    assert key.key_size >= 1024


@pytest.mark.shared
def test_dn_string_matches_the_official_examples(official_examples: Path) -> None:
    air = _xml.parse_file(official_examples / "vihf-indirecte-renforcee-signe.xml")
    _, cert, _ = xmldsig.certificate_from_b64(air.findtext(f".//{{{DS}}}X509Certificate"))
    assert cert is not None
    issuer_text = air.findtext("{urn:oasis:names:tc:SAML:2.0:assertion}Issuer")
    assert dn_string(cert.subject) == issuer_text
    xades = _xml.parse_file(official_examples / "td2.1-signature-xades.xml")
    _, signer, _ = xmldsig.certificate_from_b64(xades.findtext(f".//{{{DS}}}X509Certificate"))
    assert signer is not None
    assert dn_string(signer.issuer) == xades.findtext(f".//{{{DS}}}X509IssuerName")


def test_parse_dn_decodes_hex_values_of_unknown_types() -> None:
    text = "CN=899900038839+2.5.4.4=#14045452414c+2.5.4.42=#14064144454d4953,OU=M?decin,O=TEST,C=FR"
    rdns = parse_dn(text)
    assert rdns[0] == [("2.5.4.3", "899900038839"), ("2.5.4.4", "TRAL"), ("2.5.4.42", "ADEMIS")]
    assert rdns[-1] == [("2.5.4.6", "FR")]
    assert same_dn(text, "cn=899900038839 + SN=TRAL + GN=ademis, OU=M?decin, O=TEST, C=FR")
    assert not same_dn(text, "CN=899900038839+SN=TRAL+GN=ADEMIS,OU=Médecin,O=TEST,C=FR")


def test_parse_dn_handles_escapes_and_refuses_garbage() -> None:
    assert parse_dn(r"CN=A\, B,O=X\2BY") == [[("2.5.4.3", "A, B")], [("2.5.4.10", "X+Y")]]
    with pytest.raises(CertificateError):
        parse_dn("not a dn")
