"""Counts over the reference, checked on the tiny hand-made reference of conftest."""

import pandas as pd
from conftest import TINY_BUILD_INFO, TINY_SOURCES, tiny_tables

from pipeline.analysis.geography import communes_per_departement, territory_counts
from pipeline.build.warehouse import build_warehouse, connect_read_only
from pipeline.report.tables import french_table


def test_counts_by_level_and_zone(tmp_paths):
    build_warehouse(tmp_paths, tiny_tables(), TINY_SOURCES, TINY_BUILD_INFO)
    with connect_read_only(tmp_paths) as con:
        counts = territory_counts(con).set_index("category")
        per_departement = communes_per_departement(con)
    assert list(counts.index) == ["Régions", "Départements", "Communes", "Métropoles"]
    assert counts.loc["Régions", ["metro", "drom", "com", "total"]].tolist() == [1, 1, 0, 2]
    assert counts.loc["Communes", ["metro", "drom", "total"]].tolist() == [2, 1, 3]
    assert counts.loc["Métropoles", "level"] == "Intercommunalités"
    assert counts.loc["Métropoles", ["metro", "total"]].tolist() == [1, 1]
    assert per_departement.to_dict() == {"59": 2, "971": 1}


def test_french_table_renames_formats_and_credits():
    frame = pd.DataFrame(
        {
            "category": ["Communes"],
            "total": [34969],
            "share": [4.48],
            "edition": ["2006"],
            "missing": pd.array([None], dtype="Int64"),
        }
    )
    html = french_table(
        frame,
        {"category": "Niveau", "total": "Total"},
        caption="Source : INSEE, COG 2026",
        decimals={"share": 1},
    ).to_html()
    assert ">Niveau<" in html and ">Total<" in html
    assert "34\u202f969" in html and ">4,5<" in html and ">2006<" in html and ">–<" in html
    assert "Source : INSEE, COG 2026" in html
