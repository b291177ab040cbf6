"""Scenario file validation: clear errors naming the file, the step and the field; YAML and Python loaders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dmpclient.scenarios import (
    Actor,
    Scenario,
    ScenarioError,
    Step,
    find_scenario,
    load_scenario,
    parse_scenario,
    shipped_scenarios,
)

HEAD = "name: t\ntitle: T\nactor: direct\npatient: PETRA\n"


def _error(write_yaml: Callable[..., Path], body: str, name: str = "bad.yaml") -> ScenarioError:
    path = write_yaml(HEAD + body, name)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)
    return caught.value


def test_a_minimal_scenario_gets_its_defaults(write_yaml: Callable[..., Path]) -> None:
    sc = load_scenario(write_yaml("title: T\nsteps:\n  - action: test_existence\n    patient: PETRA\n", "mini.yaml"))
    assert sc.name == "mini"
    assert sc.actor == Actor()
    assert sc.steps[0].expect.outcome == "success"
    assert sc.step_ids() == ["test_existence"]
    assert not sc.sandbox_only


def test_unknown_action_names_step_and_field(write_yaml: Callable[..., Path]) -> None:
    err = _error(write_yaml, "steps:\n  - action: test_existance\n")
    assert err.step == "steps[0] (test_existance)"
    assert err.field == "steps[0].action"
    assert "unknown action" in str(err)
    assert "test_existence" in str(err)


def test_unknown_parameter(write_yaml: Callable[..., Path]) -> None:
    err = _error(
        write_yaml, "steps:\n  - action: test_existence\n  - id: f\n    action: find\n    params: {stauts: x}\n"
    )
    assert err.step == "steps[1] (f)"
    assert err.field == "steps[1].params.stauts"
    assert "Extra inputs are not permitted" in str(err)


def test_wrong_parameter_type(write_yaml: Callable[..., Path]) -> None:
    err = _error(write_yaml, "steps:\n  - action: authorize\n    params: {as_treating_physician: maybe}\n")
    assert err.field == "steps[0].params.as_treating_physician"


def test_undefined_variable(write_yaml: Callable[..., Path]) -> None:
    body = "steps:\n  - action: submit\n    params: {document: {title: X}}\n    save: doc\n" + (
        "  - action: retrieve\n    params: {unique_id: '${doc2.unique_id}'}\n"
    )
    err = _error(write_yaml, body)
    assert err.step == "steps[1] (retrieve)"
    assert "no earlier step saves" in str(err)
    assert "saved so far: doc" in str(err)


def test_variable_saved_later_is_not_visible_earlier(write_yaml: Callable[..., Path]) -> None:
    body = "steps:\n  - action: retrieve\n    params: {unique_id: '${doc.unique_id}'}\n" + (
        "  - action: submit\n    params: {document: {title: X}}\n    save: doc\n"
    )
    assert _error(write_yaml, body).step == "steps[0] (retrieve)"


def test_unknown_seed_key(write_yaml: Callable[..., Path]) -> None:
    err = _error(write_yaml, "steps:\n  - action: retrieve\n    params: {unique_id: '${seed.nope}'}\n")
    assert "no seeded document" in str(err)


def test_unknown_operator(write_yaml: Callable[..., Path]) -> None:
    err = _error(write_yaml, "steps:\n  - action: find\n    expect:\n      result: {count: {eq: 1, equals: 1}}\n")
    assert err.field == "steps[0].expect.result.count"
    assert "equals" in str(err)


def test_operator_argument(write_yaml: Callable[..., Path]) -> None:
    err = _error(write_yaml, "steps:\n  - action: find\n    expect:\n      result: {documents: {len: many}}\n")
    assert err.field == "steps[0].expect.result.documents.len"


def test_refusal_fields_need_a_refusal(write_yaml: Callable[..., Path]) -> None:
    err = _error(write_yaml, "steps:\n  - action: find\n    expect: {outcome: success, code: X}\n")
    assert err.step == "steps[0] (find)"
    assert "need outcome: refused" in str(err)


def test_unknown_patient_key_with_a_hint(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml("name: t\ntitle: T\npatient: MELANGE\nsteps:\n  - action: test_existence\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "patient"
    assert "MELANGE SEBASTIEN" in str(caught.value)


def test_invalid_ins(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml("name: t\ntitle: T\npatient: '153078987658514'\nsteps:\n  - action: test_existence\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "patient.ins"


def test_feeding_an_unknown_ins_needs_traits(write_yaml: Callable[..., Path]) -> None:
    text = (
        "name: t\ntitle: T\npatient: {ins: '199033022011637'}\n"
        "steps:\n  - action: submit\n    params: {document: {title: X}}\n"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write_yaml(text))
    assert "traits" in str(caught.value)
    ok = text.replace("{ins: '199033022011637'}", "{ins: '199033022011637', family: DOE, given: JANE, sex: F}")
    assert load_scenario(write_yaml(ok, "ok.yaml")).patient is not None


def test_a_patient_is_needed(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml("name: t\ntitle: T\nsteps:\n  - action: test_existence\n")
    with pytest.raises(ScenarioError, match="needs a patient"):
        load_scenario(path)


def test_duplicate_step_ids(write_yaml: Callable[..., Path]) -> None:
    err = _error(write_yaml, "steps:\n  - {id: a, action: find}\n  - {id: a, action: find}\n")
    assert err.step == "steps[1] (a)"
    assert "duplicate" in str(err)


def test_unknown_cdt_id(write_yaml: Callable[..., Path]) -> None:
    err = _error(write_yaml, "cdt: [0.2-999]\nsteps:\n  - action: find\n")
    assert err.field == "cdt"
    assert err.value == "0.2-999"


def test_bris_de_glace_needs_a_reason(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml("name: t\ntitle: T\npatient: PETRA\nactor: {access: bris_de_glace}\nsteps:\n  - action: find\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "actor"
    assert "EX_0.2-1040" in str(caught.value)


def test_unknown_guard_and_setup(write_yaml: Callable[..., Path]) -> None:
    err = _error(write_yaml, "steps:\n  - action: find\n    guards_off: [everything]\n")
    assert err.field == "steps[0].guards_off"
    err = _error(write_yaml, "setup:\n  - drop_database: {}\nsteps:\n  - action: find\n", "setup.yaml")
    assert err.field is not None
    assert err.field.startswith("setup.0")
    assert "unknown setup operation" in str(err)


def test_yaml_syntax_error_has_a_line(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml("name: t\ntitle: [unclosed\nsteps: []\n")
    with pytest.raises(ScenarioError, match=r"not valid YAML \(line \d+"):
        load_scenario(path)


def test_yaml_is_loaded_safely(write_yaml: Callable[..., Path], tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write_yaml(f"name: !!python/object/apply:os.system ['touch {marker}']\ntitle: T\nsteps: []\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(path)
    assert not marker.exists()


def test_python_scenario(tmp_path: Path) -> None:
    module = tmp_path / "my_scenario.py"
    module.write_text(
        "from dmpclient.scenarios import Scenario, Step, Expect\n"
        "SCENARIO = Scenario(name='py', title='Python', patient='PETRA', steps=[\n"
        "    Step(action='test_existence', save='ex', expect=Expect(result={'exists': True})),\n"
        "    Step(action='find', params={'type_codes': '11488-4'}),\n"
        "])\n",
        encoding="utf-8",
    )
    sc = load_scenario(module)
    assert sc.name == "py"
    assert sc.source == str(module)
    assert [s.action for s in sc.steps] == ["test_existence", "find"]
    assert sc.patient is not None
    assert sc.patient.key == "PETRA"


def test_python_scenario_errors(tmp_path: Path) -> None:
    missing = tmp_path / "none.py"
    missing.write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="defines SCENARIO"):
        load_scenario(missing)
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from dmpclient.scenarios import Scenario, Step\n"
        "SCENARIO = Scenario(name='py', title='P', patient='PETRA', steps=[Step(action='nope')])\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(bad)
    assert caught.value.step == "steps[0] (nope)"


def test_model_objects_validate_like_files() -> None:
    sc = Scenario(name="m", title="M", patient="PETRA", steps=[Step(action="find", params={"status": "archived"})])
    assert parse_scenario(sc) is sc or parse_scenario(sc).name == "m"
    with pytest.raises(ScenarioError):
        parse_scenario(Scenario(name="m", title="M", steps=[Step(action="find")]))


def test_shipped_lookup_by_name_and_cdt() -> None:
    assert find_scenario("td2.1-replace").name == "td2.1-replace"
    assert find_scenario("2.1-140").name == "td2.1-replace"
    with pytest.raises(ScenarioError, match="several shipped scenarios"):
        find_scenario("0.2-020")  # in td0.2-test-existence and errors-display
    with pytest.raises(ScenarioError, match="no scenario file"):
        find_scenario("no-such-scenario")
    assert all(s.source and s.source.startswith("shipped/") for s in shipped_scenarios())
