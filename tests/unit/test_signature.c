/* Tests for simple-signing verification: signatures regenerated with the
 * local GnuPG (tests/unit/gen-signatures.sh) for every fixture category of
 * containers/image, the corpus fixtures (skopeo 1.9.3 verdicts,
 * containers/image fixtures, Red Hat's real signature), key import, and
 * that no GnuPG home or gpg-agent is left behind. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootgate/digest.h"
#include "bootgate/signature.h"
#include "tests/tap.h"
#include "util.h"

extern char **environ;

#define IDENTITY "registry.example.test/gate/sig:1.0"

static char manifest_digest[BG_DIGEST_STRING_MAX];
static bg_strv homes; /* every GnuPG home a context used, checked at the end */

static char *path_join(const char *a, const char *b)
{
	char *s = NULL;
	if (asprintf(&s, "%s/%s", a, b) < 0)
		abort();
	return s;
}

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	bg_error err = {0};
	if (bg_read_file(path, 64 << 20, &data, len, &err) < 0) {
		tap_diag("cannot read %s: %s", path, err.message);
		*len = 0;
		return NULL;
	}
	return data;
}

/* First line of a file, without the newline. */
static char *first_line(const char *path)
{
	size_t len;
	char *s = slurp(path, &len);
	if (s)
		s[strcspn(s, "\n")] = '\0';
	return s;
}

/* A context with the given key files (NULL-terminated). */
static bg_sigctx *ctx_with(const char *key, ...)
{
	bg_sigctx *ctx = NULL;
	bg_error err = {0};
	if (bg_sigctx_new(&ctx, &err) < 0) {
		tap_diag("bg_sigctx_new: %s", err.message);
		return NULL;
	}
	bg_strv_push(&homes, bg_sigctx_home(ctx));
	va_list ap;
	va_start(ap, key);
	for (const char *k = key; k; k = va_arg(ap, const char *))
		if (bg_sigctx_import_file(ctx, k, &err) < 0)
			tap_diag("import %s: %s", k, err.message);
	va_end(ap);
	return ctx;
}

static const char *rej_name(bg_sigreject r)
{
	static const char *const names[] = {"accepted", "format", "crypto", "signer",
					    "payload",  "digest", "identity"};
	return (unsigned)r < 7 ? names[r] : "?";
}

/* Verify a blob and check the verdict; res is left for more checks. */
static void check_blob(bg_sigctx *ctx, const void *blob, size_t len, const char *digest,
		       const bg_sigidentity *rule, bg_sigreject want, bg_sigresult *res, const char *fmt,
		       ...) __attribute__((format(printf, 8, 9)));
