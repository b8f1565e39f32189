"""Where things live. The only place paths are built; everything else receives a `Paths`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Code officiel géographique vintage of the reference geography shipped in data/raw/reference.
COG_YEAR = 2026

#: The geometry cache's index, under data/processed/geometry: its key and the files of its layers.
GEOMETRY_INDEX = "current.json"

#: Default project root: the checkout this package is installed from (editable install).
#: `PALMARES_ROOT` points the CLI at another checkout or a test folder.
DEFAULT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Paths:
    """Every input and output location of one project checkout."""

    root: Path

    @classmethod
    def from_env(cls) -> Paths:
        return cls(Path(os.environ.get("PALMARES_ROOT", DEFAULT_ROOT)).resolve())

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def reference(self) -> Path:
        return self.raw / "reference"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def warehouse(self) -> Path:
        return self.processed / "warehouse.duckdb"

    @property
    def warehouse_lock(self) -> Path:
        return self.processed / "warehouse.lock"

    @property
    def geometry_cache(self) -> Path:
        return self.processed / "geometry"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def reports(self) -> Path:
        return self.root / "reports"
