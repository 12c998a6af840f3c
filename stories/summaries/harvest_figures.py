"""The story-harvest response rate per department, beside the line-of-sight one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlmodel import Session

from stories.harvest import harvest_rates
from stories.periods import Period
from stories.summaries.model import DepartmentSummary, compare, ratio


def with_harvest_rates(
    session: Session, workspace_id: int, period: Period, departments: Sequence[DepartmentSummary]
) -> tuple[DepartmentSummary, ...]:
    """Each department's summary with its harvest response rate, compared with the previous
    period (left empty for departments that were sent no harvest prompt in either)."""
    now = harvest_rates(session=session, workspace_id=workspace_id, period=period)
    before = harvest_rates(session=session, workspace_id=workspace_id, period=period.previous())
    out = []
    for department in departments:
        d = department.department_id
        if d not in now and d not in before:
            out.append(department)
            continue
        sent, answered = now.get(d, (0, 0))
        sent_before, answered_before = before.get(d, (0, 0))
        rate = compare(ratio(answered, sent), ratio(answered_before, sent_before))
        out.append(replace(department, harvest_response_rate=rate))
    return tuple(out)
