#!/usr/bin/env bash
# Benchmark of `labgrade grade` against the bash loop instructors write today:
#   for each submission: docker build; docker run -d; sleep 5; curl; docker rm -f
# on N small submissions (default 20) built locally, FROM the sample image (no registry).
#
# Reports, in one run:
#   - wall time of the bash loop, and of labgrade grade at its default -j (target <= 0.5x)
#   - labgrade's own overhead per submission beyond image build and container start
#     (labgrade grade -j 1, minus a loop that only builds, starts and removes), target <= 100 ms
#   - labgrade grade at -j 1..4, to show which -j is best on this machine (the default is
#     the number of CPUs)
#   - the grader's peak memory (max RSS) grading a class where one submission holds a
#     200 MB file, target <= 100 MiB
#
# Usage: bash bench/batch.sh [N]     (needs a running Docker engine: bash scripts/docker-up)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
source bench/class.sh
need curl curl
[ -x /usr/bin/time ] || need /usr/bin/time time
cargo build --release --quiet
bin=$PWD/target/release/labgrade
work=$(mktemp -d)
base=labgrade-bench/base-$$
cleanup() {
  docker ps -aq --filter "name=bench-loop-$$" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker images -q "bench-loop-$$/*" | xargs -r docker rmi -f >/dev/null 2>&1 || true
  "$bin" clean >/dev/null 2>&1 || true
  docker rmi -f "$base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" sample-image "$base"
class "$work" "$base" "$n" loopback

# The loop from a course's grading script, one submission after another.
cat >"$work/loop.sh" <<SH
#!/usr/bin/env bash
echo "student,score" > $work/loop.csv
for d in $work/subs/*/; do
  s=\$(basename "\$d")
  docker build -q -t bench-loop-$$/\$s "\$d" >/dev/null
  docker run -d --name bench-loop-$$-\$s -p 18097:8088 bench-loop-$$/\$s >/dev/null
  sleep 5
  if curl -s -m 5 http://localhost:18097/ | grep -q Hello; then score=3; else score=0; fi
  echo "\$s,\$score" >> $work/loop.csv
  docker rm -f bench-loop-$$-\$s >/dev/null
  docker rmi -f bench-loop-$$/\$s >/dev/null
done
SH
# Only what labgrade cannot avoid: build, start, remove.
cat >"$work/raw.sh" <<SH
#!/usr/bin/env bash
for d in $work/subs/*/; do
  s=\$(basename "\$d")
  docker build -q -t bench-loop-$$/\$s "\$d" >/dev/null
  docker run -d --name bench-loop-$$-\$s -p 127.0.0.1::8088 bench-loop-$$/\$s >/dev/null
  docker rm -f bench-loop-$$-\$s >/dev/null
  docker rmi -f bench-loop-$$/\$s >/dev/null
done
SH
chmod +x "$work/loop.sh" "$work/raw.sh"


echo "grading $n submissions…"
loop=$(t "$work/loop.sh")
lg=$(t "$bin" grade --spec "$work/lab.yaml" "$work/subs" --out "$work/out-default")
lg1=$(t "$bin" grade --spec "$work/lab.yaml" "$work/subs" --out "$work/out-j1" -j 1)
raw=$(t "$work/raw.sh")
passed=$(grep -c ',true,' "$work/out-default/gradebook.csv" || true)
sweep=""
for j in 1 2 3 4; do
  sweep="$sweep $j=$(t "$bin" grade --spec "$work/lab.yaml" "$work/subs" --out "$work/out-sweep-$j" -j "$j")"
done
# One submission with a 200 MB file: the build context is streamed from disk.
mkdir -p "$work/big/student-big"
cp "$work/subs/student01/"* "$work/big/student-big/"
head -c 200000000 /dev/urandom >"$work/big/student-big/blob.bin"
cp -r "$work/subs/student02" "$work/big/"
/usr/bin/time -f %M -o "$work/rss" "$bin" grade --spec "$work/lab.yaml" "$work/big" --out "$work/out-big" >/dev/null 2>&1
rss=$(cat "$work/rss")

python3 - "$n" "$loop" "$lg" "$lg1" "$raw" "$passed" "$(nproc)" "$sweep" "$rss" <<'PY'
import sys
n, loop, lg, lg1, raw, passed, cpus = int(sys.argv[1]), *map(float, sys.argv[2:6]), sys.argv[6], sys.argv[7]
sweep = {int(k): float(v) for k, v in (w.split("=") for w in sys.argv[8].split())}
rss = int(sys.argv[9]) / 1024
over = (lg1 - raw) / n * 1000
print()
print(f"{n} submissions, {cpus} CPUs; labgrade passed {passed} of them (every 4th binds 127.0.0.1)")
print("measure                                          seconds    target")
print(f"bash loop (build, run, sleep 5, curl, rm)        {loop:8.1f}")
print(f"labgrade grade, default -j                       {lg:8.1f}    ratio {lg/loop:.2f} (<= 0.5) {'ok' if lg/loop <= 0.5 else 'MISSED'}")
print(f"labgrade grade -j 1                              {lg1:8.1f}")
print(f"build + start + remove only (bash, sequential)   {raw:8.1f}")
print(f"labgrade overhead per submission                 {over:8.0f} ms (<= 100 ms) {'ok' if over <= 100 else 'MISSED'}")
best = min(sweep, key=sweep.get)
for j, secs in sorted(sweep.items()):
    print(f"labgrade grade -j {j}                              {secs:8.1f}{'    best' if j == best else ''}")
print(f"peak grader memory, a 200 MB file in one submission {rss:5.0f} MiB (<= 100 MiB) {'ok' if rss <= 100 else 'MISSED'}")
PY
