"""A Lambda Runtime API of our own, on loopback, for running the packaged `bootstrap`.

Implements what a custom runtime (provided.al2023) talks to, as the Lambda service does:
  GET  /2018-06-01/runtime/invocation/next          blocks until an invocation; the event is
       the body, with Lambda-Runtime-Aws-Request-Id, Lambda-Runtime-Deadline-Ms,
       Lambda-Runtime-Invoked-Function-Arn and Lambda-Runtime-Trace-Id headers
  POST /2018-06-01/runtime/invocation/{id}/response  the function's result  -> 202
       buffered (a Content-Length body), or streamed: `Lambda-Runtime-Function-Response-Mode:
       streaming` with `Transfer-Encoding: chunked`, read chunk by chunk as it arrives
       (time of the first body byte kept), then optional trailers
       `Lambda-Runtime-Function-Error-Type` / `Lambda-Runtime-Function-Error-Body` (base64)
       that turn it into a mid-stream error
  POST /2018-06-01/runtime/invocation/{id}/error     a function error      -> 202
  POST /2018-06-01/runtime/init/error                 init failed           -> 202
Every request body is read whole (Content-Length or chunked) before the answer is sent.
A streaming response without chunked encoding is a protocol error (recorded, answered 400).
Stdlib only. Used by lambda_emulator_suite.py; `python3 lambda_emulator.py PORT` serves
one by itself and invokes events given as JSON lines on stdin (one answer line each).
"""

from __future__ import annotations

import http.server
import json
import os
import queue
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

API = "/2018-06-01/runtime"


