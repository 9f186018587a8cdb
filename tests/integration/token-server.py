#!/usr/bin/env python3
"""Test token issuer for docker-registry's `auth: token` mode (loopback only).

Implements the Docker token protocol as distribution 2.8 checks it
(registry/auth/token): GET /token?service=S&scope=repository:NAME:ACTIONS
[&scope=...][&account=U], optional HTTP Basic credentials, reply
{"token", "access_token", "expires_in", "issued_at"}.  The JWT is RS256,
signed by running `openssl dgst -sha256 -sign` (no third-party Python), with
an x5c header holding the issuer certificate the registry trusts
(`rootcertbundle`).

Policy: valid credentials get the actions they ask for; wrong credentials
get 401; anonymous requests get `pull` on repositories under
--public-prefix and nothing elsewhere.  Every request is appended to --log
as one JSON line (scopes, account, whether credentials came and were valid;
never the password).  The server binds port 0 and writes the port it got to
--port-file, so there is no race for a free port.
"""
import argparse
import base64
import json
import os
import secrets
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    def __init__(self, args):
        self.args = args
        with open(args.sign_cert) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        self.x5c = [base64.b64encode(der).decode()]
        self.user, _, self.password = args.user.partition(":")
        self.lock = threading.Lock()

    def sign(self, claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.args.sign_key],
                             input=signing_input.encode(), capture_output=True, check=True).stdout
        return signing_input + "." + b64url(sig)

    def log(self, entry):
        with self.lock, open(self.args.log, "a") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")


def make_handler(issuer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):  # keep stderr quiet; requests go to --log
            pass

        def reply(self, code, body, extra=None):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlsplit(self.path)
            q = parse_qs(url.query)
            scopes = q.get("scope", [])
            entry = {"path": url.path, "service": q.get("service", [""])[0],
                     "account": q.get("account", [""])[0], "scopes": scopes}
            auth = self.headers.get("Authorization", "")
            user = None
            if auth.lower().startswith("basic "):
                try:
                    u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
                except Exception:
                    u, p = "", None
                if u == issuer.user and p == issuer.password:
                    entry["auth"] = "valid"
                    user = u
                else:
                    entry["auth"] = "invalid"
                    issuer.log(entry)
                    self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                                 "message": "wrong user name or password"}]},
                               {"WWW-Authenticate": 'Basic realm="token"'})
                    return
            else:
                entry["auth"] = "none"
            if url.path != "/token" or entry["service"] != issuer.args.service:
                issuer.log(entry)
                self.reply(400, {"errors": [{"code": "BAD_REQUEST", "message": "unknown service"}]})
                return
            access = []
            for scope in scopes:
                parts = scope.split(":")
                if len(parts) != 3 or parts[0] != "repository":
                    continue
                name, actions = parts[1], [a for a in parts[2].split(",") if a]
                if user is None:
                    actions = [a for a in actions if a == "pull"] \
                        if name.startswith(issuer.args.public_prefix) else []
                if actions:
                    access.append({"type": "repository", "name": name, "actions": actions})
            entry["granted"] = access
            issuer.log(entry)
            now = int(time.time())
            claims = {"iss": issuer.args.issuer, "sub": user or "", "aud": issuer.args.service,
                      "exp": now + 300, "nbf": now - 10, "iat": now,
                      "jti": secrets.token_hex(8), "access": access}
            token = issuer.sign(claims)
            self.reply(200, {"token": token, "access_token": token, "expires_in": 300,
                             "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--tls-cert", required=True)
    ap.add_argument("--tls-key", required=True)
    ap.add_argument("--sign-key", required=True)
    ap.add_argument("--sign-cert", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--user", required=True, help="USER:PASSWORD accepted")
    ap.add_argument("--public-prefix", default="public/")
    args = ap.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(Issuer(args)))
    server.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
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
