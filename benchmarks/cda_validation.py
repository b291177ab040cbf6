"""Timings of CDA validation: built-in rules, XSD, our schematron compiler and the saxonche runs.

Run on demand (needs ../shared and saxonche)::

    python benchmarks/cda_validation.py [KIT_DIR]

Prints medians in milliseconds. Informative only: nothing asserts these figures.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dmpclient import _xml
from dmpclient.cda.schematron import clear_cache, compile_schematron, get_validator, prepare_document
from dmpclient.cda.validation import CdaKit, check_header, validate_xsd

DEFAULT_KIT = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "ans-testcontenucda" / "TestContenuCDA-3-0"


def median_ms(func: Callable[[], object], repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def once_ms(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    kit = CdaKit.open(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_KIT)
    cache = Path(tempfile.mkdtemp(prefix="dmpclient-bench-"))
    resources = kit.resource_map(cache)
    docs = {
        name: kit.examples / name
        for name in ("LDL-SES_2022.01.xml", "BIO-CR-BIO_2024.01_TSH_1.xml", "IPS-FR_2024.01.xml")
    }
    roots = {name: _xml.parse_file(path, huge=True) for name, path in docs.items()}

    print("built-in header rules")
    for name, root in roots.items():
        print(f"  {name:34} {median_ms(lambda r=root: check_header(r)):8.2f} ms")

    print("XSD (lxml)")
    load = once_ms(lambda: validate_xsd(roots["LDL-SES_2022.01.xml"], kit.xsd))
    print(f"  load CDA_extended.xsd + validate  {load:8.1f} ms")
    for name, root in roots.items():
        print(f"  validate {name:25} {median_ms(lambda r=root: validate_xsd(r, kit.xsd)):8.2f} ms")

    schematrons = [
        kit.structuration_minimale,
        kit.root / "schematrons/profils/CI-SIS_ModelesDeContenusCDA.sch",
        kit.root / "schematrons/profils/CI-SIS_Modeles_ANS.sch",
        kit.root / "schematrons/profils/IHE.sch",
        kit.root / "schematrons/CI-SIS_LDL-SES_2022.01.sch",
        kit.root / "schematrons/CI-SIS_BIO-CR-BIO_2024.01.sch",
    ]
    prepared = {name: prepare_document(root) for name, root in roots.items()}
    print("schematrons: .sch→XSLT (Python) / XSLT→executable (Saxon) / first run / warm run per document")
    for sch in schematrons:
        py = once_ms(lambda s=sch: compile_schematron(s, resource_map=resources))
        clear_cache()
        validator = get_validator(sch, resource_map=resources, cache_dir=cache)
        saxon = once_ms(validator._ensure_executable)
        row = [f"  {sch.name:34} py {py:7.0f} ms  saxon {saxon:7.0f} ms"]
        for name, doc in prepared.items():
            first = once_ms(lambda d=doc, v=validator: v.validate(d))
            warm = median_ms(lambda d=doc, v=validator: v.validate(d))
            row.append(f"{name.split('_')[0]} {first:6.1f}/{warm:6.1f}")
        print("  ".join(row))
    clear_cache()
    disk = once_ms(lambda: get_validator(kit.structuration_minimale, resource_map=resources, cache_dir=cache))
    print(f"reload compiled XSLT from the disk cache (structuration minimale): {disk:.1f} ms")


if __name__ == "__main__":
    main()
