"""Hypothesis profiles of the fuzzing tests, the census of the cases each reader ran, and the
failures already found.

Two profiles, registered here and nowhere else (importing this module loads the one named by
``PALMARES_FUZZ``):

- ``ci`` (the default, what ``make test`` runs): 60 examples per property of
  tests/test_hostile_inputs.py, as CI always had, and 3 to 12 per property of
  tests/test_reader_fuzz.py (`scaled`), so that CI stays about as quick as before;
- ``long``: 3,400 examples per property; every reader has three properties at least, so it
  runs at least 10,000 cases::

      PALMARES_FUZZ=long .venv/bin/python -m pytest -q tests/test_hostile_inputs.py \\
          tests/test_reader_fuzz.py -p no:cacheprovider --hypothesis-show-statistics

Whenever ``PALMARES_FUZZ`` is set, the run ends with the census: per reader, the cases run and
how they ended: rows returned, `InputError`, crashes (any other exception), breaches (rows or
an error breaking the reader's contract: row count, row numbers); failures are crashes plus
breaches. ``PALMARES_FUZZ_REPORT=file.json`` also writes it to a file, with the wall time of
every test and the cases of every property. ``PALMARES_FUZZ_SURVEY=1`` counts every failure
instead of failing the test on the first unknown one (to list them all in one run).

An unknown failure fails its test, as always. A failure already found and reported is listed
in `KNOWN` with its minimal input and its signature (exception type and the pipeline function
that let it escape, or the contract broken): it is counted, not raised, so that the property
keeps exploring the reader for other bugs; test_known_bugs_are_still_there
(tests/test_reader_fuzz.py) checks each minimal input still fails so, and fails once the
reader is fixed, so that the entry is removed.
"""

from __future__ import annotations

import io
import json
import os
import time
import traceback
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from pipeline.errors import InputError
from pipeline.paths import DEFAULT_ROOT

PROFILE_VARIABLE = "PALMARES_FUZZ"
REPORT_VARIABLE = "PALMARES_FUZZ_REPORT"
#: Set to 1 to count every failure without failing the test (to list them all in one run).
SURVEY = os.environ.get("PALMARES_FUZZ_SURVEY") == "1"
#: Examples per property in the long profile: every reader has at least three properties
#: (random bytes, a real file mutated, hostile tables), so at least 3 × 3,400 = 10,200 cases.
LONG_EXAMPLES = 3_400
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}

settings.register_profile("ci", max_examples=60, **_COMMON)  # the settings CI has always had
settings.register_profile("long", max_examples=LONG_EXAMPLES, **_COMMON)
PROFILE = os.environ.get(PROFILE_VARIABLE, "ci")
settings.load_profile(PROFILE)  # unknown name: hypothesis refuses it, naming the profiles


def scaled(weight: float) -> settings:
    """In the ci profile, `weight` times its examples (at least 1), so that the many
    properties of tests/test_reader_fuzz.py keep CI about as quick as before them; in the
    long profile, its examples whatever the weight."""
    examples = settings.default.max_examples
    return settings(max_examples=max(1, round(examples * weight)) if PROFILE == "ci" else examples)


# --- Known bugs ------------------------------------------------------------------------------

_CLAIMS = b"collectivity_name,department_code,stated_in_year,claim_text,implied_fact,source_url\n"
_FACTS = b"claim_row,fact,arobases,editions,count,consecutive,up_to,interpreted_by\n"
_EDITIONS = (
    b"edition_year,edition_number,ceremony_date,ceremony_place,total_labelled,n_5,n_4,"
    b"n_3,n_2,n_1,n_mention,n_territoires,n_villes,n_villages,n_new_candidates,n_ten,"
    b"other_fact,source_url,quote\n"
)
_REGION = b"region_code,name,article_code,chef_lieu_code,zone\n"
_DEEP = b"[" * 100_000


