"""A local test PKI shaped like IGC-Santé TEST (``test-data.md`` §6, ``vihf.md`` §3).

:func:`create_test_pki` (and ``dmpclient pki init DIR``) writes a root and two intermediate CAs named like the
IGC-Santé test hierarchy, and the certificates the DMP world uses:

=====================  ==========================================================================================
name                   what
=====================  ==========================================================================================
``prof-sign``          CPS-like **signature** certificate of the professional (nonRepudiation, emailProtection)
``prof-auth``          CPS-like **authentication** certificate (digitalSignature, clientAuth)
``ej-auth``/``ej-sign``  ORG AUTH_CLI (TLS client) and ORG SIGN (VIHF, XAdES) of the hospital's FINESS **EJ**
``eg-auth``/``eg-sign``  the same for the FINESS **EG** (older setups hold them on the site)
``dmp-server``         the DMP server certificate for ``localhost`` and ``127.0.0.1`` (sandbox TLS)
``*-expired``          expired variants (``dmp-server``, ``prof-sign``, ``ej-auth``)
``*-revoked``          revoked-looking variants (``prof-sign``, ``ej-sign``, ``ej-auth``), listed in the CRLs
=====================  ==========================================================================================

Each is written as PEM (certificate, chain, unencrypted PKCS#8 key with mode 0600) and PKCS#12, described in
``manifest.json``. With ``softhsm=True`` the professional's two key pairs are also loaded into a SoftHSM2 token
like a CPS3 card (``CKA_ID`` 0x10 signature, 0x20 authentication). **Test material only**: the password and PIN
are written in the manifest on purpose.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dmpclient.context import ActingContext, AuthenticationMode, Professional, SoftwareIdentity, Structure
from dmpclient.errors import ConfigurationError
from dmpclient.security.certificates import TrustStore, certificate_fingerprint, dn_string
from dmpclient.security.reports import KEY_USAGE_FIELDS, extended_key_usages, key_usages
from dmpclient.security.signers import SoftwareSigner, load_certificates

if TYPE_CHECKING:
    from dmpclient.security.pkcs11 import Pkcs11Signer
    from dmpclient.security.tls import TlsIdentity

__all__ = [
    "TEST_POLICY_OID",
    "PkiEntry",
    "PkiIdentities",
    "TestPki",
    "create_test_pki",
]

#: IGC-Santé test certificate policy.
TEST_POLICY_OID: Final = "1.2.250.1.213.1.7.2.1.1.1.1"
#: Extensions seen on IGC-Santé professional certificates (profession, speciality; ``vihf.md`` §3).
OID_PROFESSION: Final = x509.ObjectIdentifier("1.2.250.1.71.1.2.7")
OID_SITUATION: Final = x509.ObjectIdentifier("1.2.250.1.71.1.2.5")
OID_SPECIALITY: Final = x509.ObjectIdentifier("1.2.250.1.71.4.2.5")

MANIFEST_NAME: Final = "manifest.json"
MANIFEST_FORMAT: Final = "dmpclient-test-pki/1"
_IGC_OUS: Final = ("IGC-SANTE TEST", "0002 187512751")


@dataclass(frozen=True)
class PkiIdentities:
    """Who the test certificates belong to (defaults mirror the official examples' identities)."""

    professional_id: str = "899900063480"
    professional_family: str = "LIBRE"
    professional_given: str = "MAX"
    profession: str = "10"
    profession_display: str = "Médecin"
    specialty: str = "SM26"
    specialty_display: str = "Qualifié en Médecine Générale (SM)"
    cabinet_id: str = "499900063480001"
    cabinet_name: str = "CABINET DR LIBRE"
    ej_id: str = "11B0062640"
    ej_name: str = "HOPITAL DES 3 DAMES"
    eg_id: str = "10B0156832"
    eg_name: str = "HOPITAL DES 3 DAMES - SITE PRINCIPAL"
    department: str = "Paris (75)"
    software_name: str = "dmpclient"
    software_version: str = "0.1"
    homologation_number: str = "TEST-000000-tmp1"
    software_oid_root: str = "1.2.250.1.999.1.1.7898"
    server_names: tuple[str, ...] = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class PkiEntry:
    """One certificate of the test PKI and its files (paths relative to the PKI folder)."""

    name: str
    role: str
    description: str
    subject: str
    issuer: str
    serial_number: str
    not_before: str
    not_after: str
    sha256: str
    key_usage: list[str]
    extended_key_usage: list[str]
    cert: str
    key: str
    chain: str
    p12: str | None = None
    idnat: str | None = None
    expired: bool = False
    revoked: bool = False


@dataclass(frozen=True)
class SoftHsmInfo:
    """The SoftHSM2 token of the PKI (``SOFTHSM2_CONF`` must point at ``conf`` before loading ``module``)."""

    conf: str
    module: str
    token_label: str
    pin: str
    so_pin: str
    signature_key_label: str
    signature_key_id: str
    authentication_key_label: str
    authentication_key_id: str


@dataclass
class TestPki:
    """A test PKI on disk: entries by name, helpers to get signers, TLS identities and trust stores."""

    __test__ = False  # not a pytest test class

    directory: Path
    password: str
    entries: dict[str, PkiEntry]
    identities: PkiIdentities = field(default_factory=PkiIdentities)
    softhsm: SoftHsmInfo | None = None

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> TestPki:
        """Read a PKI created by :func:`create_test_pki` (its ``manifest.json``)."""
        root = Path(directory)
        try:
            data = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(
                f"not a dmpclient test PKI: {exc}", field="pki", value=str(root), rule=MANIFEST_FORMAT
            ) from None
        if data.get("format") != MANIFEST_FORMAT:
            raise ConfigurationError("unknown PKI manifest format", field="pki", value=data.get("format"))
        ident = data.get("identities", {})
        if "server_names" in ident:
            ident["server_names"] = tuple(ident["server_names"])
        return cls(
            directory=root,
            password=data["password"],
            entries={k: PkiEntry(**v) for k, v in data["entries"].items()},
            identities=PkiIdentities(**ident),
            softhsm=SoftHsmInfo(**data["softhsm"]) if data.get("softhsm") else None,
        )

    def path(self, relative: str) -> Path:
        """Absolute path of a file of the PKI."""
        return self.directory / relative

    def entry(self, name: str) -> PkiEntry:
        """An entry by name (``prof-sign``, ``ej-auth``…)."""
        try:
            return self.entries[name]
        except KeyError:
            raise ConfigurationError(
                "no such certificate in the test PKI", field="name", value=name, rule=", ".join(self.entries)
            ) from None

    def certificate(self, name: str) -> x509.Certificate:
        """The certificate of an entry."""
        return load_certificates(self.path(self.entry(name).cert))[0]

    def chain(self, name: str) -> list[x509.Certificate]:
        """Leaf first, up to the root."""
        return load_certificates(self.path(self.entry(name).chain))

    def signer(self, name: str = "prof-sign") -> SoftwareSigner:
        """A software signer over an entry's key (loaded once)."""
        e = self.entry(name)
        return SoftwareSigner.from_pem(self.path(e.key), self.path(e.chain))

    def tls_identity(self, name: str = "ej-auth") -> TlsIdentity:
        """A TLS client (or server) identity from an entry's PKCS#12."""
        from dmpclient.security.tls import TlsIdentity

        e = self.entry(name)
        if e.p12 is None:
            raise ConfigurationError("this entry has no PKCS#12", field="name", value=name)
        return TlsIdentity.from_pkcs12(self.path(e.p12), self.password)

    def trust_store(self, *, with_crls: bool = True) -> TrustStore:
        """The root as anchor, the two intermediates, and the CRLs."""
        crls = sorted((self.directory / "crl").glob("*.pem")) if with_crls else []
        return TrustStore.from_pem(
            self.path("ca/root.cert.pem"),
            intermediates=[self.path("ca/organisations.cert.pem"), self.path("ca/personnes.cert.pem")],
            crls=crls,
        )

    def pkcs11_signer(self, *, key: str = "signature", raw_rsa: bool = False) -> Pkcs11Signer:
        """A :class:`~dmpclient.security.pkcs11.Pkcs11Signer` on the SoftHSM2 token of the PKI.

        ``SOFTHSM2_CONF`` must already point at :attr:`SoftHsmInfo.conf` when the module is first loaded in
        this process (SoftHSM reads it once).
        """
        from dmpclient.security.pkcs11 import Pkcs11Signer

        if self.softhsm is None:
            raise ConfigurationError("this PKI has no SoftHSM2 token (create it with softhsm=True)", field="softhsm")
        info = self.softhsm
        label = info.signature_key_label if key == "signature" else info.authentication_key_label
        return Pkcs11Signer.open(
            info.module, token_label=info.token_label, key_label=label, pin=info.pin, raw_rsa=raw_rsa
        )

    def acting_context(self, mode: AuthenticationMode | str = AuthenticationMode.DIRECTE) -> ActingContext:
        """An :class:`~dmpclient.context.ActingContext` consistent with the PKI's certificates.

        DIRECTE: the professional at the cabinet (sign with ``prof-sign``); INDIRECTE / AIR: the professional
        at the hospital's EG, certificates on the EJ (sign with ``ej-sign``).
        """
        ids = self.identities
        m = AuthenticationMode(mode)
        prof = Professional.create(
            ids.professional_id,
            ids.professional_family,
            ids.professional_given,
            profession=ids.profession,
            profession_display=ids.profession_display,
            specialty=ids.specialty,
            specialty_display=ids.specialty_display,
        )
        if m is AuthenticationMode.DIRECTE:
            structure = Structure.create(ids.cabinet_id, ids.cabinet_name, secteur_activite="SA07")
        else:
            structure = Structure.create(
                ids.eg_id,
                ids.eg_name,
                secteur_activite="SA01",
                cadre_exercice="ETABLISSEMENT",
                finess_level="EG",
                legal_entity=ids.ej_id,
            )
        software = SoftwareIdentity(
            name=ids.software_name,
            version=ids.software_version,
            homologation_number=ids.homologation_number,
            oid_root=ids.software_oid_root,
        )
        return ActingContext(professional=prof, structure=structure, authentication_mode=m, software=software)

    def to_dict(self) -> dict[str, Any]:
        """The manifest content."""
        return {
            "format": MANIFEST_FORMAT,
            "password": self.password,
            "identities": asdict(self.identities),
            "entries": {k: asdict(v) for k, v in self.entries.items()},
            "softhsm": asdict(self.softhsm) if self.softhsm else None,
        }


# ------------------------------------------------------------------------------------------- creation


@dataclass
class _Issued:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate


@dataclass(frozen=True)
class _LeafProfile:
    """What a leaf certificate is (its expired / revoked test variants share it)."""

    role: str
    subject: x509.Name
    issuer: _Issued
    ku: x509.KeyUsage
    eku: list[x509.ObjectIdentifier]
    idnat: str | None = None
    extra: Sequence[tuple[x509.ObjectIdentifier, bytes]] = ()
    san: list[x509.GeneralName] | None = None


def _igc_name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR")]),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ASIP-SANTE")]),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _IGC_OUS[1])]),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _IGC_OUS[0])]),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, cn)]),
        ]
    )


