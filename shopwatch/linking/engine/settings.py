"""Every linking setting in one place: comparisons, blocking rules, training rules and thresholds.

docs/linking.md explains each choice. Comparisons are written as Splink settings dictionaries over the
prepared columns of ``records.prepare`` (DuckDB SQL). Each level carries a default m and u probability: these
are the fallback used when the records cannot train a level themselves (a tiny file, a blank column, a level
never seen); training without labels replaces them wherever the data speaks.
"""

from __future__ import annotations

import os
from typing import Any

#: Splink backends the engine scores on: DuckDB embedded (the default), or Spark (pyspark; ``local[2]`` unless
#: SHOPWATCH_SPARK_MASTER names a cluster). Training always runs on DuckDB; the trained model is shared.
BACKENDS = ("duckdb", "spark")


def link_backend() -> str:
    """The backend chosen by SHOPWATCH_LINK_BACKEND (``duckdb`` when unset)."""
    backend = os.environ.get("SHOPWATCH_LINK_BACKEND", "").strip().lower() or "duckdb"
    if backend not in BACKENDS:
        raise ValueError(f"SHOPWATCH_LINK_BACKEND={backend!r}: expected one of {', '.join(BACKENDS)}.")
    return backend


#: Bump when comparisons, blocking or training change: saved models and proposals say which engine made them.
MODEL_VERSION = "splink5-person-2026.12.1"

#: A pair at or above this probability is a proposed link (pinned by `shopwatch link evaluate`'s contract).
PROPOSAL_THRESHOLD = 0.5

#: Pairs below this probability are not kept at all.
MIN_PROBABILITY = 0.01

#: Below this many records there is too little to learn from: the default parameters are used as they stand.
MIN_RECORDS_TO_TRAIN = 200

#: Prior used when it cannot be estimated from deterministic rules.
DEFAULT_PROBABILITY_TWO_RANDOM_RECORDS_MATCH = 1e-4

#: Records that agree exactly on every field of one of these rules are (almost) certainly the same person.
#: They estimate the prior (never propose links): prior = share of all pairs the rules find / the rules'
#: recall, where the recall (the share of true matches the rules find) is itself estimated from the trained
#: model: the chance that a matching pair has both values present and equal on every field of a rule (m of the
#: exact level times the share of pairs with both values present), combined over the rules as if fields were
#: independent.
DETERMINISTIC_RULE_FIELDS: list[tuple[str, ...]] = [
    ("first_name", "surname", "date_of_birth"),
    ("surname", "date_of_birth", "postcode"),
    ("first_name", "date_of_birth", "postcode"),
]
DETERMINISTIC_RULES = [" AND ".join(f"l.{f} = r.{f}" for f in fields) for fields in DETERMINISTIC_RULE_FIELDS]

#: The recall assumed when it cannot be estimated, and the least recall ever assumed (so that a field that is
#: rarely equal cannot inflate the prior without bound).
DETERMINISTIC_RULES_RECALL = 0.6
DETERMINISTIC_RULES_MIN_RECALL = 0.02

#: Pairs sampled at random to estimate u (how often fields agree by chance).
U_MAX_PAIRS = 1e6
U_SEED = 20261206
#: One pass over the sample: Splink's early stopping waits for 100 pairs in every level, which rare levels
#: (day and month swapped) never reach, so chunking only adds passes.
U_NUM_CHUNKS = 1

#: Expectation maximisation passes that estimate m. A pass cannot learn about the fields it blocks on;
#: together they cover every comparison.
EM_BLOCKING_RULES = [
    "l.first_name = r.first_name AND l.surname = r.surname",
    "l.date_of_birth = r.date_of_birth",
    "l.postcode = r.postcode",
]

#: The most blocked pairs one EM pass reads (a deterministic sample beyond that: EM needs a few million pairs,
#: not the 20 million that one date of birth shares at a million records).
EM_MAX_PAIRS = 2e6

