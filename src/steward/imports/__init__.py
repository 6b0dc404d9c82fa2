"""Imports and exports: CSV and XLSX files in the column names of Salesforce, HubSpot and
Steward itself, read back unchanged (docs/import-export.md)."""
