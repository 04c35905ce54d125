#!/usr/bin/env bash
# Load benchmark: bash bench/load/run.sh [sqlite|postgres]
#
# Builds `portico` (release), starts `portico serve` on 127.0.0.1 (a temp data dir; for
# postgres also a fresh database on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 under its own
# namespace), creates a PRO tenant and API token with the operator CLI, seeds the data shape
# (seed.py) and measures at c=16 for 15 s each with wrk: availability (one staff member, one
# day), the public booking page, the service page with every person's times, guest bookings
# (each a different free slot, book.lua); then a 16-client race for one slot (race.py).
# Prints req/s, p50/p99, Portico CPU ms per request (utime+stime from /proc/<pid>/stat) and
# RSS, how fast the notification backlog drains after the booking burst, and the SQL
# statements per request of each scenario (statements.py, on a restarted server that logs
# them). Everything is removed afterwards.
set -euo pipefail

BACKEND=${1:-sqlite}
case $BACKEND in sqlite | postgres) ;; *) echo "usage: $0 [sqlite|postgres]" >&2; exit 2 ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DURATION=${BENCH_DURATION:-15}
CONNECTIONS=16
THREADS=2
SLUG=bench

if ! command -v wrk >/dev/null; then
    SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
    $SUDO apt-get install -y wrk || { $SUDO apt-get update && $SUDO apt-get install -y wrk; }
fi

# BENCH_BIN: a binary already built (e.g. to try the script quickly); else a release build.
BIN=${BENCH_BIN:-$ROOT/target/release/portico}
[ -n "${BENCH_BIN:-}" ] || (cd "$ROOT" && cargo build --release -p portico --quiet)

WORK=$(mktemp -d /tmp/portico-bench.XXXXXX)
# Emails: with no SMTP server configured Portico writes each as a file in the data dir's
# mail/, and syncs it to disk before recording it as sent. In production they go to an SMTP
# relay, which costs this process no disk sync; so by default the benchmark's mail/ is in
# memory (tmpfs /dev/shm, where a sync costs nothing), as the stand-in for that relay.
# BENCH_MAIL_ON_DISK=1 keeps it on disk with the data (as before 2026-12-05).
MAIL_DIR=""
if [ "${BENCH_MAIL_ON_DISK:-0}" != 1 ] && [ -d /dev/shm ]; then
    MAIL_DIR=$(mktemp -d /dev/shm/portico-bench-mail.XXXXXX)
    ln -s "$MAIL_DIR" "$WORK/mail"
fi
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
export PORTICO_PUBLIC_URL=$BASE
# The guest per-IP limits would stop a load test from one address after a few requests.
export PORTICO_RATE_LIMITS__AVAILABILITY_PER_IP=1000000000
export PORTICO_RATE_LIMITS__BOOKING_PER_IP=1000000000
# And the token's limit, for the provider's bookings scenario (seeding stays far under it).
export PORTICO_RATE_LIMITS__API_PER_TOKEN=1000000000
unset DATABASE_URL REDIS_URL
DB_NAME=portico_bench_$$
if [ "$BACKEND" = postgres ]; then
    psql -q -h 127.0.0.1 -U postgres -c "create database $DB_NAME" >/dev/null
    # BENCH_PG_OPTIONS: connection parameters for Portico's URL, e.g. "sslmode=disable" (sqlx's
    # default, sslmode=prefer, encrypts even on 127.0.0.1 when the server has ssl = on).
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB_NAME${BENCH_PG_OPTIONS:+?$BENCH_PG_OPTIONS}
    export REDIS_URL=redis://127.0.0.1:6379
    export PORTICO_QUEUE__NAMESPACE=$DB_NAME
    SQL=(psql -q "$DATABASE_URL")
    COUNT=(psql -qtA "$DATABASE_URL")
else
    SQL=(sqlite3 "$WORK/portico.db")
    COUNT=(sqlite3 "$WORK/portico.db")
fi

SERVER=""
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true; fi
    if [ "$BACKEND" = postgres ]; then
        psql -q -h 127.0.0.1 -U postgres -c "drop database if exists $DB_NAME with (force)" >/dev/null || true
        redis-cli --scan --pattern "$DB_NAME*" | xargs -r redis-cli del >/dev/null || true
    fi
    # BENCH_KEEP_LOG=FILE: the server's log (serve.log) kept there before the temp dir goes.
    if [ -n "${BENCH_KEEP_LOG:-}" ]; then cp "$WORK/serve.log" "$BENCH_KEEP_LOG" || true; fi
    rm -rf "$WORK"
    if [ -n "$MAIL_DIR" ]; then rm -rf "$MAIL_DIR"; fi
}
trap cleanup EXIT