#: Blocking rules that generate the candidate pairs to score (a pair found by any one is scored once).
BLOCKING_RULES = [
    "l.first_name = r.first_name AND l.surname = r.surname",
    "l.first_name = r.surname AND l.surname = r.first_name",
    "l.surname = r.surname AND l.date_of_birth = r.date_of_birth",
    "l.first_name = r.first_name AND l.date_of_birth = r.date_of_birth",
    "l.surname = r.surname AND l.postcode = r.postcode",
    "l.first_name = r.first_name AND l.postcode = r.postcode",
    "l.date_of_birth = r.date_of_birth AND l.postcode_district = r.postcode_district",
    "l.date_of_birth = r.date_of_birth AND l.town = r.town",
    "l.date_of_birth = r.date_of_birth AND substr(l.first_name, 1, 1) = substr(r.first_name, 1, 1)",
    "l.date_of_birth = r.date_of_birth AND substr(l.surname, 1, 1) = substr(r.surname, 1, 1)",
    "l.date_of_birth = r.date_of_birth AND substr(l.first_name, 1, 1) = substr(r.surname, 1, 1)",
    "substr(l.date_of_birth, 1, 7) = substr(r.date_of_birth, 1, 7) AND l.first_name = r.first_name",
    "substr(l.date_of_birth, 1, 7) = substr(r.date_of_birth, 1, 7) AND l.surname = r.surname",
    "substr(l.first_name, 1, 2) = substr(r.first_name, 1, 2)"
    " AND substr(l.surname, 1, 2) = substr(r.surname, 1, 2)"
    " AND substr(l.date_of_birth, 1, 4) = substr(r.date_of_birth, 1, 4)",
]


def _level(label: str, sql: str, m: float, u: float, *, tf: str | None = None) -> dict[str, Any]:
    level: dict[str, Any] = {
        "sql_condition": sql,
        "label_for_charts": label,
        "m_probability": m,
        "u_probability": u,
    }
    if tf is not None:
        level["tf_adjustment_column"] = tf
        level["tf_adjustment_weight"] = 1.0
    return level


def _null(label: str, sql: str) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, "is_null_level": True}


def _jw(column: str, threshold: float) -> str:
    return f"jaro_winkler_similarity({column}_l, {column}_r) >= {threshold}"


_DAYS = "abs(date_diff('day', date_of_birth_date_l, date_of_birth_date_r))"
_FULL_DATES = "length(date_of_birth_l) = 10 AND length(date_of_birth_r) = 10"

