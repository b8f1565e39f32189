"""Undated @ counts seen on collectivities' pages (data/raw/palmares/undated_jdn_snapshot.csv).

journaldunet.com city pages showed "2 arobase(s)" without saying which edition of the label gave
them; two public GitHub repositories carried those values in scrapes committed in 2021 and 2022.
That says at most that the commune was labelled at some edition before the scrape: weak
evidence, kept in its own table (`undated_observation`), never a laureate row and never counted
in coverage, continuity or TEN eligibility. Like the other readers, this one knows the format,
not the codes: the palmarès' resolver checks the code given against the name and the
département shown, and a row that does not resolve stays in the table with the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from pipeline.build.schema import schema_columns
from pipeline.build.sources import tabular
from pipeline.errors import InputError

#: The snapshot's header, as the shared research notes give it.
COLUMNS = (
    "name",
    "insee",
    "departement",
    "arobases",
    "jdn_field_value",
    "jdn_page_url",
    "carrier_file",
    "carrier_commit_date",
)
#: The page's words for a level ("2 arobase(s)", "2arobase(s)").
SHOWN = re.compile(r"\s*([1-5])\s*arobases?(?:\(s\))?\s*", flags=re.IGNORECASE)


def read_undated_snapshot(path: Path, source_file: str) -> pd.DataFrame:
    """The rows of a snapshot, checked (a level from 1 to 5 that the page's words state, the
    date of the scrape, the page and the file that carried it); a bad cell names its row, as
    an editor numbers it (the header is row 1; blank lines are skipped, not renumbered)."""
    rows = tabular.parse_csv(path, tabular.decode(path, kind="CSV file"), ",")
    if not rows:
        raise InputError(path, f"empty: expected the header {','.join(COLUMNS)}")
    header = [cell or "" for cell in rows[0][1]]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}", row=rows[0][0])
    records = []
    for number, cells in rows[1:]:
        if all(cell is None for cell in cells):
            continue
        if len(cells) != len(header):
            raise InputError(path, f"{len(cells)} cells for {len(header)} columns", row=number)
        record = {column: cells[header.index(column)] or "" for column in COLUMNS}
        problem = _problem(record)
        if problem:
            raise InputError(path, problem, row=number)
        records.append({"source_row": number, **record})
    return pd.DataFrame(
        {
            "source_file": source_file,
            "source_row": [r["source_row"] for r in records],
            "name": [r["name"] for r in records],
            "departement": [r["departement"] or None for r in records],
            "code": [r["insee"] or None for r in records],
            "arobases": [int(r["arobases"]) for r in records],
            "shown_as": [r["jdn_field_value"] for r in records],
            "observed_before": [dt.date.fromisoformat(r["carrier_commit_date"]) for r in records],
            "observed_by": [r["carrier_file"] for r in records],
            "source_url": [r["jdn_page_url"] for r in records],
        }
    )


def _problem(record: dict[str, str]) -> str | None:
    """What is wrong with one row's cells, or None."""
    level, shown = record["arobases"], record["jdn_field_value"]
    if not record["name"]:
        return "name is empty"
    if not re.fullmatch(r"[1-5]", level):
        return f"arobases {level!r} is not a level from 1 to 5"
    stated = SHOWN.fullmatch(shown)
    if stated is None or stated[1] != level:
        return f"jdn_field_value {shown!r} does not state {level} @"
    date = record["carrier_commit_date"]
    try:
        dt.date.fromisoformat(date if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else "")
    except ValueError:
        return f"carrier_commit_date {date!r} is not a date (YYYY-MM-DD)"
    for column in ("jdn_page_url", "carrier_file"):
        if not record[column].startswith("https://"):
            return f"{column} {record[column]!r} is not an https:// address"
    return None


def observations(rows: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The `undated_observation` rows of a snapshot, given the resolver's decision on each
    (`Resolver.resolve_rows`): every row, with its code when resolved, else the reason."""
    resolved = decisions["status"] == "resolved"
    frame = rows.assign(
        published_departement=rows["departement"],
        published_code=rows["code"],
        code=decisions["code"].where(resolved),
        entity=decisions["entity"].where(resolved),
        departement=decisions["departement_code"].where(resolved),
        resolution_method=decisions["method"],
        reason=decisions["reason"].where(~resolved),
    )
    columns = [column.name for column in schema_columns()["undated_observation"]]
    return frame.reset_index(drop=True)[columns]


def empty() -> pd.DataFrame:
    """The table when the manifest lists no snapshot."""
    return pd.DataFrame(columns=[c.name for c in schema_columns()["undated_observation"]])