cli() { "$BIN" --data-dir "$WORK" "$@"; }
cli migrate >/dev/null 2>&1
cli tenant create --slug $SLUG --name "Bench Walkers" --timezone UTC --currency GBP \
    --owner-email owner@bench.example --owner-password "bench-password-1" --plan pro --months 12 >/dev/null
TOKEN=$(cli token create --tenant $SLUG --name bench | grep -o 'ptk_[A-Za-z0-9_-]*' | head -1)
[ -n "$TOKEN" ] || { echo "no token printed" >&2; exit 1; }

# Started directly (not through `cli`), so $! is the server's own pid for /proc.
"$BIN" --data-dir "$WORK" serve --bind "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$BASE/readyz" >/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }

echo "seeding: 5 staff, 1 service, hours 08-20 daily, 64 clients (SQL), 2,000 bookings (API)…" >&2
mapfile -t STAFF < <(timeout 600 python3 "$HERE/seed.py" "$BASE" $SLUG "$TOKEN" "${SQL[@]}")
S1=${STAFF[0]}
if [ -n "${BENCH_SCALE:-}" ]; then
    # BENCH_SCALE="TENANTS BOOKINGS", e.g. "10000 1000000": that many more tenants in the
    # database and finished bookings in the bench tenant's history, written in bulk.
    read -r SCALE_TENANTS SCALE_BOOKINGS <<<"$BENCH_SCALE"
    cli bench seed --tenants "$SCALE_TENANTS" --bookings "$SCALE_BOOKINGS" --into $SLUG >&2
fi
if [ "$BACKEND" = postgres ]; then
    # Settle the database before measuring, as time would in production: the machine's
    # PostgreSQL runs with autovacuum off, so nothing else would give the planner statistics
    # or the visibility map for what was just seeded, and a bulk load's dirty pages would be
    # written by a checkpoint in the middle of the runs (seen on 2026-12-04 with 1,000,000
    # bookings: the checkpointer wrote 22,000 buffers over the first minute).
    psql -q "$DATABASE_URL" -c "vacuum (analyze)" -c "checkpoint"
elif [ -n "${BENCH_SCALE:-}" ]; then
    # The same on SQLite: the bulk load's last pages are still in the write-ahead log; copy
    # them into the database file now rather than at the first write of a measured run.
    sqlite3 "$WORK/portico.db" "pragma wal_checkpoint(truncate)" >/dev/null
fi
TENANT_ID=$("${COUNT[@]}" <<<"select id from tenants where slug = '$SLUG';")
if [ -n "${BENCH_EXPLAIN:-}" ]; then
    DB_TARGET=$([ "$BACKEND" = postgres ] && echo "$DATABASE_URL" || echo "$WORK/portico.db")
    bash "$HERE/explain.sh" "$BACKEND" "$DB_TARGET" "$TENANT_ID" "$S1" >&2
fi
DAY=$(date -u -d '+2 days' +%F)

ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
# The machine's CPU time as "steal total" (ticks): on a virtual machine, steal is the time the
# hypervisor ran someone else while this machine wanted to run. A run with much of it measured
# a slower machine, not slower code. Third: the ticks the machine was busy (user, nice, system,
# irq, softirq: everything on it — Portico, the database, wrk and the kernel's networking).
machine_ticks() {
    awk '/^cpu / {t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t, $2 + $3 + $4 + $7 + $8}' /proc/stat
}
# The database's CPU time (ticks): PostgreSQL's — every postgres process's own time plus what
# the postmaster collected from backends that exited (fields 16+17) — then Redis's. On SQLite
# the database runs inside Portico, so both are 0 there.
db_ticks() {
    [ "$BACKEND" = postgres ] || { echo 0 0; return; }
    local name pid
    for name in postgres redis-server; do
        for pid in $(pgrep -x $name); do
            awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null || true
        done | awk '{s += $1} END {printf "%d ", s + 0}'
    done
    echo
}
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER/status"; }
# VmRSS with its anonymous (heap, stacks) and file-backed (the binary's pages) parts.
memory() {
    awk '/^VmRSS/ {r = $2} /^RssAnon/ {a = $2} /^RssFile/ {f = $2} /^Threads/ {t = $2}
        END {printf "%.1f MB (anon %.1f, file %.1f; %d threads)", r / 1024, a / 1024, f / 1024, t}' \
        "/proc/$SERVER/status"
}
CLK_TCK=$(getconf CLK_TCK)
IDLE_SEEDED=$(memory)

