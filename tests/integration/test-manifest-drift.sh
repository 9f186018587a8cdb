#!/bin/bash
# bootgate manifest merge|sign|verify|diff and bootgate drift, end to end:
# two release managers' keys made here (temporary GnuPG home, removed with
# its agent afterwards), fragments merged into a manifest, signatures,
# threshold, replay via a state file, and drift against the bootc status
# documents of testdata/bootc/.  No network, no services.
. "$(dirname "$0")/lib.sh"
require_tools gpg gpgconf jq
it_init
GH=$WORK/gnupg
mkdir -m 700 "$GH"
cleanup_all() {
	gpgconf --homedir "$GH" --kill all >/dev/null 2>&1
	it_cleanup
}
trap cleanup_all EXIT
cd "$WORK" || exit 1   # no bootgate.yaml of the repository in the way
TD=$(cd "$IT_DIR/../../testdata/bootc" && pwd)
D_V2=sha256:1739e79cd73b2c291b8f4158ca3df01c2e63e56826c69f1c82d1df3541e7abf2
D_DB=sha256:2222222222222222222222222222222222222222222222222222222222222222

genkey() {
	gpg --homedir "$GH" --batch --pinentry-mode loopback --passphrase '' \
		--quick-gen-key "$1" ed25519 sign never >/dev/null 2>&1 &&
		gpg --homedir "$GH" --batch --with-colons --list-secret-keys "$1" 2>/dev/null | awk -F: '$1=="fpr"{print $10; exit}'
}
RM1=$(genkey "RM One <rm1@example.com>")
RM2=$(genkey "RM Two <rm2@example.com>")
[ ${#RM1} = 40 ] && [ ${#RM2} = 40 ]
ok $? "two release manager keys generated"
gpg --homedir "$GH" --batch --armor --export "$RM1" "$RM2" >"$WORK/keyring.asc" 2>/dev/null
ok $? "keyring exported"

fragment() { # ROLE REPO DIGEST
	cat <<EOF
{
  "entry": {
    "base_digests": [],
    "evidence": {
      "policy_hash": null,
      "signer_fingerprint": null,
      "signer_uid": null,
      "source_revision": "0123456789abcdef",
      "verdict": "pass"
    },
    "index_digest": null,
    "manifest_digest": "$3",
    "recorded": "2025-06-01T12:00:00Z",
    "repository": "$2"
  },
  "format_version": 1,
  "kind": "bootgate-role-fragment",
  "role": "$1"
}
EOF
}
fragment web registry.example.com/fleet/web "$D_V2" >"$WORK/web.json"
fragment db registry.example.com/fleet/db "$D_DB" >"$WORK/db.json"
fragment cache registry.example.com/fleet/cache "$D_DB" >"$WORK/cache.json"
M=$WORK/roles.manifest.json

bg manifest merge --manifest "$M" --expires 2099-01-01T00:00:00Z --role web --role db "$WORK/web.json" "$WORK/db.json"
[ "$RC" = 0 ] && [ "$(jq -r .serial "$M")" = 1 ] && [ "$(jq -r '.roles.web.manifest_digest' "$M")" = "$D_V2" ]
ok $? "merge two fragments into a new manifest at serial 1"
cp "$M" "$WORK/before.json"
bg manifest merge --manifest "$M" --role web --role db "$WORK/web.json" "$WORK/cache.json"
[ "$RC" = 1 ] && err_has 'role "cache", which is not one of the configured roles' && cmp -s "$M" "$WORK/before.json"
ok $? "merge refuses a fragment for an unknown role and leaves the manifest alone"
bg manifest merge --manifest "$M" --role web --role db "$WORK/web.json" "$WORK/web.json"
[ "$RC" = 1 ] && err_has "are both for role" && cmp -s "$M" "$WORK/before.json"
ok $? "merge refuses two fragments for one role"
bg manifest merge --manifest "$M" "$WORK/web.json"
[ "$RC" = 2 ]
ok $? "merge without a role list or bootgate.yaml is a usage error"
printf '# roles of this fleet\nweb\n  db  # the database\n\n' >"$WORK/roles.txt"
bg manifest merge --manifest "$WORK/other.json" --expires 2099-01-01T00:00:00Z --roles-file "$WORK/roles.txt" "$WORK/db.json" "$WORK/web.json"
[ "$RC" = 0 ] && cmp -s "$WORK/other.json" "$M"
ok $? "merge with --roles-file, fragments in another order: the same bytes"
bg manifest merge --manifest "$WORK/other2.json" --roles-file "$WORK/roles.txt" "$WORK/cache.json"
[ "$RC" = 1 ] && [ ! -e "$WORK/other2.json" ]
ok $? "--roles-file: a role not listed is refused, nothing written"

bg manifest sign --key "$RM1" --homedir "$GH" "$M"
[ "$RC" = 0 ] && [ -s "$M.$RM1.sig" ]
ok $? "rm1 signs: $M.$RM1.sig"
bg manifest verify --keyring "$WORK/keyring.asc" --threshold 2 "$M"
[ "$RC" = 1 ] && grep -q "REJECTED: 1 valid signature" "$WORK/out"
ok $? "one of two signatures with --threshold 2: rejected (exit 1)"
bg manifest sign --key "$RM2" --homedir "$GH" "$M"
ok $RC "rm2 signs"
bg manifest verify --keyring "$WORK/keyring.asc" --threshold 2 --format json "$M"
[ "$RC" = 0 ] && [ "$(json_field accepted)" = true ] && [ "$(jq -r '.signers|length' "$WORK/out")" = 2 ]
ok $? "two signatures with --threshold 2: accepted (json)"
bg manifest verify --keyring "$WORK/keyring.asc" "$M"
[ "$RC" = 2 ]
ok $? "verify without --threshold: usage error"

# Drift.
DRIFT=(drift --manifest "$M" --role web --keyring "$WORK/keyring.asc" --threshold 2 --host test-host)
bg "${DRIFT[@]}" --status "$TD/booted-only.json"
[ "$RC" = 0 ] && grep -q "result: IN SYNC" "$WORK/out"
ok $? "drift: booted only, the role's digest: in sync (exit 0)"
bg "${DRIFT[@]}" --status "$TD/drifted.json"
[ "$RC" = 1 ] && grep -q "result: DRIFTED" "$WORK/out"
ok $? "drift: booted another image: drifted (exit 1)"
bg "${DRIFT[@]}" --status "$TD/staged.json"
[ "$RC" = 1 ] && grep -q "staged .*DRIFTED" "$WORK/out"
ok $? "drift: unapproved staged deployment: drifted"
bg "${DRIFT[@]}" --status "$TD/rollback.json"
[ "$RC" = 0 ] && grep -q "rollback .*rollback only" "$WORK/out"
ok $? "drift: rollback deployment reported, in sync"
bg "${DRIFT[@]}" --status "$TD/cached-update.json"
[ "$RC" = 0 ] && grep -q "NOT IN THE MANIFEST: do not apply" "$WORK/out"
ok $? "drift: cached update outside the manifest flagged"
bg "${DRIFT[@]}" --status "$TD/null-booted.json"
[ "$RC" = 3 ] && err_has "not deployed with bootc"
ok $? "drift: booted null: not a bootc host (exit 3)"
bg "${DRIFT[@]}" --status "$TD/malformed-truncated.json"
[ "$RC" = 3 ] && err_has "invalid JSON"
ok $? "drift: malformed status: exit 3"
bg drift --manifest "$M" --role nosuch --keyring "$WORK/keyring.asc" --threshold 2 --status "$TD/booted-only.json"
[ "$RC" = 3 ] && err_has 'no role "nosuch"'
ok $? "drift: role not in the manifest: exit 3"
bg drift --manifest "$M" --role web --keyring "$WORK/keyring.asc" --threshold 3 --status "$TD/booted-only.json"
[ "$RC" = 3 ] && err_has "not accepted"
ok $? "drift: manifest below the signature threshold: exit 3, nothing compared"

bg "${DRIFT[@]}" --status "$TD/cached-update.json" --format json
lines=$(wc -l <"$WORK/out")
[ "$RC" = 0 ] && [ "$lines" = 3 ] && jq -e . "$WORK/out" >/dev/null &&
	[ "$(tail -n1 "$WORK/out" | jq -r .event.status)" = in_sync ] &&
	[ "$(tail -n1 "$WORK/out" | jq -r .event.cached_update_unapproved)" = true ] &&
	[ "$(head -n1 "$WORK/out" | jq -r '.host + " " + .sourcetype + " " + .event.slot')" = "test-host _json booted" ]
ok $? "drift --format json: one HEC event per line (booted, cached_update, result)"
bg "${DRIFT[@]}" --status "$TD/null-booted.json" --format json
[ "$RC" = 3 ] && [ "$(jq -r .event.status "$WORK/out")" = error ]
ok $? "drift --format json: an error is an event too"

# Running bootc: missing, failing, working (fake bootc on PATH).
mkdir -p "$WORK/bin-none" "$WORK/bin-fail" "$WORK/bin-ok"
printf '#!/bin/sh\nexit 1\n' >"$WORK/bin-fail/bootc"
printf '#!/bin/sh\n[ "$*" = "status --format json" ] || exit 9\ncat "%s"\n' "$TD/booted-only.json" >"$WORK/bin-ok/bootc"
chmod +x "$WORK/bin-fail/bootc" "$WORK/bin-ok/bootc"
GPGDIR=$(dirname "$(command -v gpg)")
PATH=$WORK/bin-ok:$PATH bg "${DRIFT[@]}"
[ "$RC" = 0 ]
ok $? "drift runs 'bootc status --format json' when no --status is given"
PATH=$WORK/bin-fail:$PATH bg "${DRIFT[@]}"
[ "$RC" = 3 ] && err_has "failed"
ok $? "drift: bootc failing: exit 3"
if ! command -v bootc >/dev/null 2>&1; then
	PATH=$WORK/bin-none:$GPGDIR bg "${DRIFT[@]}"
	[ "$RC" = 3 ] && err_has "bootc is not installed"
	ok $? "drift: no bootc on this host: exit 3"
fi

# Replay: the state file remembers serial 2; serial 1 is refused afterwards.
cp "$M" "$WORK/serial1.json"
cp "$M.$RM1.sig" "$WORK/serial1.json.$RM1.sig"
cp "$M.$RM2.sig" "$WORK/serial1.json.$RM2.sig"
fragment web registry.example.com/fleet/web sha256:3333333333333333333333333333333333333333333333333333333333333333 >"$WORK/web2.json"
bg manifest merge --manifest "$M" --role web --role db "$WORK/web2.json"
[ "$RC" = 0 ] && [ "$(jq -r .serial "$M")" = 2 ]
ok $? "merge into the existing manifest: serial 2"
bg manifest verify --keyring "$WORK/keyring.asc" --threshold 2 "$M"
[ "$RC" = 1 ] && grep -q "BAD signature\|not counted" "$WORK/err"
ok $? "old signatures do not cover the new revision"
"$BOOTGATE" manifest sign --key "$RM1" --homedir "$GH" "$M" >/dev/null &&
	"$BOOTGATE" manifest sign --key "$RM2" --homedir "$GH" "$M" >/dev/null
ok $? "both sign serial 2"
bg manifest verify --keyring "$WORK/keyring.asc" --threshold 2 --state "$WORK/state.json" "$M"
[ "$RC" = 0 ] && [ "$(jq -r .serial "$WORK/state.json")" = 2 ]
ok $? "verify with a state file records serial 2"
bg manifest verify --keyring "$WORK/keyring.asc" --threshold 2 --state "$WORK/state.json" "$WORK/serial1.json"
[ "$RC" = 1 ] && grep -q "cannot be replayed" "$WORK/out"
ok $? "serial 1 after serial 2: replay refused"
bg drift --manifest "$WORK/serial1.json" --role web --keyring "$WORK/keyring.asc" --threshold 2 \
	--state "$WORK/state.json" --status "$TD/booted-only.json"
[ "$RC" = 3 ] && err_has "cannot be replayed"
ok $? "drift with a replayed manifest: exit 3"
bg manifest verify --keyring "$WORK/keyring.asc" --threshold 2 --min-serial 3 "$M"
[ "$RC" = 1 ]
ok $? "--min-serial above the serial: refused"

bg manifest diff "$WORK/serial1.json" "$M"
[ "$RC" = 0 ] && grep -q "serial 1 -> 2" "$WORK/out" && grep -q "~ role web changed" "$WORK/out" &&
	grep -q "manifest digest: $D_V2 -> sha256:3333" "$WORK/out" && grep -q "1 role unchanged" "$WORK/out"
ok $? "manifest diff (text)"
bg manifest diff --format markdown "$WORK/serial1.json" "$M"
[ "$RC" = 0 ] && grep -q '^### Role manifest: serial 1 → 2' "$WORK/out" && grep -q '^- `web` \*\*changed\*\*' "$WORK/out"
ok $? "manifest diff (markdown)"
bg manifest show --role web "$M"
[ "$RC" = 0 ] && grep -q "manifest digest: sha256:3333" "$WORK/out"
ok $? "manifest show"

gpgconf --homedir "$GH" --kill all >/dev/null 2>&1
sleep 0.2
! pgrep -f -- "$GH" >/dev/null
ok $? "no gpg-agent of the test left running"
ls "${TMPDIR:-/tmp}" | grep -q "^bootgate-roles-" && diag "note: bootgate-roles-* directories exist in TMPDIR (maybe other runs)"
done_testing