def workbook_bytes(rows: list[list]) -> bytes:
    """An .xlsx file of these rows (first sheet)."""
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _deflate64(data: bytes) -> bytes:
    """The zip with every member marked as compressed with Deflate64 (method 9), as some zip
    tools write large files: Python's zipfile does not implement it."""
    out, at = bytearray(data), 0
    while (at := data.find(b"PK\x01\x02", at)) != -1:  # central directory entries
        out[at + 10 : at + 12] = (9).to_bytes(2, "little")
        at += 4
    return bytes(out)


def _content_types_attribute(data: bytes) -> bytes:
    """The workbook with one unknown attribute on the root of [Content_Types].xml."""
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name in source.namelist():
            content = source.read(name)
            if name == "[Content_Types].xml":
                content = content.replace(b"<Types xmlns", b"<Types mlns", 1)
            out.writestr(name, content)
    return buffer.getvalue()


def _cut_member(data: bytes) -> bytes:
    """The zip whose last member's local header announces 1,280 bytes of extra field that are
    not there: its data runs past the end of the file."""
    at = data.rfind(b"PK\x03\x04")
    return data[: at + 28] + (0x500).to_bytes(2, "little") + data[at + 30 :]


_PALMARES_XLSX = workbook_bytes([["Année", "Commune", "Nb @"], ["2024", "Lille", "3"]])
_FIGURE_XLSX = workbook_bytes([["Code EPCI", "Taux (en %)"], ["200018083", "18,7"]])

_ROW = "contract: the row named is a row of the file, not an empty line"
_SOURCE_ROW = "contract: source_row is the row an editor shows"

