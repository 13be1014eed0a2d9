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

        def relay(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            # No timeout: `/invocation/next` blocks until there is an invocation.
            with lock:
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
