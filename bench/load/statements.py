#!/usr/bin/env python3
"""SQL statements per request, counted from sqlx's own statement log.

The server must run with `RUST_LOG=warn,portico_web=info,sqlx::query=debug` and
`PORTICO_LOG_FORMAT=json`, its stderr in LOG: sqlx logs every statement it executes as one
event (target `sqlx::query`), and an event inside an HTTP request carries the request's span
(`http`, with its method and path). For each scenario this sends a few warm-up requests, then
N requests one after another (no load: the count does not depend on it), and counts the events
inside those requests' spans. Background statements (worker, relay, job queue: no `http` span)
are counted over the booking scenario until the emails stop appearing, minus the idle polling
rate measured first, and reported per booking.

SQLite: BEGIN/COMMIT are run by the driver without a statement event, so they are not counted
there; on PostgreSQL they are (each is a round trip).

usage: statements.py LOG BASE SLUG COOKIE CSRF DAY STAFF_ID SLOTS_FILE MAIL_DIR [N]"""

import glob
from collections import Counter
import json
import os
import sys
import time
import urllib.request

LOG, BASE, SLUG, COOKIE, CSRF, DAY, STAFF, SLOTS, MAIL = sys.argv[1:10]
N = int(sys.argv[10]) if len(sys.argv) > 10 else 100
WARMUP = 3
HEADERS = {"Cookie": COOKIE, "X-CSRF-Token": CSRF, "Content-Type": "application/json"}

# The last slots of the benchmark's list (pop() takes from the end): the wrk booking run took
# its slots from the front.
with open(SLOTS) as f:
    free = [line.split() for line in f.read().split("\n") if line]


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=HEADERS)
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        return response.status


def booking(i):
    start, staff = free.pop()
    return ("POST", f"/api/v1/{SLUG}/bookings",
            {"service": "walk", "start": start, "staff_id": int(staff),
             "guest": {"name": "Counted", "email": f"counted{i}@bench.example", "phone": "0123"}})


SCENARIOS = [
    ("availability (1 staff, 1 day)",
     lambda i: ("GET", f"/api/v1/{SLUG}/availability?service=walk&date={DAY}&staff={STAFF}", None)),
    (f"booking page /book/{SLUG}", lambda i: ("GET", f"/book/{SLUG}", None)),
    ("service page, every person's times",
     lambda i: ("GET", f"/book/{SLUG}/services/walk?date={DAY}", None)),
    ("guest booking", booking),
]


def events_since(offset):
    """The statement events logged after byte `offset`: (inside a request, sqlx's summary)."""
    out = []
    with open(LOG, "rb") as f:
        f.seek(offset)
        for line in f:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("target") == "sqlx::query":
                inside = any(s.get("name") == "http" for s in event.get("spans") or [])
                out.append((inside, (event.get("fields") or {}).get("summary", "?")))
    return out


def emails():
    return len(glob.glob(os.path.join(MAIL, "**", "*.eml"), recursive=True))




def drained():
    """Waits until no email appeared for 2 s (at most 2 minutes)."""
    last, still = emails(), 0
    for _ in range(240):
        time.sleep(0.5)
        now = emails()
        still = 0 if now != last else still + 1
        last = now
        if still >= 4:
            return


# Idle (after the earlier runs' backlog): the background's own polling, per second.
drained()
start = os.path.getsize(LOG)
time.sleep(3)
idle_rate = sum(1 for inside, _ in events_since(start) if not inside) / 3

print()
print(f"| statements per request (sequential, n = {N}) | in the request | background, per request |")
print("|---|---|---|")
for name, make in SCENARIOS:
    for i in range(WARMUP):
        method, path, body = make(-1 - i)
        call(method, path, body)
    time.sleep(0.5)
    offset = os.path.getsize(LOG)
    began = time.time()
    for i in range(N):
        method, path, body = make(i)
        status = call(method, path, body)
        if status >= 300:
            sys.exit(f"{name}: HTTP {status}")
    if make is booking:
        drained()  # the worker sends this scenario's emails
    else:
        time.sleep(0.2)
    elapsed = time.time() - began
    events = events_since(offset)
    inside = sum(1 for i, _ in events if i)
    background = max(0.0, sum(1 for i, _ in events if not i) - idle_rate * elapsed)
    print(f"| {name} | {inside / N:.2f} | {background / N:.2f} |")
    if make is booking:
        kinds = Counter(summary for i, summary in events if i)
        detail = ", ".join(f"{n / N:g} × {summary}" for summary, n in kinds.most_common())
        kinds = Counter(summary for i, summary in events if not i)
        background_detail = ", ".join(
            f"{n / N:g} × {summary}" for summary, n in kinds.most_common())
print(f"(idle background polling: {idle_rate:.1f} statements/s, subtracted)")
print(f"a guest booking's statements (sqlx's summaries): {detail}")
print(f"its background statements, idle polling included: {background_detail}")
