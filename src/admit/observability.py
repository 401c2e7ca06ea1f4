"""What an operator watches: liveness (``/healthz``), readiness (``/readyz``: the database answers
and its schema is the code's), and Prometheus metrics (``/metrics``): requests and their latency
by route, the outbox's depth and age, messages by status, imports in progress.

Request counters are per process; with several web processes set ``PROMETHEUS_MULTIPROC_DIR``
(prometheus_client's multiprocess mode) and every process's counts are summed. The outbox and
import figures are read from the database at each scrape, so any process answers them whole.
``/metrics`` answers a loopback client, or a scraper with ``ADMIT_METRICS_TOKEN`` as its bearer
token; anyone else gets 404."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import text

from admit.db import Database
from admit.errors import NotFound
from admit.imports import service as imports_service
from admit.kit import clock
from admit.kit.routing import Router, template_of
from admit.kit.tokens import same
from admit.migrate import behind
from admit.notifications import jobs as notifications_jobs
from admit.notifications import service as notifications_service

__all__ = ["count", "router"]

router = Router(include_in_schema=False)

REQUESTS = Counter("admit_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "admit_http_request_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def count(scope: dict[str, Any], method: str, status: int, seconds: float) -> None:
    """Count one answered request by its route's template (``/invite/{token}``, never the token
    itself) and its time (called by ``app.Edge`` for every request)."""
    template = template_of(scope) or "unmatched"
    LATENCY.labels(method, template).observe(seconds)
    REQUESTS.labels(method, template, str(status)).inc()


class _FromDatabase(Collector):
    """The outbox and the imports, read at each scrape."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.db.unit_of_work() as session:
            outbox = notifications_service.outbox_stats(session)
            imports = imports_service.progress_stats(session)
        messages = GaugeMetricFamily(
            "admit_messages", "Messages (email and SMS) by status", labels=["status"]
        )
        for status, count in sorted(outbox.by_status.items()):
            messages.add_metric([status], count)
        yield messages
        waiting = outbox.by_status.get("queued", 0) + outbox.by_status.get("sending", 0)
        yield GaugeMetricFamily("admit_outbox_depth", "Messages waiting to be sent", value=waiting)
        age = (clock.now() - outbox.oldest_waiting).total_seconds() if outbox.oldest_waiting else 0.0
        yield GaugeMetricFamily(
            "admit_outbox_oldest_age_seconds", "How long the oldest waiting message has waited", value=age
        )
        progress = GaugeMetricFamily(
            "admit_import_rows", "Rows of unfinished imports", labels=["status", "part"]
        )
        unfinished = GaugeMetricFamily("admit_imports", "Unfinished imports", labels=["status"])
        for status, p in sorted(imports.items()):
            unfinished.add_metric([status], p["imports"])
            progress.add_metric([status, "total"], p["rows"])
            progress.add_metric([status, "processed"], p["processed"])
        yield unfinished
        yield progress


def _registry(db: Database) -> CollectorRegistry:
    """This scrape's metrics: the requests (this process's, or every process's in multiprocess
    mode) and the database's figures."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    registry.register(_FromDatabase(db))
    return registry


class _ThisProcess(Collector):
    """The request and delivery counters of this process (they live in the default registry)."""

    def collect(self) -> Iterator[Any]:
        yield from REQUESTS.collect()
        yield from LATENCY.collect()
        yield from notifications_jobs.ATTEMPTS.collect()


def _may_scrape(request: Request) -> bool:
    settings = request.app.state.db.context.settings
    token = settings.metrics_token
    header = request.headers.get("authorization", "")
    if token and header.lower().startswith("bearer ") and same(header[7:].strip(), token):
        return True
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process answers (a liveness probe: nothing else is checked)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> Response:
    """Ready for traffic: the database answers and its schema is the one this code expects
    (run ``admit migrate`` before a deploy); 503 otherwise, saying which. With
    ``ADMIT_REDIS_URL``, whether Redis answers a PING: when it does not, "degraded", still 200
    (only rate-limited actions answer 503 ``busy``; a 503 on every replica at once would take the
    whole site out), naming the error's type only (this answers anyone)."""
    db: Database = request.app.state.db
    checks: dict[str, Any] = {}
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            lag = behind(conn)
        checks["database"] = "ok"
        if lag is None:
            checks["schema"] = "ok"
        elif lag[0] is None:
            checks["schema"] = "no schema: run admit migrate"
        else:
            checks["schema"] = f"at {lag[0]}, the code expects {lag[1]}: run admit migrate"
    except Exception as exc:  # noqa: BLE001 - a readiness probe reports, it does not raise
        checks["database"] = f"unreachable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values()) and "schema" in checks
    status = "ready" if ready else "not ready"
    if db.context is not None and db.context.limiter.shared:
        unanswered = db.context.limiter.unreachable()
        checks["redis"] = "ok" if unanswered is None else f"unreachable: {type(unanswered).__name__}"
        if unanswered is not None and ready:
            status = "degraded"
    return JSONResponse({"status": status, **checks}, status_code=200 if ready else 503)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    if not _may_scrape(request):
        raise NotFound("There is nothing here.")
    return PlainTextResponse(generate_latest(_registry(request.app.state.db)), media_type=CONTENT_TYPE_LATEST)
