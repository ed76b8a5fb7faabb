"""Publishes N small documents to one tenant at 100 a second on one keep-alive
connection and prints their latency and any refusals (bench/batch-flood.sh runs it beside a flood).
Usage: python3 bench/quiet-publisher.py KEY PORT N"""
import http.client
import json
import sys
import time

key, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
connection = http.client.HTTPConnection("127.0.0.1", port)
latencies, refused = [], {}
due = time.time()
for i in range(count):
    body = json.dumps({"meta": {"tenant": "quiet", "docId": f"q/{i}.md"}, "content": f"# Q {i}\n\nA quiet note {i}."})
    sent = time.perf_counter()
    connection.request("POST", "/v1/ingest/publish", body, {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    response = connection.getresponse()
    answer = response.read()
    latencies.append((time.perf_counter() - sent) * 1000)
    if response.status != 202:
        if not refused:
            print(f"the first refusal: {response.status} {answer.decode(errors='replace')[:300]}", file=sys.stderr)
        refused[response.status] = refused.get(response.status, 0) + 1
    # At 100 a second; one that fell behind (a slow answer) goes on at that pace, without a burst to catch up.
    due = max(due + 0.01, time.time())
    pause = due - time.time()
    if pause > 0:
        time.sleep(pause)
latencies.sort()
answers = ", ".join(f"{n} answered {status}" for status, n in sorted(refused.items()))
print(f"p50 {latencies[count // 2]:.2f} ms, p99 {latencies[int(count * 0.99)]:.2f} ms, max {latencies[-1]:.2f} ms, "
      f"{count - sum(refused.values())} of {count} accepted" + (f" ({answers})" if refused else ""))
sys.exit(1 if refused else 0)
