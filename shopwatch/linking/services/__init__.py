"""Linking's writes: runs that propose links, and the decisions that accept or reject them."""

from .decisions import identities_rebuild, proposal_decide
from .runs import RunResult, link_run, link_score_changed, proposals_store

__all__ = [
    "RunResult",
    "identities_rebuild",
    "link_run",
    "link_score_changed",
    "proposal_decide",
    "proposals_store",
]
