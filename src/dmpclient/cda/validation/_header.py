"""Built-in CI-SIS header rules (no kit needed): the structuration-minimale rules that matter for the DMP.

Each rule has a stable id (``cda.<area>.<what>``) listed in :data:`HEADER_RULES` with the code of the
corresponding structuration-minimale schematron item (``SMDS_CDAClinicalDocument``, ``CI-SISRecordTarget`` …)
or DMP requirement (``EX_2.1-1010``, ``EX_2.1-1130``). Locations are XPaths with the ``hl7:`` prefix for the
CDA namespace, in the same form as the schematron findings. Value sets come from
:mod:`dmpclient.terminology` (J07, J08, J02, J04, J143, J01, J47).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from lxml import etree

from dmpclient import terminology
from dmpclient.cda.schematron._model import text_of
from dmpclient.errors import DMPClientError, Finding, InputError, Severity
from dmpclient.ids import IDNPS_OID, IDNST_OID, INS, InsOid, validate_unique_id

__all__ = [
    "ALLOWED_N1_MEDIA_TYPES",
    "HEADER_RULES",
    "HeaderRule",
    "check_header",
]

HL7: Final = "urn:hl7-org:v3"
_H: Final = f"{{{HL7}}}"
NSMAP: Final = {"hl7": HL7}

HL7_FRANCE_TEMPLATE: Final = "2.16.840.1.113883.2.8.2.1"
CISIS_TEMPLATE: Final = "1.2.250.1.213.1.1.1.1"
XDS_SD_TEMPLATE: Final = "1.3.6.1.4.1.19376.1.2.20"
TYPE_ID_ROOT: Final = "2.16.840.1.113883.1.3"
TYPE_ID_EXTENSION: Final = "POCD_HD000040"
#: Custodian of documents the patient produces (host of the DMP) — `cda.md` §2.
PATIENT_HOST_OID: Final = "1.2.250.1.213.4.1"
HL7_ADMINISTRATIVE_GENDER: Final = "2.16.840.1.113883.5.1"
INS_OIDS: Final = frozenset({InsOid.PRODUCTION.value, InsOid.NIA.value, InsOid.TEST.value, InsOid.DEMONSTRATION.value})
#: N1 body media types (`cda.md` §1).
ALLOWED_N1_MEDIA_TYPES: Final = ("application/pdf", "text/plain", "text/rtf", "image/jpeg", "image/tiff")
_OID_RE: Final = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
_UUID_RE: Final = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
_TS_RE: Final = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$")
_COG_RE: Final = re.compile(r"^(\d{5}|2[AB]\d{3})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class HeaderRule:
    """A built-in rule: its code and a one-line summary (the documentation table is generated from these)."""

    code: str
    summary: str


S: Final = "SMDS_CDAClinicalDocument"

#: Every built-in rule id → (code, summary). Severity is decided per finding (see the docs table).
HEADER_RULES: Final[dict[str, HeaderRule]] = {
    "cda.root": HeaderRule(S, "the root element is hl7:ClinicalDocument"),
    "cda.realmCode": HeaderRule(S, "exactly one realmCode, code FR"),
    "cda.typeId": HeaderRule(S, "typeId root 2.16.840.1.113883.1.3, extension POCD_HD000040"),
    "cda.templateId.hl7france": HeaderRule(S, "templateId 2.16.840.1.113883.2.8.2.1 exactly once"),
    "cda.templateId.cisis": HeaderRule(S, "templateId 1.2.250.1.213.1.1.1.1 exactly once"),
    "cda.templateId.model": HeaderRule(S, "at least one model templateId besides the two common ones"),
    "cda.templateId.n1": HeaderRule(
        S, "N1: exactly three templateIds, the third being XDS-SD 1.3.6.1.4.1.19376.1.2.20"
    ),
    "cda.templateId.xds-sd": HeaderRule(S, "XDS-SD templateId on a structured body (warning)"),
    "cda.id": HeaderRule(S, "exactly one id with an OID/UUID root and no nullFlavor"),
    "cda.id.extension": HeaderRule("EX_2.1-1130", "id without extension: it becomes the XDS uniqueId"),
    "cda.code": HeaderRule(S, "code with @code and @codeSystem"),
    "cda.code.j07": HeaderRule(S, "code in JDV_J07 (legacy ASS_X04-only codes: warning)"),
    "cda.code.lps-forbidden": HeaderRule("EX_2.1-1010", "type codes an LPS may not send"),
    "cda.title": HeaderRule(S, "non-empty title"),
    "cda.effectiveTime": HeaderRule(S, "effectiveTime is a valid timestamp, with a UTC offset when a time is given"),
    "cda.time.offset": HeaderRule(S, "other header times carry a UTC offset when a time is given (warning)"),
    "cda.confidentialityCode": HeaderRule(S, "confidentialityCode in JDV_J08"),
    "cda.languageCode": HeaderRule(S, "languageCode present (fr-FR expected: warning otherwise)"),
    "cda.setId": HeaderRule(S, "setId present with a root, no nullFlavor"),
    "cda.versionNumber": HeaderRule(S, "versionNumber is a positive integer"),
    "cda.recordTarget": HeaderRule("CI-SISRecordTarget", "exactly one recordTarget/patientRole with an id"),
    "cda.ins.missing": HeaderRule("CI-SISRecordTarget", "a patientRole/id with an INS OID (warning)"),
    "cda.ins.first": HeaderRule("CI-SISRecordTarget", "the INS is the first patientRole/id (warning)"),
    "cda.ins.key": HeaderRule("CI-SISRecordTarget", "the INS matricule has a valid key (warning)"),
    "cda.ins.birthName": HeaderRule("CI-SISRecordTarget", "INS: birth name family[@qualifier='BR']"),
    "cda.ins.firstBirthGiven": HeaderRule("CI-SISRecordTarget", "INS: first birth given name given[@qualifier='BR']"),
    "cda.ins.birthGivens": HeaderRule("CI-SISRecordTarget", "INS: list of birth given names (given without qualifier)"),
    "cda.ins.sex": HeaderRule("CI-SISRecordTarget", "INS: administrativeGenderCode in JDV_J143"),
    "cda.ins.birthDate": HeaderRule("CI-SISRecordTarget", "INS: birthTime"),
    "cda.ins.birthplace": HeaderRule("CI-SISRecordTarget", "INS: birthplace/place/addr/county (INSEE COG code)"),
    "cda.name.qualifier": HeaderRule("CI-SISRecordTarget", "patient name qualifiers limited to BR and CL"),
    "cda.author": HeaderRule("CI-SISAuthor", "at least one author with time and assignedAuthor/id"),
    "cda.author.id": HeaderRule("CI-SISAuthor", "a person author is identified by an IDNPS (1.2.250.1.71.4.2.1)"),
    "cda.author.organization": HeaderRule(
        "CI-SISAuthor", "representedOrganization/id root is IDNST (1.2.250.1.71.4.2.2)"
    ),
    "cda.author.code": HeaderRule("CI-SISAuthor", "author code in JDV_J01 (warning)"),
    "cda.author.functionCode": HeaderRule("CI-SISAuthor", "author functionCode in JDV_J47 (warning)"),
    "cda.custodian": HeaderRule("CI-SISCustodian", "custodian organization id root IDNST or 1.2.250.1.213.4.1"),
    "cda.legalAuthenticator": HeaderRule("CI-SISLegalAuthenticator", "exactly one legalAuthenticator with time"),
    "cda.legalAuthenticator.signatureCode": HeaderRule("CI-SISLegalAuthenticator", "signatureCode code S"),
    "cda.legalAuthenticator.id": HeaderRule("CI-SISLegalAuthenticator", "assignedEntity identified by an IDNPS"),
    "cda.documentationOf": HeaderRule("CI-SISDocumentationOf", "at least one documentationOf/serviceEvent"),
    "cda.serviceEvent.performer": HeaderRule(S, "the first serviceEvent has exactly one performer"),
    "cda.serviceEvent.effectiveTime": HeaderRule(S, "the first serviceEvent has exactly one effectiveTime"),
    "cda.practiceSetting": HeaderRule(
        "CI-SISDocumentationOf", "performer organization standardIndustryClassCode (cadre d'exercice) in JDV_J04"
    ),
    "cda.componentOf": HeaderRule(
        "CI-SISComponentOf", "exactly one componentOf/encompassingEncounter with effectiveTime"
    ),
    "cda.healthCareFacility": HeaderRule(
        "CI-SISComponentOf", "location/healthCareFacility/code (secteur d'activité) in JDV_J02"
    ),
    "cda.encounter.participant": HeaderRule(
        "CI-SISComponentOf", "an IDNPS-identified responsibleParty or encounterParticipant (warning)"
    ),
    "cda.relatedDocument": HeaderRule("CI-SISRelatedDocument", "at most one relatedDocument RPLC with a parent id"),
    "cda.component": HeaderRule(S, "exactly one component with structuredBody or nonXMLBody"),
    "cda.n1.mediaType": HeaderRule(S, "N1 text mediaType in the allowed list"),
    "cda.n1.representation": HeaderRule(S, "N1 text representation B64, non-empty valid base64"),
}


# ------------------------------------------------------------------------------------------ helpers


def xpath_of(element: etree._Element) -> str:
    """``/hl7:ClinicalDocument[1]/hl7:author[2]…``: same form as the schematron locations."""
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        qname = etree.QName(node)
        prefix = "hl7:" if qname.namespace == HL7 else (f"Q{{{qname.namespace}}}" if qname.namespace else "")
        parent = node.getparent()
        index = 1
        if parent is not None:
            index = sum(1 for sib in node.itersiblings(preceding=True) if sib.tag == node.tag) + 1
        steps.append(f"/{prefix}{qname.localname}[{index}]")
        node = parent
    return "".join(reversed(steps))


def _valid_ts(value: str) -> tuple[bool, bool, bool]:
    """(valid, has_time, has_offset) of an HL7 TS value."""
    m = _TS_RE.match(value)
    if not m:
        return False, False, False
    year, month, day, hour, minute, second = (int(g) if g else None for g in m.groups()[:6])
    try:
        datetime(year or 1, month or 1, day or 1, hour or 0, minute or 0, second or 0)
    except ValueError:
        return False, False, False
    if m.group(8):
        off = m.group(8)
        if int(off[1:3]) > 14 or int(off[3:5]) > 59:
            return False, False, False
    if (month is None and day is not None) or (hour is not None and day is None):
        return False, False, False
    return True, hour is not None, m.group(8) is not None


def _is_uid(value: str | None) -> bool:
    return bool(value) and bool(_OID_RE.match(value or "") or _UUID_RE.match(value or ""))


class _Checker:
    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.findings: list[Finding] = []
        self.doc_path = xpath_of(root)

    def add(
        self,
        rule: str,
        message: str,
        where: etree._Element | str | None = None,
        *,
        severity: Severity = Severity.ERROR,
        value: str | None = None,
        message_fr: str | None = None,
    ) -> None:
        if isinstance(where, etree._Element):
            location = xpath_of(where)
        elif isinstance(where, str):
            location = where
        else:
            location = self.doc_path
        self.findings.append(
            Finding(
                rule=rule,
                message=message,
                severity=severity,
                location=location,
                code=HEADER_RULES[rule].code,
                message_fr=message_fr,
                value=value,
            )
        )

    def xp(self, path: str, node: etree._Element | None = None) -> list[etree._Element]:
        found = (node if node is not None else self.root).xpath(path, namespaces=NSMAP)
        return [e for e in found if isinstance(e, etree._Element)] if isinstance(found, list) else []

    def one(self, path: str, node: etree._Element | None = None) -> etree._Element | None:
        found = self.xp(path, node)
        return found[0] if found else None

    def missing(self, parent: etree._Element, child: str) -> str:
        return f"{xpath_of(parent)}/hl7:{child}"

    def in_value_set(
        self,
        rule: str,
        element: etree._Element,
        set_name: str,
        what: str,
        *,
        severity: Severity = Severity.ERROR,
    ) -> None:
        code, system = element.get("code"), element.get("codeSystem")
        if not code or not system:
            if element.get("nullFlavor") is None:
                self.add(rule, f"{what} needs @code and @codeSystem", element, severity=severity)
            else:
                self.add(rule, f"{what} has nullFlavor={element.get('nullFlavor')!r}", element, severity=severity)
            return
        value_set = _value_set(set_name)
        if value_set is None:  # pragma: no cover - the tables ship with the package
            return
        if (system, code) not in value_set:
            self.add(
                rule,
                f"{what} {code!r} (codeSystem {system}) is not in {value_set.name} ({value_set.version})",
                element,
                severity=severity,
                value=code,
            )


def _value_set(name: str) -> terminology.ValueSet | None:
    try:
        return terminology.value_set(name)
    except (DMPClientError, LookupError):  # pragma: no cover - depends on the terminology tables
        return None


# -------------------------------------------------------------------------------------------- rules


def _document(c: _Checker) -> None:
    realms = c.xp("hl7:realmCode")
    if len(realms) != 1 or realms[0].get("code") != "FR":
        shown = [r.get("code") for r in realms]
        c.add(
            "cda.realmCode", f"expected exactly one realmCode code='FR', found {shown}", realms[0] if realms else None
        )
    type_ids = c.xp("hl7:typeId")
    if (
        len(type_ids) != 1
        or type_ids[0].get("root") != TYPE_ID_ROOT
        or type_ids[0].get("extension") != TYPE_ID_EXTENSION
    ):
        shown_t = [(t.get("root"), t.get("extension")) for t in type_ids]
        c.add("cda.typeId", f"expected typeId {TYPE_ID_ROOT}/{TYPE_ID_EXTENSION}, found {shown_t}")

    templates = [t.get("root") for t in c.xp("hl7:templateId")]
    for rule, oid, label in (
        ("cda.templateId.hl7france", HL7_FRANCE_TEMPLATE, "HL7 France"),
        ("cda.templateId.cisis", CISIS_TEMPLATE, "CI-SIS"),
    ):
        count = templates.count(oid)
        if count != 1:
            c.add(rule, f"the {label} templateId {oid} must appear exactly once, found {count} time(s)", value=oid)
    others = [t for t in templates if t not in (HL7_FRANCE_TEMPLATE, CISIS_TEMPLATE)]
    if not others:
        c.add("cda.templateId.model", f"no model templateId besides the common ones (found {templates})")
    n1 = c.one("hl7:component/hl7:nonXMLBody") is not None
    if n1 and (len(templates) != 3 or XDS_SD_TEMPLATE not in templates):
        c.add(
            "cda.templateId.n1",
            f"a non-structured (N1) document has exactly three templateIds, the third {XDS_SD_TEMPLATE}; "
            f"found {templates}",
            message_fr=(
                "Dans un document CDA non structuré, le templateId 1.3.6.1.4.1.19376.1.2.20 remplace le templateId du "
                'volet et seuls les trois templateId "1.3.6.1.4.1.19376.1.2.20", "2.16.840.1.113883.2.8.2.1" et '
                '"1.2.250.1.213.1.1.1.1" sont admis'
            ),
        )
    if not n1 and XDS_SD_TEMPLATE in templates:
        c.add(
            "cda.templateId.xds-sd",
            f"the XDS-SD templateId {XDS_SD_TEMPLATE} is meant for non-structured bodies",
            severity=Severity.WARNING,
        )

    ids = c.xp("hl7:id")
    if len(ids) != 1:
        c.add("cda.id", f"expected exactly one ClinicalDocument/id, found {len(ids)}")
    for el in ids[:1]:
        root_oid = el.get("root")
        if el.get("nullFlavor") is not None or not _is_uid(root_oid):
            c.add("cda.id", f"the document id needs an OID or UUID root and no nullFlavor (root={root_oid!r})", el)
        elif el.get("extension") is None and _OID_RE.match(root_oid or ""):
            try:
                validate_unique_id(root_oid or "", field="ClinicalDocument/id/@root")
            except InputError as exc:
                c.add("cda.id", f"the document id cannot be a DMP uniqueId: {exc.reason}", el, value=root_oid)
        if el.get("extension") is not None:
            c.add(
                "cda.id.extension",
                f"ClinicalDocument/id has extension={el.get('extension')!r}: the DMP uniqueId is an OID without "
                "'^extension'; put the whole identifier in @root",
                el,
                value=el.get("extension"),
            )

    code = c.one("hl7:code")
    if code is None or not code.get("code") or not code.get("codeSystem"):
        c.add("cda.code", "ClinicalDocument/code needs @code and @codeSystem (the XDS typeCode)", code)
    else:
        _type_code(c, code)

    title = c.one("hl7:title")
    if title is None or not text_of(title).strip():
        c.add("cda.title", "ClinicalDocument/title is missing or empty (it becomes the XDS title)", title)

    eff = c.one("hl7:effectiveTime")
    value = eff.get("value") if eff is not None else None
    if eff is None or not value:
        c.add("cda.effectiveTime", "ClinicalDocument/effectiveTime/@value is required (XDS creationTime)", eff)
    else:
        ok, has_time, has_offset = _valid_ts(value)
        if not ok:
            c.add("cda.effectiveTime", f"effectiveTime {value!r} is not a valid HL7 timestamp", eff, value=value)
        elif has_time and not has_offset:
            c.add(
                "cda.effectiveTime",
                f"effectiveTime {value!r} gives a time without UTC offset (e.g. {value[:14]}+0100)",
                eff,
                value=value,
            )

    conf = c.one("hl7:confidentialityCode")
    if conf is None:
        c.add("cda.confidentialityCode", "ClinicalDocument/confidentialityCode is required")
    else:
        c.in_value_set("cda.confidentialityCode", conf, "J08", "confidentialityCode")

    lang = c.one("hl7:languageCode")
    if lang is None or not lang.get("code"):
        c.add("cda.languageCode", "ClinicalDocument/languageCode/@code is required (fr-FR)", lang)
    elif lang.get("code") != "fr-FR":
        c.add(
            "cda.languageCode",
            f"languageCode {lang.get('code')!r}: the CI-SIS expects fr-FR",
            lang,
            severity=Severity.WARNING,
            value=lang.get("code"),
        )

    set_id = c.one("hl7:setId")
    if set_id is None or set_id.get("nullFlavor") is not None or not _is_uid(set_id.get("root")):
        c.add("cda.setId", "setId with an OID/UUID root and no nullFlavor is required", set_id)
    version = c.one("hl7:versionNumber")
    version_value = version.get("value") if version is not None else None
    if version_value is None or not version_value.isdigit() or int(version_value) < 1:
        c.add(
            "cda.versionNumber", f"versionNumber/@value must be a positive integer (found {version_value!r})", version
        )

    components = c.xp("hl7:component")
    bodies = c.xp("hl7:component/hl7:structuredBody | hl7:component/hl7:nonXMLBody")
    if len(components) != 1 or len(bodies) != 1:
        c.add("cda.component", f"expected one component with one body, found {len(components)} / {len(bodies)}")


def _type_code(c: _Checker, code: etree._Element) -> None:
    value, system = code.get("code", ""), code.get("codeSystem", "")
    j07 = _value_set("J07")
    if j07 is not None and (system, value) not in j07:
        if terminology.is_legacy_type_code(value):
            c.add(
                "cda.code.j07",
                f"typeCode {value!r} left JDV_J07 ({j07.version}); the DMP still accepts it on read but a producer "
                "should use a current code",
                code,
                severity=Severity.WARNING,
                value=value,
            )
        else:
            known = j07.lookup(value)
            hint = f" (J07 has it in codeSystem {known.code_system})" if known is not None else ""
            c.add(
                "cda.code.j07",
                f"typeCode {value!r} (codeSystem {system}) is not in {j07.name} ({j07.version}){hint}",
                code,
                value=value,
            )
    reason = terminology.lps_forbidden(terminology.Code(value, system, code.get("displayName") or None))
    if reason:
        c.add("cda.code.lps-forbidden", reason, code, value=value)


def _time(c: _Checker, el: etree._Element | None, what: str, *, required_rule: str | None = None) -> None:
    value = el.get("value") if el is not None else None
    if el is None or (not value and el.get("nullFlavor") is None):
        if required_rule:
            c.add(required_rule, f"{what}/@value is required", el)
        return
    if not value:
        return
    ok, has_time, has_offset = _valid_ts(value)
    if not ok:
        c.add(required_rule or "cda.time.offset", f"{what} {value!r} is not a valid HL7 timestamp", el, value=value)
    elif has_time and not has_offset:
        c.add(
            "cda.time.offset",
            f"{what} {value!r} gives a time without UTC offset",
            el,
            severity=Severity.WARNING,
            value=value,
        )


def _patient(c: _Checker) -> None:
    targets = c.xp("hl7:recordTarget")
    if len(targets) != 1:
        c.add("cda.recordTarget", f"expected exactly one recordTarget, found {len(targets)}")
    role = c.one("hl7:recordTarget/hl7:patientRole")
    if role is None:
        if targets:
            c.add("cda.recordTarget", "recordTarget/patientRole is missing", targets[0])
        return
    ids = c.xp("hl7:id", role)
    if not ids:
        c.add("cda.recordTarget", "patientRole has no id", role)
    ins_ids = [i for i in ids if i.get("root") in INS_OIDS]
    patient = c.one("hl7:patient", role)
    if not ins_ids:
        c.add(
            "cda.ins.missing",
            "no patientRole/id carries an INS OID: a document shared on the DMP identifies the patient by the INS",
            role,
            severity=Severity.WARNING,
        )
    else:
        if ids[0] not in ins_ids:
            c.add("cda.ins.first", "the INS should be the first patientRole/id", ins_ids[0], severity=Severity.WARNING)
        for el in ins_ids:
            matricule, oid = el.get("extension") or "", el.get("root") or ""
            try:
                INS.parse(matricule, oid)
            except InputError as exc:
                c.add(
                    "cda.ins.key",
                    f"INS {matricule!r} ({oid}) is not a valid matricule: {exc.reason}",
                    el,
                    severity=Severity.WARNING,
                    value=matricule,
                )
        _ins_traits(c, role, patient)
    if patient is not None:
        for part in c.xp("hl7:name/hl7:family | hl7:name/hl7:given", patient):
            qualifier = part.get("qualifier")
            if qualifier is not None and qualifier not in ("BR", "CL"):
                kind = etree.QName(part).localname
                c.add(
                    "cda.name.qualifier",
                    f"patient {kind} qualifier {qualifier!r} is not allowed: only BR (birth) and CL (used) are",
                    part,
                    value=qualifier,
                    message_fr=(
                        'Seuls les qualifiers "BR" pour le nom de famille, ou "CL" pour le nom utilisé (RNIV) sont '
                        "autorisés"
                    )
                    if kind == "family"
                    else None,
                )


_INS_TRAITS_FR: Final = (
    "Erreur de conformité CI-SIS : Dans le cadre de l'INS, les traits de l'INS (Nom de naissance, premier prénom de "
    "l'acte de naissance, prénoms de l’acte de naissance, date de naissance, lieu de naissance (COG) et sexe) sont "
    "obligatoires"
)


#: The INS name traits: (rule, path under patient, the element needs text, what is wrong when absent).
_INS_NAME_TRAITS: Final = (
    (
        "cda.ins.birthName",
        "name/hl7:family[@qualifier='BR']",
        True,
        "the birth name (name/family qualifier='BR') is missing or empty",
    ),
    (
        "cda.ins.firstBirthGiven",
        "name/hl7:given[@qualifier='BR']",
        True,
        "the first birth given name (name/given qualifier='BR') is missing or empty",
    ),
    (
        "cda.ins.birthGivens",
        "name/hl7:given[not(@qualifier)]",
        False,
        "the list of birth given names (name/given without qualifier) is missing",
    ),
)


def _ins_traits(c: _Checker, role: etree._Element, patient: etree._Element | None) -> None:
    if patient is None:
        c.add("cda.ins.birthName", "an INS is used but patientRole/patient is missing", role, message_fr=_INS_TRAITS_FR)
        return
    for rule, path, need_text, what in _INS_NAME_TRAITS:
        found = c.xp(f"hl7:{path}", patient)
        present = [e for e in found if text_of(e).strip()] if need_text else found
        if not present:
            c.add(rule, f"INS used: {what}", c.missing(patient, path), message_fr=_INS_TRAITS_FR)
    sex = c.one("hl7:administrativeGenderCode", patient)
    if sex is None or not sex.get("code"):
        c.add(
            "cda.ins.sex",
            "INS used: administrativeGenderCode/@code is required",
            sex if sex is not None else c.missing(patient, "administrativeGenderCode"),
            message_fr=_INS_TRAITS_FR,
        )
    else:
        c.in_value_set("cda.ins.sex", sex, "J143", "administrativeGenderCode")
    birth = c.one("hl7:birthTime", patient)
    if birth is None or not birth.get("value"):
        c.add(
            "cda.ins.birthDate",
            "INS used: birthTime/@value is required",
            birth if birth is not None else c.missing(patient, "birthTime"),
            message_fr=_INS_TRAITS_FR,
        )
    elif not _valid_ts(birth.get("value", ""))[0]:
        c.add(
            "cda.ins.birthDate",
            f"birthTime {birth.get('value')!r} is not a valid date",
            birth,
            value=birth.get("value"),
        )
    county = c.one("hl7:birthplace/hl7:place/hl7:addr/hl7:county", patient)
    county_text = text_of(county).strip() if county is not None else ""
    if not county_text:
        c.add(
            "cda.ins.birthplace",
            "INS used: the birthplace INSEE code (birthplace/place/addr/county) is missing or empty",
            county if county is not None else c.missing(patient, "birthplace/hl7:place/hl7:addr/hl7:county"),
            message_fr=_INS_TRAITS_FR,
        )
    elif not _COG_RE.match(county_text):
        c.add(
            "cda.ins.birthplace",
            f"birthplace county {county_text!r} is not an INSEE COG code (5 characters, 99xxx abroad)",
            county,
            severity=Severity.WARNING,
            value=county_text,
        )


def _authors(c: _Checker) -> None:
    authors = c.xp("hl7:author")
    if not authors:
        c.add("cda.author", "at least one author is required")
    for author in authors:
        _time(c, c.one("hl7:time", author), "author/time", required_rule="cda.author")
        assigned = c.one("hl7:assignedAuthor", author)
        if assigned is None:
            c.add("cda.author", "author/assignedAuthor is missing", author)
            continue
        ident = c.one("hl7:id", assigned)
        if ident is None or not ident.get("root"):
            c.add("cda.author", "assignedAuthor/id with a root is required", assigned)
        elif c.one("hl7:assignedPerson", assigned) is not None and ident.get("root") != IDNPS_OID:
            c.add(
                "cda.author.id",
                f"a person author is identified by an IDNPS (root {IDNPS_OID}), found root {ident.get('root')!r}",
                ident,
                value=ident.get("root"),
            )
        elif ident.get("root") not in (IDNPS_OID, IDNST_OID):
            c.add(
                "cda.author.id",
                f"assignedAuthor/id root {ident.get('root')!r} is neither IDNPS nor IDNST",
                ident,
                severity=Severity.WARNING,
                value=ident.get("root"),
            )
        if c.one("hl7:assignedPerson", assigned) is None and c.one("hl7:assignedAuthoringDevice", assigned) is None:
            c.add("cda.author", "assignedAuthor needs assignedPerson or assignedAuthoringDevice", assigned)
        for org_id in c.xp("hl7:representedOrganization/hl7:id", assigned):
            if org_id.get("root") != IDNST_OID and org_id.get("nullFlavor") is None:
                c.add(
                    "cda.author.organization",
                    f"representedOrganization/id root must be IDNST {IDNST_OID}, found {org_id.get('root')!r}",
                    org_id,
                    value=org_id.get("root"),
                )
        code = c.one("hl7:code", assigned)
        if code is not None:
            c.in_value_set("cda.author.code", code, "J01", "author specialty code", severity=Severity.WARNING)
        function = c.one("hl7:functionCode", author)
        if function is not None:
            c.in_value_set("cda.author.functionCode", function, "J47", "author functionCode", severity=Severity.WARNING)


def _custodian(c: _Checker) -> None:
    custodians = c.xp("hl7:custodian")
    if len(custodians) != 1:
        c.add("cda.custodian", f"expected exactly one custodian, found {len(custodians)}")
        return
    org_id = c.one("hl7:assignedCustodian/hl7:representedCustodianOrganization/hl7:id", custodians[0])
    if org_id is None:
        c.add(
            "cda.custodian",
            "custodian/assignedCustodian/representedCustodianOrganization/id is required",
            custodians[0],
        )
    elif org_id.get("root") not in (IDNST_OID, PATIENT_HOST_OID):
        c.add(
            "cda.custodian",
            f"custodian organization id root must be {IDNST_OID} (structure) or {PATIENT_HOST_OID}, "
            f"found {org_id.get('root')!r}",
            org_id,
            value=org_id.get("root"),
        )


def _legal_authenticator(c: _Checker) -> None:
    legal = c.xp("hl7:legalAuthenticator")
    if len(legal) != 1:
        c.add(
            "cda.legalAuthenticator",
            f"expected exactly one legalAuthenticator, found {len(legal)}",
            legal[1] if len(legal) > 1 else c.missing(c.root, "legalAuthenticator"),
        )
        if not legal:
            return
    la = legal[0]
    _time(c, c.one("hl7:time", la), "legalAuthenticator/time", required_rule="cda.legalAuthenticator")
    sig = c.one("hl7:signatureCode", la)
    if sig is None or sig.get("code") != "S":
        c.add(
            "cda.legalAuthenticator.signatureCode",
            "legalAuthenticator/signatureCode must have code='S', "
            f"found {sig.get('code') if sig is not None else None!r}",
            sig if sig is not None else la,
        )
    ident = c.one("hl7:assignedEntity/hl7:id", la)
    if ident is None or ident.get("root") != IDNPS_OID:
        c.add(
            "cda.legalAuthenticator.id",
            f"legalAuthenticator/assignedEntity/id must be an IDNPS (root {IDNPS_OID}), "
            f"found {ident.get('root') if ident is not None else None!r}",
            ident if ident is not None else la,
        )


def _documentation_of(c: _Checker) -> None:
    events = c.xp("hl7:documentationOf/hl7:serviceEvent")
    if not events:
        c.add("cda.documentationOf", "at least one documentationOf/serviceEvent is required")
        return
    first = events[0]
    performers = c.xp("hl7:performer", first)
    if len(performers) != 1:
        c.add(
            "cda.serviceEvent.performer",
            f"the first serviceEvent must have exactly one performer, found {len(performers)}",
            first,
            message_fr="DocumentationOf: Le performer est obligatoire dans l'acte principal.",
        )
    times = c.xp("hl7:effectiveTime", first)
    if len(times) != 1:
        c.add(
            "cda.serviceEvent.effectiveTime",
            f"the first serviceEvent must have exactly one effectiveTime, found {len(times)}",
            first,
            message_fr="DocumentationOf: EffectiveTime est obligatoire dans l'acte principal.",
        )
    for performer in performers[:1]:
        settings = c.xp("hl7:assignedEntity/hl7:representedOrganization/hl7:standardIndustryClassCode", performer)
        if not settings:
            c.add(
                "cda.practiceSetting",
                "performer/assignedEntity/representedOrganization/standardIndustryClassCode (cadre d'exercice, "
                "XDS practiceSettingCode) is missing",
                performer,
            )
    for setting in c.xp(
        "hl7:documentationOf/hl7:serviceEvent/hl7:performer/hl7:assignedEntity/hl7:representedOrganization/"
        "hl7:standardIndustryClassCode"
    ):
        c.in_value_set("cda.practiceSetting", setting, "J04", "practice setting (standardIndustryClassCode)")


def _component_of(c: _Checker) -> None:
    encounters = c.xp("hl7:componentOf/hl7:encompassingEncounter")
    if len(encounters) != 1:
        c.add("cda.componentOf", f"expected exactly one componentOf/encompassingEncounter, found {len(encounters)}")
        if not encounters:
            return
    enc = encounters[0]
    eff = c.one("hl7:effectiveTime", enc)
    if eff is None:
        c.add("cda.componentOf", "encompassingEncounter/effectiveTime is required", c.missing(enc, "effectiveTime"))
    else:
        for t in [eff, *c.xp("hl7:low | hl7:high", eff)]:
            _time(c, t, "encompassingEncounter/effectiveTime")
    code = c.one("hl7:location/hl7:healthCareFacility/hl7:code", enc)
    if code is None:
        c.add(
            "cda.healthCareFacility",
            "location/healthCareFacility/code (secteur d'activité, XDS healthcareFacilityTypeCode) is missing",
            c.missing(enc, "location/hl7:healthCareFacility/hl7:code"),
        )
    else:
        c.in_value_set("cda.healthCareFacility", code, "J02", "healthCareFacility code")
    people = c.xp(
        "hl7:responsibleParty/hl7:assignedEntity/hl7:id | hl7:encounterParticipant/hl7:assignedEntity/hl7:id", enc
    )
    if not any(p.get("root") == IDNPS_OID for p in people):
        c.add(
            "cda.encounter.participant",
            "no responsibleParty or encounterParticipant of the encounter is identified by an IDNPS",
            enc,
            severity=Severity.WARNING,
        )


def _related(c: _Checker) -> None:
    related = c.xp("hl7:relatedDocument")
    version_el = c.one("hl7:versionNumber")
    version = version_el.get("value", "") if version_el is not None else ""
    if len(related) > 1:
        c.add("cda.relatedDocument", f"at most one relatedDocument is allowed, found {len(related)}", related[1])
    for rel in related[:1]:
        kind = rel.get("typeCode")
        if kind == "XFRM":
            c.add(
                "cda.relatedDocument",
                "relatedDocument typeCode XFRM: the DMP uses RPLC",
                rel,
                severity=Severity.WARNING,
            )
        elif kind != "RPLC":
            c.add("cda.relatedDocument", f"relatedDocument typeCode must be RPLC, found {kind!r}", rel, value=kind)
        parent_id = c.one("hl7:parentDocument/hl7:id", rel)
        if parent_id is None or parent_id.get("nullFlavor") is not None or not _is_uid(parent_id.get("root")):
            c.add(
                "cda.relatedDocument", "relatedDocument/parentDocument/id with a root (no nullFlavor) is required", rel
            )
        else:
            own = c.one("hl7:id")
            if own is not None and (own.get("root"), own.get("extension")) == (
                parent_id.get("root"),
                parent_id.get("extension"),
            ):
                c.add("cda.relatedDocument", "a replacing document needs a new id, not the parent's", parent_id)
        if kind == "RPLC" and version == "1":
            c.add(
                "cda.relatedDocument",
                "a replacement (RPLC) has versionNumber 1: it should be the replaced version + 1",
                version_el,
                severity=Severity.WARNING,
            )
    if not related and version.isdigit() and int(version) > 1:
        c.add(
            "cda.relatedDocument",
            f"versionNumber {version} without relatedDocument RPLC to the replaced version",
            version_el,
            severity=Severity.WARNING,
        )


def _n1_body(c: _Checker) -> None:
    text = c.one("hl7:component/hl7:nonXMLBody/hl7:text")
    body = c.one("hl7:component/hl7:nonXMLBody")
    if body is None:
        return
    if text is None:
        c.add("cda.n1.representation", "nonXMLBody/text is missing", body)
        return
    media = text.get("mediaType")
    if media not in ALLOWED_N1_MEDIA_TYPES:
        c.add(
            "cda.n1.mediaType",
            f"nonXMLBody/text mediaType {media!r} is not one of {', '.join(ALLOWED_N1_MEDIA_TYPES)}",
            text,
            value=media,
        )
    if text.get("representation") != "B64":
        c.add(
            "cda.n1.representation",
            f"nonXMLBody/text representation must be B64, found {text.get('representation')!r}",
            text,
        )
        return
    payload = "".join((text.text or "").split())
    if not payload:
        c.add("cda.n1.representation", "nonXMLBody/text is empty", text)
        return
    try:
        base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        c.add("cda.n1.representation", "nonXMLBody/text is not valid base64", text)


_CHECKS: Final[tuple[Callable[[_Checker], None], ...]] = (
    _document,
    _patient,
    _authors,
    _custodian,
    _legal_authenticator,
    _documentation_of,
    _component_of,
    _related,
    _n1_body,
)


def check_header(root: etree._Element) -> list[Finding]:
    """Run every built-in header rule on a parsed ``ClinicalDocument`` element."""
    if root.tag != f"{_H}ClinicalDocument":
        return [
            Finding(
                rule="cda.root",
                message=f"the root element is {root.tag!r}, not {{{HL7}}}ClinicalDocument",
                location="/",
                code=HEADER_RULES["cda.root"].code,
            )
        ]
    checker = _Checker(root)
    for check in _CHECKS:
        check(checker)
    return checker.findings
