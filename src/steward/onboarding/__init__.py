"""Onboarding: templates and projects started when a relationship begins (a contract's
ContractCreated event), their milestones and time to value."""
