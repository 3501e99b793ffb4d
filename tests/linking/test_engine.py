"""The linkage engine on real data read in place: Splink's fake_1000 and a FEBRL4 sample."""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path

import pytest

from shopwatch.linking.engine import (
    MODEL_VERSION,
    PROPOSAL_THRESHOLD,
    LinkModel,
    PersonRecord,
    ScoredPair,
    ScoringIndex,
    score_all,
    train_model,
)
from shopwatch.linking.engine.clusters import cluster_pairwise_scores, connected_components
from shopwatch.linking.engine.records import clean_date_of_birth, clean_name, clean_postcode, forename_forms
from shopwatch.linking.engine.scoring import score_all_to_csv
from shopwatch.linking.engine.settings import MIN_PROBABILITY
from tests.shared_data import DATA

FAKE_1000 = DATA / "linkage" / "splink" / "fake_1000_from_splink_demos.csv"
FEBRL = DATA / "linkage" / "febrl"
FIELDS = ["prior", "first_name", "surname", "date_of_birth", "postcode", "town"]


def fake_1000() -> tuple[list[PersonRecord], dict[str, str]]:
    with FAKE_1000.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    records = [
        PersonRecord(
            record_id=r["unique_id"],
            first_name=r["first_name"],
            surname=r["surname"],
            date_of_birth=r["dob"],
            town=r["city"],
            source=f"retailer-{int(r['unique_id']) % 3}",
        )
        for r in rows
    ]
    return records, {r["unique_id"]: r["cluster"] for r in rows}


def febrl4_sample(people: int) -> tuple[list[PersonRecord], dict[str, str]]:
    """FEBRL4 a and b records whose person number is below ``people`` (each person once in a and in b)."""
    records: list[PersonRecord] = []
    truth: dict[str, str] = {}
    for part in ("a", "b"):
        with (FEBRL / f"dataset4{part}.csv").open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh, skipinitialspace=True):
                rid = row["rec_id"].strip()
                if int(rid.split("-")[1]) >= people:
                    continue
                dob = row["date_of_birth"].strip()
                records.append(
                    PersonRecord(
                        record_id=rid,
                        first_name=row["given_name"],
                        surname=row["surname"],
                        date_of_birth=f"{dob[:4]}-{dob[4:6]}-{dob[6:]}" if len(dob) == 8 else dob,
                        postcode=row["postcode"],
                        town=row["suburb"],
                        source=f"febrl4{part}",
                    )
                )
                truth[rid] = rid.split("-")[1]
    return records, truth


Fake = tuple[list[PersonRecord], dict[str, str], LinkModel]


@pytest.fixture(scope="module")
def fake() -> tuple[list[PersonRecord], dict[str, str], LinkModel]:
    records, truth = fake_1000()
    return records, truth, train_model(records)


def cluster_f1(records: list[PersonRecord], pairs: list[ScoredPair], truth: dict[str, str]) -> float:
    links = [(p.record_id_l, p.record_id_r) for p in pairs if p.match_probability >= PROPOSAL_THRESHOLD]
    return cluster_pairwise_scores(connected_components([r.record_id for r in records], links), truth).f1


def test_normalisation_of_names_dates_and_postcodes() -> None:
    assert clean_name("  O'Brien-Smith ") == "obrien smith"
    assert clean_name("José") == "jose"
    assert clean_name(" - ") is None
    assert clean_date_of_birth("1980-05-07") == "1980-05-07"
    assert clean_date_of_birth("19800507") == "1980-05-07"
    assert clean_date_of_birth("1980-13-07") == "1980"
    assert clean_date_of_birth("1980-05") == "1980-05"
    assert clean_date_of_birth("07/05/1980") is None
    assert clean_postcode("bn1 1aa") == ("BN11AA", "BN1")
    assert clean_postcode("2612") == ("2612", "261")
    assert forename_forms("bob") == ("bob", "robert")
    assert forename_forms("robert") == ("robert",)


def test_training_learns_from_the_records(fake: Fake) -> None:
    _, _, model = fake
    assert model.version == MODEL_VERSION
    assert model.record_count == 1000
    assert any(note.startswith("u estimated") for note in model.training_notes)
    assert any(note.startswith("m estimated by EM") for note in model.training_notes)
    weights = model.level_weights()
    # Agreement raises the weight, disagreement lowers it, for every field the data holds.
    for name in ("first_name", "surname", "date_of_birth", "town"):
        levels = weights[name]
        assert levels[0][1] is None  # the null level
        assert levels[1][1] is not None
        assert levels[1][1] > 0
        assert levels[-1][1] is not None
        assert levels[-1][1] < 0
    # fake_1000 has no postcodes: the postcode levels keep their documented defaults.
    assert any("postcode / Same postcode: m not learnt" in note for note in model.training_notes)
    assert 0 < model.probability_two_random_records_match < 0.5


def test_fake_1000_clusters_match_the_truth(
    fake: Fake,
) -> None:
    records, truth, model = fake
    pairs = score_all(records, model)
    assert all(0.01 <= p.match_probability <= 1 for p in pairs)
    assert all(p.record_id_l < p.record_id_r for p in pairs)
    assert cluster_f1(records, pairs, truth) >= 0.75