static void check_blob(bg_sigctx *ctx, const void *blob, size_t len, const char *digest,
		       const bg_sigidentity *rule, bg_sigreject want, bg_sigresult *res, const char *fmt,
		       ...)
{
	bg_error err = {0};
	char name[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	int rc = bg_sigctx_verify(ctx, blob, len, digest, rule, res, &err);
	if (!ok(rc == 0 && res->accepted == (want == BG_SIGREJ_NONE) && res->rejected_by == want,
		"%s: %s", name, rej_name(want)))
		tap_diag("rc %d (%s), got %s: %s", rc, err.message, rej_name(res->rejected_by),
			 res->reason ? res->reason : "(no reason)");
}

static void check_file(bg_sigctx *ctx, const char *path, const char *digest,
		       const bg_sigidentity *rule, bg_sigreject want, const char *name)
{
	size_t len = 0;
	_cleanup_free_ char *blob = slurp(path, &len);
	bg_sigresult res = {0};
	if (!blob) {
		ok(false, "%s: read %s", name, path);
		return;
	}
	check_blob(ctx, blob, len, digest, rule, want, &res, "%s", name);
	bg_sigresult_free(&res);
}

static bool refuse_all(void *data, const char *signed_ref, char *why, size_t size)
{
	snprintf(why, size, "not %s", (const char *)data);
	return false;
}

/* ---- regenerated fixtures --------------------------------------------- */

static void test_generated(const char *gen)
{
	_cleanup_free_ char *valid_pub = path_join(gen, "valid.pub");
	_cleanup_free_ char *valid_asc = path_join(gen, "valid.asc");
	_cleanup_free_ char *second_pub = path_join(gen, "second.pub");
	_cleanup_free_ char *fpr_path = path_join(gen, "valid.fpr");
	_cleanup_free_ char *valid_fpr = first_line(fpr_path);
	_cleanup_free_ char *second_fpr_path = path_join(gen, "second.fpr");
	_cleanup_free_ char *second_fpr = first_line(second_fpr_path);
	bg_sigidentity rule = {.kind = BG_SIGID_MATCH_REPO_DIGEST_OR_EXACT, .image = IDENTITY};
	bg_error err = {0};
#define SIG(name) _cleanup_free_ char *name = path_join(gen, #name ".sig")
	SIG(valid);
	char *p;

	bg_sigctx *ctx = ctx_with(valid_pub, NULL);
	if (!ok(ctx != NULL, "context created"))
		return;
	size_t n;
	const char *const *keys = bg_sigctx_keys(ctx, &n);
	ok(n == 1 && valid_fpr && strcmp(keys[0], valid_fpr) == 0, "binary key file: one primary fingerprint");
	struct stat st;
	ok(stat(bg_sigctx_home(ctx), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 077) == 0,
	   "ephemeral home exists and is private");

	size_t len;
	_cleanup_free_ char *blob = slurp(valid, &len);
	bg_sigresult res = {0};
	check_blob(ctx, blob, len, manifest_digest, &rule, BG_SIGREJ_NONE, &res, "valid signature");
	is_str(res.signer_fpr, valid_fpr, "signer fingerprint reported");
	is_str(res.primary_fpr, valid_fpr, "primary fingerprint reported");
	is_str(res.uid, "valid signer <valid@example.test>", "signer uid reported");
	is_str(res.signed_identity, IDENTITY, "signed identity reported");
	is_str(res.signed_digest, manifest_digest, "signed digest reported");
	is_str(res.creator, "bootgate test", "creator reported");
	ok(res.has_timestamp && res.timestamp == 1700000000, "timestamp reported");
	ok(res.reason == NULL, "no reason when accepted");
	bg_sigresult_free(&res);

	check_blob(ctx, blob, len, "sha256:0bcda3cee9b26d45d24d901e63c093e3fca6e289973a68cddaf61817296a69bc",
		   &rule, BG_SIGREJ_DIGEST, &res, "valid signature, other manifest");
	ok(res.signer_fpr && res.signed_identity, "rejection still reports signer and identity");
	bg_sigresult_free(&res);

	/* Identity rules on the valid signature (identity ...gate/sig:1.0). */
	struct {
		bg_sigidentity_kind kind;
		const char *image, *value;
		bg_sigreject want;
		const char *name;
	} rules[] = {
		{BG_SIGID_MATCH_REPO_DIGEST_OR_EXACT, "registry.example.test/gate/sig:2.0", NULL, BG_SIGREJ_IDENTITY, "matchRepoDigestOrExact: other tag"},
		{BG_SIGID_MATCH_REPO_DIGEST_OR_EXACT, "registry.example.test/gate/sig@sha256:0bcda3cee9b26d45d24d901e63c093e3fca6e289973a68cddaf61817296a69bc", NULL, BG_SIGREJ_NONE, "matchRepoDigestOrExact: image by digest, same repo"},
		{BG_SIGID_MATCH_EXACT, IDENTITY, NULL, BG_SIGREJ_NONE, "matchExact: same"},
		{BG_SIGID_MATCH_EXACT, "registry.example.test/gate/sig@sha256:0bcda3cee9b26d45d24d901e63c093e3fca6e289973a68cddaf61817296a69bc", NULL, BG_SIGREJ_IDENTITY, "matchExact: image by digest"},
		{BG_SIGID_MATCH_REPOSITORY, "registry.example.test/gate/sig:other", NULL, BG_SIGREJ_NONE, "matchRepository: other tag"},
		{BG_SIGID_MATCH_REPOSITORY, "registry.example.test/gate/other:1.0", NULL, BG_SIGREJ_IDENTITY, "matchRepository: other repo"},
		{BG_SIGID_EXACT_REFERENCE, NULL, IDENTITY, BG_SIGREJ_NONE, "exactReference: same"},
		{BG_SIGID_EXACT_REFERENCE, NULL, "registry.example.test/gate/sig:1.1", BG_SIGREJ_IDENTITY, "exactReference: other"},
		{BG_SIGID_EXACT_REPOSITORY, NULL, "registry.example.test/gate/sig", BG_SIGREJ_NONE, "exactRepository: same repo"},
		{BG_SIGID_EXACT_REPOSITORY, NULL, "other.example.test/gate/sig", BG_SIGREJ_IDENTITY, "exactRepository: other host"},
		{BG_SIGID_SAME_REFERENCE, IDENTITY, NULL, BG_SIGREJ_NONE, "same reference"},
		{BG_SIGID_SAME_REFERENCE, "registry.example.test/gate/sig", NULL, BG_SIGREJ_IDENTITY, "same reference: name only differs"},
		{BG_SIGID_SAME_REFERENCE, "REGISTRY.example.test/gate/sig:1.0", NULL, BG_SIGREJ_IDENTITY, "same reference: host case differs"},
	};
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		bg_sigidentity r = {.kind = rules[i].kind, .image = rules[i].image, .value = rules[i].value};
		check_blob(ctx, blob, len, manifest_digest, &r, rules[i].want, &res, "%s", rules[i].name);
		bg_sigresult_free(&res);
	}
	bg_sigidentity cb = {.kind = BG_SIGID_CALLBACK, .match = refuse_all, .data = (void *)"remapped"};
	check_blob(ctx, blob, len, manifest_digest, &cb, BG_SIGREJ_IDENTITY, &res, "callback rule refuses");
	ok(res.reason && strstr(res.reason, "not remapped"), "callback's reason is in the message");
	bg_sigresult_free(&res);

	/* Argument errors are not verdicts. */
	ok(bg_sigctx_verify(ctx, blob, len, "sha256:abc", &rule, &res, &err) == BG_E_USAGE,
	   "malformed manifest digest is a usage error");
	bg_sigresult_free(&res);
	ok(bg_sigctx_verify(ctx, blob, len,
			    "sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
			    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			    &rule, &res, &err) == BG_E_USAGE,
	   "sha512 manifest digest is a usage error (manifests are hashed with sha256)");
	bg_sigresult_free(&res);
	ok(bg_sigctx_verify(ctx, blob, len, manifest_digest, NULL, &res, &err) == BG_E_USAGE,
	   "missing identity rule is a usage error");
	bg_sigresult_free(&res);
	bg_sigidentity bad_image = {.kind = BG_SIGID_MATCH_EXACT, .image = "Not A Reference"};
	ok(bg_sigctx_verify(ctx, blob, len, manifest_digest, &bad_image, &res, &err) == BG_E_USAGE,
	   "unparsable expected identity is a usage error");
	bg_sigresult_free(&res);

	/* Blob-level refusals. */
	check_blob(ctx, "", 0, manifest_digest, &rule, BG_SIGREJ_FORMAT, &res, "empty blob");
	bg_sigresult_free(&res);
	check_blob(ctx, blob, len / 2, manifest_digest, &rule, BG_SIGREJ_CRYPTO, &res, "truncated blob");
	bg_sigresult_free(&res);
	static const char junk[] = "\xa3\x01garbage that is not deflate data";
	check_blob(ctx, junk, sizeof junk - 1, manifest_digest, &rule, BG_SIGREJ_CRYPTO, &res,
		   "packet tag followed by garbage");
	bg_sigresult_free(&res);

#define GEN(file, want, name)                                                           \
	do {                                                                            \
		p = path_join(gen, file);                                               \
		check_file(ctx, p, manifest_digest, &rule, want, name);                \
		free(p);                                                                \
	} while (0)
	GEN("valid-uncompressed.sig", BG_SIGREJ_NONE, "uncompressed signed message");
	GEN("wrong-identity.sig", BG_SIGREJ_IDENTITY, "wrong identity");
	GEN("wrong-digest.sig", BG_SIGREJ_DIGEST, "wrong digest");
	GEN("unknown-key.sig", BG_SIGREJ_CRYPTO, "unknown key");
	GEN("armored.asc", BG_SIGREJ_FORMAT, "ASCII-armored signed message");
	GEN("cleartext.asc", BG_SIGREJ_FORMAT, "cleartext signature");
	GEN("detached.sig", BG_SIGREJ_CRYPTO, "detached signature");
	GEN("unsigned-literal.sig", BG_SIGREJ_CRYPTO, "unsigned literal data");
	GEN("encrypted.sig", BG_SIGREJ_FORMAT, "encrypted, not signed");
	GEN("signed-encrypted.sig", BG_SIGREJ_FORMAT, "signed and encrypted");
	GEN("two-signers.sig", BG_SIGREJ_CRYPTO, "two signers, one key known");
	GEN("expired-signature.sig", BG_SIGREJ_CRYPTO, "expired signature, key unknown");

	/* Corrupt: change one byte of the signed payload in an uncompressed message. */
	p = path_join(gen, "valid-uncompressed.sig");
	size_t clen;
	_cleanup_free_ char *corrupt = slurp(p, &clen);
	free(p);
	char *hit = corrupt ? memmem(corrupt, clen, "gate/sig:1.0", 12) : NULL;
	if (ok(hit != NULL, "payload visible in uncompressed message")) {
		hit[11] = '1';
		check_blob(ctx, corrupt, clen, manifest_digest, &rule, BG_SIGREJ_CRYPTO, &res,
			   "corrupt (altered payload byte)");
		ok(res.reason && strstr(res.reason, "bad signature"), "reported as a bad signature");
		bg_sigresult_free(&res);
	}

	/* Pins. */
	ok(bg_sigctx_allow_fingerprint(ctx, "1234", &err) == BG_E_USAGE, "short fingerprint refused");
	ok(bg_sigctx_allow_fingerprint(ctx, "zz", &err) == BG_E_USAGE, "non-hex fingerprint refused");
	ok(second_fpr && bg_sigctx_allow_fingerprint(ctx, second_fpr, &err) == 0, "pin another key");
	check_blob(ctx, blob, len, manifest_digest, &rule, BG_SIGREJ_SIGNER, &res,
		   "good signature by an imported key that is not pinned");
	bg_sigresult_free(&res);
	/* Lower case with spaces, as fingerprints are often written. */
	char spaced[64] = "";
	for (size_t i = 0; valid_fpr && i < 40; i++) {
		size_t l = strlen(spaced);
		spaced[l] = (char)(valid_fpr[i] >= 'A' && valid_fpr[i] <= 'F' ? valid_fpr[i] + 32 : valid_fpr[i]);
		spaced[l + 1] = (i % 4 == 3) ? ' ' : '\0';
		spaced[l + 2] = '\0';
	}
	ok(bg_sigctx_allow_fingerprint(ctx, spaced, &err) == 0, "pin in lower case with spaces");
	check_blob(ctx, blob, len, manifest_digest, &rule, BG_SIGREJ_NONE, &res, "pinned signer");
	bg_sigresult_free(&res);
	bg_sigctx_free(ctx);

	/* Both signers known: still two signatures. */
	ctx = ctx_with(valid_asc, second_pub, NULL);
	keys = bg_sigctx_keys(ctx, &n);
	is_int(n, 2, "armored + binary key files: two keys");
	GEN("two-signers.sig", BG_SIGREJ_CRYPTO, "two signers, both keys known");
	check_file(ctx, valid, manifest_digest, &rule, BG_SIGREJ_NONE, "armored key file verifies");
	bg_sigctx_free(ctx);

	/* Subkeys. */
	_cleanup_free_ char *subkey_pub = path_join(gen, "subkey.pub");
	_cleanup_free_ char *sub_fpr_path = path_join(gen, "subkey.fpr");
	_cleanup_free_ char *sub_primary = first_line(sub_fpr_path);
	_cleanup_free_ char *sub_sub_path = path_join(gen, "subkey.subfpr");
	_cleanup_free_ char *sub_sub = first_line(sub_sub_path);
	_cleanup_free_ char *subkey_sig = path_join(gen, "subkey.sig");
	ctx = ctx_with(subkey_pub, NULL);
	check_file(ctx, subkey_sig, manifest_digest, &rule, BG_SIGREJ_SIGNER,
		   "subkey signature refused by default (containers/image 5.23.1)");
	bg_sigctx_allow_primary_key(ctx, true);
	_cleanup_free_ char *sblob = slurp(subkey_sig, &len);
	check_blob(ctx, sblob, len, manifest_digest, &rule, BG_SIGREJ_NONE, &res,
		   "subkey signature accepted for its primary when allowed");
	is_str(res.signer_fpr, sub_sub, "signer is the subkey");
	is_str(res.primary_fpr, sub_primary, "primary key reported");
	bg_sigresult_free(&res);
	bg_sigctx_free(ctx);
	ctx = ctx_with(subkey_pub, NULL);
	bg_sigctx_allow_fingerprint(ctx, sub_sub, &err);
	check_blob(ctx, sblob, len, manifest_digest, &rule, BG_SIGREJ_NONE, &res,
		   "subkey signature accepted when the subkey itself is pinned");
	bg_sigresult_free(&res);
	bg_sigctx_free(ctx);

#define KEYCASE(key, sig, primary_ok, want, name)                                       \
	do {                                                                            \
		_cleanup_free_ char *kp_ = path_join(gen, key);                         \
		_cleanup_free_ char *sp_ = path_join(gen, sig);                         \
		bg_sigctx *c_ = ctx_with(kp_, NULL);                                    \
		bg_sigctx_allow_primary_key(c_, primary_ok);                            \
		check_file(c_, sp_, manifest_digest, &rule, want, name);               \
		bg_sigctx_free(c_);                                                     \
	} while (0)
	KEYCASE("revsub.pub", "revoked-subkey.sig", true, BG_SIGREJ_CRYPTO, "revoked subkey");
	KEYCASE("revoked.pub", "revoked-key.sig", false, BG_SIGREJ_CRYPTO, "revoked key");
	KEYCASE("expired.pub", "expired-key.sig", false, BG_SIGREJ_CRYPTO, "expired key");
	KEYCASE("old.pub", "expired-signature.sig", false, BG_SIGREJ_CRYPTO, "expired signature");
	KEYCASE("valid.pub", "unknown-key.sig", false, BG_SIGREJ_CRYPTO, "unknown key (another key imported)");

	/* Key import edge cases. */
	ctx = ctx_with(NULL);
	ok(bg_sigctx_import_data(ctx, "not a key", 9, "garbage", &err) == 0, "garbage key data is not an error");
	keys = bg_sigctx_keys(ctx, &n);
	is_int(n, 0, "garbage key data imports nothing");
	bg_sigctx_import_notes(ctx, &n);
	ok(n >= 1, "garbage key data is noted");
	check_file(ctx, valid, manifest_digest, &rule, BG_SIGREJ_SIGNER, "no keys imported: refused");
	ok(bg_sigctx_import_file(ctx, "/nonexistent/key.gpg", &err) == BG_E_USAGE,
	   "missing key file is a usage error");
	bg_sigctx_free(ctx);
}

