"""The server app of benchmarks/ingestion.py: Steward's app plus a no-op route that reads the
same request body and answers like /v1/batch, as the baseline (never part of the product)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from steward.server import create_server_app


def create_benchmark_app() -> FastAPI:
    app = create_server_app()

    @app.post("/bench/noop")
    async def noop(request: Request) -> dict[str, Any]:
        await request.body()
        return {"success": True}

    return app
