"""Edition statistics: a hand-made complete edition where every count is worked out by hand,
and the real palmarès where only some counts are complete.

The hand-made palmarès uses the tiny reference of conftest.py (real codes, hand-made
populations for this test: Lille 230,000, La Madeleine 21,790, Basse-Terre 9,000) over three
editions, every list complete (published totals equal to the rows):

    2017: Lille 4 @ (ville), Métropole Européenne de Lille 5 @ (territoire)
    2018: Lille 5 @, La Madeleine 3 @ (ville), MEL 5 @
    2019: Lille 5 @, La Madeleine 2 @ + «mention Transition écologique», Basse-Terre 1 @ (ville)

Worked out by hand for 2019 against 2018:
- levels: 5 @ 1 (was 2: -1), 4 @ 0 (0), 3 @ 0 (was 1: -1), 2 @ 1 (+1), 1 @ 1 (+1);
- kinds: villes 3 (was 2: +1), territoires 0 (was 1: -1);
- régions: Hauts-de-France 2 (was 3, the MEL counted in the Nord: -1), Guadeloupe 1 (+1);
- population classes: métropole 20-100k 1 (La Madeleine; was 1), > 100k 1 (Lille; was 1),
  outre-mer 3-20k 1 (Basse-Terre; was 0), intercommunalités 0 (was 1);
- transitions 2018 → 2019: Lille renewal, La Madeleine downgrade, Basse-Terre entry, MEL exit;
- population: 3 communes, 230,000 + 21,790 + 9,000 = 260,790 inhabitants; in 2018 2 communes,
  251,790, and the MEL's 2 member communes (251,790), so 251,790 covered.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from conftest import TINY_BUILD_INFO, TINY_SOURCES, tiny_tables

from pipeline.analysis import edition_stats
from pipeline.build.warehouse import build_warehouse

LILLE, MADELEINE, BASSE_TERRE, MEL = "59350", "59368", "97105", "200093201"
PALMARES = [  # edition, name, code, entity, arobases, kind, distinction
    (2017, "Lille", LILLE, "commune", 4, "ville", None),
    (2017, "Métropole Européenne de Lille", MEL, "epci", 5, "territoire", None),
    (2018, "Lille", LILLE, "commune", 5, "ville", None),
    (2018, "La Madeleine", MADELEINE, "commune", 3, "ville", None),
    (2018, "Métropole Européenne de Lille", MEL, "epci", 5, "territoire", None),
    (2019, "Lille", LILLE, "commune", 5, "ville", None),
    (2019, "La Madeleine", MADELEINE, "commune", 2, "ville", "mention Transition écologique"),
    (2019, "Basse-Terre", BASSE_TERRE, "commune", 1, "ville", None),
]


def hand_made_tables() -> dict[str, pd.DataFrame]:
    tables = tiny_tables()
    populations = {LILLE: 230_000, MADELEINE: 21_790, BASSE_TERRE: 9_000}
    tables["commune"]["population"] = (
        tables["commune"]["commune_code"].map(populations).astype("Int64")
    )
    columns = list(tables["laureates"].columns)
    rows = []
    for number, (edition, name, code, entity, level, kind, distinction) in enumerate(PALMARES, 2):
        rows.append(
            {column: None for column in columns}
            | {
                "source_file": "tests/hand-made",
                "source_row": number,
                "edition": edition,
                "name": name,
                "arobases": level,
                "kind": kind,
                "code": code,
                "entity": entity,
                "resolution_method": "test",
                "resolution_score": 1.0,
                "distinction": distinction,
            }
        )
    tables["laureates"] = pd.DataFrame(rows, columns=columns).astype({"arobases": "Int64"})
    frame = pd.DataFrame(
        PALMARES, columns=["edition", "name", "code", "entity", "level", "kind", "d"]
    )
    edition = pd.DataFrame({column: None for column in tables["edition"].columns}, index=range(3))
    edition["label_year"] = [2017, 2018, 2019]
    edition["has_mention_level"] = False
    for position, year in enumerate([2017, 2018, 2019]):
        held = frame[frame["edition"] == year]
        edition.loc[position, "total_labelled"] = len(held)
        for level in range(1, 6):
            edition.loc[position, f"n_{level}"] = int((held["level"] == level).sum())
    tables["edition"] = edition
    return tables


@pytest.fixture
def hand_made(tmp_paths):
    build_warehouse(tmp_paths, hand_made_tables(), TINY_SOURCES, TINY_BUILD_INFO)
    with duckdb.connect(str(tmp_paths.warehouse), read_only=True) as con:
        yield edition_stats.edition_tables(con, 2019)


def by(frame: pd.DataFrame, key: str, value: str) -> dict[str, object]:
    return frame.set_index(key)[value].to_dict()


def test_levels_match_the_hand_count(hand_made):
    levels = hand_made["levels"]
    assert by(levels, "level", "count") == {5: 1, 4: 0, 3: 0, 2: 1, 1: 1}
    assert by(levels, "level", "published") == {5: 1, 4: 0, 3: 0, 2: 1, 1: 1}
    assert set(levels["status"]) == {"complet"}
    assert by(levels, "level", "previous_count") == {5: 2, 4: 0, 3: 1, 2: 0, 1: 0}
    assert by(levels, "level", "change") == {5: -1, 4: 0, 3: -1, 2: 1, 1: 1}
    assert levels.attrs["title"] == "Lauréats par niveau, édition 2019"
    assert "Sources" in levels.attrs["source"]


def test_kinds_places_and_population_classes(hand_made):
    kinds = hand_made["kinds"].set_index("kind")
    assert kinds.loc["ville", "count"] == 3 and kinds.loc["ville", "change"] == 1
    assert kinds.loc["territoire", "count"] == 0 and kinds.loc["territoire", "change"] == -1
    regions = hand_made["regions"].set_index("code")
    assert regions.loc[
        "32", ["laureates", "laureates_5", "previous_laureates", "change"]
    ].tolist() == [2, 1, 3, -1]
    assert regions.loc["01", ["laureates", "change"]].tolist() == [1, 1]
    assert list(regions["zone"]) == [
        "métropole",
        "outre-mer (DROM)",
    ]  # DROM after metropolitan France
    departements = hand_made["departements"].set_index("code")
    assert departements.loc["59", "laureates"] == 2 and departements.loc["971", "laureates"] == 1
    classes = hand_made["population_classes"].set_index(["zone", "population_class"])
    assert classes.loc[("métropole", "20 000 à 100 000 hab."), "count"] == 1
    assert classes.loc[("métropole", "plus de 100 000 hab."), "count"] == 1
    assert classes.loc[("outre-mer (DROM)", "3 000 à 20 000 hab."), "count"] == 1
    assert classes.loc[
        ("toutes zones", "intercommunalités"), ["count", "previous_count"]
    ].tolist() == [0, 1]
    assert classes["count"].sum() == 3


def test_transitions_mentions_and_population(hand_made):
    transitions = hand_made["transitions"].set_index("transition")
    assert transitions["count"].to_dict() == {
        "entry": 1,
        "return": 0,
        "renewal": 1,
        "upgrade": 0,
        "downgrade": 1,
        "exit": 1,
        "unknown": 0,
    }
    assert transitions.loc["exit", "collectivities"] == "Métropole Européenne de Lille"
    assert transitions.loc["downgrade", "collectivities"] == "La Madeleine"
    mentions = hand_made["mentions"]
    assert mentions.to_dict("records") == [
        {
            "distinction": "mention Transition écologique",
            "count": 1,
            "collectivities": "La Madeleine",
        }
    ]
    population = hand_made["population"].set_index("measure")
    assert population.loc[
        "labelled_communes_population", ["value", "previous_value", "change"]
    ].tolist() == [260_790, 251_790, 9_000]
    assert population.loc["epci_member_communes", ["value", "previous_value"]].tolist() == [0, 2]
    assert population.loc["population_covered", ["value", "previous_value"]].tolist() == [
        260_790,
        251_790,
    ]


def test_without_any_known_population_the_communes_count_as_population_unknown(tmp_paths):
    """A reference without populations (a COG without its population file): every labelled
    commune falls in the «population inconnue» class instead of crashing the tables."""
    tables = hand_made_tables()
    tables["commune"]["population"] = pd.array([None] * len(tables["commune"]), dtype="Int64")
    build_warehouse(tmp_paths, tables, TINY_SOURCES, TINY_BUILD_INFO)
    with duckdb.connect(str(tmp_paths.warehouse), read_only=True) as con:
        classes = edition_stats.edition_tables(con, 2019)["population_classes"]
    unknown = classes[classes["population_class"] == "population inconnue"].set_index("zone")
    assert unknown["count"].to_dict() == {"métropole": 2, "outre-mer (DROM)": 1}
    assert unknown.loc["métropole", "previous_count"] == 2
    assert classes["count"].sum() == 3


def test_readers_see_french_names_and_the_csv_keeps_the_codes(hand_made):
    """A machine code beside its French name is hidden from readers, kept in the data."""
    from pipeline.report.tables import described_table, reader_view

    for name, code, french in (
        ("levels", "level", "level_name"),
        ("kinds", "kind", "kind_name"),
        ("transitions", "transition", "transition_name"),
        ("ten", "measure", "measure_name"),
        ("population", "measure", "measure_name"),
    ):
        table = hand_made[name]
        assert code in table.columns and table.attrs["hidden"] == [code], name
        shown = reader_view(table)
        assert code not in shown.columns and french in shown.columns, name
        assert shown.attrs["title"] == table.attrs["title"]
    levels = hand_made["levels"]
    assert list(levels.columns[:3]) == ["level", "count", "level_name"]  # the CSV's order
    assert list(reader_view(levels).columns[:2]) == ["level_name", "count"]  # the headers'
    html = described_table(hand_made["transitions"]).to_html()
    assert "renouvellements au même niveau" in html
    assert ">renewal<" not in html and ">Code<" not in html
    assert "\u22121<" in described_table(hand_made["levels"]).to_html()  # 5 @: 1 against 2


def test_an_unknown_edition_is_refused(tmp_paths):
    build_warehouse(tmp_paths, hand_made_tables(), TINY_SOURCES, TINY_BUILD_INFO)
    with (
        duckdb.connect(str(tmp_paths.warehouse), read_only=True) as con,
        pytest.raises(
            edition_stats.UnknownEdition, match="edition 2010 is not in the editions table"
        ),
    ):
        edition_stats.edition_tables(con, 2010)


def test_real_data_reproduces_the_complete_5_at_counts_and_says_which_it_cannot(real_warehouse):
    with duckdb.connect(str(real_warehouse.warehouse), read_only=True) as con:
        published = dict(
            con.execute("SELECT label_year, n_5 FROM edition WHERE n_5 IS NOT NULL").fetchall()
        )
        for edition in (2008, 2009):
            levels = edition_stats.edition_tables(con, edition)["levels"].set_index("level")
            assert levels.loc[5, "status"] == "complet"
            assert levels.loc[5, "count"] == levels.loc[5, "published"] == published[edition]
            assert levels.loc[4, "status"] == "partiel (minimum)"
            note = edition_stats.edition_tables(con, edition)["levels"].attrs["note"]
            assert f"5 @ ({published[edition]} sur {published[edition]})" in note
            assert "4 @, 3 @, 2 @, 1 @" in note
        levels_2009 = edition_stats.edition_tables(con, 2009)["levels"].set_index("level")
        assert levels_2009.loc[5, "change"] == published[2009] - published[2008]  # both complete
        assert pd.isna(levels_2009.loc[4, "change"])  # partial: no change is computed


def totals_only_tables() -> dict[str, pd.DataFrame]:
    """The hand-made palmarès with only each edition's total published, as most editions are:
    the whole lists are held, so every level, kind, place and class count is exact."""
    tables = hand_made_tables()
    for level in range(1, 6):
        tables["edition"][f"n_{level}"] = None
    return tables


def edition_2019(paths, tables) -> dict[str, pd.DataFrame]:
    build_warehouse(paths, tables, TINY_SOURCES, TINY_BUILD_INFO)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return edition_stats.edition_tables(con, 2019)


def test_a_complete_edition_makes_every_breakdown_exact_without_level_counts(tmp_paths):
    tables = edition_2019(tmp_paths, totals_only_tables())
    levels = tables["levels"]
    assert set(levels["status"]) == {"complet (liste entière détenue)"}
    assert by(levels, "level", "change") == {5: -1, 4: 0, 3: -1, 2: 1, 1: 1}
    assert "Comptes complets : 5 @ (1), 4 @ (0), 3 @ (0), 2 @ (1), 1 @ (1)" in levels.attrs["note"]
    assert "(minimums) : aucun" in levels.attrs["note"]
    assert tables["kinds"].set_index("kind").loc["ville", "change"] == 1
    assert tables["regions"].set_index("code").loc["32", "change"] == -1
    classes = tables["population_classes"].set_index(["zone", "population_class"])
    assert classes.loc[("toutes zones", "intercommunalités"), "change"] == -1


def test_a_breakdown_is_exact_only_where_every_row_states_it(tmp_paths):
    tables = totals_only_tables()
    laureates = tables["laureates"]
    laureates.loc[(laureates["edition"] == 2019) & (laureates["code"] == BASSE_TERRE), "kind"] = (
        None
    )
    stats = edition_2019(tmp_paths, tables)
    assert stats["kinds"]["change"].isna().all()  # one 2019 row does not say it is a ville
    assert stats["regions"].set_index("code").loc["32", "change"] == -1  # places still exact
    assert set(stats["levels"]["status"]) == {"complet (liste entière détenue)"}


def test_a_row_set_aside_keeps_levels_exact_but_not_places(tmp_paths):
    """2019 published as 4 with a fourth row set aside (two Mérignac): the 5 @ count includes
    it; where it lies is unknown, so places and classes are minimums."""
    tables = totals_only_tables()
    tables["edition"].loc[tables["edition"]["label_year"] == 2019, "total_labelled"] = 4
    columns = list(tables["quarantine"].columns)
    tables["quarantine"] = pd.DataFrame(
        [
            {column: None for column in columns}
            | {
                "source_file": "tests/hand-made",
                "source_row": 99,
                "edition": 2019,
                "name": "Mérignac",
                "arobases": 5,
                "reason": "ambiguous: 2 communes",
                "candidates": ["33281 Mérignac (33)", "16216 Mérignac (16)"],
            }
        ],
        columns=columns,
    )
    tables["quarantine"]["arobases"] = tables["quarantine"]["arobases"].astype("Int64")
    stats = edition_2019(tmp_paths, tables)
    levels = stats["levels"]
    assert by(levels, "level", "count")[5] == 2 and by(levels, "level", "change")[5] == 0
    assert stats["regions"]["change"].isna().all()
    assert stats["population_classes"]["change"].isna().all()
    assert stats["kinds"]["change"].isna().all()


def test_the_continuity_basis_is_built_once_per_edition(tmp_paths, monkeypatch):
    """The coverage and the knowledge grid are computed once for the edition's tables, and
    the transitions and TEN tables rest on that same basis."""
    from pipeline.analysis.continuity import basis as continuity_basis

    built = []

    def counted(*args, **kwargs):
        built.append(continuity_basis.build_basis(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(edition_stats.continuity, "build_basis", counted)
    coverage_models = []
    model = continuity_basis.coverage_model
    monkeypatch.setattr(
        continuity_basis,
        "coverage_model",
        lambda *args, **kwargs: coverage_models.append(args) or model(*args, **kwargs),
    )
    tables = edition_2019(tmp_paths, hand_made_tables())
    assert len(built) == 1 and len(coverage_models) == 1
    assert tables["transitions"].set_index("transition").loc["entry", "count"] == 1
