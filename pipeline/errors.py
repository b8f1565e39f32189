"""Errors a user can act on: they name the file, the row when there is one, and the problem."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A raw input file is missing, corrupted or malformed.

    The message is meant for the person who owns the file, so it says which file, which row
    (numbered as a spreadsheet or editor shows it: the header line is row 1) when the
    problem is local, and what is wrong.
    """

    def __init__(self, path: Path | str, problem: str, row: int | None = None):
        self.path = Path(path)
        self.problem = problem
        self.row = row
        where = f"{self.path}" if row is None else f"{self.path}, row {row}"
        super().__init__(f"{where}: {problem}")


class WarehouseBusyError(Exception):
    """Another process holds the warehouse build lock."""


class WarehouseBuildError(Exception):
    """A table could not be loaded (constraint violated, wrong columns); nothing was replaced."""


class ParameterError(ValueError):
    """A parameter set does not fit the notebook's `parameters` cell."""
