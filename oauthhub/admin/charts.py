"""Charts for admin pages as inline SVG, drawn on the server.

The console must work offline and without a JavaScript framework, so a chart
is a few ``<rect>`` elements in the page itself. Each bar carries a
``<title>``, which browsers show as a tooltip and screen readers read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Bar:
    value: int
    label: str  # under the bar (may be empty to keep the axis readable)
    title: str  # tooltip: the bar in words


def bar_chart(
    bars: Sequence[Bar], *, description: str, width: int = 720, height: int = 160, css_class: str = "oauthhub-chart"
) -> SafeString:
    """An SVG bar chart of ``bars``; ``description`` is its accessible name.

    The y axis runs from 0 to the largest value (at least 1, so an empty chart
    has a baseline rather than a division by zero). Colours come from CSS
    classes, so the admin's light and dark themes both apply.
    """
    top, bottom, left, right = 14, 22, 34, 6
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([bar.value for bar in bars] + [1])
    slot = plot_w / max(len(bars), 1)
    gap = min(4.0, slot * 0.2)
    parts = [
        format_html('<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>', left, top + plot_h, left + plot_w,
                    top + plot_h),
        format_html('<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>', left - 4, top + 4, peak),
        format_html('<text class="tick" x="{}" y="{}" text-anchor="end">0</text>', left - 4, top + plot_h),
        format_html('<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}"/>', left, top, left + plot_w, top),
    ]
    for index, bar in enumerate(bars):
        bar_h = round(plot_h * bar.value / peak, 1)
        x = round(left + index * slot + gap / 2, 1)
        parts.append(
            format_html(
                '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
                x, round(top + plot_h - bar_h, 1), round(slot - gap, 1), bar_h, bar.title,
            )
        )
        if bar.label:
            parts.append(
                format_html('<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                            round(x + (slot - gap) / 2, 1), height - 6, bar.label)
            )
    return format_html(
        '<svg class="{}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" '
        'role="img" aria-label="{}"><title>{}</title>{}</svg>',
        css_class, width, height, width, height, description, description,
        mark_safe("".join(parts)),  # every part was built by format_html, so escaped
    )

