"""Usage over time: the chart of created against licensed accounts, and when the trend crosses the grace line.

Pure functions on plain values (no Flask, no database), so the chart the page
draws as SVG on the server is tested as numbers.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


@dataclass(frozen=True)
class UsagePoint:
    at: datetime
    created: int
    licensed: int
    verdict: str = ""


@dataclass(frozen=True)
class UsageChart:
    """Coordinates of an SVG chart WIDTH x HEIGHT: polyline points and axis labels."""

    width: int
    height: int
    created: str
    licensed: str
    grace: str
    y_ticks: tuple  # (y, label)
    x_labels: tuple  # (x, datetime)
    markers: tuple  # (x, y, UsagePoint)


def grace_limit(licensed, *, grace_percent):
    """The lowest number of created accounts that is BLOCKED: 100·(C − L) ≥ g·L, g the grace percent."""
    return licensed + -(-grace_percent * licensed // 100) if licensed else 1


def usage_chart(points, *, grace_percent):
    """The chart of `points` (oldest first); None when there is nothing to draw."""
    if not points:
        return None
    start, end = points[0].at, points[-1].at
    span = max((end - start).total_seconds(), 1.0)
    limits = [grace_limit(p.licensed, grace_percent=grace_percent) for p in points]
    top = max(max(p.created for p in points), max(limits), 1)
    top = _round_up(top * 1.1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(moment):
        return round(LEFT + plot_w * ((moment - start).total_seconds() / span if len(points) > 1 else 0.5), 1)

    def y(value):
        return round(TOP + plot_h * (1 - value / top), 1)

    def steps(values):
        """A step line: a value holds until the next report changes it."""
        coordinates = []
        for index, (point, value) in enumerate(zip(points, values, strict=True)):
            if index:
                coordinates.append(f"{x(point.at)},{y(values[index - 1])}")
            coordinates.append(f"{x(point.at)},{y(value)}")
        return " ".join(coordinates)

    ticks = tuple((y(top * n / 4), round(top * n / 4)) for n in range(5))
    middle = start + (end - start) / 2
    labels = ((x(start), start), (x(end), end)) if len(points) > 1 else ((x(start), start),)
    if len(points) > 2:
        labels = (labels[0], (x(middle), middle), labels[1])
    return UsageChart(
        width=WIDTH,
        height=HEIGHT,
        created=" ".join(f"{x(p.at)},{y(p.created)}" for p in points),
        licensed=steps([p.licensed for p in points]),
        grace=steps(limits),
        y_ticks=ticks,
        x_labels=labels,
        markers=tuple((x(p.at), y(p.created), p) for p in points),
    )


def _round_up(value):
    """A tidy axis maximum: 1, 2 or 5 times a power of ten, at least `value`."""
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= value:
            return factor * magnitude
    return 10 * magnitude


def crossing_date(points, *, grace_percent, min_span=timedelta(hours=1)):
    """When the created accounts' linear trend reaches the grace line of the latest licensed accounts.

    None when there are too few reports, usage is flat or falling, or the
    latest report is already at or over the line.
    """
    if len(points) < 2 or points[-1].at - points[0].at < min_span:
        return None
    limit = grace_limit(points[-1].licensed, grace_percent=grace_percent)
    if points[-1].created >= limit:
        return None
    origin = points[0].at
    xs = [(p.at - origin).total_seconds() for p in points]
    ys = [p.created for p in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    variance = sum((value - mean_x) ** 2 for value in xs)
    slope = sum((a - mean_x) * (b - mean_y) for a, b in zip(xs, ys, strict=True)) / variance
    if slope <= 0:
        return None
    intercept = mean_y - slope * mean_x
    seconds = (limit - intercept) / slope
    crossing = origin + timedelta(seconds=seconds)
    if crossing - points[-1].at > timedelta(days=3650):
        return None
    return max(crossing, points[-1].at)
