"""The build, step by step: reference → palmarès → illectronism → warehouse → geometry.

The warehouse is rebuilt only when a raw file or the code changed (`input_key`). Heavy modules
are imported by the steps that need them, so a run with nothing to do is quick. Each step
prints what it did and how long it took, so a user sees progress and where time goes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from pipeline import environment, io
from pipeline.paths import COG_YEAR, Paths

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
    return {
        "git_commit": git_commit(paths),
        "input_key": input_key(paths),
        "cog_year": str(COG_YEAR),
        "built_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        **environment.build_info(),
    }


def git_commit(paths: Paths) -> str:
    """The checkout's commit, with "+modifications" when the work tree differs from it."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(paths.root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(paths.root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "inconnu (pas un dépôt git)"
    return f"{commit}+modifications" if dirty else commit


def build(paths: Paths, progress: Progress):
    """Read the raw inputs, swap in a new warehouse and make sure the geometry cache is current;
    return the map layers (a `geometry.GeometrySet`)."""
    from pipeline.build.sources import geometry

    reference_tables = build_tables(paths, progress)
    with progress.step("geometry") as details:
        layers = geometry.load_geometry(paths, reference_tables)
        verb = "reused cached" if layers.cache_hit else "built and cached"
        details.append(f"{verb} GeoParquet (key {layers.cache_key[:12]})")
    return layers


def build_tables(paths: Paths, progress: Progress) -> dict:
    """Reference, palmarès and INSEE figures into a new warehouse (the first TABLE_STEPS steps
    of a build); return the reference tables, which the geometry step needs too."""
    from pipeline.build.assemble.illectronism import assemble_illectronism
    from pipeline.build.assemble.palmares import assemble_palmares
    from pipeline.build.sources import reference
    from pipeline.build.warehouse import build_warehouse

    with progress.step("reference") as details:
        tables = reference.read_reference(paths.reference)
        details.append(f"{len(tables)} tables read from {relative(paths, paths.reference)}")
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
        details.append(f"{sum(counts.values()):,} rows in {relative(paths, paths.warehouse)}")
    return tables


def input_key(paths: Paths) -> str:
    """Hash of what the warehouse is built from: every raw file and the pipeline's code.
    Hidden files (temporary copies, an ingest's backup) are not inputs."""
    digest = hashlib.sha256(io.code_fingerprint().encode())
    files = (
        p
        for p in paths.raw.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(paths.raw).parts)
    )
    for path in sorted(files):
        digest.update(str(path.relative_to(paths.raw)).encode())
        digest.update(bytes.fromhex(io.file_sha256(path)))
    return digest.hexdigest()


def warehouse_is_current(paths: Paths) -> bool:
    """True when the warehouse was built from the current raw files and code (a killed
    ingest or build leaves it behind data/raw: then it is not)."""
    import duckdb

    from pipeline.build.warehouse import connect_read_only

    if not paths.warehouse.exists():
        return False
    try:
        with connect_read_only(paths) as con:
            stored = con.execute("SELECT value FROM build_info WHERE key = 'input_key'").fetchall()
    except duckdb.Error:
        return False
    return bool(stored) and stored[0][0] == input_key(paths)


def is_built(paths: Paths) -> bool:
    """True when the warehouse and the geometry cache are both current."""
    if not warehouse_is_current(paths):
        return False
    from pipeline.build.sources import geometry  # geopandas: only needed when checking the cache

    return geometry.cache_is_current(paths)


def relative(paths: Paths, path) -> str:
    return os.path.relpath(path, paths.root)
