#!/usr/bin/env python3
"""A registry front that speaks the "signatures extension" of OpenShift's
integrated registry, for test-verify.sh.

Every /v2/... request is forwarded to the real docker-registry (--upstream,
TLS checked with --cafile) and its answer copied back; every answer carries
"X-Registry-Supports-Signatures: 1".  GET /extensions/v2/<repo>/signatures/
<algo>:<hex> answers from a lookaside directory (--sigdir, the layout skopeo's
lookaside-staging writes: <repo>@<algo>=<hex>/signature-N) as
{"signatures":[{"schemaVersion":2,"name":...,"type":"atomic","content":b64}]}.
Writes its port to --port-file once listening (TLS with --tls-cert/--tls-key).
"""
import argparse
import base64
import json
import os
import re
import ssl
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EXT = re.compile(r"^/extensions/v2/(?P<repo>[a-z0-9._/-]+)/signatures/(?P<algo>sha256|sha512):(?P<hex>[a-f0-9]+)$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--cafile", required=True)
    ap.add_argument("--sigdir", required=True)
    ap.add_argument("--tls-cert", required=True)
    ap.add_argument("--tls-key", required=True)
    args = ap.parse_args()
    upstream_ctx = ssl.create_default_context(cafile=args.cafile)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def reply(self, status, body, headers):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("X-Registry-Supports-Signatures", "1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def signatures(self, m):
            d = os.path.join(args.sigdir, "%s@%s=%s" % (m["repo"], m["algo"], m["hex"]))
            sigs = []
            n = 1
            while os.path.exists(os.path.join(d, "signature-%d" % n)):
                with open(os.path.join(d, "signature-%d" % n), "rb") as f:
                    sigs.append({"schemaVersion": 2, "name": "%s:%s@%032x" % (m["algo"], m["hex"], n),
                                 "type": "atomic", "content": base64.b64encode(f.read()).decode()})
                n += 1
            body = json.dumps({"signatures": sigs}).encode()
            self.reply(200, body, [("Content-Type", "application/json")])

        def forward(self):
            req = urllib.request.Request(args.upstream + self.path, method=self.command)
            for h in ("Accept", "Authorization"):
                if self.headers.get(h):
                    req.add_header(h, self.headers[h])
            try:
                with urllib.request.urlopen(req, context=upstream_ctx) as r:
                    status, body, hdrs = r.status, r.read(), r.headers
            except urllib.error.HTTPError as e:
                status, body, hdrs = e.code, e.read(), e.headers
            keep = [(k, v) for k, v in hdrs.items()
                    if k.lower() in ("content-type", "docker-content-digest", "www-authenticate",
                                     "docker-distribution-api-version")]
            if self.command == "HEAD" and hdrs.get("Content-Length"):
                self.send_response(status)
                for k, v in keep:
                    self.send_header(k, v)
                self.send_header("X-Registry-Supports-Signatures", "1")
                self.send_header("Content-Length", hdrs["Content-Length"])
                self.end_headers()
                return
            self.reply(status, body, keep)

        def do_GET(self):
            m = EXT.match(self.path)
            if m:
                self.signatures(m)
            elif self.path.startswith("/v2/"):
                self.forward()
            else:
                self.reply(404, b"", [])

        do_HEAD = do_GET

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