#: Failures the fuzzing found, reported and not fixed here: (reader, file name, minimal input,
#: signature, what the contract expects for a "contract:" signature: the source rows, or the
#: row the error should name). test_known_bugs_are_still_there (tests/test_reader_fuzz.py)
#: checks that each one is still there. Found on 2026-11-30.
KNOWN = [
    (
        "read_palmares",
        "fuzz.xlsx",
        _deflate64(_PALMARES_XLSX),
        "NotImplementedError at pipeline/build/sources/tabular.py:xlsx_sheets",
        None,
    ),
    (
        "read_palmares",
        "fuzz.xlsx",
        _content_types_attribute(_PALMARES_XLSX),
        "TypeError at pipeline/build/sources/tabular.py:xlsx_sheets",
        None,
    ),
    (
        "read_palmares",
        "fuzz.xlsx",
        _cut_member(_PALMARES_XLSX),
        "EOFError at pipeline/build/sources/tabular.py:xlsx_sheets",
        None,
    ),
    (
        "read_insee_figure",
        "fuzz.xlsx",
        _cut_member(_FIGURE_XLSX),
        "EOFError at pipeline/build/sources/tabular.py:xlsx_sheets",
        None,
    ),
    (
        "looks_like_insee_figure",
        "fuzz.xlsx",
        _cut_member(_FIGURE_XLSX),
        "EOFError at pipeline/build/sources/tabular.py:xlsx_sheets",
        None,
    ),
    (
        "read_insee_figure",
        "fuzz.xlsx",
        _deflate64(_FIGURE_XLSX),
        "NotImplementedError at pipeline/build/sources/tabular.py:xlsx_sheets",
        None,
    ),
    (
        "read_insee_figure",
        "fuzz.xlsx",
        _content_types_attribute(_FIGURE_XLSX),
        "TypeError at pipeline/build/sources/tabular.py:xlsx_sheets",
        None,
    ),
    (
        "looks_like_insee_figure",
        "fuzz.xlsx",
        _deflate64(_FIGURE_XLSX),
        "NotImplementedError at pipeline/build/sources/tabular.py:xlsx_sheets",
        None,
    ),
    (
        "looks_like_insee_figure",
        "fuzz.xlsx",
        _content_types_attribute(_FIGURE_XLSX),
        "TypeError at pipeline/build/sources/tabular.py:xlsx_sheets",
        None,
    ),
    (
        "read_claims",
        "claims.csv",
        b"",
        "EmptyDataError at pipeline/build/sources/claims.py:_read_csv",
        None,
    ),
    (
        "read_claims",
        "claims.csv",
        b"collectivity_name\nLille\n",
        "KeyError at pipeline/build/sources/claims.py:read_claims",
        None,
    ),
    (
        "read_claims",
        "claims.csv",
        _CLAIMS + b"Lille,59,deux mille,t,f,u\n",
        "ValueError at pipeline/build/sources/claims.py:read_claims",
        None,
    ),
    (
        "read_claims",
        "claims.csv",
        _CLAIMS + b"Lille,59,inf,t,f,u\n",
        "OverflowError at pipeline/build/sources/claims.py:read_claims",
        None,
    ),
    (
        "read_claims",
        "claims.csv",
        _CLAIMS + b"Lille,59,1.5,t,f,u\n",
        "TypeError at pipeline/build/sources/claims.py:read_claims",
        None,
    ),
    (
        "read_claims",
        "claims.csv",
        _CLAIMS + b"Lille,59,2019,t,f,u\n\nParis,75,2019,t,f,u\n",
        _SOURCE_ROW,
        [2, 4],
    ),
    (
        "read_claim_facts",
        "claim_facts.csv",
        b"",
        "EmptyDataError at pipeline/build/sources/claims.py:_read_csv",
        None,
    ),
    (
        "read_claim_facts",
        "claim_facts.csv",
        b"fact\n",
        "KeyError at pipeline/build/sources/claims.py:read_claim_facts",
        None,
    ),
    (
        "read_claim_facts",
        "claim_facts.csv",
        b"claim_row\n2\n",
        "AttributeError at pipeline/build/sources/claims.py:_problem",
        None,
    ),
    (
        "read_claim_facts",
        "claim_facts.csv",
        b"claim_row,fact,editions\n2,level_at,2019\n",
        "AttributeError at pipeline/build/sources/claims.py:<listcomp>",
        None,
    ),
    (
        "read_claim_facts",
        "claim_facts.csv",
        _FACTS + "²,level_at,5,2019,,,,x\n".encode(),
        "ValueError at pipeline/build/sources/claims.py:_problem",
        None,
    ),
    (
        "read_claim_facts",
        "claim_facts.csv",
        _FACTS + b"2,level_at,x,2019,,,,x\n",
        "ValueError at pipeline/build/sources/claims.py:read_claim_facts",
        None,
    ),
    (
        "read_claim_facts",
        "claim_facts.csv",
        _FACTS + b"2,level_at,5.5,2019,,,,x\n",
        "TypeError at pipeline/build/sources/claims.py:read_claim_facts",
        None,
    ),
    (
        "read_claim_facts",
        "claim_facts.csv",
        _FACTS + b"2,level_at,5,20x9,,,,x\n",
        "ValueError at pipeline/build/sources/claims.py:<listcomp>",
        None,
    ),
    (
        "read_claim_facts",
        "claim_facts.csv",
        _FACTS + b"2,first_participation,,2001,,,,x\n\n3,first_participation,,2001,,,,x\n",
        _SOURCE_ROW,
        [2, 4],
    ),
    (
        "read_edition_aggregates",
        "editions.csv",
        b"",
        "EmptyDataError at pipeline/build/sources/editions.py:read_edition_aggregates",
        None,
    ),
    (
        "read_edition_aggregates",
        "editions.csv",
        _EDITIONS + "2019,٣".encode() + b"," * 17 + b"\n",
        "ValueError at pipeline/build/sources/editions.py:read_edition_aggregates",
        None,
    ),
    (
        "read_edition_aggregates",
        "editions.csv",
        _EDITIONS + b"2019,99999999999999999999" + b"," * 17 + b"\n",
        "OverflowError at pipeline/build/sources/editions.py:read_edition_aggregates",
        None,
    ),
    (
        "read_edition_aggregates",
        "editions.csv",
        _EDITIONS + b"2019" + b"," * 18 + b"\n2020,99999999999999999999" + b"," * 17 + b"\n",
        "TypeError at pipeline/build/sources/editions.py:read_edition_aggregates",
        None,
    ),
    (
        "read_edition_aggregates",
        "editions.csv",
        _EDITIONS + b"2019" + b"," * 18 + b"\n\n2020" + b"," * 18 + b"\n",
        _SOURCE_ROW,
        [2, 4],
    ),
    ("read_claim_facts", "claim_facts.csv", _FACTS + b"\n2,nonsense,,,,,,x\n", _ROW, 3),
    ("read_edition_aggregates", "editions.csv", _EDITIONS + b"\n19" + b"," * 18 + b"\n", _ROW, 3),
    (
        "load_overrides",
        "overrides.csv",
        b"edition,name,departement,code,decision,reason,decided_by\n\n,,,,,,\n",
        _ROW,
        2,
    ),
    ("read_reference", "region.csv", _REGION + b"\n01,,3,97105,drom\n", _ROW, 3),
    (
        "read_insee_figure",
        "fuzz.json",
        _DEEP,
        "RecursionError at pipeline/build/sources/insee_download.py:_json_table",
        None,
    ),
    (
        "read_insee_figure",
        "fuzz.json",
        b'[{"Code EPCI": 200018083, "Nombre": NaN}]',
        "ValueError at pipeline/build/sources/insee_download.py:_count",
        None,
    ),
    (
        "read_insee_figure",
        "fuzz.json",
        b'[{"Code EPCI": 200018083, "Nombre": Infinity}]',
        "OverflowError at pipeline/build/sources/insee_download.py:_count",
        None,
    ),
    (
        "looks_like_insee_figure",
        "fuzz.json",
        _DEEP,
        "RecursionError at pipeline/build/sources/insee_download.py:_json_table",
        None,
    ),
    (
        "read_epci_vintage",
        "epci_2019.json",
        _DEEP,
        "RecursionError at pipeline/build/assemble/illectronism.py:read_epci_vintage",
        None,
    ),
    (
        "read_epci_vintage",
        "epci_2019.json",
        b'{"vintage": 1e400, "epci": []}',
        "OverflowError at pipeline/build/assemble/illectronism.py:read_epci_vintage",
        None,
    ),
    (
        "manifest.load",
        "manifest.json",
        _DEEP,
        "RecursionError at pipeline/build/manifest.py:load",
        None,
    ),
    (
        "read_reference",
        "manifest.json",
        _DEEP,
        "RecursionError at pipeline/build/sources/reference.py:_manifest",
        None,
    ),
    (
        "read_reference",
        "region.csv",
        _REGION + "01,Guadeloupe,٣,97105,drom\n".encode(),
        "ValueError at pipeline/build/sources/reference.py:_convert",
        None,
    ),
    (
        "read_reference",
        "region.csv",
        _REGION + b"01,Guadeloupe,99999999999999999999,97105,drom\n",
        "OverflowError at pipeline/build/sources/reference.py:_convert",
        None,
    ),
    (
        "read_reference",
        "region.csv",
        _REGION + b"01,Guadeloupe,1,97105,drom\n02,Martinique,18446744073709551615,97209,drom\n",
        "TypeError at pipeline/build/sources/reference.py:_convert",
        None,
    ),
    (
        "read_reference",
        "region.csv",
        _REGION + b"01,Guadeloupe,-1,97105,drom\n02,Martinique,9999999999999999999,97209,drom\n",
        "ArrowInvalid at pipeline/build/sources/reference.py:_convert",
        None,
    ),
    (
        "read_config",
        "pipeline.toml",
        '[[notebook]]\ntitle = "Édition"\n'.encode("cp1252"),
        "UnicodeDecodeError at pipeline/run/pipeline_toml.py:read_config",
        None,
    ),
    (
        "read_config",
        "pipeline.toml",
        b"run = 1\n",
        "AttributeError at pipeline/run/pipeline_toml.py:read_config",
        None,
    ),
    (
        "read_config",
        "pipeline.toml",
        b"notebook = 1\n",
        "TypeError at pipeline/run/pipeline_toml.py:read_config",
        None,
    ),
    (
        "read_config",
        "pipeline.toml",
        b"notebook = [1]\n",
        "AttributeError at pipeline/run/pipeline_toml.py:_spec",
        None,
    ),
    (
        "read_config",
        "pipeline.toml",
        b'[[notebook]]\nname = "a"\ntitle = "b"\npage = "c.html"\nparameters = 1\n',
        "TypeError at pipeline/run/pipeline_toml.py:_spec",
        None,
    ),
]
#: reader → signatures of its known failures (see the module docstring).
KNOWN_BUGS: dict[str, set[str]] = defaultdict(set)
for _reader, *_, _signature, _rows in KNOWN:
    KNOWN_BUGS[_reader].add(_signature)


