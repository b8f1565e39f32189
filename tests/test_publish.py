"""`palmares publish`: the open-data package, on a hand-made warehouse (and once on the real one).

The hand-made palmarès uses real codes of the tiny reference but test sources
(`data/raw/palmares/test-publish.csv`, https://source.example/...) and hostile texts.
"""

from __future__ import annotations

import argparse
import csv
import json
import re

import pandas as pd
import pytest
from conftest import TINY_BUILD_INFO, TINY_SOURCES, tiny_tables
from frictionless import Package, Resource

from pipeline import cli
from pipeline.analysis import provenance
from pipeline.build.schema import schema_columns
from pipeline.build.warehouse import build_warehouse, connect_read_only
from pipeline.paths import Paths
from pipeline.publish import command, fields, licences, package, tables

TEST_FILE = "data/raw/palmares/test-publish.csv"
FORMULA = '=HYPERLINK("https://evil.example","clic")'
MARKUP = "<script>alert(1)</script> **gras** | [lien](javascript:alert(1))\nligne 2"
#: A word or letter only French descriptions have (the English ones would have none).
FRENCH = re.compile(r"[éèêàçù]|\b(le|la|les|de|du|des|un|une|et|ou|en|par|pour|sur|entre)\b|\bd'")
SOURCES = [
    *TINY_SOURCES,
    {
        **TINY_SOURCES[0],
        "path": TEST_FILE,
        "producer": "test",
        "title": "hand-made test rows <img src=x onerror=alert(1)>",
        "licence": "short quotations of public sources, each row naming its source URL",
        "url": "see source_url of each row",
        "derived_from": None,
    },
]


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    columns = [column.name for column in schema_columns()[table]]
    return pd.DataFrame(rows).reindex(columns=columns)


def laureate(row: int, edition: int, code: str, level, name: str = "La Madeleine", **extra):
    return {
        "source_file": TEST_FILE,
        "source_row": row,
        "edition": edition,
        "name": name,
        "departement": "59",
        "arobases": level,
        "kind": "ville",
        "code": code,
        "entity": "commune",
        "resolution_method": "exact",
        "resolution_score": 100.0,
        "candidates": [code],
        "source_url": f"https://source.example/{row}",
        **extra,
    }


def hand_made(laureates: list[dict], editions=(2008, 2009)) -> dict[str, pd.DataFrame]:
    made = tiny_tables()
    made["laureates"] = frame("laureates", laureates)
    made["quarantine"] = frame(
        "quarantine",
        [
            {
                "source_file": TEST_FILE,
                "source_row": 9,
                "edition": 2008,
                "name": "+Mérignac",
                "reason": "ambiguous: 'Mérignac' matches 2 communes",
                "candidates": ["33281 Mérignac (33)", "16216 Mérignac (16)"],
            }
        ],
    )
    made["edition"] = frame(
        "edition",
        [
            {"label_year": year, "has_mention_level": True, "total_labelled": 203}
            for year in editions
        ],
    )
    return made


FIRST = [
    laureate(2, 2008, "59368", 5, quote=MARKUP),
    laureate(3, 2008, "59350", 4, name=FORMULA),
    laureate(4, 2009, "59368", 5, note="@test remarque"),
]


def build(paths: Paths, laureates=FIRST, **options) -> Paths:
    build_warehouse(paths, hand_made(laureates, **options), SOURCES, TINY_BUILD_INFO)
    return paths


@pytest.fixture
def published(tmp_paths):
    build(tmp_paths)
    out = tmp_paths.root / "package"
    package.publish(tmp_paths, out)
    return out


