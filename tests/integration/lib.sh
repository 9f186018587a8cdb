# shellcheck shell=bash
# Shared by the integration tests (sourced, bash): TAP output, a private work
# directory, free loopback ports, a test CA, and starting/stopping
# docker-registry, nginx and the Python helpers.  Every service started here
# is stopped by the EXIT trap, and every wait is a bounded loop.
#
#   usage in a test:  . "$(dirname "$0")/lib.sh"  (with $1 = the bootgate binary)

set -u -o pipefail

IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BOOTGATE=${1:-${BOOTGATE:-}}
WORK=""
IT_PIDS=()       # background processes we started
IT_NGINX=()      # nginx prefixes we started
T_N=0
T_FAILED=0

# --- TAP -------------------------------------------------------------------

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# ok COND-EXIT-STATUS DESCRIPTION: one test point.
ok() {
	local status=$1
	shift
	T_N=$((T_N + 1))
	if [ "$status" = 0 ]; then
		echo "ok $T_N - $*"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $*"
		if [ -n "${LAST_OUT:-}" ] && [ -f "$LAST_OUT" ]; then
			sed 's/^/#   /' "$LAST_OUT" | head -n 30
		fi
	fi
}

# is GOT WANT DESCRIPTION
is() {
	local got=$1 want=$2
	shift 2
	if [ "$got" = "$want" ]; then
		ok 0 "$*"
	else
		ok 1 "$*"
		echo "#   got:  '$got'"
		echo "#   want: '$want'"
	fi
}

diag() { echo "# $*"; }

done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" = 0 ]
}

# --- running bootgate --------------------------------------------------------

# bg ARGS...: runs bootgate, stdout in $WORK/out, stderr in $WORK/err, both
# in $LAST_OUT (for failure diagnostics); sets RC.
bg() {
	LAST_OUT=$WORK/last
	"$BOOTGATE" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
	RC=$?
	{ echo "\$ bootgate $*"; echo "exit $RC"; cat "$WORK/out" "$WORK/err"; } >"$LAST_OUT"
	return 0
}

# json_field KEY: a field of the last bootgate --format json output.
json_field() { jq -r ".$1 // empty" "$WORK/out" 2>/dev/null; }

# err_has TEXT: the last stderr contains TEXT (case-insensitive, fixed string).
err_has() { grep -qiF -- "$1" "$WORK/err"; }

# --- set-up and tear-down --------------------------------------------------

require_tools() {
	if [ -z "$BOOTGATE" ] || [ ! -x "$BOOTGATE" ]; then
		skip_all "bootgate binary not given"
	fi
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip_all "$t not installed (ci/setup installs it)"
	done
	# bootgate inspect exists only once issue 3's library parts are built.
	"$BOOTGATE" inspect --help >/dev/null 2>&1 || skip_all "this bootgate has no inspect command"
}

it_cleanup() {
	set +e  # a process that is already gone must not stop the clean-up (callers may use set -e)
	local p pid i
	for p in "${IT_NGINX[@]}"; do
		[ -f "$p/nginx.pid" ] && kill -QUIT "$(cat "$p/nginx.pid")" 2>/dev/null
	done
	for pid in "${IT_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	# Bounded wait, then force.
	for pid in "${IT_PIDS[@]}"; do
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for p in "${IT_NGINX[@]}"; do
		if [ -f "$p/nginx.pid" ]; then
			pid=$(cat "$p/nginx.pid")
			for i in $(seq 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	[ -n "$WORK" ] && [ -d "$WORK" ] && [ -z "${IT_KEEP:-}" ] && rm -rf "$WORK"
	[ -n "${IT_KEEP:-}" ] && echo "# kept $WORK" >&2
	return 0
}

it_init() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/bootgate-it.XXXXXX")
	chmod 0755 "$WORK"   # nginx workers (another user when run as root) read files here
	trap it_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	# Keep the user's own credentials and CA settings out of the tests.
	export HOME=$WORK/home XDG_RUNTIME_DIR=$WORK/run XDG_CONFIG_HOME=$WORK/home/.config
	mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
	unset REGISTRY_AUTH_FILE DOCKER_CONFIG BOOTGATE_REGISTRY_USERNAME BOOTGATE_REGISTRY_PASSWORD SSL_CERT_FILE SSL_CERT_DIR \
		http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
}

# free_port [ADDR]: a port nobody listens on right now.  (A race with another
# process is possible; start_* retry with a new port when the bind fails.)
free_port() {
	python3 -c 'import socket,sys
s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "${1:-127.0.0.1}"
}

