#!/bin/bash
# bootgate verify against skopeo, case by case: images pushed to a loopback
# docker-registry (TLS from a test CA) and signed with
# `skopeo copy --sign-by` into a lookaside store (registries.d
# lookaside-staging: file://…), served by nginx over TLS for reading.  For
# every policy/image case of the table, bootgate's decision must equal
# `skopeo --policy P --registries.d D copy docker://… dir:…`'s on the same
# inputs, and bootgate's exit status must be the expected one (0 accepted,
# 1 rejected, 3 could not evaluate).  Then local-transport cases (--identity)
# that skopeo cannot judge, and a check that no GnuPG agent or temporary
# GnuPG home is left behind.
#   usage: test-verify.sh BOOTGATE
. "$(dirname "$0")/lib.sh"
require_tools docker-registry skopeo umoci openssl python3 nginx gpg gpgconf curl
"$BOOTGATE" verify --help >/dev/null 2>&1 || skip_all "this bootgate has no verify command"
it_init

# Temporary GnuPG homes of bootgate's own (signature.h: bootgate-gpg-*) that
# exist before the test: only new ones count as leaks.
tmpdir=${TMPDIR:-/tmp}
ls -d "$tmpdir"/bootgate-gpg-* 2>/dev/null | sort >"$WORK/gpg-homes.before"

export GNUPGHOME=$WORK/gnupg
mkdir -m 0700 "$GNUPGHOME"
stop_test_agent() { gpgconf --homedir "$GNUPGHOME" --kill all >/dev/null 2>&1; }
trap 'stop_test_agent; it_cleanup' EXIT

make_pki || { echo "Bail out! cannot make the test CA"; exit 1; }
start_registry reg plain || { echo "Bail out! docker-registry did not start"; exit 1; }
R=127.0.0.1:$REG_PORT
CERTS=$WORK/certs

# --- keys -------------------------------------------------------------------------
mkdir -p "$WORK/keys"
for k in A B; do
	gpg --batch --passphrase '' --quick-gen-key "bootgate test $k <$k@bootgate.test>" ed25519 sign never \
		>"$WORK/gpg.log" 2>&1 || { cat "$WORK/gpg.log" >&2; echo "Bail out! gpg key generation failed"; exit 1; }
done
fpr_of() { gpg --batch --with-colons --list-keys "$1@bootgate.test" 2>/dev/null | awk -F: '$1 == "fpr" {print $10; exit}'; }
FA=$(fpr_of A)
FB=$(fpr_of B)
gpg --batch --export "$FA" >"$WORK/keys/A.gpg" 2>/dev/null
gpg --batch --export "$FB" >"$WORK/keys/B.gpg" 2>/dev/null
KA=$WORK/keys/A.gpg
KB=$WORK/keys/B.gpg

# --- images -----------------------------------------------------------------------
"$IT_DIR/mkimages.sh" "$WORK/img" >"$WORK/mkimages.log" 2>&1 ||
	{ sed 's/^/#   /' "$WORK/mkimages.log"; echo "Bail out! mkimages failed"; exit 1; }
L=$WORK/img/oci
# Variants with their own digests (a label each): signatures are stored by digest.
for n in 1 2 3 4 5 6 7; do
	umoci config --image "$L:amd64" --tag "v$n" --config.label "bootgate.test.variant=$n" >>"$WORK/mkimages.log" 2>&1 ||
		{ echo "Bail out! umoci config failed"; exit 1; }
done

mkdir -p "$WORK/regd-write" "$WORK/regd-read" "$WORK/sig"
chmod 0755 "$WORK/sig"
cat >"$WORK/regd-write/w.yaml" <<EOF
docker:
  $R:
    lookaside-staging: file://$WORK/sig
EOF
OPEN=$WORK/open.json
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$OPEN"

push() { # push SRC-TAG DEST [--sign-by FPR]
	local src=$1 dst=$2
	shift 2
	skopeo --policy "$OPEN" --registries.d "$WORK/regd-write" copy -q --dest-cert-dir "$CERTS" "$@" \
		"oci:$L:$src" "docker://$R/$dst" >>"$WORK/push.log" 2>&1
}
sigdir() { # sigdir REPO DIGEST: the lookaside directory of a manifest
	echo "$WORK/sig/$1@sha256=${2#sha256:}"
}
digest_of() { skopeo inspect --raw --cert-dir "$CERTS" "docker://$R/$1" | sha256sum | awk '{print "sha256:" $1}'; }

