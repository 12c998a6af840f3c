"""The summary as one PNG: stories per week by touchpoint, and response rate per department.

Drawn with matplotlib's object API on an Agg canvas (no pyplot, no global figure state), so
it is safe in the bot's worker threads and needs no display.
"""

from __future__ import annotations

import io

from stories.summaries import OTHER, Summary

WIDTH_PX, HEIGHT_PX, DPI = 1200, 700, 100
TOP_TOUCHPOINTS = 6
MAX_DEPARTMENTS = 15  # more bars than this are unreadable at this size; the lowest rates win
# Colour-blind-safe (Okabe-Ito) plus grey for "other".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")


def _touchpoint_series(summary: Summary) -> list[tuple[str, list[int]]]:
    series = list(summary.weekly.series)
    top = [
        (s.touchpoint, list(s.counts)) for s in series[:TOP_TOUCHPOINTS] if s.touchpoint != OTHER
    ]
    rest = [s for s in series if s.touchpoint not in {name for name, _ in top}]
    if rest:
        weeks = len(summary.weekly.weeks)
        top.append((OTHER, [sum(s.counts[i] for s in rest) for i in range(weeks)]))
    return top


def render_chart(summary: Summary) -> bytes:
    """A ~1200x700 PNG of the summary's weekly stories and department response rates."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    weekly_axes, rate_axes = figure.subplots(1, 2, width_ratios=(3, 2))
    scope = f" — {summary.department.name}" if summary.department else ""
    figure.suptitle(
        f"{summary.workspace_name}{scope}: {summary.period.label} "
        f"({summary.period.start:%Y-%m-%d} to {summary.period.end:%Y-%m-%d})",
        fontsize=13,
    )

    weeks = list(summary.weekly.weeks)
    positions = list(range(len(weeks)))
    bottoms = [0] * len(weeks)
    series = _touchpoint_series(summary)
    for index, (touchpoint, counts) in enumerate(series):
        colour = PALETTE[-1] if touchpoint == OTHER else PALETTE[index % (len(PALETTE) - 1)]
        weekly_axes.bar(positions, counts, bottom=bottoms, label=touchpoint, color=colour)
        bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
    weekly_axes.set_title("Stories captured per week, by touchpoint")
    weekly_axes.set_ylabel("stories")
    step = max(1, len(weeks) // 12)  # keep week labels legible on long periods
    weekly_axes.set_xticks(positions[::step], [w[5:] for w in weeks[::step]], rotation=45)
    weekly_axes.set_xlabel("ISO week")
    if series:
        weekly_axes.legend(loc="upper left", fontsize=8, frameon=False)
    else:
        weekly_axes.text(
            0.5, 0.5, "No stories in this period", ha="center", transform=weekly_axes.transAxes
        )
    weekly_axes.yaxis.get_major_locator().set_params(integer=True)

    departments = [d for d in summary.departments if d.prompts_delivered.value]
    departments.sort(key=lambda d: (d.response_rate.value or 0.0, d.name))
    asked = len(departments)
    departments = departments[:MAX_DEPARTMENTS]
    names = [d.name for d in departments]
    rates = [100 * (d.response_rate.value or 0.0) for d in departments]
    rate_axes.barh(range(len(names)), rates, color=PALETTE[2])
    rate_axes.set_yticks(range(len(names)), names)
    rate_axes.set_xlim(0, 100)
    rate_axes.set_xlabel("prompts answered, %")
    shown = f" (lowest {len(departments)} of {asked})" if asked > len(departments) else ""
    rate_axes.set_title(f"Response rate per department{shown}")
    rate_axes.invert_yaxis()  # lowest rate on top: the departments to follow up first
    for y, d in enumerate(departments):
        label = f"{rates[y]:.0f}% of {d.prompts_delivered.value}"
        rate_axes.text(min(rates[y] + 1, 70), y, label, va="center", fontsize=8)
    if not departments:
        rate_axes.text(
            0.5, 0.5, "No prompts sent in this period", ha="center", transform=rate_axes.transAxes
        )

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
