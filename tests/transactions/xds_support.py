"""Shared helpers of the XDS transaction tests (TD2.x, TD3.x): contexts equal to the GIE examples' content,
typed inputs, tree normalisation and the ignore rules of the structural comparisons.

Not collected by pytest (no ``test_`` prefix); imported by ``test_xds_*.py`` and ``test_submission*.py``.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

from lxml import etree

from dmpclient import _xml
from dmpclient.context import ActingContext, CardType, Professional, SoftwareIdentity
from dmpclient.environments import SANDBOX
from dmpclient.ids import INS, OidGenerator
from dmpclient.security.pki import TestPki
from dmpclient.soap import SoapMessage, SoapRequest, SoapResponse, read_message
from dmpclient.terminology import Code
from dmpclient.transactions._base import RequestContext
from dmpclient.transactions.submission import SubmissionSetInfo
from dmpclient.xds import Author, DocumentEntry, Organization, PatientInfo, Person
from dmpclient.xds.constants import DE_UNIQUE_ID, SS_UNIQUE_ID

from .structural import EXAMPLE_ARTEFACTS, VOLATILE, Rule, any_value, drop, same_if

#: The software root of the GIE XDS examples (their sourceId and the root of every uniqueId).
ROOT: Final = "1.2.250.1.999.1.1.7898"
SOFTWARE: Final = SoftwareIdentity(name="LPS GIE-SV", version="1", homologation_number="NumAutorisation", oid_root=ROOT)
#: The patient of the TD2.1 / TD3.x examples.
EXAMPLE_INS: Final = INS.parse("207058575627097")
#: TD2.1 example: submission time = signing time = 04/06/2021 13:50:51 UTC.
TD21_TIME: Final = dt.datetime(2021, 6, 4, 13, 50, 51, tzinfo=dt.UTC)

HOSPITALISATION_DE_JOUR: Final = Code("04", "1.2.250.1.213.2.2", "Hospitalisation de jour")
SPECIALTY: Final = Code("G15_10/SM26", "1.2.250.1.213.1.1.4.5", "Médecin - Qualifié en Médecine Générale (SM)")

XDS_ASSOCIATION_IDS = ("Association", "association", "assoc")


def received(message: SoapRequest | SoapResponse) -> SoapMessage:
    """What the other side reads from one of our outgoing messages (streamed, chunk by chunk)."""
    return read_message(message.content_type, message.iter_bytes(chunk_size=7000))


def example_root(official_examples: Path, name: str) -> etree._Element:
    """An official example file, parsed."""
    return _xml.parse_file(official_examples / name)


def body_of(envelope: etree._Element) -> etree._Element:
    """The first element of the SOAP Body (SOAP 1.1 or 1.2)."""
    body = next(el for el in envelope if isinstance(el.tag, str) and etree.QName(el).localname == "Body")
    return next(el for el in body if isinstance(el.tag, str))


def example_acting(pki: TestPki, *, cpe: bool = False) -> ActingContext:
    """The acting context whose XDS author equals the GIE examples' ``899900063480^MAX^LIBRE…``.

    The examples put ``MAX`` in the family-name component and ``LIBRE`` in the given-name one (their own
    certificate says GN=MAX, SN=LIBRE): to reproduce the example's typed content, the professional is built
    with those components.
    """
    base = pki.acting_context("DIRECTE")
    professional = Professional.create(
        "899900063480",
        "MAX",
        "LIBRE",
        profession="10",
        profession_display="Médecin",
        specialty="SM26",
        specialty_display="Qualifié en Médecine Générale (SM)",
        author_specialty_display=SPECIALTY.display,
        card_type=CardType.CPE if cpe else CardType.CPS,
    )
    return dataclasses.replace(base, professional=professional, software=SOFTWARE)


def make_context(
    pki: TestPki,
    *,
    acting: ActingContext | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> RequestContext:
    """A RequestContext on the sandbox environment, signed with the professional's test key."""
    now = clock or (lambda: TD21_TIME)
    return RequestContext(
        acting=acting or example_acting(pki),
        environment=SANDBOX,
        signer=pki.signer("prof-sign"),
        clock=now,
        oid_generator=OidGenerator(ROOT, clock=lambda: now().timestamp()),
    )


