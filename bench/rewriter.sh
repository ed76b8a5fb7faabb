#!/bin/bash
# A file in a watched tenant appended to every 25 ms for 10 s under `sluice run --watch`;
# prints the writes and how many times the document was processed.
# Usage: bench/rewriter.sh [SLUICE_BINARY]   (default .build/release/sluice; needs python3)
BIN=${1:-.build/release/sluice}; BIN=$(realpath "$BIN"); D=$(mktemp -d); mkdir -p $D/files/acme $D/data
echo "start" > $D/files/acme/app.log
SLUICE_DATA_DIR=$D/data $BIN run $D/files --watch > $D/log 2>&1 &
PID=$!
sleep 3
python3 - "$D/files/acme/app.log" <<'PY'
import sys,time
p=sys.argv[1]; end=time.time()+10; i=0
while time.time()<end:
    with open(p,'a') as f: f.write(f"line {i}\n")
    i+=1; time.sleep(0.025)
print("writes:", i)
PY
sleep 3
python3 -c 'import sqlite3,sys; print("processings:", sqlite3.connect(sys.argv[1]).execute("SELECT processings FROM documents WHERE doc_id = ?", ("app.log",)).fetchone()[0])' "$D/data/sluice.sqlite"
kill -INT $PID; wait $PID 2>/dev/null; rm -rf $D
