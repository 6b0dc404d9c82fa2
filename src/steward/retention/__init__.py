"""Retention: survival curves (Kaplan–Meier, Cox), cohort retention and the shifted-beta-
geometric model, from the revenue ledger."""
