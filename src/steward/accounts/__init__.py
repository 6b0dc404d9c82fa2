"""Accounts: the account record, its hierarchy (parents, children, ancestors), its roll-ups
(ARR, next renewal, last touch) and the book policy (`policy.py`: who may read which account
and its records, applied to every ORM query). `AccountOwnedService` is the base every record
that belongs to an account builds on."""
