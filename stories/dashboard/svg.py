"""Bar charts as inline SVG, drawn on the server: no script, no external service.

Each chart is an image with a title and a description for screen readers; the page shows
the same numbers in a table beside it, so nothing is told by the picture alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 220, 40, 40, 12
BAR = "#1d4ed8"  # 7.9:1 against white
AXIS = "#374151"


@dataclass(frozen=True)
class Bars:
    title: str
    labels: tuple[str, ...]
    values: tuple[float, ...]
    unit: str = ""  # "%" draws values as percentages of 1


def _tick(value: float, unit: str) -> str:
    return f"{value * 100:.0f}%" if unit == "%" else f"{value:,.0f}"


def bar_chart(chart: Bars, *, chart_id: str) -> str:
    """The chart as an ``<svg>`` element (escaped text; safe to embed as is)."""
    top = max([*chart.values, 0.0]) or 1.0
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / max(len(chart.values), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" class="chart" id="{chart_id}">',
        f'<title id="{chart_id}-t">{escape(chart.title)}</title>',
        f'<desc id="{chart_id}-d">{escape(_describe(chart))}</desc>',
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH - 8}" '
        f'y2="{PAD_TOP + plot_h}" stroke="{AXIS}"/>',
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + 10}" text-anchor="end" font-size="12" '
        f'fill="{AXIS}">{escape(_tick(top, chart.unit))}</text>',
    ]
    every = max(1, len(chart.labels) // 8)  # at most ~8 labels under the axis
    for index, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        height = plot_h * value / top
        x = PAD_LEFT + index * step + step * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{PAD_TOP + plot_h - height:.1f}" width="{step * 0.7:.1f}" '
            f'height="{height:.1f}" fill="{BAR}"><title>{escape(label)}: '
            f"{escape(_tick(value, chart.unit))}</title></rect>"
        )
        if index % every == 0:
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" '
                f'text-anchor="middle" font-size="12" fill="{AXIS}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _describe(chart: Bars) -> str:
    pairs: Sequence[str] = [
        f"{label}: {_tick(value, chart.unit)}"
        for label, value in zip(chart.labels, chart.values, strict=True)
    ]
    return "; ".join(pairs) if pairs else "No data in this period."
