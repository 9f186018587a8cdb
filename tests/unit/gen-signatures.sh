#!/bin/sh
# Regenerate the simple-signing fixture categories of containers/image
# (signature/fixtures) with the local GnuPG, for test_signature.
#
#   gen-signatures.sh OUTDIR MANIFEST
#
# OUTDIR must exist and be empty (the test makes it with mkdtemp and removes
# it).  Writes OUTDIR/<case>.sig, public keys OUTDIR/<key>.pub (binary) and
# OUTDIR/<key>.asc (armored), fingerprints OUTDIR/<key>.fpr (primary) and
# OUTDIR/<key>.subfpr (signing subkey, where there is one).  The identity
# signed is registry.example.test/gate/sig:1.0 and the digest is sha256 of
# MANIFEST, except in the wrong-identity and wrong-digest cases.
#
# Times are faked where a case needs the past: a key that expired in 2021,
# a signature that expired a day after it was made in 2020.  GnuPG 2.2 cannot
# make V3 signatures (--force-v3-sigs is ignored); V3 is covered by the
# containers/image fixtures and Red Hat's real signature in the corpus.
set -eu

out=$1
manifest=$2
GNUPGHOME=$out/g
export GNUPGHOME
mkdir -m 700 "$GNUPGHOME"
# Key generation and signing need gpg-agent: stop it whatever happens.
trap 'gpgconf --homedir "$GNUPGHOME" --kill all >/dev/null 2>&1 || true' EXIT

g() { gpg --batch --no-auto-check-trustdb --no-tty --quiet --yes --pinentry-mode loopback --passphrase '' "$@"; }
fpr() { gpg --batch --with-colons --list-keys "$1" | awk -F: '/^fpr:/ { print $10; exit }'; }
subfpr() { gpg --batch --with-colons --list-keys "$1" | awk -F: '/^fpr:/ { n++; if (n == 2) { print $10; exit } }'; }

digest="sha256:$(sha256sum "$manifest" | cut -d' ' -f1)"
identity=registry.example.test/gate/sig:1.0
payload() { # identity digest -> payload bytes, c/image's compact form
	printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"atomic container signature"},"optional":{"creator":"bootgate test","timestamp":1700000000}}' "$1" "$2"
}
payload "$identity" "$digest" >"$out/payload.json"
payload registry.example.test/gate/other:1.0 "$digest" >"$out/payload-wrong-identity.json"
payload "$identity" "sha256:$(printf 'another manifest' | sha256sum | cut -d' ' -f1)" >"$out/payload-wrong-digest.json"

# Keys: ed25519 (fast to make).
g --quick-gen-key 'valid signer <valid@example.test>' ed25519 sign never
g --quick-gen-key 'second signer <second@example.test>' ed25519 sign never
g --quick-gen-key 'unknown signer <unknown@example.test>' ed25519 sign never
g --quick-gen-key 'encryption key <enc@example.test>' default default never
g --quick-gen-key 'subkey holder <subkey@example.test>' ed25519 cert never
g --quick-add-key "$(fpr subkey@example.test)" ed25519 sign never
g --quick-gen-key 'revoked subkey holder <revsub@example.test>' ed25519 cert never
g --quick-add-key "$(fpr revsub@example.test)" ed25519 sign never
g --quick-gen-key 'revoked key <revoked@example.test>' ed25519 sign never
g --faked-system-time 20200101T000000 --quick-gen-key 'expired key <expired@example.test>' ed25519 sign 1y
g --faked-system-time 20190101T000000 --quick-gen-key 'old signer <old@example.test>' ed25519 sign never

for k in valid second unknown subkey revsub revoked expired old; do
	fpr "$k@example.test" >"$out/$k.fpr"
done
subfpr subkey@example.test >"$out/subkey.subfpr"
subfpr revsub@example.test >"$out/revsub.subfpr"

sign() { # name signer-args... < payload
	name=$1
	shift
	g "$@" --sign >"$out/$name.sig"
}
sign valid -u valid@example.test <"$out/payload.json"
sign valid-uncompressed -u valid@example.test --compress-algo none <"$out/payload.json"
sign subkey -u "$(cat "$out/subkey.subfpr")!" <"$out/payload.json"
sign revoked-subkey -u "$(cat "$out/revsub.subfpr")!" <"$out/payload.json"
sign revoked-key -u revoked@example.test <"$out/payload.json"
g --faked-system-time 20200601T000000 -u expired@example.test --sign <"$out/payload.json" >"$out/expired-key.sig"
g --faked-system-time 20200601T000000 --default-sig-expire 1d -u old@example.test --sign \
	<"$out/payload.json" >"$out/expired-signature.sig"
sign unknown-key -u unknown@example.test <"$out/payload.json"
sign two-signers -u valid@example.test -u second@example.test <"$out/payload.json"
sign wrong-identity -u valid@example.test <"$out/payload-wrong-identity.json"
sign wrong-digest -u valid@example.test <"$out/payload-wrong-digest.json"
g -u valid@example.test --armor --sign <"$out/payload.json" >"$out/armored.asc"
g -u valid@example.test --clearsign <"$out/payload.json" >"$out/cleartext.asc"
g -u valid@example.test --detach-sign <"$out/payload.json" >"$out/detached.sig"
g --store <"$out/payload.json" >"$out/unsigned-literal.sig"
g --trust-model always -r enc@example.test --encrypt <"$out/payload.json" >"$out/encrypted.sig"
g --trust-model always -u valid@example.test -r enc@example.test --sign --encrypt \
	<"$out/payload.json" >"$out/signed-encrypted.sig"

# Revocations after signing (GnuPG refuses to sign with revoked keys).
# The revocation certificate made at key generation is "disarmed" with a
# leading ':'; importing it without that revokes the key.
rev="$GNUPGHOME/openpgp-revocs.d/$(cat "$out/revoked.fpr").rev"
sed 's/^:-----BEGIN/-----BEGIN/' "$rev" | g --import
printf 'key 1\nrevkey\ny\n1\nkey compromised\n\ny\nsave\n' |
	gpg --batch --no-tty --quiet --yes --pinentry-mode loopback --passphrase '' \
		--command-fd 0 --edit-key "$(cat "$out/revsub.fpr")" >/dev/null 2>&1

for k in valid second unknown subkey revsub revoked expired old; do
	g --export "$k@example.test" >"$out/$k.pub"
	g --armor --export "$k@example.test" >"$out/$k.asc"
done
