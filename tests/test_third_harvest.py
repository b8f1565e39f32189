"""The third harvest of the palmarès (data/raw/palmares/NOTES.md, "Third harvest"): five laureate
rows, edition aggregates whose 2015 counts per level (190) disagree with the total (241), and
an undated snapshot of @ counts kept apart from the palmarès."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import EXPECTED_COUNTS, raw_records

from pipeline.analysis import continuity
from pipeline.analysis.coverage import coverage_model
from pipeline.build.assemble.palmares import assemble_palmares
from pipeline.build.resolve import Resolver, load_overrides
from pipeline.build.sources.editions import (
    LEVEL_COLUMNS,
    choose_editions,
    read_edition_aggregates,
)
from pipeline.build.sources.palmares import read_palmares
from pipeline.build.sources.snapshots import observations, read_undated_snapshot
from pipeline.errors import InputError
from pipeline.paths import DEFAULT_ROOT, Paths

PALMARES = DEFAULT_ROOT / "data" / "raw" / "palmares"
SNAPSHOT_FILE = "data/raw/palmares/undated_jdn_snapshot.csv"
#: The harvest's laureate rows and the collectivity each names: codes and names read in
#: data/raw/reference/commune.csv and epci.csv.
HARVEST = {
    (2021, "Bras-sur-Meuse"): ("55073", "Bras-sur-Meuse"),
    (2021, "Thionville"): ("57672", "Thionville"),
    (2009, "Pontarlier"): ("25462", "Pontarlier"),
    (2015, "Saint-Apollinaire-de-Rias"): ("07214", "Saint-Apollinaire-de-Rias"),
    (2015, "Communauté d'agglomération du pays Ajaccien"): ("242010056", "CA du Pays Ajaccien"),
}
SNAPSHOT_HEADER = (
    "name,insee,departement,arobases,jdn_field_value,jdn_page_url,carrier_file,"
    "carrier_commit_date\n"
)
PAGE = "https://www.journaldunet.com/management/ville/x/ville-1"
CARRIER = "https://github.com/example/scrape/blob/0/infos.csv"


@pytest.fixture(scope="module")
def resolver(reference) -> Resolver:
    return Resolver(reference, load_overrides(PALMARES / "overrides.csv", reference))


def test_the_five_rows_are_appended_and_resolve_to_their_codes(reference, resolver):
    rows = read_palmares(PALMARES / "laureates.csv", source_file="laureates.csv")
    new = rows[[key in HARVEST for key in zip(rows["edition"], rows["published_name"])]]
    assert list(new["source_row"]) == [247, 248, 249, 250, 251]  # the end of the file
    decisions = resolver.resolve_rows(new)
    assert (decisions["status"] == "resolved").all(), decisions["reason"].tolist()
    names = {
        **dict(zip(reference["commune"]["commune_code"], reference["commune"]["name"])),
        **dict(zip(reference["epci"]["epci_siren"], reference["epci"]["name"])),
    }
    for key, code in zip(zip(new["edition"], new["published_name"]), decisions["code"]):
        assert (code, names[code]) == HARVEST[key]
    # Bras-sur-Meuse: 4 @ in 2017 (cofhd) and 5 @ in 2021, a conflict of sources kept as is
    bras = rows[resolver.resolve_rows(rows)["code"] == "55073"]
    assert dict(zip(bras["edition"], bras["arobases"])) == {2017: 4, 2021: 5}


def test_the_2015_counts_per_level_and_total_are_both_reported():
    editions, conflicts = choose_editions(read_edition_aggregates(PALMARES / "editions.csv"), set())
    year_2015 = editions.set_index("label_year").loc[2015]
    assert year_2015["total_labelled"] == 241  # the total as stated, never averaged
    assert [year_2015[c] for c in LEVEL_COLUMNS] == [36, 37, 48, 38, 31]  # nor dropped
    gaps = conflicts[conflicts["rule"].str.startswith("the total stated is kept")]
    expected = EXPECTED_COUNTS["palmares"]["level_sum_conflicts"]
    assert {
        (int(year), value, value == str(total))
        for year, (total, summed) in expected.items()
        for value in (str(total), str(summed))
    } == set(zip(gaps["label_year"], gaps["value"], gaps["is_chosen"]))
    assert "36 + 37 + 48 + 38 + 31" in gaps["rule"].iloc[0]
    localtis = "https://www.banquedesterritoires.fr/villes-internet-241-communes"
    assert all(urls[0].startswith(localtis) for urls in gaps["source_urls"])
    # 2017: 33 at 5 @ among 331, the other levels unknown: nothing contradicts the total
    assert not (
        (conflicts["label_year"] == 2017) & (conflicts["measure"] == "total_labelled")
    ).any()


def aggregate_rows(tmp_path: Path, *rows: dict) -> pd.DataFrame:
    """editions.csv with these rows (other cells empty), read as the build reads it."""
    columns = read_edition_aggregates(PALMARES / "editions.csv").columns
    header = ["edition_year", *(c for c in columns if c not in _DERIVED)]
    frame = pd.DataFrame(
        [{"edition_year": r.pop("year"), **r} for r in rows], columns=header, dtype=object
    )
    path = tmp_path / "editions.csv"
    frame.to_csv(path, index=False)
    return read_edition_aggregates(path)


_DERIVED = ("source_row", "edition_label", "first_year", "last_year")


def test_counts_per_level_that_cannot_add_up_are_a_conflict(tmp_path):
    levels = dict(zip(LEVEL_COLUMNS, (34, 30, 40, 26, 20), strict=True))  # sum 150
    table = aggregate_rows(
        tmp_path,
        {"year": 2015, "total_labelled": 241, "source_url": "https://a.example"}
        | dict(zip(LEVEL_COLUMNS, (36, 37, 48, 38, 31), strict=True)),
        {"year": 2016, "total_labelled": 163, "source_url": "https://b.example"}
        | dict(zip(LEVEL_COLUMNS, (30, 25, 31, 37, 40), strict=True)),  # adds up
        {"year": 2017, "total_labelled": 331, "n_5": 33, "source_url": "https://c.example"},
        # 2008: 14 + 26 + 64 + 69 + 23 = 196 of 203, the «mention» count not given: it may be 7
        {"year": 2008, "total_labelled": 203, "source_url": "https://h.example"}
        | dict(zip(LEVEL_COLUMNS, (14, 26, 64, 69, 23), strict=True)),
        {"year": 2012, "total_labelled": 20, "n_5": 29, "source_url": "https://d.example"},
        {"year": 2014, "total_labelled": 271, "source_url": "https://e.example/1"},
        {"year": 2014, "total_labelled": 271, "source_url": "https://e.example/2"},
        {"year": 2014, "total_labelled": 150, "source_url": "https://f.example"},
        {"year": 2014, "source_url": "https://g.example"} | levels,
    )
    _, conflicts = choose_editions(table, set())
    totals = conflicts[conflicts["measure"] == "total_labelled"]
    found = {
        (year, value): (chosen, urls)
        for year, value, chosen, urls in totals[
            ["label_year", "value", "is_chosen", "source_urls"]
        ].itertuples(index=False)
    }
    assert found == {
        (2015, "241"): (True, ["https://a.example"]),
        (2015, "190"): (False, ["https://a.example"]),
        (2012, "20"): (True, ["https://d.example"]),  # one level above the total
        (2012, "29"): (False, ["https://d.example"]),
        (2014, "271"): (True, ["https://e.example/1", "https://e.example/2"]),
        # a source states the levels' sum as the total: the level source joins it
        (2014, "150"): (False, ["https://f.example", "https://g.example"]),
    }
    assert (totals.groupby("label_year")["is_chosen"].sum() == 1).all()


def test_every_snapshot_row_resolves_to_the_code_the_page_shows(resolver):
    seen = read_undated_snapshot(PALMARES / "undated_jdn_snapshot.csv", SNAPSHOT_FILE)
    assert len(seen) == len(raw_records("palmares/undated_jdn_snapshot.csv"))
    table = observations(seen, resolver.resolve_rows(seen))
    assert len(table) == len(seen)  # nothing lost
    assert table["code"].notna().sum() == EXPECTED_COUNTS["palmares"]["undated_resolved"]
    resolved = table.dropna(subset=["code"])
    assert (resolved["code"] == resolved["published_code"]).all()
    assert table.loc[table["code"].isna(), "reason"].notna().all()
    abymes = table[table["name"] == "Les Abymes"].iloc[0]  # 4 @ in the 2022 label: not here
    assert (abymes["code"], abymes["arobases"], abymes["shown_as"]) == ("97101", 2, "2arobase(s)")
    assert abymes["observed_before"] == dt.date(2021, 6, 19)


def write_snapshot(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "undated_jdn_snapshot.csv"
    path.write_text(SNAPSHOT_HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_a_snapshot_row_that_does_not_resolve_keeps_its_reason(tmp_path, resolver):
    path = write_snapshot(
        tmp_path,
        f"Lille,59368,Nord,3,3 arobase(s),{PAGE},{CARRIER},2022-08-15",  # 59368 is La Madeleine
        f"Saint-Denis,,,2,2 arobase(s),{PAGE},{CARRIER},2022-08-15",  # several communes
        f"Lille,59350,Nord,4,4 arobase(s),{PAGE},{CARRIER},2022-08-15",
    )
    seen = read_undated_snapshot(path, "snapshot.csv")
    table = observations(seen, resolver.resolve_rows(seen))
    assert table["code"].tolist()[2] == "59350" and table["code"].iloc[:2].isna().all()
    assert table["reason"].iloc[0].startswith("conflict: code 59368 is La Madeleine")
    assert table["reason"].iloc[1].startswith("ambiguous")
    assert table["reason"].iloc[2] is None or pd.isna(table["reason"].iloc[2])


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (f"Lille,59350,Nord,6,6 arobase(s),{PAGE},{CARRIER},2022-08-15", "not a level"),
        (f"Lille,59350,Nord,2,3 arobase(s),{PAGE},{CARRIER},2022-08-15", "does not state 2 @"),
        (f"Lille,59350,Nord,2,2 arobase(s),{PAGE},{CARRIER},20220815", "is not a date"),
        (f"Lille,59350,Nord,2,2 arobase(s),javascript:alert(1),{CARRIER},2022-08-15", "https"),
        (f",59350,Nord,2,2 arobase(s),{PAGE},{CARRIER},2022-08-15", "name is empty"),
        ("Lille,59350", "2 cells for 8 columns"),
    ],
)
def test_a_bad_snapshot_cell_names_its_row(tmp_path, line, problem):
    good = f"Lille,59350,Nord,4,4 arobase(s),{PAGE},{CARRIER},2022-08-15"
    with pytest.raises(InputError, match=f"row 3: .*{problem}"):
        read_undated_snapshot(write_snapshot(tmp_path, good, line), "snapshot.csv")


def test_snapshot_rows_are_numbered_as_an_editor_shows_them(tmp_path):
    good = f"Lille,59350,Nord,4,4 arobase(s),{PAGE},{CARRIER},2022-08-15"
    seen = read_undated_snapshot(write_snapshot(tmp_path, good, "", good), "snapshot.csv")
    assert list(seen["source_row"]) == [2, 4]  # the blank line 3 is skipped, not renumbered
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty: expected the header name,insee"):
        read_undated_snapshot(empty, "empty.csv")


def test_a_palmares_without_snapshot_gives_an_empty_table(tmp_path, reference):
    """Scratch roots (benchmarks/synthetic_root.py) list no snapshot: the table is empty."""
    paths = Paths(tmp_path)
    shutil.copytree(PALMARES, paths.raw / "palmares")
    listed = paths.raw / "palmares" / "manifest.json"
    entries = json.loads(listed.read_text("utf-8"))["files"]
    kept = [e for e in entries if e["role"] != "undated_observations"]
    assert len(kept) == len(entries) - 1
    listed.write_text(json.dumps({"files": kept}), "utf-8")
    tables = assemble_palmares(paths, reference).tables
    assert tables["undated_observation"].empty
    assert len(tables["laureates"]) == EXPECTED_COUNTS["palmares"]["resolved"]


def analyses(con: duckdb.DuckDBPyConnection) -> list[pd.DataFrame]:
    """What coverage, continuity and TEN eligibility give on a warehouse."""
    basis = continuity.build_basis(con, claims=True)
    return [
        coverage_model(con),
        continuity.continuity_table(basis),
        continuity.ten_eligibility(basis),
    ]


def test_the_snapshot_is_its_own_table_and_counts_in_nothing(real_warehouse, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(real_warehouse.warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        observed, resolved = con.execute(
            "SELECT count(*), count(code) FROM undated_observation"
        ).fetchone()
        assert observed == len(raw_records("palmares/undated_jdn_snapshot.csv"))
        assert resolved == EXPECTED_COUNTS["palmares"]["undated_resolved"]
        assert con.execute(
            "SELECT row_count FROM source WHERE path = ?", [SNAPSHOT_FILE]
        ).fetchone() == (observed,)
        for table in ("laureates", "quarantine"):
            query = f"SELECT count(*) FROM {table} WHERE source_file = ?"
            assert con.execute(query, [SNAPSHOT_FILE]).fetchone() == (0,)
        laureates = con.execute("SELECT count(*) FROM laureates").fetchone()[0]
        assert laureates == EXPECTED_COUNTS["palmares"]["resolved"]
        with_snapshot = analyses(con)
        con.execute("DELETE FROM undated_observation")
        for before, after in zip(with_snapshot, analyses(con), strict=True):
            pd.testing.assert_frame_equal(before, after)
