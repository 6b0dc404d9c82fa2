"""Optimistic concurrency over HTTP: a record's version is its ETag, and a write may send it
back in If-Match. A write against an older version answers 409, as does one that lost a race
to another writer between its read and its write (SQLAlchemy's version check)."""

from typing import Annotated, Any

from fastapi import Header, Response

from steward.core.errors import Conflict

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=40,
        description="The ETag read with the record: the write is refused (409) if the record "
        "changed since.",
    ),
]

STALE = "this record was changed by someone else since you read it; reload it and try again"


def etag(record: Any) -> str | None:
    version = getattr(record, "version", None)
    return f'"{version}"' if version is not None else None


def check_if_match(record: Any, if_match: str | None) -> None:
    if if_match is None or if_match.strip() == "*":
        return
    tag = etag(record)
    sent = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    if tag is not None and tag not in sent:
        raise Conflict(STALE)


def send_etag(response: Response, record: Any) -> None:
    tag = etag(record)
    if tag is not None:
        response.headers["ETag"] = tag
