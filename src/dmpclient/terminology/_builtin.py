"""The built-in tables: value sets and correspondence tables written into the package as facts.

Kit tables (J01, J02, J04, J07, J08, J47, J143, J197, J231) come from the generated ``_kit_data`` module; the
DMP subsets and NOS tables from ``_nos_data``; a few tables are derived here from those facts (TRE_G15,
TRE_R01, TRE_A00 from J01; J56/J61/J62/J66 carry the content of their CI-SIS parent list, see each
``description``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Final

from dmpclient.terminology import _nos_data as nos
from dmpclient.terminology._kit_data import KIT_COMMIT, KIT_TABLES
from dmpclient.terminology._model import Code, CodeMap, ValueSet
from dmpclient.terminology._oids import (
    ASTM,
    LOINC,
    TRE_A00,
    TRE_A02,
    TRE_A03,
    TRE_A05,
    TRE_A11_IHE_FORMAT,
    TRE_G15,
    TRE_R01,
    TRE_R209,
    TRE_R248,
    URN,
)

__all__ = ["BUILTIN_ALIASES", "MEDIA_TYPE_SYSTEM", "builtin_code_maps", "builtin_value_sets", "kit_source"]

#: Code system used for the source side of ASS_A12 (IANA media types, as FHIR names them).
MEDIA_TYPE_SYSTEM: Final = "urn:ietf:bcp:13"

#: Extra names under which some built-in tables can be found (the NOS name, short id and OID always work).
BUILTIN_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "DMPCLIENT_LegacyTypeCodes": ("LEGACY_TYPE_CODES", "LEGACY"),
    "DMPCLIENT_LpsForbiddenCodes": ("LPS_FORBIDDEN", "EX_2.1-1010"),
}

_FORBIDDEN_VERSION: Final = "2025-11-27"
_FORBIDDEN_SOURCE: Final = (
    "CNDA « Cahier de tests DMP » 2.10c (27/11/2025), rule EX_2.1-1010, as republished by DevBox-Santé; "
    "classes per ASS_X04 (2025-04-15)"
)


def kit_source(file: str) -> str:
    """Source string of a table transcribed from the ANS kit."""
    return f"ansforge/TestContenuCDA-3-0 @ {KIT_COMMIT[:12]} {file} (IHE SVS)"


def _kit(short: str) -> ValueSet:
    name, oid, version, file, description, rows = KIT_TABLES[short]
    return ValueSet.of(name, rows, oid=oid, version=version, source=kit_source(file), description=description)


def _copy(parent: ValueSet, name: str, oid: str, *, source: str, description: str) -> ValueSet:
    """A DMP value set whose current content is not published: the CI-SIS parent list's codes, under the DMP
    name and OID."""
    return ValueSet(
        name=name,
        oid=oid,
        version=parent.version,
        source=source,
        description=description,
        concepts=parent.concepts,
    )


_PREFIX = re.compile(r"^[^-]+ - ")


def _derived_from_j01(j01: ValueSet) -> tuple[ValueSet, ValueSet, ValueSet]:
    """TRE_G15 (professions), TRE_R01 (savoir-faire) and TRE_A00 (non-PS producers) as far as J01 shows them."""
    professions: list[tuple[str, str, str | None]] = []
    savoir_faire: dict[str, tuple[str, str, str | None]] = {}
    non_ps: list[tuple[str, str, str | None]] = []
    for concept in j01:
        if concept.code_system == TRE_A00:
            non_ps.append((concept.code, TRE_A00, concept.display))
            continue
        if concept.code_system != TRE_A02 or not concept.code.startswith("G15_"):
            continue
        profession, _, suffix = concept.code[4:].partition("/")
        if not suffix:
            professions.append((profession, TRE_G15, concept.display))
        elif re.fullmatch(r"[A-Z]+\d+", suffix) and suffix not in savoir_faire:
            label = _PREFIX.sub("", concept.display or "", count=1) or None
            savoir_faire[suffix] = (suffix, TRE_R01, label)
    src = f"derived from JDV_J01 ({kit_source('jeuxDeValeurs/JDV_J01_XdsAuthorSpecialty_CISIS.xml')})"
    g15 = ValueSet.of(
        "TRE_G15-ProfessionSante",
        professions,
        oid=TRE_G15,
        version=j01.version,
        source=src,
        description=(
            "Professions (1st value of the VIHF subject:role): the G15_xx codes of JDV_J01 without the 'G15_' "
            "prefix. Partial: professions absent from J01 are not listed."
        ),
    )
    r01 = ValueSet.of(
        "TRE_R01-EnsembleSavoirFaire-CISIS",
        list(savoir_faire.values()),
        oid=TRE_R01,
        version=j01.version,
        source=src,
        description=(
            "Savoir-faire (2nd value of the VIHF subject:role, e.g. SM26): the part after '/' of the G15_xx/<code> "
            "entries of JDV_J01 (families SM, C, CAPA, CEX, DSM, DEC, SST, PAC, SCD, SI, FQ), label without the "
            "profession prefix. Partial (the TRE_R01 also has SCH… codes); labels may differ slightly from TRE_R01."
        ),
    )
    a00 = ValueSet.of(
        "TRE_A00-ProducteurDocNonPS",
        non_ps,
        oid=TRE_A00,
        version=j01.version,
        source=src,
        description=(
            "Non-professional document producers (authorSpecialty / VIHF role of a non-PS): the TRE_A00 codes "
            "of JDV_J01. Subset of TRE_A00."
        ),
    )
    return g15, r01, a00


def _legacy(j07: ValueSet) -> ValueSet:
    rows = [(code, LOINC, nos.LEGACY_TYPE_LABELS.get(code)) for code in nos.LEGACY_TYPE_CODES]
    return ValueSet.of(
        "DMPCLIENT_LegacyTypeCodes",
        rows,
        oid=None,
        version="2025-04-15",
        source=nos.LEGACY_SOURCE,
        description=(
            "No OID: dmpclient table, not a NOS value set. typeCodes that ASS_X04 still maps to a classCode but "
            f"that are no longer in JDV_J07 ({j07.version}); the DMP still returns them (TD3.1). Accept them when "
            "reading, never produce them."
        ),
    )


def _forbidden(j57: ValueSet, j07: ValueSet) -> ValueSet:
    def label(vs: ValueSet, code: str, system: str) -> str | None:
        return vs.display(code, system)

    rows: list[tuple[str, str, str | None]] = [
        ("60", TRE_A03, label(j57, "60", TRE_A03)),
        ("90", TRE_A03, label(j57, "90", TRE_A03)),
    ]
    for code, cls in nos.ASS_X04_TRE_A05:
        if code.startswith(("DOCPAT", "EXPPAT_")) or cls in ("60", "90"):
            rows.append((code, TRE_A05, label(j07, code, TRE_A05)))
    for code, cls in nos.ASS_X04_LOINC:
        if code == "11369-6" or cls in ("60", "90"):
            rows.append((code, LOINC, label(j07, code, LOINC)))
    return ValueSet.of(
        "DMPCLIENT_LpsForbiddenCodes",
        rows,
        oid=None,
        version=_FORBIDDEN_VERSION,
        source=_FORBIDDEN_SOURCE,
        description=(
            "No OID: dmpclient table, not a NOS value set. classCodes and typeCodes an LPS may never send "
            "(EX_2.1-1010): classes 60 and 90 and every typeCode of those classes (DOCPAT*, EXPPAT_*, REMB, "
            "74465-6), the patient's own documents DOCPAT*, and 11369-6 (vaccination history, produced by the "
            "SI-DMP)."
        ),
    )


@cache
def builtin_value_sets() -> tuple[ValueSet, ...]:
    """Every built-in value set (built once)."""
    j01, j02, j04, j07, j08 = (_kit(s) for s in ("J01", "J02", "J04", "J07", "J08"))
    j57 = ValueSet.of(
        "JDV_J57-ClassCode-DMP",
        nos.J57_ROWS,
        oid="1.2.250.1.213.1.1.5.6",
        version="2021-04-30",
        source=nos.J57_SOURCE,
        description=(
            "DMP classCode. NOS content of 2021-04-30 plus 95 (Document de gestion, TRE_A03) and 99 (label "
            "unknown; ASS_X04 maps FEUILLE-DE-STYLE to it), both targets of the 2025 ASS_X04."
        ),
    )
    g15, r01, a00 = _derived_from_j01(j01)
    j61_source = (
        f"codes: JDV_J02 ({kit_source('jeuxDeValeurs/JDV_J02_XdsHealthcareFacilityTypeCode_CISIS.xml')}); "
        f"OID: {nos.nos_source('ValueSet-JDV-J61-HealthcareFacilityTypeCode-DMP.json')}"
    )
    tables: list[ValueSet] = [
        j57,
        ValueSet.of(
            "JDV_J58-ConfidentialityCode-DMP",
            nos.J58_ROWS,
            oid="1.2.250.1.213.1.1.5.9",
            version="2020-04-24",
            source=nos.J58_SOURCE,
            description=(
                "DMP confidentialityCode. The NOS list also carries R and V; the DMP uses N plus the TRE_A07 "
                "codes (rules in xds-metadata §6.2)."
            ),
        ),
        j08,
        ValueSet.of(
            "TRE_A07-StatutVisibiliteDocument",
            nos.TRE_A07_ROWS,
            oid="1.2.250.1.213.1.1.4.13",
            version="2020-04-24",
            source=nos.TRE_A07_SOURCE,
            description=(
                "Visibility statuses (restriction d'audience); MASQUE_PSOCIAL and MASQUE_PT are not used by the DMP."
            ),
        ),
        ValueSet.of(
            "JDV_J59-ContentTypeCode-DMP",
            nos.J59_ROWS,
            oid="1.2.250.1.213.1.1.5.2",
            version="2022-10-28",
            source=nos.J59_SOURCE,
            description=(
                "DMP submission-set contentTypeCode: TRE_R209 activity types, TRE_R02 sectors SA05–SA63, EXP_PATIENT."
            ),
        ),
        ValueSet.of(
            "TRE_R209-TypeActivite",
            nos.TRE_R209_ROWS,
            oid=TRE_R209,
            version="2022-10-28",
            source=nos.J59_SOURCE,
            description="Activity types (contentTypeCode). Partial: only the TRE_R209 codes that JDV_J59 lists.",
        ),
        ValueSet.of(
            "JDV_J60-FormatCode-DMP",
            nos.J60_ROWS,
            oid="1.2.250.1.213.1.1.5.8",
            version="2022-09-30",
            source=nos.J60_SOURCE,
            description=(
                "DMP formatCode (TRE_A06 CI-SIS models, TRE_A11 IHE formats incl. the N1 codes, DICOM KOS, "
                "signature). The DMP also returns codes absent from this version (e.g. urn:ihe:qrph:hbs:2009)."
            ),
        ),
        _copy(
            j02,
            "JDV_J61-HealthcareFacilityTypeCode-DMP",
            "1.2.250.1.213.1.1.5.3",
            source=j61_source,
            description=(
                "DMP healthcareFacilityTypeCode. Content of JDV_J02 (CI-SIS) because the current J61 content is "
                "unknown (the NOS J61 of 2020-04-24 had SA01–SA63 and EXP_PATIENT); load the official J61 to "
                "replace it."
            ),
        ),
        j02,
        _copy(
            j04,
            "JDV_J62-PracticeSettingCode-DMP",
            "1.2.250.1.213.1.1.5.4",
            source=(
                f"codes: JDV_J04 ({j04.source}); OID: {nos.nos_source('ValueSet-JDV-J62-PracticeSettingCode-DMP.json')}"
            ),
            description=(
                "DMP practiceSettingCode. Content of JDV_J04 (CI-SIS) because the current J62 content is unknown "
                "(the NOS J62 of 2020-04-24 lacked ESSMS and SNR); load the official J62 to replace it."
            ),
        ),
        j04,
        _copy(
            j07,
            "JDV_J66-TypeCode-DMP",
            "1.2.250.1.213.1.1.5.7",
            source=f"codes: JDV_J07 ({j07.source}); OID: {nos.nos_source('ValueSet-JDV-J66-TypeCode-DMP.json')}",
            description=(
                "DMP typeCode. Content of JDV_J07 (CI-SIS, 114 codes) because the current J66 content is unknown; "
                "treat J07 membership as the check. Load the official J66 to replace it."
            ),
        ),
        j07,
        _copy(
            j01,
            "JDV_J56-AuthorSpecialty-DMP",
            "1.2.250.1.213.1.1.5.1",
            source=f"codes: JDV_J01 ({j01.source}); OID: {nos.nos_source('ValueSet-JDV-J56-AuthorSpecialty-DMP.json')}",
            description=(
                "DMP authorSpecialty. Content of JDV_J01 (CI-SIS, 396 codes) because the current J56 content is "
                "unknown (the NOS J56 of 2022-07-29 also listed TRE_R85 roles); load the official J56 to replace it."
            ),
        ),
        j01,
        g15,
        r01,
        a00,
        ValueSet.of(
            "TRE_R248-ModeAcces",
            nos.TRE_R248_ROWS,
            oid=TRE_R248,
            version="2020-04-24",
            source=nos.TRE_R248_SOURCE,
            description=(
                "VIHF purpose of use (mode d'accès). Code system as on the wire: 1.2.250.1.213.1.1.4.248 (the NOS "
                "CodeSystem resource carries the identifier 1.2.250.1.213.1.1.4.336)."
            ),
        ),
        ValueSet.of(
            "JDV_J52-AvailabilityStatus-CISIS",
            nos.J52_ROWS,
            oid="1.2.250.1.213.1.1.5.131",
            version="2020-04-24",
            source=nos.J52_SOURCE,
            description=(
                "availabilityStatus values. NOS code systems TRE_R269 (OASIS) and TRE_R270 (CI-SIS), OIDs not "
                "found: the literal 'URN' is used as code system."
            ),
        ),
        _kit("J231"),
        _kit("J197"),
        _kit("J47"),
        _kit("J143"),
        _legacy(j07),
        _forbidden(j57, j07),
    ]
    return tuple(tables)


def _x04_entries(j57: ValueSet) -> dict[tuple[str, str], Code]:
    entries: dict[tuple[str, str], Code] = {}

    def target(cls: str) -> Code:
        return Code(cls, TRE_A03, j57.display(cls, TRE_A03))

    for code, cls in nos.ASS_X04_LOINC:
        entries[(LOINC, code)] = target(cls)
    for code, cls in nos.ASS_X04_TRE_A05:
        entries[(TRE_A05, code)] = target(cls)
    for code, cls, system in nos.ASS_X04_ASTM:
        entries[(ASTM, code)] = Code(cls, system, j57.display(cls, URN))
    return entries


@cache
def builtin_code_maps() -> tuple[CodeMap, ...]:
    """The built-in correspondence tables (ASS_X04, ASS_A12)."""
    j57 = builtin_value_sets()[0]
    j60 = next(vs for vs in builtin_value_sets() if vs.name == "JDV_J60-FormatCode-DMP")
    x04 = CodeMap(
        name="ASS_X04-CorrespondanceType-Classe-CISIS",
        oid="1.2.250.1.213.1.1.4.249",
        version="2025-04-15",
        source=nos.ASS_X04_SOURCE,
        entries=_x04_entries(j57),
        description=(
            "typeCode (JDV_J07: LOINC, TRE_A05, ASTM) → classCode (TRE_A03 / URN). Covers every J07 code except "
            "101881-1 (no row yet) and 16 legacy codes no longer in J07."
        ),
    )
    a12 = CodeMap(
        name="ASS_A12-CorresMediaTypeCDANonStructure-XdsFormatCode-CISIS",
        oid=None,
        version="5.0.0",
        source=nos.ASS_A12_SOURCE,
        entries={
            (MEDIA_TYPE_SYSTEM, media): Code(fmt, TRE_A11_IHE_FORMAT, j60.display(fmt, TRE_A11_IHE_FORMAT))
            for media, fmt in nos.ASS_A12
        },
        description=(
            "No OID found. N1 body mediaType (component/nonXMLBody/text/@mediaType) → XDS formatCode (TRE_A11). "
            "The ConceptMap carries no publication date (version 5.0.0)."
        ),
    )
    return (x04, a12)


def iter_builtin_tables() -> Iterable[ValueSet | CodeMap]:
    """Value sets then code maps."""
    yield from builtin_value_sets()
    yield from builtin_code_maps()
