"""The usage chart's numbers and the forecast of when another pack is needed."""

from datetime import UTC, datetime, timedelta

from app.licensing.usage import UsagePoint, crossing_date, grace_limit, usage_chart

START = datetime(2026, 1, 1, tzinfo=UTC)
GRACE = 10


def daily(*created, licensed=100):
    return [UsagePoint(START + timedelta(days=n), value, licensed) for n, value in enumerate(created)]


def test_grace_limit_is_the_first_blocked_count():
    limits = [grace_limit(licensed, grace_percent=GRACE) for licensed in (100, 250, 25, 0)]
    assert limits == [110, 275, 28, 1]


def test_the_grace_limit_follows_the_grace_percent_it_is_given():
    assert [grace_limit(100, grace_percent=percent) for percent in (0, 5, 20)] == [100, 105, 120]


def test_a_steady_rise_crosses_the_grace_line_on_the_expected_day():
    # 10 more accounts a day from 60: 110 (BLOCKED at L=100) on day 5.
    assert crossing_date(daily(60, 70, 80), grace_percent=GRACE) == START + timedelta(days=5)


def test_flat_or_falling_usage_never_crosses():
    assert crossing_date(daily(80, 80, 80), grace_percent=GRACE) is None
    assert crossing_date(daily(90, 80, 70), grace_percent=GRACE) is None


def test_one_report_or_already_over_gives_no_forecast():
    assert crossing_date(daily(60), grace_percent=GRACE) is None
    assert crossing_date(daily(100, 120), grace_percent=GRACE) is None


def test_chart_scales_to_the_largest_value_and_draws_every_report():
    chart = usage_chart(daily(60, 70, 130), grace_percent=GRACE)
    assert len(chart.markers) == 3
    assert chart.y_ticks[0][1] == 0 and chart.y_ticks[-1][1] == 200
    assert chart.created.count(",") == 3
    # the created line rises: later reports are higher on the page (smaller y)
    ys = [marker[1] for marker in chart.markers]
    assert ys[0] > ys[1] > ys[2]


def test_no_reports_no_chart():
    assert usage_chart([], grace_percent=GRACE) is None