def _structure_name(department: str, name: str, idnat: str, cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, department),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, idnat),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _professional_name(ids: PkiIdentities) -> x509.Name:
    return x509.Name(
        [
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR")]),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.TITLE, ids.profession_display)]),
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.GIVEN_NAME, ids.professional_given),
                    x509.NameAttribute(NameOID.SURNAME, ids.professional_family),
                    x509.NameAttribute(NameOID.COMMON_NAME, ids.professional_id),
                ]
            ),
        ]
    )


def _utf8_seq(value: str) -> bytes:
    raw = value.encode("utf-8")
    inner = bytes([0x0C, len(raw)]) + raw
    return bytes([0x30, len(inner)]) + inner


def _builder(
    subject: x509.Name,
    issuer: _Issued | None,
    public: rsa.RSAPublicKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.CertificateBuilder:
    issuer_name = issuer.cert.subject if issuer else subject
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    signer_public = issuer.key.public_key() if issuer else public
    return b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_public), critical=False)


def _ku(**flags: bool) -> x509.KeyUsage:
    return x509.KeyUsage(**{n: flags.get(n, False) for n in KEY_USAGE_FIELDS}, encipher_only=False, decipher_only=False)


def _policies() -> x509.CertificatePolicies:
    return x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(TEST_POLICY_OID), None)])


