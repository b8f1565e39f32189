"""`palmares check` tables, on a hand-made warehouse whose answers are known."""

import pandas as pd
from conftest import TINY_BUILD_INFO, TINY_SOURCES, tiny_tables

from pipeline.analysis import checks
from pipeline.build.schema import schema_columns
from pipeline.build.warehouse import build_warehouse, connect_read_only


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    columns = [column.name for column in schema_columns()[table]]
    return pd.DataFrame(rows).reindex(columns=columns)


def laureate(row, edition, code, level, file="a.csv"):
    return {
        "source_file": file,
        "source_row": row,
        "edition": edition,
        "name": "La Madeleine",
        "departement": "59",
        "arobases": level,
        "kind": "ville",
        "code": code,
        "entity": "commune",
        "resolution_method": "exact",
        "resolution_score": 100.0,
        "source_url": f"https://source.example/{file}/{row}",
    }


def test_accounting_coverage_conflicts_and_duplicates(tmp_paths):
    tables = tiny_tables()
    tables["laureates"] = frame(
        "laureates",
        [
            laureate(2, 2008, "59368", 5),
            laureate(3, 2008, "59350", 4),
            laureate(2, 2008, "59368", 4, file="b.csv"),  # same commune and edition, another level
            laureate(3, 2009, "59368", None, file="b.csv"),
            laureate(4, 2009, "59368", None, file="b.csv"),  # a duplicate that agrees
        ],
    )
    tables["quarantine"] = frame(
        "quarantine",
        [
            {
                "source_file": "a.csv",
                "source_row": 4,
                "edition": 2008,
                "name": "Mérignac",
                "reason": "ambiguous: 'Mérignac' matches 3 communes",
            },
        ],
    )
    tables["edition"] = frame(
        "edition",
        [
            {
                "label_year": 2008,
                "has_mention_level": True,
                "total_labelled": 203,
                "n_5": 14,
                "n_4": 26,
            },
            {"label_year": 2009, "has_mention_level": True, "total_labelled": 224},
        ],
    )
    build_warehouse(tmp_paths, tables, TINY_SOURCES, TINY_BUILD_INFO)
    with connect_read_only(tmp_paths) as con:
        accounting = checks.file_accounting(con).set_index("source_file")
        coverage = checks.coverage(con).set_index("edition")
        conflicts = checks.level_conflicts(con)
        duplicates = checks.duplicates(con)

    assert accounting.loc["a.csv", "read"] == 3
    assert accounting.loc["a.csv", "resolved"] == 2
    assert accounting.loc["a.csv", "quarantined: ambiguous"] == 1
    assert accounting.loc["b.csv", "read"] == 3

    # held = 2 resolved + the Mérignac row set aside: rows of the 2008 list we hold
    assert coverage.loc[2008, "held"] == 3 and coverage.loc[2008, "published"] == 203
    assert coverage.loc[2008, "resolved"] == 2 and coverage.loc[2008, "quarantined"] == 1
    assert coverage.loc[2008, "share_pct"] == round(100 * 3 / 203, 1)
    assert coverage.loc[2008, "held_5"] == 1 and coverage.loc[2008, "published_5"] == 14
    assert coverage.loc[2009, "held_level_unknown"] == 1

    assert list(conflicts["arobases"]) == [4, 5]
    assert set(conflicts["source_url"]) == {
        "https://source.example/a.csv/2",
        "https://source.example/b.csv/2",
    }
    assert len(duplicates) == 2
    assert duplicates.set_index("edition").loc[2009, "rows"] == 2
