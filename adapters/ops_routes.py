"""Operational endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import text

from adapters.metrics import Metrics
from storage import migrate
from storage.database import Database


def add_ops_routes(app: web.Application, database: Database, metrics: Metrics) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(_request: web.Request) -> web.Response:
        try:
            # Only the database, never a worker thread: the pools are the outbox lanes', and a
            # hung Jira must not make a healthy replica look dead to Kubernetes.
            async with database.read_session() as session:
                await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
                current = await migrate.is_current_in(session)
        except Exception as error:
            return web.json_response(
                {"status": "unavailable", "reason": f"database: {error.__class__.__name__}"}, status=503
            )
        if not current:
            return web.json_response({"status": "unavailable", "reason": "migrations pending"}, status=503)
        return web.json_response({"status": "ready"})

    async def metrics_page(_request: web.Request) -> web.Response:
        body = await metrics.render()
        return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
