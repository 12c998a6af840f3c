"""Microsoft Teams: thin activity handling and pure Adaptive Card renderers."""
