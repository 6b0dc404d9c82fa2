"""The `steward` command line."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from steward.cli.backup import backup, restore
from steward.cli.churn import churn_app
from steward.cli.common import (
    DataDir,
    _database,
    _principal_for,
    _settings,
    default_public_url,
    fail,
)
from steward.cli.forecast import forecast_app
from steward.cli.retention import retention
from steward.cli.rules import rules_app
from steward.config import Settings

DEMO_SMTP_PORT = 2525

app = typer.Typer(
    help="Steward: account management and customer success.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")
source_app = typer.Typer(help="Product-usage sources and their write keys.", no_args_is_help=True)
metrics_app = typer.Typer(help="Revenue and retention metrics (SPEC §3).", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(metrics_app, name="metrics")
app.add_typer(source_app, name="source")
app.add_typer(rules_app, name="rules")
app.add_typer(churn_app, name="churn")
app.add_typer(forecast_app, name="forecast")
app.command()(backup)
app.command()(restore)
app.command("retention")(retention)


def _migrate(settings: Settings) -> None:
    from steward.db.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(_database(settings))


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    from steward.db import Database
    from steward.db.migrate import is_current

    # A bare engine: comparing revisions needs no model, and assembling every domain here
    # (2.5 s) ran before the server processes, which assemble their own, could start.
    schema = Database(settings.effective_database_url)
    try:
        if not is_current(schema):
            fail("the database schema is not up to date; run `steward migrate` first")
    finally:
        schema.dispose()
    os.environ["STEWARD_DATA_DIR"] = str(settings.data_dir)
    # glibc gives each thread that allocates its own arena (up to 8 per core) and returns
    # little of their freed memory; with a thread pool per process the resident size climbs.
    # Two arenas per process held the 50-user load run flat (docs/reliability.md). Read when
    # a process starts: it applies to the worker processes started below (--workers ≥ 2).
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    # Scheduled work runs in exactly one worker process beside the server processes, never in
    # them (two web workers once opened every renewal opportunity twice). With a broker, the
    # operator runs `steward worker` where they like.
    helper_commands: list[tuple[list[str], bool]] = []  # (argv, at a lower CPU priority?)
    if settings.runs_embedded_worker:
        # At a lower CPU priority: the worker catches up in the background.
        helper_commands.append(
            ([sys.executable, "-m", "steward", "worker", "--exit-with", str(os.getpid())], True)
        )
    # The logging address (issue 22) is a process of its own too: one listener however many
    # server processes there are, and a stalled SMTP client never holds up a page.
    if settings.inbound_smtp_port:
        helper_commands.append(
            (
                [sys.executable, "-m", "steward", "mail-listener", "--exit-with", str(os.getpid())],
                False,
            )
        )
    # Started once the server answers: on 2 cores their own start (imports, the worker's
    # first jobs) held /healthz back by seconds after a crash (issue 26).
    helpers = _start_when_serving(helper_commands, host, port)
    # X-Forwarded-For names the client only when it comes from a proxy the operator trusts
    # (uvicorn's default trusted any local process, which could then pose as any address).
    trusted = settings.trusted_proxies.strip()
    try:
        uvicorn.run(
            "steward.server:create_server_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            access_log=False,
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted or None,
        )
    finally:
        for helper in helpers:
            helper.terminate()
        for helper in helpers:
            try:
                helper.wait(timeout=30)
            except subprocess.TimeoutExpired:
                helper.kill()


LOWER_PRIORITY = 10  # the job worker's nice value beside the server processes


def _answers_healthz(host: str, port: int) -> bool:
    import http.client

    local = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    connection = http.client.HTTPConnection(local, port, timeout=2)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _start_when_serving(
    commands: list[tuple[list[str], bool]], host: str, port: int, wait_s: float = 60
) -> list[subprocess.Popen[bytes]]:
    """Starts `commands` (argv, niced?) once the server answers /healthz, or after `wait_s`
    anyway; returns the list they are added to. Each helper also ends with this process
    (--exit-with), so one started while the server stops does not outlive it."""
    started: list[subprocess.Popen[bytes]] = []
    if not commands:
        return started

    def start() -> None:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and not _answers_healthz(host, port):
            time.sleep(0.1)
        for argv, niced in commands:
            helper = subprocess.Popen(argv)
            if niced:  # (not preexec_fn: that runs Python between fork and exec, unsafe here)
                with contextlib.suppress(OSError):
                    os.setpriority(os.PRIO_PROCESS, helper.pid, LOWER_PRIORITY)
            started.append(helper)

    threading.Thread(target=start, daemon=True, name="start-helpers").start()
    return started


def _exit_with(parent_pid: int) -> None:
    """Ends this process when `parent_pid` is gone (a killed `steward serve` must not leave
    its job worker behind)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


