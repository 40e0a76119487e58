#!/usr/bin/env bash
# Benchmark of `labgrade check` against the bash script people write today.
#
# Sets up one lab per kind locally (the sample image, FROM scratch, no registry) --
# passing, app bound to 127.0.0.1, exited, published on the wrong host port, missing
# route, and two that need the extra evidence of issue 18: an app whose code binds
# 127.0.0.1 (app.py read from the image, warm and cold file cache) and a container that
# was removed (the daemon's events read) -- and times, side by side in one run per kind, `labgrade check` on the five-line
# spec and the equivalent bash script (docker image inspect, docker inspect, docker port,
# curl). Reports labgrade's peak RSS. Everything it creates is removed at the end.
#
# Usage: bash bench/check.sh            (needs a running Docker engine: bash scripts/docker-up)
# Targets (issue 2): passing check <= 15 ms median, >= 8x faster than the bash script,
# peak RSS <= 20 MiB. Failing lab (issue 3): full report in <= 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need hyperfine hyperfine
need curl curl
[ -x /usr/bin/time ] || need /usr/bin/time time

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/labgrade
id=$$
image=labgrade-bench/app-$id
work=$(mktemp -d)
kinds=(passing loopback exited wrong-host-port missing-route code-loopback code-loopback-cold removed)
code_image=labgrade-bench/code-$id
cleanup() {
  for k in "${kinds[@]}"; do docker rm -f "labgrade-bench-$k-$id" >/dev/null 2>&1 || true; done
  docker rmi -f "$code_image" "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$bin" sample-image "$image"
# A Flask app whose code binds 127.0.0.1: the sample app stands in for python app.py.
mkdir -p "$work/code"
printf 'from flask import Flask\napp = Flask(__name__)\n\n@app.route("/")\ndef index():\n    return "Hello"\n\nif __name__ == "__main__":\n    app.run(host="127.0.0.1", port=8088)\n' >"$work/code/app.py"
printf 'FROM %s\nWORKDIR /app\nCOPY app.py .\nCMD ["app.py"]\n' "$image" >"$work/code/Dockerfile"
docker build -q -t "$code_image" "$work/code" >/dev/null
# The image files cache (by image id): warm for code-loopback, emptied before every run
# of code-loopback-cold.
export LABGRADE_CACHE_DIR=$work/cache
# One lab per kind: the spec wants host port $port -> 8088; each container gets it wrong
# in its own way.
for k in "${kinds[@]}"; do
  name=labgrade-bench-$k-$id
  port=$(free_port)
  case $k in
    passing)         docker run -d --name "$name" -p "$port:8088" "$image" ;;
    loopback)        docker run -d --name "$name" -p "$port:8088" "$image" --listen 127.0.0.1:8088 ;;
    exited)          docker run -d --name "$name" -p "$port:8088" "$image" --crash "ModuleNotFoundError: No module named 'flask'" ;;
    wrong-host-port) docker run -d --name "$name" -p "$(free_port):8088" "$image" ;;
    missing-route)   docker run -d --name "$name" -p "$port:8088" "$image" --route /ping ;;
    code-loopback*)  docker run -d --name "$name" -p "$port:8088" "$code_image" ;;
    removed)         docker run -d --name "$name" -p "$port:8088" "$image" && docker rm -f "$name" ;;
  esac >/dev/null
  lab_image=$image
  case $k in code-loopback*) lab_image=$code_image ;; esac
  cat >"$work/$k.yaml" <<YAML
image: $lab_image
container: $name
ports: ["$port:8088"]
http:
  - get: /
    status: 200
    body_contains: "Hello"
YAML
  # The same checks as the five-line spec, the way a course's grading script does them.
  cat >"$work/$k.sh" <<SH
#!/usr/bin/env bash
score=0
docker image inspect $lab_image >/dev/null 2>&1 && score=\$((score+2))
state=\$(docker inspect -f '{{.State.Status}} {{.Config.Image}}' $name 2>/dev/null) && score=\$((score+1))
[ "\${state%% *}" = running ] && score=\$((score+2))
[ "\${state#* }" = "$lab_image" ] && score=\$((score+1))
docker port $name 8088/tcp 2>/dev/null | grep -q ":$port\$" && score=\$((score+2))
body=\$(curl -s -m 5 -w '\n%{http_code}' http://localhost:$port/)
[ "\${body##*$'\n'}" = 200 ] && grep -q Hello <<<"\$body" && score=\$((score+3))
echo "Score \$score/11"
[ \$score = 11 ]
SH
  chmod +x "$work/$k.sh"
done
sleep 1 # let the crashing one exit, so each kind is what it says

for k in "${kinds[@]}"; do
  prepare=true
  [ "$k" = code-loopback-cold ] && prepare="rm -rf $work/cache"
  hyperfine -N --warmup 3 --runs 40 -i --prepare "$prepare" \
    -n "labgrade $k" "$bin check --wait 5s $work/$k.yaml" \
    -n "bash $k" "$work/$k.sh" \
    --export-json "$work/$k.json" >/dev/null 2>&1
done

rss_kib=0
for _ in 1 2 3 4 5; do
  r=$(/usr/bin/time -f '%M' "$bin" check "$work/passing.yaml" 2>&1 >/dev/null | tail -1)
  [ "$r" -gt "$rss_kib" ] && rss_kib=$r
done

python3 - "$work" "$rss_kib" "${kinds[@]}" <<'PY'
import json, sys
work, rss, kinds = sys.argv[1], int(sys.argv[2]) / 1024, sys.argv[3:]
print()
print("lab                 labgrade (median)   bash script (median)   speed-up")
med = {}
for k in kinds:
    r = json.load(open(f"{work}/{k}.json"))["results"]
    lg, sh = r[0]["median"] * 1000, r[1]["median"] * 1000
    med[k] = lg
    print(f"{k:<18} {lg:10.1f} ms       {sh:10.1f} ms        {sh / lg:6.1f}x")
p = json.load(open(f"{work}/passing.json"))["results"]
lg, sh = p[0]["median"] * 1000, p[1]["median"] * 1000
worst = max(v for k, v in med.items() if k != "passing")
print()
print("target                                   measured     status")
print(f"passing lab, labgrade median <= 15 ms    {lg:7.1f} ms   {'ok' if lg <= 15 else 'MISSED'}")
print(f"passing lab, >= 8x the bash script       {sh / lg:7.1f} x    {'ok' if sh / lg >= 8 else 'MISSED'}")
print(f"slowest failing lab <= 1000 ms           {worst:7.1f} ms   {'ok' if worst <= 1000 else 'MISSED'}")
print(f"peak RSS <= 20 MiB                       {rss:7.1f} MiB  {'ok' if rss <= 20 else 'MISSED'}")
PY
