"""Policing writes, split by subdomain: triage, hand-off, crime records and outcomes, linking, case files."""
