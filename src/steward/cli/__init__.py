"""The `steward` command: demo, serve, worker, migrate, imports, backups, rules, churn and
forecast tools. An entry point: it may use every layer."""
