"""A synthetic palmarès for scale tests: SYNTHETIC, never real, never mixed with real data.

Every current commune of the committed reference (COG 2026, 34,969 communes) in every edition
1999-2026 (no label 2010: 27 editions), about 944,000 laureate rows by default, levels drawn
from a seeded Markov chain with realistic persistence (a commune keeps its level from one
edition to the next about 70 % of the time, 85 % at 5 @; otherwise one level up or down).
With `participation` below 1 collectivities also leave and come back (exit 25 % an edition,
entries balanced to keep that share labelled), so that streaks, gaps and returns occur.

Calibrated mode (`calibrated_on` = the real `edition` table): each edition has its published
number of laureates (interpolated where unpublished) and, where every level count is
published, its published distribution of levels; RENEWED of each list is carried over from the
previous edition and RETURNS of the newcomers are former laureates (both assumptions, stated
below).

Every row is flagged: `source_file` and `source_url` are `synthetic://...`, `resolution_method`
is `synthetic`, `note` says SYNTHETIC, and the `laureates` and `edition` tables of the
database get an extra `is_synthetic` column (TRUE); `build_info` has `synthetic = true`. The
database is written only outside the project's data folders (a temporary or benchmark file):
`write_synthetic_warehouse` refuses the real warehouse, anything under `data/`, and any
existing database that is not itself synthetic. The published totals of the synthetic
`edition` table equal the rows generated, so every edition is complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipeline.build.schema import SCHEMA_SQL
from pipeline.paths import Paths

SYNTHETIC_SOURCE = "synthetic://palmares"
SYNTHETIC_NOTE = "SYNTHETIC: generated for scale tests, not a real laureate"
EDITIONS = tuple(year for year in range(1999, 2027) if year != 2010)
FIRST_WITHOUT_MENTION = 2011

#: Level shares of the first edition: mention, 1 @ ... 5 @ (2006 published distribution,
#: rounded: 11 mentions, 57, 64, 57, 24, 10 of 223).
INITIAL_SHARES = (0.05, 0.26, 0.29, 0.25, 0.11, 0.04)
STAY, STAY_5, UP, DOWN = 0.70, 0.85, 0.16, 0.14
EXIT = 0.25


@dataclass(frozen=True)
class SyntheticPalmares:
    path: Path
    rows: int
    collectivities: int
    editions: int
    seed: int


def level_transitions() -> np.ndarray:
    """7 × 7 matrix over states (absent, mention, 1 @ ... 5 @) for a labelled collectivity
    (rows 1-6) staying labelled: stay, one up, one down; the absent row draws an entrant's
    level from INITIAL_SHARES."""
    matrix = np.zeros((7, 7))
    matrix[0, 1:] = INITIAL_SHARES
    for state in range(1, 7):
        stay = STAY_5 if state == 6 else STAY
        up = UP if state < 6 else 0.0
        down = DOWN if state > 1 else 0.0
        matrix[state, state] = 1 - up - down if state in (1, 6) else stay
        if state < 6:
            matrix[state, state + 1] = up
        if state > 1:
            matrix[state, state - 1] = down
        matrix[state] /= matrix[state].sum()
    return matrix


def generate_levels(
    n: int, seed: int = 2026, participation: float = 1.0, editions: tuple[int, ...] = EDITIONS
) -> np.ndarray:
    """n × editions array of states: -1 absent, 0 mention, 1-5 @ (mention only before 2011)."""
    rng = np.random.default_rng(seed)
    levels = level_transitions()
    cumulative = np.cumsum(levels, axis=1)
    enter = 0.0 if participation >= 1 else participation * EXIT / (1 - participation)
    out = np.empty((n, len(editions)), dtype=np.int8)
    state = 1 + (rng.random(n)[:, None] > np.cumsum(INITIAL_SHARES)[None, :]).sum(axis=1)
    if participation < 1:
        state[rng.random(n) >= participation] = 0
    for j, year in enumerate(editions):
        if j > 0:
            # absent (0) draws an entrant's level; a labelled state its next level
            nxt = (rng.random(n)[:, None] > cumulative[state, :-1]).sum(axis=1)
            if participation < 1:
                v = rng.random(n)
                nxt = np.where((state > 0) & (v < EXIT), 0, nxt)
                nxt = np.where((state == 0) & (v >= enter), 0, nxt)
            state = nxt
        if year >= FIRST_WITHOUT_MENTION:
            state = np.where(state == 1, 2, state)  # mention → 1 @ once mentions are gone
        out[:, j] = state - 1
    return out


#: Kind stated for each synthetic commune (assumption: the association publishes no threshold
#: between its «villes» and «villages»; 2,000 inhabitants is INSEE's former urban threshold).
VILLAGE_BELOW = 2_000

#: Calibrated mode: share of an edition's list renewed from the one before (assumption: the
#: association publishes no renewal rate; the press describes most laureates as renewals) and
#: share of the newcomers that are returns of former laureates (assumption).
RENEWED, RETURNS = 0.75, 0.2


def published_targets(
    edition: pd.DataFrame, editions: tuple[int, ...] = EDITIONS
) -> tuple[dict[int, int], dict[int, dict[int, int]]]:
    """Totals per edition from a real `edition` table (missing ones interpolated linearly
    between published neighbours, the ends held constant), and level counts where every level
    count of the edition is published."""
    table = edition.set_index("label_year")
    known = table["total_labelled"].dropna().astype(float)
    totals = pd.Series(known, index=list(editions), dtype=float).interpolate(
        method="index", limit_direction="both"
    )
    levels = {}
    for year in editions:
        row = table.loc[year] if year in table.index else None
        columns = ["n_1", "n_2", "n_3", "n_4", "n_5"] + (
            ["n_mention"] if year < FIRST_WITHOUT_MENTION else []
        )
        if row is not None and all(pd.notna(row.get(c)) for c in columns):
            counts = {int(c[2:]) if c != "n_mention" else 0: int(row[c]) for c in columns}
            if sum(counts.values()) == round(totals[year]):
                levels[year] = counts
    return {year: round(totals[year]) for year in editions}, levels


def calibrated_levels(
    n: int,
    totals: dict[int, int],
    level_counts: dict[int, dict[int, int]],
    seed: int = 2026,
    editions: tuple[int, ...] = EDITIONS,
) -> np.ndarray:
    """n × editions states (-1 absent, 0 mention, 1-5 @) whose totals per edition equal
    `totals` and whose level counts equal `level_counts` where given: RENEWED of each list
    carried over from the previous edition (levels moving by the Markov chain), the rest
    newcomers, RETURNS of them former laureates, levels from INITIAL_SHARES."""
    rng = np.random.default_rng(seed)
    chain = np.cumsum(level_transitions(), axis=1)
    first_levels = np.cumsum(INITIAL_SHARES)
    out = np.full((n, len(editions)), -1, dtype=np.int8)
    ever = np.zeros(n, dtype=bool)
    for j, year in enumerate(editions):
        target = min(totals[year], n)
        previous = np.flatnonzero(out[:, j - 1] >= 0) if j else np.array([], dtype=int)
        kept = rng.choice(previous, min(len(previous), round(target * RENEWED)), replace=False)
        state = out[kept, j - 1].astype(int) + 1 if j else np.array([], dtype=int)
        moved = (rng.random(len(kept))[:, None] > chain[state, :-1]).sum(axis=1) - 1
        out[kept, j] = np.maximum(moved, 0)
        free = np.flatnonzero(out[:, j] < 0)
        former = np.setdiff1d(np.intersect1d(free, np.flatnonzero(ever)), previous)  # not the exits
        newcomers = target - len(kept)
        returning = rng.choice(former, min(len(former), round(newcomers * RETURNS)), replace=False)
        fresh_pool = np.setdiff1d(free, returning)
        fresh = rng.choice(fresh_pool, newcomers - len(returning), replace=False)
        entering = np.concatenate([returning, fresh]).astype(int)
        out[entering, j] = (rng.random(len(entering))[:, None] > first_levels[None, :]).sum(axis=1)
        labelled = np.flatnonzero(out[:, j] >= 0)
        if year >= FIRST_WITHOUT_MENTION:
            out[labelled, j] = np.maximum(out[labelled, j], 1)
        if year in level_counts:  # the published distribution, keeping the chain's order
            order = labelled[np.lexsort((rng.random(len(labelled)), out[labelled, j]))]
            assigned = np.repeat(
                sorted(level_counts[year]),
                [level_counts[year][lv] for lv in sorted(level_counts[year])],
            )
            out[order, j] = assigned
        ever[labelled] = True
    return out


def current_communes(root: Path | None = None) -> pd.DataFrame:
    """Current communes of the committed reference: code, name, département, and the kind a
    synthetic row states (village below VILLAGE_BELOW inhabitants, else ville)."""
    path = (root or Paths.from_env().root) / "data" / "raw" / "reference" / "commune.csv"
    frame = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        usecols=["commune_code", "commune_kind", "name", "departement_code", "population"],
    )
    frame = frame[frame["commune_kind"] == "commune"]
    population = pd.to_numeric(frame["population"], errors="coerce")
    frame["kind"] = np.where(population < VILLAGE_BELOW, "village", "ville")
    return frame.rename(columns={"commune_code": "code", "departement_code": "departement"})[
        ["code", "name", "departement", "kind"]
    ].reset_index(drop=True)


def synthetic_tables(
    communes: pd.DataFrame,
    seed: int = 2026,
    participation: float = 1.0,
    editions: tuple[int, ...] = EDITIONS,
    calibrated_on: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `edition` and `laureates` tables of a synthetic palmarès (schema columns plus
    `is_synthetic`): every commune in every edition, or, `calibrated_on` a real `edition`
    table, the published size of each edition."""
    if calibrated_on is None:
        states = generate_levels(len(communes), seed, participation, editions)
    else:
        states = calibrated_levels(
            len(communes), *published_targets(calibrated_on, editions), seed, editions
        )
    rows, cols = np.nonzero(states >= 0)
    years = np.asarray(editions, dtype=np.int16)[cols]
    tag = f"{SYNTHETIC_SOURCE}?seed={seed}&" + (
        f"participation={participation:g}"
        if calibrated_on is None
        else "calibrated=published-totals"
    )
    laureates = pd.DataFrame(
        {
            "source_file": tag,
            "source_row": np.arange(2, len(rows) + 2, dtype=np.int32),
            "edition": years,
            "name": communes["name"].to_numpy()[rows],
            "departement": communes["departement"].to_numpy()[rows],
            "arobases": states[rows, cols].astype(np.int8),
            "kind": (communes["kind"].to_numpy()[rows] if "kind" in communes else None),
            "code": communes["code"].to_numpy()[rows],
            "entity": "commune",
            "resolution_method": "synthetic",
            "resolution_score": 1.0,
            "candidates": None,
            "distinction": None,
            "published_departement": None,
            "source_url": tag,
            "quote": None,
            "note": SYNTHETIC_NOTE,
            "is_synthetic": True,
        }
    )
    counts = pd.DataFrame({"edition": years, "arobases": states[rows, cols]})
    per = counts.groupby(["edition", "arobases"]).size().unstack(fill_value=0)
    edition = pd.DataFrame({"label_year": np.asarray(editions, dtype=np.int16)})
    edition["edition_number"] = np.arange(1, len(editions) + 1, dtype=np.int16)
    edition["ceremony_date"] = None
    edition["ceremony_place"] = None
    edition["has_mention_level"] = edition["label_year"] < FIRST_WITHOUT_MENTION
    edition["total_labelled"] = edition["label_year"].map(per.sum(axis=1)).fillna(0).astype(int)
    for level, column in (
        (5, "n_5"),
        (4, "n_4"),
        (3, "n_3"),
        (2, "n_2"),
        (1, "n_1"),
        (0, "n_mention"),
    ):
        values = edition["label_year"].map(per.get(level, {})).fillna(0)
        edition[column] = values.astype(int)
    edition.loc[~edition["has_mention_level"], "n_mention"] = None
    edition["n_territoires"] = None
    edition["n_villes"] = None
    edition["n_villages"] = None
    edition["distinctions"] = None
    edition["is_synthetic"] = True
    return edition, laureates


