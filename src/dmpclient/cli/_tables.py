"""Tables of the CLI (rich): documents of a search or of an XDS message, with local times and distinct states.

The CNDA asks a consulting software to show XDS dates (UTC) in local time (EX_3.1-1070), to show distinctly the
documents masked to professionals, invisible to the patient, invisible to the legal representatives, archived and
deprecated (EX_3.1-1080), and to recognise the patient's own documents (classCode ``90`` / typeCode ``DOCPAT*``,
EX_3.1-1040). :func:`entry_row` gives those facts as data (``--json``); :func:`document_table` shows them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from dmpclient.xds.model import DocumentEntry

__all__ = ["STATUS_SHORT", "document_table", "entry_flags", "entry_row", "local_time"]

#: availabilityStatus URN → short name.
STATUS_SHORT: Final[dict[str, str]] = {
    "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved": "approved",
    "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated": "deprecated",
    "urn:asip:ci-sis:2010:StatusType:Archived": "archived",
    "urn:asip:ci-sis:2010:StatusType:Deleted": "deleted",
    "urn:oasis:names:tc:ebxml-regrep:StatusType:Submitted": "submitted",
}

#: How a status is shown (rich style): approved plain, the others distinct (EX_3.1-1080).
_STATUS_STYLE: Final[dict[str, str]] = {
    "approved": "green",
    "deprecated": "yellow strike",
    "archived": "blue",
    "deleted": "red strike",
    "submitted": "cyan",
}

#: (row key, label, style) of the flags column.
_FLAGS: Final[tuple[tuple[str, str, str], ...]] = (
    ("masked_to_professionals", "masked to PS", "magenta"),
    ("invisible_to_patient", "invisible to patient", "red"),
    ("invisible_to_legal_representatives", "invisible to legal repr.", "red"),
    ("patient_document", "patient's own", "cyan"),
)


def local_time(value: dt.datetime | None, *, assume_utc: bool = True) -> str:
    """``YYYY-MM-DD HH:MM`` in the local time zone (a naive value is taken as UTC); ``""`` for None."""
    if value is None:
        return ""
    if value.tzinfo is None:
        if not assume_utc:
            return value.strftime("%Y-%m-%d %H:%M")
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def _local_iso(value: dt.datetime | None) -> str | None:
    return value.astimezone().isoformat() if value is not None else None


def entry_row(entry: DocumentEntry) -> dict[str, Any]:
    """The facts of a DocumentEntry a person needs (and ``--json`` prints): ids, title, type, times (UTC and local),
    status and the EX_3.1-1080 / EX_3.1-1040 flags."""
    codes = [c.code for c in entry.confidentiality_codes]
    class_code = entry.class_code.code if entry.class_code else None
    type_code = entry.type_code.code if entry.type_code else None
    status = str(entry.availability_status) if entry.availability_status is not None else None
    return {
        "unique_id": entry.unique_id,
        "entry_uuid": entry.entry_uuid,
        "title": entry.title,
        "class_code": class_code,
        "type_code": type_code,
        "type": entry.type_code.display if entry.type_code else None,
        "creation_time": entry.creation_time.isoformat() if entry.creation_time else None,
        "service_start_time": entry.service_start_time.isoformat() if entry.service_start_time else None,
        "service_start_time_local": _local_iso(entry.service_start_time),
        "creation_time_local": _local_iso(entry.creation_time),
        "status": STATUS_SHORT.get(status, status) if status else None,
        "confidentiality_codes": codes,
        "masked_to_professionals": "MASQUE_PS" in codes,
        "invisible_to_patient": "INVISIBLE_PATIENT" in codes,
        "invisible_to_legal_representatives": "INVISIBLE_REPRESENTANTS_LEGAUX" in codes,
        "patient_document": class_code == "90" or bool(type_code and type_code.startswith("DOCPAT")),
        "size": entry.size,
        "hash": entry.hash,
    }


def entry_flags(row: dict[str, Any]) -> list[str]:
    """The rich-markup labels of the flags of an :func:`entry_row`."""
    return [f"[{style}]{label}[/{style}]" for key, label, style in _FLAGS if row.get(key)]


def document_table(
    entries: Iterable[DocumentEntry], *, title: str | None = None, entry_uuid: bool = False, codes: bool = False
) -> Table:
    """A table of documents: uniqueId, title, type, date of the act (local), status, flags.

    ``entry_uuid`` adds the entryUUID column (XDS messages), ``codes`` the raw confidentiality codes.
    """
    table = Table(title=title, title_justify="left")
    table.add_column("uniqueId", overflow="fold")
    if entry_uuid:
        table.add_column("entryUUID", overflow="fold")
    for column in ("title", "type", "date of act (local)", "status", "flags"):
        table.add_column(column, overflow="fold")
    if codes:
        table.add_column("confidentiality", overflow="fold")
    for entry in entries:
        row = entry_row(entry)
        status = row["status"] or ""
        style = _STATUS_STYLE.get(status)
        cells = [escape(row["unique_id"] or "")]
        if entry_uuid:
            cells.append(escape(row["entry_uuid"] or ""))
        cells += [
            escape(row["title"] or ""),
            escape(row["type"] or row["type_code"] or ""),
            local_time(entry.service_start_time or entry.creation_time),
            f"[{style}]{escape(status)}[/{style}]" if style else escape(status),
            ", ".join(entry_flags(row)),
        ]
        if codes:
            cells.append(escape(", ".join(row["confidentiality_codes"])))
        table.add_row(*cells)
    return table
