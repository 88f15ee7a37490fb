"""Integers from the outside world, bounded before they reach a query.

Both engines store ids and revision numbers as 32-bit INTEGER on PostgreSQL; a bigger number in a
query parameter is an overflow error inside the driver (a 500), not "not found". Every id or
number taken from a URL, a query string or an uploaded document goes through here first.
"""

from __future__ import annotations

import re

MAX_DB_INT = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,10}")

__all__ = ["MAX_DB_INT", "db_int", "parse_db_int"]


def db_int(value: object) -> int | None:
    """`value` when it is an int (not a bool) that fits an INTEGER column, else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if -MAX_DB_INT - 1 <= value <= MAX_DB_INT else None


def parse_db_int(text: str | None) -> int | None:
    """A non-negative decimal id from text (ASCII digits only), or None if it is not one."""
    if text is None or not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if number <= MAX_DB_INT else None
