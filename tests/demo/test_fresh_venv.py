"""Acceptance: ``pip install <wheel> && dmpclient demo`` in a fresh virtual environment exits 0 with the timeline.

Slow (builds a wheel, creates a venv, installs the dependencies from the package index). Locally it is skipped
with the reason when ``python -m venv`` or pip cannot reach an index; in CI (``CI=true``) that is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _run(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _clean_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "DMPCLIENT_"))}
    env["HOME"] = str(tmp / "home")  # no user configuration, no user site-packages
    env["PYTHONNOUSERSITE"] = "1"
    env["NO_COLOR"] = "1"
    return env


def test_wheel_in_a_fresh_venv_runs_the_demo(tmp_path: Path, house: ModuleType) -> None:
    env = _clean_env(tmp_path)
    (tmp_path / "home").mkdir()
    # Can pip reach an index at all? (hatchling is the build backend, needed to build the wheel.)
    probe = _run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(tmp_path / "probe"), "hatchling>=1.21"],
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    house.require(probe.returncode == 0, f"pip cannot reach a package index: {probe.stderr.strip()[-300:]}")

    wheels = tmp_path / "wheels"
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(wheels), str(REPO)], cwd=tmp_path, env=env
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    (wheel,) = wheels.glob("dmpclient-*.whl")

    env_dir = tmp_path / "venv"
    created = _run([sys.executable, "-m", "venv", str(env_dir)], cwd=tmp_path, env=env, timeout=300)
    # e.g. Debian without python3-venv: no ensurepip
    house.require(created.returncode == 0, f"python -m venv cannot create an environment: {created.stderr[-300:]}")
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    installed = _run([str(python), "-m", "pip", "install", str(wheel)], cwd=tmp_path, env=env)
    if installed.returncode != 0 and "No matching distribution" in installed.stderr:
        house.require(False, f"the fresh venv's pip cannot reach an index: {installed.stderr.strip()[-300:]}")
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]

    work = tmp_path / "elsewhere"  # not the repository: only the installed package may be used
    work.mkdir()
    where = _run([str(python), "-c", "import dmpclient; print(dmpclient.__file__)"], cwd=work, env=env)
    assert Path(where.stdout.strip()).resolve().is_relative_to(env_dir.resolve()), where

    demo = _run([str(bindir / "dmpclient"), "demo"], cwd=work, env=env, timeout=300)

    assert demo.returncode == 0, demo.stdout + demo.stderr
    out = demo.stdout
    for td in ("TD0.2", "TD0.3", "TD2.1", "TD3.1", "TD3.2", "TD3.3a", "TD3.3d", "TD3.3c"):
        assert f"  ok    {td}" in out
    assert "« Le code 'DOCPAT03' ne fait pas partie du domaine d'affinité »" in out
    assert "13/13 steps behaved as expected (2 expected refusals)" in out
    assert list(work.iterdir()) == []  # the demo worked in a temporary folder and left nothing behind
