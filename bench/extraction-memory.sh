#!/bin/bash
# Peak memory of `sluice run` on one 20 MiB file built to blow extraction up
# (issue 12: "a 20 MiB CSV or Markdown file must not cost a gigabyte").
# Usage: bench/extraction-memory.sh [SLUICE_BINARY]   (default .build/release/sluice)
# Fails when a run does not end as expected (indexed, or skipped with the expansion reason).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-.build/release/sluice}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
python3 - <<'PY'
import os
N = 20 * 1024 * 1024
def write(name, data):
    os.makedirs(os.path.dirname(name), exist_ok=True)
    with open(name, "w") as f:
        f.write(data)
write("commas/t/a.csv", "h\n" + "," * (N - 2))
header = ",".join("c" + "x" * 1000 + str(i) for i in range(1000))
row = ",".join("y" for _ in range(1000))
write("labels/t/a.csv", header + "\n" + "\n".join([row] * ((N - len(header)) // len(row))))
write("arrays/t/a.json", "[" + ",".join(["[]"] * (N // 3)) + "]")
write("paths/t/a.json", '{"' + "k" * 1000 + '":' * 1 + ('{"' + "k" * 1000 + '":') * 49 + "[" + ",".join(['"y"'] * (N // 4)) + "]" + "}" * 50)
write("markdown/t/a.md", ("# Heading\n\n" + "word " * 200 + "\n\n") * (N // 1012))
PY
status=0
printf "%-10s %10s %8s  %s\n" input "peak MB" "wall s" outcome
for name in commas labels arrays paths markdown; do
    /usr/bin/time -f "%M %e" -o "$name.time" "$BIN" run "$name" --data-dir "data-$name" --quiet --json > "$name.json" || true
    read -r kb seconds < <(tail -n 1 "$name.time")  # a killed run adds a line before the figures
    outcome=$(python3 -c '
import json, sys
try:
    s = json.load(open(sys.argv[1]))
except ValueError:
    print("FAILED: no summary (the run was killed or crashed)")
    sys.exit()
print("indexed" if s["indexed"] == 1 else "skipped: " + next(iter(s["skipReasons"]), "?") if s["skipped"] == 1 else "FAILED")' "$name.json")
    printf "%-10s %10.0f %8s  %s\n" "$name" "$((kb / 1024))" "$seconds" "$outcome"
    case "$name:$outcome" in
        commas:indexed|arrays:indexed|markdown:indexed) ;;
        labels:skipped*|paths:skipped*) ;;
        *) status=1 ;;
    esac
done
exit $status
