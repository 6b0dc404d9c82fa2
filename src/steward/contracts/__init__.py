"""Contracts and their line items, and the one definition of their terms
(steward.contracts.terms: active items, ARR, renewed) every engine reads."""
