#!/usr/bin/env bash
# The whole benchmark in one run: check latency on a passing lab and on each failing kind
# beside the bash script (bench/check.sh, with labgrade's peak RSS), image files checks
# beside container-structure-test (bench/files.sh), then batch throughput
# beside the bash loop (bench/batch.sh). Sets up its labs locally (FROM scratch, no
# registry) and removes them. Figures go to stdout; README's "Performance" quotes them.
#
# Usage: bash bench/run.sh [N submissions, default 20]   (needs: bash scripts/docker-up)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== check latency (bench/check.sh)"
bash bench/check.sh
echo
echo "== image files checks (bench/files.sh)"
bash bench/files.sh
echo
echo "== batch throughput (bench/batch.sh ${1:-20})"
bash bench/batch.sh "${1:-20}"
