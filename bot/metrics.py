"""Prometheus metrics, on a registry owned by one runtime (so tests can build many)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.http_requests = Counter(
            "sightline_http_requests",
            "HTTP requests served, by route and status.",
            ["route", "status"],
            registry=registry,
        )
        self.http_latency = Histogram(
            "sightline_http_request_seconds",
            "Time to answer an HTTP request, by route.",
            ["route"],
            registry=registry,
        )
        self.stories_captured = Counter(
            "sightline_stories_captured",
            "Stories stored, by source kind.",
            ["source"],
            registry=registry,
        )
        self.stories_duplicate = Counter(
            "sightline_stories_duplicate",
            "Captures that matched an already stored source and stored nothing new.",
            ["source"],
            registry=registry,
        )
        self.captures_rejected = Counter(
            "sightline_captures_rejected",
            "Captures refused by validation, by reason.",
            ["reason"],
            registry=registry,
        )
