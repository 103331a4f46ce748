#!/usr/bin/env bash
# `make demo`: emulators + a generated demo world + the sample integrations via `meltano run`.
# The work is in scripts/demo.py; run through make so .venv/bin is first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
# Meltano writes each plugin's config (secrets included) to .meltano/run/ while it runs: keep
# those files, and the results CSVs, readable by this user only.
umask 077
exec python scripts/demo.py "$@"