{
	# Unsigned pushes first: a later signed push of the same digest adds the signature.
	push v1 team/app:other &&
	push v1 team/app:v1 --sign-by "$FA" &&
	push v2 team/unsigned:v1 &&
	push v3 team/wrongkey:v1 --sign-by "$FB" &&
	push v4 team/tampered:v1 --sign-by "$FA" &&
	push v5 team/twosigs:v1 --sign-by "$FB" &&
	cp "$(sigdir team/twosigs "$(digest_of team/twosigs:v1)")/signature-1" "$WORK/b-sig" &&
	push v5 team/twosigs:v1 --sign-by "$FA" &&
	push v6 team/gap:v1 --sign-by "$FA" &&
	push v1 mirror/team/app:v1 &&
	push v7 team/broken:v1 &&
	push v7 team/html:v1 &&
	skopeo --policy "$OPEN" --registries.d "$WORK/regd-write" copy -q --all --dest-cert-dir "$CERTS" \
		--sign-by "$FA" "oci:$L:multi" "docker://$R/team/multi:v1" >>"$WORK/push.log" 2>&1
} || { sed 's/^/#   /' "$WORK/push.log"; echo "Bail out! pushing the test images failed"; exit 1; }
D1=$(digest_of team/app:v1)
D4=$(digest_of team/tampered:v1)
D5=$(digest_of team/twosigs:v1)
D6=$(digest_of team/gap:v1)
# twosigs: signature-1 by B (not trusted by policy A), signature-2 by A.
mv "$(sigdir team/twosigs "$D5")/signature-1" "$(sigdir team/twosigs "$D5")/signature-2"
cp "$WORK/b-sig" "$(sigdir team/twosigs "$D5")/signature-1"
# tampered: one byte of the signed message flipped.
python3 - "$(sigdir team/tampered "$D4")/signature-1" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x01
open(p, "wb").write(bytes(b))
PY
# gap: only signature-2 exists, which means no signatures at all.
mv "$(sigdir team/gap "$D6")/signature-1" "$(sigdir team/gap "$D6")/signature-2"
# mirror: a mirror keeps the vendor's signature (made for $R/team/app:v1).
mkdir -p "$WORK/sig/mirror/team"
cp -r "$(sigdir team/app "$D1")" "$WORK/sig/mirror/team/"
# multi: the amd64 instance of the index, which is what both tools check.
skopeo inspect --raw --cert-dir "$CERTS" "docker://$R/team/multi:v1" >"$WORK/multi.json"
DM_AMD64=$(jq -r '.manifests[] | select(.platform.architecture == "amd64") | .digest' "$WORK/multi.json")

# --- nginx: the lookaside store, and two broken ones -----------------------------
NG_PORT=$(free_port)
cat >"$WORK/nginx.body" <<EOF
  server {
    listen 127.0.0.1:$NG_PORT ssl;
    ssl_certificate $WORK/pki/srv.crt;
    ssl_certificate_key $WORK/pki/srv.key;
    location /sigs/ { alias $WORK/sig/; }
    location /broken/ { return 500; }
    location /html/ { default_type text/html; return 200 "<html><body>Not here</body></html>"; }
  }
EOF
start_nginx ng "$WORK/nginx.body" || { echo "Bail out! nginx did not start"; exit 1; }
wait_http "https://127.0.0.1:$NG_PORT/sigs/" "$(cat "$WORK/ng/nginx.pid")" --cacert "$CERTS/ca.crt" ||
	{ echo "Bail out! nginx does not answer"; exit 1; }
# The signatures extension: a front for the registry that announces it and
# serves the same signatures through it (sigext-proxy.py).
mkdir -p "$WORK/sigext"
python3 "$IT_DIR/sigext-proxy.py" --port-file "$WORK/sigext/port" --upstream "https://$R" \
	--cafile "$CERTS/ca.crt" --sigdir "$WORK/sig" --tls-cert "$WORK/pki/srv.crt" \
	--tls-key "$WORK/pki/srv.key" >"$WORK/sigext/log" 2>&1 &
IT_PIDS+=("$!")
wait_file "$WORK/sigext/port" "$!" || { echo "Bail out! sigext-proxy did not start"; exit 1; }
X=127.0.0.1:$(cat "$WORK/sigext/port")
cat >"$WORK/regd-read/read.yaml" <<EOF
docker:
  $R:
    lookaside: https://127.0.0.1:$NG_PORT/sigs
  $X:
    lookaside: https://127.0.0.1:$NG_PORT/broken
  $R/team/broken:
    lookaside: https://127.0.0.1:$NG_PORT/broken
  $R/team/html:
    lookaside: https://127.0.0.1:$NG_PORT/html
EOF

