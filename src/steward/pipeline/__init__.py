"""Pipeline: the Account Executive's work across records, above opportunities, contracts and
accounts. Today: closing a deal, with the hand-off a won new-business deal makes in one
transaction (its contract from its line items, onboarding through `ContractCreated`, the new
owners, their kick-off tasks and the AE's hand-off note)."""