COMPARISONS: list[dict[str, Any]] = [
    {
        "output_column_name": "first_name",
        "comparison_description": "Forename",
        "comparison_levels": [
            _null("Forename missing", "first_name_l IS NULL OR first_name_r IS NULL"),
            _level("Same forename", "first_name_l = first_name_r", 0.80, 0.01, tf="first_name"),
            _level(
                "Forename given as the surname",
                "first_name_l = surname_r OR first_name_r = surname_l",
                0.02,
                0.0005,
            ),
            _level(
                "Nickname of the same forename",
                "list_has_any(forename_forms_l, forename_forms_r)",
                0.03,
                0.002,
            ),
            _level("Forename spelt slightly differently", _jw("first_name", 0.92), 0.07, 0.005),
            _level("Forename spelt differently", _jw("first_name", 0.80), 0.04, 0.03),
            _level(
                "Same initial",
                "substr(first_name_l, 1, 1) = substr(first_name_r, 1, 1)"
                " AND (length(first_name_l) = 1 OR length(first_name_r) = 1)",
                0.02,
                0.005,
            ),
            _level("Different forename", "ELSE", 0.02, 0.95),
        ],
    },
    {
        "output_column_name": "surname",
        "comparison_description": "Surname",
        "comparison_levels": [
            _null("Surname missing", "surname_l IS NULL OR surname_r IS NULL"),
            _level("Same surname", "surname_l = surname_r", 0.80, 0.002, tf="surname"),
            _level(
                "Surname given as the forename",
                "surname_l = first_name_r OR surname_r = first_name_l",
                0.02,
                0.0002,
            ),
            _level("Surname spelt slightly differently", _jw("surname", 0.92), 0.08, 0.002),
            _level(
                "Surname spelt differently or part of a double-barrelled one",
                f"{_jw('surname', 0.80)} OR contains(surname_l, surname_r) OR contains(surname_r, surname_l)",
                0.05,
                0.02,
            ),
            _level("Different surname", "ELSE", 0.05, 0.97),
        ],
    },
    {
        "output_column_name": "date_of_birth",
        "comparison_description": "Date of birth",
        "comparison_levels": [
            _null("Date of birth missing", "date_of_birth_l IS NULL OR date_of_birth_r IS NULL"),
            _level(
                "Same date of birth", f"date_of_birth_l = date_of_birth_r AND {_FULL_DATES}", 0.80, 0.0001
            ),
            _level(
                "Date of birth with one typing error",
                f"{_FULL_DATES} AND damerau_levenshtein(date_of_birth_l, date_of_birth_r) <= 1",
                0.08,
                0.002,
            ),
            _level(
                "Day and month swapped",
                f"{_FULL_DATES} AND substr(date_of_birth_l, 1, 4) = substr(date_of_birth_r, 1, 4)"
                " AND substr(date_of_birth_l, 6, 2) = substr(date_of_birth_r, 9, 2)"
                " AND substr(date_of_birth_l, 9, 2) = substr(date_of_birth_r, 6, 2)",
                0.02,
                0.0001,
            ),
            _level(
                "Date of birth within a month, or the same month when only that is known",
                f"{_DAYS} <= 31 OR (least(length(date_of_birth_l), length(date_of_birth_r)) = 7"
                " AND substr(date_of_birth_l, 1, 7) = substr(date_of_birth_r, 1, 7))",
                0.03,
                0.002,
            ),
            _level(
                "Date of birth within a year, or the same year when only that is known",
                f"{_DAYS} <= 366 OR (least(length(date_of_birth_l), length(date_of_birth_r)) = 4"
                " AND substr(date_of_birth_l, 1, 4) = substr(date_of_birth_r, 1, 4))",
                0.03,
                0.012,
            ),
            _level("Date of birth within ten years", f"{_DAYS} <= 3653", 0.02, 0.12),
            _level("Different date of birth", "ELSE", 0.02, 0.86),
        ],
    },
    {
        "output_column_name": "postcode",
        "comparison_description": "Postcode",
        "comparison_levels": [
            _null("Postcode missing", "postcode_l IS NULL OR postcode_r IS NULL"),
            _level("Same postcode", "postcode_l = postcode_r", 0.75, 0.0005),
            _level(
                "Postcode with one typing error",
                "damerau_levenshtein(postcode_l, postcode_r) <= 1",
                0.05,
                0.002,
            ),
            _level("Same postcode district", "postcode_district_l = postcode_district_r", 0.08, 0.02),
            _level("Different postcode", "ELSE", 0.12, 0.9775),
        ],
    },
    {
        "output_column_name": "town",
        "comparison_description": "Town",
        "comparison_levels": [
            _null("Town missing", "town_l IS NULL OR town_r IS NULL"),
            _level("Same town", "town_l = town_r", 0.80, 0.05, tf="town"),
            _level("Town spelt slightly differently", _jw("town", 0.90), 0.05, 0.005),
            _level("Another town", "ELSE", 0.15, 0.945),
        ],
    },
]


def splink_settings() -> dict[str, Any]:
    """The untrained Splink settings dictionary (deduplicating one table of person records)."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": DEFAULT_PROBABILITY_TWO_RANDOM_RECORDS_MATCH,
        "comparisons": COMPARISONS,
        "blocking_rules_to_generate_predictions": list(BLOCKING_RULES),
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
        "em_convergence": 0.001,
        "max_iterations": 25,
    }
