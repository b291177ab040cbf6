"""Benchmark of the XDS ebRIM codec (run on demand: ``python benchmarks/xds_codec.py``).

1. Parse a TD3.1 FindDocuments response with 1,000 DocumentEntries into the model. The response is generated
   at run time by replicating the first entry of the official GIE example
   (``../shared/fixtures/dmp-official-examples/td3.1-recherche-documents.response.xml``) with distinct
   entryUUIDs / uniqueIds; nothing is copied into the repository.
2. Serialise a 10-document submission (ProvideAndRegisterDocumentSetRequest + signature entry) to bytes.

Figures are printed next to a bare ``lxml.etree.fromstring`` of the same bytes (the floor of any reader).
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from dmpclient import _xml
from dmpclient.xds import (
    Author,
    Code,
    DocumentEntry,
    Organization,
    PatientInfo,
    Person,
    SubmissionRequest,
    SubmissionSet,
)
from dmpclient.xds.ebrim import parse_message, to_provide_and_register
from dmpclient.xds.signature import add_signature, signature_document_entry

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DMPCLIENT_SHARED", REPO.parent / "shared"))
RESPONSE = SHARED / "fixtures" / "dmp-official-examples" / "td3.1-recherche-documents.response.xml"
ENTRIES = 1000


def build_response(n: int) -> bytes:
    text = RESPONSE.read_text(encoding="utf-8")
    start = text.index("<ns4:ExtrinsicObject")
    end = text.index("</ns4:ExtrinsicObject>", start) + len("</ns4:ExtrinsicObject>")
    template = text[start:end]
    entry_id = re.search(r'id="(urn:uuid:[^"]+)"', template).group(1)  # type: ignore[union-attr]
    unique_id = re.search(  # type: ignore[union-attr]
        r'identificationScheme="urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"[^>]*value="([^"]+)"', template
    ).group(1)
    copies = []
    for i in range(n):
        copy = template.replace(entry_id, f"urn:uuid:{uuid.uuid4()}")
        copy = copy.replace(f'value="{unique_id}"', f'value="{unique_id}.{i}"')
        copy = re.sub(r'id="urn:uuid:(?!7edca82f)[^"]+"', lambda _: f'id="urn:uuid:{uuid.uuid4()}"', copy)
        copies.append(copy)
    list_start = text.index("<ns4:RegistryObjectList>") + len("<ns4:RegistryObjectList>")
    list_end = text.index("</ns4:RegistryObjectList>")
    head = text[:list_start].replace('totalResultCount="21"', f'totalResultCount="{n}"')
    return (head + "\n".join(copies) + text[list_end:]).encode("utf-8")


def submission(n_docs: int) -> SubmissionRequest:
    when = datetime(2024, 6, 12, 8, 30, tzinfo=UTC)
    ins_cx = "277076322082910^^^&1.2.250.1.213.1.4.10&ISO^NH"
    author = Author(
        person=Person.dmp("899900063480", "MAX", "LIBRE"),
        institutions=(Organization.dmp("CABINET DR LIBRE", "499900063480001"),),
        specialties=(Code("G15_10/SM26", "1.2.250.1.213.1.1.4.5", "Médecin - Qualifié en Médecine Générale (SM)"),),
    )
    request = SubmissionRequest(
        submission_set=SubmissionSet(
            unique_id="1.2.250.1.999.1.1.7898.1.1",
            source_id="1.2.250.1.999.1.1.7898",
            submission_time=when,
            content_type_code=Code("04", "1.2.250.1.213.2.2", "Hospitalisation de jour"),
            authors=(author,),
            patient_id=ins_cx,
        )
    )
    for i in range(n_docs):
        request.add_document(
            DocumentEntry(
                unique_id=f"1.2.250.1.999.1.1.7898.3.{i}",
                creation_time=when,
                service_start_time=when,
                class_code=Code("10", "1.2.250.1.213.1.1.4.1", "Compte rendu"),
                type_code=Code("11488-4", "2.16.840.1.113883.6.1", "Note de consultation"),
                format_code=Code("urn:ihe:iti:xds-sd:pdf:2008", "1.3.6.1.4.1.19376.1.2.3", "PDF"),
                healthcare_facility_type_code=Code("SA07", "1.2.250.1.71.4.2.4", "Cabinet individuel"),
                practice_setting_code=Code("AMBULATOIRE", "1.2.250.1.213.1.1.4.9", "Ambulatoire"),
                confidentiality_codes=(Code("N", "2.16.840.1.113883.5.25", "Normal"),),
                title=f"Document {i}",
                language_code="fr-FR",
                legal_authenticator=author.person,
                patient_id=ins_cx,
                source_patient_id=f"IPP{i}^^^&1.2.250.1.999.1.1.7898.2&ISO^PI",
                source_patient_info=PatientInfo(birth_family_name="DUPONT", birth_given_name="MARIE"),
                authors=(author,),
            )
        )
    add_signature(
        request,
        signature_document_entry(
            signer=author,
            patient=ins_cx,
            signing_time=when,
            unique_id="1.2.250.1.999.1.1.7898.4.1",
            documents=request.documents,
        ),
    )
    return request


def timeit(label: str, func: Callable[[], object], repeat: int) -> float:
    """Best and median wall time, and median CPU time (steadier on a shared machine); returns the CPU median."""
    func()  # warm-up
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        func()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    print(
        f"  {label:<48} wall best {min(wall) * 1000:8.2f} ms  median {statistics.median(wall) * 1000:8.2f} ms"
        f"   cpu median {statistics.median(cpu) * 1000:8.2f} ms"
    )
    return statistics.median(cpu)


def main() -> int:
    if not RESPONSE.is_file():
        print(f"official example not found: {RESPONSE} (set DMPCLIENT_SHARED)", file=sys.stderr)
        return 2
    data = build_response(ENTRIES)
    parsed = parse_message(data)
    assert parsed.query_response is not None
    assert len(parsed.query_response.documents) == ENTRIES
    print(f"1. FindDocuments response, {ENTRIES} entries, {len(data) / 1e6:.1f} MB")
    bare = timeit("lxml.etree.fromstring (bare)", lambda: etree.fromstring(data), 7)
    safe = timeit("dmpclient._xml.parse_bytes (hardened parser)", lambda: _xml.parse_bytes(data), 7)
    model = timeit("dmpclient.xds.parse_message (XML -> model)", lambda: parse_message(data), 5)
    print(
        f"  model/bare ratio {model / bare:.1f}x; hardened/bare {safe / bare:.2f}x; "
        f"{model / ENTRIES * 1e6:.0f} µs per entry"
    )

    request = submission(10)
    contents: dict[str, str | bytes] = {d.content_id or "": f"part-{d.content_id}@dmpclient" for d in request.documents}
    out = _xml.to_bytes(to_provide_and_register(request, contents))
    print(f"2. ProvideAndRegister, 10 documents + signature entry, {len(out) / 1e3:.0f} kB")
    timeit("model -> ProvideAndRegister bytes", lambda: _xml.to_bytes(to_provide_and_register(request, contents)), 20)
    timeit("lxml.etree.fromstring of those bytes (bare)", lambda: etree.fromstring(out), 20)
    timeit("parse_message of those bytes (bytes -> model)", lambda: parse_message(out), 20)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
