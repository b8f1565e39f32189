"""`palmares check`: what the palmarès holds, what was set aside, and how complete it is.

Each function takes a read-only warehouse connection and returns a table; the CLI prints them
and the edition report reuses them.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline.analysis import coverage as cov
from pipeline.build.sources.palmares import SOURCE_PATH_SQL


def file_accounting(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per source file (all its sheets and columns): rows read, resolved, quarantined, and
    quarantined rows by reason."""
    return (
        con.execute(
            f"""
        WITH rows AS (
            SELECT {SOURCE_PATH_SQL} AS source_file, 'resolved' AS outcome FROM laureates
            UNION ALL
            SELECT {SOURCE_PATH_SQL}, 'quarantined: ' || split_part(reason, ':', 1)
            FROM quarantine
        )
        PIVOT rows ON outcome USING count(*) GROUP BY source_file ORDER BY source_file
        """
        )
        .df()
        .pipe(_with_read_total)
    )


def _with_read_total(frame: pd.DataFrame) -> pd.DataFrame:
    outcomes = [c for c in frame.columns if c != "source_file"]
    frame[outcomes] = frame[outcomes].fillna(0).astype(int)
    frame.insert(1, "read", frame[outcomes].sum(axis=1))
    return frame


def coverage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per edition: rows held (resolved + set aside), published total, share held and status,
    then held and published per level: `analysis.coverage`, one row per edition."""
    return cov.wide(cov.coverage_model(con))


def edition_conflicts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Edition values on which sources disagree (a declared list's count included): each
    value, its sources, whether it was kept and by which step of the written rule."""
    return con.execute(
        "SELECT label_year AS edition, measure, value, is_chosen AS kept, rule, "
        "array_to_string(source_urls, ' | ') AS sources FROM edition_conflict "
        "ORDER BY label_year, measure, NOT is_chosen, value"
    ).df()


#: The columns of `coverage` the overview shows, with their French headers.
COVERAGE_HEADERS = {
    "edition": "Édition",
    "resolved": "Collectivités identifiées",
    "quarantined": "Lignes mises de côté",
    "held": "Lignes détenues",
    "published": "Total publié",
    "share_pct": "Part détenue (%)",
    "held_5": "5 @ détenues",
    "published_5": "5 @ publiées",
}
COVERAGE_CAPTION = (
    "Sources : palmarès rassemblé par le projet (data/raw/palmares, une source par ligne) ; "
    "totaux publiés : data/raw/palmares/editions.csv, valeur retenue selon la règle écrite du "
    "README. Détenues = identifiées + mises de côté avec une raison (README, « Coverage »)."
)


def coverage_shown(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """`coverage` as the overview shows it: COVERAGE_HEADERS' columns, editions as text."""
    return coverage(con).astype({"edition": str})[list(COVERAGE_HEADERS)]


def complete_editions_sentence(con: duckdb.DuckDBPyConnection) -> str:
    complete = cov.complete_editions(cov.coverage_model(con))
    return f"Éditions complètes dans nos données : **{', '.join(map(str, complete)) or 'aucune'}**."


def level_conflicts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Same collectivity, same edition, two different levels: every row with its source."""
    return con.execute(
        """
        SELECT l.edition, l.code, l.name, l.arobases, l.source_file, l.source_row, l.source_url
        FROM laureates l
        JOIN (SELECT edition, code FROM laureates WHERE arobases IS NOT NULL
              GROUP BY edition, code HAVING count(DISTINCT arobases) > 1) c USING (edition, code)
        ORDER BY l.edition, l.code, l.arobases
        """
    ).df()


def duplicates(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Same collectivity, same edition, several rows (agreeing or not): how many and where."""
    return con.execute(
        """
        SELECT edition, code, any_value(name) AS name, count(*) AS rows,
               list(source_file || ':' || source_row ORDER BY source_file, source_row) AS places
        FROM laureates GROUP BY edition, code HAVING count(*) > 1 ORDER BY edition, code
        """
    ).df()


def claim_checks(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Each press claim, the collectivity it names and whether the palmarès agrees."""
    return con.execute(
        "SELECT source_row, name, stated_in_year, code, check_status, check_detail "
        "FROM claim ORDER BY source_row"
    ).df()
