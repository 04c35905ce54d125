"""Start to ready: spawn `portico serve` on an existing data dir and time it until /readyz
first answers 200, several times; then the memory of the last one, idle, 2 s after it was ready.

usage: ready.py RUNS BIN DATA_DIR PORT
Prints one line per run on stderr and the summary on stdout:
  start-to-ready ms: median MEDIAN, min MIN, max MAX (RUNS runs)
  idle fresh: VmRSS MB, RssAnon MB, RssFile MB, THREADS threads
"""

import http.client
import os
import signal
import statistics
import subprocess
import sys
import time

runs, binary, data_dir, port = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])


def ready() -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/readyz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def status(pid: int) -> dict:
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return {k: v.strip() for k, v in fields.items()}


times = []
memory = None
for n in range(runs):
    started = time.perf_counter()
    server = subprocess.Popen(
        [binary, "--data-dir", data_dir, "serve", "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(data_dir, "ready.log"), "a"),
    )
    try:
        while not ready():
            if server.poll() is not None:
                sys.exit(f"portico exited with {server.returncode} before it was ready")
            if time.perf_counter() - started > 30:
                sys.exit("not ready within 30 s")
            time.sleep(0.001)
        elapsed = (time.perf_counter() - started) * 1000
        times.append(elapsed)
        print(f"  run {n + 1}: ready in {elapsed:.1f} ms", file=sys.stderr)
        if n == runs - 1:
            time.sleep(2)
            memory = status(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

mb = lambda key: int(memory[key].split()[0]) / 1024
print(
    f"start-to-ready ms: median {statistics.median(times):.1f}, min {min(times):.1f}, "
    f"max {max(times):.1f} ({runs} runs)"
)
print(
    f"idle fresh: {mb('VmRSS'):.1f} MB, RssAnon {mb('RssAnon'):.1f} MB, "
    f"RssFile {mb('RssFile'):.1f} MB, {memory['Threads']} threads"
)
