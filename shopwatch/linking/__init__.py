"""Offender linking: probabilistic link proposals between person records, resolved identities, vehicles and
organised groups."""
