"""`pipeline.toml`: which notebooks `palmares run` executes, with which parameter sets.

The file is the one place a maintainer declares the study notebooks. This module reads it,
checks it, and expands it into notebook jobs against the warehouse (`for_each = "edition"`
gives one job per edition held, `for_each = "collectivity"` one per labelled collectivity).
`shows` declares what the pages of a `for_each` notebook show, so that each page reruns only
when its own data change (`pipeline.run.page_inputs`); without it, a notebook reruns when a
table it `reads` changed. Every problem is reported with the file and the notebook entry,
before any kernel starts.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.analysis import provenance
from pipeline.errors import InputError, ParameterError

if TYPE_CHECKING:
    import duckdb

CONFIG_NAME = "pipeline.toml"
ENTRY_KEYS = {
    "name",
    "title",
    "page",
    "section",
    "for_each",
    "only",
    "sets",
    "parameters",
    "reads",
    "shows",
    "pdf",
}
#: What `for_each` iterates over, and the parameter each value sets.
FOR_EACH = {"edition": "edition", "collectivity": "code"}
#: What the pages of a notebook may declare they show (`shows`), with the `for_each` it needs;
#: `pipeline.run.page_inputs` fingerprints each.
SHOWS = {"collectivity": "collectivity", "edition": "edition"}
#: Paths the runner hands to every notebook that declares them, relative to notebooks/.
PATH_PARAMETERS = ("warehouse", "geometry_dir", "maps_dir", "out_dir", "figures_dir")

#: Python types accepted for a parameter whose default (or annotation) has this type name.
ACCEPTED_TYPES = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
}


@dataclass(frozen=True)
class NotebookSpec:
    """One `[[notebook]]` entry of pipeline.toml."""

    name: str  # notebooks/<name>.ipynb
    title: str  # page title; may use the parameters ("Édition {edition}") and {name}
    page: str  # page path under reports/, e.g. "editions/{edition}.html"
    section: str  # heading under which the index lists the pages
    for_each: str | None = None
    only: tuple | None = None  # restrict for_each to these values (a few pages, tests, benchmarks)
    sets: tuple[dict, ...] = ({},)
    parameters: dict = field(default_factory=dict)
    reads: tuple[str, ...] | None = None  # warehouse tables it reads; None = all
    shows: str | None = None  # what each page shows (SHOWS); None: the tables it reads
    pdf: bool = False


@dataclass(frozen=True)
class RunConfig:
    workers: int
    notebooks: tuple[NotebookSpec, ...]


@dataclass(frozen=True)
class NotebookJob:
    """One notebook executed with one parameter set, and where its outputs go."""

    notebook: str
    source: Path
    title: str
    page: str  # relative to reports/
    section: str
    parameters: dict = field(default_factory=dict)
    reads: tuple[str, ...] | None = None
    pdf: bool = False
    shows: str | None = None  # see NotebookSpec.shows

    @property
    def key(self) -> str:
        """Stable identity of the job: the page it writes (unique across the configuration)."""
        return self.page

    @property
    def executed(self) -> str:
        """Executed notebook, relative to reports/: the audit trail of the page."""
        return str(Path("notebooks") / Path(self.page).with_suffix(".ipynb"))

    @property
    def pdf_path(self) -> str | None:
        return str(Path("pdf") / Path(self.page).with_suffix(".pdf")) if self.pdf else None


def read_config(path: Path) -> RunConfig:
    """Read and check pipeline.toml; errors name the file and the entry."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise InputError(path, f"cannot read the run configuration ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"not valid TOML ({exc})") from None
    run = data.get("run", {})
    workers = run.get("workers", 2)
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise InputError(path, f"[run] workers must be a positive integer, not {workers!r}")
    entries = data.get("notebook", [])
    if not entries:
        raise InputError(path, "no [[notebook]] entry")
    specs = tuple(_spec(path, position, entry) for position, entry in enumerate(entries, 1))
    pages = [spec.page for spec in specs]
    repeated = {page for page in pages if pages.count(page) > 1}
    if repeated:
        raise InputError(path, f"several notebooks write the same page {sorted(repeated)}")
    return RunConfig(workers, specs)


