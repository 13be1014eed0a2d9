"""Relays the Lambda Runtime API between a function and `cargo lambda watch`.

usage: python3 runtime_relay.py LISTEN_PORT UPSTREAM_HOST:PORT

cargo-lambda 1.9's emulator answers `POST /runtime/invocation/{id}/response` before it
reads the request body and hands the unread body to the waiting HTTP caller; if that
connection closes or is reused before the caller has read it, the body arrives cut (the
caller gets a 500) or never (the caller waits forever). `lambda_runtime`'s pooled hyper
client often gets that early answer while still writing, opens a new connection and
drops one of the idle pair: measured with curl against the Lambda binary, 2-6 % of
responses were lost (0 of 400 with a Python client holding one connection). The relay
reads each request from the function whole and forwards it on one long-lived
connection, one at a time (the runtime's loop is sequential: `next`, then `response`).
Requests, responses and their headers pass unchanged; measured: 0 of 300 lost.
A chunked request (a streamed response: `Lambda-Runtime-Function-Response-Mode:
streaming`) is read whole too and forwarded chunked, chunk for chunk, with its trailers:
cargo-lambda takes the first chunk as the streaming prelude and the second as the
delimiter, as `lambda_runtime` writes them.
"""

import http.client
import http.server
import sys
import threading

# Headers that belong to one hop, not to the message.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-connection", "content-length", "host"}


def main() -> None:
    listen_port = int(sys.argv[1])
    upstream_host, upstream_port = sys.argv[2].rsplit(":", 1)

    # One upstream connection, one request at a time: with a connection per request the
    # emulator lost 87 of 300 bodies.
    upstream = http.client.HTTPConnection(upstream_host, int(upstream_port))
    lock = threading.Lock()

    class Relay(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive towards the function, as on Lambda

        def read_chunks(self) -> tuple[list[bytes], list[bytes]]:
            chunks, trailers = [], []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
                        trailers.append(line.rstrip(b"\r\n"))
                    return chunks, trailers
                chunks.append(self.rfile.read(size))
                self.rfile.readline()

        def send_chunked(self, headers: dict) -> None:
            chunks, trailers = self.read_chunks()
            upstream.putrequest(self.command, self.path, skip_accept_encoding=True)
            for key, value in headers.items():
                upstream.putheader(key, value)
            upstream.putheader("Transfer-Encoding", "chunked")
            if self.headers.get("trailer"):
                upstream.putheader("Trailer", self.headers["trailer"])
            upstream.endheaders()
            for chunk in chunks:
                upstream.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            upstream.send(b"0\r\n" + b"".join(t + b"\r\n" for t in trailers) + b"\r\n")

        def relay(self) -> None:
            chunked = "chunked" in (self.headers.get("transfer-encoding") or "").lower()
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length and not chunked else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            # No timeout: `/invocation/next` blocks until there is an invocation.
            with lock:
                if chunked:
                    self.send_chunked(headers)
                else:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                payload = answer.read()
            self.send_response_only(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = relay

        def log_message(self, *args) -> None:  # one line per request would flood the log
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", listen_port), Relay)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
