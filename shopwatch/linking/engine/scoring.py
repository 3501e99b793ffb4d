"""Scoring with a trained model: every blocked pair of a set of records, or new records against an index."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
from splink import DuckDBAPI, Linker
from splink.internals.splink_dataframe import SplinkDataFrame

from shopwatch.linking.engine import settings as engine_settings
from shopwatch.linking.engine.model import SPLINK_LOG_LEVEL, LinkModel, new_linker
from shopwatch.linking.engine.records import FieldWeight, PersonRecord, ScoredPair, prepare

PRIOR_LABEL = "Chance that two records picked at random are the same person"


class _Explainer:
    """Turns Splink's comparison vector (gamma_*) and match weights (mw_*) into explanations."""

    def __init__(self, model: LinkModel) -> None:
        self.fields: list[str] = []
        self.labels: dict[str, dict[int, str]] = {}
        for comparison in model.splink_settings["comparisons"]:
            name = str(comparison["output_column_name"])
            levels = comparison["comparison_levels"]
            non_null = [lv for lv in levels if not lv.get("is_null_level")]
            labels = {
                len(non_null) - 1 - i: str(lv.get("label_for_charts", "")) for i, lv in enumerate(non_null)
            }
            nulls = [lv for lv in levels if lv.get("is_null_level")]
            labels[-1] = str(nulls[0].get("label_for_charts", "Missing")) if nulls else "Missing"
            self.fields.append(name)
            self.labels[name] = labels
        prior = model.probability_two_random_records_match
        self.prior = FieldWeight(
            field="prior", comparison=PRIOR_LABEL, match_weight=math.log2(prior / (1 - prior))
        )

    def pairs(self, table: pa.Table, *, min_probability: float) -> list[ScoredPair]:
        data = table.to_pydict()
        out: list[ScoredPair] = []
        for i in range(table.num_rows):
            probability = float(data["match_probability"][i])
            left, right = str(data["unique_id_l"][i]), str(data["unique_id_r"][i])
            if probability < min_probability or left == right:
                continue
            if right < left:
                left, right = right, left
            explanation = [self.prior]
            for name in self.fields:
                gamma = int(data[f"gamma_{name}"][i])
                weight = float(data[f"mw_{name}"][i])
                explanation.append(
                    FieldWeight(field=name, comparison=self.labels[name][gamma], match_weight=weight)
                )
            out.append(
                ScoredPair(
                    record_id_l=left,
                    record_id_r=right,
                    match_probability=probability,
                    match_weight=float(data["match_weight"][i]),
                    explanation=tuple(explanation),
                )
            )
        out.sort(key=lambda p: (p.record_id_l, p.record_id_r))
        return out


def _arrow(frame: SplinkDataFrame) -> pa.Table:
    return frame.as_pyarrow_table()  # type: ignore[no-untyped-call]


def _check_unique_ids(records: Sequence[PersonRecord]) -> None:
    seen: set[str] = set()
    for record in records:
        if not record.record_id:
            raise ValueError("Every record needs a record_id.")
        if record.record_id in seen:
            raise ValueError(f"record_id {record.record_id!r} appears more than once.")
        seen.add(record.record_id)


def score_all(
    records: Sequence[PersonRecord],
    model: LinkModel,
    *,
    min_probability: float = engine_settings.MIN_PROBABILITY,
) -> list[ScoredPair]:
    """Score each blocked pair among ``records``; keep those at ``min_probability`` or above."""
    _check_unique_ids(records)
    if len(records) < 2:
        return []
    linker = new_linker(prepare(records), model.splink_settings)
    predictions = linker.inference.predict(threshold_match_probability=min_probability, warning_mode="never")
    return _Explainer(model).pairs(_arrow(predictions), min_probability=min_probability)


class ScoringIndex:
    """Existing records held ready in DuckDB, so new or changed people are scored against them alone.

    A record in ``new`` whose id is already indexed is a changed record: it is scored against every
    other indexed record (never against its own old version) and against the other new records.
    """

    def __init__(self, linker: Linker, db_api: DuckDBAPI, model: LinkModel, size: int) -> None:
        self._linker = linker
        self._db_api = db_api
        self._model = model
        self._explainer = _Explainer(model)
        self._existing = db_api.register("people_index", table_name="people_existing")
        self._counter = itertools.count()
        self.size = size

    @classmethod
    def build(cls, records: Sequence[PersonRecord], model: LinkModel) -> ScoringIndex:
        _check_unique_ids(records)
        con = duckdb.connect()
        prepared = prepare(records)
        con.register("people_arrow", prepared)
        con.execute("CREATE TABLE people_index AS SELECT * FROM people_arrow")
        con.unregister("people_arrow")
        db_api = DuckDBAPI(connection=con)
        frame = db_api.register("people_index", table_name="people_all")
        linker = Linker(frame, dict(model.splink_settings), log_level=SPLINK_LOG_LEVEL)
        return cls(linker, db_api, model, len(records))

    def score(
        self, new: Sequence[PersonRecord], *, min_probability: float = engine_settings.MIN_PROBABILITY
    ) -> list[ScoredPair]:
        """Score ``new`` records against the indexed ones and against each other."""
        _check_unique_ids(new)
        if not new:
            return []
        name = f"people_new_{next(self._counter)}"
        table = prepare(new)
        frame = self._db_api.register(table, table_name=name)
        try:
            inference = self._linker.inference
            between = inference.predict_between(
                self._existing, frame, threshold_match_probability=min_probability, warning_mode="never"
            )
            pairs = self._explainer.pairs(_arrow(between), min_probability=min_probability)
            if len(new) > 1:
                within = inference.predict_within(frame, threshold_match_probability=min_probability)
                pairs += self._explainer.pairs(_arrow(within), min_probability=min_probability)
        finally:
            self._db_api.delete_table_from_database(name)
        best: dict[tuple[str, str], ScoredPair] = {}
        for pair in pairs:
            best[(pair.record_id_l, pair.record_id_r)] = pair
        return [best[key] for key in sorted(best)]


def as_pairs_table(pairs: Sequence[ScoredPair]) -> dict[str, list[Any]]:
    return {
        "record_id_l": [p.record_id_l for p in pairs],
        "record_id_r": [p.record_id_r for p in pairs],
        "match_probability": [p.match_probability for p in pairs],
    }
