"""Where the harness lives and writes: the benchmarks folder, the repository root, ``work/``."""

from __future__ import annotations

from pathlib import Path

#: This folder (the scripts the scenarios launch live here).
BENCHMARKS = Path(__file__).resolve().parent
#: The repository root: the working directory of every process a scenario starts.
ROOT = BENCHMARKS.parent
#: Git-ignored: cached worlds, run folders and ``last-run.json``.
WORK = BENCHMARKS / "work"
