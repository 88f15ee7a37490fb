"""Geometry for the dashboard's charts, drawn as inline SVG by the templates.

Server-rendered SVG needs no script (the admin CSP allows none but its own nonce) and no chart
library to trust, prints, and works with a screen reader when each chart also carries its numbers
as text (the templates add a table beside every chart). Only numbers are computed here; every text
reaches the page through Jinja's escaping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Segment:
    """A piece of a 100 % bar: x and width in percent of the bar."""

    key: str
    x: float
    width: float
    count: int
    share: float


@dataclass(frozen=True)
class Rect:
    key: str
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class DailyChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    rects: list[Rect]
    ticks: list[Tick]
    peak: int


@dataclass(frozen=True)
class Line:
    key: str
    index: int
    points: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    lines: list[Line]
    ticks: list[Tick]


def shares(counts: Mapping[str, int], order: Sequence[str]) -> list[Segment]:
    """The 100 % bar of `counts` in `order`; empty when nothing was counted."""
    total = sum(counts.get(key, 0) for key in order)
    segments = []
    x = 0.0
    for key in order:
        count = counts.get(key, 0)
        if not total or not count:
            continue
        width = 100.0 * count / total
        segments.append(Segment(key=key, x=round(x, 3), width=round(width, 3), count=count,
                                share=count / total))  # fmt: skip
        x += width
    return segments


def _ticks(days: Sequence[date], x_of: list[float], most: int = 6) -> list[Tick]:
    if not days:
        return []
    step = max(1, -(-len(days) // most))
    return [Tick(x=x_of[i], label=days[i].strftime("%d.%m")) for i in range(0, len(days), step)]


def daily_stacked(
    days: Sequence[date],
    daily: Mapping[date, Mapping[str, int]],
    order: Sequence[str],
    width: int = 760,
    height: int = 200,
) -> DailyChart:
    """One stacked column per day; the tallest day fills the plot."""
    top, bottom, left = 10, height - 24, 40
    plot_height = bottom - top
    slot = (width - left) / max(1, len(days))
    peak = max((sum(daily.get(day, {}).get(k, 0) for k in order) for day in days), default=0)
    rects = []
    x_of = []
    for index, day in enumerate(days):
        x = left + index * slot
        x_of.append(round(x + slot / 2, 2))
        y = float(bottom)
        for key in order:
            count = daily.get(day, {}).get(key, 0)
            if not count or not peak:
                continue
            h = plot_height * count / peak
            y -= h
            rects.append(
                Rect(key=key, x=round(x + slot * 0.1, 2), y=round(y, 2),
                     width=round(max(slot * 0.8, 0.5), 2), height=round(h, 2),
                     label=f"{day.isoformat()} {key}: {count}")
            )  # fmt: skip
    return DailyChart(width=width, height=height, plot_top=top, plot_bottom=bottom, rects=rects,
                      ticks=_ticks(days, x_of), peak=peak)  # fmt: skip


def rate_lines(
    days: Sequence[date],
    series: Mapping[str, Mapping[date, Mapping[str, int]]],
    granted: str = "granted",
    width: int = 760,
    height: int = 200,
) -> LineChart:
    """Daily rate (granted ÷ all outcomes) per series, 0–100 % on the y axis; gaps where no data."""
    top, bottom, left = 10, height - 24, 40
    slot = (width - left) / max(1, len(days))
    x_of = [round(left + slot * (i + 0.5), 2) for i in range(len(days))]
    lines = []
    for index, (key, by_day) in enumerate(series.items()):
        points = []
        for i, day in enumerate(days):
            counts = by_day.get(day) or {}
            total = sum(counts.values())
            if total:
                rate = counts.get(granted, 0) / total
                points.append(f"{x_of[i]},{round(bottom - (bottom - top) * rate, 2)}")
        lines.append(Line(key=key, index=index, points=" ".join(points)))
    return LineChart(width=width, height=height, plot_top=top, plot_bottom=bottom, lines=lines,
                     ticks=_ticks(days, x_of))  # fmt: skip


def sparkline(
    days: Sequence[date],
    by_day: Mapping[date, Mapping[str, int]],
    granted: str = "granted",
    width: int = 120,
    height: int = 24,
) -> str:
    """Polyline points of a daily rate, for a small chart beside a vendor's bar."""
    slot = width / max(1, len(days))
    points = []
    for i, day in enumerate(days):
        counts = by_day.get(day) or {}
        total = sum(counts.values())
        if total:
            rate = counts.get(granted, 0) / total
            points.append(f"{round(slot * (i + 0.5), 2)},{round(2 + (height - 4) * (1 - rate), 2)}")
    return " ".join(points)
