"""Accounts: the account record, its hierarchy (parents, children, ancestors), its roll-ups
(ARR, next renewal, last touch) and the book rule (who may read and write which account).
`AccountOwnedService` is the base every record that belongs to an account builds on."""
