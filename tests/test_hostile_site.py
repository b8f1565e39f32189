"""Markup in every free text of the inputs shows as text on every page and in the edition PDF.

A throw-away project root (one edition, one collectivity) ingests a canonical CSV whose free
texts are markup (quote, distinction, note, source URL, published names, one of which lands in
quarantine); its own copies of claims.csv, illectronism.csv and the reference's epci.csv carry
HTML and Markdown markup in a claim's text and URL, an INSEE geography label and the name of
Lille's EPCI. After `palmares run`, every HTML file produced is parsed: no element, attribute or
link comes from the input, and each hostile string is shown literally where its field is
displayed."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import palmares, project_copy

from pipeline.paths import Paths

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
BREAK_OUT = '"><b>x</b>'
JAVASCRIPT_URL = "javascript:alert(1)"
#: A real link (http) whose query would break out of an attribute if it were not escaped.
HTTP_URL = 'https://example.org/palmares?a=1&b="><script>alert(2)</script>'

QUOTE = f"{SCRIPT} quote"
DISTINCTION = f"{IMG} mention"
NOTE = f"{BREAK_OUT} note"
PUBLISHED_NAME = f"Lille {BREAK_OUT}"  # close enough to the code's name: resolved
QUARANTINED_NAME = f"Roubaix {BREAK_OUT}"  # the code says Lille, the name does not: quarantine
CLAIM = f"{SCRIPT} {IMG} affirmation"
REGION_NAME = f"Hauts-de-France {IMG}"
#: Lille's EPCI in the reference: its name is in the Markdown heading of Lille's page.
EPCI_NAME = f"Métropole Européenne de Lille {SCRIPT} *x* [lien]({JAVASCRIPT_URL}) $y$"

HOSTILE_CSV = [
    [
        "edition",
        "name",
        "departement",
        "kind",
        "arobases",
        "distinction",
        "code",
        "source_url",
        "quote",
        "note",
    ],
    ["2019", "Lille", "59", "ville", "4", DISTINCTION, "", JAVASCRIPT_URL, QUOTE, NOTE],
    ["2021", PUBLISHED_NAME, "59", "ville", "4", "", "59350", HTTP_URL, BREAK_OUT, ""],
    ["2019", QUARANTINED_NAME, "59", "ville", "3", "", "59350", JAVASCRIPT_URL, QUOTE, NOTE],
]


class Page(HTMLParser):
    """Elements (tag and attributes), script bodies and visible text of an HTML document."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._text: list[str] = []
        self._raw: str | None = None  # inside <script> or <style>
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._raw = tag
            if tag == "script":
                self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == self._raw:
            self._raw = None

    def handle_data(self, data):
        if self._raw == "script":
            self.scripts[-1] += data
        elif self._raw is None:
            self._text.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self._text).split())


def shown(text: str) -> str:
    return " ".join(text.split())


def _with_hash(directory: Path, name: str) -> None:
    """Record a test copy's new content in the test root's manifest, as a maintainer would."""
    path = directory / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    for entry in manifest["files"]:
        if entry["path"] == name:
            data = (directory / name).read_bytes()
            entry["sha256"] = hashlib.sha256(data).hexdigest()
            entry["size_bytes"] = len(data)
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")


