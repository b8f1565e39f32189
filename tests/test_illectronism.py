"""Notebook helpers and `palmares check` tables on a warehouse holding the real figures; the
illectronism page beside the label on the real warehouse."""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest
from conftest import EXPECTED_COUNTS, raw_records

from pipeline.analysis import illectronism as il
from pipeline.analysis import illectronism_label
from pipeline.build.assemble.illectronism import assemble_illectronism
from pipeline.build.schema import SCHEMA_SQL
from pipeline.paths import Paths

REAL = Paths.from_env()
CURATED_ROWS = len(raw_records("insee/illectronism.csv"))
HDF_ROWS = len(raw_records("insee/insee_analyses_hdf118_fig6_epci_2019.json"))  # EPCI figures


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, reference):
    """A DuckDB file with the schema and the `illectronism` table only, opened read-only."""
    tables, _ = assemble_illectronism(REAL, reference)
    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(SCHEMA_SQL)
        con.register("incoming", tables["illectronism"])
        con.execute("INSERT INTO illectronism SELECT * FROM incoming")
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def test_2019_national_rate_is_17_percent(warehouse):
    rows = il.figures(
        warehouse, "illectronism_rate", definition="2019", scope="15+", level="country", year=2019
    )
    headline = rows[
        (rows["geography_code"] == "FR")
        & (rows["breakdown"] == "none")
        & ~rows["is_second_hand"]
        & rows["source_url"].str.contains("4241397")
    ]
    assert headline["value"].tolist() == [17.0]


def test_2021_rate_is_15_4_percent(warehouse):
    rows = il.figures(
        warehouse, "illectronism_rate", definition="2021", scope="15+", level="country", year=2021
    )
    assert rows.loc[
        (rows["geography_code"] == "FR") & (rows["breakdown"] == "none"), "value"
    ].tolist() == [15.4]


def test_definitions_are_not_mixed_unless_asked(warehouse):
    with pytest.raises(il.MixedFiguresError) as caught:
        il.figures(warehouse, "illectronism_rate", scope="15+", level="country")
    message = str(caught.value)
    assert "2 definition versions" in message and "2019" in message and "2021" in message
    assert "allow_mixed=True" in message
    assert "figures(con, 'illectronism_rate', definition=" in message
    both = il.figures(
        warehouse, "illectronism_rate", scope="15+", level="country", allow_mixed=True
    )
    assert set(both["definition_version"]) == {"2019", "2021"}
    assert set(
        il.figures(warehouse, "illectronism_rate", definition="2019", scope="15+", level="country")[
            "definition_version"
        ]
    ) == {"2019"}


def test_populations_are_not_mixed_unless_asked(warehouse):
    with pytest.raises(il.MixedFiguresError, match="population scopes — .*15\\+.*16-74"):
        il.figures(
            warehouse,
            ["illectronism_rate", "illectronism_rate_16_74"],
            definition=["2021", "2025"],
            level="country",
        )
    with pytest.raises(il.MixedFiguresError, match="2 definition versions"):
        il.figures(
            warehouse,
            "illectronism_rate",
            definition=["2019", "2021"],
            scope="15+",
            level="country",
        )


def test_units_are_not_mixed_unless_asked(warehouse):
    with pytest.raises(il.MixedFiguresError, match="units — percent .* persons"):
        il.figures(
            warehouse,
            ["illectronism_rate_modelled", "illectronism_count_modelled"],
            definition="2019",
            scope="15+",
            level="epci",
        )


def test_unknown_indicator_suggests_names(warehouse):
    with pytest.raises(ValueError, match="did you mean .*illectronism_rate"):
        il.figures(warehouse, "illectronism_rat")


def test_epci_figures_carry_todays_code(warehouse):
    rows = il.figures(
        warehouse,
        "illectronism_rate_modelled",
        level="epci",
        year=2019,
        definition="2019",
        scope="15+",
    )
    hdf = rows[rows["geography_code"].notna()]
    assert len(hdf) == HDF_ROWS and hdf["current_code"].notna().all()
    assert (hdf["estimation"] == "modelled").all()


def test_levels_available(warehouse):
    levels = il.levels_available(warehouse, "illectronism_rate_modelled")
    epci = levels[levels["geography_level"] == "epci"]
    assert epci[
        ["year", "definition_version", "population_scope", "codes", "joined"]
    ].values.tolist() == [[2019, "2019", "15+", HDF_ROWS, HDF_ROWS]]
    everything = il.levels_available(warehouse)
    assert (
        not everything[everything["indicator"] == "illectronism_rate"]["geography_level"]
        .isin(["commune"])
        .any()
    )
    assert (
        everything["rows"].sum()
        == warehouse.execute("SELECT count(*) FROM illectronism").fetchone()[0]
    )


def test_check_tables(warehouse):
    counts = il.rows_by_year_level_indicator(warehouse)
    assert counts["rows"].sum() == CURATED_ROWS - HDF_ROWS + 2 * HDF_ROWS  # the copy's 2 per EPCI
    epci_2019 = counts[
        (counts["year"] == 2019)
        & (counts["geography_level"] == "epci")
        & (counts["indicator"] == "illectronism_rate_modelled")
    ]
    rates = EXPECTED_COUNTS["insee"]["epci_2019_rates"]
    assert epci_2019[["rows", "second_hand", "modelled", "joined"]].values.tolist() == [
        [rates, rates, rates, HDF_ROWS]
    ]

    not_joined = il.codes_not_joined(warehouse)
    assert set(not_joined["join_method"]) == {"no_code"}
    assert (
        len(not_joined) == EXPECTED_COUNTS["insee"]["not_joined"]
        and not_joined["join_note"].str.len().gt(0).all()
    )

    changed = il.territory_changes(warehouse)
    assert set(changed["geography_code"]) == {
        "200067973",
        "200069722",
        "200072478",
        "200093201",
        "245901061",
        "246000376",
        "246000582",
        "246201149",
        "247600588",
    }

    second = il.second_hand_rows(warehouse)
    assert second["relayed_by"].notna().all()
    summary = il.second_hand_summary(warehouse)
    assert summary["rows"].sum() == len(second)
    assert summary.iloc[0]["rows"] == 2 * HDF_ROWS  # the JSON copy of the HDF figure


