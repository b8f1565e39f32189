"""The static report site: one page per rendered notebook, an index, a provenance footer.

Pages are rendered with Jinja2 autoescaping, so text coming from input files is shown as
text; only the notebook HTML produced by nbconvert is inserted as markup.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import jinja2
from PIL import Image

from pipeline.config import Paths
from pipeline.warehouse import connect_read_only

_TEMPLATES = resources.files("pipeline").joinpath("templates")
_ENV = jinja2.Environment(
    loader=jinja2.FunctionLoader(lambda name: _TEMPLATES.joinpath(name).read_text("utf-8")),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class Link:
    """A page or a map listed on the index, with an href relative to reports/."""

    title: str
    href: str
    description: str = ""


@dataclass(frozen=True)
class Provenance:
    """What every page states about the data and code it was made from."""

    git_commit: str
    cog_year: str
    built_at: str
    sources: list[dict] = field(default_factory=list)


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
    html = _ENV.get_template("page.html.j2").render(
        title=title, body=body, provenance=provenance, parameters=parameters or {}, root=root
    )
    _write_text(path, html)
    return path


def write_index(reports: Path, pages: list[Link], maps: list[Link], provenance: Provenance) -> Path:
    """Write reports/index.html and the stylesheet; return the index path."""
    reports.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_TEMPLATES.joinpath("site.css"), reports / "site.css")
    index = reports / "index.html"
    html = _ENV.get_template("index.html.j2").render(
        title="Accueil", pages=pages, maps=maps, provenance=provenance, parameters={}, root=""
    )
    _write_text(index, html)
    return index


def map_links(reports: Path) -> list[Link]:
    """The PNG maps under reports/maps, titled by the title the map module stores in each file."""
    links = []
    for png in sorted((reports / "maps").glob("*.png")):
        with Image.open(png) as image:
            title = image.info.get("Title", png.stem)
        links.append(Link(title, f"maps/{png.name}"))
    return links


def _write_text(path: Path, text: str) -> None:
    """Write via a temporary file so a reader never sees half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
