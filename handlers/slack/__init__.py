"""The Slack skin: bolt events in, neutral core calls, Block Kit out.

``listeners`` registers everything on the bolt app; ``capture``, ``browse``, ``leads`` and
``answers`` hold the listeners; ``blocks``, ``forms``, ``prompt_cards`` and ``summary_blocks``
are pure renderers; ``effects`` carries out what the core says happens next; ``sender`` is
the scheduler's way to post prompts. Nothing here imports ``bot`` or the Teams skin.
"""
