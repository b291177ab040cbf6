"""``mkdocs build --strict`` of the documentation site (issue 8 acceptance: it runs in CI).

mkdocs, mkdocs-material and mkdocstrings are dev dependencies: the test is skipped locally when they are
missing and fails when ``CI=true``. The build goes to a temporary directory; ``NO_MKDOCS_2_WARNING=1`` silences
mkdocs-material's banner about MkDocs 2.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_mkdocs() -> None:
    missing = [m for m in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python") if not _has(m)]
    if not missing:
        return
    reason = f"documentation tools missing ({', '.join(missing)}): pip install -e '.[dev]'"
    if IN_CI:
        pytest.fail(f"CI=true and a test requirement is missing: {reason}", pytrace=False)
    pytest.skip(reason)


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_site_builds_in_strict_mode(tmp_path: Path) -> None:
    require_mkdocs()
    result = mkdocs_build(REPO / "mkdocs.yml", tmp_path / "site")
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{log[-6000:]}"
    assert "WARNING" not in log, log
    site = tmp_path / "site"
    for page in ("index.html", "cli/index.html", "troubleshooting/index.html", "reference/api/index.html"):
        assert (site / page).is_file(), page
    reference = (site / "reference" / "ids" / "index.html").read_text(encoding="utf-8")
    assert 'id="dmpclient.ids.INS"' in reference, "mkdocstrings did not render the API reference"


def test_strict_mode_fails_on_a_broken_link(tmp_path: Path) -> None:
    require_mkdocs()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\nSee [nowhere](missing.md).\n", encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: probe\nstrict: true\nnav:\n  - Home: index.md\n", encoding="utf-8")
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "missing.md" in result.stdout + result.stderr