def signature(error: BaseException) -> str:
    """ "KeyError at pipeline/build/sources/claims.py:read_claims": the exception type and the last
    frame in the project's own code (the pipeline function that let it escape)."""
    where = "outside pipeline/"
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename)
        if path.is_relative_to(DEFAULT_ROOT / "pipeline"):
            where = f"{path.relative_to(DEFAULT_ROOT).as_posix()}:{frame.name}"
    return f"{type(error).__name__} at {where}"


# --- Census ----------------------------------------------------------------------------------

#: reader → Counter of "cases", "rows" (returned), "refused" (InputError), "crashes" (any other
#: exception), "breaches" (rows or an error breaking the contract); failures = crashes + breaches
CENSUS: dict[str, Counter] = defaultdict(Counter)
#: reader → failure signature → number of cases
FAILURES: dict[str, Counter] = defaultdict(Counter)
#: test node id → reader → cases (to share a test's wall time among the readers it called)
BY_TEST: dict[str, Counter] = defaultdict(Counter)
#: reader → seconds spent inside the reader
READ_SECONDS: Counter = Counter()


class KnownBug:
    """What `outcome` returns for a case that hit a listed bug: no rows to check."""

    def __init__(self, signature: str):
        self.signature = signature

    def __repr__(self) -> str:
        return f"KnownBug({self.signature})"


