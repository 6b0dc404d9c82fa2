"""Tables as rows, exactly as the database driver returns them, and back.

A backup keeps the driver's own values (no ORM type processing), so a restore into the same
kind of database stores byte-for-byte what was there, and a table's checksum before the
backup and after the restore are equal. Values JSON cannot hold are tagged: {"$date": …}."""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import Connection, MetaData, Table
from sqlalchemy.schema import sort_tables_and_constraints

SKIPPED_TABLES = {"alembic_version"}  # the revision is in the manifest


def encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$interval": value.total_seconds()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, bytes | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, UUID):
        return {"$uuid": str(value)}
    if isinstance(value, dict | list):
        return {"$json": value}
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def decode(value: Any, json_adapter: Any = None) -> Any:
    if not isinstance(value, dict):
        return value
    ((tag, raw),) = value.items()
    match tag:
        case "$datetime":
            return datetime.fromisoformat(raw)
        case "$date":
            return date.fromisoformat(raw)
        case "$time":
            return time.fromisoformat(raw)
        case "$interval":
            return timedelta(seconds=raw)
        case "$decimal":
            return Decimal(raw)
        case "$bytes":
            return base64.b64decode(raw)
        case "$uuid":
            return UUID(raw)
        case "$float":
            return float(raw)
        case "$json":
            return json_adapter(raw) if json_adapter else raw
    raise ValueError(f"unknown tag {tag}")


def reflect(connection: Connection) -> MetaData:
    metadata = MetaData()
    metadata.reflect(connection)
    return metadata


def backed_up_tables(metadata: MetaData) -> list[Table]:
    """In an order that inserts parents before children (cycles are broken by `deferred`)."""
    ordered = sort_tables_and_constraints(metadata.tables.values())
    return [table for table, _ in ordered if table is not None and table.name not in SKIPPED_TABLES]


def deferred_columns(metadata: MetaData) -> dict[str, list[str]]:
    """Foreign-key columns filled after every row is in: those in a cycle between tables
    (teams ↔ users) and those pointing into their own table (an account's parent)."""
    deferred: dict[str, list[str]] = {}
    ordered = sort_tables_and_constraints(metadata.tables.values())
    remaining = ordered[-1][1] if ordered and ordered[-1][0] is None else []
    for table in metadata.tables.values():
        for fkc in table.foreign_key_constraints:
            if fkc.referred_table is table or fkc in remaining:
                deferred.setdefault(table.name, []).extend(fkc.column_keys)
    return deferred


def _quoted(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def ordering(connection: Connection, table: Table) -> str:
    keys = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
    return ", ".join(_quoted(connection, k) for k in keys)


def read_rows(connection: Connection, table: Table) -> Iterator[bytes]:
    """The table's rows as JSON lines (a list of values in column order), in key order."""
    columns = ", ".join(_quoted(connection, c.name) for c in table.columns)
    # Streamed (a server-side cursor on PostgreSQL), for this statement only.
    result = connection.exec_driver_sql(
        f"SELECT {columns} FROM {_quoted(connection, table.name)} "
        f"ORDER BY {ordering(connection, table)}",
        execution_options={"stream_results": True, "yield_per": 5000},
    )
    for row in result:
        yield orjson.dumps([encode(value) for value in row]) + b"\n"


def checksum(connection: Connection, table: Table) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for line in read_rows(connection, table):
        digest.update(line)
        count += 1
    return count, digest.hexdigest()


def insert_rows(
    connection: Connection,
    table: Table,
    lines: Iterator[bytes],
    deferred: list[str],
    json_adapter: Any = None,
) -> list[tuple[Any, ...]]:
    """Inserts the rows with their deferred columns empty; returns (key…, deferred values…)
    for each row that had some, for `fill_deferred`."""
    names = [c.name for c in table.columns]
    keys = [c.name for c in table.primary_key.columns]
    held = [names.index(c) for c in deferred]
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {_quoted(connection, table.name)} "
        f"({', '.join(_quoted(connection, n) for n in names)}) "
        f"VALUES ({', '.join([mark] * len(names))})"
    )
    later: list[tuple[Any, ...]] = []
    batch: list[tuple[Any, ...]] = []
    for line in lines:
        values = [decode(v, json_adapter) for v in orjson.loads(line)]
        if held and any(values[i] is not None for i in held):
            later.append(
                tuple(values[names.index(k)] for k in keys) + tuple(values[i] for i in held)
            )
            for i in held:
                values[i] = None
        batch.append(tuple(values))
        if len(batch) >= 1000:
            connection.exec_driver_sql(statement, batch)
            batch = []
    if batch:
        connection.exec_driver_sql(statement, batch)
    return later


def fill_deferred(
    connection: Connection, table: Table, deferred: list[str], later: list[tuple[Any, ...]]
) -> None:
    if not later:
        return
    keys = [c.name for c in table.primary_key.columns]
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sets = ", ".join(f"{_quoted(connection, c)} = {mark}" for c in deferred)
    where = " AND ".join(f"{_quoted(connection, k)} = {mark}" for k in keys)
    statement = f"UPDATE {_quoted(connection, table.name)} SET {sets} WHERE {where}"
    connection.exec_driver_sql(statement, [row[len(keys) :] + row[: len(keys)] for row in later])


def reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """PostgreSQL: each serial column continues after the largest restored value."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        for column in table.primary_key.columns:
            sequence = connection.exec_driver_sql(
                "SELECT pg_get_serial_sequence(%s, %s)", (table.name, column.name)
            ).scalar()
            if sequence:
                connection.exec_driver_sql(
                    f"SELECT setval(%s, COALESCE((SELECT max({_quoted(connection, column.name)}) "
                    f"FROM {_quoted(connection, table.name)}), 0) + 1, false)",
                    (sequence,),
                )
