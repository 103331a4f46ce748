#!/usr/bin/env bash
# `make demo`: emulators + a generated demo world + the sample integrations via `meltano run`.
# The work is in scripts/demo.py; run through make so .venv/bin is first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python scripts/demo.py "$@"
