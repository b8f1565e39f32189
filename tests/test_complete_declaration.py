"""`palmares ingest --complete --declared-by NAME`: an export declared the whole palmarès of its
editions makes their counts exact, with its provenance kept, and a published total that
disagrees with it shows as a conflict.

The export is a TEST FIXTURE written by the tests: the real rows of 2014 and 2015 of
data/raw/palmares/laureates.csv (real collectivities, real levels and sources), one per
collectivity, in an association-like CSV. Declaring it "complete" is the test's pretence: the
real palmarès of those editions is much longer (editions.csv), which is why their published
totals must show as conflicts.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import TINY_BUILD_INFO, TINY_SOURCES, palmares, project_copy, tiny_tables

from pipeline.analysis import continuity, coverage, edition_stats
from pipeline.build import ingest, manifest
from pipeline.build.claim_semantics import ABSENT
from pipeline.build.schema import schema_columns
from pipeline.build.sources import editions
from pipeline.build.warehouse import build_warehouse, connect_read_only
from pipeline.errors import InputError
from pipeline.paths import DEFAULT_ROOT, Paths

LAUREATES = DEFAULT_ROOT / "data" / "raw" / "palmares" / "laureates.csv"
DECLARED = (2014, 2015)  # consecutive, every row states its level, none set aside
EXPORT = "TEST-export-declare-complet.csv"
WHO = "Testeuse (test)"


def fixture_rows() -> list[dict]:
    """The committed palmarès' rows of the declared editions, one per collectivity."""
    with LAUREATES.open(encoding="utf-8") as stream:
        rows = [r for r in csv.DictReader(stream) if int(r["edition_year"]) in DECLARED]
    unique = {(r["edition_year"], r["collectivity_name"], r["department_code"]): r for r in rows}
    return list(unique.values())


def write_export(path: Path, rows: list[dict]) -> Path:
    """An association-like export (semicolon, French headers) of `rows`."""
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(["Année", "Collectivité", "Département", "Catégorie", "Nb @", "Source"])
        writer.writerows(
            [
                r["edition_year"],
                r["collectivity_name"],
                r["department_code"],
                r["category"],
                r["arobases"],
                r["source_url"],
            ]
            for r in rows
        )
    return path


def digests(paths: Paths) -> dict[Path, str]:
    files = [paths.warehouse, *paths.raw.rglob("*")]
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


def palmares_entry(paths: Paths, name: str) -> dict:
    entries = manifest.load(paths.raw / "palmares")
    return next(e for e in entries if e["path"] == f"{ingest.IMPORTS}/{name}")


