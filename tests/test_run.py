"""`palmares run` end to end on the real data, in a throw-away project root.

The root (conftest's `real_site`, shared with other end-to-end tests) runs the project's own
pipeline.toml, cut with `only` to two editions and two collectivities so that the suite stays
quick; every notebook runs at least once. Tests that change it run again before they end.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pandas as pd
import pytest
from conftest import EXPECTED_COUNTS, SITE_COLLECTIVITIES, SITE_EDITIONS, palmares, raw_records

from pipeline.formatting import format_fr, format_percent_fr
from pipeline.paths import Paths

LAUREATE_ROWS = len(raw_records("palmares/laureates.csv"))
RESOLVED, QUARANTINED = (EXPECTED_COUNTS["palmares"][k] for k in ("resolved", "quarantined"))
CURRENT_COMMUNES = sum(
    row["commune_kind"] == "commune" for row in raw_records("reference/commune.csv")
)
#: A remote resource a page would load (script, stylesheet, image...); a link (<a href>) to a
#: row's source loads nothing.
REMOTE_LOAD = r'<(?!a\s)[^>]*\b(src|href)="(https?:)?//'


@pytest.fixture(scope="module")
def project(real_site) -> Paths:
    return real_site.paths


@pytest.fixture(scope="module")
def first_run(real_site) -> subprocess.CompletedProcess:
    return real_site.first_run


def test_run_builds_the_site_with_the_rendered_notebook_and_its_map(project, first_run):
    assert first_run.returncode == 0, first_run.stderr
    assert "built and cached GeoParquet" in first_run.stdout
    for step in (
        "[1/7] reference",
        f"[2/7] palmares: {LAUREATE_ROWS} rows read, {RESOLVED} resolved, "
        f"{QUARANTINED} in quarantine",
        "[3/7] illectronism",
        "[4/7] warehouse",
        "[5/7] geometry",
        "[6/7] notebooks: 8 executed, 0 up to date",
        "[7/7] site",
    ):
        assert step in first_run.stdout
    index = (project.reports / "index.html").read_text("utf-8")
    assert 'href="overview.html"' in index
    assert 'src="maps/communes_par_departement.png"' in index
    page = (project.reports / "overview.html").read_text("utf-8")
    assert re.search(r"<h1[^>]*>Vue d'ensemble : référentiel géographique et palmarès", page)
    assert format_fr(CURRENT_COMMUNES) in page  # French format, from the warehouse
    assert re.search(r'<img[^>]+src="data:image/png;base64,', page)  # the map, inline
    assert "import duckdb" not in page  # no code cells
    assert not re.search(REMOTE_LOAD, page + index)
    assert (project.reports / "maps" / "communes_par_departement.png").stat().st_size > 50_000


def test_every_page_is_written_offline_with_its_provenance(project, first_run):
    assert first_run.returncode == 0, first_run.stderr
    pages = sorted(project.reports.rglob("*.html"))
    expected = {
        "index.html",
        "overview.html",
        "continuite.html",
        "geographie.html",
        "illectronisme.html",
        *(f"editions/{e}.html" for e in SITE_EDITIONS),
        *(f"collectivites/{c}.html" for c in SITE_COLLECTIVITIES),
    }
    assert {str(page.relative_to(project.reports)) for page in pages} == expected
    for page in pages:
        html = page.read_text("utf-8")
        assert not re.search(REMOTE_LOAD, html), page  # no CDN, no remote image
        assert "Provenance" in html and "COG 2026" in html, page
        assert "data/raw/palmares/laureates.csv" in html, page  # data file hashes in the footer
    assert "edition = 2024" in (project.reports / "editions" / "2024.html").read_text("utf-8")
    for edition in SITE_EDITIONS:
        pdf = project.reports / "pdf" / "editions" / f"{edition}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF"), pdf
    tables = list((project.reports / "tables").glob("*__*.csv"))
    assert {t.name for t in tables} >= {f"edition_{e}__levels.csv" for e in SITE_EDITIONS}
    assert all((t.parent / f"{t.name.split('__')[0]}.xlsx").exists() for t in tables)
    index = (project.reports / "index.html").read_text("utf-8")
    assert (
        'href="tables/edition_2024.xlsx"' in index
        and 'href="tables/edition_2024__levels.csv"' in index
    )


def test_a_second_run_with_no_change_executes_nothing(project, first_run):
    second = palmares(project, "run", "--explain")
    assert second.returncode == 0, second.stderr
    assert "[1/3] build: warehouse and geometry cache up to date" in second.stdout
    assert "[2/3] notebooks: 0 executed" in second.stdout
    assert "skip  collectivites/38185.html: up to date" in second.stdout
    rebuilt = palmares(project, "build")
    assert "reused cached GeoParquet" in rebuilt.stdout
    third = palmares(project, "run", "--explain")  # same content rebuilt: still nothing to do
    assert "0 executed" in third.stdout, third.stdout


def test_a_run_after_a_run_without_change_stops_at_once_unless_something_moved(project, first_run):
    """The stamp of the last run (`pipeline.run.unchanged`): nothing read has changed, so
    nothing is opened nor written; a changed input or a missing page takes the usual way."""
    palmares(project, "run", "--explain")
    state = project.reports / ".run-state.json"
    before = state.stat().st_mtime_ns
    quick = palmares(project, "run")
    assert quick.returncode == 0, quick.stderr
    assert "Nothing changed since the last run" in quick.stdout
    assert state.stat().st_mtime_ns == before
    page = project.reports / "editions" / f"{SITE_EDITIONS[0]}.html"
    page.unlink()
    rerun = palmares(project, "run")
    assert "[2/3] notebooks: 1 executed" in rerun.stdout, rerun.stdout
    assert page.exists()
    pipeline_toml = project.root / "pipeline.toml"
    pipeline_toml.write_text(pipeline_toml.read_text("utf-8") + "\n", "utf-8")
    assert "[2/3] notebooks: 0 executed" in palmares(project, "run").stdout
    assert "Nothing changed" in palmares(project, "run").stdout


def test_touching_a_notebook_reruns_only_its_parameter_sets(project, first_run):
    (project.notebooks / "edition.ipynb").touch()
    rerun = palmares(project, "run", "--explain")
    assert rerun.returncode == 0, rerun.stderr
    assert "2 executed" in rerun.stdout
    for edition in SITE_EDITIONS:
        assert f"run   editions/{edition}.html: notebook edition.ipynb touched" in rerun.stdout
    assert "skip  overview.html: up to date" in rerun.stdout


def test_the_site_works_in_a_real_browser(project, first_run):
    """Debian's chromium driven by playwright: no console error, the search finds a commune,
    map images are displayed."""
    from playwright.sync_api import sync_playwright

    browser_path = shutil.which("chromium")
    assert browser_path, "chromium is missing: `make test` installs Debian's package"
    errors: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((project.reports / "index.html").as_uri())
        page.fill("#recherche", "grenoble")
        visible = page.locator("#collectivites li:visible")
        assert visible.count() == 1
        assert page.locator("#resultats").inner_text() == "1 collectivité"
        page.fill("#recherche", "59350")  # an INSEE code finds Lille
        assert visible.all_inner_texts() == ["Lille (59)"]
        visible.locator("a").click()
        assert page.url.endswith("collectivites/59350.html")
        assert "Lille" in page.locator("h1").first.inner_text()
        page.goto((project.reports / "index.html").as_uri())
        maps = page.locator(".maps img")
        assert maps.count() >= 1
        maps.first.scroll_into_view_if_needed()
        page.wait_for_function("document.querySelector('.maps img').complete")
        assert maps.first.evaluate("img => img.naturalWidth") > 100
        browser.close()
    assert errors == []


def test_every_shared_row_is_resolved_or_quarantined_with_a_reason(project, first_run):
    out = project.root / "exports"
    assert palmares(project, "export", "laureates", "--out", str(out / "l.csv")).returncode == 0
    assert palmares(project, "export", "quarantine", "--out", str(out / "q.csv")).returncode == 0
    laureates = pd.read_csv(out / "l.csv", dtype=str)
    quarantine = pd.read_csv(out / "q.csv", dtype=str)
    raw = pd.read_csv(project.raw / "palmares" / "laureates.csv", dtype=str)
    assert len(laureates) + len(quarantine) == len(raw) == LAUREATE_ROWS
    for column in (
        "edition",
        "name",
        "departement",
        "arobases",
        "kind",
        "code",
        "resolution_method",
        "source_url",
    ):
        assert column in laureates.columns
    for column in ("edition", "name", "departement", "reason", "source_file"):
        assert column in quarantine.columns
    assert quarantine["reason"].notna().all()
    foreign = quarantine["reason"].str.startswith(("foreign", "not a collectivity"))
    assert len(laureates) / (len(raw) - foreign.sum()) >= 0.95
    # names are kept as published; La Rochelle of Haute-Saône is not the one of Charente-Maritime
    rochelle = laureates[laureates["name"] == "La Rochelle"]
    assert set(rochelle["code"]) == {"70450"}


def test_check_reports_files_coverage_and_claims(project, first_run):
    report = palmares(project, "check")
    assert report.returncode == 0, report.stderr
    assert f"data/raw/palmares/laureates.csv   {LAUREATE_ROWS}" in report.stdout
    assert "Coverage per edition" in report.stdout and "Press claims" in report.stdout


def _shown_outputs(notebook) -> list:
    """Text and HTML outputs of the study's own cells (papermill's injected cell left out), the
    random ids pandas gives each styled table made equal."""
    shown = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or "injected-parameters" in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            text = output.get("text") or data.get("text/html") or data.get("text/plain")
            shown.append(re.sub(r"T_[0-9a-f]{5}", "T_", str(text)))
    return shown


def test_a_notebook_run_by_hand_gives_the_pipeline_result(project, first_run):
    """From notebooks/, with the defaults of its parameters cell, as in JupyterLab."""
    import nbformat

    from pipeline.run.notebook import execute
    from pipeline.run.pipeline_toml import NotebookJob

    source = project.notebooks / "collectivity.ipynb"
    by_hand = execute(
        NotebookJob("collectivity", source, "", "by_hand.html", ""),
        project.root / "by_hand.ipynb",
        cwd=project.notebooks,
    )
    pipeline = nbformat.read(project.reports / "notebooks" / "collectivites" / "38185.ipynb", 4)
    assert _shown_outputs(by_hand) == _shown_outputs(pipeline)
    assert any("Grenoble" in str(output) for output in _shown_outputs(by_hand))


# ---------------------------------------------------------------------------------------------
# One fact, one value: every surface shows what the one function computes (README, "Coverage").


def html_tables(page) -> list[list[list[str]]]:
    """Every table of a page as rows of cell texts (headers included)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text("utf-8"), "html.parser")
    return [
        [
            [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
            for row in table.find_all("tr")
        ]
        for table in soup.find_all("table")
    ]


def column_of(tables, header: str, key: str) -> str:
    """The cell under `header` in the first row holding the cell `key`, in the first table
    that has such a header and row."""
    for table in tables:
        heads = next((row for row in table if header in row), None)
        if heads is None:
            continue
        for row in table:
            if row is not heads and key in row and len(row) == len(heads):
                return row[heads.index(header)]
    raise AssertionError(f"no table with {header!r} and a row {key!r}")


def check_coverage(stdout: str) -> tuple[list[str], dict[str, list[str]]]:
    """`palmares check`'s coverage section: its header and its rows by edition."""
    block = stdout.split("## Coverage per edition")[1].split("##")[0]
    lines = [line.split() for line in block.splitlines()[1:] if line.strip()]
    return lines[0], {row[0]: row for row in lines[1:]}


@pytest.fixture(scope="module")
def facts(project, first_run):
    """The facts as their one function computes them, from the run's warehouse."""
    import duckdb

    from pipeline.analysis import coverage, provenance

    with duckdb.connect(str(project.warehouse), read_only=True) as con:
        cov = coverage.coverage_model(con)
        return {
            "cov": cov,
            "whole_2021": coverage.scope_row(cov, 2021),
            "ten_2021": coverage.scope_row(cov, 2021, "TEN"),
            "cog": provenance.cog_vintage(con),
        }


def test_the_2021_coverage_is_one_number_on_every_surface(project, first_run, facts, tmp_path):
    import duckdb
    from openpyxl import load_workbook

    from pipeline.report import maps

    share = facts["whole_2021"]["share_pct"]
    assert share == round(100 * facts["whole_2021"]["held"] / facts["whole_2021"]["published"], 1)
    shown = format_fr(share, 1)
    overview = html_tables(project.reports / "overview.html")
    assert column_of(overview, "Part détenue (%)", "2021") == shown
    edition_page = html_tables(project.reports / "editions" / "2021.html")
    assert column_of(edition_page, "Part détenue (%)", "2021") == shown

    out = tmp_path / "pack"
    assert (
        palmares(
            project, "stats", "--edition", "2021", "--out", str(out), "--format", "csv,xlsx"
        ).returncode
        == 0
    )
    csv = pd.read_csv(out / "coverage.csv")
    assert csv[(csv["edition"] == 2021) & (csv["scope"] == "liste entière")][
        "share_pct"
    ].tolist() == [share]
    sheet = load_workbook(out / "statistiques_2021.xlsx")["Couverture"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(row for row in rows if "Part détenue (%)" in row)
    (xlsx_share,) = [
        row[header.index("Part détenue (%)")]
        for row in rows
        if row[0] == "2021" and row[1] == "liste entière"
    ]
    assert xlsx_share == share

    with duckdb.connect(str(project.warehouse), read_only=True) as con:
        figure = maps.edition_map(con, project.geometry_cache, 2021, "departement")
    texts = " ".join(text.get_text() for text in figure.texts)
    assert f"({format_percent_fr(share)})" in texts.replace("\n", " ")

    header, rows = check_coverage(palmares(project, "check").stdout)
    assert float(rows["2021"][header.index("share_pct")]) == share


def test_check_and_the_pages_agree_on_every_count_they_both_print(project, first_run, facts):
    header, rows = check_coverage(palmares(project, "check").stdout)
    overview = html_tables(project.reports / "overview.html")
    pairs = {
        "resolved": "Collectivités identifiées",
        "quarantined": "Lignes mises de côté",
        "held": "Lignes détenues",
        "published": "Total publié",
        "held_5": "5 @ détenues",
    }
    for edition in ("2021", "2024", "2009"):
        for column, french in pairs.items():
            value = rows[edition][header.index(column)]
            expected = "–" if value == "<NA>" else format_fr(int(value))
            assert column_of(overview, french, edition) == expected, (edition, column)
    page = html_tables(project.reports / "editions" / "2021.html")
    held = facts["whole_2021"]["held"]
    assert column_of(page, "Détenues", "2021") == format_fr(held)
    assert rows["2021"][header.index("held")] == str(held)


def test_the_ten_count_and_the_cog_vintage_come_from_the_data(project, first_run, facts):
    ten = facts["ten_2021"]["published"]  # editions.csv column n_ten, on its source's row
    assert ten == EXPECTED_COUNTS["ten"]["awarded"]["2021"]
    continuity_page = html_tables(project.reports / "continuite.html")
    assert column_of(continuity_page, "TEN publiés", "2021") == format_fr(ten)
    edition_page = html_tables(project.reports / "editions" / "2021.html")
    assert column_of(edition_page, "Total publié", "TEN décernés (détenus)") == format_fr(ten)
    for page in project.reports.rglob("*.html"):
        assert f"COG {facts['cog']}" in page.read_text("utf-8"), page
