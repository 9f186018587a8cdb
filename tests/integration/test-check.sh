#!/bin/bash
# bootgate check end to end against a loopback docker-registry (TLS from a
# test CA) with skopeo-signed images: a base image pushed and signed with
# `skopeo copy --sign-by` (a test GnuPG key, lookaside-staging into a store
# that nginx serves over TLS), a "web" image whose audit rules pass
# policies/image-mode-baseline.yaml and a "db" image that fails it, both
# built with umoci from python-written layer tars, and Containerfiles whose
# FROM names the base by registry reference pinned to its digest.  Checked:
# the per-role verdicts and exit codes, --record (only the passing role, with
# skopeo's digests), an unsigned base, a lookaside answering 500, the trust
# settings inline in bootgate.yaml, the JSON report, and that no GnuPG agent
# or temporary GnuPG home is left behind.
#   usage: test-check.sh BOOTGATE
. "$(dirname "$0")/lib.sh"
require_tools docker-registry skopeo umoci openssl python3 nginx gpg gpgconf curl jq
"$BOOTGATE" check --help >/dev/null 2>&1 || skip_all "this bootgate has no check command"
it_init

SRC=$(cd "$IT_DIR/../.." && pwd)
BASELINE=$SRC/policies/image-mode-baseline.yaml
tmpdir=${TMPDIR:-/tmp}
ls -d "$tmpdir"/bootgate-gpg-* 2>/dev/null | sort >"$WORK/gpg-homes.before"

export GNUPGHOME=$WORK/gnupg
mkdir -m 0700 "$GNUPGHOME"
stop_test_agent() { gpgconf --homedir "$GNUPGHOME" --kill all >/dev/null 2>&1; }
trap 'stop_test_agent; it_cleanup' EXIT
cd "$WORK" || exit 1   # no bootgate.yaml of the source tree in the way; git: "unknown"
unset CI_COMMIT_SHA GITHUB_SHA

make_pki || { echo "Bail out! cannot make the test CA"; exit 1; }
start_registry reg plain || { echo "Bail out! docker-registry did not start"; exit 1; }
R=127.0.0.1:$REG_PORT
CERTS=$WORK/certs

# --- the signing key ----------------------------------------------------------------
gpg --batch --passphrase '' --quick-gen-key "bootgate check test <signer@bootgate.test>" ed25519 sign never \
	>"$WORK/gpg.log" 2>&1 || { cat "$WORK/gpg.log" >&2; echo "Bail out! gpg key generation failed"; exit 1; }
FPR=$(gpg --batch --with-colons --list-keys signer@bootgate.test 2>/dev/null | awk -F: '$1 == "fpr" {print $10; exit}')
KEY=$WORK/signer.gpg
gpg --batch --export "$FPR" >"$KEY" 2>/dev/null

# --- images (umoci, layer tars written by python's tarfile) -------------------------
L=$WORK/oci
umoci init --layout "$L" >/dev/null
mkimage() { # mkimage TAG DIR...: one layer per DIR
	local tag=$1 d i=0
	shift
	umoci new --image "$L:$tag" >/dev/null &&
		umoci config --image "$L:$tag" --os linux --architecture amd64 \
			--config.label containers.bootc=1 --config.label ostree.bootable=true >/dev/null || return 1
	for d in "$@"; do
		i=$((i + 1))
		mklayer "$d" "$WORK/layer-$tag-$i.tar" &&
			umoci raw add-layer --image "$L:$tag" "$WORK/layer-$tag-$i.tar" >/dev/null || return 1
		rm -f "$WORK/layer-$tag-$i.tar"
	done
}
# The base: auditd installed and enabled, audit=1, the watched directories.
B=$WORK/tree/base
mkdir -p "$B"/etc/audit/rules.d "$B"/usr/lib/systemd/system "$B"/etc/systemd/system/multi-user.target.wants \
	"$B"/etc/sudoers.d "$B"/etc/cron.d "$B"/var/spool/cron "$B"/var/spool/at "$B"/etc/ssh/sshd_config.d \
	"$B"/var/roothome/.ssh "$B"/etc/ld.so.conf.d "$B"/etc/pam.d "$B"/etc/security "$B"/etc/systemd/user \
	"$B"/usr/lib/bootc/kargs.d "$B"/usr/bin "$B"/usr/sbin "$B"/var/log/faillock
