"""The typed CDA header produced by the reader (:func:`dmpclient.cda.read_header`).

The models are lenient: they hold what a document says, even when it breaks a rule (a validator, the
mapping or the consistency checker reports the problems). Times are kept as the CDA ``TS`` text
(``20240612135423+0200``); :meth:`CdaTime.datetime` interprets them.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from dmpclient.errors import InputError
from dmpclient.hl7v2 import DTM
from dmpclient.ids import IDNPS_OID, IDNST_OID, INS
from dmpclient.terminology._model import Code

from ._common import INS_OIDS, PARIS, BodyKind

__all__ = [
    "AuthorHeader",
    "BodyInfo",
    "CdaHeader",
    "EncounterHeader",
    "Identifier",
    "LegalAuthenticatorHeader",
    "OrganizationHeader",
    "PatientHeader",
    "PerformerHeader",
    "PersonHeader",
    "PersonName",
    "RelatedDocument",
    "ServiceEventHeader",
    "ts_to_datetime",
]

_LENIENT = ConfigDict(frozen=True, extra="forbid")


def ts_to_datetime(ts: str | None, default_tz: tzinfo = PARIS) -> datetime | None:
    """A CDA ``TS`` as an aware datetime (values without offset are taken in ``default_tz``); ``None`` if invalid."""
    if not ts:
        return None
    try:
        return DTM.parse(ts).to_datetime(default_tz)
    except InputError:
        return None


class Identifier(BaseModel):
    """An HL7 ``II`` as read: root, extension, nullFlavor."""

    model_config = _LENIENT

    root: str | None = None
    extension: str | None = None
    null_flavor: str | None = None

    def __str__(self) -> str:
        if self.extension:
            return f"{self.extension}@{self.root}"
        return self.root or f"nullFlavor={self.null_flavor}"


class PersonName(BaseModel):
    """A person name: prefixes, given names, family names and suffixes in document order."""

    model_config = _LENIENT

    prefix: tuple[str, ...] = ()
    given: tuple[str, ...] = ()
    family: tuple[str, ...] = ()
    suffix: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        """``Given FAMILY`` for people."""
        return " ".join(p for p in (*self.given, *self.family) if p)


class _NationallyIdentified(BaseModel):
    """``ids`` among which one may carry the national root (:attr:`_NATIONAL_ROOT`: IDNPS or IDNST)."""

    model_config = _LENIENT

    _NATIONAL_ROOT: ClassVar[str]

    ids: tuple[Identifier, ...] = ()

    def _national(self) -> Identifier | None:
        national = next((i for i in self.ids if i.root == self._NATIONAL_ROOT and i.extension), None)
        return national if national is not None else next((i for i in self.ids if i.extension), None)

    @property
    def idnat(self) -> str | None:
        """The national id (``id`` with the IDNPS root for a person, IDNST for a structure), else the first
        id's extension."""
        ident = self._national()
        return ident.extension if ident is not None else None

    @property
    def id_root(self) -> str | None:
        """Root of the id :attr:`idnat` comes from."""
        ident = self._national()
        return ident.root if ident is not None else None


class PersonHeader(_NationallyIdentified):
    """An ``assignedAuthor`` / ``assignedEntity`` with a person."""

    _NATIONAL_ROOT: ClassVar[str] = IDNPS_OID

    code: Code | None = None
    name: PersonName | None = None
    telecoms: tuple[str, ...] = ()

    @property
    def family_name(self) -> str | None:
        """First family name."""
        return self.name.family[0] if self.name and self.name.family else None

    @property
    def given_name(self) -> str | None:
        """First given name."""
        return self.name.given[0] if self.name and self.name.given else None


class OrganizationHeader(_NationallyIdentified):
    """An organisation: ids, name, and ``standardIndustryClassCode`` (cadre d'exercice) when present."""

    _NATIONAL_ROOT: ClassVar[str] = IDNST_OID

    name: str | None = None
    industry_code: Code | None = None
    telecoms: tuple[str, ...] = ()


class AuthorHeader(BaseModel):
    """A CDA ``author``."""

    model_config = _LENIENT

    time: str | None = None
    function_code: Code | None = None
    person: PersonHeader | None = None
    device: str | None = None
    """``assignedAuthoringDevice`` (softwareName / manufacturerModelName) when the author is a system."""
    organization: OrganizationHeader | None = None


class LegalAuthenticatorHeader(BaseModel):
    """``legalAuthenticator``."""

    model_config = _LENIENT

    time: str | None = None
    signature_code: str | None = None
    person: PersonHeader | None = None
    organization: OrganizationHeader | None = None


class PerformerHeader(BaseModel):
    """A ``serviceEvent/performer``; ``organization.industry_code`` is the cadre d'exercice."""

    model_config = _LENIENT

    type_code: str | None = None
    function_code: Code | None = None
    person: PersonHeader | None = None
    organization: OrganizationHeader | None = None


