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
        self._prompt_metrics(registry)

    def _prompt_metrics(self, registry: CollectorRegistry) -> None:
        """Line-of-sight prompts and story harvests (README "Metrics")."""
        self.deliveries = Counter(
            "sightline_prompt_deliveries",
            "Prompt deliveries settled, by kind (prompt, manual, harvest) and status.",
            ["kind", "status"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "sightline_platform_rate_limited",
            "429 answers from a chat platform (each is waited out and retried), by platform.",
            ["platform"],
            registry=registry,
        )
        self.post_retries = Counter(
            "sightline_prompt_post_retries",
            "Prompt posts retried after a 5xx or connection error (after checking the channel).",
            ["platform"],
            registry=registry,
        )
        self.takeovers = Counter(
            "sightline_prompt_takeovers",
            "Claims taken over from a replica whose lease expired (or that restarted).",
            registry=registry,
        )
        self.lateness = Histogram(
            "sightline_prompt_lateness_seconds",
            "From a scheduled prompt's due time to the platform accepting its post.",
            ["kind"],
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600),
            registry=registry,
        )

    def capture_observed(self, source: str, outcome: str) -> None:
        """A chat capture's outcome: "stored", "duplicate", or the field a rejection named."""
        if outcome == "stored":
            self.stories_captured.labels(source=source).inc()
        elif outcome == "duplicate":
            self.stories_duplicate.labels(source=source).inc()
        else:
            self.captures_rejected.labels(reason=outcome).inc()
