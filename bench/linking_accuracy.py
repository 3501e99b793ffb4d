"""Accuracy of the linkage engine against Splink out of the box, side by side in one run.

Usage: uv run python bench/linking_accuracy.py [febrl4] [fake_20000]

Both are judged the same way: links at or above 0.5, clusters as their connected components, and cluster
pairwise precision, recall and F1 against the truth (which neither model sees). "Splink out of the box" is
Splink 5 with its library's default comparisons on the same five fields (NameComparison for forename and
surname, DateOfBirthComparison, PostcodeComparison, ExactMatch for town), blanks as nulls, the usual
blocking rules and the tutorial's training: prior from a deterministic rule, u by random sampling, m by EM
blocked on names then on date of birth.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

import duckdb
import pyarrow as pa
import splink.comparison_library as cl
from linking_data import febrl4, splink_fake
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from shopwatch.linking.engine import PROPOSAL_THRESHOLD, PersonRecord, score_all, train_model
from shopwatch.linking.engine.clusters import PairwiseScores, cluster_pairwise_scores, connected_components


def engine_links(records: list[PersonRecord]) -> list[tuple[str, str]]:
    model = train_model(records)
    pairs = score_all(records, model)
    return [(p.record_id_l, p.record_id_r) for p in pairs if p.match_probability >= PROPOSAL_THRESHOLD]


def out_of_the_box_links(records: list[PersonRecord]) -> list[tuple[str, str]]:
    def blank(value: str) -> str | None:
        return value.strip() or None

    table = pa.table(
        {
            "unique_id": [r.record_id for r in records],
            "first_name": [blank(r.first_name) for r in records],
            "surname": [blank(r.surname) for r in records],
            "dob": [blank(r.date_of_birth) for r in records],
            "postcode": [blank(r.postcode) for r in records],
            "town": [blank(r.town) for r in records],
        }
    )
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("town"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("surname", "dob"),
            block_on("first_name", "dob"),
            block_on("postcode", "first_name"),
        ],
    )
    db_api = DuckDBAPI(connection=duckdb.connect())
    linker = Linker(db_api.register(table), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    predictions = linker.inference.predict(threshold_match_probability=PROPOSAL_THRESHOLD).as_pyarrow_table()
    data = predictions.select(["unique_id_l", "unique_id_r"]).to_pydict()
    return list(zip(data["unique_id_l"], data["unique_id_r"], strict=True))


def measure(
    name: str,
    link: Callable[[list[PersonRecord]], list[tuple[str, str]]],
    records: list[PersonRecord],
    truth: dict[str, str],
) -> PairwiseScores:
    started = time.perf_counter()
    links = link(records)
    seconds = time.perf_counter() - started
    clusters = connected_components([r.record_id for r in records], links)
    scores = cluster_pairwise_scores(clusters, truth)
    largest = (
        max((list(clusters.values()).count(c) for c in set(clusters.values())), default=0)
        if len(clusters) < 50000
        else -1
    )
    print(
        f"  {name:<22} precision {scores.precision:.4f}  recall {scores.recall:.4f}  F1 {scores.f1:.4f}  "
        f"({len(links)} links, {scores.predicted_pairs} clustered pairs, {scores.true_pairs} true pairs, "
        f"largest cluster {largest}, {seconds:.1f} s)",
        flush=True,
    )
    return scores


def main() -> None:
    datasets = {"febrl4": febrl4, "fake_20000": lambda: splink_fake(20000)}
    wanted = sys.argv[1:] or list(datasets)
    for name in wanted:
        records, truth = datasets[name]()
        print(f"{name}: {len(records)} records, {len(set(truth.values()))} true people", flush=True)
        ours = measure("ShopWatch engine", engine_links, records, truth)
        base = measure("Splink out of the box", out_of_the_box_links, records, truth)
        print(f"  F1 difference {ours.f1 - base.f1:+.4f}", flush=True)


if __name__ == "__main__":
    main()
