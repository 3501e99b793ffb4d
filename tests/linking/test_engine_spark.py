"""The same trained model scored on Splink's Spark backend (pyspark, local[2]) gives DuckDB's proposals."""

from __future__ import annotations

import pytest

from shopwatch.linking.engine import score_all, train_model
from shopwatch.linking.engine.settings import PROPOSAL_THRESHOLD
from shopwatch.linking.engine.spark import java_available, spark_sql
from tests.linking.test_engine import fake_1000

pytestmark = pytest.mark.skipif(
    not java_available(), reason="Spark needs Java: no java on PATH and no JAVA_HOME"
)

TOLERANCE = 0.01


def test_duckdb_sql_is_spelt_for_spark() -> None:
    assert (
        spark_sql("jaro_winkler_similarity(town_l, town_r) >= 0.9")
        == "SHOPWATCH_JARO_WINKLER(town_l, town_r) >= 0.9"
    )
    assert spark_sql("list_has_any(forename_forms_l, forename_forms_r)") == (
        "ARRAYS_OVERLAP(forename_forms_l, forename_forms_r)"
    )
    assert spark_sql("ELSE") == "ELSE"


def test_spark_gives_the_same_proposals_as_duckdb_on_fake_1000() -> None:
    pytest.importorskip("pyspark")
    records, _ = fake_1000()
    model = train_model(records)  # trained once, on DuckDB
    duck = {(p.record_id_l, p.record_id_r): p for p in score_all(records, model, backend="duckdb")}
    spark = {(p.record_id_l, p.record_id_r): p for p in score_all(records, model, backend="spark")}

    proposals_duck = {k for k, p in duck.items() if p.match_probability >= PROPOSAL_THRESHOLD}
    proposals_spark = {k for k, p in spark.items() if p.match_probability >= PROPOSAL_THRESHOLD}
    assert len(proposals_duck) > 500
    assert proposals_spark == proposals_duck
    for key in proposals_duck:
        assert spark[key].match_probability == pytest.approx(duck[key].match_probability, abs=TOLERANCE)
        assert [f.comparison for f in spark[key].explanation] == [f.comparison for f in duck[key].explanation]
