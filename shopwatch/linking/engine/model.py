"""The trained linkage model: Splink's settings with their m and u probabilities, trained without labels."""

from __future__ import annotations

import copy
import itertools
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]
from splink import DuckDBAPI, Linker

from shopwatch.linking.engine import settings as engine_settings
from shopwatch.linking.engine.records import PersonRecord, prepare

logger = logging.getLogger(__name__)

#: Splink logs every step at INFO; the engine reports its own steps instead.
SPLINK_LOG_LEVEL = logging.ERROR


@dataclass
class LinkModel:
    """A trained model: the engine version that made it, Splink's settings dictionary with trained
    parameters, and notes on how each parameter was obtained (trained, or the documented default)."""

    version: str
    splink_settings: dict[str, Any]
    training_notes: list[str] = field(default_factory=list)
    record_count: int = 0

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "record_count": self.record_count,
                "training_notes": self.training_notes,
                "splink_settings": self.splink_settings,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> LinkModel:
        data = json.loads(text)
        if not isinstance(data, dict) or "splink_settings" not in data or "version" not in data:
            raise ValueError("Not a saved link model: 'version' and 'splink_settings' are required.")
        return cls(
            version=str(data["version"]),
            splink_settings=dict(data["splink_settings"]),
            training_notes=[str(n) for n in data.get("training_notes", [])],
            record_count=int(data.get("record_count", 0)),
        )

    @property
    def probability_two_random_records_match(self) -> float:
        return float(self.splink_settings["probability_two_random_records_match"])

    def level_weights(self) -> dict[str, list[tuple[str, float | None]]]:
        """comparison -> [(level label, match weight in bits, None for the null level)] in level order."""
        out: dict[str, list[tuple[str, float | None]]] = {}
        for comparison in self.splink_settings["comparisons"]:
            levels: list[tuple[str, float | None]] = []
            for level in comparison["comparison_levels"]:
                if level.get("is_null_level"):
                    levels.append((str(level.get("label_for_charts", "")), None))
                else:
                    weight = math.log2(float(level["m_probability"]) / float(level["u_probability"]))
                    levels.append((str(level.get("label_for_charts", "")), weight))
            out[str(comparison["output_column_name"])] = levels
        return out


def default_model(*, record_count: int = 0, notes: Sequence[str] = ()) -> LinkModel:
    """The model made of the documented default parameters alone."""
    return LinkModel(
        version=engine_settings.MODEL_VERSION,
        splink_settings=copy.deepcopy(engine_settings.splink_settings()),
        training_notes=list(notes) or ["default parameters (no training)"],
        record_count=record_count,
    )


def new_linker(
    table: pa.Table, settings: dict[str, Any], *, con: duckdb.DuckDBPyConnection | None = None
) -> Linker:
    """A DuckDB-backed Splink linker over one prepared table."""
    db_api = DuckDBAPI(connection=con if con is not None else duckdb.connect())
    frame = db_api.register(table, dataset_display_name="people")
    return Linker(frame, copy.deepcopy(settings), log_level=SPLINK_LOG_LEVEL)


