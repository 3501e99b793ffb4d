"""Writes for partnership intelligence: galleries, merges, warnings and exclusions, graded intelligence,
retention. Every one checks who may act, validates, writes and audits in one transaction."""
