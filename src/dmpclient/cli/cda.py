"""``dmpclient cda``: build and render CI-SIS CDA documents (``validate`` comes from ``cli/cda_validate.py``).

The description file (TOML or JSON) of ``cda build`` says who writes, for whom, what::

    type_code = "11488-4"                       # JDV_J07 code (or {code, code_system, display})
    title = "Compte rendu de consultation"
    effective_time = 2024-06-12T13:54:23+02:00   # optional (now)
    oid_root = "1.2.250.1.999.1.1.7898"          # optional: ids generated under <root>.1 / .5
    [service]   start / stop / code (optional)
    [patient]   ins, birth_family_name, birth_given_names, sex, birth_date, birthplace_code, ipp = {root, extension}
    [author]    idnat, family_name, given_name, profession, specialty (+ *_display)
    [structure] idnat, name, secteur_activite, cadre_exercice (+ *_display)
    [ldl_ses]   optional: content of a discharge letter (N3) instead of a --body file

or a complete header under ``[header]`` (the fields of :class:`dmpclient.cda.DocumentHeaderInput`).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import tomllib
from pathlib import Path
from typing import Any

import click

from dmpclient.cli._common import (
    EXIT_INVALID,
    EXIT_USAGE,
    console,
    fail,
    handle_errors,
    json_option,
    out_option,
    print_findings,
    print_json,
    verbose_option,
)
from dmpclient.errors import InputError, errors_only

__all__ = ["cda"]


@click.group()
def cda() -> None:
    """Build, validate and render CI-SIS CDA R2 documents.

    \b
    Examples:
      dmpclient cda build examples/cda/consultation.toml --body report.pdf -o report.cda.xml
      dmpclient cda render report.cda.xml -o report.html
      dmpclient cda validate report.cda.xml --kit ../shared/fixtures/ans-testcontenucda/TestContenuCDA-3-0
    """


def _load_description(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the description: {exc}", field=str(path), value=None) from None
    if not isinstance(data, dict):
        raise InputError("the description must be a table/object", field=str(path), value=type(data).__name__)
    return data


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise InputError(f"missing [{name}] table", field=name, value=value, rule="cda build description")
    return value


def _header_from_description(data: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from dmpclient.cda import DocumentHeaderInput, Patient
    from dmpclient.cda.inputs import input_error_from
    from dmpclient.context import ActingContext, AuthenticationMode, Professional, SoftwareIdentity, Structure
    from dmpclient.terminology import Code

    if "header" in data:
        return DocumentHeaderInput.from_data(_section(data, "header"))
    author = dict(_section(data, "author"))
    structure = dict(_section(data, "structure"))
    try:
        patient = Patient.model_validate(_section(data, "patient"))
    except ValidationError as exc:
        raise input_error_from(exc, prefix="patient") from None
    professional = Professional.create(
        str(author.pop("idnat", "")),
        str(author.pop("family_name", "")),
        str(author.pop("given_name", "")),
        **author,
    )
    acting = ActingContext(
        professional,
        Structure.create(str(structure.pop("idnat", "")), str(structure.pop("name", "")), **structure),
        AuthenticationMode.DIRECTE,
        SoftwareIdentity(
            name="dmpclient-cli", version="1", homologation_number="-", oid_root=data.get("oid_root", "2.25")
        ),
    )
    service = data.get("service") or {}
    keys = ("effective_time", "unique_id", "set_id", "version", "replaces", "confidentiality")
    extra: dict[str, Any] = {k: data[k] for k in keys if k in data}
    service_code = service.get("code")
    try:
        return DocumentHeaderInput.from_context(
            acting,
            patient=patient,
            type_code=data.get("type_code", ""),
            title=str(data.get("title", "")),
            service_start=service.get("start"),
            service_stop=service.get("stop"),
            service_code=Code.model_validate(service_code) if isinstance(service_code, dict) else None,
            author_time=data.get("effective_time"),
            **extra,
        )
    except ValidationError as exc:
        raise input_error_from(exc) from None


def _id_factory(data: dict[str, Any]) -> Any:
    from dmpclient.ids import OidGenerator

    root = data.get("oid_root")
    if not root:
        return None
    generator = OidGenerator(str(root))
    return lambda: generator.new(1)


@cda.command("build")
@click.argument("description", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--body", "body", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="N1 body file.")
@out_option("Output CDA file (default: BODY.cda.xml, or DESCRIPTION.cda.xml for an N3).")
@click.option(
    "--media-type",
    type=click.Choice(["application/pdf", "text/plain", "text/rtf", "image/jpeg", "image/tiff"]),
    help="Media type of the body (default: detected from its first bytes, then its extension).",
)
@json_option
@verbose_option
@handle_errors
def build(
    description: Path, body: Path | None, output: Path | None, media_type: str | None, as_json: bool, verbose: int
) -> None:
    """Build a CI-SIS CDA document from a TOML/JSON DESCRIPTION and a body file.

    With ``--body`` the document is an N1 (PDF, text, RTF, JPEG or TIFF, streamed: any size). Without it the
    description must hold an ``[ldl_ses]`` table and the document is a structured discharge letter (N3).

    \b
    Examples:
      dmpclient cda build examples/cda/consultation.toml --body src/dmpclient/cda/samples/sample.pdf -o cr.xml
      dmpclient cda build examples/cda/ldl-ses.toml -o ldl.xml --json
    """
    from dmpclient.cda import LdlSesContent, build_n1_to_file, build_n3, ldl_ses_body

    data = _load_description(description)
    header = _header_from_description(data)
    ids = _id_factory(data)
    if body is not None:
        target = output or body.with_suffix(".cda.xml")
        built = build_n1_to_file(header, body, target, media_type=media_type, ids=ids)
    elif "ldl_ses" in data:
        from pydantic import ValidationError

        from dmpclient.cda.inputs import input_error_from

        try:
            content = LdlSesContent.model_validate(data["ldl_ses"])
        except ValidationError as exc:
            raise input_error_from(exc, prefix="ldl_ses") from None
        target = output or description.with_suffix(".cda.xml")
        built = build_n3(header, ldl_ses_body(content), ids=ids)
        target.write_bytes(built.read_bytes())
    else:
        fail("give --body FILE (N1) or an [ldl_ses] table in the description (N3)", EXIT_USAGE, as_json=as_json)
    result = {
        "ok": not errors_only(built.findings),
        "output": str(target),
        "unique_id": built.unique_id,
        "level": built.header.body.kind.value,
        "media_type": built.media_type,
        "size": built.size,
        "sha1": built.sha1,
        "sha256_canonical": built.sha256,
        "pdfa": str(built.pdfa) if built.pdfa else None,
        "findings": [f.to_dict() for f in built.findings],
    }
    if as_json:
        print_json(result)
    else:
        console.print(f"[green]wrote[/green] {target} ({built.size} bytes, {result['level']})", markup=True)
        console.print(f"  uniqueId : {built.unique_id}")
        console.print(f"  SHA-1    : {built.sha1}")
        console.print(f"  SHA-256  : {built.sha256} (canonical form)")
        if built.media_type:
            console.print(f"  body     : {built.media_type}{' — ' + str(built.pdfa) if built.pdfa else ''}")
        if built.findings:
            print_findings(list(built.findings))
    if errors_only(built.findings):
        raise SystemExit(EXIT_INVALID)


@cda.command("render")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@out_option("HTML file (default: FILE.html).")
@json_option
@verbose_option
@handle_errors
def render(file: Path, output: Path | None, as_json: bool, verbose: int) -> None:
    """Render a CDA document as a self-contained HTML page (no script, strict CSP, embedded PDF/image).

    \b
    Examples:
      dmpclient cda render report.cda.xml -o report.html
      dmpclient cda render ldl.xml --json
    """
    from dmpclient.cda import read_header, render_html

    header = read_header(file)
    page = render_html(file)
    target = output or file.with_suffix(".html")
    target.write_text(page, encoding="utf-8")
    if as_json:
        print_json(
            {
                "ok": True,
                "output": str(target),
                "title": header.title,
                "patient": header.patient.display_name,
                "level": header.body.kind.value,
                "size": len(page.encode("utf-8")),
            }
        )
    else:
        console.print(f"[green]wrote[/green] {target} — {header.title} ({header.patient.display_name})", markup=True)


# ``cda validate`` lives in cli/cda_validate.py (another module, optional dependencies): attach it when present.
if importlib.util.find_spec("dmpclient.cli.cda_validate") is not None:  # pragma: no branch
    _validate_module: Any
    try:
        _validate_module = importlib.import_module("dmpclient.cli.cda_validate")
    except ImportError:  # pragma: no cover - broken optional module
        _validate_module = None
    if _validate_module is not None and "validate" not in cda.commands:
        for _name in ("validate", "validate_command", "cda_validate"):
            _cmd = getattr(_validate_module, _name, None)
            if isinstance(_cmd, click.Command):
                cda.add_command(_cmd, "validate")
                break