/* ---- corpus: skopeo 1.9.3 verdicts ------------------------------------- */

static void test_skopeo_corpus(const char *corpus)
{
	_cleanup_free_ char *base = path_join(corpus, "generated-skopeo-1.9.3");
	_cleanup_free_ char *key = path_join(base, "signer.pub.gpg");
	_cleanup_free_ char *key2 = path_join(base, "signer2.pub.gpg");
	_cleanup_free_ char *tsv_path = path_join(base, "expected-skopeo-1.9.3-standalone-verify.tsv");
	_cleanup_free_ char *manifest_path = path_join(base, "manifest.json");
	size_t mlen, tlen;
	_cleanup_free_ char *manifest = slurp(manifest_path, &mlen);
	_cleanup_free_ char *tsv = slurp(tsv_path, &tlen);
	char digest[BG_DIGEST_STRING_MAX] = "";
	bg_error err = {0};
	if (!ok(manifest && tsv && bg_digest_buffer(BG_DIGEST_SHA256, manifest, mlen, digest, &err) == 0,
		"skopeo corpus readable"))
		return;
	is_str(digest, "sha256:0bcda3cee9b26d45d24d901e63c093e3fca6e289973a68cddaf61817296a69bc",
	       "corpus manifest digest");
	bg_sigctx *ctx = ctx_with(key, NULL);
	bg_sigctx_allow_fingerprint(ctx, "96BF7C70C179F68FC92A83DB8699E14BCAD10C39", &err);
	bg_sigidentity rule = {.kind = BG_SIGID_SAME_REFERENCE, .image = "registry.example.test/gate/base:1.0"};
	size_t cases = 0;
	for (char *line = strtok(tsv, "\n"); line; line = strtok(NULL, "\n")) {
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		bool skopeo_accepts = strncmp(tab + 1, "ACCEPT", 6) == 0;
		/* Stricter than standalone-verify, as the lookaside path and
		 * containers-signature(5): no armor, no cleartext. */
		bool strict_rejects = strcmp(line, "94-cleartext-signed.asc") == 0 ||
				      strcmp(line, "97-armored.asc") == 0;
		bool want = skopeo_accepts && !strict_rejects;
		_cleanup_free_ char *rel = path_join("signatures", line);
		_cleanup_free_ char *path = path_join(base, rel);
		size_t len;
		_cleanup_free_ char *blob = slurp(path, &len);
		bg_sigresult res = {0};
		int rc = blob ? bg_sigctx_verify(ctx, blob, len, digest, &rule, &res, &err) : -1;
		if (!ok(rc == 0 && res.accepted == want, "skopeo corpus %s: %s%s", line,
			want ? "ACCEPT" : "REJECT", strict_rejects ? " (stricter than skopeo)" : ""))
			tap_diag("rc %d, %s: %s", rc, rej_name(res.rejected_by), res.reason ? res.reason : err.message);
		if (strict_rejects)
			ok(res.rejected_by == BG_SIGREJ_FORMAT, "%s refused as not binary OpenPGP", line);
		bg_sigresult_free(&res);
		cases++;
	}
	is_int(cases, 37, "all 37 skopeo verdicts compared");
	bg_sigctx_free(ctx);

	/* Second signer imported too, first one pinned: 93 fails on the pin. */
	ctx = ctx_with(key, key2, NULL);
	bg_sigctx_allow_fingerprint(ctx, "96BF7C70C179F68FC92A83DB8699E14BCAD10C39", &err);
	_cleanup_free_ char *wrong = path_join(base, "signatures/93-wrong-key.sig");
	check_file(ctx, wrong, digest, &rule, BG_SIGREJ_SIGNER, "93-wrong-key with its key imported but not pinned");
	bg_sigctx_free(ctx);

	_cleanup_free_ char *asc = path_join(base, "signer.pub.asc");
	ctx = ctx_with(asc, NULL);
	size_t n;
	const char *const *keys = bg_sigctx_keys(ctx, &n);
	ok(n == 1 && strcmp(keys[0], "96BF7C70C179F68FC92A83DB8699E14BCAD10C39") == 0,
	   "armored corpus key imports the same fingerprint");
	bg_sigctx_free(ctx);
}

