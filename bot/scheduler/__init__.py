"""The prompt scheduler: wakes at due occurrences, claims them in the ledger, sends them.

Each sweep works out, per active department, which occurrences fell due since the last sweep
of *any* replica, claims each in the ledger (its unique constraint makes this exactly-once
across replicas) and hands it to the platform's `PromptSender`. Sweeps run when the next
occurrence of any department falls due (and at least every sweep interval); each replica
heartbeats, and a claim lives only as long as its owner does. One module per job:

- `sweep`: the window, planning skips and misses, claim, fill and send (prompts and story
  harvests); manual sends.
- `wakeups`: the next due occurrence, and the schedule fingerprint checked on each heartbeat.
- `recovery`: claims whose owner's lease expired, checked with the platform before re-sending.
- `reminders`: the one reminder per prompt, to those who have not responded.
- `leads`: the CX leads' channel, with failure notices and the weekly digest.
- `rosters`: department members read from every linked channel.
- `lifecycle`: the daily roster job (APScheduler), started and stopped with the aiohttp server.

`PromptScheduler` (in `prompt_scheduler`) owns the shared state, the heartbeat and the
wake-up loop, and runs the jobs in order.
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
