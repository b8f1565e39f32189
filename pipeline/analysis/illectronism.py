"""Illectronism figures for notebooks and `palmares check`, from the `illectronism` table.

INSEE changed its definition of illectronism (2019: four domains, no use of the Internet in
12 months; 2021: five domains, 3 months; 2025: 16-74 year-olds only) and figures are published
on different populations (15+, 16-74, Internet users, households...). A figure of one
definition or population cannot be put on the same axis as another without saying so, so
`figures` refuses to return them together unless asked (`allow_mixed=True`); the error says
what is mixed and how to ask for one. `levels_available` says at which geographic levels, years
and definitions an indicator exists: join illectronism to the label only at the level where
the figure exists (there is no commune-level INSEE figure).

Sub-national INSEE rates of 2019 are modelled (scoring applied to the census), not surveyed:
the `estimation` column says so. EPCI figures carry `current_code` (today's EPCI) and
`same_territory` (true only when today's EPCI is exactly the figure's territory).

Every function takes a (read-only) DuckDB connection to the warehouse and returns a DataFrame.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import duckdb
import pandas as pd

#: What each definition version means, for messages (same text as pipeline.build.sources.insee).
DEFINITION_LABELS = {
    "2019": "INSEE 2019: 4 domains, no Internet use in 12 months",
    "2021": "INSEE 2021: 5 domains, no Internet use in 3 months",
    "2025": "INSEE 2025: 16-74 year-olds, 5 domains",
    "eurostat_dsi_v1": "Eurostat DSI v1",
    "eurostat_dsi_2": "Eurostat DSI 2.0",
    None: "no definition (not a skills indicator)",
}


class MixedFiguresError(ValueError):
    """Figures of different definitions, populations or units were asked for together."""


def _as_list(value) -> list | None:
    if value is None:
        return None
    if isinstance(value, (str, int)):
        return [value]
    if isinstance(value, Iterable):
        return list(value)
    return [value]


def figures(
    con: duckdb.DuckDBPyConnection,
    indicator: str | Iterable[str],
    *,
    definition: str | Iterable[str] | None = None,
    scope: str | Iterable[str] | None = None,
    level: str | Iterable[str] | None = None,
    year: int | Iterable[int] | None = None,
    allow_mixed: bool = False,
) -> pd.DataFrame:
    """The figures of an indicator, filtered; refuses to mix definitions, scopes or units.

    Each filter takes one value or a list. Raises `ValueError` for an indicator the table does
    not hold (with the closest names), and `MixedFiguresError` when the rows selected are of
    more than one definition version, population scope or unit, unless `allow_mixed=True`
    (the columns `definition_version`, `population_scope` and `unit` then tell them apart).
    """
    indicators = _as_list(indicator)
    known = [
        row[0]
        for row in con.execute("SELECT DISTINCT indicator FROM illectronism ORDER BY 1").fetchall()
    ]
    unknown = [name for name in indicators if name not in known]
    if unknown:
        hints = sorted({m for name in unknown for m in difflib.get_close_matches(name, known, 5)})
        raise ValueError(
            f"no figures for indicator(s) {', '.join(map(repr, unknown))}"
            + (f"; did you mean {', '.join(hints)}?" if hints else "")
            + " (levels_available(con) lists every indicator)"
        )
    conditions, parameters = ["indicator IN (SELECT unnest(?))"], [indicators]
    for column, value in (
        ("definition_version", definition),
        ("population_scope", scope),
        ("geography_level", level),
        ("year", year),
    ):
        values = _as_list(value)
        if values is not None:
            conditions.append(f"{column} IN (SELECT unnest(?))")
            parameters.append(
                [str(v) for v in values] if column != "year" else [int(v) for v in values]
            )
    frame = con.execute(
        f"SELECT * FROM illectronism WHERE {' AND '.join(conditions)} "
        "ORDER BY indicator, year, geography_level, geography_code, breakdown, breakdown_value, "
        "source_file, source_row",
        parameters,
    ).df()
    if not allow_mixed:
        _refuse_mixed(frame, indicators)
    return frame


def _refuse_mixed(frame: pd.DataFrame, indicators: list[str]) -> None:
    mixed = []
    counts = {
        "definition versions": frame["definition_version"]
        .astype(object)
        .where(frame["definition_version"].notna(), None)
        .value_counts(dropna=False),
        "population scopes": frame["population_scope"].value_counts(),
        "units": frame["unit"].value_counts(),
    }
    for what, count in counts.items():
        if len(count) > 1:
            described = ", ".join(
                f"{key if key is not None else 'none'} ({n} rows"
                + (
                    f": {DEFINITION_LABELS.get(key, key)})"
                    if what == "definition versions"
                    else ")"
                )
                for key, n in count.items()
            )
            mixed.append(f"{len(count)} {what} — {described}")
    if not mixed:
        return
    definition = counts["definition versions"].index[0]
    scope = counts["population scopes"].index[0]
    asked = repr(indicators[0]) if len(indicators) == 1 else repr(indicators)
    example = (
        f"figures(con, {asked}"
        + (f", definition={definition!r}" if definition is not None else "")
        + f", scope={scope!r})"
    )
    raise MixedFiguresError(
        f"the figures asked for mix {'; and '.join(mixed)}. They cannot be put on one axis "
        f"without saying so. Ask for one, e.g. {example}, or pass allow_mixed=True to get "
        "them together (the columns definition_version, population_scope and unit tell them "
        "apart)."
    )


def levels_available(con: duckdb.DuckDBPyConnection, indicator: str | None = None) -> pd.DataFrame:
    """At which geographic levels, years, definitions, scopes and estimation methods figures
    exist (per indicator): rows, distinct codes, codes joined to today's geography, second-hand
    rows."""
    where, parameters = ("WHERE indicator = ?", [indicator]) if indicator else ("", [])
    return con.execute(
        f"""
        SELECT indicator, geography_level, year, definition_version, population_scope,
               estimation, count(*) AS rows, count(DISTINCT geography_code) AS codes,
               count(*) FILTER (code_joined) AS joined,
               count(*) FILTER (same_territory) AS same_territory,
               count(*) FILTER (is_second_hand) AS second_hand
        FROM illectronism {where}
        GROUP BY ALL
        ORDER BY indicator, geography_level, year, definition_version NULLS FIRST,
                 population_scope, estimation
        """,
        parameters,
    ).df()


def best_rate(available: pd.DataFrame, level: str, definition: str) -> pd.Series | None:
    """The rate indicator to show at `level` in `definition`, from `levels_available`: the one
    with the most figures joined to today's geography, then the latest year; None if there is
    none (a page says so rather than mixing definitions)."""
    rows = available[
        (available["geography_level"] == level)
        & (available["definition_version"] == definition)
        & available["indicator"].str.startswith("illectronism_rate")
    ]
    return rows.sort_values(["joined", "year"], ascending=False).iloc[0] if len(rows) else None


def rows_by_year_level_indicator(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """`palmares check`: rows per year × geographic level × indicator, with how many are
    second-hand, modelled, and joined to today's geography."""
    return con.execute(
        """
        SELECT year, geography_level, indicator, count(*) AS rows,
               count(*) FILTER (is_second_hand) AS second_hand,
               count(*) FILTER (estimation = 'modelled') AS modelled,
               count(*) FILTER (code_joined) AS joined,
               list(DISTINCT definition_version ORDER BY definition_version)
                   FILTER (definition_version IS NOT NULL) AS definitions
        FROM illectronism
        GROUP BY year, geography_level, indicator
        ORDER BY year, geography_level, indicator
        """
    ).df()


