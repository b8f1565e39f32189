"""Report pages: offline, escaped, with a provenance footer."""

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY_BUILD_INFO, TINY_SOURCES, tiny_tables

from pipeline.build.warehouse import build_warehouse
from pipeline.report.site import (
    Link,
    Provenance,
    Section,
    map_links,
    write_index,
    write_page,
    write_site,
)
from pipeline.run.pipeline_toml import NotebookJob

PROVENANCE = Provenance(
    git_commit="abc123",
    cog_year="2026",
    built_at="2026-11-23 00:00 UTC",
    sources=[
        {
            "path": "data/raw/reference/commune.csv",
            "sha256": "f" * 64,
            "licence": "Licence Ouverte 2.0",
            "url": "https://www.npmjs.com/x",
            "derived_from": "npm @etalab/decoupage-administratif@6.0.0",
        }
    ],
)


def test_page_has_provenance_footer_and_relative_stylesheet(tmp_path):
    page = write_page(
        tmp_path,
        "editions/2024.html",
        "Édition 2024",
        "<p>corps</p>",
        PROVENANCE,
        {"edition": 2024},
    )
    html = page.read_text("utf-8")
    assert '<link rel="stylesheet" href="../site.css">' in html
    assert "<p>corps</p>" in html
    assert "abc123" in html and "COG 2026" in html and "edition = 2024" in html
    assert "data/raw/reference/commune.csv" in html and "f" * 12 in html


def test_text_from_inputs_is_escaped(tmp_path):
    hostile = Link('<script>alert("x")</script>', "a.html", "description <b>")
    sections = [
        Section("Études", [hostile]),
        Section("Collectivités <i>", [hostile], searchable=True),
    ]
    index = write_index(tmp_path, sections, [], PROVENANCE).read_text("utf-8")
    assert "<script>alert" not in index
    # the title in both lists, and in the search key of the searchable one
    assert index.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") == 3
    assert "Collectivités &lt;i&gt;" in index and "description &lt;b&gt;" in index


def test_pages_load_nothing_from_the_network(tmp_path):
    sections = [
        Section("Études", [Link("Vue d'ensemble", "overview.html")]),
        Section("Collectivités", [Link("Grenoble (38)", "collectivites/38185.html")], True),
    ]
    index = write_index(
        tmp_path,
        sections,
        [Link("Carte", "maps/x.png")],
        PROVENANCE,
        [
            Link(
                "edition 2024",
                "tables/edition_2024__levels.csv",
                xlsx="tables/edition_2024.xlsx",
                csv=(("levels", "tables/edition_2024__levels.csv"),),
            )
        ],
    ).read_text("utf-8")
    assert (tmp_path / "site.css").exists()
    assert not re.search(r'(src|href)="(https?:)?//', index)


