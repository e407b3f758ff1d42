#!/usr/bin/env bash
# `make bench B=<name> [ARGS="…"]`: one benchmark of bench/<name>/ on the services of scripts/services.sh, which it
# starts (and leaves running: benchmarks are run one after another by hand). Without a name: the list.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-}
shift || true
if [ -z "$name" ]; then
  echo "usage: make bench B=<name> [ARGS=\"…\"]   (figures and how to read them: bench/README.md, docs/benchmarks.md)"
  for dir in bench/*/; do
    dir=${dir%/}; [ "$dir" = bench/data ] && continue
    echo "  ${dir#bench/}"
  done
  exit 0
fi
script=bench/$name/run.py
[ -f "$script" ] || script=$(ls bench/"$name"/*.py 2>/dev/null | head -1)
[ -n "$script" ] && [ -f "$script" ] || { echo "no benchmark bench/$name" >&2; exit 2; }
scripts/services.sh start >/dev/null
set -a
# shellcheck disable=SC1091
. var/services.env
set +a
exec .venv/bin/python "$script" "$@"
