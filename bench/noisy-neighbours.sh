#!/bin/bash
# What one tenant's polling and searching does to another tenant's searches
# (embedded index, keys on, the default rate limit of 10,000 requests a minute per key, loopback not exempt
# from it, as a remote client), against a release build.
# Usage: bench/noisy-neighbours.sh [SLUICE_BINARY] [FILES]   (defaults .build/release/sluice, 100000)
# Needs wrk (apt-get install -y wrk). Builds the store with `sluice bench --files FILES --tenants 2 --keep`
# (tenant-0 and tenant-1, half the files each), then times 40 searches of tenant-0, one at a time: idle,
# while tenant-1 polls its progress on 16 connections, and while tenant-1 searches on 16 connections.
# CONNECTIONS=N sets tenant-1's connections; SEARCH_FILTER=1 makes its searches filter by an attribute no document
# has (each then reads all of its documents' attributes); SLUICE_API_RATE_LIMIT_PER_MINUTE passes to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/sluice}
FILES=${2:-100000}
PORT=18082
KEPT=$("$BIN" bench --files "$FILES" --tenants 2 --keep | tee /dev/stderr | sed -n 's/^kept //p')
DATA="$KEPT/data"
export SLUICE_API_RATE_LIMIT_EXEMPT=192.0.2.1/32
trap 'kill -TERM $PID 2>/dev/null || true; rm -rf "$KEPT"' EXIT
QUIET=$("$BIN" keys create --tenant tenant-0 --label quiet --data-dir "$DATA" 2>/dev/null | tail -n 1)
NOISY=$("$BIN" keys create --tenant tenant-1 --label noisy --data-dir "$DATA" 2>/dev/null | tail -n 1)
"$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$DATA" > "$KEPT/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/healthz > /dev/null && break; sleep 0.1; done

# One search of tenant-0: prints its time; fails unless it answers 200 with hits.
search() {
    out=$(curl -s -w '\n%{http_code} %{time_total}' -H "Authorization: Bearer $QUIET" -H 'Content-Type: application/json' \
        -d "{\"tenant\":\"tenant-0\",\"query\":\"note about item $1\",\"k\":10}" http://127.0.0.1:$PORT/v1/search)
    read -r code seconds <<< "$(tail -n 1 <<< "$out")"
    [ "$code" = 200 ] && grep -q '"docId"' <<< "$out" || { echo "check failed: a search of tenant-0 answered $code: $out" >&2; exit 1; }
    echo "$seconds"
}
summary() { python3 -c 'import sys; v=sorted(float(x)*1000 for x in sys.stdin); print("median %.1f ms, p90 %.1f ms, max %.1f ms (%d searches)" % (v[len(v)//2], v[int(len(v)*0.9)], v[-1], len(v)))'; }
searches() { for i in $(seq 40); do search "$i"; sleep 0.05; done | summary; }
# Runs wrk as tenant-1 in the background for 14 s; `flooded` reports its answers.
flood() {
    SLUICE_KEY=$NOISY wrk -t2 -c"${CONNECTIONS:-16}" -d14s --latency "$@" > "$KEPT/wrk.txt" &
    WRK=$!
    sleep 2
}
flooded() {
    wait $WRK
    refused=$(grep -E 'Non-2xx' "$KEPT/wrk.txt" | awk '{print $NF}' || true)
    echo "  tenant-1: $(grep -E 'requests in' "$KEPT/wrk.txt" | awk '{print $1}') answers, ${refused:-0} of them refused (429: its limits), p99 $(grep -E '^ +99%' "$KEPT/wrk.txt" | awk '{print $2}')"
}

search warm > /dev/null
echo "== tenant-0's searches, idle: $(searches)"
flood -s bench/progress.lua http://127.0.0.1:$PORT
echo "== while tenant-1 polls GET /v1/tenants/tenant-1/progress: $(searches)"
flooded
flood -s bench/search.lua http://127.0.0.1:$PORT
echo "== while tenant-1 searches: $(searches)"
flooded
