"""A problem found in a catalogue, and the error that carries all of them.

The loader reports every problem at once, each as ``file:line: field: message``; `location` gives
the same place as data (``("vendors", "vk", "cookies", 0, "name")``), so the admin puts a problem
on the form field it belongs to without reading the message."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

# The reader names an item by its id where it has a readable one ("vendor 'vk': cookies[0]"), as
# an editor searches the file for the id; as data that is the item of its list.
_LIST_OF = {"vendor": "vendors", "purpose": "purposes", "site": "sites", "region": "regions"}
_NAMED = re.compile(r"(?P<what>[a-z]+) '(?P<id>[^']*)'(?::\s*|\.|$)")
_STEP = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


class Problem(NamedTuple):
    file: str
    line: int
    field: str
    message: str

    @property
    def location(self) -> tuple[str | int, ...]:
        """Where in the document the problem is, as keys and list indexes:
        ``vendor 'vk': cookies[0].name`` is ``("vendors", "vk", "cookies", 0, "name")`` and
        ``vendors[3].id`` is ``("vendors", 3, "id")``; ``()`` for the file as a whole."""
        text, steps = self.field, []
        named = _NAMED.match(text)
        if named and named.group("what") in _LIST_OF:
            steps += [_LIST_OF[named.group("what")], named.group("id")]
            text = text[named.end() :]
        for index, key in _STEP.findall(text):
            if index:
                steps.append(int(index))
            elif key.strip(": "):
                steps.append(key.strip(": "))
        return tuple(steps)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class CatalogueError(ValueError):
    """Every problem found in a catalogue file, so one edit-and-reload fixes them all."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))
