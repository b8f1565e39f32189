"""Notebook helpers and `palmares check` tables on a warehouse holding the real figures."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.analysis import illectronism as il
from pipeline.build.schema import SCHEMA_SQL
from pipeline.build.sources.insee import assemble_illectronism
from pipeline.build.sources.reference import read_reference
from pipeline.paths import Paths

REAL = Paths.from_env()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """A DuckDB file with the schema and the `illectronism` table only, opened read-only."""
    tables, _ = assemble_illectronism(REAL, read_reference(REAL.reference))
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
    assert len(hdf) == 93 and hdf["current_code"].notna().all()
    assert (hdf["estimation"] == "modelled").all()


def test_levels_available(warehouse):
    levels = il.levels_available(warehouse, "illectronism_rate_modelled")
    epci = levels[levels["geography_level"] == "epci"]
    assert epci[
        ["year", "definition_version", "population_scope", "codes", "joined"]
    ].values.tolist() == [[2019, "2019", "15+", 93, 93]]
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
    assert counts["rows"].sum() == 489
    epci_2019 = counts[
        (counts["year"] == 2019)
        & (counts["geography_level"] == "epci")
        & (counts["indicator"] == "illectronism_rate_modelled")
    ]
    assert epci_2019[["rows", "second_hand", "modelled", "joined"]].values.tolist() == [
        [99, 99, 99, 93]
    ]

    not_joined = il.codes_not_joined(warehouse)
    assert set(not_joined["join_method"]) == {"no_code"}
    assert len(not_joined) == 6 and not_joined["join_note"].str.len().gt(0).all()

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
    assert summary.iloc[0]["rows"] == 186  # the JSON copy of the HDF figure
