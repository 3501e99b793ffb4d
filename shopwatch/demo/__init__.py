"""The demo world: a deterministic, realistic set of organisations, stores, people and incidents.

An app without tables of its own, at the top of the layering: :mod:`shopwatch.demo.seed` writes straight into
the other apps' tables, and its commands (`shopwatch seed`, `shopwatch demo`, `shopwatch totp`) live here.
"""
