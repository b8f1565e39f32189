"""INSEE illectronism figures: the curated CSV, figure downloads in every shape, geography."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from conftest import EXPECTED_COUNTS, raw_records

from pipeline.build import manifest
from pipeline.build.assemble import illectronism
from pipeline.build.ingest import check_figure, ingest_figures
from pipeline.build.schema import schema_columns
from pipeline.build.sources import insee, insee_download
from pipeline.errors import InputError
from pipeline.paths import Paths

REAL = Paths.from_env()
RAW = REAL.raw / "insee"
HDF_JSON = RAW / "insee_analyses_hdf118_fig6_epci_2019.json"
CURATED = RAW / "illectronism.csv"
HDF_URL = "https://www.insee.fr/fr/statistiques/4986976#tableau-figure6"
SAME_ROWS = ["geography_level", "geography_code", "geography_name", "measure", "value"]
CURATED_ROWS = len(raw_records("insee/illectronism.csv"))
HDF_ROWS = len(raw_records(f"insee/{HDF_JSON.name}"))  # one per EPCI: a rate and a count each


@pytest.fixture(scope="module")
def assembled(reference):
    return illectronism.assemble_illectronism(REAL, reference)


@pytest.fixture(scope="module")
def table(assembled):
    tables, _ = assembled
    assert set(tables) == {"illectronism"}
    return tables["illectronism"]


@pytest.fixture(scope="module")
def vintages():
    return illectronism.load_epci_vintages(REAL)


def first_hand_metadata(**changes) -> dict:
    """What a researcher would say about figure 6 downloaded from insee.fr itself."""
    meta = {
        "indicator": "illectronism_rate_modelled",
        "year": 2019,
        "definition": "2019",
        "scope": "15+",
        "source_url": HDF_URL,
        "publication": "Insee Analyses Hauts-de-France n°118 (déc. 2020), figure 6",
    }
    return {**meta, **changes}


def hdf_records() -> list[dict]:
    return json.loads(HDF_JSON.read_text(encoding="utf-8"))


def insee_csv(path, records=None, encoding="utf-8", spaces=("\u00a0", "\u202f")):
    """The HDF figure in INSEE's CSV shape: title rows, ';', decimal commas, non-breaking
    spaces as thousands separators, notes under the table. Returns the header's row number."""
    records = hdf_records() if records is None else records
    lines = [
        "Figure 6 – Taux et nombre de personnes en situation d'illectronisme par EPCI",
        "",
        "Code EPCI;Libellé EPCI;Taux (en %);Nombre",
    ]
    for n, record in enumerate(records):
        count = record["Nombre"].replace(" ", spaces[n % len(spaces)])
        lines.append(
            f"{record['Code EPCI']};{record['Libellé EPCI']};{record['Taux (en %)']};{count}"
        )
    lines += ["", "Champ : Hauts-de-France, personnes de 15 ans ou plus.", "Source : Insee."]
    path.write_bytes("\r\n".join(lines).encode(encoding) + b"\r\n")
    return 3


