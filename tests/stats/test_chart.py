"""The SVG geometry: readable axis tops, distinct non-colour cues per series."""

from datetime import datetime, timedelta

import pytest

from modoboa_flask.models.stats import COUNTERS
from modoboa_flask.stats.chart import STYLES, geometry, nice_ceiling
from modoboa_flask.stats.series import Series


@pytest.mark.parametrize("value, top", [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (260, 500)])
def test_axis_top_is_a_round_number(value, top):
    assert nice_ceiling(value) == top


def test_every_series_has_its_own_dash_and_marker():
    assert len({dash for _, _, dash, _ in STYLES}) == len(STYLES)
    assert len({marker for *_, marker in STYLES}) == len(STYLES)


def test_geometry_scales_points_into_the_plot():
    start = datetime(2026, 12, 7)
    points = [(start + timedelta(hours=i), dict.fromkeys(COUNTERS, 0)) for i in range(24)]
    points[5][1]["sent"] = 10
    g = geometry(Series("week", 3600, points, dict.fromkeys(COUNTERS, 0)))
    sent = next(line for line in g["lines"] if line.name == "sent")
    ys = [float(pair.split(",")[1]) for pair in sent.points.split()]
    assert min(ys) == g["top"] and max(ys) == g["bottom"]  # the peak touches the top
    assert [value for _, value in g["y_ticks"]] == [0, 2, 5, 7, 10]