printf 'log_file = /var/log/audit/audit.log\n' >"$B/etc/audit/auditd.conf"
chmod 0640 "$B/etc/audit/auditd.conf"
printf '[Service]\nExecStart=/sbin/auditd\nExecStartPost=-/sbin/augenrules --load\n' \
	>"$B/usr/lib/systemd/system/auditd.service"
ln -s /usr/lib/systemd/system/auditd.service "$B/etc/systemd/system/multi-user.target.wants/auditd.service"
printf 'kargs = ["audit=1", "audit_backlog_limit=8192"]\n' >"$B/usr/lib/bootc/kargs.d/10-audit.toml"
printf -- '-D\n-b 8192\n-f 2\n--backlog_wait_time 60000\n' >"$B/etc/audit/rules.d/10-base.rules"
chmod 0600 "$B/etc/audit/rules.d/10-base.rules"
# web: the baseline's rules (what roles/web/audit/ holds, COPY'd by its Containerfile).
G=$WORK/tree/web
mkdir -p "$G/etc/audit/rules.d"
{
	echo '-a always,exit -F dir=/etc -F perm=wa -F auid>=1000 -F auid!=unset -F key=etc-write'
	for p in /etc/systemd/system /etc/systemd/user /etc/crontab /etc/cron.d /var/spool/cron /var/spool/at \
		/etc/sudoers /etc/sudoers.d /etc/ssh/sshd_config /etc/ssh/sshd_config.d /var/roothome/.ssh \
		/etc/ld.so.preload /etc/ld.so.conf /etc/ld.so.conf.d /etc/pam.d /etc/security /etc/nsswitch.conf \
		/etc/audit; do
		echo "-w $p -p wa -k bootc-persist"
	done
} >"$G/etc/audit/rules.d/50-bootc.rules"
echo '-e 2' >"$G/etc/audit/rules.d/99-finalize.rules"
chmod 0600 "$G"/etc/audit/rules.d/*.rules
# db: the same rules, then a debug layer: audit=0 on the kernel command line.
X=$WORK/tree/db
mkdir -p "$X/usr/lib/bootc/kargs.d"
printf 'kargs = ["audit=0"]\n' >"$X/usr/lib/bootc/kargs.d/90-debug.toml"
{ mkimage base "$B" && mkimage web "$B" "$G" && mkimage db "$B" "$G" "$X"; } >"$WORK/mkimage.log" 2>&1 ||
	{ sed 's/^/#   /' "$WORK/mkimage.log"; echo "Bail out! cannot build the test images"; exit 1; }

# --- push and sign --------------------------------------------------------------------
mkdir -p "$WORK/regd-write" "$WORK/sig"
chmod 0755 "$WORK/sig"
printf 'docker:\n  %s:\n    lookaside-staging: file://%s\n' "$R" "$WORK/sig" >"$WORK/regd-write/w.yaml"
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$WORK/open.json"
push() { # push TAG DEST [--sign-by FPR]
	local src=$1 dst=$2
	shift 2
	skopeo --policy "$WORK/open.json" --registries.d "$WORK/regd-write" copy -q --dest-cert-dir "$CERTS" "$@" \
		"oci:$L:$src" "docker://$R/$dst" >>"$WORK/push.log" 2>&1
}
{
	push base base/bootc:1.0 --sign-by "$FPR" &&
	push base base/unsigned:1.0 &&
	push web fleet/web:1 &&
	push db fleet/db:1
} || { sed 's/^/#   /' "$WORK/push.log"; echo "Bail out! pushing the test images failed"; exit 1; }
digest_of() { skopeo inspect --raw --cert-dir "$CERTS" "docker://$R/$1" | sha256sum | awk '{print "sha256:" $1}'; }
D_BASE=$(digest_of base/bootc:1.0)
D_WEB=$(digest_of fleet/web:1)
[ -f "$WORK/sig/base/bootc@sha256=${D_BASE#sha256:}/signature-1" ]
ok $? "the base image is signed into the lookaside store"
[ "$(digest_of base/unsigned:1.0)" = "$D_BASE" ] && [ ! -e "$WORK/sig/base/unsigned@sha256=${D_BASE#sha256:}" ]
ok $? "the same base under another repository has no signature"

# --- nginx: the lookaside store, and one that answers 500 ----------------------------
NG_PORT=$(free_port)
cat >"$WORK/nginx.body" <<EOF
  server {
    listen 127.0.0.1:$NG_PORT ssl;
    ssl_certificate $WORK/pki/srv.crt;
    ssl_certificate_key $WORK/pki/srv.key;
    location /sigs/ { alias $WORK/sig/; }
    location /broken/ { return 500; }
  }
EOF
start_nginx ng "$WORK/nginx.body" || { echo "Bail out! nginx did not start"; exit 1; }
wait_http "https://127.0.0.1:$NG_PORT/sigs/" "$(cat "$WORK/ng/nginx.pid")" --cacert "$CERTS/ca.crt" ||
	{ echo "Bail out! nginx does not answer"; exit 1; }

# --- the repository: trust settings, Containerfiles, bootgate.yaml ------------------
REPO=$WORK/repo
mkdir -p "$REPO/trust/registries.d" "$REPO/trust/broken.d" "$REPO/roles/web/audit" "$REPO/roles/db/audit" \
	"$REPO/roles/legacy/audit"
cat >"$REPO/trust/policy.json" <<EOF
{"default":[{"type":"reject"}],
 "transports":{"docker":{
   "$R/base":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"$KEY"}],
   "$R/fleet":[{"type":"insecureAcceptAnything"}]}}}
EOF
printf 'docker:\n  %s:\n    lookaside: https://127.0.0.1:%s/sigs\n' "$R" "$NG_PORT" >"$REPO/trust/registries.d/sigs.yaml"
printf 'docker:\n  %s:\n    lookaside: https://127.0.0.1:%s/broken\n' "$R" "$NG_PORT" >"$REPO/trust/broken.d/sigs.yaml"
cp "$G"/etc/audit/rules.d/*.rules "$REPO/roles/web/audit/"
cp "$G"/etc/audit/rules.d/*.rules "$REPO/roles/db/audit/"
cp "$G"/etc/audit/rules.d/*.rules "$REPO/roles/legacy/audit/"
containerfile() { # containerfile ROLE BASE-REPOSITORY
	printf '# the %s role\nFROM %s:1.0@%s\nCOPY audit/ /etc/audit/rules.d/\n' "$1" "$R/$2" "$D_BASE" \
		>"$REPO/roles/$1/Containerfile"
}
containerfile web base/bootc
containerfile db base/bootc
containerfile legacy base/unsigned
# bootgate_yaml FILE TRUST-YAML-LINES...: the three roles under the given trust settings.
bootgate_yaml() {
	local f=$1 l
	shift
	{
		echo "version: 1"
		echo "manifest: roles.manifest.json"
		echo "defaults:"
		echo "  platform: linux/amd64"
		echo "  policy: $BASELINE"
		echo "  trust:"
		for l in "$@"; do echo "    $l"; done
		echo "roles:"
		for role in web db legacy; do
			echo "  $role:"
			echo "    containerfile: roles/$role/Containerfile"
			[ $role = legacy ] && echo "    image: docker://$R/fleet/web:1" || echo "    image: docker://$R/fleet/$role:1"
		done
	} >"$REPO/$f"
}
bootgate_yaml bootgate.yaml "policy: trust/policy.json" "registries.d: trust/registries.d"
bootgate_yaml broken.yaml "policy: trust/policy.json" "registries.d: trust/broken.d"
bootgate_yaml inline.yaml "policy-inline:" \
	"  default: [{type: reject}]" \
	"  transports:" \
	"    docker:" \
	"      $R/base: [{type: signedBy, keyType: GPGKeys, keyPath: '$KEY'}]" \
	"      $R/fleet: [{type: insecureAcceptAnything}]" \
	"lookaside: https://127.0.0.1:$NG_PORT/sigs"
CHK=(check --cert-dir "$CERTS" --no-cache)

# --- web and db: one passes, one fails with the audit finding ------------------------
bg "${CHK[@]}" --config "$REPO/bootgate.yaml" --role web --role db --format json
is "$RC" 1 "web + db: exit 1 (a role's gate is closed)"
is "$(jq -r '[.roles[] | .name + "=" + .verdict] | join(" ")' "$WORK/out" 2>/dev/null)" "web=pass db=fail" \
	"json: per-role verdicts in file order"
jq -e '.roles[] | select(.name == "db") | .reason | test("finding")' "$WORK/out" >/dev/null 2>&1
ok $? "json: db's reason says findings fail it"
jq -e '[.findings[] | select(.rule == "karg-forbidden")] | length > 0' "$WORK/out" >/dev/null 2>&1
ok $? "json: db has the karg-forbidden audit finding"
jq -e '[.findings[] | select(.rule == "karg-forbidden") | .message | test("audit=0")] | any' "$WORK/out" >/dev/null 2>&1
ok $? "json: the finding names audit=0"
jq -e --arg img "docker://$R/fleet/web:1" '[.findings[] | select(.file == $img and .severity == "error")] | length == 0' \
	"$WORK/out" >/dev/null 2>&1
ok $? "json: no error finding names the web image"
jq -e '.findings | length > 0 and (map(select(.rule | test("signature|unevaluated"))) | length == 0)' \
	"$WORK/out" >/dev/null 2>&1
ok $? "json: no signature finding (the signed base is accepted)"

bg "${CHK[@]}" --config "$REPO/bootgate.yaml" --role web
is "$RC" 0 "web alone: exit 0"
bg "${CHK[@]}" --config "$REPO/bootgate.yaml" --role db
is "$RC" 1 "db alone: exit 1"
grep -q 'karg-forbidden' "$WORK/out"; ok $? "text: db's karg-forbidden finding"

# --- --record: only web, with skopeo's digests -----------------------------------------
M=$REPO/roles.manifest.json
bg "${CHK[@]}" --config "$REPO/bootgate.yaml" --role web --role db --record
is "$RC" 1 "--record with a failing role: still exit 1"
is "$(jq -r '.roles | keys | join(",")' "$M" 2>/dev/null)" "web" "--record: only web is recorded"
is "$(jq -r '.roles.web.manifest_digest' "$M" 2>/dev/null)" "$D_WEB" "--record: web's digest is skopeo's"
is "$(jq -r '.roles.web.base_digests | join(",")' "$M" 2>/dev/null)" "$D_BASE" "--record: the base digest is skopeo's"
is "$(jq -r '.roles.web.repository' "$M" 2>/dev/null)" "$R/fleet/web" "--record: the repository"
is "$(jq -r '.roles.web.evidence.signer_fingerprint' "$M" 2>/dev/null)" "$FPR" "--record: the base signer"
is "$(jq -r '.roles.web.evidence.policy_hash' "$M" 2>/dev/null)" "$(sha256_of "$BASELINE")" "--record: the policy hash"
is "$(jq -r '.serial' "$M" 2>/dev/null)" 1 "--record: serial 1"

# --- an unsigned base ---------------------------------------------------------------------
bg "${CHK[@]}" --config "$REPO/bootgate.yaml" --role legacy --format json
is "$RC" 1 "unsigned base: exit 1"
grep -q 'base-signature-rejected' "$WORK/out"; ok $? "unsigned base: base-signature-rejected"
is "$(jq -r '.roles[0].verdict' "$WORK/out" 2>/dev/null)" fail "unsigned base: the role fails"

# --- a lookaside answering 500 ----------------------------------------------------------
bg "${CHK[@]}" --config "$REPO/broken.yaml" --role web --format json
is "$RC" 3 "lookaside 500: exit 3"
grep -q 'check-unevaluated' "$WORK/out"; ok $? "lookaside 500: check-unevaluated"
is "$(jq -r '.roles[0].verdict' "$WORK/out" 2>/dev/null)" unevaluated "lookaside 500: verdict unevaluated"

# --- trust settings inline in bootgate.yaml ---------------------------------------------
bg "${CHK[@]}" --config "$REPO/inline.yaml" --format json
is "$RC" 1 "inline trust: exit 1"
is "$(jq -r '[.roles[] | .name + "=" + .verdict] | join(" ")' "$WORK/out" 2>/dev/null)" \
	"web=pass db=fail legacy=fail" "inline trust: the same verdicts as with files"
sed -i "s|'$KEY'|'$WORK/nonexistent.gpg'|; s|signedBy, keyType|signedBy, keyTyp|" "$REPO/inline.yaml"
bg "${CHK[@]}" --config "$REPO/inline.yaml"
is "$RC" 2 "inline trust with an invalid policy: exit 2"
err_has "inline.yaml:8:7: trust.policy-inline"; ok $? "inline trust: the error names bootgate.yaml, the line and column"
err_has "unknown key \"keyTyp\""; ok $? "inline trust: the error names the bad key"

# --- nothing left behind ----------------------------------------------------------------
ls -d "$tmpdir"/bootgate-gpg-* 2>/dev/null | sort >"$WORK/gpg-homes.after"
is "$(comm -13 "$WORK/gpg-homes.before" "$WORK/gpg-homes.after")" "" "no temporary GnuPG home left by bootgate"
is "$(pgrep -f 'gpg-agent.*bootgate-gpg-' | wc -l)" 0 "no gpg-agent of a bootgate GnuPG home running"
done_testing
