"""The written rule that picks one value per edition among disagreeing sources."""

from pathlib import Path

import pandas as pd
import pytest
from conftest import EXPECTED_COUNTS

from pipeline.build.sources.editions import choose_editions, read_edition_aggregates
from pipeline.errors import InputError
from pipeline.paths import DEFAULT_ROOT

EDITIONS_CSV = DEFAULT_ROOT / "data" / "raw" / "palmares" / "editions.csv"
HEADER = (
    "edition_year,edition_number,ceremony_date,ceremony_place,total_labelled,n_5,n_4,n_3,"
    "n_2,n_1,n_mention,n_territoires,n_villes,n_villages,n_new_candidates,n_ten,other_fact,"
    "source_url,quote\n"
)


def aggregates(tmp_path: Path, *rows: str) -> pd.DataFrame:
    path = tmp_path / "editions.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return read_edition_aggregates(path)


def chosen(editions: pd.DataFrame, year: int, measure: str):
    return editions.set_index("label_year").loc[year, measure]


def test_each_step_of_the_rule(tmp_path):
    table = aggregates(
        tmp_path,
        # 2012: the association's site wins over two press sources agreeing with each other
        "2012,13,2012-02-06,,356,,,,,,,,,,,,,https://press-a.example/x,",
        "2012,13,2012-02-06,,356,,,,,,,,,,,,,https://press-b.example/x,",
        "2012,13,2012-02-07,,356,,,,,,,,,,,,,https://www.villes-internet.net/site/x,",
        # 2008: the precise date over the month it belongs to
        "2008,10,2008-11,,203,,,,,,,,,,,,,https://press-a.example/y,",
        "2008,10,2008-11-24,,203,14,26,64,69,23,7,,,,,,,https://press-b.example/y,",
        # 2006: majority, then 2018: tie broken by the complete distribution, then file order
        "2006,8,,,223,10,,,,,,,,,,,,https://press-a.example/z,",
        "2006,8,,,223,9,,,,,,,,,,,,https://press-b.example/z,",
        "2006,8,,,223,10,,,,,,,,,,,,https://press-c.example/z,",
        "2018,19,,,205,,,,,,,,151,,,,,https://press-a.example/w,",
        "2018,19,,,205,,,,,,,,131,,,,,https://press-b.example/w,",
        "2000-2005,,,,,,,,,,,,,,,,only 0 to 3 villes 5@ per year,https://press-a.example/v,",
    )
    editions, conflicts = choose_editions(table, laureate_years={2021})
    # every label year from 1999 to the latest named, but 2010 (README, edition keying)
    assert list(editions["label_year"]) == [*range(1999, 2010), *range(2011, 2022)]
    assert pd.isna(chosen(editions, 2003, "total_labelled"))  # an edition we know nothing about
    assert chosen(editions, 2012, "ceremony_date") == "2012-02-07"
    assert chosen(editions, 2008, "ceremony_date") == "2008-11-24"
    assert chosen(editions, 2006, "n_5") == 10
    assert chosen(editions, 2018, "n_villes") == 151
    assert chosen(editions, 2008, "has_mention_level") and not chosen(
        editions, 2012, "has_mention_level"
    )
    rules = conflicts.set_index(["label_year", "measure", "value"])["rule"]
    assert rules[(2012, "ceremony_date", "2012-02-06")].startswith("1.")
    assert rules[(2008, "ceremony_date", "2008-11")].startswith("2.")
    assert rules[(2006, "n_5", "9")].startswith("3.")
    assert rules[(2018, "n_villes", "131")].startswith("5.")
    losing = conflicts[(conflicts.label_year == 2006) & (conflicts.value == "9")].iloc[0]
    assert not losing.is_chosen and losing.source_urls == ["https://press-b.example/z"]
    assert not ((conflicts.label_year == 2012) & (conflicts.measure == "total_labelled")).any()


def test_real_editions_keep_every_source_and_choose_once():
    table = read_edition_aggregates(EDITIONS_CSV)
    raw_rows = sum(1 for _ in EDITIONS_CSV.open(encoding="utf-8")) - 1
    assert len(table) == raw_rows
    editions, conflicts = choose_editions(table, set())
    assert editions["label_year"].is_unique
    assert chosen(editions, 2009, "n_5") == 16 and chosen(editions, 2021, "total_labelled") == 219
    # the TEN awarded, each on the row of the source that states it (NOTES.md, "TEN counts")
    ten = editions.dropna(subset=["n_ten"]).set_index("label_year")["n_ten"].to_dict()
    assert ten == {int(year): count for year, count in EXPECTED_COUNTS["ten"]["awarded"].items()}
    chosen_per_measure = conflicts.groupby(["label_year", "measure"])["is_chosen"].sum()
    assert (chosen_per_measure == 1).all()


def test_a_bad_number_names_the_row(tmp_path):
    with pytest.raises(InputError, match="row 3: total_labelled is not a whole number"):
        aggregates(
            tmp_path,
            "2012,13,,,356,,,,,,,,,,,,,https://a.example,",
            "2013,14,,,plus de 300,,,,,,,,,,,,,https://a.example,",
        )


def test_a_missing_column_is_named(tmp_path):
    path = tmp_path / "editions.csv"
    path.write_text(
        HEADER.replace("n_ten,", "") + "2012,13,,,356,,,,,,,,,,,,https://a.example,\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="row 1: missing column\\(s\\) n_ten"):
        read_edition_aggregates(path)
