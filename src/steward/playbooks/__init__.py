"""Playbooks and rules: triggers on signals (health, usage, renewals, NPS, no touch, SLA),
the work they create, and their holdout report."""
