"""The analytics store: usage events and revenue ledgers in DuckDB (or Spark), the weekly
usage roll-ups health and churn read, kept in step with the database exactly once."""
