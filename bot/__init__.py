"""Composition and runtime: settings, database, servers, scheduler, CLI."""
