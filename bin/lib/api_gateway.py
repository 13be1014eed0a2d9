"""A local stand-in for our REST API in front of a Lambda function binary, for HTTP clients.

usage: api_gateway.py PORT [--timeout SECONDS] -- FUNCTION [ARGS...]

Each HTTP request on 127.0.0.1:PORT becomes the API Gateway REST (payload v1) proxy event
our stack sends (rest_api.rest_event: the path as the proxy resource, the query as
queryStringParameters and multiValueQueryStringParameters, the body base64), is handed to
one function process through our own Runtime API (lambda_emulator.RuntimeApi; the function
gets AWS_LAMBDA_RUNTIME_API and the rest of this environment), and the function's answer is
read as API Gateway reads it (rest_api.Answer: a streamed prelude and body, or a buffered
proxy response) and written back as an HTTP response. As on API Gateway: a function error
or an unreadable answer is a 502, no answer within the timeout a 504, the function's own
Content-Length is passed on as X-Amzn-Remapped-Content-Length. One instance: concurrent
requests queue for it. A function process that exits is started again (a new instance).
Stdlib only.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
from urllib.parse import unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lambda_emulator import RuntimeApi  # noqa: E402
from rest_api import ACCOUNT, Answer, rest_event  # noqa: E402

# Hop-by-hop and framing headers: the gateway sets its own.
DROPPED_REQUEST_HEADERS = {"host", "connection", "keep-alive", "transfer-encoding", "content-length",
                           "te", "upgrade", "proxy-connection", "expect"}
DROPPED_RESPONSE_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length"}


def split_query(raw: str) -> list[tuple[str, str]]:
    """The query as API Gateway hands it to a proxy integration: pairs percent-decoded,
    in order, a bare key with an empty value."""
    pairs = []
    for part in raw.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((unquote(key), unquote(value)))
    return pairs


def keep_function_running(command: list[str], env: dict[str, str], stop: threading.Event) -> None:
    while not stop.is_set():
        proc = subprocess.Popen(command, env=env)
        while proc.poll() is None:
            if stop.wait(0.2):
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                return
        print(f"api_gateway: the function exited with {proc.returncode}; starting a new instance",
              file=sys.stderr, flush=True)
        time.sleep(0.5)


def handler(api: RuntimeApi, timeout: float):
    class Gateway(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def read_body(self) -> bytes | None:
            if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("content-length") or 0)
            return self.rfile.read(length) if length else None

        def reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response_only(status)
            for name, value in headers:
                self.send_header(name, value)
            if self.command != "HEAD" or not any(k.lower() == "x-amzn-remapped-content-length" for k, _ in headers):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def gateway_error(self, status: int, message: str) -> None:
            body = ('{"message":"%s"}' % message).encode()
            self.reply(status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", "InternalServerErrorException")], body)

        def proxy(self) -> None:
            path, _, raw_query = self.path.partition("?")
            body = self.read_body()
            headers = [(k, v) for k, v in self.headers.items() if k.lower() not in DROPPED_REQUEST_HEADERS]
            # REST APIs hand the function the path still percent-encoded (unlike HTTP APIs), the
            # query parameters decoded.
            event = rest_event(self.command, path, split_query(raw_query) or None, headers, body)
            try:
                answer = Answer(api.invoke(event, timeout))
            except TimeoutError:
                self.gateway_error(504, "Endpoint request timed out")
                return
            if answer.outcome.kind != "response" or answer.problem or not isinstance(answer.status, int):
                print(f"api_gateway: {self.command} {self.path}: {answer!r}", file=sys.stderr, flush=True)
                self.gateway_error(502, "Internal server error")
                return
            out: list[tuple[str, str]] = []
            r_single = {k.lower(): v for k, v in answer.headers.items()}
            multi = answer.multi_headers
            for name, values in multi.items():
                for value in values:
                    out.append((name, value))
            for name, value in r_single.items():
                if name not in multi:
                    out.append((name, value))
            for cookie in answer.cookies:
                out.append(("Set-Cookie", cookie))
            remapped = [v for k, v in out if k.lower() == "content-length"]
            out = [(k, v) for k, v in out if k.lower() not in DROPPED_RESPONSE_HEADERS]
            if remapped:
                out.append(("X-Amzn-Remapped-Content-Length", remapped[-1]))
            self.reply(answer.status, out, answer.body)

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = proxy

        def log_message(self, *args) -> None:
            pass

    return Gateway


def main() -> int:
    args = sys.argv[1:]
    if "--" not in args or not args or args[0] == "--":
        print(__doc__, file=sys.stderr)
        return 2
    sep = args.index("--")
    own, command = args[:sep], args[sep + 1:]
    port = int(own[0])
    timeout = float(own[own.index("--timeout") + 1]) if "--timeout" in own else 29.0
    api = RuntimeApi(os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "function"),
                     os.environ.get("AWS_REGION", "us-east-1"), ACCOUNT, timeout).start()
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=api.address)
    stop = threading.Event()
    runner = threading.Thread(target=keep_function_running, args=(command, env, stop), daemon=True)
    runner.start()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler(api, timeout))
    server.daemon_threads = True
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        runner.join(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
