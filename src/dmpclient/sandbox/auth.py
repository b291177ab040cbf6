"""Authentication of every sandbox call: the VIHF (``vihf.md`` §2–6) and, over TLS, the client certificate.

:class:`Authenticator` runs the checks in the order a SAML-protected CXF service does them, and answers the
first failure with a SOAP 1.2 fault (:class:`~dmpclient.sandbox.SandboxFault`, HTTP 500):

=========================  =============================  ===================================================
check                      subcode                        reason (French; verbatim when the reference has it)
=========================  =============================  ===================================================
one VIHF in wsse:Security  ``wsse:InvalidSecurity``       "Le VIHF est absent de l'en-tête de sécurité" [I]
well-formed assertion      ``wsse:InvalidSecurityToken``  "Le VIHF est mal formé : …" [I]
signed                     ``wsse:FailedCheck``           "Le VIHF n'est pas signé" [I]
algorithms                 ``wsse:UnsupportedAlgorithm``  "Algorithme de signature du VIHF non autorisé : …" [I]
digest / SignatureValue    ``wsse:FailedCheck``           "La signature du VIHF est invalide" [I]
certificate                ``DMPInvalidCertificate``      "Le certificat ayant signé le VIHF est invalide : …"
clock window               ``wsse:MessageExpired``        "VIHF expiré"
attributes                 ``wsse:InvalidSecurityToken``  "Le champ Resource_id est incorrect : <value>",
                                                          "Aucune spécialité dans le vihf. Spécialité
                                                          obligatoire pour les Médecins…", …
AIR replay                 ``wsse:InvalidSecurityToken``  "VIHF déjà utilisé" [I]
structure ⇄ certificate    ``wsse:FailedAuthentication``  "Erreur d'authentification de la personne morale"
person ⇄ certificate       ``wsse:FailedAuthentication``  "Erreur d'authentification de la personne physique" [I]
=========================  =============================  ===================================================

The DMP's own codes and messages are used where the reference gives them (``errors.md`` §2.1); elsewhere the
WS-Security 1.1 standard fault codes (what a CXF/WSS4J front end sends) with French reasons of our own,
marked [I]. The English explanation goes in ``soap:Detail``. The table is :data:`AUTH_FAULTS`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from cryptography import x509
from cryptography.x509.oid import NameOID
from lxml import etree

from dmpclient._xml import NS, q
from dmpclient.context import AccessMode, AuthenticationMode, CardType
from dmpclient.errors import InputError, SignatureError
from dmpclient.ids import INS, ProfessionalId, StructureId
from dmpclient.sandbox._interfaces import Caller, SandboxFault
from dmpclient.sandbox.config import SandboxConfig
from dmpclient.security import xmldsig
from dmpclient.security.certificates import dn_string
from dmpclient.security.vihf import (
    A_RESOURCE_ID,
    INVISIBLE_REPRESENTANTS_LEGAUX,
    Vihf,
    VihfVerification,
    format_instant,
    parse_vihf,
    verify_vihf,
)
from dmpclient.soap import ParsedEnvelope

__all__ = [
    "AUTH_FAULTS",
    "AuthFailure",
    "AuthResult",
    "Authenticator",
    "ReplayCache",
    "TlsPeer",
    "certificate_person_ids",
    "certificate_structure_ids",
    "guess_card_type",
]

_WSSE: Final = NS["wsse"]
_SAML: Final = NS["saml2"]
_DS: Final = NS["ds"]
#: TRE_A00 (non-PS roles: SECRETARIAT_MEDICAL, AUTOMATE…) — a CPE holder in DIRECTE mode.
TRE_A00: Final = "1.2.250.1.213.1.1.4.6"
#: TRE_G15 professions.
TRE_G15: Final = "1.2.250.1.71.1.2.7"
#: TRE_G16 student professions (CPF cards) — OID assumed [?].
TRE_G16: Final = "1.2.250.1.71.1.2.8"


class AuthFailure(StrEnum):
    """Kinds of authentication failure (keys of :data:`AUTH_FAULTS`)."""

    NO_TOKEN = "no-token"  # noqa: S105 - a failure kind, not a password
    MULTIPLE_TOKENS = "multiple-tokens"
    MALFORMED = "malformed"
    UNSIGNED = "unsigned"
    ALGORITHM = "algorithm"
    SIGNATURE = "signature"
    CERTIFICATE = "certificate"
    EXPIRED = "expired"
    ATTRIBUTE = "attribute"
    REPLAY = "replay"
    STRUCTURE = "structure"
    PERSON = "person"


#: Fault subcode and French reason per failure; ``{…}`` placeholders are filled by the check.
AUTH_FAULTS: Final[Mapping[AuthFailure, tuple[str, str]]] = {
    AuthFailure.NO_TOKEN: (f"{{{_WSSE}}}InvalidSecurity", "Le VIHF est absent de l'en-tête de sécurité"),
    AuthFailure.MULTIPLE_TOKENS: (
        f"{{{_WSSE}}}InvalidSecurity",
        "L'en-tête de sécurité doit contenir un et un seul VIHF",
    ),
    AuthFailure.MALFORMED: (f"{{{_WSSE}}}InvalidSecurityToken", "Le VIHF est mal formé : {reason}"),
    AuthFailure.UNSIGNED: (f"{{{_WSSE}}}FailedCheck", "Le VIHF n'est pas signé"),
    AuthFailure.ALGORITHM: (
        f"{{{_WSSE}}}UnsupportedAlgorithm",
        "Algorithme de signature du VIHF non autorisé : {reason}",
    ),
    AuthFailure.SIGNATURE: (f"{{{_WSSE}}}FailedCheck", "La signature du VIHF est invalide"),
    AuthFailure.CERTIFICATE: ("DMPInvalidCertificate", "Le certificat ayant signé le VIHF est invalide : {reason}"),
    AuthFailure.EXPIRED: (f"{{{_WSSE}}}MessageExpired", "VIHF expiré"),
    AuthFailure.ATTRIBUTE: (f"{{{_WSSE}}}InvalidSecurityToken", "{reason}"),
    AuthFailure.REPLAY: (f"{{{_WSSE}}}InvalidSecurityToken", "VIHF déjà utilisé"),
    AuthFailure.STRUCTURE: (f"{{{_WSSE}}}FailedAuthentication", "Erreur d'authentification de la personne morale"),
    AuthFailure.PERSON: (f"{{{_WSSE}}}FailedAuthentication", "Erreur d'authentification de la personne physique"),
}

#: The DMP's wording for a certificate that cannot sign a VIHF (``errors.md`` §2.1).
NOT_A_SIGNATURE_CERTIFICATE: Final = "Not a valid signature certificate"


class AuthError(SandboxFault):
    """A :class:`SandboxFault` raised by the authenticator, with the failure kind and the check's name."""

    def __init__(self, kind: AuthFailure, *, reason: str = "", detail: str | None = None, check: str = "") -> None:
        subcode, template = AUTH_FAULTS[kind]
        self.kind = kind
        self.check = check or kind.value
        super().__init__("Sender", subcode, template.format(reason=reason), detail=detail)


