#!/usr/bin/env python3
# What one write costs the Qdrant test server (qdrant-client's local mode) as its collection grows:
# an upsert of 32 points and a delete by filter, timed every 6,400 points. Needs qdrant-client.
import time, uuid, random
from qdrant_client import QdrantClient, models
c = QdrantClient(":memory:")
c.create_collection("t", vectors_config=models.VectorParams(size=384, distance=models.Distance.COSINE))
total = 0
for round in range(1, 1601):
    pts = [models.PointStruct(id=str(uuid.uuid4()), vector=[random.random() for _ in range(384)], payload={"tenant": "acme", "docId": f"d{round}", "text": "x" * 500}) for _ in range(32)]
    t = time.perf_counter()
    c.upsert("t", points=pts, wait=True)
    c.delete("t", points_selector=models.FilterSelector(filter=models.Filter(must=[models.FieldCondition(key="docId", match=models.MatchValue(value=f"d{round-1}"))])))
    total += time.perf_counter() - t
    if round % 200 == 0:
        print(f"{round*32} points: last 200 rounds {total:.2f} s ({total/200*1000:.1f} ms per upsert+delete)", flush=True)
        total = 0
