#!/usr/bin/env python3
"""16 clients book the same free slot at once (guest calls with the page session's CSRF
token); exactly one must win (201), every other must get 409.

usage: race.py BASE_URL SLUG COOKIE CSRF START STAFF_ID"""

import json
import sys
import threading
import urllib.error
import urllib.request

BASE, SLUG, COOKIE, CSRF, START, STAFF = sys.argv[1:7]
N = 16
barrier = threading.Barrier(N)
statuses = [None] * N


def one(i):
    body = json.dumps({"service": "walk", "start": START, "staff_id": int(STAFF),
                       "guest": {"name": f"Racer {i}", "email": f"racer{i}@bench.example",
                                 "phone": "0123"}}).encode()
    request = urllib.request.Request(f"{BASE}/api/v1/{SLUG}/bookings", data=body, method="POST")
    for name, value in [("Content-Type", "application/json"), ("Cookie", COOKIE),
                        ("X-CSRF-Token", CSRF)]:
        request.add_header(name, value)
    barrier.wait()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            statuses[i] = response.status
    except urllib.error.HTTPError as error:
        statuses[i] = error.code


threads = [threading.Thread(target=one, args=(i,)) for i in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join()
winners = statuses.count(201)
print(f"race: {winners} winner(s), {statuses.count(409)} refused with 409, all: {sorted(statuses)}")
sys.exit(0 if winners == 1 and statuses.count(409) == N - 1 else 1)
