"""`palmares ingest --dry-run FILE...`: what an ingest would do, with nothing written.

The dry run *is* a real ingest (`ingest.ingest`, then `steps.build_tables`), made in a
throw-away copy of the project's data/raw in a temporary folder, and compared with what the
project holds; so nothing can differ between the dry run and the real ingest but the place they
write to. The project's own data/raw and data/processed are only read.

"Before" is the project's warehouse when it is current (`steps.warehouse_is_current`); when it
is missing or behind data/raw, it is rebuilt from data/raw in the copy, as a real ingest would
rebuild it. data/raw and the warehouse are copied under the build lock (when the project has
one: a warehouse built by the `palmares` command always has), so that another process's ingest
or build cannot be caught half-way; the lock is let go before the slow part. Every fact the
report shows is read from the two warehouses by the project's own checks (`analysis.checks`,
hence `analysis.coverage`): the dry run computes no coverage or resolution of its own.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.analysis import checks
from pipeline.build import ingest, steps
from pipeline.build.lock import build_lock
from pipeline.build.sources import insee_download
from pipeline.build.sources.palmares import SOURCE_PATH_SQL, Reading, describe
from pipeline.build.warehouse import connect_read_only
from pipeline.paths import Paths

#: Columns of the rows of the files looked at, as the warehouse holds them.
LAUREATE_COLUMNS = (
    "source_file, source_row, edition, name, departement, arobases, kind, code, entity, "
    "resolution_method, candidates, distinction, source_url"
)
QUARANTINE_COLUMNS = (
    "source_file, source_row, edition, name, departement, arobases, kind, reason, candidates, "
    "distinction, source_url"
)


@dataclass
class Holdings:
    """What one warehouse holds that an ingest can change, read by the project's checks."""

    accounting: pd.DataFrame  # checks.file_accounting: rows read, resolved, set aside by reason
    laureates: pd.DataFrame  # rows resolved, of the files looked at
    quarantine: pd.DataFrame  # rows set aside, of the files looked at
    quarantine_others: pd.DataFrame  # rows set aside, of the other files (a row sent twice)
    level_conflicts: pd.DataFrame  # checks.level_conflicts
    duplicates: pd.DataFrame  # checks.duplicates
    coverage: pd.DataFrame  # checks.coverage: one row per edition
    claims: pd.DataFrame  # checks.claim_checks
    edition_conflicts: pd.DataFrame  # the edition_conflict table


@dataclass
class DryRun:
    """A dry run's outcome: what the ingest said of each file, and the warehouse before and
    after it."""

    outcome: dict[str, str]  # file name → "added", "replaced" or "unchanged" (ingest's words)
    sources: dict[str, str]  # the file's `source_file` in the warehouse → the file given
    before: Holdings
    after: Holdings
    before_rebuilt: bool  # the project's warehouse was missing or behind data/raw
    readings: list[Reading]  # what the reader understood of each file (shape, headers, rows)
    declared: dict[str, dict]  # file name → its declaration of completeness, if any


def run(args: argparse.Namespace, files: list[Path], paths: Paths) -> int:
    """The CLI: refuse INSEE figure downloads, else print the report of `dry_run`. Progress
    of the scratch builds goes to stderr, so the report alone can be redirected to a file."""
    from pipeline.build import dry_run_report

    figures = [file for file in files if insee_download.looks_like_insee_figure(file)]
    if figures:
        names = ", ".join(str(file) for file in figures)
        print(
            f"error: {names}: looks like an INSEE figure download; --dry-run is for palmarès "
            "exports only. `palmares ingest` (without --dry-run) checks a figure download "
            "whole against the reference before it writes anything.",
            file=sys.stderr,
        )
        return 2
    result = dry_run(
        paths,
        files,
        report=lambda line: print(line, file=sys.stderr),
        declared_complete_by=args.declared_by if args.complete else None,
    )
    print(dry_run_report.render(result, paths))
    return 0


def dry_run(
    paths: Paths,
    files: list[Path],
    report: Callable[[str], None] = lambda line: None,
    declared_complete_by: str | None = None,
) -> DryRun:
    """Ingest `files` into a scratch copy of the project and compare; raises `InputError`
    (file, row, problem) for a file the real ingest would refuse, before anything is copied."""
    # What `ingest.ingest` checks first, so a bad file costs no copy.
    readings = [describe(file, file.name) for file in files]
    with tempfile.TemporaryDirectory(prefix="palmares-dry-run-") as scratch:
        copy = Paths(Path(scratch))
        snapshot(paths, copy)
        before_rebuilt = not steps.warehouse_is_current(copy)
        if before_rebuilt:
            report("The warehouse is missing or behind data/raw: building it first (scratch copy)")
            steps.build_tables(copy, steps.Progress(steps.TABLE_STEPS, report))
        sources = {import_source(copy, file): file.name for file in files}
        before = holdings(copy, list(sources))
        report("Ingesting into the scratch copy")
        progress = steps.Progress(steps.TABLE_STEPS, report)
        outcome = ingest.ingest(
            copy, files, lambda: steps.build_tables(copy, progress), declared_complete_by
        )
        after = holdings(copy, list(sources))
        declared = {
            name: declaration
            for name, declaration in ingest.declarations(copy).items()
            if name in outcome
        }
    return DryRun(outcome, sources, before, after, before_rebuilt, readings, declared)


def snapshot(paths: Paths, copy: Paths) -> None:
    """Copy data/raw and the warehouse into `copy`, under the build lock when the project has
    a lock file (taking it on a project without one would write one into data/processed)."""
    held = build_lock(paths) if paths.warehouse_lock.exists() else nullcontext()
    with held:
        # hidden files (an ingest's backup, temporary copies) are not inputs: see steps.input_key
        shutil.copytree(paths.raw, copy.raw, ignore=shutil.ignore_patterns(".*"))
        if paths.warehouse.exists():
            copy.processed.mkdir(parents=True)
            shutil.copyfile(paths.warehouse, copy.warehouse)


def import_source(paths: Paths, file: Path) -> str:
    """The `source_file` the rows of `file` get once ingested into `paths`."""
    target = paths.raw / "palmares" / ingest.IMPORTS / file.name
    return target.relative_to(paths.root).as_posix()


def holdings(paths: Paths, source_files: list[str]) -> Holdings:
    """Read what the warehouse of `paths` holds, the rows of `source_files` in full."""
    with connect_read_only(paths) as con:

        def rows(table: str, columns: str, mine: bool = True) -> pd.DataFrame:
            return con.execute(
                f"SELECT {columns} FROM {table} "
                f"WHERE {'' if mine else 'NOT '}list_contains(?, {SOURCE_PATH_SQL}) "
                "ORDER BY source_file, source_row",
                [source_files],
            ).df()

        return Holdings(
            accounting=checks.file_accounting(con),
            laureates=rows("laureates", LAUREATE_COLUMNS),
            quarantine=rows("quarantine", QUARANTINE_COLUMNS),
            quarantine_others=rows("quarantine", QUARANTINE_COLUMNS, mine=False),
            level_conflicts=checks.level_conflicts(con),
            duplicates=checks.duplicates(con),
            coverage=checks.coverage(con),
            claims=checks.claim_checks(con),
            edition_conflicts=con.execute(
                "SELECT * FROM edition_conflict ORDER BY label_year, measure, value"
            ).df(),
        )
