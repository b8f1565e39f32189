"""The overview and geography pages' analysis: counts over the tiny hand-made reference of
conftest, the palmarès held per edition, the population the label covers on the real warehouse."""

import duckdb
import pandas as pd
import pytest
from conftest import TINY_BUILD_INFO, TINY_SOURCES, tiny_tables

from pipeline.analysis import checks, geography
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


def test_overview_captions_and_coverage_table(tmp_paths):
    build_warehouse(tmp_paths, tiny_tables(), TINY_SOURCES, TINY_BUILD_INFO)
    with connect_read_only(tmp_paths) as con:
        assert "COG 2026" in geography.counts_caption(con)
        assert geography.shares_caption(con).endswith("COG 2026 (populations municipales).")
        held = checks.coverage_shown(con)
        sentence = checks.complete_editions_sentence(con)
        counts = territory_counts(con).drop(columns="level")
    assert list(held.columns) == list(checks.COVERAGE_HEADERS)
    assert pd.api.types.is_string_dtype(held["edition"])  # shown without a thousands separator
    assert sentence == "Éditions complètes dans nos données : **aucune**."
    assert list(counts) == list(geography.COUNT_HEADERS)


@pytest.fixture(scope="module")
def real(real_warehouse):
    with duckdb.connect(str(real_warehouse.warehouse), read_only=True) as con:
        yield con


def test_studied_editions_default_to_every_edition_held(real):
    held = geography.studied_editions(real, [])
    assert held == sorted(held) and 2024 in held and 2010 not in held  # no 2010 label
    assert geography.studied_editions(real, ["2021", 2024]) == [2021, 2024]
    assert geography.period_sentence([2021, 2024]) == (
        "Période étudiée : **éditions 2021 et 2024** (2 éditions)."
    )


def test_population_shares_per_region_and_departement(real):
    shares = geography.population_shares(real, [2024])
    assert list(shares) == ["region", "departement"]
    for frame in shares.values():
        assert list(frame.columns) == ["code", "name", "population_share_pct", "laureates"]
        assert frame["population_share_pct"].dropna().is_monotonic_decreasing  # NaN: no people
        assert frame["name"].notna().all() and frame["code"].is_unique
    bas_rhin = shares["departement"].set_index("code").loc["67"]
    assert bas_rhin["name"] == "Bas-Rhin" and bas_rhin["laureates"] == 1  # Strasbourg's EPCI
    assert bas_rhin["population_share_pct"] > 40  # every member commune covered
    with_laureates = int((shares["region"]["laureates"] > 0).sum())
    assert geography.shares_heading("region", shares["region"]) == (
        f"### Par région ({with_laureates} avec au moins un lauréat connu)"
    )
