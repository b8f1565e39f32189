"""`palmares publish --out DIR [--compare OLD_DIR]`: the open-data package, validated.

Kept light to import: the package's modules (DuckDB, frictionless, pandas) load when it runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.paths import Paths


def run(args: argparse.Namespace, paths: Paths) -> int:
    """Write the package; print what it holds (and what changed), or one error line."""
    from pipeline.publish import package, tables

    compare = Path(args.compare) if args.compare else None
    try:
        lines = package.publish(paths, Path(args.out), compare)
    except (package.PublishError, tables.UndescribedColumn) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0
