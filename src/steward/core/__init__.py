"""Kit: what every domain shares (CRUD helpers, errors, money, schemas, the principal and
roles, the audit trail, domain events, job declarations, merging). Imports no domain."""
