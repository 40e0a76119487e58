#!/usr/bin/env bash
# Time against the number of HTTP checks on servers with a small listen backlog: Python's
# `python3 -m http.server` (backlog 5), busybox httpd (FROM scratch, Debian's static
# busybox) and a Flask app, each in a container built locally (scripts/python-base, no
# registry). For 1, 10 and 100 checks of GET / it reports the
# median of `labgrade check` (hyperfine) and whether every check passed. Everything it
# creates is removed at the end.
#
# Usage: bash bench/probes.sh        (needs a running Docker engine: bash scripts/docker-up)
# Target (issue 14): 100 checks against python -m http.server all pass, <= 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
[ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q static ||
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static file >/dev/null; }
cargo build --release --quiet
bin=$PWD/target/release/labgrade
id=$$
base=labgrade-bench/python-base:$id
work=$(mktemp -d)
cleanup() {
  docker rm -f "labgrade-bench-httpserver-$id" "labgrade-bench-busybox-$id" "labgrade-bench-flask-$id" >/dev/null 2>&1 || true
  docker rmi -f "labgrade-bench/httpserver:$id" "labgrade-bench/busybox:$id" "labgrade-bench/flask:$id" "$base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
bash scripts/python-base "$base" >/dev/null
mkdir -p "$work/hs" "$work/fl" "$work/bb/www"
cp /bin/busybox "$work/bb/busybox"
echo hello >"$work/bb/www/index.html"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "8088", "-h", "/www"]\n' > "$work/bb/Dockerfile"
printf 'FROM %s\nWORKDIR /srv\nRUN echo hello > index.html\nCMD ["python3", "-m", "http.server", "8088"]\n' "$base" > "$work/hs/Dockerfile"
printf 'from flask import Flask\napp = Flask(__name__)\n@app.route("/")\ndef hi():\n    return "hello"\napp.run(host="0.0.0.0", port=8088)\n' > "$work/fl/app.py"
printf 'FROM %s\nRUN pip install --no-cache-dir flask\nCOPY app.py /app.py\nCMD ["python3", "/app.py"]\n' "$base" > "$work/fl/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "labgrade-bench/httpserver:$id" "$work/hs" >/dev/null
DOCKER_BUILDKIT=0 docker build -q -t "labgrade-bench/flask:$id" "$work/fl" >/dev/null
DOCKER_BUILDKIT=0 docker build -q -t "labgrade-bench/busybox:$id" "$work/bb" >/dev/null
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
hs_port=$(port); fl_port=$(port); bb_port=$(port)
docker run -d --name "labgrade-bench-httpserver-$id" -p "$hs_port:8088" "labgrade-bench/httpserver:$id" >/dev/null
docker run -d --name "labgrade-bench-flask-$id" -p "$fl_port:8088" "labgrade-bench/flask:$id" >/dev/null
docker run -d --name "labgrade-bench-busybox-$id" -p "$bb_port:8088" "labgrade-bench/busybox:$id" >/dev/null
sleep 2
printf '\n%-12s %6s %12s %8s\n' server checks median passed
for server in httpserver busybox flask; do
  case $server in httpserver) p=$hs_port ;; busybox) p=$bb_port ;; flask) p=$fl_port ;; esac
  for n in 1 10 100; do
    spec="$work/$server-$n.yaml"
    {
      printf 'container: labgrade-bench-%s-%s\nports: ["%s:8088"]\nhttp:\n' "$server" "$id" "$p"
      for i in $(seq 1 "$n"); do printf '  - get: /?n=%s\n    status: 200\n    body_contains: hello\n' "$i"; done
    } > "$spec"
    hyperfine -N -i -w 1 -r 5 --export-json "$work/t.json" "$bin check $spec -f json" >/dev/null 2>&1
    json=$(cat "$work/t.json")
    median=$(printf '%s' "$json" | python3 -c 'import json,sys; print("%.0f ms" % (json.load(sys.stdin)["results"][0]["median"]*1000))')
    passed=$("$bin" check "$spec" -f json | python3 -c 'import json,sys; r=json.load(sys.stdin); print("%d/%d" % (r["score"], r["max_score"]))' || true)
    printf '%-12s %6s %12s %8s\n' "$server" "$n" "$median" "$passed"
  done
done