def check_target(path: Path, root: Path | None = None) -> Path:
    """Refuse to write a synthetic palmarès where real data live."""
    path = Path(path).resolve()
    paths = Paths(root) if root else Paths.from_env()
    data = (paths.root / "data").resolve()
    if path == paths.warehouse.resolve() or path.is_relative_to(data):
        raise ValueError(
            f"refusing to write a synthetic palmarès to {path}: it is under "
            f"{data}, where real data live; use a temporary or benchmark file"
        )
    if path.exists():
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                flag = con.execute(
                    "SELECT value FROM build_info WHERE key = 'synthetic'"
                ).fetchall()
        except duckdb.Error:
            flag = []
        if flag != [("true",)]:
            raise ValueError(f"refusing to overwrite {path}: it is not a synthetic palmarès")
    return path


def write_synthetic_warehouse(
    path: Path,
    seed: int = 2026,
    participation: float = 1.0,
    communes: pd.DataFrame | None = None,
    root: Path | None = None,
    calibrated_on: pd.DataFrame | None = None,
) -> SyntheticPalmares:
    """Write a DuckDB database with the warehouse schema holding only a synthetic palmarès
    (edition and laureates; reference and other palmarès tables empty); see synthetic_tables."""
    path = check_target(path, root)
    communes = current_communes(root) if communes is None else communes
    edition, laureates = synthetic_tables(
        communes, seed, participation, calibrated_on=calibrated_on
    )
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    with duckdb.connect(str(tmp)) as con:
        con.execute(SCHEMA_SQL)
        for table in ("edition", "laureates"):
            con.execute(f"ALTER TABLE {table} ADD COLUMN is_synthetic BOOLEAN DEFAULT true")
            con.execute(
                f"COMMENT ON TABLE {table} IS "
                f"'SYNTHETIC palmarès for scale tests (benchmarks/synthetic.py)'"
            )
        for table, frame in (("edition", edition), ("laureates", laureates)):
            con.register("incoming", frame)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
            con.unregister("incoming")
        con.executemany(
            "INSERT INTO build_info VALUES (?, ?)",
            [
                ("synthetic", "true"),
                ("seed", str(seed)),
                ("participation", f"{participation:g}"),
                ("generator", "benchmarks/synthetic.py"),
            ],
        )
        con.execute("CHECKPOINT")
    tmp.replace(path)
    return SyntheticPalmares(path, len(laureates), len(communes), len(EDITIONS), seed)
