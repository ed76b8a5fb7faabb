#!/usr/bin/env python3
"""A Qdrant stand-in for Sluice's tests and benchmarks, with fault injection.

It serves the REST routes Sluice uses. Each request body is validated with
the official client's own request models (`qdrant_client.http.models`, which
forbid unknown fields) plus rules the real server enforces that the models do
not (a point id is an unsigned integer or a UUID; a vector's length matches
the collection), and then applied with the client's local mode, so storage,
filtering and ids behave as that library defines them. A request the models
reject is answered 400 and recorded: tests fail when any was.

Two ports: the data port speaks Qdrant; the control port (JSON) sets faults
and reports what happened:
  POST /faults  {"mode": "none" | "down" | "hang" | "status",
                 "status": 503, "probability": 1.0, "retry_after": 1,
                 "hang_seconds": 30, "pass_first": 0}
      down: the data port stops accepting connections (refused) until the
      mode changes; hang: requests wait hang_seconds before being served;
      status: requests are answered with that status (and Retry-After when
      given) instead of being applied. `probability` picks which requests;
      the first `pass_first` requests after the fault is set are served normally.
  GET /stats    {"requests": [[unix_time, method, path, status], ...],
                 "invalid": ["what was wrong", ...]}
  GET /points?collection=NAME   {"ids": [...], "payloads": {...}} every point held

Also enforced, and recorded as invalid: the api-key header when --api-key is
given, the request size limit (--max-request-mb, 32 as Qdrant's default), and
wait=true on every write (Sluice counts a write as confirmed by its answer).

Started with --port 0 it picks free ports and prints one JSON line:
{"port": DATA, "control": CONTROL}.
"""

import argparse
import json
import os
import random
import signal
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from pydantic import TypeAdapter, ValidationError
from qdrant_client import QdrantClient
from qdrant_client.http import models

POINTS_SELECTOR = TypeAdapter(models.PointsSelector)


class Invalid(Exception):
    """A request the real server would refuse: answered 400 and recorded."""


class Conflict(Exception):
    """A valid request that cannot apply (the collection exists): 409."""


class State:
    def __init__(self, storage, payload_schema=None):
        self.payload_validator = None
        if payload_schema:
            import jsonschema
            with open(payload_schema) as file:
                self.payload_validator = jsonschema.Draft202012Validator(json.load(file))
        self.lock = threading.Lock()
        self.api_key = None
        self.max_request_bytes = 32 << 20
        self.latency = 0
        self.client = QdrantClient(path=storage) if storage else QdrantClient(":memory:")
        self.sizes = {}
        self.requests = []
        self.invalid = []
        self.fault = {"mode": "none"}
        self.connections = set()
        self.latency = 0.0

    def record(self, method, path, status):
        with self.lock:
            self.requests.append([time.time(), method, path, status])


def check_point_id(point_id):
    if isinstance(point_id, bool):
        raise Invalid(f"point id {point_id!r} is neither an unsigned integer nor a UUID")
    if isinstance(point_id, int):
        if point_id < 0 or point_id >= 2 ** 64:
            raise Invalid(f"point id {point_id} is outside the u64 range")
        return
    try:
        uuid.UUID(str(point_id))
    except ValueError:
        raise Invalid(f"point id {point_id!r} is neither an unsigned integer nor a UUID")


