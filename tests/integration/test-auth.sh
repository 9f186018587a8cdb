#!/bin/bash
# Registry authentication against real services:
#   - docker-registry with htpasswd (HTTP Basic) behind an nginx front that
#     logs the Authorization header, with the `redirect` storage middleware
#     so every blob GET is a 307 to a "CDN" on another host (nginx on
#     127.0.0.2, also logging Authorization): the credentials must reach the
#     registry and must NOT follow the redirect;
#   - docker-registry in `auth: token` mode with the test token issuer
#     (token-server.py): anonymous and credentialled bearer tokens;
#   - where credentials come from: --creds, environment, --authfile and the
#     auth file search order; the password never appears in any output.
#   usage: test-auth.sh BOOTGATE
. "$(dirname "$0")/lib.sh"
require_tools docker-registry skopeo umoci nginx htpasswd openssl python3 jq curl
it_init
make_pki || { echo "Bail out! cannot make the test CA"; exit 1; }

PASS='s3cret-Pa55'
WRONG='Wr0ng-pa55word'
CERTS=(--cert-dir "$WORK/certs")

# --- htpasswd registry, nginx front, CDN on another host --------------------
CDN_PORT=$(free_port 127.0.0.2)
cat >"$WORK/redirect.yml" <<EOF
middleware:
  storage:
    - name: redirect
      options: {baseurl: "https://127.0.0.2:$CDN_PORT"}
EOF
start_registry basic htpasswd "$WORK/redirect.yml" || { echo "Bail out! htpasswd registry did not start"; exit 1; }
BASIC_PORT=$REG_PORT
BASIC_ROOT=$REG_ROOT

FRONT_PORT=$(free_port)
cat >"$WORK/web.conf" <<EOF
ssl_certificate $WORK/pki/srv.crt;
ssl_certificate_key $WORK/pki/srv.key;
server {
  listen 127.0.0.2:$CDN_PORT ssl;
  access_log $WORK/web/cdn.log leak;
  root $BASIC_ROOT;
}
server {
  listen 127.0.0.1:$FRONT_PORT ssl;
  access_log $WORK/web/front.log leak;
  location / {
    proxy_pass https://127.0.0.1:$BASIC_PORT;
    proxy_set_header Host \$http_host;
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate $WORK/pki/ca.crt;
    proxy_ssl_name localhost;
    proxy_redirect off;
  }
}
EOF
start_nginx web "$WORK/web.conf" || { echo "Bail out! nginx did not start"; exit 1; }
wait_http "https://127.0.0.1:$FRONT_PORT/v2/" "$(cat "$WORK/web/nginx.pid")" --cacert "$WORK/pki/ca.crt" ||
	{ echo "Bail out! nginx front does not answer"; exit 1; }
# (After nginx: skopeo's HEAD of a blob it pushed is redirected to the CDN too.)
push_test_images "127.0.0.1:$BASIC_PORT" --dest-creds "gate:$PASS" ||
	{ echo "Bail out! cannot push to the htpasswd registry"; exit 1; }
B=127.0.0.1:$FRONT_PORT
ALL_OUT=$WORK/all-output   # every bootgate output of this test, for the leak check
: >"$ALL_OUT"
bga() { bg "$@"; cat "$WORK/out" "$WORK/err" >>"$ALL_OUT"; }

want_config=$(skopeo inspect --config --raw "${CERTS[@]}" --creds "gate:$PASS" "docker://127.0.0.1:$BASIC_PORT/team/app:oci" | sha256sum | cut -d' ' -f1)

bga inspect "${CERTS[@]}" "docker://$B/team/app:oci"
is "$RC" 3 "basic: no credentials: exit 3"
err_has "401" || err_has "unauthorized" || err_has "authentication"
ok $? "basic: no credentials: the message says authentication failed"
err_has "https://$B/v2/"
ok $? "basic: no credentials: the message names the URL"

bga inspect --format json "${CERTS[@]}" --creds "gate:$PASS" "docker://$B/team/app:oci"
is "$RC/$(json_field config_digest)" "0/sha256:$want_config" "basic: --creds: exit 0, right config digest"

bga inspect "${CERTS[@]}" --creds "gate:$WRONG" "docker://$B/team/app:oci"
is "$RC" 3 "basic: wrong password: exit 3"

