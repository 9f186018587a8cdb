#!/bin/bash
# Fault injection: nginx in front of a real docker-registry (TLS from the
# test CA), faults keyed by the first path component of the repository:
#   f503once/f429once  503 / 429 (Retry-After) the first time per URL, then
#                      the real answer (nginx auth_request + faultd's oracle)
#   f503/f429          always 503 / 429;   f404  always 404 (no retry)
#   fhtml              an HTML page with 200
#   fslow              blobs at 50 bytes/s (nginx limit_rate)
#   fstall             blobs: 16 bytes, then nothing (faultd)
#   ftrunc             blobs: half the announced body, then close (faultd)
#   fextra             blobs: 64 bytes more than the blob (faultd)
#   fflip              layers: one byte changed (faultd)
#   ftamper            config: "amd64" rewritten to "arm64" (nginx sub_filter)
#   fmtamper           manifest: a space added (nginx sub_filter)
#   fdupkey            manifest with a duplicate key (faultd)
#   fhuge              manifest of 8 MiB (faultd)
#   flie               Docker-Content-Digest header with a wrong digest
#   fredir-http        302 to plain http;  floop  302 to itself
# plus a server certificate for the wrong host and a plain-http port.
#   usage: test-faults.sh BOOTGATE
. "$(dirname "$0")/lib.sh"
require_tools docker-registry skopeo umoci nginx openssl python3 jq curl
it_init
make_pki || { echo "Bail out! cannot make the test CA"; exit 1; }
start_registry reg plain || { echo "Bail out! docker-registry did not start"; exit 1; }
R=127.0.0.1:$REG_PORT
push_test_images "$R" || { echo "Bail out! cannot push the test images"; exit 1; }
start_faultd "$REG_PORT" || { echo "Bail out! faultd did not start"; exit 1; }

