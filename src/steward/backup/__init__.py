"""Backups: the database (every table, as its rows), the analytics store and the schema
revision in one archive with checksums; restored into an empty database."""
