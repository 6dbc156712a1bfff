"""The inline SVG chart and the tokens-per-hour series behind it."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import pairwise

import pytest
from django.utils import timezone

from oauthhub.admin.charts import Bar, bar_chart
from oauthhub.admin.facts import issued_chart, issued_per_hour
from oauthhub.models import IssuedToken


def test_one_rect_per_bar_scaled_to_the_peak():
    svg = bar_chart([Bar(0, "00:00", "none"), Bar(5, "", "half"), Bar(10, "02:00", "all")], description="Tokens",
                    width=300, height=140)
    heights = [float(h) for h in re.findall(r'<rect class="bar"[^>]* height="([\d.]+)"', svg)]
    assert len(heights) == 3
    assert heights[0] == 0 and heights[2] == 2 * heights[1] > 0
    assert svg.startswith('<svg class="oauthhub-chart"') and 'role="img" aria-label="Tokens"' in svg
    assert "<title>half</title>" in svg
    assert svg.count('class="tick"') == 2 + 2  # peak and zero, plus two labelled bars
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_an_empty_chart_has_a_baseline_and_no_division_by_zero():
    svg = bar_chart([Bar(0, "", "x")] * 24, description="Nothing yet")
    assert svg.count('<rect class="bar"') == 24
    assert '<line class="axis"' in svg


def test_text_is_escaped():
    svg = bar_chart([Bar(1, "<b>", '"quoted" & <tag>')], description="<script>alert(1)</script>")
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;tag&gt;" in svg


@pytest.mark.django_db
def test_issued_per_hour_counts_the_last_24_hours(workspace, workspace_factory):
    now = timezone.now()
    other = workspace_factory("other")

    def issued(ws, hours_ago: float, n: int = 1) -> None:
        for _ in range(n):
            record = IssuedToken.objects.create(workspace=ws, jti=f"j{IssuedToken.objects.count()}",
                                                expires=now + timedelta(hours=1))
            IssuedToken.objects.filter(pk=record.pk).update(issued_at=now - timedelta(hours=hours_ago))

    issued(workspace, 0, 3)
    issued(workspace, 5, 2)
    issued(workspace, 30)  # older than a day: not shown
    issued(other, 0, 4)  # another workspace: not counted

    series = issued_per_hour(workspace, now)

    assert len(series) == 24
    assert series[-1][1] == 3 and series[-6][1] == 2
    assert sum(count for _, count in series) == 5
    starts = [start for start, _ in series]
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(starts))
    svg = issued_chart(series)
    assert svg.count('<rect class="bar"') == 24
    assert ": 3 tokens</title>" in svg and ": 1 token</title>" not in svg
