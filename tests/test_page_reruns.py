"""Page-level reruns: a page runs again when the data it shows changed, and only then.

Planning is tested without kernels (`jobs.plan`, outputs written by hand) on a hand-made
palmarès over the tiny reference of conftest.py, with the project's own notebooks and
pipeline.toml:

    2017: Lille 4 @, Métropole Européenne de Lille (MEL) 5 @
    2018: Lille 5 @, La Madeleine 3 @, MEL 5 @
    2019: Lille 5 @, La Madeleine 2 @            (2020 is a label year without rows yet)

After each change, every page the plan skips must show what it showed before: what its
analysis computes (`collectivity.profile`, `edition_stats.edition_tables`) is compared before
and after. The end-to-end test (slow) runs the real notebooks on a small hand-made palmarès
and compares an incremental run's pages with a forced run's.
"""

from __future__ import annotations

import csv
import json
import re
import shutil

import duckdb
import pandas as pd
import pytest
from conftest import TINY_BUILD_INFO, TINY_SOURCES, palmares, project_copy, tiny_tables

from pipeline.analysis import collectivity, edition_stats
from pipeline.build import manifest
from pipeline.build.warehouse import build_warehouse
from pipeline.errors import InputError
from pipeline.paths import DEFAULT_ROOT, Paths
from pipeline.run import freshness, jobs, pipeline_toml

LILLE, MADELEINE, BASSE_TERRE, MEL = "59350", "59368", "97105", "200093201"
ENTITY = {LILLE: "commune", MADELEINE: "commune", BASSE_TERRE: "commune", MEL: "epci"}
PALMARES = {  # (edition, code): level
    (2017, LILLE): 4,
    (2017, MEL): 5,
    (2018, LILLE): 5,
    (2018, MADELEINE): 3,
    (2018, MEL): 5,
    (2019, LILLE): 5,
    (2019, MADELEINE): 2,
}
LABEL_YEARS = (2017, 2018, 2019, 2020)
STUDIES = ["continuite.html", "geographie.html", "illectronisme.html", "overview.html"]


def page(code: str) -> str:
    return f"collectivites/{code}.html"


def edition_page(year: int) -> str:
    return f"editions/{year}.html"


def hand_made_tables(
    laureates: dict | None = None,
    set_aside: tuple = (),
    claims: tuple = (),
    years: tuple[int, ...] = LABEL_YEARS,
    totals: dict | None = None,
) -> dict[str, pd.DataFrame]:
    """The tiny reference with a palmarès: `laureates` ((edition, code): level, default
    PALMARES), `set_aside` (edition, name, candidate codes), `claims` (code, text), `years` (the
    label years), `totals` (label year: published total)."""
    laureates = PALMARES if laureates is None else laureates
    tables = tiny_tables()
    tables["commune"]["population"] = pd.array([21_790, 230_000, 9_000], dtype="Int64")
    names = dict(zip(tables["commune"]["commune_code"], tables["commune"]["name"], strict=True))
    names[MEL] = tables["epci"].loc[0, "name"]
    tables["laureates"] = _rows(
        tables["laureates"],
        [
            {
                "source_file": "tests/hand-made",
                "source_row": number,
                "edition": edition,
                "name": names[code],
                "arobases": level,
                "code": code,
                "entity": ENTITY[code],
                "resolution_method": "test",
                "resolution_score": 1.0,
            }
            for number, ((edition, code), level) in enumerate(sorted(laureates.items()), 2)
        ],
    ).astype({"arobases": "Int64"})
    tables["quarantine"] = _rows(
        tables["quarantine"],
        [
            {
                "source_file": "tests/hand-made",
                "source_row": 100 + number,
                "edition": edition,
                "name": name,
                "reason": "ambiguous: several collectivities",
                "candidates": [f"{code} {names[code]}" for code in codes],
            }
            for number, (edition, name, codes) in enumerate(set_aside)
        ],
    )
    tables["claim"] = _rows(
        tables["claim"],
        [
            {
                "source_row": number,
                "name": names[code],
                "stated_in_year": 2019,
                "claim_text": text,
                "implied_fact": "labelled",
                "source_url": "https://example.org/claim",
                "code": code,
                "check_status": "not_checkable",
                "check_detail": "hand-made",
            }
            for number, (code, text) in enumerate(claims, 2)
        ],
    )
    tables["edition"] = _rows(
        tables["edition"],
        [
            {
                "label_year": year,
                "has_mention_level": False,
                "total_labelled": (totals or {}).get(year),
            }
            for year in years
        ],
    )
    return tables


