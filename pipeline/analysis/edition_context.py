"""What every table of one edition's statistics shares: the editions compared, their coverage,
the credits, and how a count, a share and a change are written."""

from __future__ import annotations

import pandas as pd

from pipeline.analysis.coverage import scope_row
from pipeline.formatting import format_fr, format_percent_fr

ZONE_NAMES = {
    "metro": "métropole",
    "drom": "outre-mer (DROM)",
    "com": "collectivités d'outre-mer",
}


class EditionContext:
    """What every table of one edition needs: the editions compared, coverage and credits."""

    def __init__(
        self,
        edition: int,
        previous: int | None,
        cov: pd.DataFrame,
        exact: pd.DataFrame,
        source: str,
        cog: str,
    ):
        self.edition, self.previous, self.cov, self.source, self.cog = (
            edition,
            previous,
            cov,
            source,
            cog,
        )
        self.exact = exact

    def scope(self, edition: int | None, scope: str) -> dict:
        return scope_row(self.cov, edition, scope)

    def comparable(self, breakdown: str) -> bool:
        """Whether the edition's and the previous edition's counts by `breakdown` (see
        `analysis.coverage.BREAKDOWNS`) are both exact, so that their change can be given."""
        return all(
            year in self.exact.index and bool(self.exact.at[year, breakdown])
            for year in (self.edition, self.previous)
        )

    def coverage_note(self, scope: str = "all") -> str:
        """One sentence on what the counts rest on, for both editions compared."""
        parts = []
        for year in (self.edition, self.previous):
            if year is None:
                continue
            row = self.scope(year, scope)
            if row.get("complete"):
                parts.append(
                    f"{year} : liste complète ({count_text(row['held'])} sur "
                    f"{count_text(row['published'])} publiés)"
                )
            elif row and pd.notna(row.get("published")):
                parts.append(
                    f"{year} : liste partielle, {count_text(row['held'])} collectivités "
                    "détenues sur "
                    f"{count_text(row['published'])} publiées ({share_text(row['share_pct'])}) : "
                    "les nombres sont des minimums"
                )
            else:
                held = count_text(row.get("held", 0)) if row else "0"
                parts.append(
                    f"{year} : total publié inconnu, {held} collectivités détenues : "
                    "les nombres sont des minimums"
                )
        return "Couverture — " + " ; ".join(parts) + "."

    def finish(
        self, frame: pd.DataFrame, title: str, headers: dict, note: str, hidden: tuple = ()
    ) -> pd.DataFrame:
        """The table with its `attrs`; `hidden`: its machine codes that a French column of the
        table names already (kept in the CSV, not shown: `report.tables.reader_view`)."""
        frame = frame.reset_index(drop=True)
        frame.attrs.update(
            title=title,
            headers=headers,
            note=note,
            source=self.source,
            edition=self.edition,
            previous=self.previous,
            hidden=list(hidden),
        )
        return frame


def count_text(value) -> str:
    return format_fr(value) if pd.notna(value) else "?"


def share_text(value) -> str:
    return format_percent_fr(value) if pd.notna(value) else "?"


def change(now, before, comparable: bool):
    return now - before if comparable and pd.notna(now) and pd.notna(before) else pd.NA
