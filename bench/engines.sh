#!/usr/bin/env bash
# Benchmark of a failing lab's diagnosis where the evidence is poorer (issue 14): the app
# bound to 127.0.0.1 inside its container, graded by `labgrade check`
#   - beside the local daemon (the socket table read from /proc),
#   - in a PID namespace of its own (`unshare --pid --fork --mount-proc`, the containers'
#     processes hidden as on Docker Desktop: the table read with `docker exec cat`, or the
#     log for a FROM scratch image that has no cat),
#   - against Podman's Docker-compatible API (`podman system service`),
# each for an image with cat and one without. Reports hyperfine's median and the cause id
# each gave (they must agree). Everything it creates is removed at the end.
#
# Usage: bash bench/engines.sh       (root; a running Docker engine: bash scripts/docker-up;
#                                      podman: scripts/test-tools installs it)
# Target: failing-lab diagnosis <= 1 s in each environment.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
cargo build --release --quiet
bin=$PWD/target/release/labgrade
id=$$
work=$(mktemp -d)
base=labgrade-bench/engines-$id:scratch
cat_image=labgrade-bench/engines-$id:cat
pm_pid=""
cleanup() {
  docker rm -f "lg-bench-eng-scratch-$id" "lg-bench-eng-cat-$id" >/dev/null 2>&1 || true
  docker rmi -f "$cat_image" "$base" >/dev/null 2>&1 || true
  if [ -n "$pm_pid" ]; then
    DOCKER_HOST= podman rm -f -t 0 "lg-bench-eng-scratch-$id" "lg-bench-eng-cat-$id" >/dev/null 2>&1 || true
    podman rmi -f "localhost/$cat_image" "localhost/$base" >/dev/null 2>&1 || true
    kill "$pm_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" sample-image "$base" >/dev/null
mkdir -p "$work/cat"
cp /bin/cat "$work/cat/cat"
printf 'FROM %s\nCOPY cat /bin/cat\n' "$base" >"$work/cat/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$cat_image" "$work/cat" >/dev/null

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A ports
for kind in scratch cat; do
  image=$base; [ "$kind" = cat ] && image=$cat_image
  ports[$kind]=$(port)
  docker run -d --name "lg-bench-eng-$kind-$id" -p "${ports[$kind]}:8088" "$image" --listen 127.0.0.1:8088 >/dev/null
  printf 'container: lg-bench-eng-%s-%s\nports: ["%s:8088"]\nhttp:\n  - get: /\n' "$kind" "$id" "${ports[$kind]}" >"$work/$kind.yaml"
done

envs=(local hidden-pids)
if command -v podman >/dev/null; then
  podman system service --time=0 "unix://$work/podman.sock" >/dev/null 2>&1 &
  pm_pid=$!
  for _ in $(seq 100); do [ -S "$work/podman.sock" ] && break; sleep 0.05; done
  for kind in scratch cat; do
    image=$base; [ "$kind" = cat ] && image=$cat_image
    docker save "$image" | podman load >/dev/null
    ports[pm-$kind]=$(port)
    podman run -d --name "lg-bench-eng-$kind-$id" -p "${ports[pm-$kind]}:8088" "localhost/$image" --listen 127.0.0.1:8088 >/dev/null
    printf 'container: lg-bench-eng-%s-%s\nports: ["%s:8088"]\nhttp:\n  - get: /\n' "$kind" "$id" "${ports[pm-$kind]}" >"$work/pm-$kind.yaml"
  done
  envs+=(podman)
fi
sleep 1

command_for() { # env kind
  case $1 in
    local) echo "$bin check $work/$2.yaml --format json" ;;
    hidden-pids) echo "unshare --pid --fork --mount-proc $bin check $work/$2.yaml --format json" ;;
    podman) echo "env DOCKER_HOST=unix://$work/podman.sock $bin check $work/pm-$2.yaml --format json" ;;
  esac
}
printf '\n%-12s %-8s %10s  %s\n' environment image median cause
worst=0
for env in "${envs[@]}"; do
  for kind in cat scratch; do
    cmd=$(command_for "$env" "$kind")
    hyperfine -N -i -w 1 -r 5 --export-json "$work/t.json" "$cmd" >/dev/null 2>&1
    ms=$(python3 -c 'import json,sys; print("%.0f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$work/t.json")
    cause=$($cmd 2>/dev/null | python3 -c 'import json,sys; r=json.load(sys.stdin); print(",".join(sorted({f["cause_id"] for f in r["findings"] if f.get("cause_id")})))' || true)
    printf '%-12s %-8s %7s ms  %s\n' "$env" "$kind" "$ms" "$cause"
    [ "$ms" -gt "$worst" ] && worst=$ms
  done
done
echo
if [ "$worst" -le 1000 ]; then status=ok; else status=MISSED; fi
echo "target: failing-lab diagnosis <= 1 s in each environment: slowest ${worst} ms  $status"