def test_maps_are_listed_with_the_title_stored_in_the_png(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (tmp_path / "maps").mkdir()
    figure = plt.figure(figsize=(1, 1))
    figure.savefig(
        tmp_path / "maps" / "b.png", metadata={"Title": "Nombre de communes par département"}
    )
    figure.savefig(tmp_path / "maps" / "a.png")
    plt.close(figure)
    links = map_links(tmp_path)
    assert [(link.title, link.href) for link in links] == [
        ("a", "maps/a.png"),
        ("Nombre de communes par département", "maps/b.png"),
    ]


class CollectivityIndex(HTMLParser):
    """The collectivity groups of an index as a reader sees them: (région, count,
    ((département, count, ((title, href, data-search), ...)), ...)) for each group."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self._groups: list[dict] = []
        self._in_group = False  # inside a group's <details> (not the footer's)
        self._heading: dict | None = None  # the group or subgroup whose heading is being read
        self._field = "title"  # or "count", inside the heading's count
        self._item: list[str] | None = None  # title, href, data-search of a collectivity
        self.feed(html)
        self.close()
        self.groups = [
            (g["title"].strip(), g["count"], tuple(self._subgroup(s) for s in g["subgroups"]))
            for g in self._groups
        ]

    @staticmethod
    def _subgroup(subgroup: dict) -> tuple:
        return subgroup["title"].strip(), subgroup["count"], tuple(subgroup["items"])

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "details" and attributes.get("class") == "group":
            self._groups.append({"title": "", "count": "", "subgroups": []})
            self._in_group = True
        elif tag == "summary" and self._in_group:
            self._heading = self._groups[-1]
        elif tag == "h3" and self._groups:
            self._heading = {"title": "", "count": "", "items": []}
            self._groups[-1]["subgroups"].append(self._heading)
        elif tag == "span" and attributes.get("class") == "count":
            self._field = "count"
        elif tag == "li" and "data-search" in attributes:
            subgroups = self._groups[-1]["subgroups"]
            if not subgroups:  # a group without départements
                subgroups.append({"title": "", "count": "", "items": []})
            self._item = ["", "", attributes["data-search"]]
        elif tag == "a" and self._item is not None:
            self._item[1] = attributes["href"]

    def handle_endtag(self, tag):
        if tag == "span":
            self._field = "title"
        elif tag == "details":
            self._in_group = False
        elif tag in ("summary", "h3"):
            self._heading = None
        elif tag == "li" and self._item is not None:
            self._groups[-1]["subgroups"][-1]["items"].append(tuple(self._item))
            self._item = None

    def handle_data(self, data):
        if self._item is not None:
            self._item[0] += data
        elif self._heading is not None:
            self._heading[self._field] += data


def placed_warehouse(paths, region_32="Hauts-de-France", departement_59="Nord"):
    """The tiny reference plus a région whose département numbers and names sort differently
    (Isère 38, Haute-Loire 43) and a commune whose name starts with an accent."""
    tables = tiny_tables()
    tables["region"] = pd.concat(
        [
            tables["region"].replace({"Hauts-de-France": region_32}),
            pd.DataFrame(
                {
                    "region_code": ["84"],
                    "name": ["Auvergne-Rhône-Alpes"],
                    "article_code": [1],
                    "chef_lieu_code": ["69123"],
                    "zone": ["metro"],
                }
            ),
        ]
    )
    tables["departement"] = pd.concat(
        [
            tables["departement"].replace({"Nord": departement_59}),
            pd.DataFrame(
                {
                    "departement_code": ["38", "43"],
                    "name": ["Isère", "Haute-Loire"],
                    "article_code": [5, 3],
                    "region_code": ["84", "84"],
                    "chef_lieu_code": ["38185", "43157"],
                    "zone": ["metro", "metro"],
                }
            ),
        ]
    )
    communes = {"38185": "Grenoble", "38151": "Échirolles", "43157": "Le Puy-en-Velay"}
    tables["commune"] = pd.concat(
        [
            tables["commune"],
            pd.DataFrame(
                {
                    "commune_code": list(communes),
                    "commune_kind": ["commune"] * 3,
                    "name": list(communes.values()),
                    "article_code": [0, 1, 2],
                    "departement_code": [code[:2] for code in communes],
                    "region_code": ["84"] * 3,
                    "zone": ["metro"] * 3,
                    "siren": [None] * 3,
                    "population": pd.array([None] * 3, dtype="Int64"),
                    "chef_lieu_code": [None] * 3,
                }
            ),
        ]
    )
    build_warehouse(paths, tables, TINY_SOURCES, TINY_BUILD_INFO)


#: Collectivity pages by code: communes of three régions, an EPCI, a code the reference lacks.
COLLECTIVITY_TITLES = {
    "38185": "Grenoble (38)",
    "38151": "Échirolles (38)",
    "43157": "Le Puy-en-Velay (43)",
    "59350": "Lille (59)",
    "59368": "La Madeleine (59)",
    "97105": "Basse-Terre (971)",
    "200093201": "Métropole Européenne de Lille (59)",
    "99999": "Inconnue (?)",
}


def collectivity_site(paths, titles=COLLECTIVITY_TITLES) -> str:
    """write_site over a study page, the collectivity pages of `titles` and one collectivity
    whose notebook failed (no page); the index's HTML."""
    study = NotebookJob("overview", Path("o.ipynb"), "Vue d'ensemble", "overview.html", "Études")
    jobs = [study]
    jobs += [
        NotebookJob(
            "collectivity",
            Path("collectivity.ipynb"),
            title,
            f"collectivites/{code}.html",
            "Collectivités",
            {"code": code},
        )
        for code, title in {**titles, "62041": "Arras (62)"}.items()
    ]
    for job in jobs[:-1]:
        (paths.reports / job.page).parent.mkdir(parents=True, exist_ok=True)
        (paths.reports / job.page).write_text("<p>page</p>", "utf-8")
    return write_site(paths, jobs, PROVENANCE).read_text("utf-8")


def page(code: str) -> tuple[str, str, str]:
    """A collectivity as the index lists it: title, link and search key (no accents, no case)."""
    key = {"38151": "echirolles (38)", "200093201": "metropole europeenne de lille (59)"}
    title = COLLECTIVITY_TITLES[code]
    return title, f"collectivites/{code}.html", f"{key.get(code, title.lower())} {code}"


def test_collectivities_are_filed_by_region_then_departement(tmp_paths):
    placed_warehouse(tmp_paths)
    index = collectivity_site(tmp_paths)
    assert CollectivityIndex(index).groups == [
        (
            "Auvergne-Rhône-Alpes",
            "3",
            (
                ("Isère (38)", "2", (page("38151"), page("38185"))),  # accents aside
                ("Haute-Loire (43)", "1", (page("43157"),)),  # départements by number
            ),
        ),
        ("Hauts-de-France", "2", (("Nord (59)", "2", (page("59368"), page("59350"))),)),
        ("Guadeloupe", "1", (("Guadeloupe (971)", "1", (page("97105"),)),)),  # overseas last
        ("Intercommunalités (EPCI)", "1", (("", "", (page("200093201"),)),)),
        ("Sans département ni région dans le référentiel", "1", (("", "", (page("99999"),)),)),
    ]
    assert '<span id="resultats" aria-live="polite">8 collectivités</span>' in index
    assert "Arras" not in index  # its page was never produced
    assert 'href="overview.html">Vue d&#39;ensemble</a>' in index


def test_hostile_place_names_are_shown_as_text_in_the_groups(tmp_paths):
    region, departement = "Hauts-de-France <script>alert(1)</script>", 'Nord "><img src=x>'
    placed_warehouse(tmp_paths, region, departement)
    index = collectivity_site(tmp_paths, {"59350": "Lille <b>(59)</b>"})
    assert CollectivityIndex(index).groups == [
        (
            region,
            "1",
            (
                (
                    f"{departement} (59)",
                    "1",
                    (("Lille <b>(59)</b>", "collectivites/59350.html", "lille <b>(59)</b> 59350"),),
                ),
            ),
        )
    ]
    assert "<script>alert" not in index and "<img src=x" not in index and "<b>" not in index


def test_counts_on_the_index_are_in_french_format(tmp_path):
    links = [Link(f"Commune {n}", f"collectivites/{n}.html") for n in range(1234)]
    index = write_index(tmp_path, [Section("Collectivités", links, True)], [], PROVENANCE)
    html = index.read_text("utf-8")
    assert "1\u202f234 collectivités</span>" in html  # pages without a place: the last group
    assert "Collectivités</a> (1\u202f234)" in html
    groups = CollectivityIndex(html).groups
    assert [(title, count) for title, count, _ in groups] == [
        ("Sans département ni région dans le référentiel", "1\u202f234")
    ]


#: Each group of the index in a browser: title, count shown, open, shown (not hidden).
GROUP_STATES = """() => Array.from(document.querySelectorAll('#collectivites details')).map(
    (group) => [group.querySelector('summary').firstChild.textContent.trim(),
                group.querySelector('summary .count').textContent, group.open, !group.hidden])"""


@pytest.mark.slow  # drives a browser, as test_run does
def test_search_opens_the_groups_of_its_matches_and_clearing_folds_them_back(tmp_paths):
    from playwright.sync_api import sync_playwright

    placed_warehouse(tmp_paths)
    collectivity_site(tmp_paths)
    browser_path = shutil.which("chromium")
    assert browser_path, "chromium is missing: `make test` installs Debian's package"
    errors: list[str] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((tmp_paths.reports / "index.html").as_uri())
        visible = page.locator("#collectivites li:visible")
        assert visible.count() == 0  # every group folded
        page.locator("#collectivites summary", has_text="Guadeloupe").click()  # opened by hand
        page.fill("#recherche", "LILLE")
        assert visible.all_inner_texts() == ["Lille (59)", "Métropole Européenne de Lille (59)"]
        assert page.locator("#resultats").inner_text() == "2 collectivités"
        assert [state for state in page.evaluate(GROUP_STATES) if state[3]] == [
            ["Hauts-de-France", "1", True, True],
            ["Intercommunalités (EPCI)", "1", True, True],
        ]
        page.fill("#recherche", "echirolles")  # accents aside; Haute-Loire's heading hidden
        assert visible.all_inner_texts() == ["Échirolles (38)"]
        assert page.locator("#collectivites h3:visible").all_inner_texts() == ["Isère (38) 1"]
        assert page.locator("#resultats").inner_text() == "1 collectivité"
        page.fill("#recherche", "zzz")
        assert page.locator("#resultats").inner_text() == "aucune collectivité"
        assert not any(shown for *_, shown in page.evaluate(GROUP_STATES))
        page.fill("#recherche", "")
        assert page.locator("#resultats").inner_text() == "8 collectivités"
        assert page.evaluate(GROUP_STATES) == [
            ["Auvergne-Rhône-Alpes", "3", False, True],
            ["Hauts-de-France", "2", False, True],
            ["Guadeloupe", "1", True, True],  # as the reader left it
            ["Intercommunalités (EPCI)", "1", False, True],
            ["Sans département ni région dans le référentiel", "1", False, True],
        ]
        assert visible.all_inner_texts() == ["Basse-Terre (971)"]
        browser.close()
    assert errors == []
