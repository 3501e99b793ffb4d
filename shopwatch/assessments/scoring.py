"""Scoring a self-assessment against its question set: pure functions of the data, no database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shopwatch.core.errors import FieldError

NEXT_STEPS = 3


@dataclass(frozen=True)
class Scored:
    score: int  # per cent of the points available
    area_scores: dict[str, int]  # per cent, by area key
    next_steps: list[dict[str, str]]  # [{"question", "area", "advice"}], the most useful first


def check_answers(questions: list[dict[str, Any]], answers: dict[str, str]) -> list[FieldError]:
    """One error per unanswered question, unknown question or answer that is not one of its choices."""
    errors: list[FieldError] = []
    known = {q["id"]: q for q in questions}
    for qid in answers:
        if qid not in known:
            errors.append(FieldError(f"answers.{qid[:60]}", "Not a question of this assessment."))
    for q in questions:
        value = answers.get(q["id"])
        if value is None:
            errors.append(FieldError(f"answers.{q['id']}", "Please answer this question."))
        elif value not in {a["value"] for a in q["answers"]}:
            choices = ", ".join(a["value"] for a in q["answers"])
            errors.append(FieldError(f"answers.{q['id']}", f"One of {choices}."))
    return errors


def score(questions: list[dict[str, Any]], areas: list[dict[str, str]], answers: dict[str, str]) -> Scored:
    """The overall and per-area score, and the three most useful next steps.

    The most useful step is the one that would gain the most points, in the weakest area first, then in
    the order the questions are asked (so the same answers always give the same advice).
    """
    got = total = 0
    by_area: dict[str, list[int]] = {a["key"]: [0, 0] for a in areas}
    gaps: list[tuple[int, int, int, dict[str, Any]]] = []
    for order, q in enumerate(questions):
        best = max(a["points"] for a in q["answers"])
        points = next(a["points"] for a in q["answers"] if a["value"] == answers[q["id"]])
        got += points
        total += best
        by_area[q["area"]][0] += points
        by_area[q["area"]][1] += best
        if points < best:
            gaps.append((best - points, 0, order, q))
    area_scores = {key: round(100 * g / t) if t else 100 for key, (g, t) in by_area.items()}
    ranked = sorted(gaps, key=lambda g: (-g[0], area_scores[g[3]["area"]], g[2]))
    titles = {a["key"]: a["title"] for a in areas}
    steps = [
        {"question": q["id"], "area": titles.get(q["area"], q["area"]), "advice": q["advice"]}
        for _, _, _, q in ranked[:NEXT_STEPS]
    ]
    return Scored(round(100 * got / total) if total else 100, area_scores, steps)
