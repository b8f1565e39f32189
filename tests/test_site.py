"""Report pages: offline, escaped, with a provenance footer."""

import re

from pipeline.report.site import Link, Provenance, Section, map_links, write_index, write_page

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
