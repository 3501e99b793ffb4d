"""Scoring with a trained model: every blocked pair of a set of records, or new records against an index."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
from splink import DuckDBAPI, Linker
from splink.internals.blocking_rule_creator_utils import to_blocking_rule_creator
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
                if f"mw_tf_adj_{name}" in data:  # the term-frequency adjustment of an exact match
                    weight += float(data[f"mw_tf_adj_{name}"][i] or 0.0)
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
    backend: str | None = None,
) -> list[ScoredPair]:
    """Score each blocked pair among ``records``; keep those at ``min_probability`` or above.

    On the backend that SHOPWATCH_LINK_BACKEND selects (``backend`` overrides it)."""
    if (backend or engine_settings.link_backend()) == "spark":
        from shopwatch.linking.engine.spark import score_all_spark

        return score_all_spark(records, model, min_probability=min_probability)
    _check_unique_ids(records)
    if len(records) < 2:
        return []
    linker = new_linker(prepare(records), model.splink_settings)
    predictions = linker.inference.predict(threshold_match_probability=min_probability, warning_mode="never")
    return _Explainer(model).pairs(_arrow(predictions), min_probability=min_probability)


_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_SIDE_L = re.compile(r"\bl\.")
_SIDE_R = re.compile(r"\br\.")


@dataclass(frozen=True)
class _BlockingKey:
    """One blocking rule's equi-join as two hashed key columns: records pair when one's ``left`` key equals
    the other's ``right`` key (the same column when the rule is symmetric)."""

    index: int
    left_sql: tuple[str, ...]
    right_sql: tuple[str, ...]

    @property
    def left(self) -> str:
        return f"key_{self.index}_l"

    @property
    def right(self) -> str:
        return f"key_{self.index}_r" if self.left_sql != self.right_sql else self.left

    def expression(self, column: str) -> str:
        parts = self.left_sql if column == self.left else self.right_sql
        nulls = " OR ".join(f"({p}) IS NULL" for p in parts)
        return f"CASE WHEN {nulls} THEN NULL ELSE hash({', '.join(parts)}) END"


def _blocking_keys(model: LinkModel) -> tuple[list[_BlockingKey], list[str]]:
    """Hashed keys for the rules that are equi-joins; the other rules are returned as SQL to join on."""
    keys: list[_BlockingKey] = []
    unkeyed: list[str] = []
    for i, rule in enumerate(_blocking_rule_sqls(model)):
        parsed = to_blocking_rule_creator(rule).get_blocking_rule("duckdb")
        pairs = parsed._equi_join_conditions  # Splink's own parse of the rule
        if pairs:
            keys.append(_BlockingKey(i, tuple(a for a, _ in pairs), tuple(b for _, b in pairs)))
        else:
            unkeyed.append(rule)
    return keys, unkeyed


def _blocking_rule_sqls(model: LinkModel) -> list[str]:
    """The model's blocking rules as SQL over ``l.`` and ``r.`` (saved models hold them as dictionaries)."""
    rules = []
    for rule in model.splink_settings["blocking_rules_to_generate_predictions"]:
        rules.append(str(rule["blocking_rule"]) if isinstance(rule, dict) else str(rule))
    return rules


@dataclass(frozen=True)
class PairsWritten:
    pairs: int
    proposals: int


