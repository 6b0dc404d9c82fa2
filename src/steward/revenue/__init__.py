"""Revenue: the revenue engine (ledger and DuckDB cube: movements, ARR, NRR, GRR, logo
retention) and the Revenue page and metrics API."""
