"""Sightline's platform-free domain: models, services, redaction, search, summaries."""
