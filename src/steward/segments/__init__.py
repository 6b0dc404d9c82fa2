"""Saved segments: named, dynamic filters over accounts (docs/segments.md)."""
