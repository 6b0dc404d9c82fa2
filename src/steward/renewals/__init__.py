"""Renewals: contracts coming due, renewal opportunities opened on time (one per contract),
and the revenue roll-ups kept current as dates pass."""
