"""Scoring on Splink's Spark backend: the same trained model, its SQL translated to Spark SQL.

The model is trained once on DuckDB (``model.train_model``); its settings dictionary (comparisons with trained
m and u, blocking rules, prior) is scored here unchanged in meaning. Only the SQL spelling differs: DuckDB's
``jaro_winkler_similarity`` becomes ``shopwatch_jaro_winkler`` (the same function as a Spark UDF),
``list_has_any`` becomes ``arrays_overlap``, and sqlglot rewrites the rest (``substr``, ``date_diff``).
pyspark runs in local mode (``local[2]``) unless ``SHOPWATCH_SPARK_MASTER`` names a cluster; Splink's bundled
jar supplies ``damerau_levenshtein``.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
from collections.abc import Sequence
from typing import Any

import sqlglot

from shopwatch.linking.engine import settings as engine_settings
from shopwatch.linking.engine.model import SPLINK_LOG_LEVEL, LinkModel
from shopwatch.linking.engine.records import PersonRecord, ScoredPair, prepare

#: DuckDB functions whose Spark equivalent has another name (before sqlglot translates the rest).
_RENAMES = {
    re.compile(r"\bjaro_winkler_similarity\s*\(", re.IGNORECASE): "shopwatch_jaro_winkler(",
    re.compile(r"\blist_has_any\s*\(", re.IGNORECASE): "arrays_overlap(",
}


def jaro_winkler_similarity(a: str | None, b: str | None) -> float | None:
    """DuckDB's ``jaro_winkler_similarity`` (prefix weight 0.1 over up to four characters, applied above a
    Jaro similarity of 0.7), for Spark. The ``jaro_winkler`` of Splink's bundled jar scores differently (it
    puts "London" and "Lodon" below 0.9, DuckDB above), which would move pairs between comparison levels."""
    if a is None or b is None:
        return None
    if a == b:
        return 1.0
    len_a, len_b = len(a), len(b)
    if not len_a or not len_b:
        return 0.0
    window = max(max(len_a, len_b) // 2 - 1, 0)
    used_a, used_b = [False] * len_a, [False] * len_b
    matches = 0
    for i, char in enumerate(a):
        for j in range(max(0, i - window), min(len_b, i + window + 1)):
            if not used_b[j] and b[j] == char:
                used_a[i] = used_b[j] = True
                matches += 1
                break
    if not matches:
        return 0.0
    transpositions, k = 0, 0
    for i in range(len_a):
        if used_a[i]:
            while not used_b[k]:
                k += 1
            transpositions += a[i] != b[k]
            k += 1
    jaro = (matches / len_a + matches / len_b + (matches - transpositions // 2) / matches) / 3
    if jaro > 0.7:
        prefix = 0
        for x, y in zip(a[:4], b[:4], strict=False):
            if x != y:
                break
            prefix += 1
        jaro += prefix * 0.1 * (1 - jaro)
    return jaro


def spark_sql(duckdb_sql: str) -> str:
    """One condition or blocking rule of the settings, from DuckDB SQL to Spark SQL."""
    if duckdb_sql.strip().upper() == "ELSE":
        return duckdb_sql
    sql = duckdb_sql
    for pattern, replacement in _RENAMES.items():
        sql = pattern.sub(replacement, sql)
    return str(sqlglot.transpile(sql, read="duckdb", write="spark")[0])


def spark_settings(splink_settings: dict[str, Any]) -> dict[str, Any]:
    """A (trained) settings dictionary with every SQL condition and blocking rule in Spark SQL."""
    result = copy.deepcopy(splink_settings)
    for comparison in result["comparisons"]:
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = spark_sql(str(level["sql_condition"]))
    rules: list[Any] = []
    for rule in result["blocking_rules_to_generate_predictions"]:
        if isinstance(rule, dict):
            rules.append(
                {**rule, "blocking_rule": spark_sql(str(rule["blocking_rule"])), "sql_dialect": "spark"}
            )
        else:
            rules.append(spark_sql(str(rule)))
    result["blocking_rules_to_generate_predictions"] = rules
    result["sql_dialect"] = "spark"
    return result


def spark_master() -> str:
    return os.environ.get("SHOPWATCH_SPARK_MASTER", "").strip() or "local[2]"


def java_available() -> bool:
    return bool(os.environ.get("JAVA_HOME")) or shutil.which("java") is not None


def spark_session() -> Any:
    """The Spark session (created once per process) with Splink's similarity jar on its classpath."""
    from pyspark.sql import SparkSession
    from pyspark.sql.types import DoubleType
    from splink.backends.spark import similarity_jar_location

    spark = (
        SparkSession.builder.master(spark_master())
        .appName("shopwatch-linking")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", os.environ.get("SHOPWATCH_SPARK_SHUFFLE_PARTITIONS", "4"))
        .config("spark.default.parallelism", "4")
        .config("spark.driver.memory", os.environ.get("SHOPWATCH_SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.udf.register("shopwatch_jaro_winkler", jaro_winkler_similarity, DoubleType())
    return spark


def score_all_spark(
    records: Sequence[PersonRecord],
    model: LinkModel,
    *,
    min_probability: float = engine_settings.MIN_PROBABILITY,
) -> list[ScoredPair]:
    """``scoring.score_all`` on the Spark backend: the same pairs, probabilities and explanations."""
    from splink import Linker
    from splink.backends.spark import SparkAPI

    from shopwatch.linking.engine.scoring import _check_unique_ids, _Explainer

    _check_unique_ids(records)
    if len(records) < 2:
        return []
    spark = spark_session()
    frame = spark.createDataFrame(prepare(records))
    db_api = SparkAPI(  # type: ignore[no-untyped-call]
        spark_session=spark, num_partitions_on_repartition=2, break_lineage_method="persist"
    )
    registered = db_api.register(frame, dataset_display_name="people")
    linker = Linker(registered, spark_settings(model.splink_settings), log_level=SPLINK_LOG_LEVEL)
    predictions = linker.inference.predict(threshold_match_probability=min_probability)
    table = predictions.as_pyarrow_table()  # type: ignore[no-untyped-call]
    predictions.drop_table_from_database_and_remove_from_cache()
    return _Explainer(model).pairs(table, min_probability=min_probability)
