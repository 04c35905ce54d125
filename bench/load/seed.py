#!/usr/bin/env python3
"""Seeds the benchmark's data shape through the provider API (plus clients through SQL, since
the API has no client-create route): 5 staff, one 30-minute service, hours 08:00-20:00 every
day, 64 clients, 2,000 bookings over the next 30 days. Prints the staff ids, one per line.

usage: seed.py BASE_URL SLUG TOKEN CLIENT_SQL_CMD...
  CLIENT_SQL_CMD is a command that reads SQL on stdin (sqlite3 FILE, or psql URL)."""

import json
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

BASE, SLUG, TOKEN = sys.argv[1], sys.argv[2], sys.argv[3]
SQL_CMD = sys.argv[4:]
API = f"{BASE}/api/v1/{SLUG}"


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(API + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {TOKEN}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def must(method, path, body=None, ok=(200, 201)):
    status, answer = call(method, path, body)
    if status not in ok:
        sys.exit(f"seed: {method} {path} -> {status} {answer}")
    return answer


def main():
    # Booking rules: 30-minute grid, no notice, a year ahead (the guest-booking phase books
    # days 31+), so nothing here depends on the time of day the benchmark runs.
    must("PATCH", "/settings/booking", {"slot_interval_minutes": 30, "min_notice_minutes": 0,
                                         "max_advance_days": 400, "hold_minutes": 10})
    must("POST", "/services", {"code": "walk", "name": "Walk", "duration_minutes": 30,
                               "price_minor": 1500, "mode": "slot"})
    week = [{"weekday": d, "start": "08:00", "end": "20:00"} for d in range(1, 8)]
    must("PUT", "/hours", {"hours": week})
    staff = []
    for n in range(5):
        member = must("POST", "/staff", {"name": f"Walker {n + 1}", "services": ["walk"]})
        must("PUT", f"/staff/{member['id']}/hours", {"hours": week})
        staff.append(member["id"])

    # 64 clients: no API route creates one, so plain SQL (the columns of migration 0002).
    now = int(time.time())
    tenant = f"(select id from tenants where slug = '{SLUG}')"
    rows = ",\n".join(
        f"({tenant}, 'Client {i}', 'client{i}@bench.example', {now}, {now})" for i in range(64))
    sql = f"insert into clients (tenant_id, name, email, created_at, updated_at) values\n{rows};\n"
    subprocess.run(SQL_CMD, input=sql.encode(), check=True, stdout=subprocess.DEVNULL)
    clients = [c["id"] for c in must("GET", "/clients")["clients"]]
    assert len(clients) == 64, clients

    # 2,000 bookings on days 1-30 (UTC tenant): distinct (person, start) pairs.
    today = datetime.now(timezone.utc).date()
    slots = [(s, today + timedelta(days=d), m)
             for s in staff for d in range(1, 31) for m in range(8 * 60, 20 * 60, 30)]
    random.Random(14).shuffle(slots)

    def book(i):
        s, day, minute = slots[i]
        start = f"{day}T{minute // 60:02d}:{minute % 60:02d}:00Z"
        return call("POST", "/bookings", {"service": "walk", "start": start, "staff_id": s,
                                          "client_id": clients[i % 64]})[0]

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(book, range(2000)))
    made = statuses.count(201)
    if made != 2000:
        sys.exit(f"seed: {made} of 2000 bookings made: {sorted(set(statuses))}")
    for s in staff:
        print(s)


main()