@dataclass(frozen=True, slots=True)
class TlsPeer:
    """What the TLS layer knows about the client (ASGI ``scope["extensions"]["tls"]``).

    Attributes:
        certificate: the client's leaf certificate (None when it sent none).
        chain: the other certificates it sent, when the server could read them.
        tls_version / cipher: negotiated protocol and suite, when known.
    """

    certificate: x509.Certificate | None
    chain: tuple[x509.Certificate, ...] = ()
    tls_version: str | None = None
    cipher: str | None = None

    @classmethod
    def from_scope(cls, scope: Mapping[str, Any]) -> TlsPeer | None:
        """Read the ASGI TLS extension (``client_cert_chain`` = PEM strings, leaf first); None without TLS."""
        extensions = scope.get("extensions") or {}
        tls = extensions.get("tls")
        if tls is None:
            return None
        certs = []
        for pem in tls.get("client_cert_chain") or ():
            data = pem.encode("ascii") if isinstance(pem, str) else bytes(pem)
            certs.append(x509.load_pem_x509_certificate(data))
        version = tls.get("tls_version")
        return cls(
            certificate=certs[0] if certs else None,
            chain=tuple(certs[1:]),
            tls_version=str(version) if version is not None else None,
            cipher=tls.get("cipher_suite") if isinstance(tls.get("cipher_suite"), str) else None,
        )


