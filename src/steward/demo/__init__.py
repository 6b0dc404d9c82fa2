"""The demo workspace: a realistic book generated with its history (accounts, contracts,
usage, activities, plans, surveys, playbooks). An entry point's helper: it may use every layer."""
