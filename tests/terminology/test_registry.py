"""Registry, active terminology, and the update procedure (newer wins, older ignored, force)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dmpclient.errors import InvalidValue
from dmpclient.terminology import (
    TRE_A03,
    TRE_R248,
    Code,
    Terminology,
    ValueSet,
    builtin_terminology,
    class_code_for_type,
    default_terminology,
    reset_default_terminology,
    set_default_terminology,
    update_from_directory,
    update_terminology,
    user_terminology_dir,
    value_set,
)

J57_OID = "1.2.250.1.213.1.1.5.6"


def _svs(oid: str, name: str, date: str, concepts: list[tuple[str, str, str]]) -> bytes:
    rows = "".join(f'<Concept code="{c}" codeSystem="{s}" displayName="{d}"/>' for c, s, d in concepts)
    return (
        f'<RetrieveValueSetResponse xmlns="urn:ihe:iti:svs:2008"><ValueSet id="{oid}" dateMaj="{date}120000" '
        f'urlFichier="https://mos.esante.gouv.fr/NOS/{name}"><ConceptList>{rows}</ConceptList></ValueSet>'
        "</RetrieveValueSetResponse>"
    ).encode()


def _j57(date: str, extra: str = "96") -> bytes:
    return _svs(
        J57_OID,
        "JDV_J57-ClassCode-DMP",
        date,
        [("10", TRE_A03, "Compte rendu officiel"), (extra, TRE_A03, "Nouvelle classe")],
    )


def _official(tmp_path: Path, files: dict[str, bytes]) -> Path:
    src = tmp_path / "official"
    src.mkdir(exist_ok=True)
    for name, data in files.items():
        (src / name).write_bytes(data)
    return src


def test_user_dir_follows_the_environment(user_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert user_terminology_dir() == user_dir
    monkeypatch.delenv("DMPCLIENT_TERMINOLOGY_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", "/data/x")
    assert user_terminology_dir() == Path("/data/x/dmpclient/terminology")
    monkeypatch.delenv("XDG_DATA_HOME")
    assert user_terminology_dir() == Path.home() / ".local/share/dmpclient/terminology"


def test_newer_official_file_replaces_the_builtin(tmp_path: Path, user_dir: Path) -> None:
    assert value_set("J57").lookup("96") is None
    stored = update_from_directory(_official(tmp_path, {"j57.xml": _j57("20260101")}))
    assert [vs.name for vs in stored] == ["JDV_J57-ClassCode-DMP"]
    assert len(list(user_dir.glob("*.json"))) == 1
    active = default_terminology()
    j57 = active.get("J57")
    assert j57.version == "2026-01-01"
    assert j57.display("96") == "Nouvelle classe"
    assert active.origin("J57") == "user"
    assert active.get(J57_OID) is j57
    # the rest of the library follows the active registry
    found = class_code_for_type("11490-0")
    assert found is not None
    assert found.display == "Compte rendu officiel"


def test_older_official_file_is_ignored_unless_forced(tmp_path: Path, user_dir: Path) -> None:
    src = _official(tmp_path, {"j57.xml": _j57("20190101")})
    report = update_terminology(src)
    assert report.stored == []
    assert [vs.name for vs, _ in report.ignored] == ["JDV_J57-ClassCode-DMP"]
    assert "not newer" in report.ignored[0][1]
    assert not user_dir.exists() or not list(user_dir.glob("*.json"))
    assert default_terminology().get("J57").version == "2021-04-30"

    forced = update_from_directory(src, force=True)
    assert [vs.version for vs in forced] == ["2019-01-01"]
    assert default_terminology().get("J57").version == "2019-01-01"


def test_same_date_is_not_newer(tmp_path: Path) -> None:
    assert update_from_directory(_official(tmp_path, {"j57.xml": _j57("20210430")})) == []


def test_second_update_replaces_the_stored_file_only_when_newer(tmp_path: Path, user_dir: Path) -> None:
    update_from_directory(_official(tmp_path, {"j57.xml": _j57("20260101")}))
    again = tmp_path / "again"
    again.mkdir()
    (again / "j57.xml").write_bytes(_j57("20250101", extra="97"))
    assert update_from_directory(again) == []
    (again / "j57.xml").write_bytes(_j57("20270101", extra="97"))
    assert [vs.version for vs in update_from_directory(again)] == ["2027-01-01"]
    assert len(list(user_dir.glob("*.json"))) == 1
    assert default_terminology().get("J57").lookup("97") is not None
    assert default_terminology().get("J57").lookup("96") is None


def test_newest_of_several_files_in_the_source_wins(tmp_path: Path) -> None:
    src = _official(tmp_path, {"a.xml": _j57("20260101", "96"), "b.xml": _j57("20260601", "97")})
    report = update_terminology(src)
    assert [vs.version for vs in report.stored] == ["2026-06-01"]
    assert any("same directory" in reason for _, reason in report.ignored)


def test_unknown_value_sets_are_added(tmp_path: Path) -> None:
    data = _svs("1.2.250.1.213.1.1.5.999", "JDV_J999-Nouveau-CISIS", "20260101", [("a", "1.2.3", "A")])
    update_from_directory(_official(tmp_path, {"new.xml": data}))
    assert value_set("J999").display("a") == "A"
    assert value_set("JDV_J999_Nouveau_CISIS").oid == "1.2.250.1.213.1.1.5.999"


def test_match_by_short_id_when_the_oid_differs(tmp_path: Path) -> None:
    # The NOS publishes TRE_R248 with another identifier than the OID written on the wire.
    doc = {
        "resourceType": "CodeSystem",
        "name": "TRE_R248_ModeAcces",
        "identifier": [{"value": "urn:oid:1.2.250.1.213.1.1.4.336"}],
        "date": "2026-05-01",
        "concept": [{"code": "normal", "display": "Accès normal"}, {"code": "urgence", "display": "Urgence"}],
    }
    src = tmp_path / "nos"
    src.mkdir()
    (src / "r248.json").write_text(json.dumps(doc), encoding="utf-8")
    update_from_directory(src)
    r248 = value_set("TRE_R248")
    assert r248.version == "2026-05-01"
    assert r248.codes() == ["normal", "urgence"]
    assert r248.lookup("urgence", TRE_R248) is not None  # concepts keep the wire code system
    assert builtin_terminology().get("TRE_R248").lookup("normal", TRE_R248) is not None


def test_dest_option_writes_elsewhere(tmp_path: Path, user_dir: Path) -> None:
    dest = tmp_path / "elsewhere"
    stored = update_from_directory(_official(tmp_path, {"j57.xml": _j57("20260101")}), dest)
    assert len(stored) == 1
    assert len(list(dest.glob("*.json"))) == 1
    assert not user_dir.exists()
    assert default_terminology().get("J57").version == "2021-04-30"


def test_broken_user_file_is_ignored(user_dir: Path) -> None:
    user_dir.mkdir(parents=True)
    (user_dir / "broken.json").write_text("{nope", encoding="utf-8")
    reset_default_terminology()
    assert default_terminology().get("J57").version == "2021-04-30"


def test_reset_rereads_the_user_directory(tmp_path: Path, user_dir: Path) -> None:
    assert default_terminology().get("J57").version == "2021-04-30"
    update_from_directory(_official(tmp_path, {"j57.xml": _j57("20260101")}), user_dir)
    assert default_terminology().get("J57").version == "2026-01-01"  # update resets the cache
    for path in user_dir.glob("*.json"):
        path.unlink()
    assert default_terminology().get("J57").version == "2026-01-01"  # still cached
    reset_default_terminology()
    assert default_terminology().get("J57").version == "2021-04-30"


def test_set_default_terminology() -> None:
    j57 = ValueSet.of("JDV_J57-ClassCode-DMP", [("10", TRE_A03, "X")], oid=J57_OID, version="1", source="t")
    custom = Terminology([j57])
    set_default_terminology(custom)
    assert value_set("J57").display("10") == "X"
    with pytest.raises(InvalidValue):
        value_set("J07")
    set_default_terminology(None)
    assert value_set("J07").oid == "1.2.250.1.213.1.1.5.471"


def test_merged_with_only_newer() -> None:
    base = builtin_terminology()
    old = ValueSet.of("JDV_J57-ClassCode-DMP", [("10", TRE_A03, "old")], oid=J57_OID, version="2001-01-01", source="t")
    new = ValueSet.of("JDV_J57-ClassCode-DMP", [("10", TRE_A03, "new")], oid=J57_OID, version="2030-01-01", source="t")
    assert base.merged_with([old], only_newer=True).get("J57").display("10") == "Compte rendu"
    assert base.merged_with([new], only_newer=True).get("J57").display("10") == "new"
    assert base.merged_with([old]).get("J57").display("10") == "old"
    assert base.get("J57").display("10") == "Compte rendu"  # merged_with never changes the original


def test_add_keeps_aliases_and_replaces_by_identity() -> None:
    t = builtin_terminology()
    count = len(t)
    replacement = ValueSet.of(
        "DMPCLIENT_LpsForbiddenCodes", [("60", TRE_A03, None)], oid=None, version="2030-01-01", source="t"
    )
    t.add(replacement)
    assert len(t) == count
    assert t.get("LPS_FORBIDDEN") is replacement
    assert "LPS_FORBIDDEN" in t


def test_containing_and_code_maps() -> None:
    t = builtin_terminology()
    names = {vs.name for vs, _ in t.containing("MASQUE_PS")}
    assert {"JDV_J58-ConfidentialityCode-DMP", "JDV_J08-XdsConfidentialityCode-CISIS"} <= names
    assert t.containing("MASQUE_PS", "1.2.3") == []
    assert len(t.code_map("ASS_X04")) == 129
    assert t.code_map("1.2.250.1.213.1.1.4.249").name.startswith("ASS_X04")
    with pytest.raises(InvalidValue):
        t.code_map("ASS_X99")


def test_builtin_terminology_is_a_copy() -> None:
    t = builtin_terminology()
    t.add(ValueSet.of("JDV_J57-ClassCode-DMP", [("1", "1.2", None)], oid=J57_OID, version="2030-01-01", source="t"))
    assert builtin_terminology().get("J57").display("10") == "Compte rendu"
    assert Code("10", TRE_A03) in builtin_terminology().get("J57")
