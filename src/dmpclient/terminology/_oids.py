"""OIDs (and literal code-system names) of the code systems the DMP uses in XDS metadata and the VIHF.

Sources: ``value-sets.md`` of the project reference (CI-SIS / NOS terminologies), checked against the GIE
example messages. ``TRE_*`` are French reference terminologies (*terminologies de référence*).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "ASTM",
    "DICOM_EVENT_SOURCE",
    "HL7_ADMINISTRATIVE_GENDER",
    "HL7_CONFIDENTIALITY",
    "HL7_PARTICIPATION_FUNCTION",
    "LOINC",
    "NOS_CODE_SYSTEMS",
    "REFERENCE_ID_TYPE",
    "TRE_A00",
    "TRE_A01",
    "TRE_A02",
    "TRE_A03",
    "TRE_A05",
    "TRE_A06",
    "TRE_A07",
    "TRE_A09_DICOM",
    "TRE_A11_IHE_FORMAT",
    "TRE_G15",
    "TRE_R01",
    "TRE_R02",
    "TRE_R209",
    "TRE_R248",
    "URN",
    "oid_for_nos_url",
]

#: LOINC (document types, TRE_A04).
LOINC: Final = "2.16.840.1.113883.6.1"
#: TRE_A00-ProducteurDocNonPS: non-professional producers (EXP_PATIENT, SECRETARIAT_MEDICAL, AUTOMATE …).
TRE_A00: Final = "1.2.250.1.213.1.1.4.6"
#: TRE_A01-CadreExercice: practiceSettingCode (cadre d'exercice).
TRE_A01: Final = "1.2.250.1.213.1.1.4.9"
#: TRE_A02-ProfessionSavFaire-CISIS: authorSpecialty (``G15_10/SM26`` …).
TRE_A02: Final = "1.2.250.1.213.1.1.4.5"
#: TRE_A03-ClasseDocument: classCode.
TRE_A03: Final = "1.2.250.1.213.1.1.4.1"
#: TRE_A05-TypeDocComplementaire: French document types that have no LOINC code (SYNTH, DOCPAT01 …).
TRE_A05: Final = "1.2.250.1.213.1.1.4.12"
#: TRE_A06-FormatCodeComplementaire: CI-SIS formatCodes (``urn:asip:ci-sis:vsm:2012`` …).
TRE_A06: Final = "1.2.250.1.213.1.1.4.2.282"
#: TRE_A07-StatutVisibiliteDocument: MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX.
TRE_A07: Final = "1.2.250.1.213.1.1.4.13"
#: TRE_A09-DICOMuidRegistry (DICOM KOS formatCode).
TRE_A09_DICOM: Final = "1.2.840.10008.2.6.1"
#: TRE_A11-IheFormatCode: IHE formatCodes (``urn:ihe:iti:xds-sd:pdf:2008`` …).
TRE_A11_IHE_FORMAT: Final = "1.3.6.1.4.1.19376.1.2.3"
#: TRE_G15-ProfessionSante: profession (1st value of the VIHF role).
TRE_G15: Final = "1.2.250.1.71.1.2.7"
#: TRE_R01-EnsembleSavoirFaire-CISIS: savoir-faire / speciality (2nd value of the VIHF role, ``SM26`` …).
TRE_R01: Final = "1.2.250.1.71.4.2.5"
#: TRE_R02-SecteurActivite: healthcareFacilityTypeCode and VIHF ``Secteur_Activite`` (``SA07`` …).
TRE_R02: Final = "1.2.250.1.71.4.2.4"
#: TRE_R209-TypeActivite: submission-set contentTypeCode (``04`` Hospitalisation de jour …).
TRE_R209: Final = "1.2.250.1.213.2.2"
#: TRE_R248-ModeAcces: VIHF purpose of use, as written on the wire by the GIE examples.
#: (The NOS publishes the code system with the identifier ``1.2.250.1.213.1.1.4.336``; the DMP examples use
#: ``1.2.250.1.213.1.1.4.248``, which is what the DMP expects.)
TRE_R248: Final = "1.2.250.1.213.1.1.4.248"
#: HL7 v3 Confidentiality (TRE_A08): N, R, V.
HL7_CONFIDENTIALITY: Final = "2.16.840.1.113883.5.25"
#: HL7 v3 AdministrativeGender (JDV_J143).
HL7_ADMINISTRATIVE_GENDER: Final = "2.16.840.1.113883.5.1"
#: HL7 v3 ParticipationFunction (part of JDV_J47: ATTPHYS, PCP …).
HL7_PARTICIPATION_FUNCTION: Final = "2.16.840.1.113883.5.88"
#: Types of referenceIdList identifiers (JDV_J197 / J231).
REFERENCE_ID_TYPE: Final = "1.2.250.1.213.1.1.4.347"
#: DICOM/ASTM event code system of the signature document's eventCodeList (``1.2.840.10065.1.12.1.14``).
DICOM_EVENT_SOURCE: Final = "1.2.840.10065.1.12"
#: Literal coding scheme ``URN`` (TRE_A10-NomenclatureURN): signature classCode and formatCode.
URN: Final = "URN"
#: Literal coding scheme ``ASTM`` (TRE_A12-NomenclatureASTM): signature typeCode ``E1762``.
ASTM: Final = "ASTM"

#: OIDs of the NOS terminologies by short id (for FHIR files that name a NOS code system by URL).
NOS_CODE_SYSTEMS: Final[dict[str, str]] = {
    "TRE_A00": TRE_A00,
    "TRE_A01": TRE_A01,
    "TRE_A02": TRE_A02,
    "TRE_A03": TRE_A03,
    "TRE_A04": LOINC,
    "TRE_A05": TRE_A05,
    "TRE_A06": TRE_A06,
    "TRE_A07": TRE_A07,
    "TRE_A08": HL7_CONFIDENTIALITY,
    "TRE_A09": TRE_A09_DICOM,
    "TRE_A10": URN,
    "TRE_A11": TRE_A11_IHE_FORMAT,
    "TRE_A12": ASTM,
    "TRE_G15": TRE_G15,
    "TRE_R01": TRE_R01,
    "TRE_R02": TRE_R02,
    "TRE_R209": TRE_R209,
    "TRE_R248": TRE_R248,
}

_NOS_URL = re.compile(r"/NOS/(TRE_[A-Z]\d+)", re.IGNORECASE)


def oid_for_nos_url(url: str) -> str | None:
    """OID of the NOS terminology named in a ``https://mos.esante.gouv.fr/NOS/TRE_A03-…`` URL, when known."""
    match = _NOS_URL.search(url)
    return NOS_CODE_SYSTEMS.get(match.group(1).upper()) if match else None
