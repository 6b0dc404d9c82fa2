"""Plans: success plans (outcomes, milestones) and account plans (goals, whitespace)."""