def score_all_to_csv(
    records: Sequence[PersonRecord],
    model: LinkModel,
    path: Path,
    *,
    min_probability: float = engine_settings.MIN_PROBABILITY,
) -> PairsWritten:
    """``score_all`` for large inputs: the same pairs and probabilities, written by DuckDB straight to a CSV
    of ``record_id_l, record_id_r, match_probability`` without explanations (nothing per pair in Python)."""
    _check_unique_ids(records)
    header = "record_id_l,record_id_r,match_probability\n"
    if len(records) < 2:
        path.write_text(header, encoding="utf-8")
        return PairsWritten(0, 0)
    lean = {
        **model.splink_settings,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }
    con = duckdb.connect()
    linker = new_linker(prepare(records), lean, con=con)
    predictions = linker.inference.predict(threshold_match_probability=min_probability, warning_mode="never")
    table = predictions.physical_name
    if not _IDENTIFIER.match(table):
        raise ValueError(f"Unexpected table name {table!r}")
    select = (
        "SELECT CASE WHEN unique_id_l < unique_id_r THEN unique_id_l ELSE unique_id_r END AS record_id_l, "  # noqa: S608
        "CASE WHEN unique_id_l < unique_id_r THEN unique_id_r ELSE unique_id_l END AS record_id_r, "
        f"round(match_probability, 6) AS match_probability FROM {table} "
        f"WHERE match_probability >= {float(min_probability)!r} ORDER BY record_id_l, record_id_r"
    )
    con.execute(f"COPY ({select}) TO ? (FORMAT csv, HEADER true)", [str(path)])
    row = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE match_probability >= ?) FROM {table} "  # noqa: S608
        "WHERE match_probability >= ?",
        [engine_settings.PROPOSAL_THRESHOLD, min_probability],
    ).fetchone()
    con.close()
    return PairsWritten(int(row[0]), int(row[1])) if row else PairsWritten(0, 0)


def _tf_columns(model: LinkModel) -> list[str]:
    """Columns with term-frequency adjustments: plain identifiers only, as they are spliced into SQL."""
    columns = sorted(
        {
            str(level["tf_adjustment_column"])
            for comparison in model.splink_settings["comparisons"]
            for level in comparison["comparison_levels"]
            if level.get("tf_adjustment_column")
        }
    )
    for column in columns:
        if not _IDENTIFIER.match(column):
            raise ValueError(f"Not a column name: {column!r}")
    return columns


_NEW_TABLE = "people_new"
_CANDIDATES_TABLE = "people_candidates"
#: The statements of Splink's that change the database (its reads of tables and catalogue are not kept).
_CHANGES = re.compile(r"^\s*(CREATE|DROP|INSERT|ALTER)\b", re.IGNORECASE)