BOOTGATE_REGISTRY_PASSWORD=$PASS bga inspect "${CERTS[@]}" --creds gate "docker://$B/team/multi:oci"
is "$RC" 0 "basic: --creds USER + \$BOOTGATE_REGISTRY_PASSWORD: exit 0"
BOOTGATE_REGISTRY_USERNAME=gate BOOTGATE_REGISTRY_PASSWORD=$PASS bga inspect "${CERTS[@]}" "docker://$B/team/multi:v2s2"
is "$RC" 0 "basic: \$BOOTGATE_REGISTRY_USERNAME/PASSWORD: exit 0"

# auth files
authjson() { # authjson FILE KEY PASSWORD
	mkdir -p "$(dirname "$1")"
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$2" "$(printf 'gate:%s' "$3" | base64 -w0)" >"$1"
}
authjson "$WORK/right.json" "$B" "$PASS"
authjson "$WORK/wrong.json" "$B" "$WRONG"
authjson "$WORK/repo.json" "$B/team/app" "$PASS"
bga inspect "${CERTS[@]}" --authfile "$WORK/right.json" "docker://$B/team/app:v2s2"
is "$RC" 0 "basic: --authfile: exit 0"
bga inspect "${CERTS[@]}" --authfile "$WORK/repo.json" "docker://$B/team/app:v2s2"
is "$RC" 0 "basic: --authfile with a host/namespace/repo key: exit 0"
REGISTRY_AUTH_FILE=$WORK/right.json bga inspect "${CERTS[@]}" "docker://$B/team/app:oci"
is "$RC" 0 "basic: \$REGISTRY_AUTH_FILE: exit 0"
authjson "$XDG_RUNTIME_DIR/containers/auth.json" "$B" "$PASS"
bga inspect "${CERTS[@]}" "docker://$B/team/app:oci"
is "$RC" 0 "basic: \$XDG_RUNTIME_DIR/containers/auth.json: exit 0"
REGISTRY_AUTH_FILE=$WORK/wrong.json bga inspect "${CERTS[@]}" "docker://$B/team/app:oci"
is "$RC" 3 "basic: \$REGISTRY_AUTH_FILE comes before \$XDG_RUNTIME_DIR (its wrong password is used: exit 3)"
REGISTRY_AUTH_FILE=$WORK/wrong.json bga inspect "${CERTS[@]}" --authfile "$WORK/right.json" "docker://$B/team/app:oci"
is "$RC" 0 "basic: --authfile comes before \$REGISTRY_AUTH_FILE"
rm -f "$XDG_RUNTIME_DIR/containers/auth.json"
authjson "$XDG_CONFIG_HOME/containers/auth.json" "$B" "$PASS"
bga inspect "${CERTS[@]}" "docker://$B/team/app:oci"
is "$RC" 0 "basic: ~/.config/containers/auth.json: exit 0"
rm -f "$XDG_CONFIG_HOME/containers/auth.json"
authjson "$HOME/.docker/config.json" "https://$B/v1/" "$PASS"
bga inspect "${CERTS[@]}" "docker://$B/team/app:oci"
is "$RC" 0 "basic: ~/.docker/config.json (key https://HOST/v1/): exit 0"
rm -f "$HOME/.docker/config.json"
bga inspect "${CERTS[@]}" --authfile "$WORK/missing.json" "docker://$B/team/app:oci"
is "$RC" 2 "basic: --authfile that does not exist: exit 2"
echo '{"auths":{"a":{"auth":"x"},"a":{}}}' >"$WORK/dup.json"
bga inspect "${CERTS[@]}" --authfile "$WORK/dup.json" "docker://$B/team/app:oci"
is "$RC" 2 "basic: --authfile with duplicate keys: exit 2"

