"""API Gateway's REST API (payload v1, Lambda proxy integration) as our stack configures it:
the events it sends the function, and how it reads the function's answer, buffered or
streamed (transfer mode STREAM). Stdlib only; used by the emulated-Lambda suite
(lambda_emulator_suite.py) and by the local gateway in front of the Lambda binary
(api_gateway.py).
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from datetime import datetime, timezone

from lambda_emulator import Outcome

API_ID = "a1b2c3d4e5"
ACCOUNT = "123456789012"
STAGE_NAME_IN_API = "dev"  # the REST API's stage name: it is the deployment stage `dev`


def rest_event(method: str, key: str, query: list[tuple[str, str]] | None = None,
               headers: list[tuple[str, str]] | None = None, body: bytes | None = None) -> dict:
    """An event as API Gateway's REST API (Lambda proxy integration) builds it for a
    request CloudFront forwarded to the stage: `path` without the stage,
    requestContext.path with it; `/` on the root resource, everything else on
    `/{proxy+}`; with binaryMediaTypes */* every body arrives base64-encoded."""
    path = "/" + key.lstrip("/")
    resource = "/" if path == "/" else "/{proxy+}"
    host = f"{API_ID}.execute-api.eu-central-1.amazonaws.com"
    hdrs: list[tuple[str, str]] = [
        ("Host", host),
        ("User-Agent", "Amazon CloudFront"),
        ("Via", "2.0 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)"),
        ("X-Amz-Cf-Id", base64.b64encode(os.urandom(30)).decode()),
        ("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"),
        ("X-Forwarded-For", "203.0.113.10, 130.176.0.1"),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
    ] + list(headers or [])
    if body is not None:
        hdrs.append(("Content-Length", str(len(body))))
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for k, v in hdrs:
        single[k] = v  # the single-value map keeps the last value
        multi.setdefault(k, []).append(v)
    qs_single: dict[str, str] | None = None
    qs_multi: dict[str, list[str]] | None = None
    if query:
        qs_single, qs_multi = {}, {}
        for k, v in query:
            qs_single[k] = v
            qs_multi.setdefault(k, []).append(v)
    now = datetime.now(timezone.utc)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": qs_single,
        "multiValueQueryStringParameters": qs_multi,
        "pathParameters": None if resource == "/" else {"proxy": path[1:]},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123" if resource == "/" else "def456",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": base64.b64encode(os.urandom(10)).decode(),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{STAGE_NAME_IN_API}{path}",
            "accountId": ACCOUNT,
            "protocol": "HTTP/1.1",
            "stage": STAGE_NAME_IN_API,
            "domainPrefix": API_ID,
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {
                "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None,
                "caller": None, "sourceIp": "130.176.0.1", "principalOrgId": None,
                "accessKey": None, "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None, "userArn": None,
                "userAgent": "Amazon CloudFront", "user": None,
            },
            "domainName": host,
            "apiId": API_ID,
        },
        "body": None if body is None else base64.b64encode(body).decode(),
        "isBase64Encoded": body is not None,
    }


STREAM_CONTENT_TYPE = "application/vnd.awslambda.http-integration-response"
PRELUDE_DELIMITER = b"\0" * 8
PRELUDE_MAX_BYTES = 16 * 1024  # API Gateway looks for the prelude in the first 16 KB


def read_streamed(data: bytes, content_type: str | None) -> tuple[dict | None, bytes, str]:
    """A streamed result as API Gateway's REST integration (transfer mode STREAM) reads it:
    the content type names the HTTP-integration format, a JSON prelude (statusCode,
    headers: one string per name, multiValueHeaders, cookies) ends at the first 8 NUL
    bytes within the first 16 KB, and every byte after them is the body, as is (no
    base64). Returns (prelude, body, problem); problem is "" when API Gateway would
    accept it."""
    if (content_type or "").split(";")[0].strip() != STREAM_CONTENT_TYPE:
        return None, data, f"content type {content_type!r}, not {STREAM_CONTENT_TYPE}"
    at = data.find(PRELUDE_DELIMITER, 0, PRELUDE_MAX_BYTES + len(PRELUDE_DELIMITER))
    if at < 0:
        return None, data, "no 8-NUL delimiter in the first 16 KB"
    try:
        prelude = json.loads(data[:at])
    except ValueError as e:
        return None, data, f"the prelude is not JSON: {e}"
    body = data[at + len(PRELUDE_DELIMITER):]
    if not isinstance(prelude, dict) or not isinstance(prelude.get("statusCode"), int):
        return None, body, f"no integer statusCode in the prelude {prelude!r:.200}"
    headers = prelude.get("headers") or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        return prelude, body, f"prelude headers must be one string per name: {headers!r:.300}"
    multi = prelude.get("multiValueHeaders") or {}
    if not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in multi.values()):
        return prelude, body, f"multiValueHeaders must be lists of strings: {multi!r:.300}"
    cookies = prelude.get("cookies") or []
    if not all(isinstance(c, str) for c in cookies):
        return prelude, body, f"cookies must be strings: {cookies!r:.300}"
    return prelude, body, ""


class Answer:
    """What API Gateway answers for the function's result: streamed (the path the stack
    configures: every response), or a buffered proxy response JSON."""

    def __init__(self, outcome: Outcome):
        self.outcome = outcome
        self.streamed = outcome.streamed and outcome.kind == "response"
        self.problem = ""
        r: dict = {}
        if self.streamed:
            content_type = {k.lower(): v for k, v in outcome.headers.items()}.get("content-type")
            prelude, self.body, self.problem = read_streamed(outcome.body, content_type)
            r = prelude or {}
            self.base64 = False
        elif outcome.kind == "response":
            r = outcome.json()
            body = r.get("body") or ""
            self.base64 = bool(r.get("isBase64Encoded"))
            self.body = base64.b64decode(body) if self.base64 else body.encode()
        else:
            self.body, self.base64 = b"", False
        self.status = None if self.problem else r.get("statusCode")
        self.headers = {k.lower(): v for k, v in (r.get("headers") or {}).items()}
        # Every value of a repeated header, names lower-cased (`headers` keeps one).
        self.multi_headers: dict[str, list[str]] = {}
        for k, vs in (r.get("multiValueHeaders") or {}).items():
            if vs:
                self.headers.setdefault(k.lower(), vs[-1])
                self.multi_headers.setdefault(k.lower(), []).extend(vs)
        self.cookies = list(r.get("cookies") or [])

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __repr__(self) -> str:
        if self.outcome.kind != "response":
            return f"<{self.outcome.kind}: {self.outcome.body[:300]!r} {self.outcome.trailers}>"
        if self.problem:
            return f"<not readable as API Gateway reads a stream: {self.problem}>"
        if self.streamed and not self.headers.get("content-type", "").startswith(("application/json", "text/")):
            return f"<{self.status} {self.headers.get('content-type')}, {len(self.body)} bytes streamed>"
        if self.base64:
            return f"<{self.status} {self.headers.get('content-type')}, {len(self.body)} bytes>"
        return f"<{self.status} {self.headers.get('content-type')} {self.body[:200]!r}>"
