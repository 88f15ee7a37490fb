"""Docs and comments cite only what a reader of the repository can open.

Kelisim's docs once pointed at design and reference notes kept outside the repository; a reader
following `DESIGN.md` or "compliance §4.6" found nothing. This keeps such citations from returning.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Citations of notes that are not in the repository: the design note, the vendor research notes,
# and the numbered sections or checklist ids of the compliance reference.
OUTSIDE_NOTES = re.compile(
    r"DESIGN\.md|vendor-facts|compliance(\.md)?\s*(§|[A-Z]\d)|\(§\d+\.\d+\)|compliance\.md"
)


def test_no_file_cites_notes_that_are_not_in_the_repository():
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    own = Path(__file__).relative_to(ROOT).as_posix()
    hits = []
    for name in listed:
        path = ROOT / name
        if name == own or path.suffix not in {".py", ".md", ".html", ".js", ".yaml", ".toml"}:
            continue
        if name.endswith(".min.js") or not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if OUTSIDE_NOTES.search(line) and "privacy policy (§" not in line:
                hits.append(f"{name}:{number}: {line.strip()}")
    assert hits == []