def create_test_pki(
    directory: str | os.PathLike[str],
    *,
    identities: PkiIdentities | None = None,
    password: str = "dmpclient-test",  # noqa: S107 - test material, written in the manifest on purpose
    key_size: int = 2048,
    now: dt.datetime | None = None,
    softhsm: bool = False,
    softhsm_pin: str = "123456",
    softhsm_so_pin: str = "12345678",
    softhsm_token_label: str = "CPS MAX LIBRE",  # noqa: S107 - a token label, not a secret
    overwrite: bool = False,
    key_factory: Callable[[int], rsa.RSAPrivateKey] | None = None,
) -> TestPki:
    """Create a test PKI in ``directory`` (see the module docstring for its content).

    Args:
        identities: whose certificates (defaults: MAX LIBRE ``899900063480``, cabinet ``499900063480001``,
            hospital EJ ``11B0062640`` / EG ``10B0156832``).
        password: the PKCS#12 password.
        key_size: RSA key size.
        now: the reference time (validity periods start one day before).
        softhsm: also create a SoftHSM2 token with the professional's two key pairs (needs ``softhsm2-util``
            and python-pkcs11).
        overwrite: allow writing into a folder that already holds a PKI.
    """
    ids = identities or PkiIdentities()
    root_dir = Path(directory)
    if (root_dir / MANIFEST_NAME).exists() and not overwrite:
        raise ConfigurationError(
            "the folder already holds a test PKI", field="directory", value=str(root_dir), rule="use overwrite=True"
        )
    for sub in ("ca", "certs", "crl"):
        (root_dir / sub).mkdir(parents=True, exist_ok=True)
    t0 = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0) - dt.timedelta(days=1)
    make_key = key_factory or (lambda size: rsa.generate_private_key(public_exponent=65537, key_size=size))

    def ca(cn: str, issuer: _Issued | None, path_length: int | None) -> _Issued:
        key = make_key(key_size)
        b = _builder(_igc_name(cn), issuer, key.public_key(), t0, t0 + dt.timedelta(days=3650))
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        b = b.add_extension(_ku(key_cert_sign=True, crl_sign=True), critical=True)
        cert = b.sign((issuer.key if issuer else key), hashes.SHA256())
        return _Issued(key, cert)

    root = ca("TEST AC RACINE IGC-SANTE ELEMENTAIRE", None, 1)
    orgs = ca("TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS", root, 0)
    pers = ca("TEST AC IGC-SANTE ELEMENTAIRE PERSONNES", root, 0)

    entries: dict[str, PkiEntry] = {}
    issued: dict[str, _Issued] = {}
    revoked: dict[str, list[x509.Certificate]] = {"organisations": [], "personnes": []}

    def leaf(
        name: str,
        description: str,
        profile: _LeafProfile,
        *,
        expired: bool = False,
        is_revoked: bool = False,
        key: rsa.RSAPrivateKey | None = None,
    ) -> None:
        k = key or make_key(key_size)
        start, end = (
            (t0 - dt.timedelta(days=3 * 365), t0 - dt.timedelta(days=365))
            if expired
            else (
                t0,
                t0 + dt.timedelta(days=3 * 365),
            )
        )
        issuer = profile.issuer
        b = _builder(profile.subject, issuer, k.public_key(), start, end)
        b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        b = b.add_extension(profile.ku, critical=True)
        b = b.add_extension(x509.ExtendedKeyUsage(profile.eku), critical=False)
        b = b.add_extension(_policies(), critical=False)
        if profile.san:
            b = b.add_extension(x509.SubjectAlternativeName(profile.san), critical=False)
        for oid, value in profile.extra:
            b = b.add_extension(x509.UnrecognizedExtension(oid, value), critical=False)
        cert = b.sign(issuer.key, hashes.SHA256())
        issued[name] = _Issued(k, cert)
        chain = [cert, issuer.cert, root.cert]
        entries[name] = _write_leaf(
            root_dir, name, profile.role, description, k, chain, password, profile.idnat, expired, is_revoked
        )
        if is_revoked:
            revoked["personnes" if issuer is pers else "organisations"].append(cert)

    prof_ext = [
        (OID_PROFESSION, bytes([0x02, 0x01, int(ids.profession)]) if ids.profession.isdigit() else b"\x05\x00"),
        (OID_SITUATION, bytes.fromhex("040183")),
        (OID_SPECIALITY, _utf8_seq(ids.specialty)),
    ]
    email = [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    client = [ExtendedKeyUsageOID.CLIENT_AUTH]
    prof_sign = _LeafProfile(
        "cps-signature",
        _professional_name(ids),
        pers,
        _ku(content_commitment=True),
        email,
        idnat=ids.professional_id,
        extra=prof_ext,
    )
    leaf("prof-sign", "CPS-like signature certificate (signs VIHF and XAdES in DIRECTE mode)", prof_sign)
    leaf(
        "prof-auth",
        "CPS-like authentication certificate (TLS client in DIRECTE mode)",
        replace(prof_sign, role="cps-authentication", ku=_ku(digital_signature=True), eku=client),
    )
    org_auth: dict[str, _LeafProfile] = {}
    org_sign: dict[str, _LeafProfile] = {}
    for level, idnat, org in (("ej", ids.ej_id, ids.ej_name), ("eg", ids.eg_id, ids.eg_name)):
        org_auth[level] = _LeafProfile(
            "org-auth-cli",
            _structure_name(ids.department, org, idnat, f"DMPCLIENT TEST AUTH_CLI {idnat}"),
            orgs,
            _ku(digital_signature=True),
            client,
            idnat,
        )
        org_sign[level] = _LeafProfile(
            "org-sign",
            _structure_name(ids.department, org, idnat, f"DMPCLIENT TEST SIGN {idnat}"),
            orgs,
            _ku(digital_signature=True, content_commitment=True),
            email,
            idnat,
        )
        leaf(f"{level}-auth", f"ORG AUTH_CLI of the FINESS {level.upper()} {idnat} (TLS client)", org_auth[level])
        leaf(f"{level}-sign", f"ORG SIGN of the FINESS {level.upper()} {idnat} (VIHF, XAdES)", org_sign[level])
    san: list[x509.GeneralName] = []
    for host in ids.server_names:
        try:
            import ipaddress

            san.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            san.append(x509.DNSName(host))
    server_subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "DMPCLIENT SANDBOX"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "SSL_SERV TEST"),
            x509.NameAttribute(NameOID.COMMON_NAME, ids.server_names[0]),
        ]
    )
    server = _LeafProfile(
        "server",
        server_subject,
        orgs,
        _ku(digital_signature=True, key_encipherment=True),
        [ExtendedKeyUsageOID.SERVER_AUTH],
        san=san,
    )
    leaf("dmp-server", "DMP server certificate (sandbox TLS)", server)
    # negative-test variants: the same profiles, expired or revoked
    leaf("dmp-server-expired", "expired DMP server certificate (negative tests)", server, expired=True)
    leaf("prof-sign-expired", "expired signature certificate (negative tests)", prof_sign, expired=True)
    leaf("ej-auth-expired", "expired ORG AUTH_CLI (negative tests)", org_auth["ej"], expired=True)
    leaf("prof-sign-revoked", "revoked signature certificate (in the CRL)", prof_sign, is_revoked=True)
    leaf("ej-sign-revoked", "revoked ORG SIGN (in the CRL)", org_sign["ej"], is_revoked=True)
    leaf("ej-auth-revoked", "revoked ORG AUTH_CLI (in the CRL)", org_auth["ej"], is_revoked=True)

    for label, ca_ in (("root", root), ("organisations", orgs), ("personnes", pers)):
        _write(root_dir / "ca" / f"{label}.cert.pem", ca_.cert.public_bytes(serialization.Encoding.PEM))
        _write(root_dir / "ca" / f"{label}.key.pem", _pkcs8(ca_.key), private=True)
    _write(root_dir / "trust-anchors.pem", root.cert.public_bytes(serialization.Encoding.PEM))
    _write(
        root_dir / "trust-bundle.pem",
        b"".join(c.cert.public_bytes(serialization.Encoding.PEM) for c in (root, orgs, pers)),
    )
    for label, ca_ in (("organisations", orgs), ("personnes", pers)):
        crl = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_.cert.subject)
            .last_update(t0)
            .next_update(t0 + dt.timedelta(days=30))
        )
        for cert in revoked[label]:
            crl = crl.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(cert.serial_number).revocation_date(t0).build()
            )
        _write(
            root_dir / "crl" / f"{label}.crl.pem",
            crl.sign(ca_.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM),
        )

    hsm: SoftHsmInfo | None = None
    if softhsm:
        from dmpclient.security.pkcs11 import CPS_AUTHENTICATION_KEY_ID, CPS_SIGNATURE_KEY_ID, init_softhsm_token

        token = init_softhsm_token(
            root_dir / "softhsm",
            token_label=softhsm_token_label,
            pin=softhsm_pin,
            so_pin=softhsm_so_pin,
            keys=[
                ("CPS signature", CPS_SIGNATURE_KEY_ID, issued["prof-sign"].key, issued["prof-sign"].cert),
                ("CPS authentification", CPS_AUTHENTICATION_KEY_ID, issued["prof-auth"].key, issued["prof-auth"].cert),
            ],
            ca_certificates=[pers.cert, root.cert],
        )
        hsm = SoftHsmInfo(
            conf=str(token.conf),
            module=token.module,
            token_label=token.token_label,
            pin=softhsm_pin,
            so_pin=softhsm_so_pin,
            signature_key_label="CPS signature",
            signature_key_id=CPS_SIGNATURE_KEY_ID.hex(),
            authentication_key_label="CPS authentification",
            authentication_key_id=CPS_AUTHENTICATION_KEY_ID.hex(),
        )
    pki = TestPki(directory=root_dir, password=password, entries=entries, identities=ids, softhsm=hsm)
    manifest = pki.to_dict()
    manifest["created"] = (t0 + dt.timedelta(days=1)).isoformat()
    manifest["note"] = "dmpclient local TEST PKI — not IGC-Santé, never trust it outside tests"
    _write(root_dir / MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
    return pki


def _pkcs8(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    if private:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(path, 0o600)
    else:
        path.write_bytes(data)


def _write_leaf(
    root_dir: Path,
    name: str,
    role: str,
    description: str,
    key: rsa.RSAPrivateKey,
    chain: list[x509.Certificate],
    password: str,
    idnat: str | None,
    expired: bool,
    revoked: bool,
) -> PkiEntry:
    cert = chain[0]
    base = f"certs/{name}"
    pem = cert.public_bytes(serialization.Encoding.PEM)
    _write(root_dir / f"{base}.cert.pem", pem)
    _write(root_dir / f"{base}.chain.pem", b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
    _write(root_dir / f"{base}.key.pem", _pkcs8(key), private=True)
    p12 = pkcs12.serialize_key_and_certificates(
        name.encode(),
        key,
        cert,
        chain[1:],
        serialization.BestAvailableEncryption(password.encode()),
    )
    _write(root_dir / f"{base}.p12", p12, private=True)
    return PkiEntry(
        name=name,
        role=role,
        description=description,
        subject=dn_string(cert.subject),
        issuer=dn_string(cert.issuer),
        serial_number=str(cert.serial_number),
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=cert.not_valid_after_utc.isoformat(),
        sha256=certificate_fingerprint(cert),
        key_usage=key_usages(cert),
        extended_key_usage=extended_key_usages(cert),
        cert=f"{base}.cert.pem",
        key=f"{base}.key.pem",
        chain=f"{base}.chain.pem",
        p12=f"{base}.p12",
        idnat=idnat,
        expired=expired,
        revoked=revoked,
    )
