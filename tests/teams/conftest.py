"""The Teams harness fixture, shared by the Teams test modules."""

from tests.teams.test_teams_bot import teams

__all__ = ["teams"]
