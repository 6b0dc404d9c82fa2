"""Settings, read once from the environment (prefix STEWARD_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.orm import Session


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
    # Encrypts stored credentials (mailbox passwords, OAuth tokens, calendar passwords):
    # any passphrase, several comma-separated to rotate (the first encrypts, all decrypt).
    # Empty: a key file, `secret_key_file` or data_dir/secret.key, made on first use.
    secret_key: str = ""
    secret_key_file: Path | None = None
    max_body_bytes: int = 1_048_576
    # CSV uploads (imports) may be larger than JSON bodies.
    max_upload_bytes: int = 50 * 1_048_576
    max_page_size: int = 1000
    # A request's database statement is cancelled after this long (PostgreSQL's
    # statement_timeout; on SQLite a progress handler interrupts it) and answered 503.
    statement_timeout_seconds: float = Field(default=30, gt=0, le=3600)
    # How long a write waits for a lock held by another writer before answering 503.
    lock_timeout_seconds: float = Field(default=10, gt=0, le=600)
    # Requests a server process works on at once (its thread pool); the rest wait their turn.
    # Python runs one thread at a time per process: more threads than a few only share the
    # CPU more finely, so every request in flight slows down together, and a long one
    # outlives the statement limit above.
    request_threads: int = Field(default=8, ge=1, le=256)
    # Retry-After of a 503 (database locked, down or too slow).
    retry_after_seconds: int = Field(default=5, ge=1, le=3600)
    # Requests per API token, per tracking-API write key, and per shared-plan link
    # ("N/second|minute|hour").
    api_rate_limit: str = "1200/minute"
    ingest_rate_limit: str = "500/second"
    shared_link_rate_limit: str = "60/minute"
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    login_max_failures_per_hour: int = 100
    login_max_failures_per_ip_per_hour: int = 200
    # Events already in the customer's warehouse: an Ibis URL (postgres://…, snowflake://…,
    # bigquery://…, duckdb:///file) and the table or view (schema.table) with Segment's
    # columns. Set, scoring reads them there instead of Steward's own store.
    usage_warehouse_url: str = ""
    usage_events_table: str = ""
    # Background jobs (scoring, rules, deliveries, digests). Empty: an embedded
    # queue (SQLite file in data_dir) run by the server itself; redis://…: Redis, run by
    # `steward worker` processes.
    broker_url: str = ""
    # Run the job consumer inside `steward serve` (default: yes with the embedded queue).
    embedded_worker: bool | None = None
    # Health scores are recomputed when the day's are older than this.
    score_interval_minutes: int = Field(default=360, ge=5, le=1440)
    # Escalation resolution targets in hours, by severity (fixed on each escalation when opened).
    escalation_sla_hours: dict[str, int] = {"p1": 8, "p2": 48, "p3": 120, "p4": 240}
    # Check-in cadence by tier (days without a touch before My Day lists the account).
    checkin_cadence_days: dict[str, int] = {"standard": 90, "key": 30, "strategic": 14}
    # QBR cadence by tier (days since the last QBR or EBR before one is due again).
    qbr_cadence_days: dict[str, int] = {"standard": 180, "key": 90, "strategic": 90}
    # Hour of the day (UTC) after which the worker sends each user's daily digest.
    digest_hour: int = Field(default=7, ge=0, le=23)
    # The address people reach Steward at: survey links in e-mails point here.
    public_url: str = "http://127.0.0.1:8000"
    # Addresses (or CIDR ranges, comma-separated) of reverse proxies whose X-Forwarded-For
    # and X-Forwarded-Proto Steward believes; empty: none, the connection's address counts.
    trusted_proxies: str = ""
    # Outgoing e-mail (playbook e-mails, survey invitations, digests). Empty host: e-mails wait
    # in the outbox (Admin → Outbox) until one is configured.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    # "starttls" (port 587), "ssl" (port 465) or "none" (a relay on a trusted network).
    smtp_security: str = Field(default="starttls", pattern="^(starttls|ssl|none)$")
    mail_from: str = "Steward <steward@localhost>"
    # The logging address: an SMTP listener that takes mail BCC'd or forwarded to Steward by
    # its users (`steward serve` starts it). 0: off.
    inbound_smtp_port: int = Field(default=0, ge=0, le=65535)
    inbound_smtp_host: str = "127.0.0.1"
    # The address users BCC (shown on their Mail capture page); default: steward@<public host>.
    inbound_address: str = ""
    # Our own e-mail domains, comma-separated (besides those of Steward users' addresses):
    # mail among them only is internal and never captured.
    internal_domains: str = ""
    # Mailbox and calendar hosts and feed URLs that users enter: private, loopback and
    # link-local addresses are refused (SSRF) unless allowed (an on-premises mail server).
    capture_allow_private: bool = False
    # Mailboxes and calendars are read again after this many minutes.
    capture_interval_minutes: int = Field(default=5, ge=1, le=1440)
    # Webhooks to private, loopback and link-local addresses are refused (SSRF) unless allowed.
    webhook_allow_private: bool = False
    # Slack: the signing secret of your Slack app (Basic Information → App Credentials), which
    # checks that button presses come from Slack; empty: Slack buttons are refused.
    slack_signing_secret: str = ""
    # Slack's Web API (a bot token's messages); changed only to test against a stand-in.
    slack_api_url: str = "https://slack.com/api/"
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=120)
    # Failed deliveries are retried after 30 s, 1 min, 2 min, … (doubling, at most 6 h apart)
    # until this many attempts, then kept as dead for an admin to retry.
    delivery_max_attempts: int = Field(default=8, ge=1, le=50)
    delivery_backoff_seconds: float = Field(default=30, ge=0, le=3600)
    # Where `npm install` put front-end packages; default: the checkout's node_modules.
    assets_dir: Path | None = None

    @field_validator("api_rate_limit", "ingest_rate_limit", "shared_link_rate_limit")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise ValueError("write a rate as N/second, N/minute or N/hour") from None
        return value

    @field_validator("escalation_sla_hours")
    @classmethod
    def _every_severity_has_a_target(cls, value: dict[str, int]) -> dict[str, int]:
        missing = {"p1", "p2", "p3", "p4"} - set(value)
        if missing or any(hours <= 0 for hours in value.values()):
            raise ValueError("give a positive number of hours for each of p1, p2, p3 and p4")
        return value

    @field_validator("checkin_cadence_days", "qbr_cadence_days")
    @classmethod
    def _every_tier_has_a_cadence(cls, value: dict[str, int]) -> dict[str, int]:
        missing = {"standard", "key", "strategic"} - set(value)
        if missing or any(days <= 0 for days in value.values()):
            raise ValueError("give a positive number of days for each of standard, key, strategic")
        return value

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


def settings_of(session: Session) -> Settings:
    """The settings of the app or job that opened this session (put in `session.info` by the
    request dependency and by jobs), so services deep in a call need not be handed them."""
    settings = session.info.get("settings")
    return settings if isinstance(settings, Settings) else get_settings()
