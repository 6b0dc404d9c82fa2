"""QBR and EBR packs: for an account and a quarter, a deck (PowerPoint) and a PDF built from
Steward's own records and explanation sentences, in the workspace's template."""