# --- policies ----------------------------------------------------------------------
mkdir -p "$WORK/pol"
# pol NAME SCOPE-JSON-MEMBERS [DEFAULT]: a policy rejecting everything else.
pol() {
	local def=${3:-'[{"type":"reject"}]'}
	printf '{"default":%s,"transports":{"docker":{%s}}}\n' "$def" "$2" >"$WORK/pol/$1.json"
}
sb() { # sb KEYSPEC [IDENTITY-JSON]: a signedBy requirement
	if [ -n "${2:-}" ]; then
		printf '{"type":"signedBy","keyType":"GPGKeys",%s,"signedIdentity":%s}' "$1" "$2"
	else
		printf '{"type":"signedBy","keyType":"GPGKeys",%s}' "$1"
	fi
}
A="\"keyPath\":\"$KA\""
B="\"keyPath\":\"$KB\""
AB="\"keyPaths\":[\"$KA\",\"$KB\"]"
AD="\"keyData\":\"$(base64 -w0 "$KA")\""

pol signedA "\"$R/team\":[$(sb "$A")]"
pol signedB "\"$R/team\":[$(sb "$B")]"
pol signedAB "\"$R/team\":[$(sb "$AB")]"
pol keydataA "\"$R/team\":[$(sb "$AD")]"
pol exact "\"$R/team\":[$(sb "$A" '{"type":"matchExact"}')]"
pol repo "\"$R/team\":[$(sb "$A" '{"type":"matchRepository"}')]"
pol exactref "\"$R/team\":[$(sb "$A" "{\"type\":\"exactReference\",\"dockerReference\":\"$R/team/app:v1\"}")]"
pol exactref-wrong "\"$R/team\":[$(sb "$A" "{\"type\":\"exactReference\",\"dockerReference\":\"$R/team/app:v2\"}")]"
pol exactrepo "\"$R/team\":[$(sb "$A" "{\"type\":\"exactRepository\",\"dockerRepository\":\"$R/team/app\"}")]"
pol exactrepo-wrong "\"$R/team\":[$(sb "$A" "{\"type\":\"exactRepository\",\"dockerRepository\":\"$R/team/other\"}")]"
pol remap "\"$R/mirror\":[$(sb "$A" "{\"type\":\"remapIdentity\",\"prefix\":\"$R/mirror\",\"signedPrefix\":\"$R\"}")]"
pol mirror-default "\"$R/mirror\":[$(sb "$A")]"
pol reject "\"$R/team\":[{\"type\":\"reject\"}]" '[{"type":"insecureAcceptAnything"}]'
pol insecure "\"$R/team\":[{\"type\":\"insecureAcceptAnything\"}]"
pol wildcard "\"*.0.0.1\":[$(sb "$A")]"
pol wildcard-shadowed "\"*.0.0.1\":[{\"type\":\"reject\"}],\"$R\":[$(sb "$A")]"
pol hostport-vs-repo "\"$R\":[{\"type\":\"reject\"}],\"$R/team/unsigned\":[{\"type\":\"insecureAcceptAnything\"}]"
pol tagscope "\"$R/team/app:v1\":[$(sb "$A")],\"$R/team\":[{\"type\":\"reject\"}]"
pol transport-default "\"\":[{\"type\":\"reject\"}]" '[{"type":"insecureAcceptAnything"}]'
pol and "\"$R/team\":[{\"type\":\"insecureAcceptAnything\"},$(sb "$A")]"
# Through the extension front the image's name has the front's host; the
# signatures name $R, hence remapIdentity.
pol ext "\"$X\":[$(sb "$A" "{\"type\":\"remapIdentity\",\"prefix\":\"$X\",\"signedPrefix\":\"$R\"}")]"
pol ext-default "\"$X\":[$(sb "$A")]"
pol sigstore "\"$R/team\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"$KA\"}]"

# --- the table ------------------------------------------------------------------------
# case NAME POLICY IMAGE EXPECTED(accept|reject|error)
n_cases=0
case_() {
	local name=$1 p=$WORK/pol/$2.json image=$3 want=$4 s_rc b_rc s_dec b_dec want_rc
	n_cases=$((n_cases + 1))
	rm -rf "$WORK/skopeo-dir"
	skopeo --policy "$p" --registries.d "$WORK/regd-read" copy -q --src-cert-dir "$CERTS" \
		"docker://$image" "dir:$WORK/skopeo-dir" >"$WORK/skopeo.out" 2>&1
	s_rc=$?
	bg verify --policy "$p" --registries.d "$WORK/regd-read" --cert-dir "$CERTS" "docker://$image"
	b_rc=$RC
	s_dec=$([ "$s_rc" = 0 ] && echo accept || echo not-accept)
	b_dec=$([ "$b_rc" = 0 ] && echo accept || echo not-accept)
	case $want in accept) want_rc=0 ;; reject) want_rc=1 ;; error) want_rc=3 ;; esac
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$2" "$image" "$want" "$s_rc" "$b_rc" >>"$WORK/table.tsv"
	is "$b_dec" "$s_dec" "$name: bootgate and skopeo agree ($s_dec)"
	[ "$b_dec" = "$s_dec" ] || sed 's/^/#   skopeo: /' "$WORK/skopeo.out" | head -5
	is "$b_rc" "$want_rc" "$name: bootgate exit $want_rc ($want)"
}

