"""The CX lead summary: one platform-neutral object that Slack, Teams and the CLI all render.

Every figure is computed for a period and for the previous period of equal length, and
reported as a :class:`Change` (value, previous, delta, direction).

Counting is exact and reads pre-aggregated counts that the database keeps up to date with
triggers on every write (migration 0009), so its cost follows the number of days, prompts and
members, not of stories, resonates and answers:

- Whole UTC days come from ``storyday`` (stories by source, touchpoint, emotion) and
  ``siloday`` (resonates and answers, same or other department); the partial days at a
  period's edges ("7d" asked at 15:20 starts and ends at 15:20) are counted from the rows.
  A department's summary counts its own rows, from indexes that start with the department.
- Prompts come from their rows, each carrying its number of answers (``answer_count``).
- Answering members: one probe per member of the departments that were asked, on the
  (member, prompted_at) index.
- Most resonated: ``storyresonance`` (resonates per story).

Two parts read text and therefore sample (and memoise per-text results, so a repeated
summary analyses only texts it has not seen):

- **Themes** read the newest :data:`THEME_STORIES` stories and :data:`THEME_ANSWERS` answers of
  each period (``themes_sampled`` says when there were more). Theme counts are the number of
  sampled documents that contain the phrase, private stories included; the example quoted is
  a shared story (none when only private stories mention it).
- **Emotion** uses the captured emotion, counted in SQL. Stories without one get an emotion
  from VADER (see :mod:`stories.sentiment`); when more than :data:`EMOTION_SAMPLE` stories lack
  one, the newest of them are classified and their mix is scaled to the full number
  (``emotions_sampled``), so the totals still add up to the number of stories.

Definitions (each a ratio of counts; ``None`` when the denominator is 0, shown as "n/a"):

- **Prompts sent**: ``PromptDelivery`` rows of kind ``prompt`` with status ``sent`` whose
  ``sent_at`` (else ``occurrence_at``) lies in the period.
- **Response rate** of a department: prompts delivered to it in the period that received at
  least one answer / prompts delivered to it in the period. Answers are counted against the
  prompt's delivery time, however late they came, so the rate is between 0 and 1.
  ``answers`` alongside it is the raw number of answers to those prompts.
- **Participation** of a department: distinct members *of that department* (``Member.
  department_id``, as it is now) who answered any prompt delivered in the period / members of
  that department, i.e. the members the prompts reached. It is ``None`` when the department
  has no members or was sent no prompt in the period (nobody was reached). The overall figure
  pools the departments that were sent a prompt: their answering members / their members.
  Members without a department count in neither.
- **Departments that have not answered**: departments that were sent at least one prompt in
  the period and gave no answer to any of them. Departments that were sent nothing are not
  listed (they were never asked).
- **Silo index**: of the "resonates" engagement made in the period and the prompt answers
  written in the period that are about a story, the share given by a department other than
  the story's own (``Story.department_id``). A row counts only when both departments are
  known: engagement or answers by people without a department, or on stories whose department
  is unknown, are left out of numerator *and* denominator (they can be neither "same" nor
  "other"). ``overall`` pools both kinds of rows. Higher means more line of sight across the
  organisation.
- **Most resonated**: the shared stories captured in the period with the most "This
  resonates" so far (ties: lowest story id), each with how many came from other departments.
  A story is listed for the period it was captured in, so a historical period keeps its own
  list.

Private stories count in every figure, but a summary is read in channels, so the text it
quotes is only what ``Viewer.anyone()`` may read (:mod:`stories.visibility`).

With a ``department_id`` filter the summary is about that department: stories it captured
(``Story.department_id``; also its most resonated ones), prompts delivered to it, answers and
engagement its members gave (so its silo index is the share of its attention that goes to
other departments' stories).

Modules: :mod:`~stories.summaries.model` (the values), :mod:`~stories.summaries.build`
(``build_summary``) over :mod:`~stories.summaries.story_figures`,
:mod:`~stories.summaries.prompt_figures`, :mod:`~stories.summaries.silo` and
:mod:`~stories.summaries.quoted` (themes and most resonated, the parts that quote stories),
:mod:`~stories.summaries.view` (the summary as people read it, which every renderer maps
to its format) and :mod:`~stories.summaries.output` (JSON and Markdown).
"""

from __future__ import annotations

from stories.summaries.build import build_summary
from stories.summaries.model import (
    NO_TOUCHPOINT,
    OTHER,
    Change,
    Count,
    DepartmentRef,
    DepartmentSummary,
    Direction,
    EmotionShare,
    Number,
    ResonatedStory,
    SiloIndex,
    Summary,
    ThemeSummary,
    TouchpointSeries,
    WeeklySeries,
    compare,
    ratio,
)
from stories.summaries.output import SCHEMA_VERSION, render_summary_text, summary_payload
from stories.summaries.quoted import RESONATED_LIMIT, THEME_ANSWERS, THEME_LIMIT, THEME_STORIES
from stories.summaries.story_figures import EMOTION_SAMPLE, TOUCHPOINT_LIMIT

# The benchmark empties this memo to time a summary over texts never seen before.
from stories.summaries.story_figures import _inferred_emotion as _inferred_emotion
from stories.summaries.view import SummaryView, format_change, summary_view

__all__ = [
    "EMOTION_SAMPLE",
    "NO_TOUCHPOINT",
    "OTHER",
    "RESONATED_LIMIT",
    "SCHEMA_VERSION",
    "THEME_ANSWERS",
    "THEME_LIMIT",
    "THEME_STORIES",
    "TOUCHPOINT_LIMIT",
    "Change",
    "Count",
    "DepartmentRef",
    "DepartmentSummary",
    "Direction",
    "EmotionShare",
    "Number",
    "ResonatedStory",
    "SiloIndex",
    "Summary",
    "SummaryView",
    "ThemeSummary",
    "TouchpointSeries",
    "WeeklySeries",
    "build_summary",
    "compare",
    "format_change",
    "ratio",
    "render_summary_text",
    "summary_payload",
    "summary_view",
]
