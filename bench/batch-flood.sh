#!/bin/bash
# What one key gets when it sends batches of 500 as fast as it can: the documents
# accepted against what the rate limit allows (SLUICE_API_RATE_LIMIT_PER_MINUTE counts
# each document of a batch; a batch may leave the key's bucket in debt, and no batch
# is admitted while it is), and what the flood does to another tenant publishing 100
# documents a second (bench/quiet-publisher.py), measured alone and during the flood.
# Loopback is not exempt, as for a remote client.
# Usage: bench/batch-flood.sh [SLUICE_BINARY] [SECONDS]   (defaults .build/release/sluice, 20)
# Needs wrk (apt-get install -y wrk). RATE=N sets the limit (default 10,000 a minute).
# FLOOD=large: the key publishes large documents instead (LARGE_KIB KiB each, default
# 4096, bench/large.lua), each counting once per 64 KiB of content begun.
# Exits 1 when more was accepted than the limit allows.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/sluice}
SECONDS_RUN=${2:-20}
RATE=${RATE:-10000}
FLOOD=${FLOOD:-batch}
export LARGE_KIB=${LARGE_KIB:-4096}
case $FLOOD in
    batch) SCRIPT=bench/batch.lua; UNITS=1; LARGEST=500; WHAT="batches of 500" ;;
    large) SCRIPT=bench/large.lua; UNITS=$(( (LARGE_KIB + 63) / 64 )); LARGEST=$UNITS; WHAT="documents of $LARGE_KIB KiB" ;;
    *) echo "FLOOD must be batch or large" >&2; exit 2 ;;
esac
PORT=18083
DATA=$(mktemp -d)
trap 'kill -TERM $PID 2>/dev/null || true; rm -rf "$DATA" "$DATA.log" "$DATA.wrk"' EXIT
export SLUICE_API_RATE_LIMIT_PER_MINUTE=$RATE SLUICE_API_RATE_LIMIT_EXEMPT=192.0.2.1/32
SLUICE_KEY=$("$BIN" keys create --tenant batch --label flood --data-dir "$DATA" 2>/dev/null | tail -n 1)
export SLUICE_KEY
QUIET=$("$BIN" keys create --tenant quiet --label quiet --data-dir "$DATA" 2>/dev/null | tail -n 1)
"$BIN" serve --listen 127.0.0.1:$PORT --data-dir "$DATA" > "$DATA.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$PORT/healthz > /dev/null && break; sleep 0.1; done
QUIET_COUNT=$(( SECONDS_RUN > 5 ? (SECONDS_RUN - 4) * 100 : 100 ))
echo "== tenant quiet alone: $QUIET_COUNT publishes at 100 a second"
python3 bench/quiet-publisher.py "$QUIET" $PORT $QUIET_COUNT
echo "== tenant batch: $WHAT on 4 connections, $SECONDS_RUN s, limit $RATE documents or requests a minute; tenant quiet meanwhile"
wrk -t1 -c4 -d${SECONDS_RUN}s -s $SCRIPT http://127.0.0.1:$PORT > "$DATA.wrk" &
WRK=$!
sleep 2
python3 bench/quiet-publisher.py "$QUIET" $PORT $QUIET_COUNT
wait $WRK
grep -E "requests in|Non-2xx|Requests/sec" "$DATA.wrk"
accepted=$("$BIN" status --json --data-dir "$DATA" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(t["pending"] + t["indexed"] + t["failed"] for t in s["tenants"] if t["tenant"] == "batch"))')
python3 - "$accepted" "$RATE" "$SECONDS_RUN" "$UNITS" "$LARGEST" <<'PY'
import sys
accepted, rate, seconds, units, largest = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
# The rate over the run (and a second more: wrk's run overshoots a little), a second's burst,
# and the one request that may put the bucket in debt.
allowed = rate * (seconds + 1) / 60 + rate / 60 + largest
counted = accepted * units
ok = 0 < counted <= allowed
print(f"check: documents accepted within the limit: {'ok' if ok else 'FAILED'} ({accepted:,} accepted, counting {counted:,}; the limit allows {allowed:,.0f})")
sys.exit(0 if ok else 1)
PY
