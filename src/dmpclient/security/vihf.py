"""The VIHF: the signed SAML 2.0 assertion carried by every DMP call (reference ``vihf.md``).

* :class:`Vihf` — every attribute of the token, typed; :meth:`Vihf.check` applies the DMP's value rules.
* :func:`build_vihf` — derives the assertion from an :class:`~dmpclient.context.ActingContext` (never typed
  twice) and signs it (enveloped XML-DSig, exclusive c14n, RSA-SHA256, SHA-256, ``X509Certificate`` only).
* :func:`parse_vihf` — reads any token (ours, the official examples, a SOAP envelope carrying one).
* :func:`verify_vihf` — the sandbox's verifier: signature, algorithm allow-list, anti-wrapping rules, chain
  to the configured anchors, validity window; returns a :class:`VihfVerification` report.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, field_validator

from dmpclient import _xml
from dmpclient._models import InputModel
from dmpclient._xml import NS
from dmpclient.context import AccessMode, ActingContext, AuthenticationMode
from dmpclient.errors import (
    CertificateError,
    Finding,
    InputError,
    RuleViolation,
    Severity,
    SignatureError,
    TokenError,
    ValidationFailed,
)
from dmpclient.ids import INS, StructureId
from dmpclient.security import xmldsig
from dmpclient.security.certificates import TrustStore, dn_string, same_dn
from dmpclient.security.reports import CertificateInfo, Check, chain_check, checks_to_findings
from dmpclient.security.signers import Signer

__all__ = [
    "AIR_LIFETIME",
    "A_CONFIDENTIALITY",
    "A_MODE",
    "A_PURPOSE",
    "A_REASON",
    "A_RESOURCE_ID",
    "A_ROLE",
    "A_STRUCTURE",
    "INVISIBLE_REPRESENTANTS_LEGAUX",
    "AuthnContextClass",
    "CodedValue",
    "ReasonPlacement",
    "SignedVihf",
    "Vihf",
    "VihfOptions",
    "VihfVerification",
    "build_vihf",
    "find_assertion",
    "format_instant",
    "parse_instant",
    "parse_vihf",
    "sign_assertion",
    "verify_vihf",
]

SAML: Final = NS["saml2"]
DS: Final = NS["ds"]
XSI: Final = NS["xsi"]
XS: Final = NS["xs"]
HL7: Final = NS["hl7"]

#: AIR tokens live 30 seconds and are single use (EX_AIR-040).
AIR_LIFETIME: Final = dt.timedelta(seconds=30)

X509_SUBJECT_NAME: Final = "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"

# Attribute names, in the order of the official examples.
A_STRUCTURE: Final = "Identifiant_Structure"
A_SECTEUR: Final = "Secteur_Activite"
A_SUBJECT_ID: Final = "urn:oasis:names:tc:xspa:1.0:subject:subject-id"
A_ROLE: Final = "urn:oasis:names:tc:xacml:2.0:subject:role"
A_VERSION: Final = "VIHF_Version"
A_MODE: Final = "Authentification_mode"
A_RESOURCE_ID: Final = "urn:oasis:names:tc:xacml:2.0:resource:resource-id"
A_RESOURCE_URN: Final = "Ressource_URN"
A_PURPOSE: Final = "urn:oasis:names:tc:xspa:1.0:subject:purposeofuse"
A_CONFIDENTIALITY: Final = "urn:oasis:names:tc:xspa:1.0:resource:patient:hl7:confidentiality-code"
A_LPS_ID: Final = "LPS_ID"
A_LPS_NOM: Final = "LPS_Nom"
A_LPS_VERSION: Final = "LPS_Version"
A_LPS_HOMOLOGATION: Final = "LPS_ID_HOMOLOGATION_DMP"
#: Default attribute carrying the bris de glace reason ([I]: the Pro Santé Connect claim of the same name).
A_REASON: Final = "Mode_Acces_Raison"

#: Legacy names of the old GIE C# sample: reported by the parser, never emitted.
LEGACY_ATTRIBUTES: Final = frozenset({"Profession", "Mode_Acces", "LPS_Type", "Confidentiality_code"})

PURPOSE_SYSTEM: Final = "1.2.250.1.213.1.1.4.248"
PURPOSE_SYSTEM_NAME: Final = "mode acces VIHF 2.0"
CONFIDENTIALITY_SYSTEM: Final = "1.2.250.1.213.1.1.4.13"
INVISIBLE_REPRESENTANTS_LEGAUX: Final = "INVISIBLE_REPRESENTANTS_LEGAUX"
_CONFIDENTIALITY_DISPLAY: Final = "Non visible par les représentants légaux du patient"
_SECTEUR_RE: Final = re.compile(r"^[^^\s]+\^[0-2](\.(0|[1-9][0-9]*))+$")
_NCNAME_RE: Final = re.compile(r"^[A-Za-z_][\w.\-]*$")


class AuthnContextClass(StrEnum):
    """SAML authentication context classes met in DMP tokens."""

    SMARTCARD_PKI = "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI"
    PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"  # noqa: S105 - a SAML class URI
    PASSWORD_PROTECTED_TRANSPORT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"  # noqa: S105 - a SAML class URI
    TIME_SYNC_TOKEN = "urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken"  # noqa: S105 - a SAML class URI
    X509 = "urn:oasis:names:tc:SAML:2.0:ac:classes:X509"
    UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"


class ReasonPlacement(StrEnum):
    """Where the bris de glace reason travels (not visible in any public example: ``vihf.md`` §2 [?])."""

    ATTRIBUTE = "attribute"
    """A separate string attribute (default name ``Mode_Acces_Raison``)."""
    NONE = "none"
    """Not sent in the VIHF (the software keeps it in its own access trace)."""


class CodedValue(InputModel):
    """An HL7 v3 ``CE`` value inside a VIHF attribute (Role, PurposeOfUse, ConfidentialityCode)."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(min_length=1)
    code_system: str = Field(min_length=1)
    code_system_name: str | None = None
    display_name: str | None = None


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def format_instant(value: dt.datetime) -> str:
    """``2019-06-26T08:08:55.849Z``: UTC, millisecond precision, ``Z`` suffix (``vihf.md`` §6)."""
    v = _utc(value)
    return v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond // 1000:03d}Z"


