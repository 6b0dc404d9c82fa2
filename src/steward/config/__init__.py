"""Settings, read once from the environment (prefix STEWARD_)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STEWARD_", extra="ignore")

    data_dir: Path = Path("steward-data")
    # Empty means: SQLite file inside data_dir.
    database_url: str = ""
    currency: str = "USD"
    # Gross margin used by the simple CLTV (ARPA × margin / monthly revenue churn rate).
    gross_margin: float = Field(default=0.8, gt=0, le=1)
    # Product events whose adoption the health score measures (JSON list in the environment).
    key_features: list[str] = ["Report Exported", "Dashboard Shared", "Automation Created"]
    # A renewal opportunity is opened this many days before a contract ends.
    renewal_opportunity_days: int = Field(default=120, ge=1, le=730)
    # Used to sign nothing secret-bearing today; sessions and tokens are random and stored hashed.
    secret_key: str = Field(default_factory=lambda: secrets.token_urlsafe(32))
    max_body_bytes: int = 1_048_576
    # CSV uploads (imports) may be larger than JSON bodies.
    max_upload_bytes: int = 50 * 1_048_576
    max_page_size: int = 1000
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    login_max_failures_per_hour: int = 100
    login_max_failures_per_ip_per_hour: int = 200
    # Events already in the customer's warehouse: an Ibis URL (postgres://…, snowflake://…,
    # bigquery://…, duckdb:///file) and the table or view (schema.table) with Segment's
    # columns. Set, scoring reads them there instead of Steward's own store.
    usage_warehouse_url: str = ""
    usage_events_table: str = ""
    # Background jobs (scoring now; playbooks, digests and webhooks later). Empty: an embedded
    # queue (SQLite file in data_dir) run by the server itself; redis://…: Redis, run by
    # `steward worker` processes.
    broker_url: str = ""
    # Run the job consumer inside `steward serve` (default: yes with the embedded queue).
    embedded_worker: bool | None = None
    # Health scores are recomputed when the day's are older than this.
    score_interval_minutes: int = Field(default=360, ge=5, le=1440)
    # Where `npm install` put front-end packages; default: the checkout's node_modules.
    assets_dir: Path | None = None

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'steward.db').resolve()}"

    @property
    def analytics_path(self) -> Path:
        """The DuckDB file the scoring job keeps its event copy and rollups in."""
        return self.data_dir / "analytics.duckdb"

    @property
    def runs_embedded_worker(self) -> bool:
        return self.embedded_worker if self.embedded_worker is not None else not self.broker_url

    @property
    def effective_assets_dir(self) -> Path:
        if self.assets_dir is not None:
            return self.assets_dir
        # src/steward/config/__init__.py -> repository root
        return Path(__file__).resolve().parents[3] / "node_modules"


@lru_cache
def get_settings() -> Settings:
    return Settings()