def ss_info(
    title: str | None = "lot du document originel", comments: str | None = "Compte rendu test"
) -> SubmissionSetInfo:
    """The TD2.1 example's submission set choices."""
    return SubmissionSetInfo(HOSPITALISATION_DE_JOUR, title=title, comments=comments)


def example_author() -> Author:
    """The author of the GIE examples."""
    return Author(
        person=Person.dmp("899900063480", "MAX", "LIBRE"),
        institutions=(Organization.dmp("CABINET DR LIBRE", "499900063480001"),),
        specialties=(SPECIALTY,),
    )


def example_entry(**changes: object) -> DocumentEntry:
    """The ``DocumentME2`` entry of the TD2.1 example, as typed input."""
    entry = DocumentEntry(
        unique_id=f"{ROOT}.3.1622814651504",
        mime_type="text/xml",
        creation_time=dt.datetime(2010, 3, 19, 19, 45, 35, tzinfo=dt.UTC),
        service_start_time=dt.datetime(2010, 3, 19, 18, 32, 44, tzinfo=dt.UTC),
        service_stop_time=dt.datetime(2010, 3, 19, 18, 33, 44, tzinfo=dt.UTC),
        language_code="fr-FR",
        legal_authenticator=Person.dmp("899900063480", "MAX", "LIBRE"),
        source_patient_id=f"0456789999^^^&{ROOT}.2&ISO^PI",
        source_patient_info=PatientInfo(
            birth_family_name="patb-quatre", birth_given_name="LAURENCE", birth_date="19070525", sex="F"
        ),
        title="Document 1",
        comments="commentaire sur document",
        authors=(example_author(),),
        class_code=Code("10", "1.2.250.1.213.1.1.4.1", "Compte rendu"),
        type_code=Code("27899-4", "2.16.840.1.113883.6.1", "CR d'acte diagnostique (autre)"),
        confidentiality_codes=(Code("N", "2.16.840.1.113883.5.25", "Normal"),),
        format_code=Code(
            "urn:ihe:iti:xds-sd:text:2008", "1.3.6.1.4.1.19376.1.2.3", "Document à corps non structuré en texte brut"
        ),
        healthcare_facility_type_code=Code("SA01", "1.2.250.1.71.4.2.4", "Etablissement public de santé"),
        practice_setting_code=Code("ETABLISSEMENT", "1.2.250.1.213.1.1.4.9", "Etablissement de santé"),
        patient_id=EXAMPLE_INS.to_cx(),
    )
    return entry.replace_fields(**changes) if changes else entry


# ------------------------------------------------------------------------------------ normalisation

_AUTHOR_SCHEMES: Final = (
    "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d",  # DocumentEntry author
    "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d",  # SubmissionSet author
)
_RIM: Final = _xml.NS["rim"]


def normalized(root: etree._Element, *, rename: Mapping[str, str] | None = None) -> etree._Element:
    """A copy where ebRIM ordering freedoms are fixed, so that only real differences remain.

    * the slots of an author classification are sorted by name (ebRIM gives slots no order; the GIE examples
      write person/specialty/institution in TD2.1 and institution/person/specialty in the TD3.3a template);
    * each run of sibling ``Classification`` elements is sorted by scheme (stable, so the confidentiality codes
      keep their order): the examples themselves disagree on where eventCodeList goes;
    * ``rename`` maps our symbolic ids to the example's (``Document01`` → ``DocumentME2``): symbolic ids are
      the sender's free choice, but every reference to them must stay consistent — renaming keeps the
      ``classifiedObject`` / ``registryObject`` / ``sourceObject`` / ``targetObject`` checks meaningful.
    """
    tree = copy.deepcopy(root)
    mapping = dict(rename or {})
    for el in tree.iter(etree.Element):
        for attr in ("id", "classifiedObject", "registryObject", "sourceObject", "targetObject"):
            value = el.get(attr)
            if value in mapping:
                el.set(attr, mapping[value])
    for cl in tree.iter(f"{{{_RIM}}}Classification"):
        if cl.get("classificationScheme") in _AUTHOR_SCHEMES:
            slots = [c for c in cl if c.tag == f"{{{_RIM}}}Slot"]
            for s in slots:
                cl.remove(s)
            for s in sorted(slots, key=lambda e: e.get("name") or ""):
                cl.append(s)
    for parent in list(tree.iter(etree.Element)):
        children = list(parent)
        i = 0
        while i < len(children):
            if children[i].tag != f"{{{_RIM}}}Classification":
                i += 1
                continue
            j = i
            while j < len(children) and children[j].tag == f"{{{_RIM}}}Classification":
                j += 1
            run = children[i:j]
            ordered = sorted(run, key=lambda e: e.get("classificationScheme") or e.get("classificationNode") or "")
            for offset, el in enumerate(ordered):
                parent.insert(i + offset, el)
            i = j
    return tree


