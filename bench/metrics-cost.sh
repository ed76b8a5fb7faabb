#!/bin/bash
# What collecting metrics costs (issue 6 bar: under 3% of onboarding throughput).
# Runs `sluice bench --files N` RUNS times with metrics on and RUNS times with
# SLUICE_METRICS=off, in alternating order, and compares the medians of the cold
# onboarding's documents per second.
# Usage: bench/metrics-cost.sh [RUNS] [FILES] [SLUICE_BINARY]   (default 10 10000 .build-release/release/sluice)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
FILES=${2:-10000}
BIN=${3:-.build-release/release/sluice}
on=(); off=()
rate() { python3 -c 'import json,sys; print(json.load(sys.stdin)["phases"][0]["documentsPerSecond"])'; }
measure() { SLUICE_METRICS=$1 "$BIN" bench --files "$FILES" --json 2>/dev/null | rate; }
for run in $(seq "$RUNS"); do
    # Which goes first alternates, so neither side always runs on a warmer machine.
    if [ $((run % 2)) -eq 1 ]; then
        on+=("$(measure on)"); off+=("$(measure off)")
    else
        off+=("$(measure off)"); on+=("$(measure on)")
    fi
    echo "run $run: metrics on ${on[-1]} docs/s, off ${off[-1]} docs/s"
done
python3 - "${on[*]}" "${off[*]}" <<'PY'
import statistics, sys
on = [float(x) for x in sys.argv[1].split()]
off = [float(x) for x in sys.argv[2].split()]
m_on, m_off = statistics.median(on), statistics.median(off)
cost = (m_off - m_on) / m_off * 100
print(f"median cold onboarding: metrics on {m_on:.0f} docs/s, off {m_off:.0f} docs/s; cost {cost:.1f}% (bar: under 3%)")
PY
