#!/usr/bin/env bash
# The rotation soak for hours: tests/e2e/rotate-soak.sh with a longer run.
#
#   bash tools/soak.sh [HOURS] [BUILD]     default 1 hour, build/
#
# dbcap rotates every second (-G 1 -W 3 --digest -z true); the script samples its resident memory and
# open descriptors every second and fails if they move from the 5th second on, or if the run ends
# inconsistent.  The samples stay in the kept directory (DBCAP_E2E_KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."
hours=${1:-1}
build=${2:-build}
seconds=$(awk -v h="$hours" 'BEGIN { printf "%d", h * 3600 }')
DBCAP_E2E_KEEP=1 DBCAP_E2E_RUN_TIMEOUT=$((seconds + 600)) PYTHON=/usr/bin/python3 \
	SCHEMA="$PWD/config/stats.schema.json" \
	bash tests/e2e/rotate-soak.sh "$build/src/app/dbcap" "$build/tools/dbcap-verify" "$seconds"
