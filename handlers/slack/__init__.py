"""Slack: thin bolt listeners (listeners.py) and pure Block Kit renderers (renderers.py)."""
