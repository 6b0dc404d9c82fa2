"""Users and teams: who works in Steward, their role and team, and password rules."""