def validate(model, body):
    try:
        if model is POINTS_SELECTOR:
            return POINTS_SELECTOR.validate_python(body)
        return model.model_validate(body)
    except ValidationError as error:
        raise Invalid(f"{getattr(model, '__name__', 'PointsSelector')}: {error}")


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def setup(self):
            super().setup()
            with state.lock:
                state.connections.add(self.connection)

        def finish(self):
            with state.lock:
                state.connections.discard(self.connection)
            try:
                super().finish()
            except OSError:
                pass

        def answer(self, status, body, headers=()):
            data = json.dumps(body).encode()
            state.record(self.command, urlparse(self.path).path, status)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                # The client gave up (a timeout): nothing to answer.
                self.close_connection = True

        def body(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not raw:
                return None
            try:
                return json.loads(raw)
            except ValueError as error:
                raise Invalid(f"body is not JSON: {error}")

        def do_GET(self):
            self.serve()

        def do_PUT(self):
            self.serve()

        def do_POST(self):
            self.serve()

        def do_DELETE(self):
            self.serve()

        def serve(self):
            if state.latency:
                time.sleep(state.latency)
            # What the real server enforces before anything else: its API key, and its
            # request size limit (service.max_request_size_mb, 32 MiB by default).
            if state.api_key is not None and self.headers.get("api-key") != state.api_key:
                with state.lock:
                    state.invalid.append(f"{self.command} {self.path}: no api-key header, or a wrong one")
                self.answer(401, {"status": {"error": "Must provide an API key or an Authorization bearer token"}})
                return
            if int(self.headers.get("Content-Length") or 0) > state.max_request_bytes:
                with state.lock:
                    state.invalid.append(f"{self.command} {self.path}: a body of {self.headers.get('Content-Length')} bytes")
                self.close_connection = True
                self.answer(413, {"status": {"error": "Payload error: JSON payload is larger than allowed"}})
                return
            # A write Sluice counts as confirmed must have been applied before the answer: wait=true.
            url = urlparse(self.path)
            if self.command in ("PUT", "POST") and "/points" in url.path and not url.path.endswith(("/query", "/scroll")):
                if parse_qs(url.query).get("wait") != ["true"]:
                    with state.lock:
                        state.invalid.append(f"{self.command} {self.path}: a write without wait=true is answered before it is applied")
            fault = state.fault
            with state.lock:
                passed = fault.get("pass_first", 0) > 0
                if passed:
                    fault["pass_first"] -= 1
            if fault["mode"] != "none" and not passed and random.random() < fault.get("probability", 1.0):
                if fault["mode"] == "hang":
                    time.sleep(fault.get("hang_seconds", 30))
                elif fault["mode"] == "status":
                    self.body()
                    headers = []
                    if fault.get("retry_after") is not None:
                        headers.append(("Retry-After", str(fault["retry_after"])))
                    status = fault.get("status", 503)
                    self.answer(status, {"status": {"error": f"injected fault: HTTP {status}"}}, headers)
                    return
            started = time.time()
            try:
                status, result = self.route()
                self.answer(status, {"result": result, "status": "ok", "time": time.time() - started})
            except Invalid as error:
                with state.lock:
                    state.invalid.append(f"{self.command} {self.path}: {error}")
                self.answer(400, {"status": {"error": f"Bad request: {error}"}})
            except Conflict as error:
                self.answer(409, {"status": {"error": str(error)}})
            except KeyError as error:
                self.answer(404, {"status": {"error": f"Not found: {error}"}})

        def route(self):
            url = urlparse(self.path)
            parts = [part for part in url.path.split("/") if part]
            if len(parts) < 2 or parts[0] != "collections":
                raise KeyError(url.path)
            name = parts[1]
            rest = parts[2:]
            method = self.command
            body = self.body()
            client = state.client
            if rest == [] and method == "GET":
                with state.lock:
                    if name not in state.sizes:
                        raise KeyError(f"Collection `{name}` doesn't exist!")
                    # The whole CollectionInfo, as the real server answers: clients such as
                    # langchain-qdrant parse it with the client's model and check the vector config.
                    info = client.get_collection(name).model_dump(mode="json")
                    info["points_count"] = client.count(name, exact=True).count
                return 200, info
            if rest == ["exists"] and method == "GET":
                with state.lock:
                    return 200, {"exists": name in state.sizes}
            if rest == [] and method == "PUT":
                request = validate(models.CreateCollection, body or {})
                vectors = request.vectors
                if not isinstance(vectors, models.VectorParams):
                    raise Invalid("Sluice creates one unnamed vector per point")
                with state.lock:
                    if name in state.sizes:
                        raise Conflict(f"Wrong input: Collection `{name}` already exists!")
                    client.create_collection(name, vectors_config=vectors)
                    state.sizes[name] = vectors.size
                return 200, True
            self.require(name)
            if rest == ["index"] and method == "PUT":
                request = validate(models.CreateFieldIndex, body or {})
                with state.lock:
                    client.create_payload_index(name, request.field_name, request.field_schema)
                return 200, {"operation_id": 0, "status": "completed"}
            if rest == ["points"] and method == "PUT":
                request = validate(models.PointsList, body or {})
                for point in request.points:
                    check_point_id(point.id)
                    if state.payload_validator:
                        problems = [error.message for error in state.payload_validator.iter_errors(point.payload or {})]
                        if problems:
                            raise Invalid(f"payload of point {point.id} does not match the documented schema: {problems[:3]}")
                    if not isinstance(point.vector, list) or len(point.vector) != state.sizes[name]:
                        length = len(point.vector) if isinstance(point.vector, list) else "a named"
                        raise Invalid(f"Wrong input: Vector dimension error: expected dim: {state.sizes[name]}, got {length}")
                with state.lock:
                    client.upsert(name, points=request.points, wait=True)
                return 200, {"operation_id": 0, "status": "completed"}
            if rest == ["points", "delete"] and method == "POST":
                selector = validate(POINTS_SELECTOR, body or {})
                if isinstance(selector, models.PointIdsList):
                    for point_id in selector.points:
                        check_point_id(point_id)
                with state.lock:
                    client.delete(name, points_selector=selector, wait=True)
                return 200, {"operation_id": 0, "status": "completed"}
            if rest == ["points", "query"] and method == "POST":
                request = validate(models.QueryRequest, body or {})
                if isinstance(request.query, list) and len(request.query) != state.sizes[name]:
                    raise Invalid(f"Wrong input: query vector has {len(request.query)} dimensions, expected {state.sizes[name]}")
                with state.lock:
                    answer = client.query_points(
                        name, query=request.query, query_filter=request.filter, limit=request.limit or 10,
                        with_payload=request.with_payload if request.with_payload is not None else False)
                return 200, {"points": [
                    {"id": point.id, "version": 0, "score": point.score, "payload": point.payload}
                    for point in answer.points
                ]}
            if rest == ["points", "scroll"] and method == "POST":
                request = validate(models.ScrollRequest, body or {})
                if request.offset is not None:
                    check_point_id(request.offset)
                with state.lock:
                    points, next_offset = client.scroll(
                        name, scroll_filter=request.filter, limit=request.limit or 10, offset=request.offset,
                        with_payload=request.with_payload if request.with_payload is not None else True,
                        with_vectors=False)
                return 200, {
                    "points": [{"id": point.id, "payload": point.payload} for point in points],
                    "next_page_offset": next_offset,
                }
            raise KeyError(f"{method} {url.path}")

        def require(self, name):
            with state.lock:
                if name not in state.sizes:
                    raise KeyError(f"Collection `{name}` doesn't exist!")

    return Handler


class DataServer:
    """The data port, which can go down (refusing connections) and come back on the same port."""

    def __init__(self, state, port):
        self.state = state
        self.port = port
        self.server = None
        self.lock = threading.Lock()
        self.up()

    def up(self):
        with self.lock:
            if self.server:
                return
            server = ThreadingHTTPServer(("127.0.0.1", self.port), make_handler(self.state))
            server.daemon_threads = True
            self.port = server.server_address[1]
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.server = server

    def down(self):
        with self.lock:
            if not self.server:
                return
            self.server.shutdown()
            self.server.server_close()
            self.server = None
            # Kept-alive connections go too: a server that is down answers nothing.
            with self.state.lock:
                connections = list(self.state.connections)
            for connection in connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def make_control(state, data):
    class Control(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, body):
            raw = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            fault = json.loads(self.rfile.read(length) or b"{}")
            state.fault = fault
            if fault.get("mode") == "down":
                data.down()
            else:
                data.up()
            self.answer({"fault": fault})

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/stats":
                with state.lock:
                    self.answer({"requests": list(state.requests), "invalid": list(state.invalid)})
                return
            if url.path == "/points":
                name = parse_qs(url.query).get("collection", ["sluice"])[0]
                ids, payloads = [], {}
                with state.lock:
                    if name in state.sizes:
                        offset = None
                        while True:
                            points, offset = state.client.scroll(name, limit=1000, offset=offset, with_payload=True)
                            for point in points:
                                ids.append(str(point.id))
                                payloads[str(point.id)] = point.payload
                            if offset is None:
                                break
                self.answer({"ids": ids, "payloads": payloads})
                return
            self.answer({"error": "unknown control route"})

    return Control


def exit_with_parent():
    """Exits when stdin closes: a parent that starts this with a pipe on
    stdin and dies (even killed) takes the server with it."""
    def watch():
        sys.stdin.buffer.read()
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


def main():
    # A parent may have blocked signals (threads of a Swift test process do); SIGTERM must work.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=6333)
    parser.add_argument("--control-port", type=int, default=0)
    parser.add_argument("--storage", help="a directory for on-disk local mode (default: in memory)")
    parser.add_argument("--exit-with-parent", action="store_true", help="exit when stdin closes")
    parser.add_argument("--latency-ms", type=float, default=0, help="time every data request takes before it is handled (a distant server)")
    parser.add_argument("--payload-schema", help="a JSON Schema every point payload must match (docs/schemas/qdrant-point.v2.json)")
    parser.add_argument("--api-key", help="require this api-key header on every data request, as Qdrant does when one is set")
    parser.add_argument("--max-request-mb", type=int, default=32, help="refuse larger bodies with 413, as Qdrant's service.max_request_size_mb")
    arguments = parser.parse_args()
    if arguments.exit_with_parent:
        exit_with_parent()
    state = State(arguments.storage, arguments.payload_schema)
    state.latency = arguments.latency_ms / 1000
    state.api_key = arguments.api_key
    state.max_request_bytes = arguments.max_request_mb << 20
    data = DataServer(state, arguments.port)
    control = ThreadingHTTPServer(("127.0.0.1", arguments.control_port), make_control(state, data))
    control.daemon_threads = True
    print(json.dumps({"port": data.port, "control": control.server_address[1]}), flush=True)
    try:
        control.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