def coverage_of(paths: Paths) -> pd.DataFrame:
    with connect_read_only(paths) as con:
        return coverage.coverage_model(con)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project copy where the export was ingested without, then with, --complete (the
    coverage and conflicts after each step kept for the tests)."""
    root = tmp_path_factory.mktemp("declared")
    paths = project_copy(root / "project", editions=[2015], collectivities=[])
    export = write_export(root / EXPORT, fixture_rows())
    steps = {}
    for step, flags in (("plain", []), ("declared", ["--complete", "--declared-by", WHO])):
        result = palmares(paths, "ingest", *flags, str(export))
        assert result.returncode == 0, result.stderr
        with connect_read_only(paths) as con:
            steps[step] = {
                "stdout": result.stdout,
                "coverage": coverage.coverage_model(con),
                "conflicts": con.execute("SELECT * FROM edition_conflict").df(),
                "edition": con.execute("SELECT * FROM edition ORDER BY label_year").df(),
                "declarations": con.execute("SELECT * FROM complete_declaration").df(),
            }
    return paths, export, steps


@pytest.fixture(scope="module")
def committed(real_warehouse) -> dict:
    """Coverage and conflicts of the committed palmarès, before any export."""
    with connect_read_only(real_warehouse) as con:
        return {
            "coverage": coverage.coverage_model(con),
            "conflicts": con.execute("SELECT * FROM edition_conflict").df(),
            "edition": con.execute("SELECT * FROM edition ORDER BY label_year").df(),
        }


@pytest.mark.slow
def test_without_complete_nothing_changes(project, committed):
    _, _, steps = project
    plain = steps["plain"]
    assert plain["declarations"].empty
    pd.testing.assert_frame_equal(plain["edition"], committed["edition"])
    pd.testing.assert_frame_equal(plain["conflicts"], committed["conflicts"])
    # the rows re-sent are the rows held: same coverage (a row set aside sent twice counts once)
    pd.testing.assert_frame_equal(plain["coverage"], committed["coverage"])
    declared = plain["coverage"][plain["coverage"]["edition"].isin(DECLARED)]
    assert not declared["complete"].any()


@pytest.mark.slow
def test_a_declared_export_makes_every_count_of_its_editions_exact(project):
    paths, _, steps = project
    cov = steps["declared"]["coverage"]
    rows = fixture_rows()
    for year in DECLARED:
        mine = [r for r in rows if int(r["edition_year"]) == year]
        whole = coverage.scope_row(cov, year, "all")
        assert whole["complete"] and whole["basis"] == "declared list", whole
        assert whole["published"] == whole["held"] == len(mine)
        for level in range(1, 6):
            row = coverage.scope_row(cov, year, f"{level}@")
            assert row["complete"], row
            assert row["held"] == sum(r["arobases"] == str(level) for r in mine)
    assert set(coverage.complete_editions(cov)) == set(DECLARED)
    with connect_read_only(paths) as con:
        levels = edition_stats.edition_tables(con, 2015)["levels"].set_index("level")
        basis = continuity.build_basis(con)
        held = {
            year: {
                c
                for (c,) in con.execute(
                    "SELECT code FROM laureates WHERE edition = ?", [year]
                ).fetchall()
            }
            for year in DECLARED
        }
        # continuity reads completeness from coverage: a 2014 laureate missing from the
        # declared 2015 list is known not labelled in 2015, where before it was unknown
        left = sorted(held[2014] - held[2015])
        cells = basis.cells_of(left)
    assert left
    assert (cells.loc[cells["edition"] == 2015, "mask"] == ABSENT).all()
    assert set(levels["status"]) == {"complet"}
    assert levels["change"].notna().all()  # 2014 is exact too: changes are given
    for level, row in levels.iterrows():
        expected = [r for r in rows if r["edition_year"] == "2015" and r["arobases"] == str(level)]
        assert row["count"] == len(expected)


@pytest.mark.slow
def test_a_published_total_that_disagrees_is_a_conflict_and_the_list_is_kept(project, committed):
    paths, _, steps = project
    conflicts = steps["declared"]["conflicts"]
    published = committed["edition"].set_index("label_year")
    edition = steps["declared"]["edition"].set_index("label_year")
    source = f"data/raw/palmares/imports/{EXPORT}"
    for year in DECLARED:
        mine = conflicts[conflicts["label_year"] == year]
        total = mine[mine["measure"] == "total_labelled"]
        kept = total[total["is_chosen"]].iloc[0]
        assert int(kept["value"]) == sum(int(r["edition_year"]) == year for r in fixture_rows())
        assert list(kept["source_urls"]) == [source] and kept["rule"] == editions.DECLARED_RULE
        others = set(total.loc[~total["is_chosen"], "value"])
        assert str(published.loc[year, "total_labelled"]) in others
        assert edition.loc[year, "total_labelled"] == int(kept["value"])
    # `palmares check` shows the list's count as the published total, and the edition complete
    result = palmares(paths, "check")
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("## Coverage per edition")[1].split("\n## ")[0]
    line = next(x for x in section.splitlines() if x.split()[:1] == ["2015"])
    assert line.split()[-1] == "complete"


@pytest.mark.slow
def test_the_declaration_is_kept_with_its_provenance(project):
    paths, export, steps = project
    assert f"{EXPORT}: replaced" in steps["declared"]["stdout"]
    assert f"declared complete for edition(s) 2014, 2015 by {WHO}" in steps["declared"]["stdout"]
    declared = palmares_entry(paths, EXPORT)[manifest.DECLARED_COMPLETE]
    assert declared["by"] == WHO and declared["editions"] == list(DECLARED)
    table = steps["declared"]["declarations"].sort_values("edition")
    assert list(table["edition"]) == list(DECLARED)
    assert set(table["declared_by"]) == {WHO}
    assert {d.isoformat() for d in pd.to_datetime(table["declared_on"]).dt.date} == {declared["on"]}
    assert set(table["source_file"]) == {f"data/raw/palmares/imports/{EXPORT}"}
    # the same declaration again changes nothing; the file without it is a change
    before = digests(paths)
    again = palmares(paths, "ingest", "--complete", "--declared-by", WHO, str(export))
    assert f"{EXPORT}: unchanged" in again.stdout and digests(paths) == before


@pytest.mark.slow
@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--complete"], "--complete and --declared-by go together"),
        (["--declared-by", WHO], "--complete and --declared-by go together"),
        (["--complete", "--declared-by", "  "], "is empty"),
        (["--complete", "--declared-by", "A\nB"], "control or invisible character"),
    ],
)
def test_complete_without_a_name_is_refused_and_nothing_written(project, flags, expected):
    paths, export, _ = project
    before = digests(paths)
    result = palmares(paths, "ingest", *flags, str(export))
    assert result.returncode == 2
    assert expected in result.stderr and "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert digests(paths) == before


@pytest.mark.slow
def test_a_dry_run_shows_the_declared_editions_complete_and_writes_nothing(tmp_path):
    paths = project_copy(tmp_path / "project", editions=[2015], collectivities=[])
    export = write_export(tmp_path / EXPORT, fixture_rows())
    before = digests(paths)
    flags = ["--dry-run", "--complete", "--declared-by", WHO]
    result = palmares(paths, "ingest", *flags, str(export))
    assert result.returncode == 0, result.stderr
    assert digests(paths) == before
    lines = {line.split(" : ")[0]: line for line in result.stdout.splitlines()}
    for edition in DECLARED:
        assert lines[f"- {edition}"].endswith(f"→ {coverage.STATUS_NAMES['complete']}")
    assert f"déclarées complètes par {WHO}" in result.stdout


def test_complete_is_refused_for_an_insee_figure_download(tmp_path):
    figure = tmp_path / "figure.csv"
    figure.write_text("Code EPCI;Libellé;Taux d'illectronisme (%)\n", encoding="utf-8")
    problem = ingest.usage_problem(True, WHO, [figure])
    assert problem and "not for INSEE figure downloads" in problem


def test_a_hand_edited_declaration_is_checked(tmp_path):
    entry = {"path": "imports/x.csv", "role": "palmares"}
    check = manifest.complete_declaration
    assert check(tmp_path, entry, {2019}) is None
    good = {"by": WHO, "on": "2026-11-30", "editions": [2019]}
    assert check(tmp_path, {**entry, "declared_complete": good}, {2019, 2020})["editions"] == [2019]
    for bad, message in [
        ({**good, "editions": [2018]}, "no row of edition"),
        ({**good, "on": "30/11/2026"}, "declared_complete"),
        ({**good, "by": ""}, "is empty"),
        ({**good, "editions": []}, "not a list of label years"),
    ]:
        with pytest.raises(InputError, match=message):
            check(tmp_path, {**entry, "declared_complete": bad}, {2019})
    with pytest.raises(InputError, match="only for palmarès files"):
        check(tmp_path, {**entry, "role": "claims", "declared_complete": good}, {2019})


def aggregate_rows(rows: list[dict]) -> pd.DataFrame:
    """editions.csv-like source rows, typed as `read_edition_aggregates` gives them."""
    columns = [c.name for c in schema_columns()["edition_aggregate"]]
    frame = pd.DataFrame(rows).reindex(columns=columns)
    frame["source_row"] = range(2, len(frame) + 2)
    frame["edition_label"] = frame["first_year"].astype(str)
    frame["first_year"] = frame["first_year"].astype("int64")
    frame["last_year"] = frame["first_year"]
    for column in editions.INTEGER_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    return frame


def declared(year: int, levels: list[int | None], file: str) -> pd.DataFrame:
    rows = pd.DataFrame({"edition": [year] * len(levels), "arobases": levels}).astype("Int64")
    return editions.declared_counts(rows, file, [year])


def test_the_declared_list_is_kept_over_any_stated_total():
    aggregates = aggregate_rows(
        [
            {"first_year": 2019, "total_labelled": 234, "source_url": "https://press.example/a"},
            {"first_year": 2019, "total_labelled": 5, "source_url": "https://villes-internet.net"},
        ]
    )
    table, conflicts = editions.choose_editions(
        aggregates, {2019}, declared(2019, [5, 5, 3], "imports/test.csv")
    )
    row = table.set_index("label_year").loc[2019]
    assert (row["total_labelled"], row["n_5"], row["n_3"], row["n_1"]) == (3, 2, 1, 0)
    assert pd.isna(row["n_mention"]) and not row["has_mention_level"]
    total = conflicts[conflicts["measure"] == "total_labelled"].set_index("value")
    assert set(total.index) == {"3", "5", "234"}
    assert total.loc["3", "is_chosen"] and total.loc["3", "rule"] == editions.DECLARED_RULE
    assert not total.loc["234", "is_chosen"] and not total.loc["5", "is_chosen"]


def test_a_list_with_a_level_unstated_gives_its_total_only_and_two_lists_are_chosen_between():
    counts = declared(2008, [5, None], "imports/a.csv")
    assert counts.loc[0, "total_labelled"] == 2 and counts[["n_5", "n_mention"]].isna().all(
        axis=None
    )
    lists = [([5, 5], "imports/a.csv"), ([5, 4], "imports/b.csv"), ([5, 4], "imports/c.csv")]
    both = pd.concat([declared(2008, levels, file) for levels, file in lists])
    table, conflicts = editions.choose_editions(aggregate_rows([]), {2008}, both)
    assert table.set_index("label_year").loc[2008, "total_labelled"] == 2
    n5 = conflicts[conflicts["measure"] == "n_5"].set_index("value")
    assert n5.loc["1", "is_chosen"] and n5.loc["1", "rule"].startswith("3.")
    assert list(n5.loc["2", "source_urls"]) == ["imports/a.csv"]


def set_aside(row: int, name: str, departement: str | None, file: str, **extra) -> dict:
    return {
        "source_file": file,
        "source_row": row,
        "edition": 2008,
        "name": name,
        "departement": departement,
        "arobases": 5,
        "reason": "ambiguous: several communes",
        "candidates": ["33281 Mérignac (33)", "16216 Mérignac (16)"],
    } | extra


def held(quarantine: list[dict], tmp_paths: Paths) -> dict:
    tables = tiny_tables()
    tables.setdefault(  # until conftest's tiny tables list it
        "complete_declaration",
        pd.DataFrame(columns=[c.name for c in schema_columns()["complete_declaration"]]),
    )
    columns = [c.name for c in schema_columns()["quarantine"]]
    tables["quarantine"] = pd.DataFrame(quarantine).reindex(columns=columns)
    tables["quarantine"]["arobases"] = tables["quarantine"]["arobases"].astype("Int64")
    columns = [c.name for c in schema_columns()["edition"]]
    tables["edition"] = pd.DataFrame(
        [{"label_year": 2008, "has_mention_level": True, "total_labelled": 2, "n_5": 2}]
    ).reindex(columns=columns)
    build_warehouse(tmp_paths, tables, TINY_SOURCES, TINY_BUILD_INFO)
    with duckdb.connect(str(tmp_paths.warehouse), read_only=True) as con:
        cov = coverage.coverage_model(con)
    return {scope: coverage.scope_row(cov, 2008, scope) for scope in ("all", "5@")}


def test_a_row_set_aside_sent_again_is_held_once(tmp_paths):
    again = held(
        [
            set_aside(2, "Mérignac", None, "laureates.csv"),
            set_aside(7, "MERIGNAC ", None, "imports/export.csv"),  # same name, written otherwise
            set_aside(8, "Blanquefort", "33", "imports/export.csv"),
            set_aside(9, "Blanquefort", "32", "imports/export.csv"),  # another département
        ],
        tmp_paths,
    )
    assert again["all"]["held_quarantined"] == 3 and again["5@"]["held"] == 3


def test_a_row_whose_candidates_are_only_near_names_could_be_anyone(tmp_paths):
    near = set_aside(2, "Communauté X", None, "a.csv", reason="unknown: closest best 74 < 90")
    scopes = held([near, set_aside(3, "Mérignac", None, "a.csv")], tmp_paths)
    assert scopes["all"]["held"] == 2 and not scopes["all"]["complete"]
    assert scopes["all"]["status"] == "held but some rows unidentified"


def test_the_declaration_is_part_of_the_entry_and_withdrawing_it_is_a_change(tmp_path):
    paths = Paths(tmp_path / "project")
    (paths.raw / "palmares").mkdir(parents=True)
    manifest.save(paths.raw / "palmares", [])
    export = write_export(tmp_path / EXPORT, fixture_rows())
    builds = []

    def run(by: str | None) -> tuple[str, list[str]]:
        before = ingest.declarations(paths)
        outcome = ingest.ingest(paths, [export], lambda: builds.append(1), by)[EXPORT]
        return outcome, ingest.declaration_news([EXPORT], before, ingest.declarations(paths))

    assert run(None) == ("added", [])
    outcome, news = run(WHO)
    assert outcome == "replaced" and news[0].startswith(f"{EXPORT}: declared complete")
    assert run(WHO) == ("unchanged", [])
    assert run("Quelqu'un d'autre (test)")[0] == "replaced"  # another person: a change
    outcome, news = run(None)
    assert outcome == "replaced" and "no longer declared complete" in news[0]
    assert ingest.declarations(paths) == {} and len(builds) == 4
    with pytest.raises(ValueError, match="is empty"):
        ingest.ingest(paths, [export], lambda: builds.append(1), " ")
    assert len(builds) == 4