FRONT_PORT=$(free_port)
WRONGSAN_PORT=$(free_port)
HTTP_PORT=$(free_port)
F=127.0.0.1:$FRONT_PORT
zero=$(printf '0%.0s' $(seq 64))
cat >"$WORK/front.conf" <<EOF
ssl_certificate $WORK/pki/srv.crt;
ssl_certificate_key $WORK/pki/srv.key;
proxy_ssl_verify on;
proxy_ssl_trusted_certificate $WORK/pki/ca.crt;
proxy_ssl_name localhost;
proxy_read_timeout 30s;
server {
  listen 127.0.0.1:$FRONT_PORT ssl;
  access_log $WORK/front/front.log leak;
  location = /_once {
    internal;
    proxy_pass http://127.0.0.1:$FAULTD_PORT/once\$request_uri;
    proxy_pass_request_body off;
    proxy_set_header Content-Length "";
  }
  location @e503 { add_header Retry-After 1 always; return 503 "busy\n"; }
  location @e429 {
    add_header Retry-After 2 always;
    return 429 '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}';
  }
  location ~ ^/v2/f503once/ {
    auth_request /_once;
    error_page 403 = @e503;
    rewrite ^/v2/f503once/(.*)\$ /v2/\$1 break;
    proxy_pass https://$R;
  }
  location ~ ^/v2/f429once/ {
    auth_request /_once;
    error_page 403 = @e429;
    rewrite ^/v2/f429once/(.*)\$ /v2/\$1 break;
    proxy_pass https://$R;
  }
  location ~ ^/v2/f503/ { add_header Retry-After 1 always; return 503 "busy\n"; }
  location ~ ^/v2/f429/ {
    add_header Retry-After 1 always;
    return 429 '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}';
  }
  location ~ ^/v2/f404/ { return 404 '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"no"}]}'; }
  location ~ ^/v2/fhtml/ { default_type text/html; return 200 "<html><body>captive portal</body></html>\n"; }
  location ~ ^/v2/fslow/.*/blobs/ {
    rewrite ^/v2/fslow/(.*)\$ /v2/\$1 break;
    limit_rate 50;
    proxy_pass https://$R;
  }
  location ~ ^/v2/fslow/ { rewrite ^/v2/fslow/(.*)\$ /v2/\$1 break; proxy_pass https://$R; }
  location ~ ^/v2/ftamper/ {
    rewrite ^/v2/ftamper/(.*)\$ /v2/\$1 break;
    proxy_set_header Accept-Encoding "";
    sub_filter_types *;
    sub_filter '"architecture":"amd64"' '"architecture":"arm64"';
    proxy_pass https://$R;
  }
  location ~ ^/v2/fmtamper/ {
    rewrite ^/v2/fmtamper/(.*)\$ /v2/\$1 break;
    proxy_set_header Accept-Encoding "";
    sub_filter_types *;
    sub_filter '"schemaVersion":2' '"schemaVersion": 2';
    proxy_pass https://$R;
  }
  location ~ ^/v2/flie/ {
    rewrite ^/v2/flie/(.*)\$ /v2/\$1 break;
    proxy_hide_header Docker-Content-Digest;
    add_header Docker-Content-Digest sha256:$zero always;
    proxy_pass https://$R;
  }
  location ~ ^/v2/fredir-http/ { return 302 http://127.0.0.1:$HTTP_PORT/v2/team/app/manifests/oci; }
  location ~ ^/v2/floop/ { return 302 https://$F\$request_uri; }
  location ~ ^/v2/(ftrunc|fstall|fextra|fflip|fdupkey|fhuge)/ {
    proxy_pass http://127.0.0.1:$FAULTD_PORT;
    proxy_buffering off;
  }
  location /v2/ { proxy_pass https://$R; }
}
server {
  listen 127.0.0.1:$WRONGSAN_PORT ssl;
  ssl_certificate $WORK/pki/other.crt;
  ssl_certificate_key $WORK/pki/other.key;
  location / { proxy_pass https://$R; }
}
server {
  listen 127.0.0.1:$HTTP_PORT;
  access_log $WORK/front/http.log leak;
  location / { proxy_pass https://$R; }
}
EOF
start_nginx front "$WORK/front.conf" || { echo "Bail out! nginx did not start"; exit 1; }
wait_http "https://$F/v2/" "$(cat "$WORK/front/nginx.pid")" --cacert "$WORK/pki/ca.crt" ||
	{ echo "Bail out! nginx front does not answer"; exit 1; }
LOG=$WORK/front/front.log
CERTS=(--cert-dir "$WORK/certs")
FAST=(--max-attempts 3 --low-speed-time 3 --connect-timeout 5 --deadline 60)

# What the real image looks like (the oracle): skopeo straight from the registry.
skopeo inspect --raw "${CERTS[@]}" "docker://$R/team/app:oci" >"$WORK/manifest.json"
skopeo inspect --config --raw "${CERTS[@]}" "docker://$R/team/app:oci" >"$WORK/config.json"
MANIFEST=$(sha256_of "$WORK/manifest.json")
CONFIG=$(sha256_of "$WORK/config.json")
BIGLAYER=$(jq -r '[.layers[] | select(.size > 4096)][0].digest' "$WORK/manifest.json")

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
# less SECONDS LIMIT: true when SECONDS < LIMIT
less() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
# requests PATTERN: how many front log lines match
requests() { sleep 0.3; grep -c -- "$1" "$LOG"; }

# --- transient errors: success after a retry ---------------------------------
t=$(now)
bg inspect --format json "${CERTS[@]}" "${FAST[@]}" "docker://$F/f503once/team/app:oci"
is "$RC/$(json_field manifest_digest)" "0/$MANIFEST" "503 once, then 200: exit 0, right digest"
diag "503 once: $(elapsed "$t") s"
grep -q 'GET /v2/f503once/team/app/manifests/oci HTTP/1.1" 503' "$LOG" &&
	grep -q 'GET /v2/f503once/team/app/manifests/oci HTTP/1.1" 200' "$LOG"
ok $? "503 once: the log shows the 503 and then the 200 for the manifest"
grep -q "GET /v2/f503once/team/app/blobs/$CONFIG HTTP/1.1\" 503" "$LOG"
ok $? "503 once: the config blob was retried too"

t=$(now)
bg inspect --format json "${CERTS[@]}" "${FAST[@]}" "docker://$F/f429once/team/app:oci"
e=$(elapsed "$t")
is "$RC/$(json_field config_digest)" "0/$CONFIG" "429 with Retry-After: 2, once: exit 0, right config digest"
! less "$e" 3.9
ok $? "429 once: Retry-After honoured (manifest and config each waited 2 s; took $e s)"

# --- persistent errors: bounded retries, then exit 3 ---------------------------
t=$(now)
bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://$F/f503/team/app:oci"
e=$(elapsed "$t")
is "$RC" 3 "always 503: exit 3"
err_has "$F/v2/f503/team/app/manifests/oci"
ok $? "always 503: the message names the URL"
is "$(requests 'GET /v2/f503/team/app/manifests/oci')" 3 "always 503: exactly --max-attempts 3 requests"
less "$e" 30
ok $? "always 503: gave up in bounded time ($e s)"

bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://$F/f429/team/app:oci"
is "$RC" 3 "always 429: exit 3"
err_has "$F/v2/f429/team/app/manifests/oci"
ok $? "always 429: the message names the URL"
is "$(requests 'GET /v2/f429/team/app/manifests/oci')" 3 "always 429: exactly 3 attempts"

bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://$F/f404/team/app:oci"
is "$RC" 3 "404: exit 3"
is "$(requests 'GET /v2/f404/team/app/manifests/oci')" 1 "404: not retried"

# --- bodies that are wrong -------------------------------------------------------
bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://$F/fhtml/team/app:oci"
is "$RC" 3 "HTML page with 200: exit 3"
err_has "$F/v2/fhtml/team/app/manifests/oci"
ok $? "HTML page: the message names the URL"

t=$(now)
bg inspect --fetch-blobs "${CERTS[@]}" "${FAST[@]}" --max-attempts 2 "docker://$F/fslow/team/app:oci"
e=$(elapsed "$t")
is "$RC" 3 "blobs at 50 bytes/s: exit 3"
err_has "$F/v2/fslow/team/app/blobs/"
ok $? "slow body: the message names the blob URL"
less "$e" 30
ok $? "slow body: gave up in bounded time ($e s)"

t=$(now)
bg inspect "${CERTS[@]}" "${FAST[@]}" --max-attempts 2 "docker://$F/fstall/team/app:oci"
e=$(elapsed "$t")
is "$RC" 3 "stalled body (config blob): exit 3"
err_has "$F/v2/fstall/team/app/blobs/$CONFIG"
ok $? "stalled body: the message names the URL with the digest"
less "$e" 30
ok $? "stalled body: gave up in bounded time ($e s)"

bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://$F/ftrunc/team/app:oci"
is "$RC" 3 "truncated body (config blob): exit 3"
err_has "$F/v2/ftrunc/team/app/blobs/$CONFIG"
ok $? "truncated body: the message names the URL with the digest"

bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://$F/fextra/team/app:oci"
is "$RC" 3 "body longer than the blob: exit 3"
err_has "$CONFIG"
ok $? "body longer than the blob: the message names the digest"

# Tampered config: the digest of what was served is known exactly.
sed 's/"architecture":"amd64"/"architecture":"arm64"/' "$WORK/config.json" >"$WORK/config.tampered"
TAMPERED=$(sha256_of "$WORK/config.tampered")
bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://$F/ftamper/team/app:oci"
is "$RC" 3 "tampered config blob: exit 3"
err_has "$CONFIG" && err_has "$TAMPERED"
ok $? "tampered config blob: the message names the expected and the received digest"
err_has "$F/v2/ftamper/team/app/blobs/$CONFIG"
ok $? "tampered config blob: the message names the URL"

# Tampered layer: found only when the layers are read.
bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://$F/fflip/team/app:oci"
is "$RC" 0 "tampered layer, layers not read: exit 0"
bg inspect --fetch-blobs "${CERTS[@]}" "${FAST[@]}" "docker://$F/fflip/team/app:oci"
is "$RC" 3 "tampered layer with --fetch-blobs: exit 3"
curl -s --cacert "$WORK/pki/ca.crt" "https://$R/v2/team/app/blobs/$BIGLAYER" -o "$WORK/layer"
python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[len(b) // 2] ^= 0xFF
open(sys.argv[1] + ".flipped", "wb").write(b)' "$WORK/layer"
FLIPPED=$(sha256_of "$WORK/layer.flipped")
err_has "$BIGLAYER" && err_has "$FLIPPED"
ok $? "tampered layer: the message names the expected and the received digest"
err_has "$F/v2/fflip/team/app/blobs/$BIGLAYER"
ok $? "tampered layer: the message names the URL"

# Tampered manifest pinned by digest.
sed 's/"schemaVersion":2/"schemaVersion": 2/' "$WORK/manifest.json" >"$WORK/manifest.tampered"
MTAMPERED=$(sha256_of "$WORK/manifest.tampered")
bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://$F/fmtamper/team/app@$MANIFEST"
is "$RC" 3 "tampered manifest, pinned by digest: exit 3"
err_has "$MANIFEST" && err_has "$MTAMPERED"
ok $? "tampered manifest: the message names the pinned and the received digest"

bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://$F/fdupkey/team/app:oci"
is "$RC" 3 "manifest with a duplicate key: exit 3"
err_has "duplicate"
ok $? "duplicate key: the message says so"

t=$(now)
bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://$F/fhuge/team/app:oci"
e=$(elapsed "$t")
is "$RC" 3 "8 MiB manifest: exit 3"
err_has "$F/v2/fhuge/team/app/manifests/oci"
ok $? "8 MiB manifest: the message names the URL"

bg inspect --format json "${CERTS[@]}" "${FAST[@]}" "docker://$F/flie/team/app:oci"
is "$RC/$(json_field manifest_digest)" "0/$MANIFEST" "lying Docker-Content-Digest header: ignored, digest computed from the bytes"

# --- redirects ----------------------------------------------------------------------
bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://$F/fredir-http/team/app:oci"
is "$RC" 3 "redirect to plain http: exit 3"
sleep 0.3
! grep -q 'GET /v2/' "$WORK/front/http.log" 2>/dev/null
ok $? "redirect to plain http: not followed (the http server saw no request)"
bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://$F/floop/team/app:oci"
is "$RC" 3 "redirect loop: exit 3"
n=$(requests 'GET /v2/floop/team/app/manifests/oci')
[ "$n" -ge 2 ] && [ "$n" -le 11 ]
ok $? "redirect loop: stopped after at most 10 redirects ($n requests)"

# --- TLS ------------------------------------------------------------------------------
bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://127.0.0.1:$WRONGSAN_PORT/team/app:oci"
is "$RC" 3 "certificate for another host name: exit 3"
bg inspect "${CERTS[@]}" "${FAST[@]}" "docker://127.0.0.1:$HTTP_PORT/team/app:oci"
is "$RC" 3 "plain http registry without --tls-verify=false: exit 3"
sleep 0.3
! grep -q 'GET /v2/team' "$WORK/front/http.log" 2>/dev/null
ok $? "plain http registry: no request was made over http"
bg inspect --format json --tls-verify=false "${FAST[@]}" "docker://127.0.0.1:$HTTP_PORT/team/app:oci"
is "$RC/$(json_field manifest_digest)" "0/$MANIFEST" "plain http registry with --tls-verify=false: exit 0"

done_testing
