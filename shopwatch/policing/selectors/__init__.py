"""Policing reads: the triage queue, workload and ageing, hand-offs, feedback for the store, outcome rates.

Every read of incidents goes through ``scope`` (via ``force_incidents``) and the caller's own force(s)."""