class _RecordingDuckDBAPI(DuckDBAPI):
    """Splink's DuckDB backend that can record the SQL it executes."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(connection=con)
        self.recording: list[str] | None = None

    def _execute_sql_against_backend(self, final_sql: str) -> duckdb.DuckDBPyRelation:
        if self.recording is not None:
            self.recording.append(final_sql)
        return super()._execute_sql_against_backend(final_sql)


@dataclass(frozen=True)
class _Plan:
    """Splink's SQL for one kind of prediction: the statements, the table they leave the predictions in,
    and every table they create (dropped after each call)."""

    statements: tuple[str, ...]
    output: str
    created: tuple[str, ...]


class ScoringIndex:
    """Existing records held ready in DuckDB, so new or changed people are scored against them alone.

    Scores equal those ``score_all`` gives the same pairs over the indexed and new records together: term
    frequencies are kept as counts and updated with each batch of new records. A record in ``new`` whose id is
    already indexed is a changed record: its old version takes no part (neither as a candidate nor in the term
    frequencies). The index itself is not changed by ``score``; build a new one after a full run. Keep an
    index to score person after person: Splink writes its SQL on the first call only.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, model: LinkModel, size: int) -> None:
        self._con = con
        self._db_api = _RecordingDuckDBAPI(con)
        self._model = model
        self._explainer = _Explainer(model)
        self._tf_columns = _tf_columns(model)
        frame = self._db_api.register("people_index", table_name="people_all")
        self._linker = Linker(frame, dict(model.splink_settings), log_level=SPLINK_LOG_LEVEL)
        self._keys, self._unkeyed_rules = _blocking_keys(model)
        self._ids = {str(row[0]) for row in con.execute("SELECT unique_id FROM people_index").fetchall()}
        # Each call fills the same tables, so Splink's SQL over them is made once and kept (see _predict).
        self._new = self._db_api.table_to_splink_dataframe(_NEW_TABLE, _NEW_TABLE)
        self._new.dataset_display_name = _NEW_TABLE
        self._candidates = self._db_api.table_to_splink_dataframe(_CANDIDATES_TABLE, _CANDIDATES_TABLE)
        self._candidates.dataset_display_name = _CANDIDATES_TABLE
        for column in self._tf_columns:
            lookup = self._db_api.table_to_splink_dataframe(f"tf_now_{column}", f"tf_now_{column}")
            self._linker.table_management.register_term_frequency_lookup(lookup, column)
        self._plans: dict[tuple[str, float], _Plan] = {}
        self.size = size

    @classmethod
    def build(cls, records: Sequence[PersonRecord], model: LinkModel) -> ScoringIndex:
        _check_unique_ids(records)
        con = duckdb.connect()
        prepared = prepare(records)
        con.register("people_arrow", prepared)
        con.execute("CREATE TABLE people_index AS SELECT * FROM people_arrow")
        con.unregister("people_arrow")
        con.execute("CREATE UNIQUE INDEX people_index_id ON people_index (unique_id)")
        keys, _ = _blocking_keys(model)
        key_columns = ", ".join(
            f"{key.expression(side)} AS {column}"
            for key in keys
            for column, side in ((key.left, key.left), (key.right, key.right))
        )
        con.execute(
            f"CREATE TABLE people_keys AS SELECT unique_id{', ' + key_columns if key_columns else ''} FROM people_index"  # noqa: S608, E501
        )
        for column in _tf_columns(model):
            con.execute(
                f"CREATE TABLE tf_count_{column} AS SELECT {column} AS value, count(*) AS n "  # noqa: S608
                f"FROM people_index WHERE {column} IS NOT NULL GROUP BY {column}"
            )
        # Later queries touch a handful of rows: one thread answers sooner than several waiting for cores.
        con.execute("SET threads TO 1")
        return cls(con, model, len(records))

    def _register_term_frequencies(self, new_table: str, *, replaces: bool) -> None:
        """Term frequencies over the indexed records plus ``new_table``, less the old versions it replaces."""
        for column in self._tf_columns:
            physical = f"tf_now_{column}"
            replaced = (
                f"""UNION ALL
                    SELECT {column}, -count(*) FROM people_index
                    WHERE {column} IS NOT NULL AND unique_id IN (SELECT unique_id FROM {new_table})
                    GROUP BY {column}"""  # noqa: S608 - identifiers checked by _tf_columns
                if replaces
                else ""
            )
            self._con.execute(
                f"""
                CREATE OR REPLACE TABLE {physical} AS
                WITH counts AS (
                    SELECT value, n FROM tf_count_{column}
                    UNION ALL
                    SELECT {column}, count(*) FROM {new_table} WHERE {column} IS NOT NULL GROUP BY {column}
                    {replaced}
                ), summed AS (
                    SELECT value, sum(n) AS n FROM counts GROUP BY value HAVING sum(n) > 0
                )
                SELECT value AS {column},
                       cast(n AS float8) / (SELECT sum(n) FROM summed) AS tf_{column}
                FROM summed
                """  # noqa: S608 - identifiers checked by _tf_columns, no values spliced in
            )

    def _candidate_ids_sql(self, new_table: str) -> str:
        """Ids of indexed records that any blocking rule pairs with a new record, whichever side each is on.

        Splink then blocks and scores within these few candidates alone, instead of joining every indexed
        record; the pairs found are the same, as a rule can only pair records whose keys match here (a hash
        collision only adds a candidate)."""
        wanted: dict[str, set[int]] = {}
        for key in self._keys:
            for column, other in ((key.left, key.right), (key.right, key.left)):
                rows = self._con.execute(
                    f"SELECT DISTINCT {key.expression(other)} FROM {new_table}"  # noqa: S608 - from the rules
                ).fetchall()
                wanted.setdefault(column, set()).update(int(r[0]) for r in rows if r[0] is not None)
        filters = [f"{column} IN ({', '.join(map(str, sorted(v)))})" for column, v in wanted.items() if v]
        keyed = f"SELECT unique_id FROM people_keys WHERE {' OR '.join(filters)}"  # noqa: S608 - ints, keys
        parts = [keyed] if filters else []
        for rule in self._unkeyed_rules:
            for left, right in (("e", "n"), ("n", "e")):
                condition = _SIDE_L.sub(f"{left}.", _SIDE_R.sub(f"{right}.", rule))
                parts.append(f"SELECT e.unique_id FROM people_index e JOIN {new_table} n ON {condition}")  # noqa: S608
        return " UNION ".join(parts) if parts else "SELECT NULL"

    def _predict(self, kind: str, min_probability: float) -> list[ScoredPair]:
        """Splink's predictions between the candidates and the new records (``between``) or among the new
        records (``within``).

        The first call of each kind and threshold runs Splink and records the SQL it executes; later calls
        run that SQL again as it is. Splink's SQL depends only on the model, the threshold and the names and
        columns of the tables, which are the same on every call; the data is read only by DuckDB."""
        key = (kind, float(min_probability))
        plan = self._plans.get(key)
        if plan is None:
            before = set(self._db_api._created_tables)
            self._db_api.recording = []
            try:
                inference = self._linker.inference
                if kind == "between":
                    output = inference.predict_between(
                        self._candidates,
                        self._new,
                        threshold_match_probability=min_probability,
                        warning_mode="never",
                    )
                else:
                    output = inference.predict_within(
                        self._new, threshold_match_probability=min_probability, warning_mode="never"
                    )
                statements = [sql for sql in self._db_api.recording if _CHANGES.match(sql)]
            finally:
                self._db_api.recording = None
            created = tuple(sorted(set(self._db_api._created_tables) - before))
            plan = _Plan(tuple(statements), output.physical_name, created)
            self._plans[key] = plan
        else:
            for sql in plan.statements:
                self._con.execute(sql)
        try:
            table = self._con.sql(f"SELECT * FROM {plan.output}").to_arrow_table()  # noqa: S608
        finally:
            for name in plan.created:
                self._con.execute(f"DROP TABLE IF EXISTS {name}")
        return self._explainer.pairs(table, min_probability=min_probability)

    def score(
        self, new: Sequence[PersonRecord], *, min_probability: float = engine_settings.MIN_PROBABILITY
    ) -> list[ScoredPair]:
        """Score ``new`` records against the indexed ones and against each other."""
        _check_unique_ids(new)
        if not new:
            return []
        self._con.register(f"{_NEW_TABLE}_arrow", prepare(new))
        self._con.execute(f"CREATE OR REPLACE TABLE {_NEW_TABLE} AS SELECT * FROM {_NEW_TABLE}_arrow")  # noqa: S608
        self._con.unregister(f"{_NEW_TABLE}_arrow")
        new_ids = {record.record_id for record in new}
        found = self._con.execute(self._candidate_ids_sql(_NEW_TABLE)).fetchall()
        ids = sorted({str(row[0]) for row in found if row[0] is not None} - new_ids)
        # The ids are passed as parameters: point look-ups in the unique index on unique_id.
        marks = ", ".join("?" for _ in ids) or "NULL"
        self._con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_CANDIDATES_TABLE} AS "  # noqa: S608
            f"SELECT * FROM people_index WHERE unique_id IN ({marks})",
            ids,
        )
        try:
            self._register_term_frequencies(_NEW_TABLE, replaces=not new_ids.isdisjoint(self._ids))
            pairs = self._predict("between", min_probability)
            if len(new) > 1:
                pairs += self._predict("within", min_probability)
        finally:
            self._con.execute(f"DROP TABLE IF EXISTS {_CANDIDATES_TABLE}")
            self._con.execute(f"DROP TABLE IF EXISTS {_NEW_TABLE}")
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
