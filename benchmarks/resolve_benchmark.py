"""Benchmark of pipeline.build.resolve against the straightforward rapidfuzz approach.

Builds N published-looking names from the current communes of the committed reference (COG
2026) with seeded, realistic variations (article dropped or moved, accents removed, Saint → St,
hyphens ↔ spaces, case, ligatures, apostrophes, one-character typos; a share with the
département given, as a code or a name), the truth being the source commune's code. Resolves
them with `Resolver` and with what a user would write first: rapidfuzz
`process.extractOne(name, all_current_names, scorer=fuzz.WRatio,
processor=utils.default_process)` over every current commune name, ignoring the département.

The naive approach takes about 15 ms a name: it is timed on a random sample of the same names
(--naive-sample, default 2,000) and its speed extrapolated; our resolver is timed on all N and
also scored on that sample, so that accuracies are compared on the same names.

    .venv/bin/python benchmarks/resolve_benchmark.py [--n 100000] [--seed 2026]
        [--naive-sample 2000] [--bands]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

import pandas as pd
from rapidfuzz import fuzz, process, utils

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.build.resolve import Resolver
from pipeline.build.resolve.thresholds import FUZZY_MIN_SCORE, FUZZY_NO_DEPT_MIN_SCORE
from pipeline.build.sources.reference import read_reference
from pipeline.paths import Paths

ARTICLES = ("La ", "Le ", "Les ", "L'", "Aux ", "Las ", "Los ")
LETTERS = "abcdefghijklmnopqrstuvwxyz"

#: Probability of each variation (independent draws).
P_DEPT = 0.6  # département given (70 % as "59", 10 % unpadded "9", 20 % by name "Nord")
P_ARTICLE_DROP = 0.3
P_ARTICLE_MOVE = 0.1  # "Madeleine (La)"
P_NO_ACCENTS = 0.3
P_SAINT_ABBREV = 0.5
P_HYPHEN_TO_SPACE = 0.3
P_SPACE_TO_HYPHEN = 0.1
P_UPPER = 0.08
P_LOWER = 0.08
P_TITLE = 0.1  # "Aix-Les-Bains"
P_LIGATURE = 0.5  # œ → oe
P_CURLY_APOSTROPHE = 0.3
P_TYPO = 0.15  # one character substituted, deleted, inserted or swapped


def strip_accents(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def typo(name: str, rng: random.Random) -> str:
    positions = [i for i, c in enumerate(name) if c.isalpha()]
    if len(positions) < 4:
        return name
    i = rng.choice(positions[1:])  # the first letter is rarely wrong in print
    op = rng.choice(("sub", "del", "ins", "swap"))
    if op == "sub":
        return name[:i] + rng.choice(LETTERS.replace(name[i].lower(), "")) + name[i + 1 :]
    if op == "del":
        return name[:i] + name[i + 1 :]
    if op == "ins":
        return name[:i] + rng.choice(LETTERS) + name[i:]
    j = i + 1 if i + 1 < len(name) and name[i + 1].isalpha() else i - 1
    a, b = sorted((i, j))
    return name[:a] + name[b] + name[a] + name[b + 1 :] if name[a] != name[b] else name


def vary(name: str, rng: random.Random) -> tuple[str, list[str]]:
    """A published-looking form of a commune name, with the variations applied (seeded draws,
    always in the same order so that a seed gives the same names)."""
    applied: list[str] = []
    name = vary_article(name, rng, applied)
    name = vary_spelling(name, rng, applied)
    name = vary_case(name, rng, applied)
    if rng.random() < P_TYPO:
        new = typo(name, rng)
        if new != name:
            name = new
            applied.append("typo")
    return name, applied


def vary_article(name: str, rng: random.Random, applied: list[str]) -> str:
    article = next((a for a in ARTICLES if name.startswith(a)), None)
    if article:
        r = rng.random()
        if r < P_ARTICLE_DROP:
            name = name[len(article) :]
            applied.append("article dropped")
        elif r < P_ARTICLE_DROP + P_ARTICLE_MOVE:
            name = f"{name[len(article) :]} ({article.strip()})"
            applied.append("article moved")
    return name


def vary_spelling(name: str, rng: random.Random, applied: list[str]) -> str:
    """Ligature, accents, Saint → St, hyphens and spaces, apostrophe."""
    if "œ" in name and rng.random() < P_LIGATURE:
        name = name.replace("œ", "oe")
        applied.append("ligature")
    if rng.random() < P_NO_ACCENTS:
        stripped = strip_accents(name)
        if stripped != name:
            name = stripped
            applied.append("accents")
    if ("Saint" in name) and rng.random() < P_SAINT_ABBREV:
        name = name.replace("Sainte-", "Ste-").replace("Saint-", "St-").replace("Saint ", "St ")
        applied.append("St")
    if "-" in name and rng.random() < P_HYPHEN_TO_SPACE:
        name = name.replace("-", " ")
        applied.append("hyphens")
    elif " " in name and rng.random() < P_SPACE_TO_HYPHEN:
        name = name.replace(" ", "-")
        applied.append("spaces")
    if "'" in name and rng.random() < P_CURLY_APOSTROPHE:
        name = name.replace("'", "’")
        applied.append("apostrophe")
    return name


def vary_case(name: str, rng: random.Random, applied: list[str]) -> str:
    r = rng.random()
    if r < P_UPPER:
        name = name.upper()
        applied.append("upper")
    elif r < P_UPPER + P_LOWER:
        name = name.lower()
        applied.append("lower")
    elif r < P_UPPER + P_LOWER + P_TITLE:
        name = "-".join(w[:1].upper() + w[1:] for w in name.split("-"))
        applied.append("title")
    return name


def build_names(reference, n: int, seed: int) -> pd.DataFrame:
    rng = random.Random(seed)
    communes = reference["commune"]
    current = communes[communes["commune_kind"] == "commune"]
    dept_names = dict(
        zip(reference["departement"]["departement_code"], reference["departement"]["name"])
    )
    codes = current["commune_code"].tolist()
    names = dict(zip(current["commune_code"], current["name"]))
    depts = dict(zip(current["commune_code"], current["departement_code"]))
    rows = []
    for _ in range(n):
        code = rng.choice(codes)
        published, applied = vary(names[code], rng)
        dept = None
        if rng.random() < P_DEPT:
            d = depts[code]
            r = rng.random()
            if r < 0.2:
                dept = dept_names[d]
            elif r < 0.3 and d.startswith("0"):
                dept = d[1:]
            else:
                dept = d
        rows.append(
            {
                "edition": rng.randint(1999, 2026),
                "name": published,
                "departement": dept,
                "kind": None,
                "code": None,
                "truth": code,
                "variations": ",".join(applied),
                "typo": "typo" in applied,
            }
        )
    df = pd.DataFrame(rows)
    df["edition"] = df["edition"].astype("Int64")
    return df


def score(pred: pd.Series, truth: pd.Series) -> dict[str, int]:
    resolved = pred.notna()
    correct = int((resolved & (pred == truth)).sum())
    wrong = int((resolved & (pred != truth)).sum())
    return {"correct": correct, "wrong": wrong, "unresolved": int((~resolved).sum())}


def fmt(counts: dict[str, int], total: int) -> str:
    return "  ".join(
        f"{key} {value:>7,} ({100 * value / total:5.2f} %)" for key, value in counts.items()
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="names to build (default 100,000)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=2000,
        help="names the naive approach is timed on (0 = all N, about 25 min for 100,000)",
    )
    parser.add_argument("--bands", action="store_true", help="print fuzzy decisions by score band")
    args = parser.parse_args(argv)

    reference = read_reference(Paths.from_env().reference)
    names = build_names(reference, args.n, args.seed)
    print(
        f"{len(names):,} names from {names['truth'].nunique():,} current communes "
        f"(seed {args.seed}); "
        f"département given for {names['departement'].notna().mean():.0%}, "
        f"typo in {names['typo'].mean():.0%}"
    )

    # Ours.
    t0 = time.perf_counter()
    resolver = Resolver(reference)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = resolver.resolve_rows(names)
    t_ours = time.perf_counter() - t0
    ours_speed = len(names) / t_ours

    # Naive, on a sample of the same names.
    communes = reference["commune"]
    current = communes[communes["commune_kind"] == "commune"]
    all_names = current["name"].tolist()
    all_codes = current["commune_code"].tolist()
    sample_n = len(names) if args.naive_sample <= 0 else min(args.naive_sample, len(names))
    sample = names.sample(n=sample_n, random_state=args.seed) if sample_n < len(names) else names
    t0 = time.perf_counter()
    naive_codes = []
    for name in sample["name"]:
        hit = process.extractOne(
            name, all_names, scorer=fuzz.WRatio, processor=utils.default_process
        )
        naive_codes.append(all_codes[hit[2]] if hit else None)
    t_naive = time.perf_counter() - t0
    naive_speed = len(sample) / t_naive
    naive = pd.Series(naive_codes, index=sample.index)

    total = len(names)
    print()
    print(
        f"Ours   (pipeline.build.resolve.Resolver): index built in {t_build:.2f} s; "
        f"{total:,} names in {t_ours:.2f} s = {ours_speed:,.0f} names/s"
    )
    print(f"  all {total:,}:        {fmt(score(ours['code'], names['truth']), total)}")
    ours_sample = score(ours.loc[sample.index, "code"], sample["truth"])
    print(f"  naive's {len(sample):,} sample: {fmt(ours_sample, len(sample))}")
    extrapolated = (
        ""
        if sample_n == total
        else (
            f" (timed on a random sample of {len(sample):,}; {total:,} names extrapolated to "
            f"{total / naive_speed / 60:.1f} min)"
        )
    )
    print(
        f"Naive  (extractOne WRatio over {len(all_names):,} names, no département): "
        f"{len(sample):,} names in {t_naive:.2f} s = {naive_speed:,.1f} names/s{extrapolated}"
    )
    print(f"  naive's {len(sample):,} sample: {fmt(score(naive, sample['truth']), len(sample))}")
    print()
    print(f"Speed ratio ours / naive: {ours_speed / naive_speed:,.0f}x")

    # Where ours is wrong or unresolved, by method and reason.
    print()
    status = pd.Series("correct", index=names.index)
    status[ours["code"].isna()] = "unresolved"
    status[ours["code"].notna() & (ours["code"] != names["truth"])] = "wrong"
    table = pd.crosstab(ours["method"].fillna("-"), status)
    print("Ours by method:")
    print(table.to_string())
    reasons = ours.loc[ours["status"] == "quarantined", "reason"].str.split(":").str[0]
    print("\nQuarantined by reason:", dict(Counter(reasons).most_common()))
    print("\nOurs by variation (typo / département given):")
    by = pd.crosstab(
        [
            names["typo"].map({True: "typo", False: "no typo"}),
            names["departement"].notna().map({True: "dept", False: "no dept"}),
        ],
        status,
    )
    print(by.to_string())
    wrong = names[status == "wrong"].assign(
        got=ours["code"], method=ours["method"], score=ours["score"]
    )
    if len(wrong):
        print("\nSome wrong resolutions:")
        print(
            wrong.head(15)[
                ["name", "departement", "truth", "got", "method", "score", "variations"]
            ].to_string()
        )

    if args.bands:
        print_bands(names, ours)
    return 0


def print_bands(names: pd.DataFrame, ours: pd.DataFrame) -> None:
    """Fuzzy decisions by score band: is the best candidate right? (to set the thresholds)"""
    best = ours["candidates"].map(lambda c: c[0].split(" ")[0] if c else None)
    fuzzy = ours["method"] == "fuzzy"
    for label, mask in (
        ("département given", names["departement"].notna()),
        ("no département", names["departement"].isna()),
    ):
        sel = fuzzy & mask
        if not sel.any():
            continue
        df = pd.DataFrame(
            {
                "band": (ours.loc[sel, "score"] // 2 * 2).astype(int),
                "best_right": (best[sel] == names.loc[sel, "truth"]),
                "status": ours.loc[sel, "status"],
            }
        )
        print(
            f"\nFuzzy, {label} (thresholds {FUZZY_MIN_SCORE} / {FUZZY_NO_DEPT_MIN_SCORE}): "
            "best candidate right/wrong by score band and decision"
        )
        print(pd.crosstab([df["band"]], [df["status"], df["best_right"]]).to_string())


if __name__ == "__main__":
    raise SystemExit(main())