case_ accept-signed-tag signedA "$R/team/app:v1" accept
case_ no-signature signedA "$R/team/unsigned:v1" reject
case_ wrong-key signedA "$R/team/wrongkey:v1" reject
case_ other-key-trusted signedB "$R/team/wrongkey:v1" accept
case_ keyPaths signedAB "$R/team/wrongkey:v1" accept
case_ keyData-policy keydataA "$R/team/app:v1" accept
case_ tampered-signature signedA "$R/team/tampered:v1" reject
case_ bad-then-good-signature signedA "$R/team/twosigs:v1" accept
case_ gap-only-signature-2 signedA "$R/team/gap:v1" reject
case_ matchRepoDigestOrExact-other-tag signedA "$R/team/app:other" reject
case_ matchRepoDigestOrExact-by-digest signedA "$R/team/app@$D1" accept
case_ matchExact-tag exact "$R/team/app:v1" accept
case_ matchExact-other-tag exact "$R/team/app:other" reject
case_ matchExact-by-digest exact "$R/team/app@$D1" reject
case_ matchRepository-other-tag repo "$R/team/app:other" accept
case_ exactReference exactref "$R/team/app:other" accept
case_ exactReference-wrong exactref-wrong "$R/team/app:v1" reject
case_ exactRepository exactrepo "$R/team/app:other" accept
case_ exactRepository-wrong exactrepo-wrong "$R/team/app:v1" reject
case_ remapIdentity-mirror remap "$R/mirror/team/app:v1" accept
case_ mirror-without-remap mirror-default "$R/mirror/team/app:v1" reject
case_ reject-requirement reject "$R/team/app:v1" reject
case_ insecureAcceptAnything-unsigned insecure "$R/team/unsigned:v1" accept
case_ wildcard-scope wildcard "$R/team/app:v1" accept
case_ wildcard-shadowed-by-host wildcard-shadowed "$R/team/app:v1" accept
case_ repo-scope-beats-host hostport-vs-repo "$R/team/unsigned:v1" accept
case_ tag-scope-beats-namespace tagscope "$R/team/app:v1" accept
case_ namespace-under-tag-scope tagscope "$R/team/app:other" reject
case_ transport-default-reject transport-default "$R/team/unsigned:v1" reject
case_ and-of-requirements and "$R/team/unsigned:v1" reject
case_ sigstoreSigned-unsupported sigstore "$R/team/app:v1" reject
case_ lookaside-http-500 signedA "$R/team/broken:v1" error
case_ lookaside-html-200 signedA "$R/team/html:v1" error
case_ multi-platform-instance-signed signedA "$R/team/multi:v1" accept
case_ multi-platform-instance-by-digest signedA "$R/team/multi@$DM_AMD64" accept
# The extension is used instead of registries.d (which points this host at a
# lookaside that answers 500: using it would be "could not evaluate").
case_ extension-api-accept ext "$X/team/app:v1" accept
case_ extension-api-no-signature ext "$X/team/unsigned:v1" reject
case_ extension-api-wrong-key ext "$X/team/wrongkey:v1" reject
case_ extension-api-bad-then-good ext "$X/team/twosigs:v1" accept
case_ extension-api-identity-mismatch ext-default "$X/team/app:v1" reject
diag "cases compared with skopeo: $n_cases"