/* ---- corpus: containers/image fixtures ------------------------------- */

static void test_cimage_corpus(const char *corpus)
{
	_cleanup_free_ char *fx = path_join(corpus, "containers-image-fixtures/fixtures");
	const char *d = "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55";
	bg_error err = {0};
#define FX(name) _cleanup_free_ char *name = path_join(fx, #name ".gpg")
	_cleanup_free_ char *pub = path_join(fx, "public-key.gpg");
	_cleanup_free_ char *pub_sub = path_join(fx, "public-key-with-subkey.gpg");
	_cleanup_free_ char *pub_rev = path_join(fx, "public-key-with-revoked-subkey.gpg");
	_cleanup_free_ char *pubring = path_join(fx, "pubring.gpg");
	bg_sigidentity same = {.kind = BG_SIGID_SAME_REFERENCE, .image = "testing/manifest"};
	bg_sigidentity latest = {.kind = BG_SIGID_MATCH_EXACT, .image = "testing/manifest:latest"};

	bg_sigctx *ctx = ctx_with(pub, NULL);
	char *p;
#define CI(file, rule, want, name)                                                     \
	do {                                                                           \
		p = path_join(fx, file);                                               \
		check_file(ctx, p, d, rule, want, name);                              \
		free(p);                                                               \
	} while (0)
	size_t len;
	p = path_join(fx, "image.signature");
	_cleanup_free_ char *img = slurp(p, &len);
	free(p);
	bg_sigresult res = {0};
	check_blob(ctx, img, len, d, &same, BG_SIGREJ_NONE, &res, "c/image image.signature, identity testing/manifest");
	is_str(res.signer_fpr, "08CD26E446E2E95249B7A405E932F44B23E8DD43", "c/image TestKeyFingerprint");
	bg_sigresult_free(&res);
	bg_sigidentity dockerio = {.kind = BG_SIGID_SAME_REFERENCE, .image = "docker.io/testing/manifest"};
	check_blob(ctx, img, len, d, &dockerio, BG_SIGREJ_NONE, &res, "c/image image.signature, identity docker.io/testing/manifest");
	bg_sigresult_free(&res);
	bg_sigidentity nomatch = {.kind = BG_SIGID_SAME_REFERENCE, .image = "example.com/does-not/match"};
	check_blob(ctx, img, len, d, &nomatch, BG_SIGREJ_IDENTITY, &res, "c/image image.signature, other identity");
	bg_sigresult_free(&res);
	CI("no-optional-fields.signature", &same, BG_SIGREJ_NONE, "c/image no-optional-fields");
	CI("invalid-blob.signature", &same, BG_SIGREJ_PAYLOAD, "c/image invalid-blob");
	CI("invalid-blob.signature-v3", &same, BG_SIGREJ_PAYLOAD, "c/image invalid-blob V3 signature (crypto passes)");
	CI("invalid-reference.signature", &same, BG_SIGREJ_IDENTITY, "c/image invalid-reference");
	CI("corrupt.signature", &same, BG_SIGREJ_CRYPTO, "c/image corrupt");
	CI("corrupt.signature-v3", &same, BG_SIGREJ_CRYPTO, "c/image corrupt V3");
	CI("expired.signature", &same, BG_SIGREJ_CRYPTO, "c/image expired signature");
	CI("unknown-key.signature", &same, BG_SIGREJ_CRYPTO, "c/image unknown key");
	CI("unknown-key.signature-v3", &same, BG_SIGREJ_CRYPTO, "c/image unknown key V3");
	CI("unsigned-literal.signature", &same, BG_SIGREJ_CRYPTO, "c/image unsigned literal");
	CI("unsigned-encrypted.signature", &same, BG_SIGREJ_FORMAT, "c/image unsigned encrypted");
	CI("dir-img-valid/signature-1", &latest, BG_SIGREJ_NONE, "c/image dir-img-valid, matchExact :latest");
	bg_sigidentity notlatest = {.kind = BG_SIGID_MATCH_EXACT, .image = "testing/manifest:notlatest"};
	CI("dir-img-valid/signature-1", &notlatest, BG_SIGREJ_IDENTITY, "c/image dir-img-valid, :notlatest");
	CI("dir-img-valid-2/signature-2", &latest, BG_SIGREJ_NONE, "c/image dir-img-valid-2 signature-2");
	CI("dir-img-mixed/signature-1", &latest, BG_SIGREJ_PAYLOAD, "c/image dir-img-mixed signature-1 (invalid blob)");
	CI("dir-img-mixed/signature-2", &latest, BG_SIGREJ_NONE, "c/image dir-img-mixed signature-2");
	/* The modified manifest's digest is not the signed one. */
	p = path_join(fx, "dir-img-modified-manifest/manifest.json");
	size_t mlen;
	_cleanup_free_ char *mod = slurp(p, &mlen);
	free(p);
	char mod_digest[BG_DIGEST_STRING_MAX] = "";
	if (mod)
		bg_digest_buffer(BG_DIGEST_SHA256, mod, mlen, mod_digest, &err);
	p = path_join(fx, "dir-img-modified-manifest/signature-1");
	check_file(ctx, p, mod_digest, &latest, BG_SIGREJ_DIGEST, "c/image dir-img-modified-manifest");
	free(p);
	bg_sigctx_free(ctx);

	ctx = ctx_with(pub_sub, NULL);
	CI("subkey.signature", &latest, BG_SIGREJ_SIGNER, "c/image subkey, subkeys not allowed");
	bg_sigctx_allow_primary_key(ctx, true);
	CI("subkey.signature", &latest, BG_SIGREJ_NONE, "c/image subkey, primary allowed");
	CI("subkey.signature-v3", &latest, BG_SIGREJ_NONE, "c/image subkey V3, primary allowed");
	CI("dir-img-valid-subkey/signature-1", &latest, BG_SIGREJ_NONE, "c/image dir-img-valid-subkey");
	bg_sigctx_free(ctx);

	ctx = ctx_with(pub_rev, NULL);
	bg_sigctx_allow_primary_key(ctx, true);
	CI("subkey-revoked.signature", &latest, BG_SIGREJ_CRYPTO, "c/image revoked subkey");
	CI("subkey-revoked.signature-v3", &latest, BG_SIGREJ_CRYPTO, "c/image revoked subkey V3");
	bg_sigctx_free(ctx);

	ctx = ctx_with(pubring, NULL);
	size_t n;
	const char *const *keys = bg_sigctx_keys(ctx, &n);
	static const char *const order[] = {"F2B501009F78B0B340221A12A3CD242DA6028093",
					    "08CD26E446E2E95249B7A405E932F44B23E8DD43",
					    "B9F4CDB9FD8C475BFA340AC38D54A947EE396F36",
					    "6D88C5A1993648A17B2BB0DC6B8499AF63388D63"};
	bool same_order = n == 4;
	for (size_t i = 0; same_order && i < 4; i++)
		same_order = strcmp(keys[i], order[i]) == 0;
	ok(same_order, "c/image pubring.gpg: 4 primary fingerprints in keyring order");
	bg_sigctx_free(ctx);
}

