"""The jury chair's statistics pack for one edition: XLSX, CSV, Markdown and a printable PDF.

The tables come from `pipeline.analysis.edition_stats` (the `edition` notebook shows the same
ones). The pack is written into a temporary folder renamed over the previous one, so a crash
never leaves half a pack; the CSVs (English column names, one file per table, codes included)
are for machines, the XLSX (French headers and number formats, a sheet per table, the note and
the source above each table, laid out for printing by `workbook.py`), the Markdown and the PDF
for people, without the code columns a French column names already (`tables.reader_view`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd

from pipeline import io
from pipeline.analysis import edition_stats
from pipeline.formatting import format_fr
from pipeline.report.tables import markdown_text, reader_view

FORMATS = ("xlsx", "csv", "md", "pdf")
#: Sheet names: 31 characters at most in Excel.
SHEETS = {
    "levels": "Niveaux",
    "kinds": "Catégories",
    "regions": "Régions",
    "departements": "Départements",
    "population_classes": "Tailles",
    "transitions": "Transitions",
    "ten": "TEN",
    "mentions": "Mentions",
    "population": "Population",
    "coverage": "Couverture",
}


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path, group: str) -> None:
    """Write a report's tables: `<group>.xlsx` (a sheet per table) and `<group>__<table>.csv`
    into out_dir, each file atomically (the site lists them by group)."""
    for name, frame in tables.items():
        with io.atomic_path(out_dir / f"{group}__{name}.csv") as tmp:
            frame.to_csv(tmp, index=False)
    with io.atomic_path(out_dir / f"{group}.xlsx") as tmp:
        write_xlsx(tables, tmp)


def write_xlsx(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table, laid out for reading and printing (`pipeline.report.workbook`):
    title, note and source above French headers, numbers with thousands separators (shown in
    the reader's locale: 1 234 in French Excel), every text a plain string."""
    from pipeline.report import workbook  # openpyxl only when a workbook is written

    workbook.write_xlsx({name: reader_view(frame) for name, frame in tables.items()}, path, SHEETS)


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def markdown(tables: dict[str, pd.DataFrame], edition: int, summary: str) -> str:
    """A summary for a newsletter or a press release: every table in Markdown, French numbers;
    every text escaped (`tables.markdown_text`), so names and notes show as written."""
    lines = [
        f"# Label « Territoires, Villes et Villages Internet » : édition {edition}",
        "",
        markdown_text(summary),
        "",
    ]
    for frame in map(reader_view, tables.values()):
        headers = frame.attrs.get("headers", {})
        lines += [f"## {markdown_text(frame.attrs.get('title', ''))}", ""]
        rows = _cells(frame)
        lines.append(
            "| " + " | ".join(markdown_text(headers.get(c, c)) for c in frame.columns) + " |"
        )
        lines.append(
            "|" + "|".join("---:" if numeric else "---" for numeric in _numeric(frame)) + "|"
        )
        lines += [
            "| "
            + " | ".join(
                cell["text"] if cell["numeric"] else markdown_text(cell["text"]) for cell in row
            )
            + " |"
            for row in rows
        ]
        note = f"{frame.attrs.get('note', '')} {frame.attrs.get('source', '')}"
        lines += ["", f"*{markdown_text(note)}*", ""]
    return "\n".join(lines)


def _numeric(frame: pd.DataFrame) -> list[bool]:
    return [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        for c in frame.columns
    ]


def _cells(frame: pd.DataFrame) -> list[list[dict]]:
    """Each value as French text, with whether it is a number (aligned right)."""
    numeric = _numeric(frame)
    rows = []
    for record in frame.itertuples(index=False):
        row = []
        for value, is_number, column in zip(record, numeric, frame.columns, strict=True):
            if is_number:
                text = format_fr(value, 1 if column.endswith("_pct") else 0)
            else:
                text = "" if _missing(value) else str(value)
            row.append({"text": text, "numeric": is_number})
        rows.append(row)
    return rows


def write_pack(
    con: duckdb.DuckDBPyConnection,
    edition: int,
    out_dir: Path,
    formats: Iterable[str] = FORMATS,
    geometry_dir: Path | None = None,
) -> list[Path]:
    """Write the pack into `out_dir` (replaced as a whole); return the files written."""
    formats = list(formats)
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format(s) {sorted(unknown)}: choose among {', '.join(FORMATS)}")
    tables = edition_stats.edition_tables(con, edition)
    out_dir = Path(out_dir)
    with io.atomic_dir(out_dir) as staging:
        if "csv" in formats:
            for name, frame in tables.items():
                frame.to_csv(staging / f"{name}.csv", index=False)
        if "xlsx" in formats:
            write_xlsx(tables, staging / f"statistiques_{edition}.xlsx")
        text = tables["levels"].attrs["note"]  # published total, held, which counts are complete
        if "md" in formats:
            (staging / f"statistiques_{edition}.md").write_text(
                markdown(tables, edition, text), "utf-8"
            )
        if "pdf" in formats:
            _write_pdf(con, tables, edition, text, staging, geometry_dir)
    return sorted(path for path in out_dir.iterdir() if path.is_file())


def _write_pdf(
    con,
    tables: dict[str, pd.DataFrame],
    edition: int,
    text: str,
    staging: Path,
    geometry_dir: Path | None,
) -> None:
    from pipeline.report import site
    from pipeline.report.pdf import html_to_pdf

    maps = []
    if geometry_dir is not None:
        import matplotlib.pyplot as plt

        from pipeline.report import maps as map_module

        for level, title in (
            ("departement", f"Lauréats {edition} par département"),
            ("commune", f"Lauréats {edition} : communes et intercommunalités"),
        ):
            out = staging / f"carte_{level}_{edition}.png"
            plt.close(map_module.edition_map(con, geometry_dir, edition, level, out, dpi=200))
            maps.append({"src": out.name, "title": title})
    build = dict(con.execute("SELECT key, value FROM build_info").fetchall())
    html = site.render(
        "stats_pack.html.j2",
        edition=edition,
        summary=text,
        maps=maps,
        build=build,
        tables=[
            {
                "title": frame.attrs.get("title", name),
                "headers": [frame.attrs.get("headers", {}).get(c, c) for c in frame.columns],
                "rows": _cells(frame),
                "note": frame.attrs.get("note", ""),
                "source": frame.attrs.get("source", ""),
            }
            for name, frame in ((name, reader_view(frame)) for name, frame in tables.items())
        ],
    )
    page = staging / f"statistiques_{edition}.html"
    page.write_text(html, "utf-8")
    html_to_pdf(page, staging / f"statistiques_{edition}.pdf")
    page.unlink()
