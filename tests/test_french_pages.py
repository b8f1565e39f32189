"""Every page of a small real-data site, and the edition PDFs, read as a French reader sees them:
no English status word, no snake_case code, no year written with a thousands separator.

The site is `palmares run` on the project's own data and pipeline.toml, cut to the editions
2021 and 2024 (their TEN, transition and coverage tables) and two collectivities. The checks
read the visible text only: text nodes, without <script>, <style>, attributes, <code> (a
command or a file name shown as such) nor the cells the renderer marks `verbatim` (text quoted
as a source wrote it: a quotation, a published name, a URL, a licence). File paths and URLs in
a sentence are names, not words, and are left out too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import SITE_COLLECTIVITIES, SITE_EDITIONS

from pipeline.paths import Paths
from pipeline.report.tables import VERBATIM_CLASS

#: English words a page has shown for a status, a transition or a missing value.
ENGLISH = (
    "partial",
    "complete",
    "unknown",
    "all",
    "none",
    "yes",
    "no",
    "entry",
    "exit",
    "return",
    "renewal",
    "upgrade",
    "downgrade",
    "held",
    "published",
    "nothing held",
    "no published count",
    "awarded",
    "labelled",
    "modelled",
    "survey",
    "not stated",
    "missing",
    "true",
    "false",
)
ENGLISH_WORD = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, ENGLISH), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
PYTHON_LEAK = re.compile(r"\bNa[NT]\b|<NA>")
SNAKE_CASE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
#: A label year (1999-2039) with a thousands separator: space, no-break spaces, comma, dot.
SEPARATED_YEAR = re.compile(r"\b(1[ \u00a0\u202f,.]999|2[ \u00a0\u202f,.]0[0-3]\d)\b")
#: URLs and file paths, left out of the words checked.
NAMES = re.compile(r"\S*://\S*|\S*/\S*|\S+\.(csv|json|md|py|ipynb|xlsx|pdf|png|html|toml)\b")
SKIPPED_TAGS = {"script", "style", "code"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"}


class VisibleText(HTMLParser):
    """The text nodes a reader sees, one string each."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, bool]] = []  # (tag, whether its text is left out)
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID_TAGS:
            return
        classes = (dict(attrs).get("class") or "").split()
        self.open.append((tag, tag in SKIPPED_TAGS or VERBATIM_CLASS in classes))

    def handle_endtag(self, tag):
        if any(open_tag == tag for open_tag, _ in self.open):
            while self.open and self.open.pop()[0] != tag:
                pass

    def handle_data(self, data):
        if data.strip() and not any(skipped for _, skipped in self.open):
            self.texts.append(" ".join(data.split()))


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.texts


def faults(texts: list[str]) -> list[str]:
    """Each English word, snake_case code or separated year of the texts, with its context."""
    found = []
    for text in texts:
        words = NAMES.sub(" ", text)
        for fault, where in (
            (SEPARATED_YEAR, text),
            (PYTHON_LEAK, text),
            (ENGLISH_WORD, words),
            (SNAKE_CASE, words),
        ):
            found += [
                f"{m[0]!r} in {where[max(0, m.start() - 60) : m.end() + 60]!r}"
                for m in fault.finditer(where)
            ]
    return found


def pdf_text(pdf: Path) -> str:
    """The text of a PDF as pdftotext reads it (cells in reading order)."""
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def site(real_site) -> Paths:
    assert real_site.first_run.returncode == 0, real_site.first_run.stderr
    return real_site.paths


def test_the_checks_catch_what_a_page_once_showed():
    """The patterns on the page texts of issue 17, and the parser on hand-made HTML."""
    shown = [
        "partial",
        "no published count",
        "1@ nothing held",
        "2 021",
        "2\u202f021",
        "2,021",
        "illectronism_rate",
        "labelled_communes Communes labellisées",
        "six_5_yes",
        "NaN",
    ]
    assert all(faults([text]) for text in shown)
    french = [
        "liste partielle",
        "total non publié",
        "2021",
        "2\u202f752 collectivités",  # a count is not a year
        "Sources : data/raw/palmares/laureates.csv ; https://example.org/a_b",
        "n° 118",
    ]
    assert faults(french) == []
    html = (
        "<html><head><style>td.partial {}</style><title>Édition 2021</title></head><body>"
        "<script>var unknown_code = 1;</script><p>Liste <code>palmares stats</code> "
        'complète</p><table><tr><td class="data verbatim">all rights reserved</td>'
        "<td>partial<br>status</td></tr></table><img alt='unknown'></body></html>"
    )
    assert visible_texts(html) == ["Édition 2021", "Liste", "complète", "partial", "status"]


def test_every_page_reads_in_french(site):
    pages = sorted(site.reports.rglob("*.html"))
    names = {str(page.relative_to(site.reports)) for page in pages}
    assert {
        "index.html",
        "overview.html",
        "continuite.html",
        "geographie.html",
        "illectronisme.html",
        *(f"editions/{edition}.html" for edition in SITE_EDITIONS),
        *(f"collectivites/{code}.html" for code in SITE_COLLECTIVITIES),
    } <= names
    found = {
        str(page.relative_to(site.reports)): faults(visible_texts(page.read_text("utf-8")))
        for page in pages
    }
    assert {name: lines for name, lines in found.items() if lines} == {}
    edition = " ".join(visible_texts((site.reports / "editions" / "2024.html").read_text("utf-8")))
    for french in ("non déterminables", "Lecture « six labels à 5 @ »", "Couverture"):
        assert french in edition  # the tables checked are there, in French


def test_the_edition_pdfs_read_in_french(site):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    for edition in SITE_EDITIONS:
        pdf = site.reports / "pdf" / "editions" / f"{edition}.pdf"
        text = pdf_text(pdf)
        assert f"Édition {edition}" in text
        assert faults([" ".join(text.split())]) == [], pdf


def test_no_table_overflows_a_page_at_1280_pixels(site):
    """In a 1280 px window (a laptop), every table of every page fits the page's column: the
    illectronism levels once needed a scroll bar."""
    from playwright.sync_api import sync_playwright

    browser_path = shutil.which("chromium")
    assert browser_path, "chromium is missing: `make test` installs Debian's package"
    pages = sorted(str(page.relative_to(site.reports)) for page in site.reports.rglob("*.html"))
    wider = {}
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for name in pages:
            page.goto((site.reports / name).as_uri())
            overflowing = page.evaluate(
                """() => [...document.querySelectorAll('main table')]
                    .filter(t => t.scrollWidth > t.clientWidth + 1)
                    .map(t => (t.querySelector('caption') || t).textContent.slice(0, 80))"""
            )
            if overflowing:
                wider[name] = overflowing
        browser.close()
    assert wider == {}
