"""One collectivity's page, on the real warehouse: its rows with sources, the press claims about
it, the rows set aside that may be about it."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.analysis import collectivity
from pipeline.report.tables import markdown_text


@pytest.fixture(scope="module")
def con(real_warehouse):
    with duckdb.connect(str(real_warehouse.warehouse), read_only=True) as connection:
        yield connection


def test_grenoble_history_levels_and_claim(con):
    card = collectivity.profile(con, "38185")
    # names in the heading's Markdown are escaped (markdown_text): they show as written
    expected = "# Grenoble\n\n" + markdown_text("Commune (Isère, 38), code INSEE 38185")
    assert card.heading.startswith(expected)
    assert "meilleur niveau connu : 5 @" in card.heading
    editions = card.levels["edition"].tolist()
    assert editions == sorted(editions) and editions[0] == 2008 and 2021 in editions
    assert (
        card.levels.set_index("edition")["arobases"].isna().to_dict()[2021]
    )  # level not published
    assert card.history.set_index("edition").loc["2021", "level"] == "niveau non publié"
    assert card.history["source_url"].str.len().gt(0).all()  # every row keeps its source
    assert card.claims["check"].tolist() == ["cohérente avec le palmarès"]


def test_a_homonym_set_aside_shows_on_each_candidate(con):
    card = collectivity.profile(con, "33281")  # Mérignac (Gironde): the sources give no département
    assert len(card.set_aside) == 3 and set(card.set_aside["name"]) == {"Mérignac"}
    assert set(card.set_aside["reason"]) == {"homonymes : la source ne dit pas laquelle"}
    assert card.levels.empty and "**0** édition(s)" in card.heading


def test_the_reason_a_row_was_set_aside_reads_in_french():
    """The reader sees the kind of reason in French; its English details stay in the export."""
    assert collectivity.reason_text("ambiguous: 'Mérignac' matches 3 communes") == (
        "homonymes : la source ne dit pas laquelle"
    )
    assert collectivity.reason_text("not a collectivity: laureates.csv note: association") == (
        "pas une collectivité"
    )
    assert collectivity.reason_text("foreign: 'Bromont (Québec)' is in Québec") == "hors de France"
    assert collectivity.reason_text("a reason the build has not named yet") == (
        collectivity.OTHER_REASON
    )


def test_an_unknown_code_is_refused(con):
    with pytest.raises(collectivity.UnknownCollectivity, match="'99999'"):
        collectivity.profile(con, "99999")


@pytest.mark.parametrize(
    "labelled, axis",
    [
        ([2019], (2012, 2019)),  # one edition: widened to the left, not a lone dot
        ([2000, 2001], (1999, 2001)),  # never before the label's first year
        ([2005, 2020], (2005, 2020)),  # its own span when long enough
    ],
)
def test_the_chart_spans_the_collectivitys_own_editions(labelled, axis):
    assert collectivity.chart_years(labelled, 1999) == axis