def csv_rows(path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_package_is_valid_documented_in_french_and_licensed(published):
    report = Package(str(published / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "note"])
    descriptor = json.loads((published / "datapackage.json").read_text("utf-8"))
    names = {resource["name"] for resource in descriptor["resources"]}
    for table in ("laureates", "quarantine", "edition", "edition_conflict", "claim"):
        assert {f"{table}-csv", f"{table}-parquet"} <= names
    assert {"continuity-csv", "illectronism-parquet"} <= names
    assert descriptor["countryCode"] == "FR"
    assert descriptor["created"] == "2026-11-23T00:00:00Z"  # the build's time, no clock
    for resource in descriptor["resources"]:
        assert resource["title"] and resource["description"] and resource["licenses"]
        schema = resource["schema"]
        assert schema["primaryKey"]
        for field in schema["fields"]:
            assert field["title"] != field["name"] and len(field["description"]) > 10
            assert FRENCH.search(field["description"]), field["description"]
    laureates = next(r for r in descriptor["resources"] if r["name"] == "laureates-csv")
    assert laureates["schema"]["primaryKey"] == ["source_file", "source_row"]
    assert {
        "fields": ["edition"],
        "reference": {"resource": "edition-csv", "fields": ["label_year"]},
    } in laureates["schema"]["foreignKeys"]
    arobases = next(f for f in laureates["schema"]["fields"] if f["name"] == "arobases")
    assert arobases["constraints"] == {"minimum": 0, "maximum": 5}
    # licences as the manifests state them: the test rows name none, the reference LO 2.0
    assert [licence["name"] for licence in laureates["licenses"]] == ["etalab-2.0", "notspecified"]
    assert any(TEST_FILE in source["title"] for source in laureates["sources"])


def test_readme_states_tables_coverage_licences_and_cog(published, tmp_paths):
    readme = (published / "README.md").read_text("utf-8")
    for table in tables.PUBLISHED:
        assert f"`{table.name}.csv`" in readme and fields.TABLES[table.name][0] in readme
    coverage = readme.split("## Complétude par édition")[1].split("## ")[0]
    assert re.search(r"^\| 2008 \| 2 \| 1 \| 3 \| 203 \| 1,5 \|", coverage, flags=re.M)
    with connect_read_only(tmp_paths) as con:
        assert f"Code officiel géographique (COG) {provenance.cog_vintage(con)}" in readme
    assert "Licence non spécifiée" in readme and "## Citer ces données" in readme
    # names of collectivities stay in the tables; hostile manifest text shows literally
    assert "La Madeleine" not in readme and "HYPERLINK" not in readme
    assert not re.search(r"(?<!\\)<(img|script)", readme)


def test_csv_and_parquet_agree_and_hostile_text_round_trips(published):
    for table in tables.PUBLISHED:
        as_csv = Resource(str(published / f"{table.name}.csv")).read_rows()
        as_parquet = Resource(str(published / f"{table.name}.parquet")).read_rows()
        assert [row.to_dict() for row in as_csv] == [row.to_dict() for row in as_parquet]
    rows = {row["source_row"]: row for row in csv_rows(published / "laureates.csv")}
    assert rows["2"]["quote"] == MARKUP  # the data, exactly: no quote prefix, no escaping
    assert rows["3"]["name"] == FORMULA
    assert json.loads(rows["2"]["candidates"]) == ["59368"]
    parquet = pd.read_parquet(published / "laureates.parquet").set_index("source_row")
    assert parquet.loc[3, "name"] == FORMULA and parquet.loc[2, "quote"] == MARKUP
    readme = (published / "README.md").read_text("utf-8")
    formulas = readme.split("**Formules.**")[1]
    for table, column in (("laureates", "name"), ("laureates", "note"), ("quarantine", "name")):
        assert f"- `{table}`, colonne `{column}` : 1 cellule" in formulas


def test_the_same_warehouse_gives_byte_identical_packages(published, tmp_paths):
    again = tmp_paths.root / "again"
    package.publish(tmp_paths, again)
    files = sorted(path.name for path in published.iterdir())
    assert files == sorted(path.name for path in again.iterdir())
    for name in files:
        assert (published / name).read_bytes() == (again / name).read_bytes(), name


def test_the_changelog_finds_rows_added_removed_and_changed(published, tmp_paths, capsys):
    changed = [
        laureate(2, 2008, "59368", 4, quote=MARKUP),  # level 5 → 4
        laureate(3, 2008, "59350", 4, name=FORMULA),
        laureate(5, 2009, "59350", 3),  # new; row 4 (2009) is gone
    ]
    build(tmp_paths, changed)
    out = tmp_paths.root / "next"
    args = argparse.Namespace(out=str(out), compare=str(published))
    assert command.run(args, tmp_paths) == 0
    printed = capsys.readouterr().out
    assert "laureates: 1 added, 1 removed, 1 changed" in printed
    changes = [row for row in csv_rows(out / "changes.csv") if row["table"] == "laureates"]
    assert [(r["edition"], r["change"], json.loads(r["key"])["source_row"]) for r in changes] == [
        ("2008", "modifiée", "2"),
        ("2009", "ajoutée", "5"),
        ("2009", "supprimée", "4"),
    ]
    assert json.loads(changes[0]["before"]) == {"arobases": "5"}
    assert json.loads(changes[0]["after"]) == {"arobases": "4"}
    changelog = (out / "CHANGELOG.md").read_text("utf-8")
    assert "| Lauréats identifiés | 2008 | 0 | 0 | 1 |" in changelog
    assert "| Lauréats identifiés | 2009 | 1 | 1 | 0 |" in changelog
    assert "changes-csv" in (out / "datapackage.json").read_text("utf-8")


def test_publishing_over_the_compared_package_reports_no_change(published, tmp_paths, capsys):
    args = argparse.Namespace(out=str(published), compare=str(published))
    assert command.run(args, tmp_paths) == 0
    assert "No row added, removed or changed" in capsys.readouterr().out
    assert "Aucune ligne ajoutée" in (published / "CHANGELOG.md").read_text("utf-8")


def test_an_invalid_package_is_refused_and_the_folder_left_as_it_was(published, tmp_paths, capsys):
    before = {path.name: path.read_bytes() for path in published.iterdir()}
    build(tmp_paths, editions=(2009,))  # laureates of 2008, an edition the table lacks
    args = argparse.Namespace(out=str(published), compare=None)
    assert command.run(args, tmp_paths) == 1
    error = capsys.readouterr().err
    assert "would not be a valid data package" in error and "foreign key" in error
    assert {path.name: path.read_bytes() for path in published.iterdir()} == before
    assert sorted(path.name for path in published.parent.iterdir()) == ["data", "package"]


def test_the_command_refuses_a_foreign_folder_and_a_bad_comparison(tmp_paths, monkeypatch, capsys):
    build(tmp_paths)
    monkeypatch.setenv("PALMARES_ROOT", str(tmp_paths.root))
    notes = tmp_paths.root / "notes"
    notes.mkdir()
    (notes / "mine.txt").write_text("keep me", "utf-8")
    assert cli.main(["publish", "--out", str(notes)]) == 1
    assert "not a package written by `palmares publish`" in capsys.readouterr().err
    assert (notes / "mine.txt").read_text("utf-8") == "keep me"
    assert cli.main(["publish", "--out", str(tmp_paths.root / "p"), "--compare", str(notes)]) == 1
    assert "datapackage.json: missing" in capsys.readouterr().err
    assert not (tmp_paths.root / "p").exists()


def test_a_synthetic_palmares_is_never_published(tmp_paths):
    build(tmp_paths, [{**row, "source_file": "synthetic://benchmark"} for row in FIRST])
    with pytest.raises(package.PublishError, match="SYNTHETIC"):
        package.publish(tmp_paths, tmp_paths.root / "p")
    assert not (tmp_paths.root / "p").exists()


def test_a_column_without_french_text_stops_the_command(tmp_paths, monkeypatch, capsys):
    build(tmp_paths)
    texts = {**fields.FIELDS["claim"]}
    del texts["check_detail"]
    monkeypatch.setitem(fields.FIELDS, "claim", texts)
    args = argparse.Namespace(out=str(tmp_paths.root / "p"), compare=None)
    assert command.run(args, tmp_paths) == 1
    assert "claim.check_detail has no French title" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("Licence Ouverte 2.0 (données) ; code MIT", ["etalab-2.0"]),
        ("MIT (project decisions)", ["MIT"]),
        ("short quotations of public sources, each row naming its source URL", ["notspecified"]),
        (
            "INSEE figures under Licence Ouverte 2.0 (Etalab); other rows short quotations",
            ["etalab-2.0", "notspecified"],
        ),
        ("as provided by the user (not stated)", ["notspecified"]),
    ],
)
def test_licences_are_the_manifests_words_never_a_guess(words, expected):
    assert [licence["name"] for licence in licences.licences_stated(words)] == expected


def test_the_real_palmares_publishes_a_valid_package(real_warehouse, tmp_path):
    out = tmp_path / "real"
    package.publish(real_warehouse, out)
    assert Package(str(out / "datapackage.json")).validate().valid
    readme = (out / "README.md").read_text("utf-8")
    coverage = readme.split("## Complétude par édition")[1].split("## ")[0]
    with connect_read_only(real_warehouse) as con:
        editions = provenance.editions(con)
        laureates = con.execute("SELECT count(*) FROM laureates").fetchone()[0]
    assert [int(y) for y in re.findall(r"^\| (\d{4}) \|", coverage, flags=re.M)] == editions
    assert len(csv_rows(out / "laureates.csv")) == laureates
