"""Tasks: the work on an account (due dates, owners, priorities), and the step templates
playbooks and onboarding create tasks from."""