def test_explanation_names_each_field_and_sums_to_the_match_weight(
    fake: Fake,
) -> None:
    records, _, model = fake
    by_id = {r.record_id: r for r in records}
    pairs = score_all(records, model)
    for pair in pairs[:200]:
        assert [w.field for w in pair.explanation] == FIELDS
        assert math.isclose(sum(w.match_weight for w in pair.explanation), pair.match_weight, abs_tol=1e-6)
        assert math.isclose(pair.match_probability, 2**pair.match_weight / (1 + 2**pair.match_weight))
    # A pair with the same forename and date of birth says so, with positive weights.
    same = next(
        p
        for p in pairs
        if by_id[p.record_id_l].first_name.strip().lower() == by_id[p.record_id_r].first_name.strip().lower()
        and by_id[p.record_id_l].date_of_birth == by_id[p.record_id_r].date_of_birth
        and by_id[p.record_id_l].first_name.strip()
        and by_id[p.record_id_l].date_of_birth
    )
    explained = {w.field: w for w in same.explanation}
    assert explained["first_name"].comparison == "Same forename"
    assert explained["first_name"].match_weight > 0
    assert explained["date_of_birth"].comparison == "Same date of birth"
    assert explained["date_of_birth"].match_weight > 0
    assert explained["postcode"].comparison == "Postcode missing"
    assert explained["postcode"].match_weight == 0
    assert explained["prior"].match_weight < 0


def test_model_json_round_trip_scores_the_same(
    fake: Fake,
) -> None:
    records, _, model = fake
    again = LinkModel.from_json(model.to_json())
    assert again == model
    sample = records[:150]
    assert score_all(sample, again) == score_all(sample, model)
    with pytest.raises(ValueError, match="Not a saved link model"):
        LinkModel.from_json('{"comparisons": []}')


def test_scoring_index_equals_score_all_on_the_same_pairs(
    fake: Fake,
) -> None:
    records, _, model = fake
    existing, new = records[:-25], records[-25:]
    index = ScoringIndex.build(existing, model)
    incremental = index.score(new)
    new_ids = {r.record_id for r in new}
    full = [p for p in score_all(records, model) if p.record_id_l in new_ids or p.record_id_r in new_ids]
    assert incremental
    assert incremental == full


def test_scoring_index_keeps_splinks_sql_and_scores_each_call_as_score_all(
    fake: Fake,
) -> None:
    records, _, model = fake
    existing, new = records[:-12], records[-12:]
    index = ScoringIndex.build(existing, model)
    # One person at a time, then batches: after the first call of each kind Splink's SQL is run as kept.
    batches = [[person] for person in new[:6]] + [new[6:9], new[9:]]
    for batch in batches:
        ids = {r.record_id for r in batch}
        full = [
            p for p in score_all([*existing, *batch], model) if p.record_id_l in ids or p.record_id_r in ids
        ]
        assert index.score(batch) == full
    assert any(p.match_probability >= PROPOSAL_THRESHOLD for b in batches for p in index.score(b))
    assert set(index._plans) == {("between", MIN_PROBABILITY), ("within", MIN_PROBABILITY)}


def test_scoring_index_scores_a_changed_record_without_its_old_version(
    fake: Fake,
) -> None:
    records, _, model = fake
    index = ScoringIndex.build(records, model)
    target = next(r for r in records if r.first_name.strip() and r.surname.strip() and r.date_of_birth)
    changed = dataclasses.replace(target, first_name="Zebedee", surname="Quixley", date_of_birth="1901-01-01")
    pairs = index.score([changed])
    assert all(target.record_id in (p.record_id_l, p.record_id_r) for p in pairs)
    assert all(p.record_id_l != p.record_id_r for p in pairs)
    # With every identifying field changed, nothing links to the record any more.
    assert all(p.match_probability < PROPOSAL_THRESHOLD for p in pairs)
    others = [r for r in records if r.record_id != target.record_id]
    assert index.score([changed]) == [
        p for p in score_all([*others, changed], model) if target.record_id in (p.record_id_l, p.record_id_r)
    ]


def test_tiny_blank_and_all_unique_inputs_never_crash() -> None:
    assert score_all([], train_model([])) == []
    one = [PersonRecord(record_id="1", first_name="Ann", surname="Lee")]
    assert score_all(one, train_model(one)) == []
    three = [
        PersonRecord(record_id="a", first_name="Robert", surname="Jones", date_of_birth="1980-02-03"),
        PersonRecord(record_id="b", first_name="Bob", surname="Jones", date_of_birth="1980-02-03"),
        PersonRecord(record_id="c", first_name="Mary", surname="Smith", date_of_birth="1975-09-30"),
    ]
    model = train_model(three)
    assert model.training_notes[0].startswith("3 records")
    pairs = score_all(three, model)
    assert [(p.record_id_l, p.record_id_r) for p in pairs if p.match_probability >= PROPOSAL_THRESHOLD] == [
        ("a", "b")
    ]
    nickname = {w.field: w.comparison for w in pairs[0].explanation}["first_name"]
    assert nickname == "Nickname of the same forename"
    # Only ids and names, every other column blank; and all-unique people: training falls back, scoring runs.
    blank = [PersonRecord(record_id=str(i), first_name=f"name{i:04d}") for i in range(220)]
    assert score_all(blank, train_model(blank)) == []


def test_duplicate_ids_are_refused() -> None:
    records = [PersonRecord(record_id="1", first_name="A"), PersonRecord(record_id="1", first_name="B")]
    with pytest.raises(ValueError, match="more than once"):
        score_all(records, train_model(records))


def test_csv_scoring_writes_the_same_pairs_as_score_all(fake: Fake, tmp_path: Path) -> None:
    records, _, model = fake
    out = tmp_path / "pairs.csv"
    written = score_all_to_csv(records, model, out)
    pairs = score_all(records, model)
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert written.pairs == len(rows) == len(pairs)
    assert written.proposals == sum(1 for p in pairs if p.match_probability >= PROPOSAL_THRESHOLD)
    assert [(r["record_id_l"], r["record_id_r"]) for r in rows] == [
        (p.record_id_l, p.record_id_r) for p in pairs
    ]
    assert all(
        abs(float(r["match_probability"]) - p.match_probability) <= 5e-7
        for r, p in zip(rows, pairs, strict=True)
    )
