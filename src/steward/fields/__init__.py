"""Custom fields: the workspace's own fields on accounts, contacts, opportunities and contracts.

Declared by admins (in the app, through the API, or as a YAML file under version control) and
stored one typed row per value, so that a filter on a custom field is an index look-up on
SQLite and PostgreSQL alike (docs/custom-fields.md).
"""