@dataclass
class Outcome:
    """How one invocation ended."""
    kind: str  # "response", "error", or "stream-error" (a streamed response ended by error trailers)
    body: bytes
    headers: dict = field(default_factory=dict)
    seconds: float = 0.0
    streamed: bool = False  # response mode `streaming`, chunked
    trailers: dict = field(default_factory=dict)  # names lower-cased
    chunks: int = 0
    first_byte_at: float | None = None  # time.monotonic() of the first body byte
    first_byte_seconds: float | None = None  # from the invocation's start

    def json(self):
        return json.loads(self.body)


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # A function stopped while it waits on /next drops its connection: not an error.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class RuntimeApi:
    """The Runtime API server; `invoke` hands an event to the function and waits."""

    def __init__(self, function_name: str, region: str, account: str = "123456789012",
                 timeout_seconds: float = 29.0, port: int = 0):
        self.function_arn = f"arn:aws:lambda:{region}:{account}:function:{function_name}"
        self.timeout_seconds = timeout_seconds
        self._events: queue.Queue = queue.Queue()
        self._waiting: dict[str, tuple[threading.Event, list]] = {}
        self._lock = threading.Lock()
        self.first_poll = threading.Event()
        self.first_poll_at: float | None = None  # time.monotonic() of the first /next
        self.init_error: Outcome | None = None
        self.polls = 0
        self.request_ids: list[str] = []  # handed out by /next, in order
        self.protocol_errors: list[str] = []
        self._server = _Server(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.address = f"127.0.0.1:{self.port}"  # AWS_LAMBDA_RUNTIME_API has no scheme
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "RuntimeApi":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def invoke(self, event: dict, wait_seconds: float | None = None) -> Outcome:
        """Queues one event and returns the function's answer (raises TimeoutError)."""
        request_id = str(uuid.uuid4())
        done = threading.Event()
        slot: list = []
        with self._lock:
            self._waiting[request_id] = (done, slot)
        started = time.monotonic()
        deadline_ms = int(time.time() * 1000 + self.timeout_seconds * 1000)
        self._events.put((request_id, deadline_ms, json.dumps(event).encode()))
        if not done.wait(self.timeout_seconds + 5 if wait_seconds is None else wait_seconds):
            with self._lock:
                self._waiting.pop(request_id, None)
            raise TimeoutError(f"no answer to invocation {request_id}")
        outcome = slot[0]
        outcome.seconds = time.monotonic() - started
        if outcome.first_byte_at is not None:
            outcome.first_byte_seconds = outcome.first_byte_at - started
        return outcome

    def _finish(self, request_id: str, outcome: Outcome) -> bool:
        with self._lock:
            waiting = self._waiting.pop(request_id, None)
        if waiting is None:
            return False
        waiting[1].append(outcome)
        waiting[0].set()
        return True

    def _handler(self):
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real Runtime API

            def chunked(self) -> bool:
                return "chunked" in (self.headers.get("transfer-encoding") or "").lower()

            def read_body(self) -> bytes:
                if self.chunked():
                    return self.read_chunks(Outcome("response", b""))
                length = int(self.headers.get("content-length") or 0)
                return self.rfile.read(length) if length else b""

            def read_chunks(self, into: Outcome) -> bytes:
                """A chunked body, chunk by chunk as it arrives; counts the chunks, keeps
                the time of the first body byte and the trailers in `into`."""
                chunks = []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        raise ConnectionError("the body ended inside a chunk header")
                    size = int(line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while True:
                            trailer = self.rfile.readline()
                            if trailer in (b"\r\n", b"\n", b""):
                                break
                            name, _, value = trailer.decode("latin-1").partition(":")
                            into.trailers[name.strip().lower()] = value.strip()
                        break
                    data = self.rfile.read(size)
                    if into.first_byte_at is None:
                        into.first_byte_at = time.monotonic()
                    chunks.append(data)
                    into.chunks += 1
                    self.rfile.readline()
                return b"".join(chunks)

            def read_response(self, kind: str) -> Outcome:
                """A function's result, buffered or streamed (as the Runtime API takes it)."""
                headers = dict(self.headers.items())
                mode = (self.headers.get("lambda-runtime-function-response-mode") or "").lower()
                if kind != "response" or mode != "streaming":
                    return Outcome(kind, self.read_body(), headers)
                out = Outcome(kind, b"", headers, streamed=True)
                if not self.chunked():
                    api.protocol_errors.append(f"{self.path}: response mode streaming without chunked encoding")
                    out.body = self.read_body()
                    out.kind = "protocol-error"
                    return out
                out.body = self.read_chunks(out)
                if "lambda-runtime-function-error-type" in out.trailers:
                    out.kind = "stream-error"
                return out

            def answer(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
                self.send_response_only(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", (headers or {}).get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self.read_body()
                if self.path != f"{API}/invocation/next":
                    self.answer(404, b'{"errorType":"InvalidRequest","errorMessage":"unknown path"}')
                    return
                with api._lock:
                    api.polls += 1
                    if api.first_poll_at is None:
                        api.first_poll_at = time.monotonic()
                        api.first_poll.set()
                request_id, deadline_ms, event = api._events.get()
                api.request_ids.append(request_id)
                trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
                self.answer(200, event, {
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                    "Lambda-Runtime-Trace-Id": trace,
                })

            def do_POST(self) -> None:
                accepted = b'{"status":"OK"}'
                if self.path == f"{API}/init/error":
                    body = self.read_body()  # whole, before answering
                    api.init_error = Outcome("error", body, dict(self.headers.items()))
                    api.first_poll.set()  # nobody will poll: wake whoever waits for init
                    self.answer(202, accepted)
                    return
                m = re.fullmatch(rf"{API}/invocation/([^/]+)/(response|error)", self.path)
                if not m:
                    self.read_body()
                    self.answer(404, b'{"errorType":"InvalidRequest","errorMessage":"unknown path"}')
                    return
                outcome = self.read_response(m.group(2))  # whole, before answering
                if outcome.kind == "protocol-error":
                    self.answer(400, b'{"errorType":"InvalidRequest","errorMessage":"streaming needs chunked encoding"}')
                    api._finish(m.group(1), outcome)
                    return
                if not api._finish(m.group(1), outcome):
                    api.protocol_errors.append(f"{self.path}: unknown or already answered request id")
                    self.answer(400, b'{"errorType":"InvalidRequestID","errorMessage":"unknown request id"}')
                    return
                self.answer(202, accepted)

            def log_message(self, *args) -> None:
                pass

        return Handler


def main() -> None:
    api = RuntimeApi(os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "function"),
                     os.environ.get("AWS_REGION", "us-east-1"), port=int(sys.argv[1])).start()
    for line in sys.stdin:
        if line.strip():
            out = api.invoke(json.loads(line))
            print(json.dumps({"kind": out.kind, "body": out.body.decode("utf-8", "replace")}), flush=True)


if __name__ == "__main__":
    main()
