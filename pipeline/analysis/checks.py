"""`palmares check`: what the palmarès holds, what was set aside, and how complete it is.

Each function takes a read-only warehouse connection and returns a table; the CLI prints them
and the edition report reuses them.
"""

from __future__ import annotations

import duckdb
import pandas as pd


def file_accounting(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per source file: rows read, resolved, quarantined, and quarantined rows by reason."""
    return con.execute(
        """
        WITH rows AS (
            SELECT source_file, 'resolved' AS outcome FROM laureates
            UNION ALL
            SELECT source_file, 'quarantined: ' || split_part(reason, ':', 1) FROM quarantine
        )
        PIVOT rows ON outcome USING count(*) GROUP BY source_file ORDER BY source_file
        """
    ).df().pipe(_with_read_total)


def _with_read_total(frame: pd.DataFrame) -> pd.DataFrame:
    outcomes = [c for c in frame.columns if c != "source_file"]
    frame[outcomes] = frame[outcomes].fillna(0).astype(int)
    frame.insert(1, "read", frame[outcomes].sum(axis=1))
    return frame


def coverage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per edition: collectivities held (resolved, distinct) and per level, against the totals
    published; `share_pct` is what the data holds of the published total."""
    return con.execute(
        """
        WITH held AS (
            SELECT edition, count(DISTINCT code) AS held,
                   count(DISTINCT code) FILTER (arobases = 5) AS held_5,
                   count(DISTINCT code) FILTER (arobases = 4) AS held_4,
                   count(DISTINCT code) FILTER (arobases = 3) AS held_3,
                   count(DISTINCT code) FILTER (arobases = 2) AS held_2,
                   count(DISTINCT code) FILTER (arobases = 1) AS held_1,
                   count(DISTINCT code) FILTER (arobases = 0) AS held_mention,
                   count(DISTINCT code) FILTER (arobases IS NULL) AS held_level_unknown
            FROM laureates GROUP BY edition
        ), set_aside AS (
            SELECT edition, count(*) AS quarantined FROM quarantine GROUP BY edition
        )
        SELECT e.label_year AS edition, coalesce(h.held, 0) AS held,
               coalesce(q.quarantined, 0) AS quarantined, e.total_labelled AS published,
               round(100.0 * h.held / e.total_labelled, 1) AS share_pct,
               h.held_5, e.n_5 AS published_5, h.held_4, e.n_4 AS published_4,
               h.held_3, e.n_3 AS published_3, h.held_2, e.n_2 AS published_2,
               h.held_1, e.n_1 AS published_1, h.held_mention, e.n_mention AS published_mention,
               h.held_level_unknown
        FROM edition e
        LEFT JOIN held h ON h.edition = e.label_year
        LEFT JOIN set_aside q ON q.edition = e.label_year
        ORDER BY e.label_year
        """
    ).df()


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
