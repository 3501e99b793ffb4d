"""The trained linkage model: Splink's settings with their m and u probabilities, trained without labels."""

from __future__ import annotations

import copy
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

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
    prior = trained.get("probability_two_random_records_match")
    if not _valid_probability(prior) or float(cast(float, prior)) >= 0.5:
        notes.append("prior not learnt from the data, default used")
        result["probability_two_random_records_match"] = (
            engine_settings.DEFAULT_PROBABILITY_TWO_RANDOM_RECORDS_MATCH
        )
    return result


def train_model(records: Sequence[PersonRecord]) -> LinkModel:
    """Train the model without labels on the records themselves.

    The prior comes from deterministic rules, u from random sampling, m from expectation maximisation over the
    training blocking passes. Any step the records cannot support falls back to the documented defaults, so
    training never fails on odd input (a handful of rows, blank columns, all-unique records).
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
    prior: float | None = None
    linker = new_linker(prepare(records), engine_settings.splink_settings())
    training = linker.training
    try:
        training.estimate_probability_two_random_records_match(
            list(engine_settings.DETERMINISTIC_RULES), recall=engine_settings.DETERMINISTIC_RULES_RECALL
        )
        prior = float(linker.misc.save_model_to_json()["probability_two_random_records_match"])
        notes.append("prior estimated from deterministic rules")
    except Exception as exc:
        notes.append(f"prior not estimated ({type(exc).__name__}), default used")
    try:
        pairs = min(engine_settings.U_MAX_PAIRS, count * (count - 1) / 2)
        training.estimate_u_using_random_sampling(max_pairs=pairs, seed=engine_settings.U_SEED)
        notes.append(f"u estimated by random sampling of up to {int(pairs)} pairs")
    except Exception as exc:
        notes.append(f"u not estimated ({type(exc).__name__}), defaults used")
    for rule in engine_settings.EM_BLOCKING_RULES:
        try:
            training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
            notes.append(f"m estimated by EM blocked on {rule}")
        except Exception as exc:
            notes.append(f"EM blocked on {rule} not run ({type(exc).__name__})")
    trained = linker.misc.save_model_to_json()
    # EM lets the prior float within its passes; the model keeps the one the deterministic rules estimated.
    trained["probability_two_random_records_match"] = prior
    return LinkModel(
        version=engine_settings.MODEL_VERSION,
        splink_settings=_fill_untrained(trained, notes),
        training_notes=notes,
        record_count=count,
    )