def _valid_probability(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < float(value) <= 1


def _fill_untrained(trained: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """Replace any m or u that training left unset or unobserved with the level's documented default."""
    defaults = engine_settings.splink_settings()
    result = copy.deepcopy(trained)
    result["comparisons"] = []
    trained_levels = {
        (str(comparison.get("output_column_name")), str(level.get("label_for_charts"))): level
        for comparison in trained.get("comparisons", [])
        for level in comparison.get("comparison_levels", [])
    }
    for default_comparison in defaults["comparisons"]:
        merged = copy.deepcopy(default_comparison)
        name = str(merged["output_column_name"])
        for default_level in merged["comparison_levels"]:
            if default_level.get("is_null_level"):
                continue
            level = trained_levels.get((name, str(default_level["label_for_charts"])), {})
            for key in ("m_probability", "u_probability"):
                value = level.get(key)
                if _valid_probability(value) and float(value) > 1e-6:
                    default_level[key] = float(value)
                else:
                    notes.append(
                        f"{name} / {default_level['label_for_charts']}: "
                        f"{key[0]} not learnt from the data, default used"
                    )
        result["comparisons"].append(merged)
    return result


def _rules_recall(table: pa.Table, trained: dict[str, Any]) -> float | None:
    """The estimated share of true matches found by settings.DETERMINISTIC_RULE_FIELDS."""
    fields = sorted({f for rule in engine_settings.DETERMINISTIC_RULE_FIELDS for f in rule})
    agree: dict[str, float] = {}
    for name in fields:
        comparison = next(c for c in trained["comparisons"] if c["output_column_name"] == name)
        exact = next(lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level"))
        present = 1 - table.column(name).null_count / max(table.num_rows, 1)
        agree[name] = present * present * float(exact["m_probability"])
    recall = 0.0
    for state in itertools.product((True, False), repeat=len(fields)):
        equal = dict(zip(fields, state, strict=True))
        if any(all(equal[f] for f in rule) for rule in engine_settings.DETERMINISTIC_RULE_FIELDS):
            recall += math.prod(agree[f] if equal[f] else 1 - agree[f] for f in fields)
    return recall if recall > 0 else None


def _estimate_prior(linker: Linker, table: pa.Table, trained: dict[str, Any], notes: list[str]) -> float:
    """Prior = share of all pairs found by the deterministic rules / the rules' estimated recall."""
    default = engine_settings.DEFAULT_PROBABILITY_TWO_RANDOM_RECORDS_MATCH
    try:
        linker.training.estimate_probability_two_random_records_match(
            list(engine_settings.DETERMINISTIC_RULES), recall=1.0
        )
        found = float(linker.misc.save_model_to_json()["probability_two_random_records_match"])
    except Exception as exc:
        notes.append(f"prior not estimated ({type(exc).__name__}), default {default} used")
        return default
    if not 0 < found < 1:
        notes.append(f"deterministic rules found no pairs, default prior {default} used")
        return default
    recall = _rules_recall(table, trained)
    if recall is None:
        recall = engine_settings.DETERMINISTIC_RULES_RECALL
        notes.append(f"recall of the deterministic rules not estimated, {recall} assumed")
    recall = max(recall, engine_settings.DETERMINISTIC_RULES_MIN_RECALL)
    prior = min(found / recall, 0.5)
    notes.append(
        f"prior {prior:.3g}: deterministic rules find {found:.3g} of all pairs, estimated recall {recall:.3g}"
    )
    return prior


def train_model(records: Sequence[PersonRecord]) -> LinkModel:
    """Train the model without labels on the records themselves.

    u comes from random sampling, m from expectation maximisation over the training blocking passes, and the
    prior from deterministic rules whose recall the trained m estimates. Any step the records cannot support
    falls back to the documented defaults, so training never fails on odd input (a handful of rows, blank
    columns, all-unique records).
    """
    count = len(records)
    if count < engine_settings.MIN_RECORDS_TO_TRAIN:
        return default_model(
            record_count=count,
            notes=[
                f"{count} records: fewer than {engine_settings.MIN_RECORDS_TO_TRAIN}, default parameters used"
            ],
        )
    notes: list[str] = []
    table = prepare(records)
    linker = new_linker(table, engine_settings.splink_settings())
    training = linker.training
    try:
        pairs = min(engine_settings.U_MAX_PAIRS, count * (count - 1) / 2)
        training.estimate_u_using_random_sampling(
            max_pairs=pairs, seed=engine_settings.U_SEED, num_chunks=engine_settings.U_NUM_CHUNKS
        )
        notes.append(f"u estimated by random sampling of up to {int(pairs)} pairs")
    except Exception as exc:
        notes.append(f"u not estimated ({type(exc).__name__}), defaults used")
    for rule in engine_settings.EM_BLOCKING_RULES:
        try:
            training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, max_pairs=engine_settings.EM_MAX_PAIRS
            )
            notes.append(f"m estimated by EM blocked on {rule}")
        except Exception as exc:
            notes.append(f"EM blocked on {rule} not run ({type(exc).__name__})")
    trained = _fill_untrained(linker.misc.save_model_to_json(), notes)
    trained["probability_two_random_records_match"] = _estimate_prior(linker, table, trained, notes)
    return LinkModel(
        version=engine_settings.MODEL_VERSION,
        splink_settings=trained,
        training_notes=notes,
        record_count=count,
    )
