"""What each notebook page shows, fingerprinted once per run, so that a page reruns only when
the data it shows changed.

A job's *inputs* are named digests (`{"rows of 38185 in laureates": "3:1234…", ...}`); the job
reruns when one of them differs from the one it last ran with, and `palmares run --explain`
names it. They are computed for every job of a run at once: one query grouped by code for the
collectivity pages, one grouped by edition for the edition pages, so that planning ~1,300
pages takes a fraction of a second. pipeline.toml declares what a notebook's pages show with
`shows` (checked against its `for_each`):

- no `shows` (the studies): every warehouse table the notebook `reads` (default all), whole:
  any change of their rows reruns it.
- `shows = "collectivity"` (notebooks/collectivity.ipynb, through
  `analysis.collectivity.profile` and its figure): the collectivity's rows in `laureates`, the
  rows set aside whose candidates name it, the press claims resolved to it, its reference
  facts (its commune rows with their département and EPCI, or the EPCI with the département
  it is placed in: its heading and the page title), the label's first year (where the chart's
  axis may start, `collectivity.chart_years`) and the COG vintage (the tables' source). The
  page shows nothing about the editions where the collectivity is absent, so another
  collectivity's rows, a new edition or an edition's aggregates never rerun it.
- `shows = "edition"` (notebooks/edition.ipynb, through `edition_stats.edition_tables` and
  the edition maps): the edition's laureates, rows set aside and aggregates (the values chosen
  and the sources' disagreements, which its levels note states), the same of the
  previous edition (every table compares with it), a digest of all earlier editions
  (transitions tell an entry from a return with the whole history, and TEN eligibility counts
  labels up to the edition, over the collectivities known by then), the reference tables
  (places, populations, names), the map outlines (the geometry cache key), the COG vintage and
  whether the palmarès is synthetic (the sources' warning). Later editions change none of it.

These lists follow what the notebooks show today: a notebook or analysis that starts showing
something else must say so here, or its pages go stale on a data change (a change of the
`pipeline/` code itself reruns every page).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipeline.analysis import coverage, provenance
from pipeline.paths import GEOMETRY_INDEX
from pipeline.run import freshness

if TYPE_CHECKING:
    from pipeline.run.pipeline_toml import NotebookJob

#: Reference tables an edition page reads: placement, populations, names, the région and
#: département tables (epci_place is a view over commune and epci_member).
EDITION_REFERENCE = ("commune", "departement", "epci", "epci_member", "region")
NONE = "-"  # the digest of nothing


def job_inputs(
    con: duckdb.DuckDBPyConnection, jobs: list[NotebookJob], geometry_cache: Path
) -> dict[str, dict[str, str]]:
    """The named inputs of every job, by job key (see the module docstring)."""
    kinds = {job.shows for job in jobs}
    tables = freshness.table_fingerprints(con) if kinds & {None, "edition"} else {}
    shown: dict[str | None, Callable[[NotebookJob], dict[str, str]]] = {
        None: lambda job: {
            name: tables.get(name, "missing")
            for name in (tables if job.reads is None else job.reads)
        }
    }
    if "collectivity" in kinds:
        codes = [job.parameters["code"] for job in jobs if job.shows == "collectivity"]
        shown["collectivity"] = _collectivity_inputs(con, codes)
    if "edition" in kinds:
        shown["edition"] = _edition_inputs(con, tables, geometry_key(geometry_cache))
    return {job.key: shown[job.shows](job) for job in jobs}


def geometry_key(geometry_cache: Path) -> str:
    """The key of the cached map outlines ("-" when there is no cache)."""
    try:
        index = json.loads((geometry_cache / GEOMETRY_INDEX).read_text("utf-8"))
    except (OSError, ValueError):
        return NONE
    return str(index.get("key", NONE)) if isinstance(index, dict) else NONE


def _collectivity_inputs(
    con: duckdb.DuckDBPyConnection, codes: Iterable[str]
) -> Callable[[NotebookJob], dict[str, str]]:
    rows = con.execute(
        """
        WITH wanted AS (SELECT DISTINCT unnest(?::VARCHAR[]) AS code),
        held AS (
            SELECT code, count(*) || ':' || sum(hash(l)) AS digest FROM laureates l GROUP BY code
        ), set_aside AS (  -- candidates read "33281 Mérignac (33)", as profile() reads them
            SELECT code, count(*) || ':' || sum(h) AS digest FROM (
                SELECT DISTINCT source_file, source_row, h, split_part(candidate, ' ', 1) AS code
                FROM (SELECT source_file, source_row, hash(q) AS h,
                             unnest(candidates) AS candidate FROM quarantine q))
            GROUP BY code
        ), claims AS (
            SELECT code, count(*) || ':' || sum(hash(c)) AS digest FROM claim c GROUP BY code
        ), communes AS (
            SELECT * FROM commune WHERE commune_code IN (SELECT code FROM wanted)
        ), reference AS (  -- a commune, its département and EPCI; an EPCI and its placement
            SELECT code, count(*) || ':' || sum(h) AS digest FROM (
                SELECT c.commune_code AS code, hash(c) AS h FROM communes c
                UNION ALL SELECT c.commune_code, hash(d)
                    FROM communes c JOIN departement d USING (departement_code)
                UNION ALL SELECT m.commune_code, hash(e)
                    FROM epci_member m JOIN epci e USING (epci_siren)
                    WHERE m.commune_code IN (SELECT code FROM wanted)
                UNION ALL SELECT e.epci_siren, hash(e) FROM epci e
                    WHERE e.epci_siren IN (SELECT code FROM wanted)
                UNION ALL SELECT p.epci_siren, hash(p) FROM epci_place p
                    WHERE p.epci_siren IN (SELECT code FROM wanted))
            GROUP BY code
        )
        SELECT w.code, h.digest, s.digest, c.digest, r.digest
        FROM wanted w LEFT JOIN held h USING (code) LEFT JOIN set_aside s USING (code)
        LEFT JOIN claims c USING (code) LEFT JOIN reference r USING (code)
        """,
        [sorted(set(codes))],
    ).fetchall()
    by_code = {code: digests for code, *digests in rows}
    shared = {
        "first label year": str(provenance.editions(con)[0]),
        "COG vintage": provenance.cog_vintage(con),
    }

    def inputs(job: NotebookJob) -> dict[str, str]:
        code = job.parameters["code"]
        held, set_aside, claims, reference = (d or NONE for d in by_code[code])
        return {
            f"rows of {code} in laureates": held,
            f"rows set aside naming {code} (quarantine)": set_aside,
            f"claims about {code}": claims,
            f"reference facts of {code}": reference,
            **shared,
        }

    return inputs


def _edition_inputs(
    con: duckdb.DuckDBPyConnection, tables: dict[str, str], geometry: str
) -> Callable[[NotebookJob], dict[str, str]]:
    rows = con.execute(
        """
        WITH held AS (
            SELECT edition, count(*) || ':' || sum(hash(l)) AS digest
            FROM laureates l GROUP BY edition
        ), set_aside AS (
            SELECT edition, count(*) || ':' || sum(hash(q)) AS digest
            FROM quarantine q GROUP BY edition
        ), aggregates AS (
            SELECT label_year AS edition, hash(e) || ':' || coalesce((
                SELECT sum(hash(c)) FROM edition_conflict c WHERE c.label_year = e.label_year
            ), 0) AS digest
            FROM edition e
        ), years AS (
            SELECT edition FROM held UNION SELECT edition FROM set_aside
            UNION SELECT edition FROM aggregates
        ), per_edition AS (
            SELECT y.edition, coalesce(h.digest, '-') AS laureates,
                   coalesce(s.digest, '-') AS set_aside, coalesce(a.digest, '-') AS aggregates
            FROM years y LEFT JOIN held h USING (edition) LEFT JOIN set_aside s USING (edition)
            LEFT JOIN aggregates a USING (edition)
        )
        SELECT edition, laureates, set_aside, aggregates,
               coalesce(md5(string_agg(concat_ws('|', edition, laureates, set_aside, aggregates),
                                       ';') OVER (ORDER BY edition ROWS BETWEEN UNBOUNDED
                                                  PRECEDING AND 1 PRECEDING))[:16], '-')
        FROM per_edition
        """
    ).fetchall()
    by_year = {int(year): digests for year, *digests in rows}
    label_years = provenance.editions(con)
    shared = {
        **{f"reference table {name}": tables.get(name, "missing") for name in EDITION_REFERENCE},
        "map outlines (geometry cache)": geometry,
        "COG vintage": provenance.cog_vintage(con),
        "synthetic or real palmarès": _palmares_kind(con),
    }

    def of_year(year: int) -> dict[str, str]:
        held, set_aside, aggregates, _ = by_year.get(year, (NONE,) * 4)
        return {
            f"edition {year} laureates": held,
            f"edition {year} rows set aside": set_aside,
            f"edition {year} aggregates": aggregates,
        }

    def inputs(job: NotebookJob) -> dict[str, str]:
        edition = job.parameters["edition"]
        position = label_years.index(edition) if edition in label_years else 0
        previous = label_years[position - 1] if position else None
        oldest = previous if previous is not None else edition
        before = by_year[oldest][3] if oldest in by_year else NONE
        return {
            **of_year(edition),
            **(of_year(previous) if previous is not None else {}),
            f"editions before {oldest}": before,
            **shared,
        }

    return inputs


def _palmares_kind(con: duckdb.DuckDBPyConnection) -> str:
    """Whether the sources carry the synthetic warning (a mixed palmarès is refused)."""
    try:
        return "synthetic" if coverage.synthetic_flag(con) else "real"
    except ValueError:
        return "mixed"