def _count(reader: str, what: str) -> None:
    CENSUS[reader][what] += 1
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
    if what == "cases":
        BY_TEST[test][reader] += 1


def outcome(reader: str, read, path: Path, *, named: Path | None = None, never_raises=False):
    """Rows read (whatever `read(path)` returns), the `InputError`, or a `KnownBug`.

    The InputError must name the file (`named`, default `path`). Anything else fails the test
    with its traceback, unless its signature is listed in `KNOWN_BUGS[reader]`.
    `never_raises`: the function's contract is to raise nothing at all, not even InputError.
    """
    named = path if named is None else named
    _count(reader, "cases")
    start = time.perf_counter()
    try:
        result = read(path)
    except InputError as error:
        if never_raises:
            return failure(reader, error)
        assert str(named) in str(error) or named.name in str(error), error
        _count(reader, "refused")
        return error
    except Exception as error:
        return failure(reader, error)
    finally:
        READ_SECONDS[reader] += time.perf_counter() - start
    _count(reader, "rows")
    return result


def failure(reader: str, error: BaseException):
    """Count a crash; raise it unless it is a known bug of this reader."""
    found = signature(error)
    _count(reader, "crashes")
    FAILURES[reader][found] += 1
    if found in KNOWN_BUGS.get(reader, ()) or SURVEY:
        return KnownBug(found)
    raise error