def insee_xlsx(path):
    """The same figure as an XLSX download: numbers stored as numbers."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Figure 6 – Taux et nombre de personnes en situation d'illectronisme par EPCI"])
    sheet.append([])
    sheet.append(["Code EPCI", "Libellé EPCI", "Taux (en %)", "Nombre"])
    for record in hdf_records():
        sheet.append(
            [
                record["Code EPCI"],
                record["Libellé EPCI"],
                float(record["Taux (en %)"].replace(",", ".")),
                int(record["Nombre"].replace(" ", "")),
            ]
        )
    sheet.append([])
    sheet.append(["Source : Insee."])
    workbook.save(path)


# --- The curated CSV ------------------------------------------------------------------------


def test_curated_csv_is_read_typed():
    rows = insee.read_illectronism_csv(CURATED, "data/raw/insee/illectronism.csv")
    assert len(rows) == CURATED_ROWS
    assert rows["year"].between(2008, 2025).all()
    first = rows.iloc[0]  # row 2 of the file: Insee Première n°1953
    assert (
        first["source_row"],
        first["year"],
        first["geography_code"],
        first["value"],
        first["definition_version"],
        first["population_scope"],
    ) == (2, 2021, "FR", 15.4, "2021", "15+")
    by_text = rows.set_index("value_published")
    assert by_text.loc["20-23", ["value_kind", "value_low", "value_high"]].tolist() == [
        "range",
        20.0,
        23.0,
    ]
    assert by_text.loc["~25 (près d'un sur quatre)", "value_kind"].iloc[0] == "approximate"
    assert set(rows.loc[rows["indicator"].str.endswith("_millions"), "unit"]) == {"million_persons"}


def test_definitions_follow_the_publications():
    rows = insee.read_illectronism_csv(CURATED)
    rate = rows[rows["indicator"] == "illectronism_rate"]
    assert set(rate.loc[rate["year"] <= 2019, "definition_version"]) == {"2019"}
    assert set(rate.loc[rate["year"] == 2021, "definition_version"]) == {"2021"}
    focus = rows[
        rows["publication"].str.contains("Focus n°376")
        & rows["indicator"].map(insee.is_skills_indicator)
    ]
    assert set(focus["definition_version"]) == {"2025"}
    access = rows[rows["indicator"] == "no_internet_access_at_home"]
    assert access["definition_version"].isna().all()


def test_second_hand_rows_are_those_the_notes_mark():
    rows = insee.read_illectronism_csv(CURATED)
    bracketed = rows["publication"].str.contains(r"\[", regex=True)
    assert rows.loc[bracketed, "is_second_hand"].all()
    assert insee.second_hand("Insee Première n°1780 (oct. 2019)") == (False, None)
    assert insee.second_hand("Insee Première n°1953 (juin 2023) [repris par Weka]") == (
        True,
        "repris par Weka",
    )
    assert insee.second_hand(
        "Baromètre du numérique 2021 (Arcep/CREDOC) cité par Sénat rapport n°588 (2021-2022)"
    ) == (True, "cité par Sénat rapport n°588 (2021-2022)")
    assert insee.second_hand("Insee (chiffre 2023 repris par Économie Hebdo, févr. 2026)")[0]
    hdf_copy = rows[rows["source_url"].str.contains("github.com/Assembleurs/portrea")]
    assert len(hdf_copy) == HDF_ROWS and hdf_copy["is_second_hand"].all()


def test_population_scopes_are_normalised():
    assert insee.normalise_scope("15 ans ou plus (logement ordinaire)") == "15+"
    assert insee.normalise_scope("plus de 15 ans") == "15+"
    eurostat = "16-74 ans (Eurostat DSI 2.0 — série « comparable » EIGE)"
    assert insee.normalise_scope(eurostat) == "16-74"
    assert insee.normalise_scope("usagers d'Internet de 15 ans ou plus") == "15+ internet users"
    assert insee.normalise_scope("75 ans ou plus") == "75+"
    assert insee.normalise_scope("échantillon Ipsos >5 000 personnes") == "not_stated"


def test_curated_csv_errors_name_the_row(tmp_path):
    lines = CURATED.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "illectronism.csv"
    bad.write_text("\n".join([lines[0], lines[1].replace(",15.4,", ",15;4,")]) + "\n", "utf-8")
    with pytest.raises(InputError, match=r"row 2: value '15;4' is not a number") as caught:
        insee.read_illectronism_csv(bad)
    assert caught.value.row == 2
    bad.write_text("\n".join([lines[0], lines[1].replace("2021,country", "2021,planet")]), "utf-8")
    with pytest.raises(InputError, match="row 2: unknown geography_level 'planet'"):
        insee.read_illectronism_csv(bad)


# --- The table ------------------------------------------------------------------------------


def test_table_has_the_schema_columns_and_a_row_per_figure(table):
    assert list(table.columns) == [c.name for c in schema_columns()["illectronism"]]
    # the curated rows, of which the EPCI rows read from the JSON copy are replaced by the copy
    # itself: a rate and a count per EPCI.
    assert len(table) == CURATED_ROWS - HDF_ROWS + 2 * HDF_ROWS
    assert not table.duplicated(["source_file", "source_row", "indicator"]).any()


def test_2019_national_rate_is_17_percent(table):
    national = table[
        (table["year"] == 2019)
        & (table["indicator"] == "illectronism_rate")
        & (table["geography_level"] == "country")
        & (table["geography_code"] == "FR")
        & (table["breakdown"] == "none")
        & table["publication"].str.startswith("Insee Première n°1780")
        & ~table["is_second_hand"]
    ]
    assert national[
        ["value", "population_scope", "definition_version", "estimation"]
    ].values.tolist() == [[17.0, "15+", "2019", "survey"]]


def test_2021_rate_is_15_4_percent_definition_2021(table):
    national = table[
        (table["year"] == 2021)
        & (table["indicator"] == "illectronism_rate")
        & (table["geography_code"] == "FR")
        & (table["breakdown"] == "none")
    ]
    assert national[["value", "population_scope", "definition_version"]].values.tolist() == [
        [15.4, "15+", "2021"]
    ]


def test_every_hdf_epci_row_joins_an_epci_or_says_why(table, reference):
    hdf = table[table["source_file"].str.endswith(HDF_JSON.name)]
    assert len(hdf) == 2 * HDF_ROWS
    today = set(reference["epci"]["epci_siren"])
    assert hdf["code_joined"].all() and hdf["current_code"].isin(today).all()
    differs = hdf[~hdf["same_territory"].astype(bool)]
    assert differs["join_note"].str.len().gt(0).all()
    by_code = hdf[hdf["unit"] == "percent"].set_index("geography_code")
    assert (
        by_code["join_method"].value_counts().to_dict()
        == EXPECTED_COUNTS["insee"]["hdf_join_methods"]
    )
    assert by_code["same_territory"].sum() == EXPECTED_COUNTS["insee"]["hdf_same_territory"]
    # CC de la Haute-Deûle joined the Métropole européenne de Lille in 2020
    assert by_code.loc["245901061", ["current_code", "join_method"]].tolist() == [
        "200093201",
        "absorbed",
    ]
    assert by_code.loc["246201149", "current_code"] == "200090751"  # CA du Calaisis
    assert "245901061" in by_code.loc["200093201", "join_note"]
    assert "partie Hauts-de-France" in by_code.loc["247600588", "join_note"]
    assert not by_code.loc["247600588", "same_territory"]
    # the rate and the count of the same EPCI: 18,7 % and 3 346 people
    desvres = hdf[hdf["geography_code"] == "200018083"].set_index("indicator")
    assert desvres.loc["illectronism_rate_modelled", "value"] == 18.7
    assert desvres.loc["illectronism_count_modelled", ["value", "unit"]].tolist() == [
        3346.0,
        "persons",
    ]
    assert hdf["is_second_hand"].all() and hdf["estimation"].eq("modelled").all()


def test_download_replaces_the_curated_rows_of_the_same_figure(table):
    curated_epci = table[
        table["source_file"].str.endswith("illectronism.csv") & (table["geography_level"] == "epci")
    ]
    assert curated_epci["geography_code"].isna().all()  # only the EPCI published without code
    notes = table.loc[
        table["source_file"].str.endswith(HDF_JSON.name) & (table["unit"] == "percent"), "note"
    ]
    assert notes.str.fullmatch(
        r"replaces data/raw/insee/illectronism\.csv row \d+ "
        r"\(same value\)"
    ).all()


def test_other_levels_join_the_reference_or_have_none(table):
    regions = table[table["geography_level"] == "region"]
    assert regions["code_joined"].all() and regions["same_territory"].all()
    arrondissements = table[table["geography_level"] == "arrondissement"]
    assert set(arrondissements["current_code"]) >= {"75116", "75102"}
    country = table[table["geography_level"] == "country"]
    assert country["code_joined"].isna().all()
    assert set(country["join_method"]) == {"no_reference_level"}
    no_code = table[table["join_method"] == "no_code"]
    assert set(no_code["geography_name"]) >= {"Angers Loire Métropole", "Le Mans Métropole"}
    assert not no_code["code_joined"].any()


def test_an_epci_split_since_is_not_attached(reference, vintages):
    geography = illectronism.Geography(reference, vintages)
    join = geography.join("epci", "200067221", 2019, "as published")
    assert (join.current_code, join.code_joined, join.join_method) == (None, False, "split")
    assert "200096683" in join.join_note and "200096675" in join.join_note
    with pytest.raises(LookupError, match="unknown EPCI code 200000000"):
        geography.join("epci", "200000000", 2019, "as published")


def test_sources_one_row_per_file(assembled):
    _, sources = assembled
    paths = {source["path"]: source for source in sources}
    assert set(paths) == {
        f"data/raw/insee/{name}"
        for name in ("illectronism.csv", HDF_JSON.name, "NOTES.md", "epci_2019.json")
    }
    assert paths["data/raw/insee/illectronism.csv"]["row_count"] == CURATED_ROWS
    assert paths[f"data/raw/insee/{HDF_JSON.name}"]["url"] == HDF_URL
    assert paths[f"data/raw/insee/{HDF_JSON.name}"]["licence"].startswith("Licence Ouverte 2.0")


# --- Figure downloads in every shape --------------------------------------------------------


def test_insee_shaped_csv_gives_the_rows_of_the_json_copy(tmp_path):
    from_json = insee_download.read_insee_figure(HDF_JSON)
    assert len(from_json) == 2 * HDF_ROWS and from_json["source_row"].iloc[0] == 2  # line of object
    for encoding in ("utf-8", "utf-8-sig", "cp1252"):
        path = tmp_path / f"figure6-{encoding}.csv"
        header = insee_csv(
            path,
            encoding=encoding,
            spaces=("\u00a0",) if encoding == "cp1252" else ("\u00a0", "\u202f"),
        )
        from_csv = insee_download.read_insee_figure(path)
        pd.testing.assert_frame_equal(from_csv[SAME_ROWS], from_json[SAME_ROWS])
        assert from_csv["source_row"].iloc[0] == header + 1


def test_xlsx_gives_the_rows_of_the_json_copy(tmp_path):
    path = tmp_path / "figure6.xlsx"
    insee_xlsx(path)
    pd.testing.assert_frame_equal(
        insee_download.read_insee_figure(path)[SAME_ROWS],
        insee_download.read_insee_figure(HDF_JSON)[SAME_ROWS],
    )


def test_table_rows_are_the_same_from_csv_and_json(tmp_path, reference, vintages):
    path = tmp_path / "figure6.csv"
    insee_csv(path)
    meta = first_hand_metadata()
    from_csv = check_figure(path, meta, reference, vintages)
    from_json = check_figure(HDF_JSON, meta, reference, vintages)
    columns = [
        c
        for c in from_csv.columns
        if c not in ("source_file", "source_row", "value_published", "quote")
    ]
    pd.testing.assert_frame_equal(from_csv[columns], from_json[columns])


def test_looks_like_insee_figure(tmp_path):
    csv_path, xlsx_path = tmp_path / "figure.csv", tmp_path / "figure.xlsx"
    insee_csv(csv_path)
    insee_xlsx(xlsx_path)
    assert all(insee_download.looks_like_insee_figure(p) for p in (HDF_JSON, csv_path, xlsx_path))
    palmares = REAL.raw / "palmares" / "laureates.csv"
    assert not insee_download.looks_like_insee_figure(palmares)
    assert not insee_download.looks_like_insee_figure(RAW / "NOTES.md")
    assert not insee_download.looks_like_insee_figure(CURATED)
    assert not insee_download.looks_like_insee_figure(tmp_path / "missing.csv")


# --- Bad input: file, row, problem ----------------------------------------------------------


def _with(records: list[dict], index: int, **changes) -> list[dict]:
    records = [dict(r) for r in records]
    records[index].update(changes)
    return records


def test_decimal_point_in_a_decimal_comma_file_is_refused(tmp_path):
    path = tmp_path / "figure.csv"
    header = insee_csv(path, _with(hdf_records(), 5, **{"Taux (en %)": "18.7"}))
    with pytest.raises(
        InputError, match="decimal point, but this file writes decimals with a comma"
    ) as caught:
        insee_download.read_insee_figure(path)
    assert caught.value.row == header + 6 and caught.value.path == path


def test_a_value_that_is_not_a_number_is_refused(tmp_path):
    path = tmp_path / "figure.csv"
    header = insee_csv(path, _with(hdf_records(), 0, **{"Taux (en %)": "abc"}))
    with pytest.raises(
        InputError,
        match=r"row 4: value 'abc' in column 'Taux \(en %\)' is not "
        "a number",
    ) as caught:
        insee_download.read_insee_figure(path)
    assert caught.value.row == header + 1
    insee_csv(path, _with(hdf_records(), 0, Nombre="3,346"))
    with pytest.raises(InputError, match="count '3,346' .* is not a whole number"):
        insee_download.read_insee_figure(path)


def test_missing_columns_are_named(tmp_path):
    path = tmp_path / "figure.csv"
    path.write_text("Libellé EPCI;Taux (en %)\nCC de Desvres-Samer;18,7\n", encoding="utf-8")
    with pytest.raises(
        InputError,
        match="no code column: expected 'Code EPCI'.*headers found: "
        "'Libellé EPCI', 'Taux \\(en %\\)'",
    ):
        insee_download.read_insee_figure(path)
    path.write_text("Code EPCI;Libellé EPCI\n200018083;CC de Desvres-Samer\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 1: no value column") as caught:
        insee_download.read_insee_figure(path)
    assert caught.value.row == 1


def test_unknown_and_misshapen_codes_are_refused(tmp_path, reference, vintages):
    path = tmp_path / "figure.csv"
    header = insee_csv(path, _with(hdf_records(), 2, **{"Code EPCI": 200000000}))
    with pytest.raises(InputError, match="unknown EPCI code 200000000") as caught:
        check_figure(path, first_hand_metadata(), reference, vintages)
    assert caught.value.row == header + 3
    insee_csv(path, _with(hdf_records(), 2, **{"Code EPCI": 20003357}))
    with pytest.raises(InputError, match="row 6: epci code .* is not a 9-digit SIREN"):
        insee_download.read_insee_figure(path)
    insee_csv(path, _with(hdf_records(), 2, **{"Code EPCI": 200018083}))
    with pytest.raises(InputError, match="row 6: epci code 200018083 appears twice"):
        insee_download.read_insee_figure(path)


def test_metadata_is_validated():
    meta = insee.ingest_metadata(**first_hand_metadata())
    assert (
        meta["estimation"],
        meta["count_indicator"],
        meta["geography_vintage"],
        meta["second_hand_via"],
    ) == ("modelled", "illectronism_count_modelled", 2019, None)
    bad = {
        "year": "deux mille",
        "definition": "2020",
        "scope": "adults",
        "source_url": "insee.fr",
        "indicator": "Taux illectronisme",
    }
    for option, value in bad.items():
        with pytest.raises(insee.MetadataError, match=f"--{option.replace('_', '-')} "):
            insee.ingest_metadata(**first_hand_metadata(**{option: value}))
    with pytest.raises(insee.MetadataError, match="say which definition"):
        insee.ingest_metadata(**first_hand_metadata(definition="not_applicable"))
    with pytest.raises(insee.MetadataError, match="named as a modelled indicator"):
        insee.ingest_metadata(**first_hand_metadata(estimation="survey"))


# --- Ingesting a download -------------------------------------------------------------------


@pytest.fixture
def project(tmp_path) -> Paths:
    """A project root with a copy of data/raw/insee (the reference is read from the real one)."""
    shutil.copytree(RAW, tmp_path / "data" / "raw" / "insee")
    return Paths(tmp_path)


def test_a_first_hand_download_replaces_the_copy(project, reference, tmp_path):
    download = tmp_path / "figure6.csv"
    insee_csv(download)
    built = {}

    def rebuild():
        built.update(illectronism.assemble_illectronism(project, reference)[0])

    outcome = ingest_figures(project, [(download, first_hand_metadata())], reference, rebuild)
    assert outcome == {"figure6.csv": "added"}
    kept = project.raw / "insee" / "imports" / "figure6.csv"
    assert kept.read_bytes() == download.read_bytes()
    entry = {e["path"]: e for e in manifest.load(project.raw / "insee")}["imports/figure6.csv"]
    assert entry["role"] == "insee_figure_download" and entry["figure"]["year"] == 2019
    table = built["illectronism"]
    assert not table["source_file"].str.endswith(HDF_JSON.name).any()
    mine = table[table["source_file"] == "data/raw/insee/imports/figure6.csv"]
    assert len(mine) == 2 * HDF_ROWS and not mine["is_second_hand"].any()
    rates = mine[mine["unit"] == "percent"]
    assert rates["note"].str.contains(f"{HDF_JSON.name} row \\d+ \\(same value\\)").all()
    assert ingest_figures(project, [(download, first_hand_metadata())], reference, rebuild) == {
        "figure6.csv": "unchanged"
    }


def test_a_failed_ingest_leaves_nothing_behind(project, reference, tmp_path):
    before = (project.raw / "insee" / "manifest.json").read_bytes()
    download = tmp_path / "figure6.csv"
    insee_csv(download)

    def rebuild():
        raise RuntimeError("the build failed")

    with pytest.raises(RuntimeError):
        ingest_figures(project, [(download, first_hand_metadata())], reference, rebuild)
    assert (project.raw / "insee" / "manifest.json").read_bytes() == before
    assert not (project.raw / "insee" / "imports" / "figure6.csv").exists()
    bad = tmp_path / "bad.csv"
    insee_csv(bad, _with(hdf_records(), 0, **{"Taux (en %)": "abc"}))
    with pytest.raises(InputError):
        ingest_figures(project, [(bad, first_hand_metadata())], reference, rebuild)
    assert (project.raw / "insee" / "manifest.json").read_bytes() == before


def test_two_first_hand_downloads_of_one_figure_are_refused(project, reference, tmp_path):
    for name in ("a.csv", "b.csv"):
        insee_csv(tmp_path / name)
    ingest_figures(
        project,
        [(tmp_path / "a.csv", first_hand_metadata()), (tmp_path / "b.csv", first_hand_metadata())],
        reference,
        lambda: None,
    )
    with pytest.raises(InputError, match="gives the same figure as .*: keep one"):
        illectronism.assemble_illectronism(project, reference)


def test_a_changed_raw_file_is_refused(project, reference):
    path = project.raw / "insee" / "illectronism.csv"
    path.write_bytes(path.read_bytes().replace(b",15.4,", b",15.5,", 1))
    with pytest.raises(InputError, match=r"sha256 .* differs"):
        illectronism.assemble_illectronism(project, reference)


def test_a_palmares_export_is_not_taken_for_a_figure(tmp_path):
    path = tmp_path / "palmares.csv"
    path.write_text("Collectivité;Code département;Nb @;Année\nLe Havre;76;5;2005\n", "utf-8")
    assert not insee_download.looks_like_insee_figure(path)


def test_a_region_level_download(tmp_path, reference):
    """Regional 2019 rates of the curated CSV (BFC, CVL, PDL, ARA) in a figure's shape."""
    path = tmp_path / "regions.csv"
    path.write_text(
        "Taux d'illectronisme par région en 2019\n\nCode région;Région;Taux (en %)\n"
        "27;Bourgogne-Franche-Comté;19\n24;Centre-Val de Loire;19\n"
        "52;Pays de la Loire;15\n84;Auvergne-Rhône-Alpes;15\n",
        encoding="utf-8",
    )
    assert insee_download.looks_like_insee_figure(path)
    meta = first_hand_metadata(
        indicator="illectronism_rate_modelled",
        source_url="https://www.insee.fr/fr/statistiques/6443258",
    )
    rows = check_figure(path, meta, reference)
    assert rows["geography_level"].eq("region").all() and rows["same_territory"].all()
    assert rows["current_code"].tolist() == ["27", "24", "52", "84"]
    assert rows["geography_name"].tolist()[0] == "Bourgogne-Franche-Comté"
    path.write_text("Code région;Taux (en %)\n99;19\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 2: unknown region code 99"):
        check_figure(path, meta, reference)


def test_cli_routes_a_figure_download_and_names_a_missing_option(tmp_path):
    from conftest import palmares

    from pipeline.paths import DEFAULT_ROOT

    project = Paths(tmp_path / "project")
    shutil.copytree(
        DEFAULT_ROOT / "data" / "raw", project.raw, ignore=shutil.ignore_patterns("imports")
    )
    download = tmp_path / "figure6.csv"
    insee_csv(download)
    meta = first_hand_metadata()
    options = [
        "--indicator",
        meta["indicator"],
        "--definition",
        meta["definition"],
        "--scope",
        meta["scope"],
        "--source-url",
        meta["source_url"],
        "--publication",
        meta["publication"],
    ]
    missing_year = palmares(project, "ingest", str(download), *options)
    assert missing_year.returncode == 1 and "--year" in missing_year.stderr
    assert "Traceback" not in missing_year.stderr
    done = palmares(project, "ingest", str(download), *options, "--year", "2019")
    assert done.returncode == 0, done.stderr
    assert "figure6.csv: added" in done.stdout
    assert (project.raw / "insee" / "imports" / "figure6.csv").exists()
