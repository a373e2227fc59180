#!/usr/bin/env bash
# Instructions per `get uuid metadata` in the shipped `appctx serve` (user space, counted
# by valgrind's callgrind), with its default request log, over one keep-alive connection.
# Unlike CPU time, the count does not move with the machine's load, so it shows what a
# change to the request path costs or saves even on a busy machine.
#
#   bash benches/instructions.sh [REQUESTS]     (default 2000; needs valgrind and curl)
#
# Prints the instructions per request, and with CALLGRIND_KEEP=FILE keeps the profile
# (callgrind_annotate FILE) of the measured requests. APPCTX_BIN=PATH measures that
# binary (e.g. one built from an older commit) instead of building this tree's.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
for tool in valgrind callgrind_control curl; do
  command -v "$tool" >/dev/null || { echo "needs $tool (e.g. apt-get install valgrind curl)" >&2; exit 1; }
done
if [ -z "${APPCTX_BIN:-}" ]; then cargo build --release --quiet; fi
dir=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

bin="${APPCTX_BIN:-${CARGO_TARGET_DIR:-target}/release/appctx}"
valgrind --tool=callgrind --callgrind-out-file="$dir/cg.%p" \
  "$bin" serve --listen 127.0.0.1:0 --empty --db "$dir/db" 2>"$dir/err" &
pid=$!
origin=
for _ in $(seq 200); do
  origin=$(grep -o 'App Context on http://[0-9.:]*' "$dir/err" | head -1 | sed 's/App Context on //') || true
  [ -n "$origin" ] && break
  sleep 0.1
done
[ -n "$origin" ] || { echo "appctx serve did not start:" >&2; cat "$dir/err" >&2; exit 1; }

# The record the server bench reads (307 bytes of answer).
curl -sf -o /dev/null -X PATCH "$origin/v2/objects/bench/uuids/user-00042?include=custom,status,type" \
  -H 'content-type: application/json' \
  -d '{"name":"Fatima Brennan","email":"fatima.brennan42@example.com","custom":{"department":"sales","locale":"en-US"},"status":"inactive","type":"member"}'
url="$origin/v2/objects/bench/uuids/user-00042?include=custom,status,type"
# One curl, many URLs: they go one after another on one kept-alive connection.
requests() { for _ in $(seq "$1"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done > "$dir/urls"; curl -sf -K "$dir/urls"; }
requests 300
callgrind_control -z "$pid" >/dev/null 2>&1
requests "$n"
callgrind_control -d "$pid" >/dev/null 2>&1
profile=
for _ in $(seq 100); do
  profile=$(ls "$dir"/cg.*.1 2>/dev/null || true)
  [ -n "$profile" ] && grep -q '^totals:' "$profile" && break
  sleep 0.1
done
[ -n "$profile" ] || { echo "callgrind wrote no profile" >&2; exit 1; }
total=$(awk '/^summary:/ {print $2}' "$profile")
[ -n "${CALLGRIND_KEEP:-}" ] && cp "$profile" "$CALLGRIND_KEEP"
echo "get uuid metadata: $((total / n)) instructions per request in appctx serve (user space; $n requests, $total in all)"