def breach(reader: str, contract: str, holds: bool, detail: str = "") -> None:
    """Check a contract on what a reader returned or raised; a known breach ("contract: ..."
    signature) is counted, an unknown one fails the test. Check one contract per case."""
    if holds:
        return
    found = f"contract: {contract}"
    CENSUS[reader]["breaches"] += 1
    FAILURES[reader][found] += 1
    if found not in KNOWN_BUGS.get(reader, ()) and not SURVEY:
        raise AssertionError(f"{reader}: {contract} {detail}")


# --- Helpers of the properties -------------------------------------------------------------


def refused(result) -> bool:
    return isinstance(result, (InputError, KnownBug))


def read_back(data: bytes) -> str | None:
    """The text as the readers decode it (UTF-8 with or without BOM, else Windows-1252)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return None


def tried_first(separator: str, rows: list[list[str]], order=(";", "\t", ",")) -> bool:
    """Does a separator the reader tries before `separator` occur in the rows where it looks
    for the header? Then a split by it may be taken for the header: the rows are ambiguous."""
    before = order[: order.index(separator)]
    return any(mark in cell for row in rows[:15] for cell in row for mark in before)


# --- Report at the end of the run ------------------------------------------------------------


class _Summary:
    """pytest plugin: the census table after the run, and the JSON report if asked."""

    def __init__(self):
        self.durations: Counter = Counter()
        self.failed: set[str] = set()

    def pytest_runtest_logreport(self, report):
        self.durations[report.nodeid] += report.duration
        if report.failed:
            self.failed.add(report.nodeid)

    def readers(self) -> list[dict]:
        seconds: Counter = Counter()
        failed_tests: Counter = Counter()
        for test, readers in BY_TEST.items():
            total = sum(readers.values())
            nodeid = next((n for n in self.durations if n == test or n.endswith(test)), test)
            for reader, cases in readers.items():
                seconds[reader] += self.durations.get(nodeid, 0.0) * cases / total
                failed_tests[reader] += nodeid in self.failed
        return [
            {
                "reader": reader,
                **{k: counts[k] for k in ("cases", "rows", "refused", "crashes", "breaches")},
                "failures": counts["crashes"] + counts["breaches"],
                "failed_tests": failed_tests[reader],
                "seconds": round(seconds[reader], 1),
                "seconds_in_reader": round(READ_SECONDS[reader], 1),
                "failure_signatures": dict(FAILURES[reader]),
            }
            for reader, counts in sorted(CENSUS.items())
        ]

    def pytest_terminal_summary(self, terminalreporter):
        if not CENSUS or PROFILE_VARIABLE not in os.environ:
            return
        rows = self.readers()
        write = terminalreporter.write_line
        terminalreporter.section(f"fuzzing census (profile {PROFILE})")
        columns = ("cases", "rows", "refused", "crashes", "breaches", "failed_tests", "seconds")
        write(f"{'reader':24}" + "".join(f"{column:>13}" for column in columns))
        for row in rows:
            write(f"{row['reader']:24}" + "".join(f"{row[column]:>13}" for column in columns))
        for row in rows:
            for found, cases in row["failure_signatures"].items():
                write(f"  {row['reader']}: {cases} case(s) {found}")
        if os.environ.get(REPORT_VARIABLE):
            Path(os.environ[REPORT_VARIABLE]).write_text(
                json.dumps(
                    {
                        "profile": PROFILE,
                        "readers": rows,
                        "tests": {
                            test: {"seconds": round(self.durations[test], 1)}
                            for test in sorted(self.durations)
                        },
                        "cases_by_test": {test: dict(readers) for test, readers in BY_TEST.items()},
                    },
                    indent=1,
                ),
                "utf-8",
            )


_PLUGIN = "palmares-fuzz-summary"


@pytest.fixture(scope="module", autouse=True)
def fuzz_census(request):
    """Register the summary plugin once (imported into each fuzzing test module)."""
    manager = request.config.pluginmanager
    if manager.get_plugin(_PLUGIN) is None:
        manager.register(_Summary(), _PLUGIN)
    yield