def _append_claim(paths: Paths) -> None:
    folder = paths.raw / "palmares"
    with (folder / "claims.csv").open("a", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerow(
            ["Lille", "59", "2019", CLAIM, f"{BREAK_OUT} fait", JAVASCRIPT_URL]
        )
    _with_hash(folder, "claims.csv")


def _rewrite(folder: Path, name: str, column: str, value: str, **where: str) -> None:
    """Set `column` to `value` in the rows of folder/name matching `where`; record the hash."""
    with (folder / name).open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    matched = [row for row in rows if all(row[key] == wanted for key, wanted in where.items())]
    assert matched, (name, where)
    for row in matched:
        row[column] = value
    with (folder / name).open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    _with_hash(folder, name)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, built_geometry) -> Paths:
    # geography shows only names of the reference, through the same table renderer
    paths = project_copy(
        tmp_path_factory.mktemp("hostile"),
        [2019],
        ["59350"],
        without=("geography",),
        geometry=built_geometry,
    )
    _append_claim(paths)
    _rewrite(
        paths.raw / "insee",
        "illectronism.csv",
        "geography_name",
        REGION_NAME,
        geography_level="region",
        geography_code="32",
    )
    _rewrite(paths.raw / "reference", "epci.csv", "name", EPCI_NAME, epci_siren="200093201")
    hostile = paths.root / "hostile.csv"
    with hostile.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(HOSTILE_CSV)
    ingested = palmares(paths, "ingest", str(hostile))
    assert ingested.returncode == 0, ingested.stderr
    run = palmares(paths, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    return paths


def pages(paths: Paths) -> dict[str, Page]:
    return {
        str(path.relative_to(paths.reports)): Page(path.read_text("utf-8"))
        for path in sorted(paths.reports.rglob("*.html"))
    }


def test_no_element_attribute_or_link_comes_from_the_input(hostile_site):
    parsed = pages(hostile_site)
    assert {
        "index.html",
        "overview.html",
        "continuite.html",
        "illectronisme.html",
        "editions/2019.html",
        "collectivites/59350.html",
    } <= set(parsed)
    for name, page in parsed.items():
        for tag, attributes in page.elements:
            assert tag != "b", (name, tag, attributes)  # the site writes <strong>, never <b>
            assert not any(key.startswith("on") for key in attributes), (name, tag, attributes)
            for key in ("href", "src"):
                value = (attributes.get(key) or "").strip().lower()
                assert not value.startswith("javascript:"), (name, tag, attributes)
                assert value != "x", (name, tag, attributes)
        for body in page.scripts:  # only the index's own search script, with no input text
            assert "alert" not in body, (name, body)
        assert not page.scripts or name == "index.html", name


def test_every_hostile_text_shows_literally_where_its_field_is_displayed(hostile_site):
    parsed = pages(hostile_site)
    collectivity = parsed["collectivites/59350.html"].text
    for text in (QUOTE, DISTINCTION, JAVASCRIPT_URL, PUBLISHED_NAME, CLAIM, HTTP_URL, EPCI_NAME):
        assert shown(text) in collectivity, text
    set_aside = collectivity.partition("Lignes mises de côté")[2]  # the quarantine's section
    assert shown(QUARANTINED_NAME) in set_aside
    assert shown(DISTINCTION) in parsed["editions/2019.html"].text
    assert shown(REGION_NAME) in parsed["illectronisme.html"].text


def test_only_http_urls_become_links(hostile_site):
    page = pages(hostile_site)["collectivites/59350.html"]
    links = [attributes.get("href") for tag, attributes in page.elements if tag == "a"]
    assert HTTP_URL in links  # the whole URL, quotes and brackets included, in one attribute
    assert not any(JAVASCRIPT_URL in (href or "") for href in links)


def _pdf_text(pdf: Path, html: Path) -> str:
    """The PDF's text with pdftotext when installed; otherwise the text WeasyPrint lays out
    on the pages of the HTML file the PDF was printed from."""
    if shutil.which("pdftotext"):
        return subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    def texts(box):
        if isinstance(box, boxes.TextBox):
            yield box.text
        for child in getattr(box, "children", ()):
            yield from texts(child)

    document = HTML(filename=str(html), encoding="utf-8").render()
    return " ".join(text for page in document.pages for text in texts(page._page_box))


def test_the_edition_pdf_shows_hostile_text_as_text(hostile_site):
    pdf = hostile_site.reports / "pdf" / "editions" / "2019.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf, hostile_site.reports / "editions" / "2019.html")
    flat = re.sub(r"\s+", "", text)  # lines may wrap inside a table cell
    assert re.sub(r"\s+", "", DISTINCTION) in flat
