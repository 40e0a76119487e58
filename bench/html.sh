#!/usr/bin/env bash
# Benchmark of the class report (issue 16): what writing index.html and the students'
# pages adds to a grading run, and how a class of 500 loads in headless Chromium.
#
#   1. A real `labgrade grade` of a small class (N submissions, default 8, FROM the sample
#      image built locally: right answers, the 127.0.0.1 mistake, a missing route, a
#      failed build). Writing the report is timed on its own (`labgrade report` on that
#      folder, which redoes exactly what `grade` does at its end) against the whole run.
#   2. A class of 500 synthesised from that run's recorded reports (each student a copy
#      of one of the real ones, under a new name): `labgrade report` timed, the size of
#      index.html, and Chromium's load of it (--dump-dom, which returns once the page is
#      parsed, laid out and its script has run) against the load of an empty page, the
#      browser's own start; the best of 9 loads each, as the machines are shared.
#
# Usage: bash bench/html.sh [N]        (needs a running Docker engine: bash scripts/docker-up)
# Targets: index.html of 500 students loads in < 1 s and weighs < 2 MB; writing the
# report adds < 5% to a grading run.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-8}
class=500

source bench/class.sh
need hyperfine hyperfine
need chromium chromium

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/labgrade
work=$(mktemp -d)
base=labgrade-bench/html-base-$$
cleanup() {
  "$bin" clean >/dev/null 2>&1 || true
  docker rmi -f "$base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" sample-image "$base" >/dev/null
class "$work" "$base" "$n" mixed


echo "grading $n submissions for real…"
grade=$(t "$bin" grade --spec "$work/lab.yaml" "$work/subs" --out "$work/small")
[ -f "$work/small/index.html" ] || { echo "grade wrote no index.html" >&2; exit 1; }
hyperfine --warmup 1 --runs 10 --export-json "$work/write-small.json" \
  "$bin report $work/small" >/dev/null 2>&1

echo "synthesising a class of $class from the recorded reports…"
python3 - "$work/small" "$work/big" "$class" <<'PY'
import json, os, shutil, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for d in ["results", "reports/instructor", "logs"]:
    os.makedirs(os.path.join(dst, d), exist_ok=True)
recorded = sorted(f[:-5] for f in os.listdir(os.path.join(src, "results")) if f.endswith(".json"))
book = json.load(open(os.path.join(src, "gradebook.json")))
students = []
for i in range(n):
    model = recorded[i % len(recorded)]
    name = f"s{i + 1:04d}"
    r = json.load(open(os.path.join(src, "results", model + ".json")))
    r["student"], r["name"] = name, f"Student {i + 1}"
    json.dump(r, open(os.path.join(dst, "results", name + ".json"), "w"))
    students.append(r)
    for sub in ["reports/instructor/{}.json", "reports/{}.json", "logs/{}.build.log"]:
        p = os.path.join(src, sub.format(model))
        if os.path.exists(p):
            shutil.copy(p, os.path.join(dst, sub.format(name)))
book["students"] = students
json.dump(book, open(os.path.join(dst, "gradebook.json"), "w"))
PY
hyperfine --warmup 1 --runs 5 --export-json "$work/write-big.json" \
  "$bin report $work/big" >/dev/null 2>&1
size=$(stat -c %s "$work/big/index.html")

echo '<!DOCTYPE html><title>empty</title>' >"$work/empty.html"
browse() {
  echo "chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking --host-resolver-rules='MAP * ~NOTFOUND' --user-data-dir=$work/profile --dump-dom file://$1"
}
hyperfine --warmup 1 --runs 9 --export-json "$work/browse.json" \
  "$(browse "$work/empty.html")" "$(browse "$work/big/index.html")" >/dev/null 2>&1

python3 - "$n" "$grade" "$work" "$size" "$class" <<'PY'
import json, sys
n, grade, work, size, cls = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
stat = lambda f, i=0, k="mean": json.load(open(f"{work}/{f}"))["results"][i][k]
small, big = stat("write-small.json"), stat("write-big.json")
# The browser's fastest of 9 loads: the machine is shared, and a busy moment only adds.
empty, page = stat("browse.json", 0, "min"), stat("browse.json", 1, "min")
share = small / grade * 100
load = page - empty
ok = lambda b: "ok" if b else "MISSED"
print()
print(f"measure                                                   value        target")
print(f"labgrade grade of {n} submissions (report included)          {grade:8.2f} s")
print(f"writing the report of those {n} (labgrade report)           {small * 1000:8.1f} ms   {share:.2f}% of the run (< 5%) {ok(share < 5)}")
print(f"labgrade report of {cls} students (index + {cls} pages)      {big * 1000:8.1f} ms")
print(f"index.html of {cls} students                                {size / 1e6:8.2f} MB   (< 2 MB) {ok(size < 2e6)}")
print(f"chromium --dump-dom of an empty page (its start), best    {empty:8.2f} s")
print(f"chromium --dump-dom of index.html ({cls} students), best    {page:8.2f} s")
print(f"loading index.html beyond the browser's start              {load:8.2f} s    (< 1 s) {ok(load < 1)}")
PY
