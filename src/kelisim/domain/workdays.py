"""Kazakhstan's working days, and the deadline of a subject request: the end of the next one.

Law 94-V Art. 25(2)(8) gives the operator one working day to block or destroy a subject's data, so
a request's due time is the end (23:59:59 in Almaty) of the first working day after the day it was
received. Working days are Monday to Friday except the public holidays with a fixed date (the
Labour Code and the Law "On holidays in the Republic of Kazakhstan"). Kurban ait moves with the
lunar calendar, and every year the government moves days off (a holiday that fell on a weekend, a
Saturday worked so that a bridge day is free); those come from a file the operator keeps
(KELISIM_HOLIDAYS_FILE), one date a line — for example:

    # copy the dates from this year's government resolution on days off
    2026-05-27 holiday  Kurban ait
    2026-05-11 holiday  9 May fell on a Saturday
    2026-11-28 workday  a Saturday worked for a bridge day

A date the file does not list is read as the fixed calendar says, so a missing `holiday` line only
makes a deadline earlier, never later; a missing `workday` line can make it one day later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

__all__ = [
    "ALMATY",
    "FIXED_HOLIDAYS",
    "WorkCalendar",
    "WorkCalendarError",
    "due_after",
    "load_calendar",
    "parse_calendar",
]

# Kazakhstan has kept one time zone, UTC+5, since 1 March 2024; no daylight saving time.
ALMATY = timezone(timedelta(hours=5), "Asia/Almaty")

# (month, day) of the public holidays with a fixed date.
FIXED_HOLIDAYS: frozenset[tuple[int, int]] = frozenset(
    {
        (1, 1),  # New Year
        (1, 2),
        (1, 7),  # Orthodox Christmas
        (3, 8),  # International Women's Day
        (3, 21),  # Nauryz meyramy
        (3, 22),
        (3, 23),
        (5, 1),  # Kazakhstan People's Unity Day
        (5, 7),  # Defender of the Fatherland Day
        (5, 9),  # Victory Day
        (7, 6),  # Capital Day
        (8, 30),  # Constitution Day
        (10, 25),  # Republic Day
        (12, 16),  # Independence Day
    }
)

KINDS = ("holiday", "workday")
# A deadline is searched for at most this far ahead: a calendar whose file declares every day of
# a year off is a mistake to report, not a loop to run.
_SEARCH_DAYS = 60


class WorkCalendarError(ValueError):
    """A line of the holidays file that cannot be read; the message names file and line."""


@dataclass(frozen=True)
class WorkCalendar:
    """The fixed calendar plus the operator's extra days off and worked weekend days."""

    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS

    def next_working_day(self, after: date) -> date:
        """The first working day strictly after `after`."""
        day = after
        for _ in range(_SEARCH_DAYS):
            day += timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise WorkCalendarError(f"no working day within {_SEARCH_DAYS} days after {after}")


def due_after(received_at: datetime, calendar: WorkCalendar | None = None) -> datetime:
    """The end of the next working day after `received_at` (aware), as Almaty time.

    A request received on a Friday evening, a Saturday or a holiday eve is due at the end of the
    working day that follows, because the day of receipt is never the one working day itself.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must carry a time zone")
    calendar = calendar or WorkCalendar()
    local_day = received_at.astimezone(ALMATY).date()
    due_day = calendar.next_working_day(local_day)
    return datetime.combine(due_day, time(23, 59, 59), tzinfo=ALMATY)


def parse_calendar(lines: Iterable[str], source: str) -> WorkCalendar:
    """Read `YYYY-MM-DD holiday|workday [note]` lines; `#` starts a comment, blank lines skip."""
    holidays: dict[date, int] = {}
    workdays: dict[date, int] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{source}:{number}"
        parts = line.split(None, 2)
        if len(parts) < 2:
            raise WorkCalendarError(
                f"{where}: expected 'YYYY-MM-DD holiday' or 'YYYY-MM-DD workday', got {line!r}"
            )
        text, kind = parts[0], parts[1].lower()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise WorkCalendarError(
                f"{where}: {text!r} is not a date; write it as YYYY-MM-DD, like 2026-05-27"
            ) from None
        if len(text) != 10:
            raise WorkCalendarError(f"{where}: write the date as YYYY-MM-DD, not {text!r}")
        if kind not in KINDS:
            raise WorkCalendarError(
                f"{where}: {parts[1]!r} is neither 'holiday' (a day off) nor 'workday' "
                "(a weekend day that is worked)"
            )
        mine, other = (holidays, workdays) if kind == "holiday" else (workdays, holidays)
        if day in other:
            raise WorkCalendarError(
                f"{where}: {day} is already a {'workday' if kind == 'holiday' else 'holiday'} "
                f"on line {other[day]}"
            )
        mine.setdefault(day, number)
    return WorkCalendar(extra_holidays=frozenset(holidays), extra_workdays=frozenset(workdays))


def load_calendar(path: Path | None) -> WorkCalendar:
    """The calendar with the file's days; the fixed calendar alone when `path` is None."""
    if path is None:
        return WorkCalendar()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise WorkCalendarError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise WorkCalendarError(f"{path}: cannot be read ({error.strerror or error})") from None
    return parse_calendar(text.splitlines(), str(path))