# Start to ready on the seeded data: the server is stopped and started again
# BENCH_READY_RUNS times (ready.py: spawn to the first 200 from /readyz), then started once
# more for the load runs, so those begin on a fresh process with cold caches.
kill "$SERVER" && wait "$SERVER" 2>/dev/null || true
SERVER=""
READY=$(python3 "$HERE/ready.py" "${BENCH_READY_RUNS:-5}" "$BIN" "$WORK" "$PORT")
"$BIN" --data-dir "$WORK" serve --bind "127.0.0.1:$PORT" >>"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done

echo
echo "$READY"
echo "| $BACKEND | req/s | p50 | p99 | CPU ms/req (Portico) | PostgreSQL | Redis | machine | non-2xx | RSS after | steal |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
echo "| idle after seeding | | | | | | | | | $IDLE_SEEDED | |"

# measure NAME WRK_ARGS…: one wrk run at c=16, and Portico's CPU and memory around it.
measure() {
    local name=$1
    shift
    # BENCH_ONLY: a regular expression; scenarios whose name does not match are skipped.
    if [ -n "${BENCH_ONLY:-}" ] && ! [[ $name =~ $BENCH_ONLY ]]; then return; fi
    local before after out requests machine_before machine_after db_before db_after
    before=$(ticks)
    db_before=$(db_ticks)
    machine_before=$(machine_ticks)
    out=$(timeout $((DURATION + 30)) wrk -t$THREADS -c$CONNECTIONS -d"${DURATION}s" --timeout 10s --latency "$@")
    after=$(ticks)
    db_after=$(db_ticks)
    machine_after=$(machine_ticks)
    echo "$out" >"$WORK/wrk-${name//[^a-z]/_}.txt"
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    awk -v name="$name" -v req="$requests" -v cpu=$((after - before)) -v db="$db_before $db_after" -v tck="$CLK_TCK" \
        -v rss="$(rss_mb)" -v bad="$(echo "$out" | awk '/Non-2xx/ {print $5}')" \
        -v machine="$machine_before $machine_after" '
        /Requests\/sec/ {rps = $2}
        $1 == "50%" {p50 = $2}
        $1 == "99%" {p99 = $2}
        END {split(machine, m, " "); total = m[5] - m[2]; busy = m[6] - m[3]; split(db, d, " ")
             ms = 1000 / tck / req
             printf "| %s | %.0f | %s | %s | %.2f | %.2f | %.2f | %.2f | %s | %s MB | %.0f %% |\n",
             name, rps, p50, p99, cpu * ms, (d[3] - d[1]) * ms, (d[4] - d[2]) * ms, busy * ms,
             bad == "" ? 0 : bad, rss, (total > 0 ? (m[4] - m[1]) * 100 / total : 0)}' <<<"$out"
}

# Warm-up, not measured (BENCH_WARMUP seconds, default 5; 0 skips it): the first seconds of a
# fresh process are slower (seen on 2026-12-04 right after a 1,000,000-booking seed: 0.24-0.31
# ms of CPU per booking page in the first 5 s, 0.08-0.09 from then on), and a measured run
# should not depend on which scenario happens to come first.
AVAILABILITY_URL="$BASE/api/v1/$SLUG/availability?service=walk&date=$DAY&staff=$S1"
BOOKING_PAGE_URL="$BASE/book/$SLUG"
WARMUP=${BENCH_WARMUP:-5}
if [ "$WARMUP" -gt 0 ]; then
    for url in "$AVAILABILITY_URL" "$BOOKING_PAGE_URL"; do
        timeout $((WARMUP + 30)) wrk -t$THREADS -c$CONNECTIONS -d"${WARMUP}s" "$url" >/dev/null
    done
fi

measure "availability (1 staff, 1 day)" "$AVAILABILITY_URL"
measure "booking page /book/$SLUG" "$BOOKING_PAGE_URL"
measure "service page, every person's times" "$BASE/book/$SLUG/services/walk?date=$DAY"
NEXT_DAY=$(date -u -d '+3 days' +%F)
measure "provider's day of bookings (API)" -H "Authorization: Bearer $TOKEN" \
    "$BASE/api/v1/$SLUG/bookings?from=${DAY}T00:00:00Z&to=${NEXT_DAY}T00:00:00Z"

