"""Helpers every `steward` command uses: settings, the database, errors as sentences."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from steward.config import Settings, get_settings

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where Steward keeps its files (default ./steward-data)."),
]


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def default_public_url(host: str, port: int) -> None:
    """Links Steward writes (survey invitations, digests, playbook e-mails) point at the
    address it is served on, unless STEWARD_PUBLIC_URL says otherwise (`--port 8080` once kept
    writing links to :8000)."""
    if os.environ.get("STEWARD_PUBLIC_URL"):
        return
    reachable = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    if ":" in reachable:
        reachable = f"[{reachable}]"
    os.environ["STEWARD_PUBLIC_URL"] = f"http://{reachable}:{port}"
    get_settings.cache_clear()


def _settings(data_dir: Path | None = None) -> Settings:
    if data_dir is not None:
        os.environ["STEWARD_DATA_DIR"] = str(data_dir)
        get_settings.cache_clear()
    try:
        return get_settings()
    except ValidationError as error:
        # Settings come from STEWARD_* variables: name each bad one as the user set it.
        problems = "; ".join(
            f"STEWARD_{'_'.join(str(part) for part in e['loc']).upper()}: {e['msg']}"
            for e in error.errors()
        )
        fail(f"bad configuration: {problems}")


def _database(settings: Settings):  # type: ignore[no-untyped-def]
    from steward.app import assemble

    assemble()  # every table, so relationships and FKs resolve; the domains' event handlers
    from steward.db import Database

    return Database(settings.effective_database_url, lock_timeout=settings.lock_timeout_seconds)


def _principal_for(session, email: str | None):  # type: ignore[no-untyped-def]
    """The principal a read-only command acts as: a user's book, or the whole workspace."""
    from sqlalchemy import func, select

    from steward.core.principal import Principal, read_as
    from steward.users.models import Role, User

    if email is None:
        return Principal(0, Role.ADMIN, None, "cli", "command line")
    user = session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        fail(f"no user with e-mail {email}")
    principal = Principal.of(user)
    read_as(session, principal)  # the session reads that user's book (steward.accounts.policy)
    return principal
