"""Logging for `sightline serve`: our own loggers at the chosen level, the SDKs' at INFO.

At DEBUG, slack_sdk logs whole Web API responses (an OAuth exchange carries the tokens),
botbuilder logs activities and SQLAlchemy logs statements with their parameters. So
``SIGHTLINE_LOG_LEVEL=DEBUG`` lowers Sightline's own loggers only; the third-party ones stay
at INFO or above unless ``SIGHTLINE_LOG_SDK_DEBUG=true`` says otherwise, deliberately.
"""

from __future__ import annotations

import logging

from bot.settings import Settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
OWN_LOGGERS = ("bot", "handlers", "stories", "sightline", "bench", "__main__")


def configure_logging(settings: Settings) -> None:
    """Set the root handler and levels once, at start."""
    level = logging.getLevelName(settings.log_level)
    floor = level if settings.log_sdk_debug else max(level, logging.INFO)
    logging.basicConfig(level=floor, format=LOG_FORMAT)
    logging.getLogger().setLevel(floor)  # basicConfig leaves an already configured root be
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level)
