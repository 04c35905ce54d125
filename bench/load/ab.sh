#!/usr/bin/env bash
# Alternating runs of several variants on one backend, for comparisons on a machine whose
# speed drifts: bash bench/load/ab.sh BACKEND ROUNDS VARIANT_A VARIANT_B [VARIANT_C…]
#
# A variant is a binary, optionally preceded by settings for that variant only, in shell
# words: "/tmp/portico-a", "BENCH_PG_OPTIONS=sslmode=disable /tmp/portico-a",
# "BENCH_SCALE='10000 1000000' /tmp/portico-a".
#
# Runs run.sh once per variant per round, in the order A B A B … (so drift hits all alike),
# with the same BENCH_* settings for each (e.g. BENCH_ONLY='guest' BENCH_DURATION=10) plus the
# variant's own, then prints, per variant and scenario, the median of each column over the
# rounds, and every run's rows. Defaults for speed: no idle wait, one start-to-ready run, no
# statement phase.
set -euo pipefail
BACKEND=$1 ROUNDS=$2
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp -d /tmp/portico-ab.XXXXXX)
export BENCH_IDLE_WAIT=${BENCH_IDLE_WAIT:-0} BENCH_READY_RUNS=${BENCH_READY_RUNS:-1}
export BENCH_STATEMENTS_N=${BENCH_STATEMENTS_N:-0}
for round in $(seq 1 "$ROUNDS"); do
    for i in $(seq 1 $#); do
        variant=${!i}
        echo "round $round, $variant" >&2
        (
            eval "set -- $variant"
            while [ $# -gt 1 ]; do export "${1?}"; shift; done
            BENCH_BIN=$1 bash "$HERE/run.sh" "$BACKEND"
        ) >"$OUT/$i-$round.txt" 2>"$OUT/$i-$round.err"
    done
done
python3 - "$OUT" "$ROUNDS" "$@" <<'PY'
import re, statistics, sys
out, rounds, bins = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def num(cell):
    # Latencies come as wrk prints them (846.85us, 1.27ms, 1.02s): compared in ms.
    m = re.match(r"\s*([0-9.]+)\s*(us|ms|s)?\b", cell.replace(",", ""))
    if not m:
        return None
    return float(m.group(1)) * {"us": 0.001, "s": 1000.0}.get(m.group(2), 1.0)
header = None
for i, binary in enumerate(bins, 1):
    rows = {}
    for r in range(1, rounds + 1):
        for line in open(f"{out}/{i}-{r}.txt"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if line.startswith("| sqlite |") or line.startswith("| postgres |"):
                header = cells
            elif line.startswith("| ") and len(cells) > 8 and num(cells[1]) is not None:
                rows.setdefault(cells[0], []).append(cells)
    print(f"\n{binary}: medians of {rounds} runs (latencies in ms)")
    print("| " + " | ".join(header[:9]) + " |")
    print("|" + "---|" * 9)
    for name, runs in rows.items():
        cols = [statistics.median(num(run[c]) for run in runs) for c in range(1, 9)]
        print(f"| {name} | " + " | ".join(f"{v:g}" for v in cols) + " |")
    for name, runs in rows.items():
        print(f"  {name}: " + "; ".join(f"{run[1]} req/s p99 {run[3]} steal {run[-1]}" for run in runs))
    # The notification backlog after the guest bookings (run.sh's "backlog:" line): how fast
    # it drained, in emails/s (2 per guest booking: the guest's and the owner's).
    drains = []
    for r in range(1, rounds + 1):
        for line in open(f"{out}/{i}-{r}.txt"):
            m = re.search(r"^backlog: .*\(([0-9]+) emails/s\)", line)
            if m:
                drains.append(int(m.group(1)))
    if drains:
        print(f"  backlog drained: median {statistics.median(drains):g} emails/s; runs: "
              + ", ".join(map(str, drains)))
PY
echo "(every run's output: $OUT)" >&2
