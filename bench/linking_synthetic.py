"""Synthetic person records for the linkage speed benchmarks, with known truth.

Names and towns are drawn with their real frequencies from the shared data (Splink's fake_20000 and FEBRL,
read in place; only values seen at least twice, so most of their typos stay out of the pools); postcodes
follow the UK shape. Each synthetic person is held by 1 to 4 organisations; every copy after the first may be
corrupted the way retailers' and forces' records differ: typing errors, nicknames, swapped or missing names,
mistyped, swapped or partial dates of birth, another postcode or town, blanks.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import random
import string
from collections import Counter
from pathlib import Path

from linking_data import LINKAGE

from shopwatch.linking.engine import PersonRecord
from shopwatch.linking.engine.records import nickname_forms

SOURCES = [f"retailer-{i}" for i in range(12)] + [f"police-{i}" for i in range(4)] + ["bcrp-1", "bcrp-2"]


def _pools() -> tuple[list[str], list[int], list[str], list[int], list[str], list[int]]:
    first: Counter[str] = Counter()
    last: Counter[str] = Counter()
    towns: Counter[str] = Counter()
    with (LINKAGE / "splink" / "fake_20000_from_splink_demos.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            first[row["first_name"].strip().title()] += 1
            last[row["surname"].strip().title()] += 1
            towns[row["city"].strip()] += 1
    for part in ("a", "b"):
        with (LINKAGE / "febrl" / f"dataset4{part}.csv").open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh, skipinitialspace=True):
                first[row["given_name"].strip().title()] += 1
                last[row["surname"].strip().title()] += 1
                towns[row["suburb"].strip().title()] += 1

    def keep(counter: Counter[str]) -> tuple[list[str], list[int]]:
        items = [(k, n) for k, n in counter.items() if k and n >= 2]
        return [k for k, _ in items], [n for _, n in items]

    return (*keep(first), *keep(last), *keep(towns))


def _typo(rng: random.Random, value: str) -> str:
    if len(value) < 2:
        return value
    i = rng.randrange(len(value))
    kind = rng.random()
    if kind < 0.3:
        return value[:i] + value[i + 1 :]
    if kind < 0.6 and i < len(value) - 1:
        return value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    return value[:i] + rng.choice(string.ascii_lowercase) + value[i + 1 :]


def _postcode(rng: random.Random) -> str:
    area = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.choice((1, 2))))
    unit = "".join(rng.choice("ABDEFGHJLNPQRSTUWXYZ") for _ in range(2))
    return f"{area}{rng.randint(1, 29)} {rng.randint(0, 9)}{unit}"


def generate(count: int, *, seed: int = 7) -> tuple[list[PersonRecord], dict[str, str]]:
    """``count`` person records and their truth (record id -> person)."""
    rng = random.Random(seed)
    firsts, first_w, lasts, last_w, towns, town_w = _pools()
    first_w, last_w, town_w = (list(itertools.accumulate(w)) for w in (first_w, last_w, town_w))
    nicknames: dict[str, list[str]] = {}
    for nick, names in nickname_forms().items():
        for name in names:
            nicknames.setdefault(name, []).append(nick)
    start = dt.date(1940, 1, 1).toordinal()
    records: list[PersonRecord] = []
    truth: dict[str, str] = {}
    person = 0
    while len(records) < count:
        person += 1
        first = rng.choices(firsts, cum_weights=first_w)[0]
        last = rng.choices(lasts, cum_weights=last_w)[0]
        dob = dt.date.fromordinal(start + rng.randrange(365 * 70)).isoformat()
        postcode = _postcode(rng)
        town = rng.choices(towns, cum_weights=town_w)[0]
        copies = rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0]
        for copy in range(copies):
            f, s, d, p, t = first, last, dob, postcode, town
            if copy:
                r = rng.random
                if r() < 0.12:
                    f = _typo(rng, f.lower()).title()
                if r() < 0.12:
                    s = _typo(rng, s.lower()).title()
                if r() < 0.15 and f.lower() in nicknames:
                    f = rng.choice(nicknames[f.lower()]).title()
                if r() < 0.03:
                    f, s = s, f
                if r() < 0.05:
                    f = ""
                if r() < 0.03:
                    s = ""
                roll = r()
                if roll < 0.08:
                    d = _typo(rng, d.replace("-", ""))
                    d = f"{d[:4]}-{d[4:6]}-{d[6:]}" if len(d) == 8 else ""
                elif roll < 0.11:
                    d = f"{d[:4]}-{d[8:]}-{d[5:7]}"
                elif roll < 0.16:
                    d = ""
                elif roll < 0.18:
                    d = d[:4]
                roll = r()
                if roll < 0.2:
                    p = ""
                elif roll < 0.25:
                    p = _typo(rng, p)
                elif roll < 0.35:
                    p = _postcode(rng)
                roll = r()
                if roll < 0.2:
                    t = ""
                elif roll < 0.3:
                    t = rng.choices(towns, cum_weights=town_w)[0]
            rid = f"s{len(records):07d}"
            records.append(PersonRecord(rid, f, s, d, p, t, rng.choice(SOURCES)))
            truth[rid] = str(person)
            if len(records) == count:
                break
    return records, truth


def write(path: Path, records: list[PersonRecord]) -> None:
    from linking_data import write_contract_csv

    write_contract_csv(records, path)
