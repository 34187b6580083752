"""The dashboard's trend chart as plain SVG geometry, drawn by the template (no JavaScript, no inline styles:
presentation attributes only, which the Content-Security-Policy allows). Hand-written because the chart is
one line with its margin band and one row of bars; pygal would bring its own scripts and inline styles."""
from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, BARS = 640, 200, 60  # the line's panel, and the answers' bars under it
LEFT, RIGHT, TOP = 40, 10, 10


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    line: str  # polyline points
    band: str  # polygon points: the 95% margin around the line
    dots: list[tuple[float, float, object]]  # x, y, bucket
    bars: list[tuple[float, float, float, object]]  # x, y, height, bucket
    bar_width: float
    ticks: list[tuple[float, int]]  # y, value
    zero: float | None  # the y of 0 on an NPS chart


def trend_chart(buckets, metric: str) -> TrendChart | None:
    """None when no bucket has an answer."""
    if not any(bucket.metric.answers for bucket in buckets):
        return None
    low, high = (-100, 100) if metric == "nps" else (0, 100)
    plot_width = WIDTH - LEFT - RIGHT
    step = plot_width / max(1, len(buckets))

    def x_of(index: int) -> float:
        return round(LEFT + step * (index + 0.5), 1)

    def y_of(value: float) -> float:
        value = min(high, max(low, value))
        return round(TOP + (high - value) / (high - low) * (HEIGHT - TOP), 1)

    measured = [(index, bucket) for index, bucket in enumerate(buckets) if bucket.metric.value is not None]
    line = " ".join(f"{x_of(i)},{y_of(b.metric.value)}" for i, b in measured)
    upper = [f"{x_of(i)},{y_of(b.metric.value + b.metric.margin)}" for i, b in measured]
    lower = [f"{x_of(i)},{y_of(b.metric.value - b.metric.margin)}" for i, b in reversed(measured)]
    most = max(bucket.metric.answers for bucket in buckets)
    bar_width = round(max(1.0, step * 0.7), 1)
    bars = []
    for index, bucket in enumerate(buckets):
        bar_height = round(BARS * bucket.metric.answers / most, 1)
        bars.append((round(x_of(index) - bar_width / 2, 1), round(HEIGHT + 20 + BARS - bar_height, 1), bar_height,
                     bucket))
    ticks = [(y_of(value), value) for value in range(low, high + 1, 50)]
    return TrendChart(WIDTH, HEIGHT + 20 + BARS + 5, line, " ".join(upper + lower),
                      [(x_of(i), y_of(b.metric.value), b) for i, b in measured], bars, bar_width, ticks,
                      y_of(0) if metric == "nps" else None)


@dataclass(frozen=True)
class DailyBars:
    width: int
    height: int
    bar_width: float
    bars: list[tuple[float, float, float, object, int]]  # x, y, height, day, count
    most: int


def daily_bars(points: list[tuple[object, int]], width: int = 640, height: int = 120) -> DailyBars:
    """One bar per (day, count), scaled to the largest count."""
    step = width / max(1, len(points))
    most = max((count for _day, count in points), default=0)
    bars = []
    for index, (day, count) in enumerate(points):
        bar_height = round(height * count / most, 1) if most else 0
        bars.append((round(step * index + step * 0.15, 1), round(height - bar_height, 1), bar_height, day, count))
    return DailyBars(width, height, round(step * 0.7, 1), bars, most)