@dataclass(frozen=True, slots=True)
class AuthResult:
    """A successful authentication: the token, its verification report and the caller."""

    vihf: Vihf
    verification: VihfVerification | None
    caller: Caller
    signing_certificate: x509.Certificate | None = None


class ReplayCache:
    """Assertion IDs already used, until they expire (thread-safe)."""

    def __init__(self) -> None:
        self._seen: dict[str, dt.datetime] = {}
        self._lock = threading.Lock()

    def check_and_add(self, assertion_id: str, *, expires_at: dt.datetime, now: dt.datetime) -> bool:
        """Record ``assertion_id``; False when it was already recorded and has not expired yet."""
        with self._lock:
            if len(self._seen) > 1024:
                for key in [k for k, v in self._seen.items() if v <= now]:
                    del self._seen[key]
            previous = self._seen.get(assertion_id)
            if previous is not None and previous > now:
                return False
            self._seen[assertion_id] = expires_at
            return True

    def clear(self) -> None:
        """Forget every ID."""
        with self._lock:
            self._seen.clear()

    def __len__(self) -> int:
        return len(self._seen)


# --------------------------------------------------------------------------------------- identities


def _attribute_values(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in cert.subject.get_attributes_for_oid(oid) if isinstance(a.value, str)]


def certificate_structure_ids(cert: x509.Certificate) -> list[str]:
    """Structure IdNats written in a certificate's OU (ORG AUTH_CLI / ORG SIGN: ``OU=<Struct IdNat>``)."""
    out = []
    for value in _attribute_values(cert, NameOID.ORGANIZATIONAL_UNIT_NAME):
        try:
            out.append(StructureId.parse(value.strip()).idnat)
        except InputError:
            continue
    return out


def certificate_person_ids(cert: x509.Certificate) -> list[str]:
    """Person IdNats written in a certificate's CN (CPS-like certificates: ``CN=<IdNat>``)."""
    out = []
    for value in _attribute_values(cert, NameOID.COMMON_NAME):
        try:
            out.append(ProfessionalId.parse(value.strip()).value)
        except InputError:
            continue
    return out


