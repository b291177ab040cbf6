"""Helpers shared by the scenario tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXCHANGE_DIR_RE = r"^\d{3}-TD[0-9.]+[a-d]?-(ok|dmp-error|transport-error|protocol-error|redirect)$"
STEP_DIR_RE = r"^\d{2}-[A-Za-z0-9._-]+$"


def load_json(path: Path) -> Any:
    """Read a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))
