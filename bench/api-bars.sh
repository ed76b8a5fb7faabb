#!/bin/bash
# The HTTP API bars of issue 4, measured with wrk against a release build.
# Usage: bench/api-bars.sh [SLUICE_BINARY]   (default .build/release/sluice)
# Needs wrk (apt-get install -y wrk). Each part starts a server on a fresh store.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/sluice}
PORT=18081
DATA=$(mktemp -d)
trap 'kill -TERM $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT

# Keys on, as users run it: every request is authenticated and goes through
# the per-key rate limiter (set high enough not to refuse, and loopback not
# exempt, so its code runs).
export SLUICE_API_RATE_LIMIT_PER_MINUTE=100000000 SLUICE_API_RATE_LIMIT_EXEMPT=192.0.2.1/32
start() {
    rm -rf "$DATA"/*
    SLUICE_KEY=$("$BIN" keys create --admin --label bench --data-dir "$DATA" 2>/dev/null | tail -n 1)
    export SLUICE_KEY
    "$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$DATA" > "$DATA.log" 2>&1 &
    PID=$!
    for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/healthz > /dev/null && return; sleep 0.1; done
    echo "the server did not start; see $DATA.log" >&2; exit 1
}
stop() { kill -TERM $PID; wait $PID || true; }
pending() { "$BIN" status --json --data-dir "$DATA" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(t["pending"] for t in s["tenants"]), sum(t["indexed"] for t in s["tenants"]), sum(t["failed"] for t in s["tenants"]))'; }

echo "== publish, small documents, 64 connections, 20 s"
start
wrk -t2 -c64 -d20s --latency -s bench/publish.lua http://127.0.0.1:$PORT | grep -E "Latency|50%|75%|90%|99%|requests in|Socket|Non-2xx|Requests/sec"
stop

# Waits until nothing is pending, then prints what was indexed against what wrk counted.
caught_up() {
    started=$(date +%s)
    while read -r waiting indexed failed < <(pending) && [ "$waiting" -gt 0 ]; do sleep 2; done
    read -r waiting indexed failed < <(pending)
    echo "after the run: $indexed indexed ($1), $waiting pending, $failed failed; caught up in $(( $(date +%s) - started )) s"
}

echo "== batch of 500 documents, one client, 15 s, then every accepted document indexed"
start
wrk -t1 -c1 -d15s --latency -s bench/batch.lua http://127.0.0.1:$PORT | tee "$DATA.wrk" | grep -E "50%|75%|90%|99%|requests in|Non-2xx|Requests/sec"
batches=$(grep "requests in" "$DATA.wrk" | awk '{print $1}')
caught_up "$((batches * 500)) documents in the $batches batches wrk counted, plus a batch still in flight when it stopped"
stop

echo "== 100 clients publishing for 60 s, then every accepted document indexed"
start
wrk -t2 -c100 -d60s --latency -s bench/publish.lua http://127.0.0.1:$PORT | tee "$DATA.wrk" | grep -E "Latency|50%|99%|requests in|Socket|Non-2xx|Requests/sec"
responses=$(grep "requests in" "$DATA.wrk" | awk '{print $1}')
caught_up "$responses responses counted by wrk, plus requests still in flight when it stopped"
stop
