"""The test PKI: names, key usages, extensions, files, variants, and consistency with the acting context."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dmpclient.context import AuthenticationMode
from dmpclient.errors import CertificateError, ConfigurationError
from dmpclient.ids import INS
from dmpclient.security.certificates import verify_chain
from dmpclient.security.pki import TEST_POLICY_OID, TestPki, create_test_pki
from dmpclient.security.vihf import build_vihf


def _ku(cert: x509.Certificate) -> x509.KeyUsage:
    return cert.extensions.get_extension_for_class(x509.KeyUsage).value


def _eku(cert: x509.Certificate) -> list[x509.ObjectIdentifier]:
    return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def test_ca_hierarchy_is_named_like_igc_sante_test(pki: TestPki) -> None:
    root = x509.load_pem_x509_certificate(pki.path("ca/root.cert.pem").read_bytes())
    assert root.subject.rfc4514_string() == (
        "CN=TEST AC RACINE IGC-SANTE ELEMENTAIRE,OU=IGC-SANTE TEST,OU=0002 187512751,O=ASIP-SANTE,C=FR"
    )
    assert (
        pki.certificate("ej-sign").issuer.rfc4514_string().startswith("CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS,")
    )
    assert (
        pki.certificate("prof-sign").issuer.rfc4514_string().startswith("CN=TEST AC IGC-SANTE ELEMENTAIRE PERSONNES,")
    )


def test_professional_certificates_are_cps_like(pki: TestPki) -> None:
    sign, auth = pki.certificate("prof-sign"), pki.certificate("prof-auth")
    assert sign.subject.rfc4514_string() == "2.5.4.42=MAX+2.5.4.4=LIBRE+CN=899900063480,2.5.4.12=Médecin,C=FR"
    assert len(sign.subject.rdns[-1]) == 3  # multi-valued RDN GN + SN + CN
    assert _ku(sign).content_commitment
    assert not _ku(sign).digital_signature
    assert _eku(sign) == [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    assert _ku(auth).digital_signature
    assert not _ku(auth).content_commitment
    assert _eku(auth) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    speciality = sign.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.2.250.1.71.4.2.5")).value
    assert isinstance(speciality, x509.UnrecognizedExtension)
    assert speciality.value.endswith(b"SM26")
    policies = sign.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier.dotted_string for p in policies] == [TEST_POLICY_OID]


@pytest.mark.parametrize(("name", "idnat"), [("ej-sign", "11B0062640"), ("eg-sign", "10B0156832")])
def test_structure_sign_certificates(pki: TestPki, name: str, idnat: str) -> None:
    cert = pki.certificate(name)
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == idnat
    assert cert.subject.get_attributes_for_oid(NameOID.STATE_OR_PROVINCE_NAME)
    assert _ku(cert).digital_signature
    assert _ku(cert).content_commitment
    assert _eku(cert) == [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    auth = pki.certificate(name.replace("sign", "auth"))
    assert _eku(auth) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert not _ku(auth).content_commitment


def test_server_certificate_names_localhost_and_loopback(pki: TestPki) -> None:
    san = pki.certificate("dmp-server").extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert _eku(pki.certificate("dmp-server")) == [ExtendedKeyUsageOID.SERVER_AUTH]


def test_valid_expired_and_revoked_variants(pki: TestPki) -> None:
    store = pki.trust_store()
    now = dt.datetime.now(dt.UTC)
    for name in ("prof-sign", "prof-auth", "ej-auth", "ej-sign", "eg-auth", "eg-sign", "dmp-server"):
        assert verify_chain(pki.certificate(name), store, at=now).ok
    for name in ("prof-sign-expired", "dmp-server-expired", "ej-auth-expired"):
        assert pki.entry(name).expired
        with pytest.raises(CertificateError, match="not valid at"):
            verify_chain(pki.certificate(name), store, at=now)
    for name in ("prof-sign-revoked", "ej-sign-revoked", "ej-auth-revoked"):
        assert pki.entry(name).revoked
        with pytest.raises(CertificateError, match="revoked"):
            verify_chain(pki.certificate(name), store, at=now)
        assert verify_chain(pki.certificate(name), pki.trust_store(with_crls=False), at=now).ok


def test_files_manifest_and_permissions(pki: TestPki) -> None:
    manifest = json.loads(pki.path("manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "dmpclient-test-pki/1"
    assert set(manifest["entries"]) == set(pki.entries)
    e = pki.entry("ej-auth")
    assert stat.S_IMODE(pki.path(e.key).stat().st_mode) == 0o600
    key, cert, extra = pkcs12.load_key_and_certificates(pki.path(e.p12 or "").read_bytes(), pki.password.encode())
    assert cert == pki.certificate("ej-auth")
    assert key is not None
    assert len(extra) == 2
    reloaded = TestPki.load(pki.directory)
    assert reloaded.entries == pki.entries
    assert reloaded.identities == pki.identities


def test_existing_pki_is_not_overwritten(pki: TestPki) -> None:
    with pytest.raises(ConfigurationError, match="already holds"):
        create_test_pki(pki.directory)


def test_unknown_entry_and_non_pki_folder(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> None:
    with pytest.raises(ConfigurationError, match="no such certificate"):
        pki.entry("nope")
    with pytest.raises(ConfigurationError, match="not a dmpclient test PKI"):
        TestPki.load(tmp_path_factory.mktemp("empty"))


@pytest.mark.parametrize(
    ("mode", "signer"),
    [
        (AuthenticationMode.DIRECTE, "prof-sign"),
        (AuthenticationMode.INDIRECTE, "ej-sign"),
        (AuthenticationMode.INDIRECTE, "eg-sign"),
    ],
)
def test_acting_context_is_consistent_with_the_certificates(
    pki: TestPki, mode: AuthenticationMode, signer: str
) -> None:
    context = pki.acting_context(mode)
    token = build_vihf(context, INS.parse("277076322082910"), signer=pki.signer(signer))
    assert token.vihf.identifiant_structure == (
        "499900063480001" if mode is AuthenticationMode.DIRECTE else "10B0156832"
    )