def _spec(path: Path, position: int, entry: dict) -> NotebookSpec:
    where = f"[[notebook]] #{position} ({entry.get('name', '?')})"
    unknown = set(entry) - ENTRY_KEYS
    if unknown:
        raise InputError(
            path, f"{where}: unknown keys {sorted(unknown)}; expected {sorted(ENTRY_KEYS)}"
        )
    for key in ("name", "title", "page"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise InputError(path, f"{where}: `{key}` is required (a text)")
    for_each = entry.get("for_each")
    if for_each is not None and for_each not in FOR_EACH:
        raise InputError(
            path, f"{where}: for_each must be one of {sorted(FOR_EACH)}, not {for_each!r}"
        )
    if for_each and "sets" in entry:
        raise InputError(path, f"{where}: give either for_each or sets, not both")
    only = entry.get("only")
    if only is not None and (not for_each or not isinstance(only, list)):
        raise InputError(path, f"{where}: only must be a list, and needs for_each")
    sets = entry.get("sets", [{}])
    if not isinstance(sets, list) or not all(isinstance(s, dict) for s in sets):
        raise InputError(path, f"{where}: sets must be a list of tables")
    if (
        not entry["page"].endswith(".html")
        or Path(entry["page"]).is_absolute()
        or ".." in entry["page"]
    ):
        raise InputError(path, f"{where}: page must be a relative .html path under reports/")
    reads = entry.get("reads")
    shows = entry.get("shows")
    if shows is not None and (not isinstance(shows, str) or SHOWS.get(shows) != for_each):
        raise InputError(
            path,
            f"{where}: shows must be one of {sorted(SHOWS)} with the same for_each, not "
            f"{shows!r} (for_each = {for_each!r})",
        )
    if shows is not None and reads is not None:
        raise InputError(path, f"{where}: give either shows or reads, not both")
    return NotebookSpec(
        name=entry["name"],
        title=entry["title"],
        page=entry["page"],
        section=entry.get("section", "Rapports"),
        for_each=for_each,
        only=tuple(only) if only is not None else None,
        sets=tuple(sets),
        parameters=dict(entry.get("parameters", {})),
        reads=tuple(reads) if reads is not None else None,
        shows=shows,
        pdf=bool(entry.get("pdf", False)),
    )


def parameter_sets(spec: NotebookSpec, con: duckdb.DuckDBPyConnection) -> list[tuple[dict, dict]]:
    """(parameters, title fields) for each job of a notebook entry, in a stable order."""
    sets = _all_parameter_sets(spec, con)
    if spec.only is None:
        return sets
    name = FOR_EACH[spec.for_each]
    return [(chosen, fields) for chosen, fields in sets if chosen[name] in spec.only]


def _all_parameter_sets(
    spec: NotebookSpec, con: duckdb.DuckDBPyConnection
) -> list[tuple[dict, dict]]:
    if spec.for_each == "edition":
        return [({"edition": edition}, {}) for edition in provenance.editions_held(con)]
    if spec.for_each == "collectivity":
        rows = con.execute(
            """
            WITH held AS (SELECT DISTINCT code, entity FROM laureates)
            SELECT h.code, coalesce(c.name, e.name, h.code),
                coalesce(c.departement_code, p.departement_code, '?')
            FROM held h
            LEFT JOIN commune c
                ON h.entity = 'commune' AND c.commune_code = h.code AND c.commune_kind = 'commune'
            LEFT JOIN epci e ON h.entity = 'epci' AND e.epci_siren = h.code
            LEFT JOIN epci_place p ON h.entity = 'epci' AND p.epci_siren = h.code
            ORDER BY h.code
            """
        ).fetchall()
        return [({"code": code}, {"name": name, "departement": dep}) for code, name, dep in rows]
    return [(dict(chosen), {}) for chosen in spec.sets]


def expand(
    config: RunConfig,
    notebooks: Path,
    con: duckdb.DuckDBPyConnection,
    paths: dict[str, str],
    config_path: Path,
) -> list[NotebookJob]:
    """Every job of the configuration, parameters checked against each notebook's `parameters` cell.

    `paths` maps PATH_PARAMETERS to values relative to notebooks/; a notebook receives those
    it declares. All errors are collected and raised together, before anything runs.
    """
    jobs, problems = [], []
    for spec in config.notebooks:
        source = notebooks / f"{spec.name}.ipynb"
        try:
            declared = declared_parameters(source)
        except InputError as exc:
            problems.append(str(exc))
            continue
        for chosen, fields in parameter_sets(spec, con):
            parameters = {
                **{k: v for k, v in paths.items() if k in declared},
                **spec.parameters,
                **chosen,
            }
            try:
                check_parameters(declared, parameters)
                title = spec.title.format(**parameters, **fields)
                page = spec.page.format(**{k: _slug(v) for k, v in parameters.items()})
            except (ParameterError, KeyError) as exc:
                problems.append(
                    f"{config_path}: notebook {spec.name} with {json.dumps(chosen)}: "
                    f"{exc if isinstance(exc, ParameterError) else f'unknown field {exc}'}"
                )
                continue
            jobs.append(
                NotebookJob(
                    spec.name,
                    source,
                    title,
                    page,
                    spec.section,
                    parameters,
                    spec.reads,
                    spec.pdf,
                    spec.shows,
                )
            )
    if problems:
        raise ParameterError("\n".join(problems))
    return jobs


def declared_parameters(notebook: Path) -> dict[str, str | None]:
    """Names and type names of the notebook's `parameters` cell, read without a kernel.

    papermill infers them (`papermill.inspect_notebook`): the type is the annotation
    (`claims: bool = False`) or a `# type:` comment; without either, the type of the literal
    default; None when nothing says (any value is then accepted). papermill reads one
    `name = value` per line and skips, with a warning, a line holding two `=`.
    """
    import nbformat
    import papermill

    try:
        cells = nbformat.read(notebook, as_version=4).cells
        inferred = papermill.inspect_notebook(notebook)
    except (OSError, ValueError, nbformat.ValidationError) as exc:
        raise InputError(notebook, f"cannot read the notebook ({exc})") from None
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise InputError(notebook, f"expected one cell tagged `parameters`, found {len(tagged)}")
    try:
        compile(tagged[0].source, str(notebook), "exec")
    except SyntaxError as exc:
        raise InputError(
            notebook, f"the parameters cell is not valid Python ({exc.msg})", row=exc.lineno
        ) from None
    return {
        name: _type_name(found["inferred_type_name"], found["default"])
        for name, found in inferred.items()
    }


def _type_name(inferred: str, default: str) -> str | None:
    """papermill's type name, else (it says "None") the type of a literal default."""
    if inferred != "None":
        return inferred
    try:
        value = ast.literal_eval(default)
    except (ValueError, TypeError, SyntaxError):
        return None
    name = type(value).__name__
    return name if name in ACCEPTED_TYPES else None


def check_parameters(declared: dict[str, str | None], parameters: dict) -> None:
    """Refuse unknown names and values of the wrong type (bool is not an int here)."""
    problems = []
    for name, value in parameters.items():
        if name not in declared:
            problems.append(
                f"unknown parameter {name!r} (the notebook declares {sorted(declared)})"
            )
            continue
        expected = declared[name]
        if expected is None or expected not in ACCEPTED_TYPES:
            continue
        wrong_bool = isinstance(value, bool) and expected in ("int", "float")
        if wrong_bool or not isinstance(value, ACCEPTED_TYPES[expected]):
            problems.append(
                f"parameter {name!r} must be {expected}, not {type(value).__name__} ({value!r})"
            )
    if problems:
        raise ParameterError("; ".join(problems))


def _slug(value) -> str:
    """A parameter value as it may appear in a file name."""
    return re.sub(r"[^0-9A-Za-z_.-]+", "-", str(value)).strip("-") or "x"
