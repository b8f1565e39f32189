"""Open-data exports computed from the warehouse rather than stored in it.

`palmares export NAME` writes stored tables through `warehouse.export_table`; the names here
are analyses whose result depends on options (claims allowed or not), so they are computed
on demand from a read-only connection. Each CSV comes with `<stem>.coverage.csv`, the coverage
it rests on (editions, share of each published total held), because an empty cell means
"our partial palmarès cannot tell", never zero.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipeline import io
from pipeline.analysis import continuity
from pipeline.build.warehouse import connect_read_only
from pipeline.paths import Paths

#: The columns issue #5 promises first, in this order; the bounds and details follow.
CONTINUITY_COLUMNS = [
    "code",
    "name",
    "editions_labelled",
    "first_edition",
    "last_edition",
    "longest_streak",
    "current_streak",
    "labels_5",
]

COMPUTED = {
    "continuity": "one row per collectivity: editions labelled, first/last edition, streaks, "
    "5@ labels; empty where coverage cannot tell (see the _min/_max bounds)",
}


def export_computed(paths: Paths, name: str, out: Path, claims: bool = False) -> tuple[int, Path]:
    """Write the analysis `name` as CSV and its coverage beside it; return rows and that path."""
    if name not in COMPUTED:
        raise KeyError(name)
    with connect_read_only(paths) as con:
        table = continuity_export(con, claims=claims)
    coverage = continuity.coverage_of(table)
    coverage_path = out.with_name(f"{out.stem}.coverage.csv")
    _write_csv(table, out)
    _write_csv(coverage, coverage_path)
    return len(table), coverage_path


def continuity_export(con: duckdb.DuckDBPyConnection, claims: bool = False) -> pd.DataFrame:
    """The continuity table as exported and published: CONTINUITY_COLUMNS first, then the
    bounds and details."""
    table = continuity.continuity_table(continuity.build_basis(con, claims=claims))
    rest = [column for column in table.columns if column not in CONTINUITY_COLUMNS]
    return table[CONTINUITY_COLUMNS + rest]


def _write_csv(frame: pd.DataFrame, out: Path) -> None:
    """UTF-8, comma, header; written whole or not at all (`io.atomic_path`)."""
    with io.atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8")