def test_best_rate_prefers_joined_figures_then_the_latest_year():
    available = pd.DataFrame(
        {
            "indicator": ["illectronism_rate", "illectronism_rate", "illectronism_count", "x"],
            "geography_level": ["region", "region", "region", "region"],
            "year": [2019, 2017, 2021, 2021],
            "definition_version": ["2019", "2019", "2019", "2019"],
            "joined": [10, 12, 20, 30],
        }
    )
    assert il.best_rate(available, "region", "2019")["year"] == 2017  # most joined first
    assert il.best_rate(available.assign(joined=10), "region", "2019")["year"] == 2019
    assert il.best_rate(available, "region", "2021") is None
    assert il.best_rate(available, "epci", "2019") is None


def test_local_levels_hold_no_national_figure(warehouse):
    local = illectronism_label.local_levels(warehouse)
    assert not local["geography_level"].isin(["France", "Union européenne"]).any()
    assert {"région", "EPCI", "groupe de régions"} <= set(local["geography_level"])
    assert set(local["estimation"]) <= {"modélisation", "enquête", "non précisée"}
    assert pd.api.types.is_string_dtype(local["year"])  # shown without a thousands separator
    # every local rate is of the 15+: the caption says so, and the method tells the two
    # indicators apart (taux modélisé), so neither takes a column of the page
    assert "indicator" not in local.columns and "population_scope" not in local.columns
    assert not local.duplicated(["geography_level", "year", "definition_version"]).any()
    caption = illectronism_label.local_levels_caption(warehouse)
    assert caption.startswith("Taux d'illectronisme publiés par l'INSEE, population de 15 ans ou")


def test_the_warehouse_codes_read_in_french():
    assert illectronism_label.french_indicator("illectronism_rate_modelled") == (
        "taux d'illectronisme modélisé"
    )
    assert illectronism_label.french_indicator("illectronism_rate_16_74") == (
        "taux d'illectronisme (16 74)"
    )
    assert illectronism_label.french_level("infra_departement") == "partie de département"
    assert illectronism_label.french_population("15+ internet users") == (
        "15 ans ou plus, internautes"
    )
    assert illectronism_label.french_population("16-74") == "16 à 74 ans"
    assert illectronism_label.french_estimation("not_stated") == "non précisée"


@pytest.fixture(scope="module")
def labelled(real_warehouse):
    with duckdb.connect(str(real_warehouse.warehouse), read_only=True) as connection:
        yield connection


def test_region_rates_beside_the_label(labelled):
    regions = illectronism_label.region_rates(labelled)
    frame = regions.frame
    assert (regions.year, regions.definition) == (2019, "2019")
    assert frame["value"].is_monotonic_decreasing and frame["code"].is_unique
    assert frame["geography_name"].notna().all() and frame["laureates"].sum() > 0
    assert list(regions.shown.columns) == list(illectronism_label.REGION_HEADERS)
    assert "définition 2019 (15 ans ou plus, modélisation)" in regions.caption
    assert f"{len(frame)} régions publiées ; {frame['is_second_hand'].sum()} chiffres lus" in (
        regions.caption
    )
    assert "éditions 2000 à 2026" in regions.caption


def test_hdf_epci_rates_say_which_the_label_concerns(labelled):
    epci = illectronism_label.hdf_epci_rates(labelled)
    labels = epci.frame["label"]
    assert list(epci.frame.columns) == list(illectronism_label.EPCI_HEADERS)
    concerned = epci.frame["current_code"].isin(illectronism_label.epci_concerned(labelled))
    assert "246700488" in illectronism_label.epci_concerned(labelled)  # Strasbourg, labelled
    assert labels.str.startswith(illectronism_label.CONCERNED).eq(concerned).all()
    changed = labels.str.endswith("(périmètre modifié depuis)").sum()
    assert changed == len(labels) - EXPECTED_COUNTS["insee"]["hdf_same_territory"]
    assert re.fullmatch(
        f"Taux médian : \\*\\*\\d+,\\d\u00a0%\\*\\* pour les EPCI concernés par le label "
        f"\\({concerned.sum()}\\), \\*\\*\\d+,\\d\u00a0%\\*\\* pour les autres "
        f"\\({(~concerned).sum()}\\)\\. Avec .*, pas une mesure d'effet\\.",
        illectronism_label.median_sentence(epci.frame),
    )


def test_median_sentence_without_a_concerned_epci_keeps_its_full_stop():
    epci = pd.DataFrame({"value": [20.5, 17.0], "label": ["non (dans nos données)"] * 2})
    sentence = illectronism_label.median_sentence(epci)
    assert sentence.startswith(
        "Taux médian : **–** pour les EPCI concernés par le label (0), **18,8\u00a0%** pour les "
        "autres (2). Avec un palmarès partiel"
    )
    assert sentence.endswith("pas une mesure d'effet.")
