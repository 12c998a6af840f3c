"""The CX leads' web dashboard, platform-free: sign-in, and the data each page shows.

The web skin (``handlers/web``) renders these; the numbers come from the same code as the
chat summaries and ``sightline summary --json``, and every query is scoped to the signed-in
lead's workspace.
"""