def _rows(empty: pd.DataFrame, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        [{c: None for c in empty.columns} | row for row in rows], columns=empty.columns
    )


def rebuild(paths: Paths, **changes) -> None:
    build_warehouse(paths, hand_made_tables(**changes), TINY_SOURCES, TINY_BUILD_INFO)


@pytest.fixture
def root(tmp_paths) -> Paths:
    """The hand-made palmarès, the project's notebooks and pipeline.toml, run once."""
    shutil.copytree(DEFAULT_ROOT / "notebooks", tmp_paths.notebooks)
    shutil.copy(DEFAULT_ROOT / pipeline_toml.CONFIG_NAME, tmp_paths.root)
    rebuild(tmp_paths)
    assert run_without_kernels(tmp_paths) == sorted(
        STUDIES
        + [edition_page(y) for y in (2017, 2018, 2019)]
        + [page(code) for code in (LILLE, MADELEINE, MEL)]
    )
    return tmp_paths


def config(paths: Paths) -> pipeline_toml.RunConfig:
    return pipeline_toml.read_config(paths.root / pipeline_toml.CONFIG_NAME)


def run_without_kernels(paths: Paths) -> list[str]:
    """Plan and 'run': each job's outputs are written by hand; the pages that ran."""

    def produce(job):
        for relative in freshness.outputs(job):
            (paths.reports / relative).parent.mkdir(parents=True, exist_ok=True)
            (paths.reports / relative).write_text(job.title, "utf-8")

    plan = jobs.plan(paths, config(paths))
    outcome = jobs.execute(paths, plan, 1, produce)
    assert not outcome.failed
    return sorted(job.key for job in outcome.executed)


def to_run(paths: Paths) -> list[str]:
    return sorted(job.key for job in jobs.plan(paths, config(paths)).to_run)


def explained(paths: Paths) -> dict[str, str]:
    return {
        line.split()[1].rstrip(":"): line for line in jobs.explain(jobs.plan(paths, config(paths)))
    }


def shown(paths: Paths, keys: set[str] | None = None) -> dict[str, str]:
    """What each collectivity and edition page (or those of `keys`) shows, as its analysis
    computes it."""

    def text(frame: pd.DataFrame) -> str:
        attrs = {k: v for k, v in frame.attrs.items() if isinstance(v, (str, int, dict))}
        return frame.to_csv() + json.dumps(attrs, sort_keys=True, default=str)

    pages = {}
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for (code,) in con.execute("SELECT DISTINCT code FROM laureates").fetchall():
            if keys is None or page(code) in keys:
                card = collectivity.profile(con, code)
                pages[page(code)] = "\n".join(
                    [card.heading, card.source, str(card.axis_years)]
                    + [text(f) for f in (card.history, card.claims, card.set_aside, card.levels)]
                )
        for (year,) in con.execute("SELECT DISTINCT edition FROM laureates").fetchall():
            if keys is None or edition_page(year) in keys:
                tables = edition_stats.edition_tables(con, year)
                pages[edition_page(year)] = "\n".join(text(tables[n]) for n in sorted(tables))
    return pages


@pytest.fixture(scope="module")
def before(tmp_path_factory) -> dict[str, str]:
    """What the pages of the hand-made palmarès show, before any change."""
    paths = Paths(tmp_path_factory.mktemp("before"))
    rebuild(paths)
    return shown(paths)


def reruns_after(paths: Paths, change, before: dict[str, str]) -> list[str]:
    """Apply `change` (a rebuild), check that every page the plan skips shows what it showed
    `before`, run, and return the pages the plan ran."""
    change()
    planned = to_run(paths)
    skipped = set(before) - set(planned)
    assert shown(paths, skipped) == {key: before[key] for key in skipped}
    assert run_without_kernels(paths) == planned
    assert to_run(paths) == []
    return planned


# ---------------------------------------------------------------------------------------------
# Plans on the hand-made palmarès


