"""Clusters (connected components of proposed links) and how they compare with known truth."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


def connected_components(record_ids: Iterable[str], links: Iterable[tuple[str, str]]) -> dict[str, str]:
    """record id -> cluster id (the smallest record id in its cluster); unlinked records stand alone."""
    parent: dict[str, str] = {rid: rid for rid in record_ids}

    def find(x: str) -> str:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for left, right in links:
        parent.setdefault(left, left)
        parent.setdefault(right, right)
        a, b = find(left), find(right)
        if a != b:
            if b < a:
                a, b = b, a
            parent[b] = a
    return {rid: find(rid) for rid in parent}


@dataclass(frozen=True)
class PairwiseScores:
    """Cluster pairwise precision, recall and F1: each pair of records in one cluster is a predicted match."""

    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted_pairs: int
    true_pairs: int


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def cluster_pairwise_scores(predicted: Mapping[str, str], truth: Mapping[str, str]) -> PairwiseScores:
    """Compare a clustering with the true one over the records both know."""
    ids = [rid for rid in truth if rid in predicted]
    predicted_pairs = sum(_pairs(n) for n in Counter(predicted[r] for r in ids).values())
    true_pairs = sum(_pairs(n) for n in Counter(truth[r] for r in ids).values())
    true_positives = sum(_pairs(n) for n in Counter((predicted[r], truth[r]) for r in ids).values())
    precision = true_positives / predicted_pairs if predicted_pairs else 1.0
    recall = true_positives / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairwiseScores(precision, recall, f1, true_positives, predicted_pairs, true_pairs)