/* ---- corpus: Red Hat --------------------------------------------------- */

static void test_redhat_corpus(const char *corpus)
{
	_cleanup_free_ char *rh = path_join(corpus, "redhat-sig");
	_cleanup_free_ char *sig = path_join(rh, "lookaside/rhel7@sha256=e3f12513a4b22a2d7c0e7c9207f52128113758d9d68c7d06b11a0ac7672966f7/signature-1");
	const char *d = "sha256:e3f12513a4b22a2d7c0e7c9207f52128113758d9d68c7d06b11a0ac7672966f7";
	const char *release2 = "567E347AD0044ADE55BA8A5F199E2F91FD431D51";
	bg_sigidentity rule = {.kind = BG_SIGID_MATCH_REPO_DIGEST_OR_EXACT,
			       .image = "registry.access.redhat.com/rhel7:7.6"};
	bg_error err = {0};
	static const char *const keyfiles[] = {"RPM-GPG-KEY-redhat-release.rhel8",
					       "RPM-GPG-KEY-redhat-release.rhel9",
					       "RPM-GPG-KEY-redhat-release.rhel10",
					       "library-go-testdata-redhat.txt"};
	for (size_t i = 0; i < 4; i++) {
		_cleanup_free_ char *rel = path_join("keys", keyfiles[i]);
		_cleanup_free_ char *kf = path_join(rh, rel);
		bg_sigctx *ctx = ctx_with(kf, NULL);
		ok(bg_sigctx_allow_fingerprint(ctx, release2, &err) == 0, "pin release key 2");
		size_t len;
		_cleanup_free_ char *blob = slurp(sig, &len);
		bg_sigresult res = {0};
		check_blob(ctx, blob, len, d, &rule, BG_SIGREJ_NONE, &res, "Red Hat rhel7:7.6 signature with %s", keyfiles[i]);
		is_str(res.signer_fpr, release2, "signed by release key 2 (%s)", keyfiles[i]);
		ok(res.uid && strstr(res.uid, "Red Hat, Inc."), "Red Hat uid reported (%s)", res.uid ? res.uid : "");
		is_str(res.creator, "Red Hat RCM Pub 0.35.0-final ", "Red Hat creator");
		ok(!res.has_timestamp, "Red Hat signature has no timestamp");
		bg_sigresult_free(&res);
		if (i == 1) {
			check_blob(ctx, blob, len, "sha256:e3f12513a4b22a2d7c0e7c9207f52128113758d9d68c7d06b11a0ac7672966f8",
				   &rule, BG_SIGREJ_DIGEST, &res, "Red Hat signature, other digest");
			bg_sigresult_free(&res);
			bg_sigidentity other = {.kind = BG_SIGID_MATCH_REPO_DIGEST_OR_EXACT,
						.image = "registry.access.redhat.com/rhel7:7.7"};
			check_blob(ctx, blob, len, d, &other, BG_SIGREJ_IDENTITY, &res, "Red Hat signature, other tag");
			bg_sigresult_free(&res);
			bg_sigidentity other_repo = {.kind = BG_SIGID_MATCH_REPO_DIGEST_OR_EXACT,
						     .image = "registry.redhat.io/rhel7:7.6"};
			check_blob(ctx, blob, len, d, &other_repo, BG_SIGREJ_IDENTITY, &res, "Red Hat signature, other registry");
			bg_sigresult_free(&res);
			/* Pin only auxiliary key 3: release key 2 is imported but not allowed. */
			bg_sigctx *ctx3 = ctx_with(kf, NULL);
			bg_sigctx_allow_fingerprint(ctx3, "7E4624258C406535D56D6F135054E4A45A6340B3", &err);
			check_blob(ctx3, blob, len, d, &rule, BG_SIGREJ_SIGNER, &res, "Red Hat signature, only aux key 3 pinned");
			bg_sigresult_free(&res);
			bg_sigctx_free(ctx3);
		}
		bg_sigctx_free(ctx);
	}

	/* Another key: the beta key cannot verify it. */
	_cleanup_free_ char *beta = path_join(rh, "keys/RPM-GPG-KEY-redhat-beta.rhel9beta");
	bg_sigctx *ctx = ctx_with(beta, NULL);
	check_file(ctx, sig, d, &rule, BG_SIGREJ_CRYPTO, "Red Hat signature with the beta key only");
	bg_sigctx_free(ctx);

	/* The v6 PQC key must not make the other keys disappear, in either order. */
	_cleanup_free_ char *k9 = path_join(rh, "keys/RPM-GPG-KEY-redhat-release.rhel9");
	_cleanup_free_ char *pqc = path_join(rh, "keys/RPM-GPG-KEY-PQC-redhat-release.rhel10");
	size_t l9, lp;
	_cleanup_free_ char *d9 = slurp(k9, &l9);
	_cleanup_free_ char *dp = slurp(pqc, &lp);
	for (int order = 0; order < 2 && d9 && dp; order++) {
		bg_strbuf b = {0};
		bg_strbuf_add(&b, order ? dp : d9, order ? lp : l9);
		bg_strbuf_add(&b, order ? d9 : dp, order ? l9 : lp);
		ctx = ctx_with(NULL);
		ok(bg_sigctx_import_data(ctx, b.s, b.len, "rhel9+pqc", &err) == 0, "import keys with a v6 key (%s)",
		   order ? "v6 first" : "v6 last");
		size_t n;
		const char *const *keys = bg_sigctx_keys(ctx, &n);
		bool has2 = false, has3 = false;
		for (size_t i = 0; i < n; i++) {
			has2 |= strcmp(keys[i], release2) == 0;
			has3 |= strcmp(keys[i], "7E4624258C406535D56D6F135054E4A45A6340B3") == 0;
		}
		ok(n == 2 && has2 && has3, "release key 2 and auxiliary key 3 both imported (%s)",
		   order ? "v6 first" : "v6 last");
		const char *const *notes = bg_sigctx_import_notes(ctx, &n);
		if (!ok(n == 1 && strstr(notes[0], "v6"), "the v6 key is reported as not imported"))
			for (size_t i = 0; i < n; i++)
				tap_diag("note: %s", notes[i]);
		check_file(ctx, sig, d, &rule, BG_SIGREJ_NONE, "Red Hat signature verifies after v6 key");
		bg_sigctx_free(ctx);
		bg_strbuf_free(&b);
	}

	/* Real expired key (openshift-ci). */
	_cleanup_free_ char *oci = path_join(rh, "extra-openshift-ci");
	_cleanup_free_ char *okey = path_join(oci, "openshift-ci-simple.txt");
	DIR *dir = opendir(oci);
	char *osig = NULL;
	for (struct dirent *e; dir && (e = readdir(dir));)
		if (strncmp(e->d_name, "signature-1.sha256=", 19) == 0)
			osig = path_join(oci, e->d_name);
	if (dir)
		closedir(dir);
	if (ok(osig != NULL, "openshift-ci signature present")) {
		char od[BG_DIGEST_STRING_MAX];
		snprintf(od, sizeof od, "sha256:%.64s", strrchr(osig, '=') + 1);
		ctx = ctx_with(okey, NULL);
		bg_sigidentity orule = {.kind = BG_SIGID_MATCH_REPOSITORY,
					.image = "registry.svc.ci.openshift.org/ocp/release:4.0.0-0.ci-2019-04-19-181452"};
		size_t len;
		_cleanup_free_ char *blob = slurp(osig, &len);
		bg_sigresult res = {0};
		check_blob(ctx, blob, len, od, &orule, BG_SIGREJ_CRYPTO, &res, "openshift-ci signature by an expired key");
		ok(res.reason && strstr(res.reason, "expired"), "reported as expired (%s)", res.reason ? res.reason : "");
		bg_sigresult_free(&res);
		bg_sigctx_free(ctx);
		free(osig);
	}
}

