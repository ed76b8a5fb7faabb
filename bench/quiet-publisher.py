"""Publishes N small documents to one tenant at 100 a second on one keep-alive
connection and prints their latency (bench/batch-flood.sh runs it beside a flood).
Usage: python3 bench/quiet-publisher.py KEY PORT N"""
import http.client
import json
import sys
import time

key, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
connection = http.client.HTTPConnection("127.0.0.1", port)
latencies, refused = [], 0
start = time.time()
for i in range(count):
    body = json.dumps({"meta": {"tenant": "quiet", "docId": f"q/{i}.md"}, "content": f"# Q {i}\n\nA quiet note {i}."})
    sent = time.perf_counter()
    connection.request("POST", "/v1/ingest/publish", body, {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    latencies.append((time.perf_counter() - sent) * 1000)
    if response.status != 202:
        refused += 1
    pause = start + (i + 1) / 100 - time.time()
    if pause > 0:
        time.sleep(pause)
latencies.sort()
print(f"p50 {latencies[count // 2]:.2f} ms, p99 {latencies[int(count * 0.99)]:.2f} ms, max {latencies[-1]:.2f} ms, "
      f"{count - refused} of {count} accepted")
sys.exit(1 if refused else 0)
