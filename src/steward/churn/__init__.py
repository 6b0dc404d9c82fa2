"""Churn risk: the workspace's churn model (features, training, calibration), daily churn
scores with their reasons, and `steward churn evaluate` on any table."""