def _key_usage(cert: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def guess_card_type(vihf: Vihf) -> CardType | None:
    """The card of a DIRECTE token: CPE (``<structure>/<card>`` NameID or TRE_A00 role), CPF (TRE_G16), CPS."""
    if (vihf.authentification_mode or "").upper() != AuthenticationMode.DIRECTE.value:
        return None
    profession = vihf.profession
    if "/" in vihf.name_id or (profession is not None and profession.code_system == TRE_A00):
        return CardType.CPE
    if profession is not None and profession.code_system == TRE_G16:
        return CardType.CPF
    return CardType.CPS


def _signing_certificate(assertion: etree._Element) -> x509.Certificate | None:
    text = assertion.findtext(f"{{{_DS}}}Signature/{{{_DS}}}KeyInfo/{{{_DS}}}X509Data/{{{_DS}}}X509Certificate")
    if not text:
        return None
    try:
        _, cert, _ = xmldsig.certificate_from_b64(text)
    except (SignatureError, ValueError):
        return None
    return cert


# ----------------------------------------------------------------------------------- authenticator

_SIGNATURE_CHECKS: Final = {
    "assertion": AuthFailure.MULTIPLE_TOKENS,
    "parse": AuthFailure.MALFORMED,
    "signature-present": AuthFailure.MALFORMED,
    "reference": AuthFailure.SIGNATURE,
    "algorithms": AuthFailure.ALGORITHM,
    "digest": AuthFailure.SIGNATURE,
    "key-info": AuthFailure.SIGNATURE,
    "signature-value": AuthFailure.SIGNATURE,
    "certificate-chain": AuthFailure.CERTIFICATE,
    "certificate-validity": AuthFailure.CERTIFICATE,
    "key-usage": AuthFailure.CERTIFICATE,
    "issuer": AuthFailure.CERTIFICATE,
    "validity-window": AuthFailure.EXPIRED,
}


class Authenticator:
    """Checks the VIHF and the TLS client certificate of each call against a :class:`SandboxConfig`."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.replay = ReplayCache()
        self._algorithms = xmldsig.LEGACY_ALLOWED if config.allow_sha1 else xmldsig.DEFAULT_ALLOWED

    def authenticate(
        self,
        envelope: ParsedEnvelope,
        *,
        peer: TlsPeer | None,
        now: dt.datetime,
        transaction: str | None = None,
    ) -> AuthResult:
        """Authenticate one call.

        Args:
            envelope: the parsed request envelope.
            peer: the TLS client (None in-process: the TLS checks are skipped).
            now: the sandbox clock.
            transaction: the TD id (decides whether ``resource-id`` may be absent).

        Raises:
            AuthError: the first failed check, as a SOAP fault.
        """
        assertion = self._single_assertion(envelope)
        try:
            vihf = parse_vihf(assertion)
        except (InputError, ValueError) as exc:
            raise AuthError(AuthFailure.MALFORMED, reason=_short(exc), detail=str(exc), check="parse") from None
        mode = self._mode(vihf)
        verification: VihfVerification | None = None
        signer = _signing_certificate(assertion)
        if vihf.signed:
            verification = self._verify_signature(assertion, vihf, mode, now)
        elif self.config.require_signature:
            raise AuthError(AuthFailure.UNSIGNED, detail="the assertion carries no ds:Signature", check="signed")
        self._check_time(vihf, mode, now)
        patient = self._check_attributes(vihf, transaction)
        if signer is not None and self.config.check_signing_certificate:
            self._check_signer(vihf, mode, signer)
        tls_structures: list[str] = []
        tls_persons: list[str] = []
        if peer is not None:
            if peer.certificate is not None:
                tls_structures = certificate_structure_ids(peer.certificate)
                tls_persons = certificate_person_ids(peer.certificate)
            if self.config.check_tls_binding:
                self._check_tls(vihf, mode, peer)
        self._check_replay(vihf, mode, now)
        purpose = vihf.purpose_of_use
        access = AccessMode(purpose.code) if purpose is not None else AccessMode.NORMAL
        secteur = vihf.secteur_activite.split("^", 1)[0] if vihf.secteur_activite else None
        caller = Caller(
            auth_mode=mode,
            professional_id=vihf.name_id,
            structure_id=vihf.identifiant_structure or "",
            secteur_activite=secteur,
            profession=vihf.profession,
            specialty=vihf.specialty,
            card_type=guess_card_type(vihf),
            access_mode=access,
            access_reason=vihf.access_reason,
            secret_connection=(
                vihf.confidentiality_code is not None
                and vihf.confidentiality_code.code == INVISIBLE_REPRESENTANTS_LEGAUX
            ),
            patient=patient,
            subject_id=vihf.subject_id,
            software_name=vihf.lps_nom,
            software_version=vihf.lps_version,
            software_id=vihf.lps_id,
            homologation_number=vihf.lps_id_homologation_dmp,
            tls_structure_id=tls_structures[0] if tls_structures else None,
            tls_professional_id=tls_persons[0] if tls_persons else None,
            signer_structure_id=_first(certificate_structure_ids(signer)) if signer is not None else None,
            signer_professional_id=_first(certificate_person_ids(signer)) if signer is not None else None,
        )
        return AuthResult(vihf=vihf, verification=verification, caller=caller, signing_certificate=signer)

    # -- steps

    def _single_assertion(self, envelope: ParsedEnvelope) -> etree._Element:
        if envelope.security is None:
            raise AuthError(AuthFailure.NO_TOKEN, detail="no wsse:Security header", check="token")
        everywhere = list(envelope.envelope.iter(q("saml2", "Assertion")))
        in_security = envelope.security.findall(q("saml2", "Assertion"))
        if not in_security:
            raise AuthError(AuthFailure.NO_TOKEN, detail="wsse:Security holds no saml2:Assertion", check="token")
        if len(in_security) > 1 or len(everywhere) > 1:
            raise AuthError(
                AuthFailure.MULTIPLE_TOKENS,
                detail=f"{len(everywhere)} saml2:Assertion elements in the message; exactly one is allowed",
                check="token",
            )
        return in_security[0]

    def _mode(self, vihf: Vihf) -> AuthenticationMode:
        raw = (vihf.authentification_mode or "").strip()
        try:
            return AuthenticationMode(raw.upper())
        except ValueError:
            raise AuthError(
                AuthFailure.ATTRIBUTE,
                reason=f"Le champ Authentification_mode est incorrect : {raw}",
                detail="Authentification_mode must be DIRECTE, INDIRECTE or INDIRECTE_RENFORCEE",
                check="mode",
            ) from None

    def _lifetime(self, mode: AuthenticationMode) -> dt.timedelta | None:
        if mode is AuthenticationMode.INDIRECTE_RENFORCEE:
            return self.config.air_lifetime
        return self.config.max_age

    def _verify_signature(
        self, assertion: etree._Element, vihf: Vihf, mode: AuthenticationMode, now: dt.datetime
    ) -> VihfVerification:
        report = verify_vihf(
            assertion,
            trust_anchors=self.config.trust,
            at=now,
            allowed_algorithms=self._algorithms,
            max_clock_skew=self.config.max_clock_skew,
            max_age=self._lifetime(mode),
            require_issuer_match=self.config.require_issuer_match,
            raise_on_failure=False,
        )
        for check in report.checks:
            if not check.failed:
                continue
            kind = _SIGNATURE_CHECKS.get(check.name, AuthFailure.SIGNATURE)
            if kind is AuthFailure.EXPIRED:
                continue  # reported by _check_time with the mode's lifetime, after the signature checks
            reason = check.message
            if kind is AuthFailure.ALGORITHM:
                reason = check.message.removeprefix("algorithm(s) not allowed: ")
            raise AuthError(kind, reason=reason, detail=f"{check.name}: {check.message}", check=check.name)
        return report

    def _check_time(self, vihf: Vihf, mode: AuthenticationMode, now: dt.datetime) -> None:
        skew = self.config.max_clock_skew
        lifetime = self._lifetime(mode)
        problems = []
        if vihf.issue_instant > now + skew:
            problems.append(f"IssueInstant {format_instant(vihf.issue_instant)} is in the future")
        if lifetime is not None and now - vihf.issue_instant > lifetime + skew:
            problems.append(f"IssueInstant {format_instant(vihf.issue_instant)} is older than {lifetime}")
        if vihf.not_before is not None and now + skew < vihf.not_before:
            problems.append(f"not valid before {format_instant(vihf.not_before)}")
        if vihf.not_on_or_after is not None and now - skew >= vihf.not_on_or_after:
            problems.append(f"expired at {format_instant(vihf.not_on_or_after)}")
        if problems:
            raise AuthError(
                AuthFailure.EXPIRED,
                detail="; ".join(problems) + f" (sandbox time {format_instant(now)})",
                check="validity-window",
            )

    def _check_attributes(self, vihf: Vihf, transaction: str | None) -> INS | None:
        findings = [f for f in vihf.check() if f.is_error]
        if vihf.vihf_version and vihf.vihf_version not in self.config.accepted_vihf_versions:
            raise AuthError(
                AuthFailure.ATTRIBUTE,
                reason=f"Le champ VIHF_Version est incorrect : {vihf.vihf_version}",
                detail=f"accepted versions: {', '.join(sorted(self.config.accepted_vihf_versions))}",
                check="version",
            )
        for finding in findings:
            if finding.rule == "vihf.mode":
                continue  # the value was accepted case-insensitively by _mode
            if finding.rule == "vihf.version" and vihf.vihf_version in self.config.accepted_vihf_versions:
                continue
            reason = finding.message_fr
            if reason is None:
                if finding.rule == "vihf.missing":
                    reason = f"Le champ {finding.location} est obligatoire"
                else:
                    reason = f"Le champ {finding.location} est incorrect : {finding.value or ''}".rstrip()
            raise AuthError(AuthFailure.ATTRIBUTE, reason=reason, detail=finding.message, check=finding.rule)
        if vihf.resource_id is None:
            if transaction is not None and transaction in self.config.patientless_transactions:
                return None
            raise AuthError(
                AuthFailure.ATTRIBUTE,
                reason="Le champ Resource_id est incorrect : ",
                detail=f"attribute {A_RESOURCE_ID} is mandatory for {transaction or 'this transaction'}",
                check="resource-id",
            )
        try:
            return INS.from_cx(vihf.resource_id).check_dmp_access(self.config.environment_kind)
        except InputError as exc:
            raise AuthError(
                AuthFailure.ATTRIBUTE,
                reason=f"Le champ Resource_id est incorrect : {vihf.resource_id}",
                detail=str(exc),
                check="resource-id",
            ) from None

    def _check_signer(self, vihf: Vihf, mode: AuthenticationMode, cert: x509.Certificate) -> None:
        if mode is not AuthenticationMode.INDIRECTE_RENFORCEE:
            ku = _key_usage(cert)
            if ku is not None and not ku.content_commitment:
                raise AuthError(
                    AuthFailure.CERTIFICATE,
                    reason=NOT_A_SIGNATURE_CERTIFICATE,
                    detail=f"{dn_string(cert.subject)} has no nonRepudiation KeyUsage: an authentication "
                    "certificate signed the VIHF (sign with the card's signature key / the ORG SIGN certificate)",
                    check="signing-certificate-usage",
                )
        if mode is AuthenticationMode.DIRECTE:
            persons = certificate_person_ids(cert)
            if persons and vihf.name_id not in persons:
                raise AuthError(
                    AuthFailure.PERSON,
                    detail=f"the VIHF is signed by {persons[0]}'s card but its NameID is {vihf.name_id}",
                    check="signing-certificate-holder",
                )
        else:
            structures = certificate_structure_ids(cert)
            if structures and not self._structure_matches(structures, vihf.identifiant_structure):
                raise AuthError(
                    AuthFailure.STRUCTURE,
                    detail=f"the VIHF is signed by a certificate of {', '.join(structures)}; "
                    f"Identifiant_Structure is {vihf.identifiant_structure}",
                    check="signing-certificate-structure",
                )

    def _structure_matches(self, cert_structures: Sequence[str], structure: str | None) -> bool:
        if not structure:
            return False
        return any(s == structure or structure in self.config.eg_of(s) for s in cert_structures)

    def _check_tls(self, vihf: Vihf, mode: AuthenticationMode, peer: TlsPeer) -> None:
        cert = peer.certificate
        if cert is None:
            if not self.config.require_client_certificate:
                return
            kind = AuthFailure.PERSON if mode is AuthenticationMode.DIRECTE else AuthFailure.STRUCTURE
            raise AuthError(kind, detail="no TLS client certificate", check="tls-client-certificate")
        if mode is AuthenticationMode.DIRECTE:
            persons = certificate_person_ids(cert)
            if vihf.name_id not in persons:
                raise AuthError(
                    AuthFailure.PERSON,
                    detail=f"TLS client certificate {dn_string(cert.subject)} is not the card of the VIHF "
                    f"NameID {vihf.name_id}",
                    check="tls-person",
                )
            return
        structures = certificate_structure_ids(cert)
        if not self._structure_matches(structures, vihf.identifiant_structure):
            raise AuthError(
                AuthFailure.STRUCTURE,
                detail=f"TLS client certificate of {', '.join(structures) or dn_string(cert.subject)}; VIHF "
                f"Identifiant_Structure {vihf.identifiant_structure} (EJ/EG map: "
                f"{ {k: sorted(v) for k, v in self.config.ej_eg.items()} })",
                check="tls-structure",
            )

    def _check_replay(self, vihf: Vihf, mode: AuthenticationMode, now: dt.datetime) -> None:
        air = mode is AuthenticationMode.INDIRECTE_RENFORCEE
        if not ((air and self.config.air_single_use) or self.config.replay_all_modes):
            return
        lifetime = self._lifetime(mode) or dt.timedelta(days=1)
        expires = vihf.issue_instant + lifetime + self.config.max_clock_skew
        if vihf.not_on_or_after is not None:
            expires = max(expires, vihf.not_on_or_after + self.config.max_clock_skew)
        if not self.replay.check_and_add(vihf.assertion_id, expires_at=expires, now=now):
            raise AuthError(
                AuthFailure.REPLAY,
                detail=f"assertion {vihf.assertion_id} was already used (AIR tokens are single use, EX_AIR-040)",
                check="replay",
            )


def _first(values: Sequence[str]) -> str | None:
    return values[0] if values else None


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text.split("\n", 1)[0][:200]
