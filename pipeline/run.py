"""The main job, step by step: reference → warehouse → geometry → notebooks → site.

Each step prints what it did and how long it took, so a user sees progress and where time goes.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata

from pipeline import runner, site
from pipeline.assemble import assemble_palmares
from pipeline.config import COG_YEAR, Paths
from pipeline.sources import geometry, reference
from pipeline.sources.insee import assemble_illectronism
from pipeline.warehouse import build_lock, build_warehouse

Report = Callable[[str], None]
TABLE_STEPS = 4  # reference, palmares, illectronism, warehouse
BUILD_STEPS = TABLE_STEPS + 1  # and geometry


class Progress:
    """Numbered steps with timings, printed as they finish."""

    def __init__(self, total: int, report: Report):
        self.total, self.report, self.done = total, report, 0

    @contextmanager
    def step(self, label: str) -> Iterator[list[str]]:
        """Time a step; the body appends what it did to the yielded list."""
        self.done += 1
        details: list[str] = []
        started = time.perf_counter()
        yield details
        elapsed = time.perf_counter() - started
        summary = f": {'; '.join(details)}" if details else ""
        self.report(f"[{self.done}/{self.total}] {label}{summary} ({elapsed:.1f} s)")


def build_info(paths: Paths) -> dict[str, str]:
    """What a build was made with, stored in the warehouse and printed in report footers."""
    versions = {f"{name}_version": metadata.version(name) for name in ("duckdb", "pandas")}
    return {
        "git_commit": git_commit(paths),
        "cog_year": str(COG_YEAR),
        "built_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        **versions,
    }


def git_commit(paths: Paths) -> str:
    """The checkout's commit, with "+modifications" when the work tree differs from it."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(paths.root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(paths.root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "inconnu (pas un dépôt git)"
    return f"{commit}+modifications" if dirty else commit


def build(paths: Paths, progress: Progress) -> geometry.GeometrySet:
    """Read the raw inputs, swap in a new warehouse and make sure the geometry cache is current."""
    reference_tables = build_tables(paths, progress)
    with progress.step("geometry") as details:
        layers = geometry.load_geometry(paths, reference_tables)
        verb = "reused cached" if layers.cache_hit else "built and cached"
        details.append(f"{verb} GeoParquet (key {layers.cache_key[:12]})")
    return layers


def build_tables(paths: Paths, progress: Progress) -> dict:
    """Reference, palmarès and INSEE figures into a new warehouse (the first TABLE_STEPS steps of a build);
    return the reference tables, which the geometry step needs too."""
    with progress.step("reference") as details:
        tables = reference.read_reference(paths.reference)
        details.append(f"{len(tables)} tables read from {_relative(paths, paths.reference)}")
    with progress.step("palmares") as details:
        palmares = assemble_palmares(paths, tables)
        held, aside = (len(palmares.tables[name]) for name in ("laureates", "quarantine"))
        details.append(f"{held + aside} rows read, {held} resolved, {aside} in quarantine")
    with progress.step("illectronism") as details:
        figures, figure_sources = assemble_illectronism(paths, tables)
        details.append(f"{len(figures['illectronism'])} INSEE figures")
    with progress.step("warehouse") as details:
        counts = build_warehouse(
            paths,
            {**tables, **palmares.tables, **figures},
            reference.reference_sources(paths.reference) + palmares.sources + figure_sources,
            build_info(paths),
        )
        details.append(f"{sum(counts.values()):,} rows in {_relative(paths, paths.warehouse)}")
    return tables


def overview_job(paths: Paths) -> runner.NotebookJob:
    """The first study notebook: what the reference geography holds, with a map."""
    here = paths.notebooks
    return runner.NotebookJob(
        name="overview",
        source=here / "overview.ipynb",
        title="Vue d'ensemble : référentiel géographique et palmarès",
        parameters={
            "warehouse": os.path.relpath(paths.warehouse, here),
            "geometry_dir": os.path.relpath(paths.geometry_cache, here),
            "maps_dir": os.path.relpath(paths.reports / "maps", here),
        },
    )


def run(paths: Paths, report: Report = print) -> None:
    """The main job, end to end, under the build lock."""
    progress = Progress(total=BUILD_STEPS + 2, report=report)
    with build_lock(paths):
        build(paths, progress)
        jobs = [overview_job(paths)]
        provenance = site.read_provenance(paths)
        pages: list[site.Link] = []
        with progress.step("notebooks") as details:
            for job in jobs:
                executed = runner.execute(job, paths.reports / "notebooks" / f"{job.name}.ipynb",
                                          cwd=paths.notebooks)
                site.write_page(paths.reports, f"{job.name}.html", job.title,
                                runner.render_body(executed), provenance, job.parameters)
                pages.append(site.Link(job.title, f"{job.name}.html"))
                details.append(f"{job.name} executed and rendered")
        with progress.step("site") as details:
            maps = site.map_links(paths.reports)
            index = site.write_index(paths.reports, pages, maps, provenance)
            details.append(f"{_relative(paths, index)}")


def _relative(paths: Paths, path) -> str:
    return os.path.relpath(path, paths.root)