def parse_instant(text: str) -> dt.datetime:
    """Parse an ``xs:dateTime`` (``Z`` or offset; naive values are taken as UTC)."""
    try:
        return _utc(dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        raise InputError("not an xs:dateTime", field="IssueInstant", value=text, rule="SAML dateTime") from None


class Vihf(InputModel):
    """Every attribute of a VIHF token (``vihf.md`` §1–2), with its assertion envelope.

    Structural constraints are enforced by the model; the DMP's value rules (IdNat, INS CX, codes, speciality
    of médecins…) by :meth:`check`, so that a token read from a capture can be shown even when it breaks them.
    """

    model_config = ConfigDict(frozen=True)

    assertion_id: str
    issue_instant: dt.datetime
    issuer: str
    issuer_format: str | None = X509_SUBJECT_NAME
    name_id: str = Field(min_length=1)
    authn_instant: dt.datetime | None = None
    authn_context_class_ref: str | None = None
    authn_context_decl: str | None = None
    not_before: dt.datetime | None = None
    not_on_or_after: dt.datetime | None = None

    identifiant_structure: str | None = None
    secteur_activite: str | None = None
    subject_id: str | None = None
    roles: list[CodedValue] = []  # noqa: RUF012 - a pydantic field (copied per instance)
    vihf_version: str | None = None
    authentification_mode: str | None = None
    resource_id: str | None = None
    ressource_urn: str | None = None
    purpose_of_use: CodedValue | None = None
    access_reason: str | None = None
    confidentiality_code: CodedValue | None = None
    lps_id: str | None = None
    lps_nom: str | None = None
    lps_version: str | None = None
    lps_id_homologation_dmp: str | None = None

    extra_attributes: dict[str, list[str]] = {}  # noqa: RUF012 - a pydantic field (copied per instance)
    legacy_attributes: list[str] = []  # noqa: RUF012 - a pydantic field (copied per instance)
    notes: list[str] = []  # noqa: RUF012 - a pydantic field (copied per instance)
    signed: bool = False

    @field_validator("issue_instant", "authn_instant", "not_before", "not_on_or_after")
    @classmethod
    def _utc_times(cls, value: dt.datetime | None) -> dt.datetime | None:
        return _utc(value) if value is not None else None

    @property
    def profession(self) -> CodedValue | None:
        """First role value: the profession (TRE_G15) or a TRE_A00 non-PS role."""
        return self.roles[0] if self.roles else None

    @property
    def specialty(self) -> CodedValue | None:
        """Second role value: the savoir-faire (TRE_R01)."""
        return self.roles[1] if len(self.roles) > 1 else None

    @property
    def patient(self) -> INS | None:
        """The patient INS read from ``resource-id`` (None when absent or invalid)."""
        if not self.resource_id:
            return None
        try:
            return INS.from_cx(self.resource_id)
        except InputError:
            return None

    def check(self) -> list[Finding]:
        """The DMP's value rules for the attributes (``vihf.md`` §2–4, §7). Returns findings, never raises."""
        out: list[Finding] = []

        def err(rule: str, field: str, message: str, value: object = None, fr: str | None = None) -> None:
            out.append(
                Finding(
                    rule=f"vihf.{rule}",
                    message=message,
                    location=field,
                    value=None if value is None else str(value),
                    message_fr=fr,
                )
            )

        if not _NCNAME_RE.match(self.assertion_id):
            err("id", "ID", "the assertion ID must be an xs:ID (NCName)", self.assertion_id)
        for name, value in (
            (A_STRUCTURE, self.identifiant_structure),
            (A_SECTEUR, self.secteur_activite),
            (A_VERSION, self.vihf_version),
            (A_MODE, self.authentification_mode),
            (A_RESOURCE_URN, self.ressource_urn),
            (A_PURPOSE, self.purpose_of_use),
            (A_LPS_NOM, self.lps_nom),
            (A_LPS_VERSION, self.lps_version),
            (A_LPS_HOMOLOGATION, self.lps_id_homologation_dmp),
        ):
            if value is None or value == "":
                err("missing", name, f"attribute {name} is mandatory")
        if self.identifiant_structure:
            try:
                StructureId.parse(self.identifiant_structure)
            except InputError as exc:
                err("structure", A_STRUCTURE, f"not a structure IdNat: {exc.reason}", self.identifiant_structure)
        if self.secteur_activite and not _SECTEUR_RE.match(self.secteur_activite):
            err("secteur", A_SECTEUR, "expected <code>^<OID> (TRE_R02, 1.2.250.1.71.4.2.4)", self.secteur_activite)
        if not self.roles:
            err("role", A_ROLE, "the role attribute needs at least the profession")
        elif len(self.roles) > 4:
            err("role", A_ROLE, "the role attribute has at most 4 values", len(self.roles))
        else:
            prof = self.roles[0]
            if prof.code_system == "1.2.250.1.71.1.2.7" and prof.code in ("10", "21") and len(self.roles) < 2:
                err(
                    "specialty",
                    A_ROLE,
                    "médecins and pharmaciens must carry their speciality (TRE_R01) as 2nd role value",
                    prof.code,
                    "Aucune spécialité dans le vihf. Spécialité obligatoire pour les Médecins…",
                )
        if self.vihf_version and self.vihf_version not in ("3.0", "4.0"):
            err("version", A_VERSION, "VIHF_Version must be 3.0 or 4.0", self.vihf_version)
        if self.authentification_mode and self.authentification_mode not in {m.value for m in AuthenticationMode}:
            err("mode", A_MODE, "DIRECTE, INDIRECTE or INDIRECTE_RENFORCEE expected", self.authentification_mode)
        if self.resource_id is not None:
            try:
                INS.from_cx(self.resource_id)
            except InputError:
                err(
                    "resource-id",
                    A_RESOURCE_ID,
                    "the patient INS must be <matricule 15>^^^&<INS OID>&ISO^NH",
                    self.resource_id,
                    f"Le champ Resource_id est incorrect : {self.resource_id}",
                )
        if self.ressource_urn and self.ressource_urn != "urn:dmp":
            err("resource-urn", A_RESOURCE_URN, "Ressource_URN is the constant urn:dmp", self.ressource_urn)
        if self.purpose_of_use is not None:
            if self.purpose_of_use.code_system != PURPOSE_SYSTEM or self.purpose_of_use.code not in {
                m.value for m in AccessMode
            }:
                err("purpose", A_PURPOSE, "purpose of use must be a TRE_R248 code", self.purpose_of_use.code)
            if self.purpose_of_use.code == AccessMode.BRIS_DE_GLACE and self.access_reason == "":
                err("reason", A_REASON, "bris de glace with an empty reason", "")
        if self.confidentiality_code is not None and self.confidentiality_code.code != INVISIBLE_REPRESENTANTS_LEGAUX:
            err(
                "confidentiality",
                A_CONFIDENTIALITY,
                "the only confidentiality code of a VIHF is INVISIBLE_REPRESENTANTS_LEGAUX (JDV_J64)",
                self.confidentiality_code.code,
            )
        for legacy in self.legacy_attributes:
            out.append(
                Finding(
                    rule="vihf.legacy",
                    message=f"legacy attribute {legacy} (old GIE sample) is not part of the current VIHF",
                    severity=Severity.WARNING,
                    location=legacy,
                )
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return self.model_dump(mode="json")


# ------------------------------------------------------------------------------------------- building


class VihfOptions(InputModel):
    """Choices where the reference is open ([I]/[?] in ``vihf.md``), with the defaults we chose.

    Attributes:
        indirect_authn_context: ``AuthnContextClassRef`` in INDIRECTE mode. Default ``Password``: the most
            recent real accepted trace (2023); the GIE example shows ``SmartcardPKI``, the ANS automated
            profile ``unspecified``.
        air_authn_context: the user's primary authentication method in AIR mode (default ``Password``).
        authn_context_decl: optional ``AuthnContextDecl`` text (the GIE AIR example repeats SmartcardPKI).
        reason_placement / reason_attribute: where the bris de glace reason travels.
        confidentiality_as_string: write the secret-connection code as a plain ``xs:string`` instead of an
            HL7 ``CE`` element (the encoding is not public).
        include_subject_id: emit ``subject-id`` (default: in INDIRECTE and AIR modes, as the examples do).
        inclusive_prefixes: ``InclusiveNamespaces PrefixList`` of the exc-c14n transform (an ANS example uses
            ``ds saml #default xsi``; the GIE examples none).
        check_consistency: refuse a signing certificate that contradicts the acting context (authentication
            key in direct mode, certificate of another structure or person).
    """

    model_config = ConfigDict(frozen=True)

    indirect_authn_context: str = AuthnContextClass.PASSWORD
    air_authn_context: str = AuthnContextClass.PASSWORD
    authn_context_decl: str | None = None
    reason_placement: ReasonPlacement = ReasonPlacement.ATTRIBUTE
    reason_attribute: str = A_REASON
    confidentiality_as_string: bool = False
    include_subject_id: bool | None = None
    inclusive_prefixes: tuple[str, ...] | None = None
    check_consistency: bool = True


class SignedVihf:
    """A signed VIHF: the element exactly as signed, its bytes, and its model.

    The element is never re-serialised or pretty-printed by dmpclient. To embed it in a SOAP header, insert
    :meth:`copy_element` (a fresh parse of :meth:`to_bytes`) or the bytes themselves; exclusive c14n keeps the
    signature valid in the new context.
    """

    __slots__ = ("_bytes", "_element", "_lock", "_used", "expires_at", "single_use", "vihf")

    def __init__(self, data: bytes, vihf: Vihf, *, single_use: bool = False, expires_at: dt.datetime | None = None):
        self._bytes = data
        self._element = _xml.parse_bytes(data, origin="VIHF")
        self.vihf = vihf
        self.single_use = single_use
        self.expires_at = expires_at
        self._used = False
        self._lock = threading.Lock()

    @property
    def element(self) -> etree._Element:
        """The signed ``saml2:Assertion`` element (do not modify it)."""
        return self._element

    @property
    def assertion_id(self) -> str:
        """``Assertion/@ID``."""
        return self.vihf.assertion_id

    def to_bytes(self) -> bytes:
        """The assertion bytes exactly as signed (UTF-8, no XML declaration)."""
        return self._bytes

    def copy_element(self) -> etree._Element:
        """A fresh element parsed from the signed bytes (safe to insert into another tree)."""
        return _xml.parse_bytes(self._bytes, origin="VIHF")

    def consume(self, *, now: dt.datetime | None = None) -> bytes:
        """Mark the token as used and return its bytes; refuses a second use of a single-use (AIR) token.

        Raises:
            TokenError: an AIR token used twice or after its expiry.
        """
        with self._lock:
            if self.single_use and self._used:
                raise TokenError(f"VIHF {self.assertion_id} is single use (AIR) and was already used")
            if self.expires_at is not None and _utc(now or dt.datetime.now(dt.UTC)) >= self.expires_at:
                raise TokenError(f"VIHF {self.assertion_id} expired at {format_instant(self.expires_at)}")
            self._used = True
        return self._bytes

    def __repr__(self) -> str:
        return f"SignedVihf(id={self.assertion_id!r}, mode={self.vihf.authentification_mode!r})"


def _string_value(attribute: etree._Element, text: str) -> None:
    av = etree.SubElement(attribute, f"{{{SAML}}}AttributeValue", nsmap={"xs": XS})
    av.set(f"{{{XSI}}}type", "xs:string")
    av.text = text


def _coded_value(attribute: etree._Element, tag: str, value: CodedValue) -> None:
    av = etree.SubElement(attribute, f"{{{SAML}}}AttributeValue")
    el = etree.SubElement(av, f"{{{HL7}}}{tag}", nsmap=xmldsig.default_ns(HL7))
    el.set("code", value.code)
    el.set("codeSystem", value.code_system)
    if value.code_system_name:
        el.set("codeSystemName", value.code_system_name)
    if value.display_name:
        el.set("displayName", value.display_name)
    el.set(f"{{{XSI}}}type", "CE")


def _attribute(statement: etree._Element, name: str) -> etree._Element:
    return etree.SubElement(statement, f"{{{SAML}}}Attribute", Name=name)


def _cert_values(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in cert.subject.get_attributes_for_oid(oid)]


def _check_signer(context: ActingContext, cert: x509.Certificate) -> None:
    """Refuse a signing certificate that contradicts the acting context (``vihf.md`` §3–4)."""
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        ku = None
    not_air = context.authentication_mode is not AuthenticationMode.INDIRECTE_RENFORCEE
    if not_air and ku is not None and not ku.content_commitment:
        raise RuleViolation(
            "the VIHF must be signed with a signature certificate (KeyUsage nonRepudiation): this one looks "
            "like an authentication certificate",
            field="signer.certificate",
            value=dn_string(cert.subject),
            rule="VIHF signature certificate",
            hint="DMP fault DMPInvalidCertificate « Le certificat ayant signé le VIHF est invalide : "
            "Not a valid signature certificate »; on a CPS card use the key whose CKA_ID ends with 0x10",
        )
    if context.is_direct:
        cns = _cert_values(cert, NameOID.COMMON_NAME)
        if cns and str(context.professional.id) not in cns:
            raise RuleViolation(
                "in direct mode the card's certificate must belong to the acting professional (CN = IdNat)",
                field="signer.certificate",
                value=cns[0],
                rule="VIHF NameID = card holder",
            )
    else:
        ous = _cert_values(cert, NameOID.ORGANIZATIONAL_UNIT_NAME)
        allowed = {context.structure.id.idnat, context.structure.certificate_structure_id.idnat}
        if ous and not allowed.intersection(ous):
            raise RuleViolation(
                "in indirect mode the structure certificate (OU) must be the acting structure or its FINESS EJ",
                field="signer.certificate",
                value=ous[0],
                rule="VIHF structure = certificate structure",
                hint="DMP message « Erreur d'authentification de la personne morale »",
            )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def build_vihf(
    context: ActingContext,
    patient: INS | None,
    *,
    signer: Signer,
    clock: Callable[[], dt.datetime] = _now,
    vihf_version: str = "4.0",
    lifetime: dt.timedelta | None = None,
    not_before_skew: dt.timedelta | None = None,
    assertion_id: str | None = None,
    air_single_use: bool = True,
    options: VihfOptions | None = None,
    signature_algorithm: str = "rsa-sha256",
    digest_algorithm: str = "sha256",
) -> SignedVihf:
    """Build and sign the VIHF of one call.

    Args:
        context: who acts (professional, structure, modes, software); every attribute derives from it.
        patient: the patient's INS (``resource-id``); None for calls without a patient (the attribute is
            then omitted — what the DMP expects there is not public, ``vihf.md`` §6).
        signer: the card's **signature** key (DIRECTE), the structure's ORG SIGN key (INDIRECTE) or the
            VIHF server's key (AIR).
        clock: returns the current time (``IssueInstant`` and ``AuthnInstant``).
        vihf_version: ``4.0`` (most recent real trace) or ``3.0`` (GIE examples).
        lifetime: adds ``Conditions/@NotOnOrAfter`` = IssueInstant + lifetime (AIR: 30 s by default).
        not_before_skew: adds ``Conditions/@NotBefore`` = IssueInstant − skew (clock-skew tolerance).
        assertion_id: ``Assertion/@ID`` (default ``_`` + UUID4).
        air_single_use: AIR tokens refuse a second :meth:`SignedVihf.consume`.
        options: the open choices (:class:`VihfOptions`).

    Raises:
        RuleViolation: the context breaks a VIHF rule (speciality missing, wrong kind of certificate…).
        ValidationFailed: the resulting attributes break a value rule.
    """
    opts = options or VihfOptions()
    if vihf_version not in ("3.0", "4.0"):
        raise InputError("VIHF_Version must be 3.0 or 4.0", field="vihf_version", value=vihf_version, rule="VIHF")
    context.professional.check_for_vihf()
    cert = signer.certificate
    if opts.check_consistency:
        _check_signer(context, cert)
    now = _utc(clock())
    now = now.replace(microsecond=(now.microsecond // 1000) * 1000)
    mode = context.authentication_mode
    if mode is AuthenticationMode.INDIRECTE_RENFORCEE and lifetime is None:
        lifetime = AIR_LIFETIME
    aid = assertion_id or f"_{uuid.uuid4()}"
    if not _NCNAME_RE.match(aid):
        raise InputError("the assertion ID must be an NCName", field="assertion_id", value=aid, rule="xs:ID")

    if mode is AuthenticationMode.DIRECTE:
        class_ref = AuthnContextClass.SMARTCARD_PKI.value
    elif mode is AuthenticationMode.INDIRECTE:
        class_ref = str(opts.indirect_authn_context)
    else:
        class_ref = str(opts.air_authn_context)

    prof = context.professional
    roles = [
        CodedValue(
            code=prof.profession.code, code_system=prof.profession.code_system, display_name=prof.profession.display
        )
    ]
    if prof.specialty is not None:
        roles.append(
            CodedValue(
                code=prof.specialty.code, code_system=prof.specialty.code_system, display_name=prof.specialty.display
            )
        )
    purpose = CodedValue(
        code=context.access_mode.value,
        code_system=PURPOSE_SYSTEM,
        code_system_name=PURPOSE_SYSTEM_NAME,
        display_name=context.access_mode.display,
    )
    confidentiality = (
        CodedValue(
            code=INVISIBLE_REPRESENTANTS_LEGAUX,
            code_system=CONFIDENTIALITY_SYSTEM,
            display_name=_CONFIDENTIALITY_DISPLAY,
        )
        if context.secret_connection
        else None
    )
    include_subject = opts.include_subject_id if opts.include_subject_id is not None else not context.is_direct
    reason = (
        context.access_reason
        if context.access_mode is AccessMode.BRIS_DE_GLACE and opts.reason_placement is ReasonPlacement.ATTRIBUTE
        else None
    )
    software = context.software
    vihf = Vihf(
        assertion_id=aid,
        issue_instant=now,
        issuer=dn_string(cert.subject),
        name_id=str(prof.id),
        authn_instant=now,
        authn_context_class_ref=class_ref,
        authn_context_decl=opts.authn_context_decl,
        not_before=now - not_before_skew if not_before_skew is not None else None,
        not_on_or_after=now + lifetime if lifetime is not None else None,
        identifiant_structure=context.structure.id.idnat,
        secteur_activite=f"{context.structure.secteur_activite.code}^{context.structure.secteur_activite.code_system}",
        subject_id=context.vihf_subject_id if include_subject else None,
        roles=roles,
        vihf_version=vihf_version,
        authentification_mode=mode.value,
        resource_id=patient.to_cx() if patient is not None else None,
        ressource_urn="urn:dmp",
        purpose_of_use=purpose,
        access_reason=reason,
        confidentiality_code=confidentiality,
        lps_id=software.instance_id,
        lps_nom=software.name,
        lps_version=software.version,
        lps_id_homologation_dmp=software.homologation_number,
        signed=True,
    )
    errors = [f for f in vihf.check() if f.is_error]
    if errors:
        raise ValidationFailed(errors, what="VIHF")
    assertion = _assertion_element(vihf, opts)
    data = sign_assertion(
        assertion,
        signer,
        signature_algorithm=signature_algorithm,
        digest_algorithm=digest_algorithm,
        inclusive_prefixes=opts.inclusive_prefixes,
    )
    single = air_single_use and mode is AuthenticationMode.INDIRECTE_RENFORCEE
    return SignedVihf(data, vihf, single_use=single, expires_at=vihf.not_on_or_after)


def _assertion_element(vihf: Vihf, opts: VihfOptions) -> etree._Element:
    root = etree.Element(f"{{{SAML}}}Assertion", nsmap={"saml2": SAML, "xsi": XSI})
    root.set("ID", vihf.assertion_id)
    root.set("IssueInstant", format_instant(vihf.issue_instant))
    root.set("Version", "2.0")
    issuer = etree.SubElement(root, f"{{{SAML}}}Issuer", Format=X509_SUBJECT_NAME)
    issuer.text = vihf.issuer
    subject = etree.SubElement(root, f"{{{SAML}}}Subject")
    etree.SubElement(subject, f"{{{SAML}}}NameID").text = vihf.name_id
    if vihf.not_before is not None or vihf.not_on_or_after is not None:
        conditions = etree.SubElement(root, f"{{{SAML}}}Conditions")
        if vihf.not_before is not None:
            conditions.set("NotBefore", format_instant(vihf.not_before))
        if vihf.not_on_or_after is not None:
            conditions.set("NotOnOrAfter", format_instant(vihf.not_on_or_after))
    authn = etree.SubElement(root, f"{{{SAML}}}AuthnStatement")
    authn.set("AuthnInstant", format_instant(vihf.authn_instant or vihf.issue_instant))
    ctx = etree.SubElement(authn, f"{{{SAML}}}AuthnContext")
    etree.SubElement(ctx, f"{{{SAML}}}AuthnContextClassRef").text = vihf.authn_context_class_ref
    if vihf.authn_context_decl:
        etree.SubElement(ctx, f"{{{SAML}}}AuthnContextDecl").text = vihf.authn_context_decl
    st = etree.SubElement(root, f"{{{SAML}}}AttributeStatement")
    assert vihf.identifiant_structure
    assert vihf.secteur_activite
    assert vihf.purpose_of_use
    _string_value(_attribute(st, A_STRUCTURE), vihf.identifiant_structure)
    _string_value(_attribute(st, A_SECTEUR), vihf.secteur_activite)
    if vihf.subject_id:
        _string_value(_attribute(st, A_SUBJECT_ID), vihf.subject_id)
    role = _attribute(st, A_ROLE)
    for r in vihf.roles:
        _coded_value(role, "Role", r)
    _string_value(_attribute(st, A_VERSION), vihf.vihf_version or "4.0")
    _string_value(_attribute(st, A_MODE), vihf.authentification_mode or "")
    if vihf.resource_id:
        _string_value(_attribute(st, A_RESOURCE_ID), vihf.resource_id)
    _string_value(_attribute(st, A_RESOURCE_URN), vihf.ressource_urn or "urn:dmp")
    _coded_value(_attribute(st, A_PURPOSE), "PurposeOfUse", vihf.purpose_of_use)
    if vihf.access_reason:
        _string_value(_attribute(st, opts.reason_attribute), vihf.access_reason)
    if vihf.confidentiality_code is not None:
        attr = _attribute(st, A_CONFIDENTIALITY)
        if opts.confidentiality_as_string:
            _string_value(attr, vihf.confidentiality_code.code)
        else:
            _coded_value(attr, "ConfidentialityCode", vihf.confidentiality_code)
    if vihf.lps_id:
        _string_value(_attribute(st, A_LPS_ID), vihf.lps_id)
    _string_value(_attribute(st, A_LPS_NOM), vihf.lps_nom or "")
    _string_value(_attribute(st, A_LPS_VERSION), vihf.lps_version or "")
    _string_value(_attribute(st, A_LPS_HOMOLOGATION), vihf.lps_id_homologation_dmp or "")
    return root


def sign_assertion(
    assertion: etree._Element,
    signer: Signer,
    *,
    signature_algorithm: str = "rsa-sha256",
    digest_algorithm: str = "sha256",
    inclusive_prefixes: Sequence[str] | None = None,
) -> bytes:
    """Insert an enveloped ``ds:Signature`` right after ``saml2:Issuer`` and return the signed bytes.

    Layout of the reference (``vihf.md`` §5): exclusive c14n, one ``Reference URI="#<ID>"`` with the
    enveloped-signature and exc-c14n transforms (``InclusiveNamespaces`` written when a prefix list is
    given), ``KeyInfo/X509Data/X509Certificate`` with the signing certificate only.
    """
    aid = assertion.get("ID")
    if not aid:
        raise SignatureError("the assertion has no ID")
    exc = xmldsig.Transform(
        _xml.C14NMethod.EXC_C14N.value, tuple(inclusive_prefixes) if inclusive_prefixes is not None else None
    )
    transforms = [xmldsig.Transform(xmldsig.ENVELOPED), exc]
    sig = etree.Element(f"{{{DS}}}Signature", nsmap={"ds": DS})
    si = etree.SubElement(sig, f"{{{DS}}}SignedInfo")
    etree.SubElement(si, f"{{{DS}}}CanonicalizationMethod", Algorithm=_xml.C14NMethod.EXC_C14N.value)
    etree.SubElement(si, f"{{{DS}}}SignatureMethod", Algorithm=xmldsig.signature_method_uri(signature_algorithm))
    ref = etree.SubElement(si, f"{{{DS}}}Reference", URI=f"#{aid}")
    tr = etree.SubElement(ref, f"{{{DS}}}Transforms")
    for t in transforms:
        tel = etree.SubElement(tr, f"{{{DS}}}Transform", Algorithm=t.algorithm)
        if t.inclusive_prefixes is not None:
            inc = etree.SubElement(tel, f"{{{NS['ec']}}}InclusiveNamespaces", nsmap={"ec": NS["ec"]})
            inc.set("PrefixList", " ".join(t.inclusive_prefixes))
    d_uri = xmldsig.digest_uri(digest_algorithm)
    etree.SubElement(ref, f"{{{DS}}}DigestMethod", Algorithm=d_uri)
    dv = etree.SubElement(ref, f"{{{DS}}}DigestValue")
    sv = etree.SubElement(sig, f"{{{DS}}}SignatureValue")
    ki = etree.SubElement(sig, f"{{{DS}}}KeyInfo")
    xd = etree.SubElement(ki, f"{{{DS}}}X509Data")
    der = signer.certificate.public_bytes(serialization.Encoding.DER)
    etree.SubElement(xd, f"{{{DS}}}X509Certificate").text = xmldsig.b64encode(der)
    issuer = assertion.find(f"{{{SAML}}}Issuer")
    if issuer is None:
        assertion.insert(0, sig)
    else:
        issuer.addnext(sig)
    # reference_octets works on a re-parsed copy of the serialized assertion: the digest describes the bytes
    # we return; SignedInfo is canonicalized with exclusive c14n, which lxml does correctly in place.
    octets = xmldsig.reference_octets(assertion, transforms, signature=sig)
    dv.text = xmldsig.b64encode(xmldsig.digest(octets, d_uri))
    sv.text = xmldsig.b64encode(xmldsig.sign_signed_info(si, signer))
    return _xml.to_bytes(assertion)


# -------------------------------------------------------------------------------------------- parsing


def find_assertion(root: etree._Element) -> etree._Element:
    """The one ``saml2:Assertion`` of a document: the root itself, or the one inside a SOAP envelope.

    Raises:
        SignatureError: no assertion, or several (ambiguous: a wrapping attempt or a malformed message).
    """
    if root.tag == f"{{{SAML}}}Assertion":
        nested = root.findall(f".//{{{SAML}}}Assertion")
        if nested:
            raise SignatureError("the assertion contains another assertion (signature wrapping?)")
        return root
    found = root.findall(f".//{{{SAML}}}Assertion")
    if not found:
        raise SignatureError("no saml2:Assertion found (expected a VIHF or a SOAP message carrying one)")
    if len(found) > 1:
        raise SignatureError(f"{len(found)} saml2:Assertion elements found: ambiguous (signature wrapping?)")
    return found[0]


def _as_element(source: bytes | etree._Element) -> etree._Element:
    if isinstance(source, bytes | bytearray):
        return _xml.parse_bytes(bytes(source), origin="VIHF")
    return source


def _coded(el: etree._Element) -> CodedValue:
    return CodedValue(
        code=el.get("code") or "?",
        code_system=el.get("codeSystem") or "?",
        code_system_name=el.get("codeSystemName"),
        display_name=el.get("displayName"),
    )


def _values(attribute: etree._Element) -> list[str | CodedValue]:
    out: list[str | CodedValue] = []
    for av in attribute:
        if not isinstance(av.tag, str) or etree.QName(av).localname != "AttributeValue":
            continue
        child = next((c for c in av if isinstance(c.tag, str)), None)
        out.append(_coded(child) if child is not None else (av.text or "").strip())
    return out


def parse_vihf(source: bytes | etree._Element) -> Vihf:
    """Read every attribute of a VIHF (a bare assertion or a SOAP message carrying one).

    Tolerant: ``Authentification_Mode`` (capital M) is read and noted, legacy attribute names are
    reported in :attr:`Vihf.legacy_attributes`, unknown attributes kept in :attr:`Vihf.extra_attributes`.
    """
    assertion = find_assertion(_as_element(source))
    notes: list[str] = []
    issuer_el = assertion.find(f"{{{SAML}}}Issuer")
    name_id = assertion.findtext(f"{{{SAML}}}Subject/{{{SAML}}}NameID") or ""
    authn = assertion.find(f"{{{SAML}}}AuthnStatement")
    conditions = assertion.find(f"{{{SAML}}}Conditions")
    data: dict[str, Any] = {
        "assertion_id": assertion.get("ID") or "",
        "issue_instant": parse_instant(assertion.get("IssueInstant") or ""),
        "issuer": (issuer_el.text or "").strip() if issuer_el is not None else "",
        "issuer_format": issuer_el.get("Format") if issuer_el is not None else None,
        "name_id": name_id.strip() or "?",
        "signed": assertion.find(f"{{{DS}}}Signature") is not None,
    }
    if authn is not None:
        if authn.get("AuthnInstant"):
            data["authn_instant"] = parse_instant(authn.get("AuthnInstant") or "")
        data["authn_context_class_ref"] = authn.findtext(f"{{{SAML}}}AuthnContext/{{{SAML}}}AuthnContextClassRef")
        data["authn_context_decl"] = authn.findtext(f"{{{SAML}}}AuthnContext/{{{SAML}}}AuthnContextDecl")
    if conditions is not None:
        if conditions.get("NotBefore"):
            data["not_before"] = parse_instant(conditions.get("NotBefore") or "")
        if conditions.get("NotOnOrAfter"):
            data["not_on_or_after"] = parse_instant(conditions.get("NotOnOrAfter") or "")
    extra: dict[str, list[str]] = {}
    legacy: list[str] = []
    single = {
        A_STRUCTURE: "identifiant_structure",
        A_SECTEUR: "secteur_activite",
        A_SUBJECT_ID: "subject_id",
        A_VERSION: "vihf_version",
        A_RESOURCE_ID: "resource_id",
        A_RESOURCE_URN: "ressource_urn",
        A_REASON: "access_reason",
        A_LPS_ID: "lps_id",
        A_LPS_NOM: "lps_nom",
        A_LPS_VERSION: "lps_version",
        A_LPS_HOMOLOGATION: "lps_id_homologation_dmp",
    }
    for attribute in assertion.iterfind(f"{{{SAML}}}AttributeStatement/{{{SAML}}}Attribute"):
        name = attribute.get("Name") or ""
        values = _values(attribute)
        first = values[0] if values else None
        if name.lower() == A_MODE.lower():
            if name != A_MODE:
                notes.append(f"attribute spelled {name!r} (the GIE examples write {A_MODE!r})")
            data["authentification_mode"] = first if isinstance(first, str) else None
        elif name in single:
            if isinstance(first, str):
                data[single[name]] = first
        elif name == A_ROLE:
            data["roles"] = [v for v in values if isinstance(v, CodedValue)]
        elif name == A_PURPOSE:
            if isinstance(first, CodedValue):
                data["purpose_of_use"] = first
            elif isinstance(first, str):
                data["purpose_of_use"] = CodedValue(code=first, code_system=PURPOSE_SYSTEM)
                notes.append("purpose of use given as a plain string")
        elif name == A_CONFIDENTIALITY or name == "Confidentiality_code":
            if name != A_CONFIDENTIALITY:
                legacy.append(name)
            if isinstance(first, CodedValue):
                data["confidentiality_code"] = first
            elif isinstance(first, str) and first:
                data["confidentiality_code"] = CodedValue(code=first, code_system=CONFIDENTIALITY_SYSTEM)
        else:
            if name in LEGACY_ATTRIBUTES:
                legacy.append(name)
            extra[name] = [v if isinstance(v, str) else f"{v.code}^{v.code_system}" for v in values]
        if len(values) > 1 and name not in (A_ROLE,):
            notes.append(f"attribute {name} has {len(values)} values; the first one is used")
    data["extra_attributes"] = extra
    data["legacy_attributes"] = legacy
    data["notes"] = notes
    return Vihf(**data)


# --------------------------------------------------------------------------------------- verification


class VihfVerification(BaseModel):
    """Report of :func:`verify_vihf`: the decoded token, the certificate, and every check performed."""

    ok: bool
    assertion_id: str | None = None
    vihf: Vihf | None = None
    signature_method: str | None = None
    digest_method: str | None = None
    canonicalization: str | None = None
    certificate: CertificateInfo | None = None
    checked_at: dt.datetime
    checks: list[Check] = []

    @property
    def failures(self) -> list[Check]:
        """Checks that ran and failed."""
        return [c for c in self.checks if c.failed]

    def findings(self) -> list[Finding]:
        """Failed and skipped checks, plus the value rules of the token, as findings."""
        out = checks_to_findings(self.checks, prefix="vihf.signature")
        if self.vihf is not None:
            out.extend(self.vihf.check())
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (for ``dmpclient inspect`` and ``dmpclient vihf show --json``)."""
        return self.model_dump(mode="json")


_CERT_CHECKS: Final = frozenset({"certificate-chain", "issuer", "key-usage", "certificate-validity"})


def verify_vihf(
    source: bytes | etree._Element,
    *,
    trust_anchors: TrustStore | Sequence[x509.Certificate] | None,
    at: dt.datetime | None = None,
    allowed_algorithms: Iterable[str] = xmldsig.DEFAULT_ALLOWED,
    max_clock_skew: dt.timedelta = dt.timedelta(minutes=5),
    max_age: dt.timedelta | None = None,
    require_issuer_match: bool = True,
    raise_on_failure: bool = True,
) -> VihfVerification:
    """Verify a VIHF as the sandbox does, and report every step.

    Checks: one enveloped ``ds:Signature`` child of the assertion; algorithms in ``allowed_algorithms``
    (SHA-1 only with :data:`~dmpclient.security.xmldsig.LEGACY_ALLOWED`); exactly one Reference, to the
    assertion itself, whose ID is unique in the whole document, with the enveloped + exc-c14n transforms
    only; the reference digest; the SignatureValue against the embedded certificate; the chain to
    ``trust_anchors`` at ``at``; the ``Issuer`` equal (structurally) to the certificate subject; the time
    window (IssueInstant not in the future, ``max_age``, NotBefore / NotOnOrAfter) with ``max_clock_skew``.

    Args:
        source: assertion bytes/element, or a SOAP message carrying one.
        trust_anchors: the anchors; None skips the chain check (reported as not checked).
        at: the verification time (default now). Pass the token's IssueInstant to check an old capture
            "as of its date".

    Raises:
        SignatureError: signature, reference, algorithm or time-window failure (when ``raise_on_failure``).
        CertificateError: chain, issuer or key-usage failure (when ``raise_on_failure``).
    """
    allowed = frozenset(allowed_algorithms)
    when = _utc(at or dt.datetime.now(dt.UTC))
    checks: list[Check] = []
    report: dict[str, Any] = {"checked_at": when}

    def add(name: str, ok: bool | None, message: str, severity: Severity = Severity.ERROR) -> bool:
        checks.append(Check(name=name, ok=ok, message=message, severity=severity))
        return bool(ok)

    def finish() -> VihfVerification:
        ok = not any(c.failed for c in checks)
        result = VihfVerification(ok=ok, checks=checks, **report)
        if not ok and raise_on_failure:
            first = next(c for c in checks if c.failed)
            error = CertificateError if first.name in _CERT_CHECKS else SignatureError
            raise error(f"VIHF {report.get('assertion_id') or ''} rejected: {first.name}: {first.message}")
        return result

    root = _as_element(source)
    try:
        assertion = find_assertion(root)
    except SignatureError as exc:
        add("assertion", False, str(exc))
        return finish()
    document_root = assertion.getroottree().getroot()
    aid = assertion.get("ID") or ""
    report["assertion_id"] = aid
    try:
        report["vihf"] = parse_vihf(assertion)
    except (InputError, ValueError) as exc:
        add("parse", False, f"the assertion cannot be decoded: {exc}")
    signatures = assertion.findall(f"{{{DS}}}Signature")
    nested = [s for s in assertion.iter(f"{{{DS}}}Signature") if s.getparent() is not assertion]
    if len(signatures) != 1 or nested:
        add("signature-present", False, f"expected one ds:Signature child of the assertion, found {len(signatures)}")
        return finish()
    sig = signatures[0]
    previous = sig.getprevious()
    if previous is None or previous.tag != f"{{{SAML}}}Issuer":
        add("signature-position", False, "ds:Signature must follow saml2:Issuer (schema order)", Severity.WARNING)
    si = sig.find(f"{{{DS}}}SignedInfo")
    if si is None:
        add("signature-present", False, "ds:Signature has no SignedInfo")
        return finish()
    add("signature-present", True, "one enveloped ds:Signature")
    refs = si.findall(f"{{{DS}}}Reference")
    c14n_uri = xmldsig.algorithm_of(si, "CanonicalizationMethod")
    sm_uri = xmldsig.algorithm_of(si, "SignatureMethod")
    report["canonicalization"] = c14n_uri
    report["signature_method"] = sm_uri
    if len(refs) != 1:
        add("reference", False, f"expected exactly one Reference, found {len(refs)} (signature wrapping?)")
        return finish()
    ref = refs[0]
    dm_uri = xmldsig.algorithm_of(ref, "DigestMethod")
    report["digest_method"] = dm_uri
    transforms = xmldsig.parse_transforms(ref)
    refused = [u for u in (c14n_uri, sm_uri, dm_uri, *(t.algorithm for t in transforms)) if u not in allowed]
    if refused:
        add("algorithms", False, f"algorithm(s) not allowed: {', '.join(str(u) for u in refused)}")
        return finish()
    add("algorithms", True, f"{sm_uri}, {dm_uri}, {c14n_uri}")
    uri = ref.get("URI")
    if uri != f"#{aid}":
        add("reference", False, f"the Reference URI {uri!r} does not point at the assertion (ID {aid!r})")
        return finish()
    same_id = xmldsig.find_by_id(document_root, aid)
    if len(same_id) != 1:
        add("reference", False, f"ID {aid!r} appears {len(same_id)} times in the document (signature wrapping)")
        return finish()
    algos = [t.algorithm for t in transforms]
    if algos[:1] != [xmldsig.ENVELOPED] or len(algos) != 2 or not _xml.C14NMethod(algos[1]).exclusive:
        add("reference", False, f"unexpected transforms {algos} (expected enveloped-signature then exc-c14n)")
        return finish()
    add("reference", True, f"one Reference to the assertion #{aid}")
    try:
        octets = xmldsig.reference_octets(assertion, transforms, signature=sig)
        computed = xmldsig.digest(octets, dm_uri or "")
        found = xmldsig.b64decode(ref.findtext(f"{{{DS}}}DigestValue"), what="DigestValue")
    except SignatureError as exc:
        add("digest", False, str(exc))
        return finish()
    add(
        "digest",
        computed == found,
        "the assertion digest matches"
        if computed == found
        else "the assertion digest does not match: the assertion was modified after signing",
    )
    certs = sig.findall(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    if len(certs) != 1:
        add("key-info", False, f"expected one X509Certificate, found {len(certs)}")
        return finish()
    try:
        der, cert, parse_error = xmldsig.certificate_from_b64(certs[0].text)
        public_key = xmldsig.public_key_from_certificate_der(der)
    except (SignatureError, ValueError) as exc:
        add("key-info", False, f"unusable certificate: {exc}")
        return finish()
    report["certificate"] = CertificateInfo.from_der(der, cert, parse_error)
    add("key-info", True, "signing certificate embedded")
    try:
        valid = xmldsig.signature_value_verifies(sig, si, public_key, sm_uri or "")
    except SignatureError as exc:
        add("signature-value", False, str(exc))
        return finish()
    add(
        "signature-value",
        valid,
        "SignatureValue verifies with the embedded certificate" if valid else "SignatureValue does not verify",
    )
    if cert is None:
        message = f"the certificate cannot be parsed: {parse_error}"
        if trust_anchors is None:
            add("certificate-chain", None, f"not checked ({message})", Severity.INFO)
        else:
            add("certificate-chain", False, message)
    else:
        _certificate_checks(cert, report.get("vihf"), trust_anchors, when, require_issuer_match, add)
    vihf = report.get("vihf")
    if isinstance(vihf, Vihf):
        _time_checks(vihf, when, max_clock_skew, max_age, add)
    return finish()


def _certificate_checks(
    cert: x509.Certificate,
    vihf: Vihf | None,
    trust: TrustStore | Sequence[x509.Certificate] | None,
    when: dt.datetime,
    require_issuer_match: bool,
    add: Callable[..., bool],
) -> None:
    chain_check(cert, trust, when, add)
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        usable = ku.digital_signature or ku.content_commitment
        add("key-usage", usable, "KeyUsage allows signing" if usable else "KeyUsage does not allow signatures")
    except x509.ExtensionNotFound:
        add("key-usage", None, "no KeyUsage extension", Severity.INFO)
    if vihf is not None:
        try:
            match = same_dn(vihf.issuer, cert.subject)
        except CertificateError:
            match = False
        add(
            "issuer",
            match,
            "Issuer equals the certificate subject"
            if match
            else f"Issuer {vihf.issuer!r} differs from the certificate subject {dn_string(cert.subject)!r}",
            Severity.ERROR if require_issuer_match else Severity.WARNING,
        )


def _time_checks(
    vihf: Vihf,
    when: dt.datetime,
    skew: dt.timedelta,
    max_age: dt.timedelta | None,
    add: Callable[..., bool],
) -> None:
    problems = []
    if vihf.issue_instant > when + skew:
        problems.append(f"IssueInstant {format_instant(vihf.issue_instant)} is in the future")
    if max_age is not None and when - vihf.issue_instant > max_age + skew:
        problems.append(f"token older than {max_age} (IssueInstant {format_instant(vihf.issue_instant)})")
    if vihf.not_before is not None and when + skew < vihf.not_before:
        problems.append(f"not valid before {format_instant(vihf.not_before)}")
    if vihf.not_on_or_after is not None and when - skew >= vihf.not_on_or_after:
        problems.append(f"expired at {format_instant(vihf.not_on_or_after)} (VIHF expiré)")
    add(
        "validity-window",
        not problems,
        "; ".join(problems) if problems else f"valid at {format_instant(when)}",
    )
