#!/usr/bin/env python3
"""The delivery bars of issue 5, measured with `sluice run --sink qdrant`
against the Qdrant test server (Tests/Support/qdrant-test-server.py).

Usage: bench/sink-bars.py [--sluice .build-release/release/sluice] [--outage 30]

1. capped: 2,000 files, the destination capped at 600 requests a minute,
   5% of requests answered 503. The point ids must equal the expected set
   exactly, with 0 dead letters, and no 60 s window may hold more requests
   than the cap plus the bucket (one second's worth). Batches of 2 documents
   make about 1,000 requests, so the run lasts well over a minute.
2. outage: the destination refuses connections for --outage seconds in the
   middle of a 1,000-file onboarding; afterwards the point ids must equal
   the expected set, with 0 dead letters.
3. healthy: a destination that takes 50 ms per request and is never busy;
   adaptive concurrency must reach its best throughput within 5 s and stay
   there (every later second at no less than 80% of the best).

Every file is one chunk, so the expected point ids are UUIDv5 of
tenant, docId and ordinal 0, computed here independently of Sluice.
Needs python3 with qdrant-client and jsonschema.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMESPACE = uuid.UUID("3b3c0d0e-4d5b-5a4e-9f35-51a1c3e0b7a2")
TENANTS = ["acme", "globex", "initech", "umbrella"]


class Server:
    def __init__(self, latency_ms=0):
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "Tests/Support/qdrant-test-server.py"), "--port", "0", "--exit-with-parent",
             "--payload-schema", os.path.join(ROOT, "docs/schemas/qdrant-point.v2.json"), "--latency-ms", str(latency_ms)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        ports = json.loads(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{ports['port']}"
        self.control = f"http://127.0.0.1:{ports['control']}"

    def call(self, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        with urllib.request.urlopen(urllib.request.Request(self.control + path, data=data), timeout=60) as answer:
            return json.load(answer)

    def fault(self, **fault):
        self.call("/faults", fault)

    def stats(self):
        return self.call("/stats")

    def point_ids(self):
        return set(self.call("/points?collection=sluice")["ids"])

    def stop(self):
        self.process.kill()


def corpus(directory, count):
    expected = set()
    for index in range(count):
        tenant = TENANTS[index % len(TENANTS)]
        doc_id = f"docs/file{index:05d}.md"
        path = os.path.join(directory, tenant, doc_id)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as file:
            file.write(f"# File {index}\n\nA short note about item {index} for {tenant}.\n")
        expected.add(str(uuid.uuid5(NAMESPACE, f"{tenant}\0{doc_id}\0{0}")))
    return expected


def sluice(binary, arguments, environment):
    return subprocess.run([binary] + arguments, env={**os.environ, **environment}, capture_output=True, text=True)


def dead_letters(binary, data):
    result = sluice(binary, ["dlq", "list", "--json", "--data-dir", data], {})
    return len(json.loads(result.stdout or "[]"))


def environment(server, data, **extra):
    return {
        "SLUICE_SINK": "qdrant", "SLUICE_QDRANT_URL": server.url, "SLUICE_DATA_DIR": data,
        "SLUICE_EMBED_DIMENSION": "64", "SLUICE_RETRY_DELAY_MS": "500", **extra,
    }


def capped(binary, work):
    print("== capped: 2,000 files, 600 requests/min, 5% of requests answered 503")
    files, data = os.path.join(work, "capped-files"), os.path.join(work, "capped-data")
    expected = corpus(files, 2000)
    server = Server()
    try:
        server.fault(mode="status", status=503, probability=0.05)
        started = time.time()
        result = sluice(binary, ["run", files], environment(
            server, data, SLUICE_SINK_MAX_REQUESTS_PER_MINUTE="600", SLUICE_BATCH_SIZE="2", SLUICE_CONCURRENCY="4"))
        elapsed = time.time() - started
        server.fault(mode="none")
        stats = server.stats()
        times = sorted(request[0] for request in stats["requests"])
        unavailable = sum(1 for request in stats["requests"] if request[3] == 503)
        def busiest(window):
            most, at, end = 0, 0, 0
            for start_index, start in enumerate(times):
                while end < len(times) and times[end] < start + window:
                    end += 1
                if end - start_index > most:
                    most, at = end - start_index, start - times[0]
            return most, at
        most, at = busiest(60)
        most_second, _ = busiest(1)
        points = server.point_ids()
        letters = dead_letters(binary, data)
        print(f"sluice run exited {result.returncode} after {elapsed:.1f} s")
        print(f"requests: {len(times)} over {times[-1] - times[0]:.0f} s ({unavailable} answered 503); most in any 60 s window: {most} (the window starting at {at:.0f} s); bar: at most 600 + 10")
        print(f"most in any 1 s window: {most_second} (the rate, 10, plus the bucket, 10)")
        print(f"points: {len(points)}, expected {len(expected)}, equal: {points == expected}; dead letters: {letters}; invalid requests: {len(stats['invalid'])}")
        return result.returncode == 0 and most <= 610 and points == expected and letters == 0 and not stats["invalid"]
    finally:
        server.stop()


def outage(binary, work, seconds):
    print(f"== outage: the destination refuses connections for {seconds} s in the middle of a 1,000-file onboarding")
    files, data = os.path.join(work, "outage-files"), os.path.join(work, "outage-data")
    expected = corpus(files, 1000)
    server = Server()
    try:
        started = time.time()
        run = subprocess.Popen(
            [binary, "run", files], env={**os.environ, **environment(server, data, SLUICE_BATCH_SIZE="4", SLUICE_SINK_MAX_REQUESTS_PER_MINUTE="1200")},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        while sum(1 for request in server.stats()["requests"] if request[2].endswith("/points") and request[3] == 200) < 50:
            time.sleep(0.05)
        before = len(server.point_ids())
        server.fault(mode="down")
        down_at = time.time()
        time.sleep(seconds)
        server.fault(mode="none")
        print(f"down at {down_at - started:.1f} s with {before} of {len(expected)} points written; back at {time.time() - started:.1f} s")
        _, errors = run.communicate()
        elapsed = time.time() - started
        opened = "circuit open" in errors
        points = server.point_ids()
        letters = dead_letters(binary, data)
        print(f"sluice run exited {run.returncode} after {elapsed:.1f} s; the log mentions the open breaker: {opened}")
        print(f"points: {len(points)}, expected {len(expected)}, equal: {points == expected}; dead letters: {letters}")
        return run.returncode == 0 and points == expected and letters == 0
    finally:
        server.stop()


def healthy(binary, work):
    print("== healthy: 50 ms per request, no cap; time to the best throughput")
    files, data = os.path.join(work, "healthy-files"), os.path.join(work, "healthy-data")
    expected = corpus(files, 4000)
    server = Server(latency_ms=50)
    try:
        result = sluice(binary, ["run", files], environment(
            server, data, SLUICE_BATCH_SIZE="2", SLUICE_CONCURRENCY="32", SLUICE_SINK_MAX_CONCURRENCY="16"))
        writes = sorted(request[0] for request in server.stats()["requests"] if request[2].endswith("/points"))
        first = writes[0]
        seconds = int(writes[-1] - first) + 1
        per_second = [0] * seconds
        for at in writes:
            per_second[int(at - first)] += 1
        full = per_second[:-1] or per_second  # the last second is partial
        best = max(full)
        reached = next(index for index, count in enumerate(full) if count >= 0.9 * best)
        after = full[reached:]
        steady = min(after) >= 0.8 * best if len(after) > 1 else True
        points = server.point_ids()
        print(f"sluice run exited {result.returncode}; writes per second: {per_second}")
        print(f"best {best}/s; 90% of it reached in second {reached} (bar: within 5 s); every later second at least 80% of the best: {steady}")
        print(f"points equal the expected set: {points == expected}")
        return result.returncode == 0 and reached <= 5 and steady and points == expected
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sluice", default=os.path.join(ROOT, ".build-release/release/sluice"))
    parser.add_argument("--outage", type=float, default=30)
    parser.add_argument("--only", choices=["capped", "outage", "healthy"])
    arguments = parser.parse_args()
    work = tempfile.mkdtemp(prefix="sluice-sink-bars-")
    try:
        results = {}
        if arguments.only in (None, "capped"):
            results["capped"] = capped(arguments.sluice, work)
        if arguments.only in (None, "outage"):
            results["outage"] = outage(arguments.sluice, work, arguments.outage)
        if arguments.only in (None, "healthy"):
            results["healthy"] = healthy(arguments.sluice, work)
        print("== results: " + ", ".join(f"{name} {'met' if met else 'NOT MET'}" for name, met in results.items()))
        sys.exit(0 if all(results.values()) else 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
