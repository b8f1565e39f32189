"""The static report site: one page per rendered notebook, an index, a provenance footer.

Pages are rendered with Jinja2 autoescaping, so text coming from input files is shown as
text; only the notebook HTML produced by nbconvert is inserted as markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import jinja2
from PIL import Image

from pipeline import io
from pipeline.build.warehouse import connect_read_only
from pipeline.formatting import format_fr
from pipeline.paths import Paths
from pipeline.report.site_index import Place, group_by_place, read_places, search_key
from pipeline.run.pipeline_toml import PATH_PARAMETERS, NotebookJob

#: The figure the index shows whole (pipeline.report.figures.holdings.STEM, drawn by the
#: overview): how much of each edition the reports rest on.
COVERAGE_FIGURE = "palmares_couverture"
_TEMPLATES = resources.files("pipeline.report").joinpath("templates")
_ENV = jinja2.Environment(
    loader=jinja2.FunctionLoader(lambda name: _TEMPLATES.joinpath(name).read_text("utf-8")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def render(template: str, **context) -> str:
    """A template of pipeline/report/templates, with autoescaping: input text is shown as text."""
    return _ENV.get_template(template).render(**context)


@dataclass(frozen=True)
class Link:
    """A page, map or table listed on the index, with hrefs relative to reports/."""

    title: str
    href: str
    description: str = ""
    pdf: str | None = None  # printable version of the page
    xlsx: str | None = None  # workbook of a group of tables
    csv: tuple[tuple[str, str], ...] = ()  # (table name, href) of each CSV of the group
    formats: tuple[tuple[str, str], ...] = ()  # (format, href) of a figure's print files


@dataclass(frozen=True)
class Section:
    """A heading of the index and its pages; `searchable` adds a search box over them and folds
    them by `places` (keyed by href; see site_index)."""

    title: str
    links: list[Link]
    searchable: bool = False
    places: Mapping[str, Place] = field(default_factory=dict)


@dataclass(frozen=True)
class Provenance:
    """What every page states about the data and code it was made from."""

    git_commit: str
    cog_year: str
    built_at: str
    sources: list[dict] = field(default_factory=list)
    python_version: str = ""
    lock_sha256: str = ""
    lock_matches: bool = False
    packages: list[tuple[str, str]] = field(default_factory=list)  # (name, version), sorted


def read_provenance(paths: Paths) -> Provenance:
    """Provenance as recorded in the warehouse by the build (not recomputed)."""
    with connect_read_only(paths) as con:
        info = dict(con.execute("SELECT key, value FROM build_info").fetchall())
        columns = ["path", "sha256", "licence", "url", "derived_from"]
        rows = con.execute(f"SELECT {', '.join(columns)} FROM source ORDER BY path").fetchall()
    return Provenance(
        git_commit=info["git_commit"],
        cog_year=info["cog_year"],
        built_at=info["built_at"],
        sources=[dict(zip(columns, row, strict=True)) for row in rows],
        python_version=info["python_version"],
        lock_sha256=info["lock_sha256"],
        lock_matches=info["lock_matches"] == "oui",
        packages=[tuple(pin.split("==")) for pin in info["packages"].split()],
    )


def write_page(
    reports: Path,
    relative: str,
    title: str,
    body: str,
    provenance: Provenance,
    parameters: dict | None = None,
) -> Path:
    """Write one report page at reports/<relative>; `body` is trusted HTML from nbconvert."""
    path = reports / relative
    root = "../" * (len(Path(relative).parts) - 1)
    html = render(
        "page.html.j2",
        title=title,
        body=body,
        provenance=provenance,
        parameters=parameters or {},
        root=root,
    )
    io.write_text(path, html)
    return path


def write_index(
    reports: Path,
    sections: list[Section],
    maps: list[Link],
    provenance: Provenance,
    tables: list[Link] | None = None,
    figures: list[Link] | None = None,
) -> Path:
    """Write reports/index.html and the stylesheet; return the index path. The figure of the
    palmarès coverage (COVERAGE_FIGURE), when among `figures`, is shown under the
    introduction: what every report rests on."""
    install_stylesheet(reports)
    index = reports / "index.html"
    html = render(
        "index.html.j2",
        title="Accueil",
        sections=sections,
        maps=maps,
        tables=tables or [],
        figures=figures or [],
        coverage_figure=next(
            (f for f in figures or [] if Path(f.href).stem == COVERAGE_FIGURE), None
        ),
        provenance=provenance,
        parameters={},
        root="",
        search_key=search_key,
        group_by_place=group_by_place,
        format_fr=format_fr,
    )
    io.write_text(index, html)
    return index


def install_stylesheet(reports: Path) -> None:
    """reports/site.css, which every page links (and the PDFs printed from pages need)."""
    io.write_bytes(reports / "site.css", _TEMPLATES.joinpath("site.css").read_bytes())


def write_site(paths: Paths, jobs: list[NotebookJob], provenance: Provenance) -> Path:
    """The index over every page that exists, grouped as pipeline.toml groups the notebooks;
    collectivity pages (jobs with a `code`) are filed by the place the warehouse gives them."""
    reports = paths.reports
    sections: dict[str, list[Link]] = {}
    codes: dict[str, str] = {}  # href of a collectivity page → its INSEE code or SIREN
    for job in jobs:
        if not (reports / job.page).exists():
            continue  # never produced (its notebook failed): the run reported it
        pdf = job.pdf_path if job.pdf_path and (reports / job.pdf_path).exists() else None
        sections.setdefault(job.section, []).append(Link(job.title, job.page, pdf=pdf))
        if "code" in job.parameters:
            codes[job.page] = str(job.parameters["code"])
    with connect_read_only(paths) as con:
        places = read_places(con, codes.values())
    filed = {href: places[code] for href, code in codes.items()}
    searchable = {job.section for job in jobs if job.page in codes}
    return write_index(
        reports,
        [Section(title, links, title in searchable, filed) for title, links in sections.items()],
        map_links(reports),
        provenance,
        table_links(reports),
        figure_links(reports),
    )


def table_links(reports: Path) -> list[Link]:
    """The tables notebooks wrote under reports/tables, by group: `<group>.xlsx` (a sheet per
    table) and `<group>__<table>.csv`."""
    groups: dict[str, list[Path]] = {}
    for csv in sorted((reports / "tables").glob("*.csv")):
        group, _, _ = csv.stem.partition("__")
        groups.setdefault(group, []).append(csv)
    links = []
    for group, csvs in groups.items():
        xlsx = reports / "tables" / f"{group}.xlsx"
        links.append(
            Link(
                group.replace("_", " "),
                f"tables/{csvs[0].name}",
                xlsx=f"tables/{xlsx.name}" if xlsx.exists() else None,
                csv=tuple((c.stem.partition("__")[2] or c.stem, f"tables/{c.name}") for c in csvs),
            )
        )
    return links


def shown_parameters(parameters: dict) -> dict:
    """The parameters a page's footer states: those of the study, not the runner's paths."""
    return {k: v for k, v in parameters.items() if k not in PATH_PARAMETERS}


def figure_links(reports: Path) -> list[Link]:
    """The figures under reports/figures, each a PNG titled by the title its module stores in
    the file, with its print files (PNG 300 dpi, SVG, PDF) that exist."""
    links = []
    for png in sorted((reports / "figures").glob("*.png")):
        with Image.open(png) as image:
            title = image.info.get("Title", png.stem)
        formats = tuple(
            (suffix[1:].upper(), f"figures/{png.stem}{suffix}")
            for suffix in (".png", ".svg", ".pdf")
            if png.with_suffix(suffix).exists()
        )
        links.append(Link(title, f"figures/{png.name}", formats=formats))
    return links


def map_links(reports: Path) -> list[Link]:
    """The PNG maps under reports/maps, titled by the title the map module stores in each file."""
    links = []
    for png in sorted((reports / "maps").glob("*.png")):
        with Image.open(png) as image:
            title = image.info.get("Title", png.stem)
        links.append(Link(title, f"maps/{png.name}"))
    return links
