"""Opportunities: deals (new business, expansion, renewal) with stage, amount and forecast
category."""