# The redirect: every blob GET got a 307 to the CDN on 127.0.0.2; the
# Authorization header went to the registry's host only.
: >"$WORK/web/front.log"
: >"$WORK/web/cdn.log"
bga inspect --fetch-blobs "${CERTS[@]}" --creds "gate:$PASS" "docker://$B/team/app:oci"
is "$RC" 0 "redirect: --fetch-blobs through 307s to another host: exit 0"
sleep 0.5  # nginx writes its access log after the response
diag "front: $(grep -c blobs "$WORK/web/front.log") blob lines, cdn: $(wc -l <"$WORK/web/cdn.log") lines"
grep '/blobs/' "$WORK/web/front.log" | grep -q '" 307 auth="Basic '
ok $? "redirect: blob requests to the registry carried Authorization and got 307"
[ "$(grep -c 'GET /docker/registry/v2/blobs/' "$WORK/web/cdn.log")" -ge 3 ]
ok $? "redirect: config and both layers were fetched from the CDN host"
! grep -Ev 'auth="-?"$' "$WORK/web/cdn.log" | grep -q .
ok $? "redirect: no request to the CDN host carried an Authorization header"
grep -Eq '" 200 auth="-?"$' "$WORK/web/cdn.log"
ok $? "redirect: the CDN answered 200"

# --- token registry -----------------------------------------------------------
start_token_server || { echo "Bail out! token server did not start"; exit 1; }
start_registry tok token || { echo "Bail out! token registry did not start"; exit 1; }
T=127.0.0.1:$REG_PORT
PUSH_PUBLIC=1 SSL_CERT_FILE=$WORK/pki/ca.crt push_test_images "$T" --dest-creds "gate:$PASS" ||
	{ echo "Bail out! cannot push to the token registry"; exit 1; }

: >"$TOKEN_LOG"
bga inspect --format json "${CERTS[@]}" "docker://$T/public/app:oci"
is "$RC" 0 "token: anonymous pull of a public repository: exit 0"
jq -e 'select(.auth == "none" and (.scopes | index("repository:public/app:pull")))' "$TOKEN_LOG" >/dev/null
ok $? "token: an anonymous token for repository:public/app:pull was asked for"
is "$(wc -l <"$TOKEN_LOG" | tr -d ' ')" 1 "token: one token request for manifest + config (cached per scope)"

bga inspect "${CERTS[@]}" "docker://$T/team/app:oci"
is "$RC" 3 "token: anonymous pull of a private repository: exit 3"
err_has "https://$T/v2/team/app/"
ok $? "token: the message names the URL"

: >"$TOKEN_LOG"
bga inspect --format json --fetch-blobs "${CERTS[@]}" --creds "gate:$PASS" "docker://$T/team/multi:oci"
is "$RC/$(json_field blobs_verified)" "0/true" "token: --creds, index + blobs: exit 0"
jq -e 'select(.auth == "valid" and .account == "gate" and (.scopes | index("repository:team/multi:pull")))' \
	"$TOKEN_LOG" >/dev/null
ok $? "token: a credentialled token for repository:team/multi:pull (account=gate) was asked for"
! jq -e 'select(.scopes[] | test("push"))' "$TOKEN_LOG" >/dev/null
ok $? "token: bootgate never asks for push"

bga inspect "${CERTS[@]}" --creds "gate:$WRONG" "docker://$T/team/app:oci"
is "$RC" 3 "token: wrong password at the token issuer: exit 3"
authjson "$WORK/tok.json" "$T" "$PASS"
bga inspect "${CERTS[@]}" --authfile "$WORK/tok.json" "docker://$T/team/app:v2s2"
is "$RC" 0 "token: --authfile: exit 0"

# --- secrets ------------------------------------------------------------------
! grep -qF -- "$PASS" "$ALL_OUT" && ! grep -qF -- "$WRONG" "$ALL_OUT" &&
	! grep -qF -- "$(printf 'gate:%s' "$PASS" | base64 -w0)" "$ALL_OUT"
ok $? "no password (plain or base64) in any output of this test"

# The password given with --creds is blanked in the process's arguments.
"$BOOTGATE" inspect "${CERTS[@]}" --creds "gate:$PASS" --connect-timeout 30 \
	"docker://127.0.0.1:$(free_port)/team/app:oci" >/dev/null 2>&1 &
pid=$!
visible=1
for i in $(seq 30); do  # bootgate blanks it while parsing options; allow for start-up
	[ -r "/proc/$pid/cmdline" ] || break
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$PASS" || { visible=0; break; }
	sleep 0.1
done
if [ -r "/proc/$pid/cmdline" ]; then
	ok $visible "--creds: the password is not visible in /proc/PID/cmdline"
else
	ok 0 "--creds: the password is not visible in /proc/PID/cmdline # SKIP the process ended too soon"
fi
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null

done_testing
