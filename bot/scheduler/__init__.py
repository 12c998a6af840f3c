"""The prompt scheduler: sweeps for due occurrences, claims them in the ledger, sends them.

Every sweep (once a minute and on start) works out, per active department, which
occurrences fell due since the last sweep of *any* replica, claims each in the ledger (its
unique constraint makes this exactly-once across replicas) and hands it to the platform's
`PromptSender`. One module per job:

- `sweep`: the window, planning skips and misses, claim, fill and send; manual sends.
- `recovery`: claims a crash left unconfirmed, checked with the platform before re-sending.
- `reminders`: the one nudge per prompt.
- `leads`: the CX leads' channel, with failure notices and the weekly digest.
- `rosters`: department members read from the linked channels.
- `lifecycle`: the APScheduler jobs, started and stopped with the aiohttp server.

`PromptScheduler` (in `prompt_scheduler`) owns the shared state and runs the jobs in order.
"""

from bot.scheduler.config import PromptConfig, default_instance_name
from bot.scheduler.prompt_scheduler import PromptScheduler
from bot.scheduler.report import DeliveryOutcome, SweepReport

__all__ = [
    "DeliveryOutcome",
    "PromptConfig",
    "PromptScheduler",
    "SweepReport",
    "default_instance_name",
]