# wait_http URL PID [CURL-ARGS...]: until URL answers (any status), the
# process dies, or 10 s pass.
wait_http() {
	local url=$1 pid=$2 i
	shift 2
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 1
		if curl -s -o /dev/null --max-time 2 "$@" "$url"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# wait_file FILE PID: until FILE is non-empty (a helper wrote its port).
wait_file() {
	local f=$1 pid=$2 i
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 1
		[ -s "$f" ] && return 0
		sleep 0.1
	done
	return 1
}

# make_pki: a CA for this run and server certificates signed by it:
#   $WORK/pki/srv.{crt,key}   SAN localhost, 127.0.0.1, 127.0.0.2, 127.0.0.3
#   $WORK/pki/other.{crt,key} SAN wrong.invalid only (hostname mismatch test)
#   $WORK/pki/tok.{crt,key}   RSA key + self-signed cert of the token issuer
#   $WORK/certs/ca.crt        what bootgate --cert-dir and skopeo --cert-dir get
make_pki() {
	local d=$WORK/pki
	mkdir -p "$d" "$WORK/certs"
	(
		cd "$d" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
			-out ca.crt -days 2 -subj /CN=bootgate-test-ca
		for name in srv other; do
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $name.key \
				-out $name.csr -subj /CN=$name
			if [ $name = srv ]; then
				printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3\n'
			else
				printf 'subjectAltName=DNS:wrong.invalid\n'
			fi >$name.ext
			printf 'extendedKeyUsage=serverAuth\n' >>$name.ext
			openssl x509 -req -in $name.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
				-out $name.crt -days 2 -extfile $name.ext
		done
		openssl req -x509 -newkey rsa:2048 -nodes -keyout tok.key -out tok.crt -days 2 \
			-subj /CN=bootgate-test-token-issuer
		chmod 0644 ./*.key
	) >"$WORK/pki.log" 2>&1 || { cat "$WORK/pki.log" >&2; return 1; }
	cp "$d/ca.crt" "$WORK/certs/ca.crt"
}

# start_registry NAME MODE [EXTRA-YAML-FILE]: docker-registry with TLS from the
# test CA on 127.0.0.1 and a random port.  MODE: plain | htpasswd | token.
# htpasswd: user gate / password s3cret-Pa55 ($WORK/NAME/htpasswd).
# token: needs TOKEN_REALM set (see start_token_server).
# Sets REG_PORT and REG_ROOT (the storage directory).
start_registry() {
	local name=$1 mode=$2 extra=${3:-} dir=$WORK/$1 port pid
	mkdir -p "$dir/reg"
	if [ "$mode" = htpasswd ]; then
		htpasswd -Bbn gate 's3cret-Pa55' >"$dir/htpasswd" 2>/dev/null || return 1
	fi
	for _ in 1 2 3; do
		port=$(free_port 127.0.0.1)
		{
			echo "version: 0.1"
			echo "log: {level: info}"
			echo "storage:"
			echo "  filesystem: {rootdirectory: $dir/reg}"
			echo "  delete: {enabled: true}"
			echo "  maintenance: {uploadpurging: {enabled: false}}"
			echo "http:"
			echo "  addr: 127.0.0.1:$port"
			echo "  secret: not-a-secret-test-only"
			echo "  tls: {certificate: $WORK/pki/srv.crt, key: $WORK/pki/srv.key}"
			case $mode in
			htpasswd)
				echo "auth:"
				echo "  htpasswd: {realm: bootgate-test, path: $dir/htpasswd}"
				;;
			token)
				echo "auth:"
				echo "  token:"
				echo "    realm: $TOKEN_REALM"
				echo "    service: bootgate-registry"
				echo "    issuer: bootgate-test-issuer"
				echo "    rootcertbundle: $WORK/pki/tok.crt"
				;;
			esac
			[ -n "$extra" ] && cat "$extra"
		} >"$dir/config.yml"
		docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
		pid=$!
		IT_PIDS+=("$pid")
		if wait_http "https://127.0.0.1:$port/v2/" "$pid" --cacert "$WORK/pki/ca.crt"; then
			REG_PORT=$port
			REG_ROOT=$dir/reg
			return 0
		fi
		kill "$pid" 2>/dev/null
	done
	echo "# registry $name did not start:" >&2
	sed 's/^/#   /' "$dir/registry.log" >&2
	return 1
}

# start_token_server: the test token issuer (token-server.py) on a random
# port over TLS.  Sets TOKEN_PORT, TOKEN_REALM, TOKEN_LOG.
start_token_server() {
	local dir=$WORK/token pid
	mkdir -p "$dir"
	python3 "$IT_DIR/token-server.py" --port-file "$dir/port" --log "$dir/requests.log" \
		--tls-cert "$WORK/pki/srv.crt" --tls-key "$WORK/pki/srv.key" \
		--sign-key "$WORK/pki/tok.key" --sign-cert "$WORK/pki/tok.crt" \
		--issuer bootgate-test-issuer --service bootgate-registry \
		--user gate:s3cret-Pa55 --public-prefix public/ >"$dir/server.log" 2>&1 &
	pid=$!
	IT_PIDS+=("$pid")
	wait_file "$dir/port" "$pid" || { sed 's/^/#   /' "$dir/server.log" >&2; return 1; }
	TOKEN_PORT=$(cat "$dir/port")
	TOKEN_REALM=https://127.0.0.1:$TOKEN_PORT/token
	TOKEN_LOG=$dir/requests.log
}

# start_faultd: the Python fault helper (faultd.py): an "allow once"
# oracle for nginx auth_request, and raw HTTP faults (truncated, stalled,
# byte-flipped bodies) for nginx to proxy to.  Sets FAULTD_PORT.
start_faultd() {
	local dir=$WORK/faultd pid
	mkdir -p "$dir"
	python3 "$IT_DIR/faultd.py" --port-file "$dir/port" --upstream "https://127.0.0.1:$1" \
		--cafile "$WORK/pki/ca.crt" >"$dir/server.log" 2>&1 &
	pid=$!
	IT_PIDS+=("$pid")
	wait_file "$dir/port" "$pid" || { sed 's/^/#   /' "$dir/server.log" >&2; return 1; }
	FAULTD_PORT=$(cat "$dir/port")
}

# start_nginx NAME CONF-BODY-FILE: nginx with an http{} block made of the
# given file (after @VAR@ substitution by the caller), run in the
# foreground-less mode with its pid/logs inside $WORK/NAME.  The body must
# use listen ports the caller picked.  Returns 1 if nginx does not start.
start_nginx() {
	local name=$1 body=$2 p=$WORK/$1 i
	mkdir -p "$p/tmp"
	{
		[ "$(id -u)" = 0 ] && echo "user root root;"
		echo "worker_processes 1;"
		echo "pid $p/nginx.pid;"
		echo "error_log $p/error.log info;"
		echo "events { worker_connections 64; }"
		echo "http {"
		echo "  access_log off;"
		echo "  client_body_temp_path $p/tmp/body; proxy_temp_path $p/tmp/proxy;"
		echo "  fastcgi_temp_path $p/tmp/fcgi; uwsgi_temp_path $p/tmp/uwsgi; scgi_temp_path $p/tmp/scgi;"
		echo "  log_format leak '\$server_addr:\$server_port \"\$request\" \$status auth=\"\$http_authorization\"';"
		cat "$body"
		echo "}"
	} >"$p/nginx.conf"
	IT_NGINX+=("$p")
	nginx -p "$p" -c "$p/nginx.conf" -e "$p/error.log" >"$p/start.log" 2>&1 || {
		sed 's/^/#   /' "$p/start.log" "$p/error.log" >&2
		return 1
	}
	for i in $(seq 50); do
		[ -s "$p/nginx.pid" ] && return 0
		sleep 0.1
	done
	return 1
}

# push_test_images HOST:PORT [SKOPEO-ARGS...]: builds the test images
# (mkimages.sh, into $WORK/img) once and copies them to the registry:
#   team/app:oci     single OCI manifest     team/app:v2s2    Docker schema2
#   team/multi:oci   OCI index (2 platforms) team/multi:v2s2  Docker manifest list
# plus public/app:oci when PUSH_PUBLIC=1.
push_test_images() {
	local host=$1 src
	shift
	if [ ! -d "$WORK/img/oci" ]; then
		"$IT_DIR/mkimages.sh" "$WORK/img" >"$WORK/mkimages.log" 2>&1 ||
			{ sed 's/^/#   /' "$WORK/mkimages.log" >&2; return 1; }
	fi
	src=oci:$WORK/img/oci
	skopeo copy -q --dest-cert-dir "$WORK/certs" "$@" "$src:amd64" "docker://$host/team/app:oci" &&
	skopeo copy -q --dest-cert-dir "$WORK/certs" "$@" --format v2s2 "$src:amd64" "docker://$host/team/app:v2s2" &&
	skopeo copy -q --dest-cert-dir "$WORK/certs" "$@" --all "$src:multi" "docker://$host/team/multi:oci" &&
	skopeo copy -q --dest-cert-dir "$WORK/certs" "$@" --all --format v2s2 "$src:multi" "docker://$host/team/multi:v2s2" || return 1
	if [ "${PUSH_PUBLIC:-}" = 1 ]; then
		skopeo copy -q --dest-cert-dir "$WORK/certs" "$@" "$src:amd64" "docker://$host/public/app:oci" || return 1
	fi
}

# sha256_of FILE: "sha256:<hex>".
sha256_of() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

# mklayer DIR TAR: a layer tar of DIR's tree, owned by root, mtime 0, modes
# kept, in a stable order, so test images are the same on every run (for
# `umoci raw add-layer`).
mklayer() {
	python3 - "$1" "$2" <<'PY'
import os, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for n in sorted(dirs) + sorted(files):
            p = os.path.join(root, n)
            ti = t.gettarinfo(p, arcname=os.path.relpath(p, src))
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            ti.mtime = 0
            if ti.isfile():
                with open(p, "rb") as f:
                    t.addfile(ti, f)
            else:
                t.addfile(ti)
PY
}
