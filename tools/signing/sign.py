#!/usr/bin/env python3
"""Signs an image-service URL with the standard library only (the README's Python example).

usage: sign.py KEYID:SECRET '/path/photo.jpg?w=300' [EXPIRES_UNIX_TIME]
Prints the signed path and query. The service's tests use this script as an
independent implementation of the signing scheme.
"""
import base64
import hashlib
import hmac
import sys
from urllib.parse import parse_qsl, quote, unquote, urlsplit


def sign(url, key_id, secret, expires=None):
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in ("s", "kid", "exp")]
    pairs.append(("kid", key_id))
    if expires is not None:
        pairs.append(("exp", str(expires)))
    enc = lambda s: quote(s, safe="-_.~")
    query = "&".join(sorted(f"{enc(k)}={enc(v)}" for k, v in pairs))
    path = "/".join(enc(segment) for segment in unquote(parts.path).split("/"))
    digest = hmac.new(secret.encode(), f"{path}\n{query}".encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return f"{path}?{query}&s={signature}"


if __name__ == "__main__":
    key_id, secret = sys.argv[1].split(":", 1)
    expires = int(sys.argv[3]) if len(sys.argv) > 3 else None
    print(sign(sys.argv[2], key_id, secret, expires))
