#!/bin/bash
# One tenant's folders against the inotify watches every tenant shares, against a release build.
# Usage: bench/watch-budget.sh [SLUICE_BINARY] [HOG_FOLDERS] [KERNEL_LIMIT]   (defaults .build/release/sluice, 3000, 2000)
# Tenant hog holds HOG_FOLDERS folders (a file in each), tenant quiet one file. `sluice run DIR --watch --listen` runs
# in its own user namespace (`unshare -r`) whose max_inotify_watches is KERNEL_LIMIT (nothing changes outside it),
# once with SLUICE_TENANT_MAX_WATCHED_FOLDERS at its default and once at 0 (no budget: every folder is watched while
# the kernel lets it; the tenants with folders left unwatched are rescanned every minute). Once everything is indexed,
# quiet makes a new folder and writes a file in it, ten times with the budget and three without, 1.5 s apart; each prints the time
# from the write until the API says the document is indexed (polled every 5 ms, given up after 90 s). Fails when a
# document is not indexed in time with the budget on, or the corpus is not.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-.build/release/sluice}")
FOLDERS=${2:-3000}
LIMIT=${3:-2000}
WORK=$(mktemp -d /tmp/sluice-watch-budget.XXXXXX)
PID=
trap '[ -n "$PID" ] && kill -TERM $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

python3 - "$WORK/corpus" "$FOLDERS" <<'PY'
import os, sys
root, folders = sys.argv[1], int(sys.argv[2])
for index in range(folders):
    os.makedirs(f"{root}/hog/d{index:05}")
    with open(f"{root}/hog/d{index:05}/doc.md", "w") as out:
        out.write(f"# Folder {index}\n\nA note in folder {index} of the tenant with many folders.\n")
os.makedirs(f"{root}/quiet")
with open(f"{root}/quiet/start.md", "w") as out:
    out.write("# Start\n\nThe quiet tenant's first note.\n")
PY

# Runs one watch session; prints the ten times (ms) and what the log said of unwatched folders.
session() {
    local budget=$1 port=$2 rounds=$3 data="$WORK/data-$1"
    rm -rf "$WORK/corpus/quiet"/new-*
    SLUICE_TENANT_MAX_WATCHED_FOLDERS=$budget unshare -r sh -c \
        'echo "$4" > /proc/sys/user/max_inotify_watches && exec "$0" run "$1" --watch --listen "127.0.0.1:$2" --data-dir "$3"' \
        "$BIN" "$WORK/corpus" "$port" "$data" "$LIMIT" > "$WORK/watch-$budget.log" 2>&1 &
    PID=$!
    python3 - "$port" "$WORK/corpus/quiet" "$FOLDERS" "$budget" "$rounds" <<'PY'
import json, os, sys, time, urllib.request
port, quiet, folders, budget, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
base = f"http://127.0.0.1:{port}/v1/tenants"
def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=5) as reply:
            return json.load(reply)
    except Exception:
        return None
deadline = time.time() + 300
while True:
    hog, q = get("/hog/progress"), get("/quiet/progress")
    if hog and q and hog.get("indexed") == folders and q.get("indexed") == 1:
        break
    if time.time() > deadline:
        sys.exit(f"check failed: the corpus was not indexed in 300 s (hog {hog and hog.get('indexed')}, quiet {q and q.get('indexed')})")
    time.sleep(0.1)
times = []
for round in range(rounds):
    time.sleep(1.5)  # at idle: a tenant with several changes a second gets the longer settle window of a busy folder
    folder = f"{quiet}/new-{round}"
    os.mkdir(folder)
    time.sleep(0.05)  # the folder's own event first: its watch (or not) is then in place
    written = time.time()
    with open(f"{folder}/doc.md", "w") as out:
        out.write(f"# New {round}\n\nA note written into a new folder of the quiet tenant, round {round}.\n")
    doc = f"/quiet/documents/new-{round}%2Fdoc.md"
    while True:
        state = get(doc)
        if state and state.get("status") == "indexed":
            times.append((time.time() - written) * 1000)
            break
        if time.time() - written > 90:
            times.append(None)
            break
        time.sleep(0.005)
shown = ", ".join("not in 90 s" if t is None else f"{t:.0f}" for t in times)
print(f"SLUICE_TENANT_MAX_WATCHED_FOLDERS={budget}: a file in quiet's new folder indexed after (ms): {shown}")
if budget != "0" and None in times:
    sys.exit("check failed: with the budget on, a file in another tenant's new folder was not indexed in 90 s")
PY
    kill -TERM $PID
    wait $PID || true
    PID=
    grep -o 'cannot watch [^:]*: [^;]*' "$WORK/watch-$budget.log" | sed "s|$WORK/corpus/||" | cut -c1-160 | sort | uniq -c | head -5
}

echo "corpus: tenant hog with $FOLDERS folders, tenant quiet with 1; the kernel's limit: $LIMIT watches"
session 10000 $((20000 + RANDOM % 10000)) 10
session 0 $((30000 + RANDOM % 10000)) 3
