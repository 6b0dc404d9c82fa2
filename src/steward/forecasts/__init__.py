"""Forecasts: renewal and expansion forecasts with intervals (simulation over churn scores
and the pipeline), stored per period and back-tested."""
