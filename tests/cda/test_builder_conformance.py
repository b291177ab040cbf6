"""Documents produced by the builder pass the ANS kit: XSD, structuration minimale, and for the LDL-SES the
model and profile schematrons (run with the validation package of ``dmpclient.cda.validation``)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from dmpclient.cda import build_n1, build_n3, ldl_ses_body, make_sample_pdf
from dmpclient.cda.demo import demo_header, demo_ldl_ses
from dmpclient.errors import errors_only

pytestmark = [pytest.mark.shared, pytest.mark.saxon]

STRUCMIN = "schematrons/profils/structurationMinimale/ASIP-STRUCT-MIN-StrucMin.sch"
N3_SCHEMATRONS = (
    STRUCMIN,
    "schematrons/CI-SIS_LDL-SES_2022.01.sch",
    "schematrons/profils/CI-SIS_ModelesDeContenusCDA.sch",
    "schematrons/profils/CI-SIS_Modeles_ANS.sch",
)


@pytest.fixture(scope="module")
def validate(house: ModuleType, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    house.require_module("saxonche", "validation")
    house.require(
        importlib.util.find_spec("dmpclient.cda.validation") is not None, "dmpclient.cda.validation not available"
    )
    from dmpclient.cda.validation import validate_cda

    cache = tmp_path_factory.mktemp("cda-cache")

    def run(data: bytes, kit: Path, schematrons: tuple[str, ...]) -> list[str]:
        findings = validate_cda(data, kit, schematrons=[kit / s for s in schematrons], cache_dir=cache)
        return [f"{f.rule} {f.location}: {f.message}" for f in errors_only(findings)]

    return run


@pytest.mark.parametrize(
    ("media_type", "payload"),
    [
        ("application/pdf", make_sample_pdf()),
        ("text/plain", b"Compte rendu de consultation.\n"),
        ("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200) + b"\xff\xd9"),
    ],
)
def test_n1_documents_pass_xsd_and_structuration_minimale(
    validate,
    cda_kit: Path,
    ids: Callable[[], str],
    media_type: str,
    payload: bytes,  # type: ignore[no-untyped-def]
) -> None:
    built = build_n1(demo_header(), payload, media_type=media_type, ids=ids)
    assert validate(built.read_bytes(), cda_kit, (STRUCMIN,)) == []


def test_replacement_passes_structuration_minimale(validate, cda_kit: Path, ids: Callable[[], str]) -> None:  # type: ignore[no-untyped-def]
    header = demo_header(unique_id="1.2.250.1.999.1.1.7898.1.2", set_id="1.2.250.1.999.1.1.7898.1.9").model_copy(
        update={"version": 2, "replaces": "1.2.250.1.999.1.1.7898.1.1"}
    )
    built = build_n1(header, make_sample_pdf(), ids=ids)
    assert validate(built.read_bytes(), cda_kit, (STRUCMIN,)) == []


def test_ldl_ses_passes_its_model_and_profile_schematrons(validate, cda_kit: Path, ids: Callable[[], str]) -> None:  # type: ignore[no-untyped-def]
    header = demo_header(type_code="11490-0", title="Lettre de liaison à la sortie")
    built = build_n3(header, ldl_ses_body(demo_ldl_ses()), ids=ids)
    assert validate(built.read_bytes(), cda_kit, N3_SCHEMATRONS) == []


def test_broken_document_fails_structuration_minimale(validate, cda_kit: Path, ids: Callable[[], str]) -> None:  # type: ignore[no-untyped-def]
    """A positive control: the same pipeline does report a missing INS birth name."""
    data = build_n1(demo_header(), make_sample_pdf(), ids=ids).read_bytes()
    broken = data.replace(b'<family qualifier="BR">PAT-TROIS</family>', b"")
    assert broken != data
    assert validate(broken, cda_kit, (STRUCMIN,)) != []
