"""Escalations: customer issues with severity, SLA clocks and their history."""