class ServiceEventHeader(BaseModel):
    """A ``documentationOf/serviceEvent``."""

    model_config = _LENIENT

    ids: tuple[Identifier, ...] = ()
    code: Code | None = None
    low: str | None = None
    high: str | None = None
    value: str | None = None
    """``effectiveTime/@value`` when the time is a point rather than an interval."""
    performers: tuple[PerformerHeader, ...] = ()

    @property
    def practice_setting(self) -> Code | None:
        """The cadre d'exercice of the first performer that has one."""
        for p in self.performers:
            if p.organization is not None and p.organization.industry_code is not None:
                return p.organization.industry_code
        return None


class EncounterHeader(BaseModel):
    """``componentOf/encompassingEncounter``."""

    model_config = _LENIENT

    ids: tuple[Identifier, ...] = ()
    code: Code | None = None
    low: str | None = None
    high: str | None = None
    value: str | None = None
    responsible: PersonHeader | None = None
    participants: tuple[PersonHeader, ...] = ()
    facility_ids: tuple[Identifier, ...] = ()
    facility_code: Code | None = None
    facility_name: str | None = None


class RelatedDocument(BaseModel):
    """``relatedDocument`` (``RPLC`` for a replacement)."""

    model_config = _LENIENT

    type_code: str | None = None
    parent_ids: tuple[Identifier, ...] = ()
    parent_set_id: Identifier | None = None
    parent_version: int | None = None


class PatientHeader(BaseModel):
    """``recordTarget/patientRole`` with the INS identity traits.

    ``birth_given_names`` is the unqualified ``given`` list (split on spaces); ``first_birth_given_name`` the
    ``given qualifier="BR"``; other names without BR/CL qualifiers go to ``other_names``.
    """

    model_config = _LENIENT

    ids: tuple[Identifier, ...] = ()
    birth_family_name: str | None = None
    first_birth_given_name: str | None = None
    birth_given_names: tuple[str, ...] = ()
    used_family_name: str | None = None
    used_given_name: str | None = None
    other_names: tuple[PersonName, ...] = ()
    sex: str | None = None
    birth_time: str | None = None
    birthplace_code: str | None = None
    birthplace_city: str | None = None

    @property
    def ins_id(self) -> Identifier | None:
        """The first id whose root is an INS OID (``.8``, ``.9``, ``.10``, ``.11``)."""
        return next((i for i in self.ids if i.root in INS_OIDS and i.extension), None)

    @property
    def ins(self) -> INS | None:
        """The INS as a value object, or ``None`` when absent or invalid (wrong key…)."""
        ident = self.ins_id
        if ident is None or ident.extension is None or ident.root is None:
            return None
        try:
            return INS.parse(ident.extension, ident.root)
        except InputError:
            return None

    @property
    def local_ids(self) -> tuple[Identifier, ...]:
        """Ids that are not INS (IPP …)."""
        return tuple(i for i in self.ids if i.root not in INS_OIDS)

    @property
    def display_name(self) -> str:
        """``FAMILY Given`` using the used names when present, else the birth names."""
        family = self.used_family_name or self.birth_family_name
        given = self.used_given_name or self.first_birth_given_name
        if family is None and self.other_names:
            family = " ".join(self.other_names[0].family) or None
            given = given or (" ".join(self.other_names[0].given) or None)
        return " ".join(p for p in (family, given) if p)


class BodyInfo(BaseModel):
    """What the body is: N1 with its media type, or N3 with its section count."""

    model_config = _LENIENT

    kind: BodyKind = BodyKind.NONE
    media_type: str | None = None
    representation: str | None = None
    section_count: int = 0


class CdaHeader(BaseModel):
    """Everything the header of a CDA document says, typed."""

    model_config = _LENIENT

    realm_code: str | None = None
    type_id: Identifier | None = None
    template_ids: tuple[str, ...] = ()
    id: Identifier
    code: Code | None = None
    title: str | None = None
    effective_time: str | None = None
    confidentiality: Code | None = None
    language: str | None = None
    set_id: Identifier | None = None
    version: int | None = None
    patient: PatientHeader
    authors: tuple[AuthorHeader, ...] = ()
    custodian: OrganizationHeader | None = None
    legal_authenticator: LegalAuthenticatorHeader | None = None
    service_events: tuple[ServiceEventHeader, ...] = ()
    encounter: EncounterHeader | None = None
    related_documents: tuple[RelatedDocument, ...] = ()
    body: BodyInfo = BodyInfo()

    @property
    def unique_id(self) -> str | None:
        """The document id as an XDS uniqueId: the root alone, or ``root^extension`` when there is one."""
        if self.id.root is None:
            return None
        return f"{self.id.root}^{self.id.extension}" if self.id.extension else self.id.root

    @property
    def level(self) -> BodyKind:
        """N1, N3 or none."""
        return self.body.kind

    @property
    def service_event(self) -> ServiceEventHeader | None:
        """The first ``serviceEvent`` (the one the XDS metadata come from)."""
        return self.service_events[0] if self.service_events else None

    @property
    def replaced_id(self) -> str | None:
        """Root of the document replaced (``relatedDocument typeCode="RPLC"``), if any."""
        for rel in self.related_documents:
            if rel.type_code == "RPLC" and rel.parent_ids:
                return rel.parent_ids[0].root
        return None
