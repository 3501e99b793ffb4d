"""The demo world: a deterministic, realistic set of organisations, stores, people and incidents.

Not a Django app: :mod:`shopwatch.demo.seed` writes straight into the other apps' tables.
"""
