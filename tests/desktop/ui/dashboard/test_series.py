"""The graph's decimation: few points, same picture (every spike and gap kept)."""

from __future__ import annotations

import math

from desktop.ui.dashboard.series import Series, decimate


def _day(values: list[float]) -> Series:
    return Series([1_000_000.0 + i for i in range(len(values))], values)


def test_a_short_series_is_left_alone() -> None:
    series = _day([1.0, 2.0, 3.0])
    assert decimate(series, 10) is series


def test_a_day_of_seconds_becomes_two_points_per_bucket_with_every_spike() -> None:
    values = [2.0] * 86_400
    values[12_345] = 900.0  # one slow answer
    values[70_000] = 0.5  # one very fast one
    shown = decimate(_day(values), 800)
    assert len(shown) <= 2 * 800
    assert max(shown.y) == 900.0 and min(shown.y) == 0.5
    assert shown.x == sorted(shown.x)  # time order kept
    assert 1_000_000.0 + 12_345 in shown.x  # drawn where it happened


def test_a_gap_stays_a_gap() -> None:
    values = [5.0] * 10_000
    values[4_000:6_000] = [math.nan] * 2_000  # the backend was down
    shown = decimate(_day(values), 100)
    gaps = [x for x, y in zip(shown.x, shown.y, strict=True) if math.isnan(y)]
    assert gaps and all(1_004_000 <= x < 1_006_000 for x in gaps)
    assert all(y == 5.0 for y in shown.y if not math.isnan(y))


def test_lengths_that_do_not_divide_evenly() -> None:
    for n in (201, 999, 1_001, 86_399):
        shown = decimate(_day([float(i) for i in range(n)]), 100)
        assert len(shown) <= 200
        assert shown.y[0] == 0.0 and shown.y[-1] == float(n - 1)
