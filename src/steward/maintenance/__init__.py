"""Keeping the database itself in shape: the planner's statistics."""
