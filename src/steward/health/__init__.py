"""Health: scorecards (measures, weights, thresholds, dry runs), daily health scores with
their explanation, overrides, and the usage measures they read."""