/* ---- leftovers --------------------------------------------------------- */

/* pgrep -f PATH, run directly (through sh -c, pgrep would find the shell
 * whose command line holds PATH). */
static bool process_mentions(const char *path)
{
	char *argv[] = {(char *)"pgrep", (char *)"-f", (char *)path, NULL};
	pid_t pid;
	int status;
	if (posix_spawnp(&pid, "pgrep", NULL, NULL, argv, environ) != 0)
		return true; /* cannot tell: fail */
	if (waitpid(pid, &status, 0) < 0)
		return true;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		tap_diag("a process mentions %s", path);
	return !WIFEXITED(status) || WEXITSTATUS(status) != 1;
}

static void check_leftovers(const char *tmp, const char *gen)
{
	bool gone = true;
	for (size_t i = 0; i < homes.n; i++) {
		struct stat st;
		if (stat(homes.v[i], &st) == 0 || errno != ENOENT) {
			gone = false;
			tap_diag("left behind: %s", homes.v[i]);
		}
	}
	ok(gone && homes.n > 0, "all %zu ephemeral GnuPG homes removed", homes.n);
	size_t entries = 0;
	DIR *d = opendir(tmp);
	for (struct dirent *e; d && (e = readdir(d));)
		if (e->d_name[0] != '.' && strcmp(e->d_name, "gen") != 0) {
			entries++;
			tap_diag("left in temp dir: %s", e->d_name);
		}
	if (d)
		closedir(d);
	is_int(entries, 0, "nothing left in the test's TMPDIR");
	ok(!process_mentions(tmp), "no process (gpg-agent, dirmngr) runs for the test's homes");
	ok(!gen || !process_mentions(gen), "no gpg-agent left by the fixture generator");
}