@app.command()
def worker(
    data_dir: DataDir = None,
    threads: Annotated[int, typer.Option(help="Job threads.", min=1, max=32)] = 2,
    exit_with: Annotated[
        int | None,
        typer.Option(hidden=True, help="Stop when the process with this id ends (steward serve)."),
    ] = None,
) -> None:
    """Run background jobs (health scoring on schedule) from the queue: Redis when
    STEWARD_BROKER_URL is set, else the embedded queue in the data directory."""
    if exit_with is not None:
        # Watch the parent before the slow imports: a server killed while this process is
        # still loading the scientific stack must not leave it behind.
        _exit_with(exit_with)
    from huey.consumer import Consumer

    from steward.app import assemble
    from steward.worker import Jobs, build_queue

    settings = _settings(data_dir)
    db = _database(settings)
    try:
        queue = build_queue(settings)
    except ValueError as exc:
        fail(str(exc))
    jobs = Jobs(queue, settings, db, assemble().jobs)
    typer.echo(f"worker: {type(queue).__name__} queue {queue.name!r}, {threads} threads")
    jobs.catch_up()
    Consumer(jobs.queue, workers=threads, periodic=True).run()


@app.command("mail-listener")
def mail_listener(
    data_dir: DataDir = None,
    port: Annotated[
        int | None,
        typer.Option(help="TCP port (default: STEWARD_INBOUND_SMTP_PORT).", min=1, max=65535),
    ] = None,
    exit_with: Annotated[
        int | None,
        typer.Option(hidden=True, help="Stop when the process with this id ends (steward serve)."),
    ] = None,
) -> None:
    """Run the logging address: an SMTP listener that captures mail users BCC or forward."""
    import signal

    if exit_with is not None:
        _exit_with(exit_with)  # before the imports, as the worker does

    from steward.capture.inbound import listener

    settings = _settings(data_dir)
    chosen = port or settings.inbound_smtp_port
    if not chosen:
        fail("no port: pass --port or set STEWARD_INBOUND_SMTP_PORT")
    db = _database(settings)
    controller = listener(db, settings, chosen)
    try:
        controller.start()
    except (OSError, RuntimeError) as exc:
        fail(f"could not listen on {settings.inbound_smtp_host}:{chosen}: {exc}")
    typer.echo(f"mail listener: SMTP on {settings.inbound_smtp_host}:{chosen}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    db.dispose()


@app.command()
def migrate(data_dir: DataDir = None) -> None:
    """Create or upgrade the database schema (SQLite file or STEWARD_DATABASE_URL)."""
    settings = _settings(data_dir)
    _migrate(settings)
    typer.echo("database is up to date")


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
) -> None:
    """Serve the web app and the API."""
    default_public_url(host, port)
    _serve(_settings(data_dir), host, port, workers)


