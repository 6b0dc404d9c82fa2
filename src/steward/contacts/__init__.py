"""Contacts: the people at an account (roles, champion, last touch) and merging duplicates."""
