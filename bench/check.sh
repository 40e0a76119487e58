#!/usr/bin/env bash
# Benchmark of `labgrade check` against the bash script people write today.
#
# Sets up a correct lab locally (the sample image, FROM scratch, no registry), then times
# side by side in one hyperfine run:
#   - labgrade check on the five-line spec (passing lab)
#   - the equivalent bash script: docker image inspect, docker inspect, docker port, curl
#   - labgrade check on a failing lab (app bound to 127.0.0.1 inside the container)
# and reports labgrade's peak RSS. Everything it creates is removed at the end.
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
bin=$PWD/target/release/labgrade
id=$$
image=labgrade-bench/app-$id
good=labgrade-bench-good-$id
bad=labgrade-bench-bad-$id
work=$(mktemp -d)
cleanup() {
  docker rm -f "$good" "$bad" >/dev/null 2>&1 || true
  docker rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
good_port=$(free_port)
bad_port=$(free_port)

"$bin" sample-image "$image"
docker run -d --name "$good" -p "$good_port:8088" "$image" >/dev/null
docker run -d --name "$bad" -p "$bad_port:8088" "$image" --listen 127.0.0.1:8088 >/dev/null

spec() {
  cat <<YAML
image: $image
container: $1
ports: ["$2:8088"]
http:
  - get: /
    status: 200
    body_contains: "Hello"
YAML
}
spec "$good" "$good_port" >"$work/good.yaml"
spec "$bad" "$bad_port" >"$work/bad.yaml"

# The same checks as the five-line spec, the way a course's grading script does them.
cat >"$work/check.sh" <<SH
#!/usr/bin/env bash
score=0
docker image inspect $image >/dev/null 2>&1 && score=\$((score+2))
state=\$(docker inspect -f '{{.State.Status}} {{.Config.Image}}' $good 2>/dev/null) && score=\$((score+1))
[ "\${state%% *}" = running ] && score=\$((score+2))
[ "\${state#* }" = "$image" ] && score=\$((score+1))
docker port $good 8088/tcp 2>/dev/null | grep -q ":$good_port\$" && score=\$((score+2))
body=\$(curl -s -m 5 -w '\n%{http_code}' http://localhost:$good_port/)
[ "\${body##*$'\n'}" = 200 ] && grep -q Hello <<<"\$body" && score=\$((score+3))
echo "Score \$score/11"
[ \$score = 11 ]
SH
chmod +x "$work/check.sh"

"$bin" check "$work/good.yaml" >/dev/null
"$work/check.sh" >/dev/null

hyperfine -N --warmup 5 --runs 100 -i \
  -n "labgrade check (passing lab)" "$bin check $work/good.yaml" \
  -n "bash script (docker inspect/port + curl)" "$work/check.sh" \
  --export-json "$work/passing.json" | sed -n '/Benchmark/,$p'

hyperfine -N --warmup 2 --runs 30 -i \
  -n "labgrade check (failing lab: app on 127.0.0.1)" "$bin check --wait 5s $work/bad.yaml" \
  --export-json "$work/failing.json" | sed -n '/Benchmark/,$p'

rss_kib=0
for _ in 1 2 3 4 5; do
  r=$(/usr/bin/time -f '%M' "$bin" check "$work/good.yaml" 2>&1 >/dev/null | tail -1)
  [ "$r" -gt "$rss_kib" ] && rss_kib=$r
done

python3 - "$work/passing.json" "$work/failing.json" "$rss_kib" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["results"]
f = json.load(open(sys.argv[2]))["results"]
lg, sh = p[0]["median"] * 1000, p[1]["median"] * 1000
fail = f[0]["median"] * 1000
rss = int(sys.argv[3]) / 1024
print()
print("summary                                   measured     target")
print(f"labgrade check, passing lab (median)     {lg:7.1f} ms   <= 15 ms   {'ok' if lg <= 15 else 'MISSED'}")
print(f"bash script, same checks (median)        {sh:7.1f} ms")
print(f"speed-up                                 {sh / lg:7.1f} x    >= 8 x     {'ok' if sh / lg >= 8 else 'MISSED'}")
print(f"labgrade check, failing lab (median)     {fail:7.1f} ms   <= 1000 ms {'ok' if fail <= 1000 else 'MISSED'}")
print(f"labgrade peak RSS (max of 5)             {rss:7.1f} MiB  <= 20 MiB  {'ok' if rss <= 20 else 'MISSED'}")
PY
