#!/usr/bin/env python3
"""Fault helper behind the integration tests' nginx front (loopback, plain HTTP).

Two jobs:

* GET /once/<original request URI>: an "allow after the first time" oracle
  for nginx `auth_request`.  The first request for a URI gets 403 (which
  nginx turns into a 503 or a 429 with `error_page`), every later one 200.

* GET /v2/<fault>/<name>/...: fetches /v2/<name>/... from the real registry
  (--upstream, verified with --cafile; Accept and Authorization passed on)
  and delivers it damaged in a way nginx cannot do by itself:
    ftrunc   blobs: the full Content-Length is announced, half the body is
             sent, then the connection is closed
    fstall   blobs: headers and 16 bytes, then nothing for 120 s
    fflip    blobs over 4 KiB (layers, not the config): byte len/2 is XORed
             with 0xff (same length)
    fextra   blobs: 64 extra bytes after the blob, Content-Length to match
    fdupkey  manifests: "schemaVersion" appears twice in the object
    fhuge    manifests: 8 MiB of whitespace before the JSON, no
             Content-Length (read until close)
  Anything else is passed through unchanged.

Binds port 0 and writes the port to --port-file.
"""
import argparse
import os
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ("ftrunc", "fstall", "fflip", "fextra", "fdupkey", "fhuge")


def make_handler(upstream, ctx):
    seen = set()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # close-delimited: a short body is a short body

        def log_message(self, fmt, *a):
            sys.stderr.write("faultd: " + (fmt % a) + "\n")

        def send_raw(self, code, headers, body):
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_GET(self):
            if self.path.startswith("/once/"):
                key = self.path[len("/once"):]
                with lock:
                    first = key not in seen
                    seen.add(key)
                self.send_raw(403 if first else 200, [("Content-Length", "0")], b"")
                return
            parts = self.path.split("/", 3)  # "", "v2", fault, rest
            if len(parts) < 4 or parts[1] != "v2" or parts[2] not in FAULTS:
                self.send_raw(404, [("Content-Length", "0")], b"")
                return
            fault, rest = parts[2], parts[3]
            req = urllib.request.Request(upstream + "/v2/" + rest)
            for h in ("Accept", "Authorization"):
                if self.headers.get(h):
                    req.add_header(h, self.headers[h])
            try:
                with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
                    code, body, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
            except urllib.error.HTTPError as e:
                code, body, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
            is_blob = "/blobs/" in rest
            headers = [("Content-Type", ctype)]
            if code != 200:
                self.send_raw(code, headers + [("Content-Length", str(len(body)))], body)
                return
            if fault == "ftrunc" and is_blob:
                self.send_raw(code, headers + [("Content-Length", str(len(body)))],
                              body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if fault == "fstall" and is_blob:
                self.send_raw(code, headers + [("Content-Length", str(len(body)))], body[:16])
                self.wfile.flush()
                time.sleep(120)
                return
            if fault == "fflip" and is_blob and len(body) > 4096:
                b = bytearray(body)
                b[len(b) // 2] ^= 0xFF
                body = bytes(b)
            elif fault == "fextra" and is_blob:
                body = body + b"\0" * 64
            elif fault == "fdupkey" and not is_blob:
                body = body.replace(b'"schemaVersion":2', b'"schemaVersion":2,"schemaVersion":2', 1)
            elif fault == "fhuge" and not is_blob:
                self.send_raw(code, headers, b"")
                chunk = b" " * 65536
                try:
                    for _ in range(128):
                        self.wfile.write(chunk)
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return
            self.send_raw(code, headers + [("Content-Length", str(len(body)))], body)

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--upstream", required=True, help="https://127.0.0.1:PORT of the registry")
    ap.add_argument("--cafile", required=True)
    args = ap.parse_args()
    ctx = ssl.create_default_context(cafile=args.cafile)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args.upstream, ctx))
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
