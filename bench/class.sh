# Sourced by the batch benchmarks (bench/batch.sh, bench/shard.sh, bench/html.sh): the
# class they grade, and the small helpers they share.

# need COMMAND PACKAGE: installs the Debian package when the command is missing.
need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }

# t COMMAND...: the seconds it took, its output dropped.
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

# class WORK BASE N KIND: N submissions in WORK/subs, each a Dockerfile FROM the sample
# image BASE, and the lab's spec in WORK/lab.yaml. KIND `loopback`: every fourth student
# binds to 127.0.0.1, the classic mistake, the others are right. KIND `mixed`: right
# answers, 127.0.0.1, a missing route and a failed build, in turn.
class() {
  local work=$1 base=$2 n=$3 kind=$4 i d rest
  mkdir -p "$work/subs"
  for i in $(seq -w 1 "$n"); do
    d=$work/subs/student$i
    mkdir -p "$d"
    echo "submission $i" >"$d/note.txt"
    case $kind:$((10#$i % 4)) in
      *:0) rest='CMD ["--listen", "127.0.0.1:8088"]' ;;
      mixed:2) rest='CMD ["--route", "/other"]' ;;
      mixed:3) rest='COPY missing.txt /app/' ;;
      *) rest='' ;;
    esac
    printf 'FROM %s\nCOPY note.txt /note.txt\n%s\n' "$base" "$rest" >"$d/Dockerfile"
  done
  cat >"$work/lab.yaml" <<YAML
name: Python app on port 8097
image: nautilus/python-app
container: pythonapp_nautilus
ports: ["8097:8088"]
# The sample image is built here (no registry digest): allowed by name.
allowed_bases: ["$base"]
http:
  - get: /
    status: 200
    body_contains: Hello
YAML
}
need bc bc
