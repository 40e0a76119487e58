#!/usr/bin/env bash
# Benchmark of a sharded class against one machine grading it whole: N small submissions
# (default 20, built locally FROM the sample image, every fourth one bound to 127.0.0.1)
# graded by one `labgrade grade`, and by two `labgrade grade --shard auto` started at once
# on the same machine (what two replicas of a job on one node do: LABGRADE_SHARD_INDEX 0
# and 1 of LABGRADE_SHARD_TOTAL 2), each with half the CPUs as -j, then `labgrade merge`.
# The merged gradebook must equal the single one. Rounds alternate (default 3); medians.
#
# Target: the sharded run (both shards and the merge) costs <= 1.2x the single run.
#
# Usage: bash bench/shard.sh [N] [ROUNDS]   (needs a running Docker engine: bash scripts/docker-up)
#        LABGRADE=target/x86_64-unknown-linux-gnu/release/labgrade bash bench/shard.sh
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
rounds=${2:-3}
source bench/class.sh
# LABGRADE=path runs that build instead (the static one of scripts/static-build, say).
if [ -n "${LABGRADE:-}" ]; then
  bin=$LABGRADE
else
  cargo build --release --quiet
  bin=${CARGO_TARGET_DIR:-$PWD/target}/release/labgrade
fi
work=$(mktemp -d)
base=labgrade-bench/shard-base-$$
cleanup() {
  "$bin" clean >/dev/null 2>&1 || true
  docker rmi -f "$base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" sample-image "$base"
class "$work" "$base" "$n" loopback

cpus=$(nproc)
half=$(( cpus / 2 > 0 ? cpus / 2 : 1 ))
now() { date +%s.%N; }
single() {
  local out=$work/single-$1
  "$bin" grade --spec "$work/lab.yaml" "$work/subs" --out "$out" >/dev/null 2>&1
}
sharded() {
  local out=$work/sharded-$1
  for k in 0 1; do
    LABGRADE_SHARD_INDEX=$k LABGRADE_SHARD_TOTAL=2 \
      "$bin" grade --spec "$work/lab.yaml" "$work/subs" --out "$out" --shard auto -j "$half" >/dev/null 2>&1 &
  done
  wait
  "$bin" merge --spec "$work/lab.yaml" --out "$out/all" "$out"/shard-*-of-2 >/dev/null
}

echo "grading $n submissions, $rounds rounds, $cpus CPUs…"
singles=() shardeds=()
for r in $(seq 1 "$rounds"); do
  s=$(now); single "$r"; e=$(now); singles+=("$(echo "$e - $s" | bc -l)")
  s=$(now); sharded "$r"; e=$(now); shardeds+=("$(echo "$e - $s" | bc -l)")
  if ! cmp -s "$work/single-$r/gradebook.csv" "$work/sharded-$r/all/gradebook.csv"; then
    echo "round $r: the merged gradebook differs from the single one" >&2
    diff "$work/single-$r/gradebook.csv" "$work/sharded-$r/all/gradebook.csv" >&2 || true
    exit 1
  fi
done
passed=$(grep -c ',true,' "$work/single-1/gradebook.csv" || true)

python3 - "$n" "$cpus" "$half" "$passed" "${singles[*]}" "${shardeds[*]}" <<'PY'
import statistics, sys
n, cpus, half, passed = sys.argv[1:5]
singles = [float(x) for x in sys.argv[5].split()]
shardeds = [float(x) for x in sys.argv[6].split()]
s, h = statistics.median(singles), statistics.median(shardeds)
ratio = h / s
print()
print(f"{n} submissions, {cpus} CPUs; {passed} passed (every 4th binds 127.0.0.1); merged gradebook = single one")
print("measure                                              median s   rounds")
print(f"labgrade grade, one machine, default -j              {s:8.1f}   {' '.join(f'{x:.1f}' for x in singles)}")
print(f"2 x grade --shard auto -j {half} at once, then merge        {h:8.1f}   {' '.join(f'{x:.1f}' for x in shardeds)}")
print(f"sharded / single                                     {ratio:8.2f}   (<= 1.2) {'target met' if ratio <= 1.2 else 'target MISSED'}")
PY