def _train_churn(db, settings: Settings) -> str:  # type: ignore[no-untyped-def]
    """Trains and scores the churn model, keeps today's forecasts and replays the last four
    quarters, so the Risk and Forecast pages (forecast vs actual too) have a past."""
    from steward.churn import service, training
    from steward.churn.training import NotEnoughHistory
    from steward.forecasts import service as forecasts
    from steward.forecasts.backtest import backtest, quarter_training

    today = date.today()
    frame = service.history_frame(db, settings, today)
    # Today's model and the replayed quarters' are independent fits: side by side on a large
    # history, today's (the longest) first.
    calls = [service.training_call(db, frame), *quarter_training(frame, today)]
    workers = len(calls) if len(frame) >= training.PARALLEL_FROM_ROWS else 1
    try:
        trained, *quarters = training.side_by_side(calls, workers)
        model = service.train(db, settings, today, frame=frame, trained=trained)
    except NotEnoughHistory as exc:
        return f"no churn model: {exc}"
    run = service.score(db, settings, today)
    figures = service.model_out(model)
    with db.session() as session:
        kept = forecasts.store(session, settings.currency, today)
    replay = backtest(db, frame, settings.currency, today, store=True, trained=quarters)
    error = "n/a" if replay.renewals_mape is None else f"{replay.renewals_mape:.1%}"
    return (
        f"churn model {model.id}: out-of-time AUC {figures.auc:.3f}, Brier {figures.brier:.3f} "
        f"(base rate {figures.base_rate:.1%}); {run.scored if run else 0} customers scored; "
        f"{kept} forecasts kept; backtest of {len(replay.quarters)} quarters: renewals off by "
        f"{error} on average, {replay.renewals_within_band} inside P10–P90"
    )


T = TypeVar("T")


class DemoSteps:
    """The demo's build steps on the terminal: a bar over the steps, and each step's time when
    it ends (where the minutes go)."""

    STEPS = 7

    def __enter__(self) -> DemoSteps:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description:<42}"), BarColumn(), TimeElapsedColumn(), transient=True
        )
        self.progress.__enter__()
        self.task = self.progress.add_task("Starting", total=self.STEPS)
        self.started = time.monotonic()
        return self

    def run(self, label: str, step: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        self.progress.update(self.task, description=label)
        begun = time.monotonic()
        result = step(*args, **kwargs)
        self.progress.console.print(f"  {label:<42} {time.monotonic() - begun:6.1f} s")
        self.progress.advance(self.task)
        return result

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)
        typer.echo(f"  {'Built in':<42} {time.monotonic() - self.started:6.1f} s")