def test_nothing_reruns_without_a_change_nor_after_a_rebuild_of_the_same_data(root):
    assert to_run(root) == []
    build_warehouse(
        root, hand_made_tables(), TINY_SOURCES, {**TINY_BUILD_INFO, "built_at": "later"}
    )
    assert to_run(root) == []
    assert explained(root)[page(LILLE)] == f"skip  {page(LILLE)}: up to date"


@pytest.mark.parametrize(
    "changed, editions",
    [
        ((2019, MADELEINE), [2019]),  # the last edition: its page only
        ((2018, MADELEINE), [2018, 2019]),  # 2019 compares with 2018
        ((2017, LILLE), [2017, 2018, 2019]),  # 2019 counts labels since 2017 (TEN, returns)
    ],
)
def test_one_changed_row_reruns_its_collectivity_the_editions_showing_it_and_the_studies(
    root, before, changed, editions
):
    _, code = changed
    planned = reruns_after(root, lambda: rebuild(root, laureates={**PALMARES, changed: 1}), before)
    assert planned == sorted([page(code)] + [edition_page(y) for y in editions] + STUDIES)


def test_explain_names_the_input_that_changed(root):
    rebuild(root, laureates={**PALMARES, (2017, LILLE): 1})
    lines = explained(root)
    assert lines[page(LILLE)] == f"run   {page(LILLE)}: rows of {LILLE} in laureates changed"
    assert lines[edition_page(2017)] == (
        f"run   {edition_page(2017)}: edition 2017 laureates changed"
    )
    assert lines[edition_page(2019)] == f"run   {edition_page(2019)}: editions before 2018 changed"
    assert lines["overview.html"] == "run   overview.html: warehouse content changed (laureates)"
    assert lines[page(MEL)] == f"skip  {page(MEL)}: up to date"


def test_an_edition_added_under_a_known_label_year_reruns_its_collectivities_only(root, before):
    """La Madeleine, labelled in 2019 but not in 2020, shows nothing of 2020: not rerun."""
    added = {**PALMARES, (2020, LILLE): 5, (2020, MEL): 4}
    planned = reruns_after(root, lambda: rebuild(root, laureates=added), before)
    assert planned == sorted([edition_page(2020), page(LILLE), page(MEL), *STUDIES])


def test_a_collectivity_first_held_in_a_later_edition_leaves_the_earlier_editions(root, before):
    """TEN eligibility at an edition counts the collectivities known labelled by then: Basse-Terre,
    first held in 2020, is no part of 2017's question, so the earlier edition pages keep what
    they show (checked by `reruns_after`) and are not run."""
    added = {**PALMARES, (2020, LILLE): 5, (2020, BASSE_TERRE): 1}
    planned = reruns_after(root, lambda: rebuild(root, laureates=added), before)
    assert planned == sorted([edition_page(2020), page(LILLE), page(BASSE_TERRE), *STUDIES])


def test_a_new_label_year_reruns_only_the_collectivities_in_it(root, before):
    """Next year's edition, as the jury chair ingests it: the chart's axis of a collectivity
    spans its own editions, so those absent from the new edition keep their pages."""
    added = {**PALMARES, (2021, LILLE): 5}
    planned = reruns_after(
        root, lambda: rebuild(root, laureates=added, years=(*LABEL_YEARS, 2021)), before
    )
    assert planned == sorted([edition_page(2021), page(LILLE), *STUDIES])


def test_a_row_set_aside_reruns_the_collectivities_it_may_name(root, before):
    set_aside = ((2019, "Lile", (LILLE, MADELEINE)),)
    planned = reruns_after(root, lambda: rebuild(root, set_aside=set_aside), before)
    assert planned == sorted([page(LILLE), page(MADELEINE), edition_page(2019), *STUDIES])


def test_a_claim_reruns_its_collectivity_and_the_studies_only(root, before):
    planned = reruns_after(root, lambda: rebuild(root, claims=((MADELEINE, "7e label"),)), before)
    assert planned == sorted([page(MADELEINE), *STUDIES])


def test_an_edition_aggregate_reruns_that_edition_and_the_next(root, before):
    planned = reruns_after(root, lambda: rebuild(root, totals={2018: 3}), before)
    assert planned == sorted([edition_page(2018), edition_page(2019), *STUDIES])
    rebuild(root, totals={2018: 4})
    assert explained(root)[edition_page(2019)] == (
        f"run   {edition_page(2019)}: edition 2018 aggregates changed"
    )