# Guest bookings: one page session (cookie + CSRF token) for every request, each request a
# different free slot (days 31-399 are free: the seed books days 1-30).
curl -s -c "$WORK/jar" "$BASE/book/$SLUG/services/walk?date=$DAY" >"$WORK/page.html"
CSRF=$(grep -o 'name="_csrf" value="[^"]*"' "$WORK/page.html" | head -1 | sed 's/.*value="//; s/"$//')
COOKIE=$(sed 's/^#HttpOnly_//' "$WORK/jar" | awk '!/^#/ && NF >= 7 {printf "%s%s=%s", sep, $6, $7; sep = "; "}')
[ -n "$CSRF" ] && [ -n "$COOKIE" ] || { echo "no page session / CSRF token" >&2; exit 1; }
python3 - "$WORK/slots" "${STAFF[@]}" <<'PY'
import sys
from datetime import datetime, timedelta, timezone
today = datetime.now(timezone.utc).date()
with open(sys.argv[1], "w") as out:
    for day in range(31, 400):
        for minute in range(8 * 60, 20 * 60, 30):
            for staff in sys.argv[2:]:
                d = today + timedelta(days=day)
                out.write(f"{d}T{minute // 60:02d}:{minute % 60:02d}:00Z {staff}\n")
PY
BOOKINGS_BEFORE=$("${COUNT[@]}" <<<"select count(*) from bookings;")
# Emails already written (the seeding's notices), so the burst's own can be told apart.
emails() { find "$WORK/mail/" -name '*.eml' 2>/dev/null | wc -l; }
EMAILS_BEFORE=$(emails)
export BENCH_SLOTS=$WORK/slots BENCH_THREADS=$THREADS BENCH_COOKIE=$COOKIE BENCH_CSRF=$CSRF
export BENCH_PATH=/api/v1/$SLUG/bookings
measure "guest bookings (each a free slot)" -s "$HERE/book.lua" "$BASE"
BOOKINGS_AFTER=$("${COUNT[@]}" <<<"select count(*) from bookings;")
echo
echo "guest bookings made: $((BOOKINGS_AFTER - BOOKINGS_BEFORE))"

# The notification backlog: emails are written as .eml files (no SMTP configured). Count them
# once a second until no new one appeared for 3 seconds (at most 5 minutes): how many were
# still to send when the load stopped, and how fast they drained.
OUTBOX_LEFT=$("${COUNT[@]}" <<<"select count(*) from outbox;")
AT_END=$(emails)
LAST=$AT_END
LAST_CHANGE=0
STILL=0
for second in $(seq 1 300); do
    sleep 1
    NOW=$(emails)
    if [ "$NOW" -gt "$LAST" ]; then LAST=$NOW; LAST_CHANGE=$second; STILL=0; else STILL=$((STILL + 1)); fi
    [ "$STILL" -ge 3 ] && break
done
DRAINED=$((LAST - AT_END))
RATE=$([ "$LAST_CHANGE" -gt 0 ] && echo $((DRAINED / LAST_CHANGE)) || echo "-")
echo "notifications: $((AT_END - EMAILS_BEFORE)) emails written during the load (and $EMAILS_BEFORE before it), $OUTBOX_LEFT outbox rows not yet relayed;"
echo "backlog: $DRAINED more emails in ${LAST_CHANGE} s after the load stopped ($RATE emails/s), $LAST in all"

# The race: a slot that is still free on a seeded day.
RACE_START=$(curl -s "$BASE/api/v1/$SLUG/availability?service=walk&date=$(date -u -d '+15 days' +%F)&staff=$S1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["options"][0]["start"])')
python3 "$HERE/race.py" "$BASE" $SLUG "$COOKIE" "$CSRF" "$RACE_START" "$S1"
echo "RSS at the end: $(rss_mb) MB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# Idle again: what the process keeps once the load is over (idle connections close after
# database.idle_timeout_secs, within twice that; unused blocking threads after 10 s).
IDLE_WAIT=${BENCH_IDLE_WAIT:-65}
if [ "$IDLE_WAIT" -gt 0 ]; then
    sleep "$IDLE_WAIT"
    echo "idle again, $IDLE_WAIT s after the load: $(memory)"
fi

# Statements per request: the same server restarted with sqlx's statement log on (JSON, to a
# file), each scenario sent one request at a time (statements.py). A separate run, so the
# logging costs nothing in the measurements above.
[ "${BENCH_STATEMENTS_N:-100}" -gt 0 ] || exit 0
kill "$SERVER" && wait "$SERVER" 2>/dev/null || true
RUST_LOG=warn,portico_web=info,sqlx::query=debug PORTICO_LOG_FORMAT=json \
    "$BIN" --data-dir "$WORK" serve --bind "127.0.0.1:$PORT" 2>"$WORK/statements.log" >/dev/null &
SERVER=$!
for _ in $(seq 100); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.1; done
python3 "$HERE/statements.py" "$WORK/statements.log" "$BASE" $SLUG "$COOKIE" "$CSRF" "$DAY" "$S1" \
    "$WORK/slots" "$WORK/mail" "${BENCH_STATEMENTS_N:-100}"
