"""Kazakhstan's working days and the one-working-day deadline of a subject request
(Law 94-V Art. 25(2)(8)): weekends, the fixed-date holidays, the operator's file of moved days off,
and Almaty time rather than UTC deciding which day a request arrived on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from kelisim.domain.workdays import (
    ALMATY,
    WorkCalendar,
    WorkCalendarError,
    due_after,
    load_calendar,
    parse_calendar,
)
from kelisim.settings import Settings


def almaty(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ALMATY)


def test_a_request_on_a_weekday_is_due_at_the_end_of_the_next_day():
    # Tuesday 1 December 2026, 10:00 in Almaty.
    due = due_after(almaty("2026-12-01T10:00"))
    assert due == almaty("2026-12-02T23:59:59")
    assert due.utcoffset() == timedelta(hours=5)


def test_friday_saturday_and_sunday_requests_are_due_on_monday():
    monday_end = almaty("2026-12-07T23:59:59")
    for received in ("2026-12-04T09:00", "2026-12-05T12:00", "2026-12-06T23:30"):
        assert due_after(almaty(received)) == monday_end, received


def test_the_day_is_the_almaty_day_not_the_utc_day():
    # 20:30 UTC on Monday is already 01:30 on Tuesday in Almaty: due Wednesday, not Tuesday.
    due = due_after(datetime(2026, 11, 30, 20, 30, tzinfo=UTC))
    assert due.date() == date(2026, 12, 2)
    # The same instant in any zone gives the same deadline.
    elsewhere = datetime(2026, 11, 30, 23, 30, tzinfo=timezone(timedelta(hours=3)))
    assert due_after(elsewhere) == due


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Independence Day, Wednesday 16 December 2026: Tuesday's request is due on Thursday.
        ("2026-12-15T15:00", "2026-12-17"),
        # New Year (Fri 1 – Sat 2 January 2027): a request on Thursday 31 December is due Monday.
        ("2026-12-31T11:00", "2027-01-04"),
        # 7 January 2027 (Thursday), Orthodox Christmas: Wednesday's request is due on Friday.
        ("2027-01-06T11:00", "2027-01-08"),
        # Nauryz, 21–23 March 2028 (Tue–Thu): Monday's request is due on Friday.
        ("2028-03-20T11:00", "2028-03-24"),
        # 1, 7 and 9 May 2029 (Tue, Mon, Wed).
        ("2029-04-30T11:00", "2029-05-02"),
        ("2029-05-04T11:00", "2029-05-08"),
        ("2029-05-08T11:00", "2029-05-10"),
        # 8 March, 6 July, 30 August, 25 October 2027 (Mon, Tue, Mon, Mon).
        ("2027-03-05T11:00", "2027-03-09"),
        ("2027-07-05T11:00", "2027-07-07"),
        ("2027-08-27T11:00", "2027-08-31"),
        ("2027-10-22T11:00", "2027-10-26"),
    ],
)
def test_fixed_date_holidays_are_not_working_days(received, due):
    assert due_after(almaty(received)).date() == date.fromisoformat(due)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        due_after(datetime(2026, 12, 1, 10, 0))


def test_the_file_adds_kurban_ait_and_transfers(tmp_path):
    path = tmp_path / "holidays.txt"
    path.write_text(
        "# 2026 days off\n"
        "\n"
        "2026-05-27 holiday  Kurban ait\n"
        "2026-05-11 HOLIDAY  9 May fell on a Saturday   # moved\n"
        "2026-11-28 workday  a Saturday worked\n",
        encoding="utf-8",
    )
    calendar = load_calendar(path)
    # Negative control: without the file, Tuesday's request is due on Kurban ait itself.
    assert due_after(almaty("2026-05-26T10:00")).date() == date(2026, 5, 27)
    assert due_after(almaty("2026-05-26T10:00"), calendar).date() == date(2026, 5, 28)
    assert due_after(almaty("2026-05-08T10:00"), calendar).date() == date(2026, 5, 12)
    # A Friday request is due on the Saturday that is worked.
    assert due_after(almaty("2026-11-27T10:00")).date() == date(2026, 11, 30)
    assert due_after(almaty("2026-11-27T10:00"), calendar).date() == date(2026, 11, 28)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2026-05-27", r"holidays\.txt:2: expected 'YYYY-MM-DD holiday'"),
        ("27.05.2026 holiday", r"holidays\.txt:2: '27\.05\.2026' is not a date"),
        ("2026-02-30 holiday", r"holidays\.txt:2: '2026-02-30' is not a date"),
        ("20260527 holiday", r"holidays\.txt:2: write the date as YYYY-MM-DD"),
        ("2026-05-27 dayoff", r"holidays\.txt:2: 'dayoff' is neither 'holiday'"),
        ("2026-05-11 workday", r"holidays\.txt:2: 2026-05-11 is already a holiday on line 1"),
    ],
)
def test_a_bad_line_is_named_by_file_and_line(tmp_path, line, message):
    path = tmp_path / "holidays.txt"
    path.write_text(f"2026-05-11 holiday\n{line}\n", encoding="utf-8")
    with pytest.raises(WorkCalendarError, match=message):
        load_calendar(path)


def test_an_unreadable_file_is_named(tmp_path):
    with pytest.raises(WorkCalendarError, match=r"missing\.txt: cannot be read"):
        load_calendar(tmp_path / "missing.txt")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe2026")
    with pytest.raises(WorkCalendarError, match=r"binary\.txt: not UTF-8"):
        load_calendar(binary)


def test_a_calendar_without_working_days_is_an_error_not_a_hang():
    every_day = frozenset(date(2027, 1, 1) + timedelta(days=n) for n in range(400))
    with pytest.raises(WorkCalendarError, match="no working day"):
        due_after(almaty("2027-01-01T10:00"), WorkCalendar(extra_holidays=every_day))


def test_parse_calendar_takes_any_lines():
    calendar = parse_calendar(["2026-12-18 holiday"], "inline")
    assert not calendar.is_working_day(date(2026, 12, 18))
    assert calendar.is_working_day(date(2026, 12, 17))


def test_the_setting_names_the_file(tmp_path):
    base = {"KELISIM_VAR_DIR": str(tmp_path / "var")}
    assert Settings.from_env(base).holidays_file is None
    path = tmp_path / "holidays.txt"
    settings = Settings.from_env({**base, "KELISIM_HOLIDAYS_FILE": str(path)})
    assert settings.holidays_file == path