def test_a_renamed_commune_reruns_its_page_and_the_editions_not_its_epci(root, before):
    def rename():
        tables = hand_made_tables()
        tables["commune"].loc[tables["commune"]["commune_code"] == MADELEINE, "name"] = "Madeleine"
        build_warehouse(root, tables, TINY_SOURCES, TINY_BUILD_INFO)

    planned = reruns_after(root, rename, before)
    assert planned == sorted(
        [page(MADELEINE)] + [edition_page(y) for y in (2017, 2018, 2019)] + STUDIES
    )


def test_a_disagreement_between_sources_reruns_that_edition_which_states_it(root, before):
    """The levels note of an edition names the counts its sources disagree on."""

    def disagree():
        tables = hand_made_tables()
        tables["edition_conflict"] = pd.DataFrame(
            {
                "label_year": [2018, 2018],
                "measure": ["total_labelled", "total_labelled"],
                "value": ["3", "4"],
                "source_urls": [["https://exemple.fr/a"], ["https://exemple.fr/b"]],
                "is_chosen": [True, False],
                "rule": ["the association's own site", "the association's own site"],
            }
        )
        build_warehouse(root, tables, TINY_SOURCES, TINY_BUILD_INFO)

    planned = reruns_after(root, disagree, before)
    assert planned == sorted([edition_page(2018), edition_page(2019), *STUDIES])
    with duckdb.connect(str(root.warehouse), read_only=True) as con:
        note = edition_stats.edition_tables(con, 2018)["levels"].attrs["note"]
    assert "Les sources ne s'accordent pas sur ces comptes : total (3 retenu, 4 écarté)." in note


# ---------------------------------------------------------------------------------------------
# The state file and the configuration


def test_a_state_of_the_earlier_format_makes_every_job_rerun(root):
    state_file = root.reports / freshness.STATE_NAME
    current = json.loads(state_file.read_text("utf-8"))
    assert current["format"] == freshness.STATE_FORMAT
    earlier = {  # the first format: entries by page, with table digests, no `inputs`
        key: {k: v for k, v in entry.items() if k not in ("inputs", "shows", "title")}
        | {"tables": {"laureates": "7:123"}}
        for key, entry in current["jobs"].items()
    }
    earlier["editions/2016.html"] = {
        "outputs": ["editions/2016.html"],
        "tables": {},
    }  # a page no longer configured
    (root.reports / "editions" / "2016.html").write_text("old", "utf-8")
    state_file.write_text(json.dumps(earlier), "utf-8")
    plan = jobs.plan(root, config(root))
    assert {tuple(why) for why in plan.reasons.values()} == {
        ("last run recorded by an earlier version of the runner",)
    }
    assert plan.retired == ["editions/2016.html"]
    run_without_kernels(root)
    assert not (root.reports / "editions" / "2016.html").exists()
    assert to_run(root) == []


@pytest.mark.parametrize("text", ["[1, 2]", '{"format": 99, "jobs": {}}', '{"x.html": 3}', "{"])
def test_an_unreadable_state_reruns_everything_without_crashing(root, text):
    (root.reports / freshness.STATE_NAME).write_text(text, "utf-8")
    plan = jobs.plan(root, config(root))
    assert all(why == ["never run (or failed last time)"] for why in plan.reasons.values())


def test_a_changed_title_or_declaration_reruns_the_pages(root):
    path = root.root / pipeline_toml.CONFIG_NAME
    text = path.read_text("utf-8")
    path.write_text(
        text.replace('title = "Édition {edition}"', 'title = "Palmarès {edition}"'), "utf-8"
    )
    assert to_run(root) == [edition_page(y) for y in (2017, 2018, 2019)]
    assert explained(root)[edition_page(2017)].endswith(": title changed")
    path.write_text(text.replace('shows = "collectivity"\n', ""), "utf-8")
    assert explained(root)[page(MEL)] == (
        f"run   {page(MEL)}: what the page shows changed (shows = the tables read)"
    )


