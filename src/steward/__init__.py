"""Steward: account management and customer success."""

__version__ = "0.1.0"