def codes_not_joined(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """`palmares check`: figures at a level with a reference geography whose code did not join
    today's (published without a code, EPCI split since), with the reason."""
    return con.execute(
        """
        SELECT year, geography_level, geography_code, geography_name, indicator,
               value_published, join_method, join_note, source_file, source_row
        FROM illectronism WHERE NOT code_joined
        ORDER BY geography_level, year, geography_name, indicator
        """
    ).df()


def territory_changes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """`palmares check`: codes attached to today's geography whose territory differs from the
    figure's (EPCI enlarged, absorbed, reduced, partly covered), one row per code."""
    return con.execute(
        """
        SELECT geography_level, geography_code, any_value(geography_name) AS geography_name,
               code_vintage, current_code, join_method, join_note, count(*) AS rows,
               min(source_file) AS source_file
        FROM illectronism WHERE code_joined AND NOT same_territory
        GROUP BY geography_level, geography_code, code_vintage, current_code, join_method,
                 join_note
        ORDER BY geography_level, geography_code
        """
    ).df()


def second_hand_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every figure read in a relay rather than on the producer's page: check it there before
    publishing (NOTES.md)."""
    return con.execute(
        """
        SELECT year, geography_level, geography_code, geography_name, indicator,
               value_published, publication, relayed_by, source_url, source_file, source_row
        FROM illectronism WHERE is_second_hand
        ORDER BY source_file, source_row, indicator
        """
    ).df()


def second_hand_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """`palmares check`: second-hand rows per relay, with the producers and years concerned."""
    return con.execute(
        """
        SELECT relayed_by, count(*) AS rows,
               list(DISTINCT producer ORDER BY producer) AS producers,
               min(year) AS first_year, max(year) AS last_year,
               count(DISTINCT indicator) AS indicators
        FROM illectronism WHERE is_second_hand
        GROUP BY relayed_by
        ORDER BY rows DESC, relayed_by
        """
    ).df()
