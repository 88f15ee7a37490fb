"""The real third-party clients the browser tests drive (axe-core, DuckDuckGo's autoconsent, the
vanilla-cookieconsent banner a scanner test self-hosts), from
the npm registry through scripts/npm-tools, which pins their versions and installs each into the
git-ignored node_modules/.tools/ on first use, so a fresh machine (or CI) gets them too."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


SCRIPT = PROJECT_ROOT / "scripts" / "npm-tools"


def package_dir(tool: str, package: str) -> Path:
    """The installed folder of `package`, installing `tool` first if it is missing."""
    result = subprocess.run(
        [str(SCRIPT), tool], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600
    )
    if result.returncode:
        pytest.fail(f"scripts/npm-tools {tool} failed:\n{result.stderr[-2000:]}")
    return PROJECT_ROOT / result.stdout.split()[-1] / "node_modules" / package
