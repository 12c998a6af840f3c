"""Chat platform listeners and renderers (Slack, Microsoft Teams)."""
