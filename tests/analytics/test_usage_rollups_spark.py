"""The same Ibis rollups, unchanged, on PySpark (local[2]) give the DuckDB figures."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date

import ibis
import pytest

from steward.analytics.usage_rollups import account_usage, active_users_series
from tests.analytics.test_usage_rollups import check, rows_by_account
from tests.analytics.usage_scenario import AS_OF, KEY_EVENTS, accounts_frame, events_frame
from tests.conftest import missing_service


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing_service("Java (for PySpark)")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("steward-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_rollups_on_spark_equal_duckdb(spark) -> None:  # type: ignore[no-untyped-def]
    con = ibis.pyspark.connect(spark)
    spark.createDataFrame(events_frame()).createOrReplaceTempView("events")
    spark.createDataFrame(accounts_frame()).createOrReplaceTempView("accounts")
    events, accounts = con.table("events"), con.table("accounts")
    on_spark = con.execute(account_usage(events, accounts, AS_OF, KEY_EVENTS))
    check(rows_by_account(on_spark))

    duck = ibis.duckdb.connect()
    d_events = duck.create_table("events", events_frame())
    d_accounts = duck.create_table("accounts", accounts_frame())
    on_duckdb = duck.execute(account_usage(d_events, d_accounts, AS_OF, KEY_EVENTS))
    assert rows_by_account(on_spark) == rows_by_account(on_duckdb)

    first, last = date(2026, 9, 1), date(2026, 11, 1)
    spark_series = con.execute(active_users_series(events, accounts, "M", first, last))
    duck_series = duck.execute(active_users_series(d_events, d_accounts, "M", first, last))
    assert spark_series.astype(str).values.tolist() == duck_series.astype(str).values.tolist()
