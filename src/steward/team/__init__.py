"""The Team page: one row per rep, with figures from the engines the fixed pages use."""
