"""The summary chart is a real PNG of the right size with something drawn on it."""

from __future__ import annotations

import io

from PIL import Image
from sqlmodel import Session

from stories.chart import render_chart
from stories.models import Workspace
from stories.periods import parse_period
from stories.summaries import build_summary
from tests.test_summaries import NOW, build_world


def _open(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


def _colours(image: Image.Image) -> dict[tuple[int, int, int], int]:
    return {colour: count for count, colour in image.getcolors(maxcolors=1 << 24) or []}


def _ink(image: Image.Image) -> tuple[int, float]:
    """(distinct colours, share of pixels that are not white)."""
    colours = _colours(image)
    total = image.width * image.height
    return len(colours), (total - colours.get((255, 255, 255), 0)) / total


def test_chart_of_a_busy_period(session: Session, workspace: Workspace) -> None:
    world = build_world(session, workspace)
    image = _open(render_chart(world.summary()))
    assert image.size == (1200, 700)
    colours, drawn = _ink(image)
    assert colours > 50  # bars in several palette colours, anti-aliased text
    assert drawn > 0.03
    # The stacked bars use the palette: the first touchpoint's blue is on the canvas.
    assert _colours(image).get((0, 114, 178), 0) > 1000


def test_chart_of_an_empty_period_still_renders(session: Session, workspace: Workspace) -> None:
    summary = build_summary(
        session=session,
        workspace_id=workspace.id or 0,
        period=parse_period("90d", now=NOW),
        now=NOW,
    )
    image = _open(render_chart(summary))
    assert image.size == (1200, 700)
    colours, drawn = _ink(image)
    assert colours > 2
    assert drawn > 0.001
