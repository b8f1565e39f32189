"""Inside a warm kernel: between two jobs, put the process back as a fresh kernel left it.

A warm kernel imports the heavy libraries once (`warm_up`), records what a fresh kernel looks
like at that point, and after every job `reset` restores it: the user namespace and execution
count, open figures, matplotlib rcParams, pandas options, every module attribute rebound or
added, `sys.path`, the environment, warning filters, the working directory, and any DuckDB
connection the job left open. In-place mutation of a library's own objects is not undone; the
pipeline keeps none (its caches are keyed on content).

A job that imports a module the baseline lacks cannot be undone (a module cannot be unloaded
safely): `reset` lists them in `imported_by_last_job`, and the parent replaces the kernel with
one that imports them in its warm-up, so the next jobs start from the same state.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
import types
import warnings
from dataclasses import dataclass

import duckdb


@dataclass
class _Baseline:
    names: frozenset[str]  # everything in sys.modules, modules or not (typing.io is a class)
    modules: dict[str, types.ModuleType]
    attributes: dict[str, dict]  # module name -> shallow copy of its namespace
    rc_params: dict
    environ: dict[str, str]
    path: list[str]
    warning_filters: list


_baseline: _Baseline | None = None
_open_connections: list[duckdb.DuckDBPyConnection] = []
#: JSON list of the modules the last job imported beyond the baseline, read by the parent.
imported_by_last_job = "[]"
#: Namespaces not restored: IPython's (`InteractiveShell.reset` renews it) and this module's.
_NOT_RESTORED = {"__main__", __name__}


def warm_up(modules: list[str]) -> None:
    """Import `modules` (and pyplot with the kernel's inline backend), then record the baseline.

    A name that does not import is skipped: `from IPython.display import Markdown` lists
    `IPython.display.Markdown`, and a module that really fails fails in its job's cell, where
    the run reports it.
    """
    global _baseline
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
    import matplotlib.pyplot as plt

    plt.close(plt.figure())  # loads the inline backend and its rcParams, as a job's first figure

    _track_connections()
    _baseline = _snapshot()
    gc.collect()
    gc.freeze()  # what the warm-up made stays: the collections after each job skip it


def reset(cwd: str) -> None:
    """Undo what the last job changed; list what it imported beyond the baseline."""
    global imported_by_last_job
    if _baseline is None:
        raise RuntimeError("isolation.reset before warm_up")
    from IPython import get_ipython

    get_ipython().reset(new_session=True)  # namespace, output history, execution count = 1
    _close_connections()
    _reset_plotting(_baseline.rc_params)
    _reset_pandas()
    new_modules = sorted(set(sys.modules) - _baseline.names)
    _restore_modules(_baseline)
    if os.environ != _baseline.environ:
        os.environ.clear()
        os.environ.update(_baseline.environ)
    sys.path[:] = _baseline.path
    warnings.filters[:] = _baseline.warning_filters
    warnings._filters_mutated()  # invalidates the `warn` caches, as filterwarnings does
    os.chdir(cwd)
    imported_by_last_job = json.dumps(new_modules)


def _snapshot() -> _Baseline:
    import matplotlib as mpl

    modules = {name: module for name, module in sys.modules.items() if _restorable(module)}
    return _Baseline(
        names=frozenset(sys.modules),
        modules=modules,
        attributes={name: dict(vars(module)) for name, module in modules.items()},
        rc_params=dict(mpl.rcParams),
        environ=dict(os.environ),
        path=list(sys.path),
        warning_filters=list(warnings.filters),
    )


def _restorable(module: object) -> bool:
    return isinstance(module, types.ModuleType) and hasattr(module, "__dict__")


def _restore_modules(baseline: _Baseline) -> None:
    """Rebind every baseline module attribute a job rebound, and drop those it added.

    An added attribute holding a module stays: it is how a package refers to a submodule
    imported later, and dropping it would break `package.submodule` for the next job.
    """
    for name, module in baseline.modules.items():
        if name in _NOT_RESTORED:
            continue
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
        saved, current = baseline.attributes[name], vars(module)
        for key in [k for k in current if k not in saved]:
            if not isinstance(current[key], types.ModuleType):
                del current[key]
        for key, value in saved.items():
            if current.get(key, _MISSING) is not value:
                current[key] = value


_MISSING = object()


def _reset_plotting(rc_params: dict) -> None:
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    plt.close("all")
    dict.update(mpl.rcParams, rc_params)  # values validated when first set; no deprecation noise


def _reset_pandas() -> None:
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pd.reset_option("all")


def _track_connections() -> None:
    """Make `duckdb.connect` remember what it opened, so `reset` can close what a job left."""
    connect = duckdb.connect

    def tracked_connect(*args, **kwargs):
        connection = connect(*args, **kwargs)
        _open_connections.append(connection)
        return connection

    tracked_connect.__doc__ = connect.__doc__
    duckdb.connect = tracked_connect


def _close_connections() -> None:
    while _open_connections:
        _open_connections.pop().close()  # closing a closed connection is a no-op