# What bootgate reports for an accepted image: decision, signer, identity, digest, scope.
bg verify --format json --policy "$WORK/pol/signedA.json" --registries.d "$WORK/regd-read" --cert-dir "$CERTS" "docker://$R/team/app:v1"
is "$RC" 0 "json: accepted"
is "$(json_field decision)" accepted "json: decision"
is "$(json_field verified_digest)" "$D1" "json: the verified digest is the manifest's"
is "$(json_field scope)" "transports.docker[\"$R/team\"]" "json: the deciding scope"
is "$(jq -r '.signatures[0].primary_fingerprint' "$WORK/out")" "$FA" "json: signer fingerprint"
is "$(jq -r '.signatures[0].signed_identity' "$WORK/out")" "$R/team/app:v1" "json: signed identity"
is "$(jq -r '.signatures[0].signed_digest' "$WORK/out")" "$D1" "json: signed digest"
jq -r '.signatures[0].uid' "$WORK/out" | grep -q 'bootgate test A'
ok $? "json: signer user ID"
# multi-platform: the instance digest is what was verified, and the index is reported.
bg verify --format json --platform linux/amd64 --policy "$WORK/pol/signedA.json" --registries.d "$WORK/regd-read" --cert-dir "$CERTS" "docker://$R/team/multi:v1"
is "$(json_field verified_digest)" "$DM_AMD64" "multi: the per-platform digest is verified"
[ -n "$(json_field index_digest)" ]
ok $? "multi: the index digest is reported"
# --fingerprint pins: A's signature is refused when only B is pinned.
bg verify --fingerprint "$FB" --policy "$WORK/pol/signedA.json" --registries.d "$WORK/regd-read" --cert-dir "$CERTS" "docker://$R/team/app:v1"
is "$RC" 1 "--fingerprint: a signer that is not pinned is rejected"
bg verify --fingerprint "$FA" --policy "$WORK/pol/signedA.json" --registries.d "$WORK/regd-read" --cert-dir "$CERTS" "docker://$R/team/app:v1"
is "$RC" 0 "--fingerprint: the pinned signer is accepted"
# Configuration errors are exit 2.
printf '{"default":[{"type":"reject"}],"transports":{"docker":{"x":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/k","signedIdentty":{"type":"matchExact"}}]}}}' >"$WORK/pol/typo.json"
bg verify --policy "$WORK/pol/typo.json" --registries.d "$WORK/regd-read" --cert-dir "$CERTS" "docker://$R/team/app:v1"
is "$RC" 2 "policy with an unknown key: exit 2"
err_has 'unknown key "signedIdentty"'
ok $? "policy with an unknown key: the message names the key"
cp "$WORK/regd-read/read.yaml" "$WORK/regd-read/dup.yaml"
bg verify --policy "$WORK/pol/signedA.json" --registries.d "$WORK/regd-read" --cert-dir "$CERTS" "docker://$R/team/app:v1"
is "$RC" 2 "registries.d namespace defined in two files: exit 2"
rm "$WORK/regd-read/dup.yaml"

# --- local transports (bootgate's mapping; skopeo has none) ---------------------------
bg verify --identity "$R/team/app:v1" --policy "$WORK/pol/signedA.json" --registries.d "$WORK/regd-read" --cert-dir "$CERTS" "oci:$L:v1"
is "$RC" 0 "oci: with --identity: judged under the identity's scope and signatures"
bg verify --identity "$R/team/app:other" --policy "$WORK/pol/signedA.json" --registries.d "$WORK/regd-read" --cert-dir "$CERTS" "oci:$L:v1"
is "$RC" 1 "oci: with another --identity: rejected"
bg verify --identity "$R/team/app:v1" --policy "$WORK/pol/signedA.json" --registries.d "$WORK/regd-read" --cert-dir "$CERTS" "oci:$L:v2"
is "$RC" 1 "oci: an image whose digest has no signature: rejected"
bg verify --policy "$WORK/pol/signedA.json" --registries.d "$WORK/regd-read" "oci:$L:v1"
is "$RC" 1 "oci: without --identity the global default applies (reject)"
printf '{"default":[{"type":"reject"}],"transports":{"oci":{"":[{"type":"insecureAcceptAnything"}]}}}' >"$WORK/pol/oci.json"
bg verify --policy "$WORK/pol/oci.json" --registries.d "$WORK/regd-read" "oci:$L:v1"
is "$RC" 0 "oci: without --identity the oci transport default applies"

# --- nothing left behind -------------------------------------------------------------
ls -d "$tmpdir"/bootgate-gpg-* 2>/dev/null | sort >"$WORK/gpg-homes.after"
leaked=$(comm -13 "$WORK/gpg-homes.before" "$WORK/gpg-homes.after")
is "$leaked" "" "no temporary GnuPG home left by bootgate"
is "$(pgrep -f 'gpg-agent.*bootgate-gpg-' | wc -l)" 0 "no gpg-agent of a bootgate GnuPG home running"

{
	echo "# case table (name, policy, image, expected, skopeo exit, bootgate exit):"
	sed "s|$R|REG|g; s|$X|EXT|g; s/^/#   /" "$WORK/table.tsv"
}
done_testing
