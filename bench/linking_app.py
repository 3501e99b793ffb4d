"""Benchmark: the linking app over the demo world (in-app runs, incremental scoring, the analyst's reads).

    uv run python bench/linking_app.py                      # shopwatch seed --incidents 20000 in a temp dir
    uv run python bench/linking_app.py --incidents 100000

Steps, each timed on SQLite (the embedded default):

1. ``shopwatch seed --incidents N`` into an empty database (not part of the figures);
2. ``link_run``: read every linkable person, train (EM, no labels), score all pairs, store proposals;
3. ``link_score_changed`` after one new person is filed (what the every-minute job does): the stored model,
   the scoring index over every person, and the new proposals;
4. Opal's demo analyst: the first page of proposals, one proposal, the prolific-offender ranking and the
   organised groups (each read through the analyst's entitlements).

Results go to ``bench/results/linking-app-<N>-<time>.json`` and a summary is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--incidents", type=int, default=20_000)
    args = p.parse_args()
    data = Path(tempfile.mkdtemp(prefix="shopwatch-linking-bench-"))
    env = {**os.environ, "SHOPWATCH_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "shopwatch.settings"}
    shopwatch = [sys.executable, "-m", "shopwatch.cli"]
    subprocess.run([*shopwatch, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*shopwatch, "seed", "--incidents", str(args.incidents)],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import transaction

    from shopwatch.core.entitlements import viewer_for
    from shopwatch.core.models import Organisation, User
    from shopwatch.linking import network, selectors
    from shopwatch.linking.models import LinkProposal
    from shopwatch.linking.services import link_run, link_score_changed
    from shopwatch.subjects.models import Person
    from shopwatch.subjects.services import person_create

    out: dict[str, Any] = {"incidents": args.incidents, "persons": Person.objects.count()}

    def timed(name: str, fn: Any) -> Any:
        start = time.perf_counter()
        result = fn()
        out[name] = round(time.perf_counter() - start, 3)
        return result

    run = timed("link_run_s", link_run)
    out["proposals"] = LinkProposal.objects.count()
    out["pairs_scored"] = run.pairs
    template = (
        Person.objects.filter(distribution="police", date_of_birth__isnull=False).order_by("id").first()
    )
    assert template is not None
    oxford = Organisation.objects.get(slug="oxford-bcrp")
    manager = viewer_for(User.objects.get(email="partnership.oxford@demo.shopwatch.test"))
    person_create(
        viewer=manager,
        owner_org=oxford,
        partnership=oxford,
        given_name=template.given_name,
        family_name=template.family_name + "e",
        date_of_birth=template.date_of_birth,
        distribution="police",
    )
    incremental = timed("score_one_new_person_s", link_score_changed)
    out["new_proposals_for_it"] = incremental.proposals_new
    analyst = viewer_for(User.objects.get(email="analyst@demo.shopwatch.test"))
    with transaction.atomic():
        rows = timed("analyst_proposals_page_s", lambda: selectors.proposal_list(viewer=analyst, limit=50))
        out["analyst_proposals_on_page"] = len(rows)
        if rows:
            timed(
                "analyst_one_proposal_s",
                lambda: selectors.proposal_detail(viewer=analyst, proposal_id=rows[0].pk),
            )
        loaded = timed("analyst_network_load_s", lambda: network.load([analyst]))
        timed("analyst_offender_ranking_s", lambda: network.prolific_offenders(loaded))
        groups = timed("analyst_groups_s", lambda: network.organised_groups(loaded))
        out["analyst_groups"] = len(groups)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    stamp = dt.datetime.now(tz=dt.UTC).strftime("%Y%m%dT%H%M%S")
    (results / f"linking-app-{args.incidents}-{stamp}.json").write_text(json.dumps(out, indent=1))
    for k, v in out.items():
        print(f"{k:32} {v}")


if __name__ == "__main__":
    main()