def with_namespaces(root: etree._Element, namespace: str, overrides: Mapping[str, str] | None = None) -> etree._Element:
    """A copy of a no-namespace tree (the C# kit template) with its elements put in ``namespace``
    (``overrides``: local name → namespace for the exceptions, e.g. ``SubmitObjectsRequest`` → lcm)."""
    tree = copy.deepcopy(root)
    special = dict(overrides or {})
    for el in tree.iter(etree.Element):
        qn = etree.QName(el)
        if not qn.namespace:
            el.tag = f"{{{special.get(qn.localname, namespace)}}}{qn.localname}"
    return _xml.parse_bytes(etree.tostring(tree))


def patient_cx(ins: INS) -> re.Pattern[str]:
    """The INS CX, with or without the examples' extra ``^^<date>`` component."""
    return re.compile(rf"^{ins.matricule}\^\^\^&{re.escape(ins.oid.value)}&ISO\^NH(\^\^\d{{8,14}})?$")


#: Rules shared by every XDS comparison with the GIE examples (each explained).
XDS_IGNORES: Final[tuple[Rule, ...]] = (
    *VOLATILE,
    *EXAMPLE_ARTEFACTS,
    # Our wsa:To is the endpoint URL (envelope-and-transport.md §2); the GIE examples leave it empty.
    any_value("wsa:To/text()"),
    # Classification / ExternalIdentifier / Association ids are symbolic and numbered by each writer.
    any_value("rim:Classification/@id"),
    any_value("rim:ExternalIdentifier/@id"),
    any_value("rim:Association/@id"),
    # The TD3.3 examples omit classifiedObject on the SS author and registryObject on the SS external ids;
    # ebRIM writers (ours) always name the object (xds-metadata.md §9: "accept on input").
    drop("rim:RegistryPackage/rim:Classification/@classifiedObject"),
    drop("rim:RegistryPackage/rim:ExternalIdentifier/@registryObject"),
    # The TD3.3 examples write the ebRIM default objectType on associations; optional, we omit it.
    drop("rim:Association/@objectType"),
    # Author classifications: nodeRepresentation="" in the TD3.3 examples, absent in the TD2.1 one.
    drop(f"rim:Classification[@classificationScheme='{_AUTHOR_SCHEMES[0]}']/@nodeRepresentation"),
    drop(f"rim:Classification[@classificationScheme='{_AUTHOR_SCHEMES[1]}']/@nodeRepresentation"),
    # patientId: the examples append ^^<date> to the INS CX; we emit the short form (xds-metadata.md §2.1).
    same_if(patient_cx(EXAMPLE_INS), "rim:ExternalIdentifier/@value"),
    same_if(patient_cx(EXAMPLE_INS), "rim:Slot[@name='sourcePatientId']//rim:Value/text()"),
    # uniqueIds we generate (lot, signature) are under the same software root but carry another sequence
    # number (OidGenerator: clock in ms x 1000 + counter): the example's values cannot be reproduced.
    same_if(rf"^{re.escape(ROOT)}(\.\d+)+$", f"rim:ExternalIdentifier[@identificationScheme='{SS_UNIQUE_ID}']/@value"),
    same_if(
        rf"^{re.escape(ROOT)}\.4\.\d+$",
        f"rim:ExtrinsicObject[@id='Signature01']/rim:ExternalIdentifier[@identificationScheme='{DE_UNIQUE_ID}']/@value",
    ),
)

#: Content-IDs are random per message: the ``xop:Include/@href`` values differ.
XOP_HREF: Final = any_value("xop:Include/@href")