int main(void)
{
	/* Private TMPDIR: the contexts create their homes in it, so leftovers
	 * are this test's and not a concurrent test's. */
	char tmp[] = "/tmp/bootgate-sigtest-XXXXXX";
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	setenv("TMPDIR", tmp, 1);

	const char *testdata = getenv("BOOTGATE_TESTDATA");
	_cleanup_free_ char *mpath = path_join(testdata ? testdata : "testdata", "signature/manifest.json");
	size_t mlen;
	_cleanup_free_ char *manifest = slurp(mpath, &mlen);
	bg_error err = {0};
	if (!manifest || bg_digest_buffer(BG_DIGEST_SHA256, manifest, mlen, manifest_digest, &err) < 0) {
		rmdir(tmp);
		return tap_skip_all("testdata/signature/manifest.json missing");
	}

	/* Regenerate the fixture categories with gpg. */
	_cleanup_free_ char *gen = path_join(tmp, "gen");
	char cmd[8192];
	snprintf(cmd, sizeof cmd,
		 "command -v gpg >/dev/null && mkdir -m 700 '%s' && "
		 "sh tests/unit/gen-signatures.sh '%s' '%s' >'%s.log' 2>&1",
		 gen, gen, mpath, gen);
	int grc = system(cmd);
	if (ok(grc == 0, "fixtures regenerated with gpg (tests/unit/gen-signatures.sh)"))
		test_generated(gen);
	else
		snprintf(cmd, sizeof cmd, "cat '%s.log' | sed 's/^/# /'", gen), system(cmd);

	const char *corpus = getenv("BOOTGATE_CORPUS_DIR");
	if (corpus && *corpus) {
		test_skopeo_corpus(corpus);
		test_cimage_corpus(corpus);
		test_redhat_corpus(corpus);
	} else {
		tap_diag("BOOTGATE_CORPUS_DIR not set: corpus cases skipped");
	}

	/* The generator's own home is under gen/; remove it first. */
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.log'", gen, gen);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", gen);
	check_leftovers(tmp, gen);
	rmdir(tmp);
	bg_strv_free(&homes);
	return tap_done();
}