@pytest.mark.parametrize(
    "entry, problem",
    [
        ('for_each = "edition"\nshows = "collectivity"', "shows must be one of"),
        ('shows = "edition"', "shows must be one of"),
        ('for_each = "edition"\nshows = ["edition"]', "shows must be one of"),
        ('for_each = "edition"\nshows = "edition"\nreads = ["laureates"]', "not both"),
    ],
)
def test_shows_is_checked_against_for_each(tmp_paths, entry, problem):
    path = tmp_paths.root / pipeline_toml.CONFIG_NAME
    path.write_text(f'[[notebook]]\nname = "x"\ntitle = "X"\npage = "x.html"\n{entry}\n', "utf-8")
    with pytest.raises(InputError, match=problem):
        pipeline_toml.read_config(path)


# ---------------------------------------------------------------------------------------------
# End to end: the real notebooks on a small hand-made palmarès (slow)

GRENOBLE, BREST = "38185", "29019"
RAW_ROWS = {  # (edition, name, département): level; resolved by name as a real file would be
    (2023, "Grenoble", "38"): 5,
    (2023, "Lille", "59"): 4,
    (2023, "Brest", "29"): 3,
    (2024, "Grenoble", "38"): 5,
    (2024, "Lille", "59"): 5,
    (2024, "Brest", "29"): 3,
}


def write_laureates(paths: Paths, rows: dict) -> None:
    """The hand-made palmarès as data/raw/palmares/laureates.csv, its manifest updated."""
    folder = paths.raw / "palmares"
    with (folder / "laureates.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "edition_year",
                "collectivity_name",
                "department_code",
                "category",
                "arobases",
                "distinction",
                "source_url",
                "quote",
                "note",
            ]
        )
        for (edition, name, departement), level in sorted(rows.items()):
            url = "https://example.org/palmares"
            writer.writerow([edition, name, departement, "ville", level, "", url, "", "hand-made"])
    entries = manifest.load(folder)
    for entry in entries:
        if entry["path"] == "laureates.csv":
            entry["sha256"] = manifest.sha256_file(folder / "laureates.csv")
    manifest.save(folder, entries)


def pages_shown(paths: Paths) -> dict[str, str]:
    """Every page, the build's own provenance left out (its date and the raw files' hashes,
    which a page skipped keeps from the build it was made from) and the random ids of
    pandas' tables and papermill's parameters cell made equal."""
    pages = {}
    for path in sorted(paths.reports.rglob("*.html")):
        html = re.sub(r"T_[0-9a-f]{5}", "T_", path.read_text("utf-8"))
        html = re.sub(r'id="cell-id=[0-9a-f]+"', "", html)
        html = re.sub(r"Entrepôt construit le</dt><dd>[^<]*</dd>", "", html)
        pages[str(path.relative_to(paths.reports))] = re.sub(
            r"<details>.*?</details>", "", html, flags=re.DOTALL
        )
    return pages


def executed(result) -> list[str]:
    """The pages `palmares run --explain` ran."""
    assert result.returncode == 0, result.stderr
    return sorted(re.findall(r"^run   (\S+):", result.stdout, flags=re.MULTILINE))


@pytest.mark.slow
def test_an_incremental_run_gives_the_pages_of_a_forced_run(tmp_path, built_geometry):
    paths = project_copy(
        tmp_path,
        [2023, 2024, 2025],
        [GRENOBLE, LILLE, BREST],
        without=("continuity", "geography", "illectronism"),
        geometry=built_geometry,
    )
    write_laureates(paths, RAW_ROWS)
    first = palmares(paths, "run", "--explain")
    assert len(executed(first)) == 6  # overview, 2 editions, 3 collectivities

    for rows, expected, compare in (
        (  # one row changed in the last edition
            {**RAW_ROWS, (2024, "Lille", "59"): 4},
            [page(LILLE), edition_page(2024), "overview.html"],
            False,  # what skipped pages show is compared by the planning tests above
        ),
        (  # the next edition: Brest, labelled in 2024, is absent and shows nothing of 2025
            {
                **RAW_ROWS,
                (2024, "Lille", "59"): 4,
                (2025, "Grenoble", "38"): 5,
                (2025, "Lille", "59"): 5,
            },
            [page(GRENOBLE), page(LILLE), edition_page(2025), "overview.html"],
            True,
        ),
    ):
        write_laureates(paths, rows)
        assert executed(palmares(paths, "run", "--explain")) == sorted(expected)
        if not compare:
            continue
        incremental = pages_shown(paths)
        forced = palmares(paths, "run", "--force")
        assert forced.returncode == 0, forced.stderr
        assert pages_shown(paths) == incremental
