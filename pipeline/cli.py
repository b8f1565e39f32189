"""`palmares`: the command line. Each subcommand is a thin call into the pipeline's modules.

Errors a user can act on (bad input file, busy warehouse, failing notebook) are printed as one
clear message with a non-zero exit code, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.build import steps
from pipeline.errors import InputError, ParameterError, WarehouseBuildError, WarehouseBusyError
from pipeline.paths import COG_YEAR, Paths


def _cmd_run(args: argparse.Namespace, paths: Paths) -> int:
    from pipeline.build.lock import build_lock
    from pipeline.run import unchanged

    with build_lock(paths):  # a process holding it is changing what the stamp vouches for
        nothing_to_do = not (args.force or args.explain) and unchanged.is_unchanged(paths)
    if nothing_to_do:
        print(
            "Nothing changed since the last run (data/raw, code, notebooks, pipeline.toml): "
            "every page is up to date."
        )
        print(f"Done: open {paths.reports / 'index.html'}")
        return 0
    from pipeline.run import main_job

    try:
        main_job.run(paths, force=args.force, explain=args.explain, workers=args.workers)
    except main_job.RunFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"The other pages were written: open {paths.reports / 'index.html'}", file=sys.stderr)
        return 1
    print(f"Done: open {paths.reports / 'index.html'}")
    return 0


def _cmd_build(args: argparse.Namespace, paths: Paths) -> int:
    from pipeline.build.lock import build_lock

    with build_lock(paths):
        steps.build(paths, steps.Progress(total=steps.BUILD_STEPS, report=print))
    return 0


def _cmd_ingest(args: argparse.Namespace, paths: Paths) -> int:
    from pipeline.build import ingest
    from pipeline.build.lock import build_lock
    from pipeline.build.sources import insee_download

    files = ingest.existing_files(args.files)
    problem = ingest.usage_problem(args.complete, args.declared_by, files)
    if problem:
        print(f"error: {problem}; nothing was written", file=sys.stderr)
        return 2
    if args.dry_run:
        from pipeline.build import dry_run

        return dry_run.run(args, files, paths)
    figures = [file for file in files if insee_download.looks_like_insee_figure(file)]
    progress = steps.Progress(total=steps.TABLE_STEPS, report=print)

    def rebuild():
        return steps.build_tables(paths, progress)

    with build_lock(paths):
        declared_before = ingest.declarations(paths)
        if figures:
            outcome = _ingest_figures(args, paths, files, rebuild)
            if outcome is None:
                return 1
        else:
            declared_by = args.declared_by if args.complete else None

            def understood(reading) -> None:
                print("\n".join(reading.lines()))

            outcome = ingest.ingest(paths, files, rebuild, declared_by, understood)
        declared_after = ingest.declarations(paths)
        unchanged = all(what == "unchanged" for what in outcome.values())
        behind = unchanged and not steps.warehouse_is_current(paths)
        if behind:  # data/raw changed since the last build: an interrupted ingest, or a hand edit
            rebuild()
    for name, what in outcome.items():
        print(f"{name}: {what}")
    for line in ingest.declaration_news(list(outcome), declared_before, declared_after):
        print(line)
    if behind:
        print("The warehouse was behind data/raw (an interrupted run?): rebuilt.")
    elif unchanged:
        print("Nothing changed; the warehouse was not rebuilt.")
    return 0


def _ingest_figures(args: argparse.Namespace, paths: Paths, files: list[Path], rebuild):
    """INSEE figure downloads, with what the user says of them; None after a metadata error."""
    from pipeline.build import ingest
    from pipeline.build.sources import insee, reference

    try:
        metadata = insee.ingest_metadata(
            indicator=args.indicator,
            year=args.year,
            definition=args.definition,
            scope=args.scope,
            source_url=args.source_url,
            publication=args.publication,
            estimation=args.estimation,
            geography_vintage=args.geography_vintage,
            breakdown=args.breakdown,
            breakdown_value=args.breakdown_value,
            second_hand_via=args.second_hand_via,
        )
    except insee.MetadataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    reference_tables = reference.read_reference(paths.reference)
    return ingest.ingest_figures(
        paths, [(file, metadata) for file in files], reference_tables, rebuild
    )


def _cmd_check(args: argparse.Namespace, paths: Paths) -> int:
    import pandas as pd

    from pipeline.analysis import checks, illectronism
    from pipeline.build import warehouse

    sections = {
        "Rows per source file (read = resolved + quarantined)": checks.file_accounting,
        "Coverage per edition (held vs published totals)": checks.coverage,
        "Edition values on which sources disagree (kept by the written rule)": (
            checks.edition_conflicts
        ),
        "Level conflicts (same collectivity and edition, two levels)": checks.level_conflicts,
        "Duplicates (same collectivity and edition, several rows)": checks.duplicates,
        "Press claims checked against the palmarès": checks.claim_checks,
        "Illectronism figures by year, level and indicator": (
            illectronism.rows_by_year_level_indicator
        ),
        "Illectronism codes that did not join the reference": illectronism.codes_not_joined,
        "Illectronism territories that changed since the figure": illectronism.territory_changes,
        "Illectronism figures read in a second-hand copy": illectronism.second_hand_summary,
    }
    with warehouse.connect_read_only(paths) as con:
        sections = {title: table(con) for title, table in sections.items()}
    with pd.option_context(
        "display.width",
        200,
        "display.max_columns",
        30,
        "display.max_colwidth",
        90,
        "display.max_rows",
        500,
    ):
        for title, table in sections.items():
            print(f"\n## {title}\n")
            print(table.to_string(index=False) if len(table) else "(none)")
    return 0


def _cmd_export(args: argparse.Namespace, paths: Paths) -> int:
    from pipeline.build import warehouse
    from pipeline.report import exports

    if args.list or not args.table:
        tables = warehouse.list_tables(paths)
        width = max(map(len, [*tables["table"], *exports.COMPUTED]))
        for row in tables.itertuples():
            print(f"{row.table:<{width}}  {row.rows:>9,}  {row.description}")
        for name, description in exports.COMPUTED.items():
            print(f"{name:<{width}}  {'computed':>9}  {description}")
        return 0 if args.list else 2
    out = Path(args.out) if args.out else paths.processed / "exports" / f"{args.table}.csv"
    if args.table in exports.COMPUTED:
        rows, coverage = exports.export_computed(paths, args.table, out, claims=args.claims)
        print(
            f"{rows:,} rows of {args.table} written to {out}"
            f"{' (claims used as evidence)' if args.claims else ''}; "
            f"the coverage it rests on in {coverage}"
        )
        return 0
    try:
        rows = warehouse.export_table(paths, args.table, out)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    print(f"{rows:,} rows of {args.table} written to {out}")
    return 0


def _cmd_map(args: argparse.Namespace, paths: Paths) -> int:
    import matplotlib.pyplot as plt  # geopandas and matplotlib load only for this command

    from pipeline.build import warehouse
    from pipeline.report import maps

    editions = args.edition or None
    try:
        bins = [float(value) for value in args.bins.split(",")] if args.bins else None
    except ValueError:
        print(f"error: --bins {args.bins!r}: give numbers separated by commas", file=sys.stderr)
        return 2
    given = {"scheme": args.scheme, "k": args.k, "bins": bins, "title": args.title, "dpi": args.dpi}
    options = {name: value for name, value in given.items() if value is not None}
    try:
        with warehouse.connect_read_only(paths) as con:
            if args.small_multiples:
                figure = maps.edition_small_multiples(
                    con,
                    paths.geometry_cache,
                    editions or [],
                    args.level,
                    args.out,
                    variable=args.variable or "laureates",
                    **options,
                )
            else:
                figure = maps.edition_map(
                    con,
                    paths.geometry_cache,
                    editions,
                    args.level,
                    args.out,
                    variable=args.variable,
                    points=args.points,
                    idf_inset=args.idf_inset,
                    **options,
                )
    except ValueError as exc:  # unknown level, variable, scheme, format or edition
        print(f"error: {exc}", file=sys.stderr)
        return 2
    plt.close(figure)
    print(f"Map written to {args.out}")
    return 0


def _cmd_stats(args: argparse.Namespace, paths: Paths) -> int:
    from pipeline.analysis.edition_stats import UnknownEdition
    from pipeline.build import warehouse
    from pipeline.report import stats_pack

    formats = [name.strip() for name in args.format.split(",") if name.strip()]
    out = Path(args.out) if args.out else paths.reports / "stats" / str(args.edition)
    try:
        with warehouse.connect_read_only(paths) as con:
            maps_from = paths.geometry_cache if paths.geometry_cache.exists() else None
            if maps_from is None and "pdf" in formats:
                print("note: no geometry cache (run `palmares build`): the PDF has no maps")
            files = stats_pack.write_pack(con, args.edition, out, formats, geometry_dir=maps_from)
    except (UnknownEdition, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(files)} files written to {out}:")
    for file in files:
        print(f"  {file.name}")
    return 0


def _cmd_publish(args: argparse.Namespace, paths: Paths) -> int:
    from pipeline.publish import command

    return command.run(args, paths)


def _cmd_template(args: argparse.Namespace, paths: Paths) -> int:
    from pipeline.build import template

    return template.run(args, paths)


def _cmd_reference_refresh(args: argparse.Namespace, paths: Paths) -> int:
    from pipeline.build.sources import reference

    try:
        reference.refresh_reference(args.cog, paths.reference)
    except (ValueError, RuntimeError) as exc:  # unknown COG year, npm missing or failing
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Reference COG {args.cog} written to {paths.reference}; review and commit it.")
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="palmares",
        description="Pipeline, notebooks and reports on the label "
        "«Territoires, Villes et Villages Internet».",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="build the warehouse, execute the notebooks of pipeline.toml, write reports/ "
        "(only what changed)",
    )
    run.add_argument(
        "--explain", action="store_true", help="say why each notebook runs or is skipped"
    )
    run.add_argument("--force", action="store_true", help="rebuild and rerun everything")
    run.add_argument("--workers", type=int, help="notebooks at a time (default: pipeline.toml)")
    run.set_defaults(func=_cmd_run)

    build = commands.add_parser("build", help="build the warehouse and geometry cache only")
    build.set_defaults(func=_cmd_build)

    ingest_parser = commands.add_parser(
        "ingest", help="add palmarès files (CSV/XLSX exports) to data/raw and rebuild"
    )
    ingest_parser.add_argument("files", nargs="+", metavar="FILE")
    ingest_parser.add_argument(
        "--dry-run",
        action="store_true",
        help="read, resolve and compare with what is held; report, and change nothing",
    )
    declaration = ingest_parser.add_argument_group(
        "declaring a palmarès export complete (both or neither)"
    )
    declaration.add_argument(
        "--complete",
        action="store_true",
        help="each file is the whole palmarès of every edition it holds: recorded in the "
        "manifest with --declared-by and today's date; its counts become exact",
    )
    declaration.add_argument(
        "--declared-by", metavar="NAME", help="who declares the files complete"
    )
    figure = ingest_parser.add_argument_group(
        "INSEE figure downloads (CSV/XLSX from insee.fr): what the file does not say"
    )
    figure.add_argument("--indicator", help="e.g. illectronism_rate_modelled")
    figure.add_argument("--year", help="year of the data (not of publication)")
    figure.add_argument(
        "--definition", help="2019, 2021, 2025, eurostat_dsi_v1/2 or not_applicable"
    )
    figure.add_argument("--scope", help="population scope, e.g. 15+ or 16-74")
    figure.add_argument("--source-url", help="the insee.fr page of the figure")
    figure.add_argument("--publication", help="e.g. 'Insee Analyses Hauts-de-France n°118'")
    figure.add_argument("--estimation", help="survey or modelled")
    figure.add_argument("--geography-vintage", help="COG year of the codes in the file")
    figure.add_argument("--breakdown", help="breakdown name (age, diploma...), if any")
    figure.add_argument("--breakdown-value", help="breakdown value, if any")
    figure.add_argument("--second-hand-via", help="where the copy was read, if not on insee.fr")
    ingest_parser.set_defaults(func=_cmd_ingest)

    check = commands.add_parser(
        "check", help="rows per file, quarantine reasons, coverage per edition, conflicts, claims"
    )
    check.set_defaults(func=_cmd_check)

    export = commands.add_parser("export", help="write a warehouse table as CSV (open data)")
    export.add_argument("table", nargs="?", help="table name (see --list)")
    export.add_argument("--out", help="output CSV (default data/processed/exports/TABLE.csv)")
    export.add_argument("--list", action="store_true", help="list the tables and their rows")
    export.add_argument(
        "--claims",
        action="store_true",
        help="computed exports: let press claims fill what the palmarès lacks",
    )
    export.set_defaults(func=_cmd_export)

    map_parser = commands.add_parser(
        "map", help="draw a map of France (PNG 300 dpi, SVG or PDF) for editions and a level"
    )
    map_parser.add_argument(
        "--edition",
        type=int,
        action="append",
        metavar="YEAR",
        help="label year; repeat for several (default: every edition held)",
    )
    map_parser.add_argument(
        "--level",
        default="departement",
        help="region, departement, epci or commune (default %(default)s)",
    )
    map_parser.add_argument("--out", required=True, help="output file: .png, .svg or .pdf")
    map_parser.add_argument(
        "--variable",
        help="laureates, population_share, max_arobases or points (default: "
        "laureates per unit; points for EPCI and commune)",
    )
    map_parser.add_argument("--scheme", help="quantiles (default), fisher_jenks, equal_interval")
    map_parser.add_argument("--k", type=int, help="number of classes (default 5)")
    map_parser.add_argument("--bins", help="user class bounds, e.g. 1,2,5,10 (sets scheme)")
    map_parser.add_argument(
        "--points", action="store_true", help="add the laureates as points over the choropleth"
    )
    map_parser.add_argument("--idf-inset", action="store_true", help="add an Île-de-France zoom")
    map_parser.add_argument(
        "--small-multiples", action="store_true", help="one map per edition with shared classes"
    )
    map_parser.add_argument("--title", help="replace the generated title")
    map_parser.add_argument("--dpi", type=int, help="PNG resolution (default 300)")
    map_parser.set_defaults(func=_cmd_map)

    stats = commands.add_parser(
        "stats",
        help="an edition's statistics pack (XLSX, CSV, Markdown, PDF with maps), checked "
        "against the published totals",
    )
    stats.add_argument("--edition", type=int, required=True, metavar="YEAR", help="label year")
    stats.add_argument("--out", help="output folder (default reports/stats/YEAR), replaced whole")
    stats.add_argument(
        "--format",
        default=",".join(("xlsx", "csv", "md", "pdf")),
        help="comma-separated among xlsx, csv, md, pdf (default: all)",
    )
    stats.set_defaults(func=_cmd_stats)

    publish = commands.add_parser(
        "publish",
        help="write the open-data package (Frictionless Data Package: CSV, Parquet, schemas)",
    )
    publish.add_argument("--out", required=True, help="output folder, replaced whole")
    publish.add_argument(
        "--compare",
        metavar="OLD_DIR",
        help="an earlier package: write the changelog (rows added, removed, changed)",
    )
    publish.set_defaults(func=_cmd_publish)

    template = commands.add_parser(
        "template", help="write the data-entry workbook (XLSX) that `palmares ingest` reads"
    )
    template.add_argument("--out", required=True, help="output file, e.g. modele.xlsx")
    template.set_defaults(func=_cmd_template)

    ref = commands.add_parser("reference", help="maintain the reference geography (COG)")
    ref_commands = ref.add_subparsers(dest="reference_command", required=True, metavar="ACTION")
    refresh = ref_commands.add_parser(
        "refresh",
        help="rebuild data/raw/reference from the npm package @etalab/decoupage-administratif "
        "(maintainers; needs npm and the registry)",
    )
    refresh.add_argument("--cog", type=int, default=COG_YEAR, help="COG year (default %(default)s)")
    refresh.set_defaults(func=_cmd_reference_refresh)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    paths = Paths.from_env()
    try:
        return args.func(args, paths)
    except (InputError, WarehouseBusyError, ParameterError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except WarehouseBuildError as exc:
        print(f"error: the warehouse was not replaced: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