@app.command()
def demo(
    data_dir: DataDir = None,
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same workspace.")] = 7,
    accounts: Annotated[
        int, typer.Option(help="How many accounts (400 to 100000).", min=1, max=200_000)
    ] = 400,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build the workspace only.")] = False,
) -> None:
    """Build a realistic demo workspace (once) and serve it on http://HOST:PORT."""
    from steward.capture.service import logging_address
    from steward.demo.dashboards import generate_dashboards
    from steward.demo.generator import (
        DEMO_PASSWORD,
        DEMO_SOURCE,
        DEMO_USERS,
        DEMO_WRITE_KEY,
        generate,
        is_seeded,
    )
    from steward.demo.plans import generate_plans
    from steward.demo.usage import generate_usage
    from steward.demo.workflows import generate_workflows, install_starter_rules
    from steward.health.service import backfill_scores

    default_public_url(host, port)
    # The demo turns the logging address on, so BCC-to-Steward works out of the box.
    os.environ.setdefault("STEWARD_INBOUND_SMTP_PORT", str(DEMO_SMTP_PORT))
    settings = _settings(data_dir)
    _migrate(settings)
    db = _database(settings)
    if is_seeded(db):
        typer.echo(f"Reusing the demo workspace in {settings.data_dir.resolve()}")
    else:
        typer.echo(f"Building a demo workspace with {accounts} accounts (seed {seed})…")
        today = date.today()
        with DemoSteps() as steps:
            summary = steps.run(
                "Accounts and their records",
                generate,
                db,
                seed=seed,
                accounts=accounts,
                today=today,
            )
            events = steps.run("Product usage", generate_usage, db, DEMO_SOURCE, seed, today)
            cs = steps.run("Escalations, surveys and tasks", generate_workflows, db, seed)
            plans = steps.run("Onboarding and success plans", generate_plans, db, seed, today)
            # Twelve weeks of scores, so trends and "what changed" mean something on day one.
            run = steps.run(
                "Twelve weeks of health scores",
                backfill_scores,
                db,
                settings.analytics_path,
                today,
                12,
                tuple(settings.key_features),
            )[-1]
            fired = steps.run("Starter rules", install_starter_rules, db, settings)
            steps.run("Leadership dashboard", generate_dashboards, db)
            churn_model = steps.run("Churn model", _train_churn, db, settings)
            # A fresh database has no planner statistics; the worker refreshes them nightly.
            steps.run("Planner statistics", db.refresh_statistics)
        typer.echo(
            f"  {summary.accounts} accounts, {summary.contracts} contracts, "
            f"{summary.line_items} line items, {summary.contacts} contacts, "
            f"{summary.opportunities} opportunities, {summary.activities} activities, "
            f"{summary.tasks} tasks, {events} usage events, {run.scored} health scores, "
            f"{cs.escalations} escalations, {cs.survey_answers} NPS answers, "
            f"{plans.onboarding_projects} onboarding projects, {plans.success_plans} success "
            f"plans, {plans.account_plans} account plans, {fired} rule firings"
        )
        typer.echo(f"  {churn_model}")
    db.dispose()
    typer.echo(f"\nLogins (password: {DEMO_PASSWORD}):")
    for email, name, role, _team in DEMO_USERS:
        typer.echo(f"  {email:<26} {name} — {role.value}")
    typer.echo(f"\nProduct usage: POST /v1/batch (Segment's API) with write key {DEMO_WRITE_KEY!r}")
    if settings.inbound_smtp_port:
        typer.echo(
            f"Logging address: BCC {logging_address(settings)} "
            f"(SMTP on {settings.inbound_smtp_host}:{settings.inbound_smtp_port})"
        )
    if no_serve:
        return
    typer.echo(f"\nSteward is running on http://{host}:{port}  (Ctrl+C to stop)")
    _serve(settings, host, port, workers)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Login e-mail.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[
        str,
        typer.Option(
            help="ae, am, strategic_am, strategist, csm, team_lead, director, vp or admin."
        ),
    ],
    team_id: Annotated[int | None, typer.Option(help="Team id.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a user. The password is read from STEWARD_PASSWORD or asked for."""
    from pydantic import ValidationError

    from steward.core.errors import StewardError
    from steward.users.schemas import UserCreate
    from steward.users.service import create_user

    password = os.environ.get("STEWARD_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    settings = _settings(data_dir)
    db = _database(settings)
    try:
        data = UserCreate(
            email=email, full_name=name, role=role, team_id=team_id, password=password
        )
        with db.session() as session:
            user = create_user(session, None, data)
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    except StewardError as exc:
        fail(exc.detail)
    typer.echo(f"created user {user.id} {user.email} ({user.role})")


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Option(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create an API token for a user and print it (shown once)."""
    from sqlalchemy import func, select

    from steward.auth.service import create_token
    from steward.users.models import User

    settings = _settings(data_dir)
    db = _database(settings)
    with db.session() as session:
        user = session.scalar(select(User).where(func.lower(User.email) == email.lower()))
        if user is None:
            fail(f"no user with e-mail {email}")
        token, secret = create_token(session, user, name, actor_id=None, expires_at=None)
    if as_json:
        typer.echo(json.dumps({"id": token.id, "user": user.email, "token": secret}))
    else:
        typer.echo(secret)


@source_app.command("create")
def source_create(
    name: Annotated[str, typer.Argument(help="What sends the events, e.g. 'Web app'.")],
    write_key: Annotated[
        str | None, typer.Option(help="Use this key (e.g. one clients already have).")
    ] = None,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a source and print its write key (shown once): clients send it as the HTTP Basic
    user name to /v1/batch, /v1/track, … (Segment's tracking API)."""
    from steward.core.errors import StewardError
    from steward.usage.service import create_source

    settings = _settings(data_dir)
    db = _database(settings)
    try:
        with db.session() as session:
            source, key = create_source(session, name, actor_id=None, write_key=write_key)
    except StewardError as exc:
        fail(exc.detail)
    if as_json:
        typer.echo(json.dumps({"id": source.id, "name": source.name, "write_key": key}))
    else:
        typer.echo(key)


@app.command()
def score(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Score as of this day, YYYY-MM-DD (default: today)."),
    ] = None,
    backfill_weeks: Annotated[
        int,
        typer.Option(
            "--backfill-weeks", min=0, max=104, help="Also score each of the N weeks before."
        ),
    ] = 0,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Sync new usage events into the analytics store, roll them up and score every account
    with its segment's published scorecard (churned accounts keep their last score)."""
    from steward.analytics.store import event_source
    from steward.health.service import backfill_scores, compute_scores

    settings = _settings(data_dir)
    try:
        day = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        fail(f"--as-of: {as_of!r} is not a date; use YYYY-MM-DD")
    db = _database(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key_events = tuple(settings.key_features)
    try:
        with event_source(settings) as source:
            if backfill_weeks:
                run = backfill_scores(db, source, day, backfill_weeks, key_events)[-1]
            else:
                run = compute_scores(db, source, day, key_events)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(run.__dict__, default=str))
    else:
        typer.echo(
            f"scored {run.scored} accounts as of {run.as_of} ({run.frozen} churned kept frozen; "
            f"{run.events_synced} new events synced)"
        )


@metrics_app.command("revenue")
def metrics_revenue(
    from_month: Annotated[
        str | None, typer.Option("--from", help="First month, YYYY-MM (default: 11 months ago).")
    ] = None,
    to_month: Annotated[
        str | None, typer.Option("--to", help="Last month, YYYY-MM (default: this month).")
    ] = None,
    by: Annotated[
        str, typer.Option(help="all, team, owner, segment, tier, industry or cohort.")
    ] = "all",
    user: Annotated[
        str | None, typer.Option(help="Report on this user's book (default: everything).")
    ] = None,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """ARR waterfall, NRR/GRR, logo retention and renewal rates for a range of months."""
    from steward.core.errors import StewardError
    from steward.revenue.service import revenue_report

    settings = _settings(data_dir)
    db = _database(settings)
    try:
        with db.session() as session:
            report = revenue_report(
                session,
                _principal_for(session, user),
                settings.currency,
                from_month=from_month,
                to_month=to_month,
                by=by,
                today=date.today(),
            )
    except StewardError as exc:
        fail(exc.detail)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    typer.echo(
        f"Revenue {report.from_month} to {report.to_month}, ARR in {report.currency}, by {by}"
    )
    for group in report.groups:
        w = group.waterfall
        typer.echo(f"\n{group.group}")
        typer.echo(
            f"  {'month':<8}{'start':>12}{'new':>11}{'reactiv.':>11}{'expansion':>11}"
            f"{'contract.':>11}{'churn':>11}{'end':>12}"
        )
        for m in [*group.months, w]:
            typer.echo(
                f"  {m.month or 'period':<8}{_amount(m.start_arr):>12}{_amount(m.new):>11}"
                f"{_amount(m.reactivation):>11}{_amount(m.expansion):>11}"
                f"{_amount(-m.contraction):>11}{_amount(-m.churn):>11}{_amount(m.end_arr):>12}"
            )
        r, n = group.retention, group.renewals
        if r is not None:
            typer.echo(
                f"  NRR {_pct(r.nrr)}  GRR {_pct(r.grr)}  logo retention {_pct(r.logo_retention)}"
                f"  revenue churn {_pct(r.revenue_churn_rate)}  ({r.base_logos} customers at "
                f"{r.window_start})"
            )
        typer.echo(
            f"  renewals: {n.renewed}/{n.due} ({_pct(n.renewal_rate)}), by ARR "
            f"{_pct(n.dollar_renewal_rate)}, {n.pending} still pending"
        )


def _amount(value: Decimal) -> str:
    """Compact money for terminal tables: 950.00, 12.4k, 3.35M, 1.20B."""
    for threshold, unit, suffix in (("1e9", "1e9", "B"), ("1e6", "1e6", "M"), ("1e4", "1e3", "k")):
        if abs(value) >= Decimal(threshold):
            return f"{value / Decimal(unit):,.2f}{suffix}"
    return f"{value:,.2f}"


@app.command("import")
def import_file(
    kind: Annotated[
        str,
        typer.Argument(
            help="What the file holds: accounts, contacts, contracts, opportunities or fx-rates."
        ),
    ],
    file: Annotated[Path, typer.Argument(help="CSV with Steward, Salesforce or HubSpot headers.")],
    user: Annotated[
        str,
        typer.Option(help="Import as this user (e-mail): their rights apply; audited as theirs."),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report; write nothing.")
    ] = False,
    errors_csv: Annotated[
        Path | None, typer.Option("--errors-csv", help="Also write the bad rows' report here.")
    ] = None,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import a CSV file: upsert by external id (importing it again changes nothing); each
    bad row is reported with its line, column and reason, and every good row is imported."""
    from steward.core.errors import StewardError
    from steward.imports.service import import_csv

    if not file.is_file():
        fail(f"no such file: {file}")
    settings = _settings(data_dir)
    db = _database(settings)
    try:
        with db.session() as session:
            principal = _principal_for(session, user)
        with file.open(newline="", encoding="utf-8-sig") as source:
            report = import_csv(db, principal, kind, source, dry_run=dry_run)
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text; export it from your CRM as UTF-8 CSV")
    except StewardError as exc:
        fail(exc.detail)
    if errors_csv is not None:
        errors_csv.write_text(report.errors_csv(), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        verb = "would import" if dry_run else "imported"
        typer.echo(
            f"{verb} {report.rows} {kind} rows: {report.created} created, {report.updated} "
            f"updated, {report.unchanged} unchanged, {report.failed} failed"
        )
        if report.ignored_columns:
            typer.echo(f"ignored columns: {', '.join(report.ignored_columns)}")
        for error in report.errors[:50]:
            typer.echo(f"  line {error.line}, {error.column}: {error.message}")
        if len(report.errors) > 50:
            typer.echo(f"  … {len(report.errors) - 50} more (use --errors-csv or --json)")
    if report.failed:
        raise typer.Exit(2)


@app.command("export")
def export_file(
    kind: Annotated[
        str,
        typer.Argument(
            help="What to export: accounts, contacts, contracts, opportunities or fx-rates."
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    format: Annotated[
        str, typer.Option(help="Headers to write: steward, salesforce or hubspot.")
    ] = "steward",
    user: Annotated[str | None, typer.Option(help="Export this user's book.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Write records as CSV, in the same formats `steward import` reads."""
    import sys

    from steward.core.errors import StewardError
    from steward.imports.service import export_csv

    settings = _settings(data_dir)
    db = _database(settings)
    try:
        with db.session() as session:
            principal = _principal_for(session, user)
        if output is None:
            export_csv(db, principal, kind, sys.stdout, format=format)
        else:
            with output.open("w", newline="", encoding="utf-8") as out:
                count = export_csv(db, principal, kind, out, format=format)
            typer.echo(f"wrote {count} {kind} to {output}", err=True)
    except StewardError as exc:
        fail(exc.detail)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


if __name__ == "__main__":  # pragma: no cover
    app()
