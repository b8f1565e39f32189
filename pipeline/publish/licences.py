"""Licences and sources of the published tables, as the manifests of data/raw state them.

The warehouse's `source` table carries each raw file's licence as its manifest words it. A
licence is published only where those words name one (Licence Ouverte 2.0, MIT); a file whose
manifest names none (short quotations of public sources, a user's export "as provided") is
published as `notspecified`, data.gouv.fr's « Licence non spécifiée »: never a guess.
"""

from __future__ import annotations

import duckdb

from pipeline.build.sources.palmares import SOURCE_PATH_SQL
from pipeline.publish.tables import Table

LICENCE_OUVERTE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence version 2.0 (Etalab)",
}
MIT = {"name": "MIT", "title": "Licence MIT"}
NOT_SPECIFIED = {
    "name": "notspecified",
    "title": "Licence non spécifiée : data/raw n'indique aucune licence pour ces données "
    "(courtes citations de sources publiques, chaque ligne nommant sa source)",
}


def licences_stated(words: str) -> list[dict]:
    """The licences a manifest's `licence` words name. "(données) ; code MIT" is the licence of
    a package's code, not of its data; words that name no licence give `notspecified`."""
    data_words = words.split(";")[0] if "(données)" in words else words
    found = []
    if "Licence Ouverte 2.0" in data_words:
        found.append(LICENCE_OUVERTE)
    if data_words.strip().startswith("MIT"):
        found.append(MIT)
    if not found or "quotation" in data_words or "not stated" in data_words:
        found.append(NOT_SPECIFIED)
    return found


def source_rows(con: duckdb.DuckDBPyConnection, table: Table) -> list[dict]:
    """The `source` rows a table rests on, in the `source` table's order: the files its rows
    (or the rows of `rests_on`) name in `source_file`, and its `raw` files and folders."""
    named: set[str] = set()
    for other in table.rests_on:
        named |= {
            path
            for (path,) in con.execute(f"SELECT DISTINCT {SOURCE_PATH_SQL} FROM {other}").fetchall()
        }
    rows = con.execute(
        "SELECT path, producer, title, licence, url, retrieved_date, sha256 FROM source "
        "ORDER BY rowid"
    ).df()
    picked = rows[
        rows["path"].isin(named)
        | rows["path"].map(lambda path: any(path.startswith(raw) for raw in table.raw))
    ]
    return picked.astype({"retrieved_date": str}).to_dict("records")


def licences_of(sources: list[dict]) -> list[dict]:
    """Every licence of the sources, each once, in a fixed order (`notspecified` when no source
    of the table is listed)."""
    stated = [licence for source in sources for licence in licences_stated(source["licence"])]
    stated = stated or [NOT_SPECIFIED]
    order = [LICENCE_OUVERTE, MIT, NOT_SPECIFIED]
    return [licence for licence in order if licence in stated]


def package_source(source: dict) -> dict:
    """A source as a Data Package lists it: its title, producer and file; its address when
    the manifest gives a web address (else it is in each row's `source_url`)."""
    entry = {"title": f"{source['title']} — {source['producer']} ({source['path']})"}
    url = str(source["url"])
    if url.startswith(("http://", "https://")) and " " not in url:
        entry["path"] = url
    return entry
