"""Optional parts of the installation: what each extra brings, what is asked for when one is
missing, and a lock file that pins every requirement of every part with its hashes.

A lender on SQLite installs `kelisim` alone; `kelisim[postgres]` adds the driver and
`kelisim[scan]` the browser driver. Someone who runs a command whose part is missing gets one line
naming the command that installs it (exit code 2), never a traceback about a module.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Run inside the child interpreter before Kelisim: any import of the blocked modules fails as it
# does where they were never installed.
_BLOCKER = """
import os, sys

class _NotInstalled:
    def find_spec(self, name, path=None, target=None):
        for blocked in os.environ["KELISIM_TEST_BLOCKED"].split(","):
            if name == blocked or name.startswith(blocked + "."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NotInstalled())
"""


def _kelisim(tmp_path: Path, blocked: str, *argv: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "sitecustomize.py").write_text(_BLOCKER, encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(PROJECT_ROOT / "src")]),
        "KELISIM_VAR_DIR": str(tmp_path / "var"),
        "KELISIM_TEST_BLOCKED": blocked,
        # Nothing listens on port 1: only the missing driver may explain the failure.
        "KELISIM_DATABASE_URL": "postgresql+psycopg://kelisim:secret@127.0.0.1:1/kelisim",
    }
    code = "import sys; from kelisim.cli.main import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_postgresql_without_its_part_names_the_install_command(tmp_path: Path) -> None:
    done = _kelisim(tmp_path, "psycopg", "db", "verify")
    assert done.returncode == 2, done.stderr
    assert "pip install 'kelisim[postgres]'" in done.stderr
    assert "Traceback" not in done.stderr and "secret" not in done.stderr
    # Negative control: with the driver there, the same command fails on the unreachable server
    # instead, and says nothing about a missing part.
    reachable = _kelisim(tmp_path, "no-such-module", "db", "verify")
    assert reachable.returncode == 2, reachable.stderr
    assert "kelisim[postgres]" not in reachable.stderr and "Traceback" not in reachable.stderr


def test_scanning_without_the_browser_driver_names_the_install_command(tmp_path: Path) -> None:
    done = _kelisim(tmp_path, "playwright", "scan", "http://127.0.0.1:9/")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "pip install 'kelisim[scan]'" in done.stderr
    assert "Traceback" not in done.stderr


def _project() -> dict:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _locked() -> dict[str, tuple[str, list[str]]]:
    """requirements.lock as {name: (version, hashes)}."""
    text = (PROJECT_ROOT / "requirements.lock").read_text(encoding="utf-8")
    pins: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        pin = re.match(r"([A-Za-z0-9._-]+)==(\S+)", block)
        if pin:
            hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", block)
            pins[canonicalize_name(pin.group(1))] = (pin.group(2), hashes)
    return pins


def test_the_extras_split_the_drivers_from_the_server() -> None:
    project = _project()["project"]
    core = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    extras = project["optional-dependencies"]
    assert {"psycopg", "playwright"}.isdisjoint(core)
    assert {canonicalize_name(Requirement(r).name) for r in extras["postgres"]} == {"psycopg"}
    for part in ("scan", "demo"):
        assert {canonicalize_name(Requirement(r).name) for r in extras[part]} == {"playwright"}


def test_the_lock_pins_every_requirement_of_every_part_with_hashes() -> None:
    """The README's setup installs requirements.lock with --require-hashes: a requirement added to
    pyproject.toml without regenerating the lock (CONTRIBUTING.md) fails here, not on a newcomer's
    machine."""
    project = _project()["project"]
    locked = _locked()
    wanted = [*project["dependencies"]]
    for requirements in project["optional-dependencies"].values():
        wanted.extend(requirements)
    assert wanted
    for line in wanted:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in requirements.lock"
        version, hashes = locked[name]
        assert requirement.specifier.contains(version, prereleases=True), (line, version)
        assert hashes, f"{requirement.name} has no hash in requirements.lock"
    assert all(hashes for _, hashes in locked.values())
    assert "file:" not in (PROJECT_ROOT / "requirements.lock").read_text(encoding="utf-8")
