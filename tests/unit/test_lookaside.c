/* Unit tests for lib/lookaside.c: signature URLs (ports, nested namespaces,
 * digests, refused inputs), blob sniffing, reading a file:// store (gaps,
 * limits, HTML and armored bodies), the signatures-extension JSON, and the
 * real Red Hat signature of $BOOTGATE_CORPUS_DIR/redhat-sig read from a
 * file lookaside and judged by policies/redhat with pinned fingerprints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootgate/lookaside.h"
#include "bootgate/trust.h"
#include "lib/util.h"
#include "tests/tap.h"

#define HEX "e3f12513a4b22a2d7c0e7c9207f52128113758d9d68c7d06b11a0ac7672966f7"

static void url_is(const char *base, const char *repo, const char *digest, unsigned n, const char *want)
{
	char *out = NULL;
	bg_error err = {0};
	int rc = bg_lookaside_url(base, repo, digest, n, &out, &err);
	bool good = want ? rc == 0 && strcmp(out, want) == 0 : rc == BG_E_EVAL && !out;
	ok(good, "url %s + %s + %s #%u%s", base, repo, digest, n, want ? "" : " refused");
	if (!good)
		tap_diag("rc %d out %s (%s)", rc, out ? out : "-", err.message);
	free(out);
}

static void test_urls(void)
{
	url_is("https://registry.redhat.io/containers/sigstore", "rhel9/rhel-bootc", "sha256:" HEX, 1,
	       "https://registry.redhat.io/containers/sigstore/rhel9/rhel-bootc@sha256=" HEX "/signature-1");
	url_is("https://sigs.example:8443/base", "a/b/c/d", "sha256:" HEX, 12,
	       "https://sigs.example:8443/base/a/b/c/d@sha256=" HEX "/signature-12");
	url_is("http://127.0.0.1:5000", "team/app", "sha256:" HEX, 2,
	       "http://127.0.0.1:5000/team/app@sha256=" HEX "/signature-2");
	url_is("file:///var/lib/containers/sigstore", "library/busybox", "sha256:" HEX, 1,
	       "file:///var/lib/containers/sigstore/library/busybox@sha256=" HEX "/signature-1");
	/* As containers/image: no path cleaning. */
	url_is("https://x.example/sigs/", "a", "sha256:" HEX, 1, "https://x.example/sigs//a@sha256=" HEX "/signature-1");
	url_is("https://x.example", "my-app_v2/sub.repo", "sha512:" HEX HEX, 3,
	       "https://x.example/my-app_v2/sub.repo@sha512=" HEX HEX "/signature-3");
	url_is("https://x.example", "a", "sha256:" "E3F12513A4B22A2D7C0E7C9207F52128113758D9D68C7D06B11A0AC7672966F7", 1, NULL);
	url_is("https://x.example", "a", "sha256:../../etc", 1, NULL);
	url_is("https://x.example", "a", "sha384:" HEX, 1, NULL);
	url_is("https://x.example", "../a", "sha256:" HEX, 1, NULL);
	url_is("https://x.example", "A/b", "sha256:" HEX, 1, NULL);
	url_is("https://x.example", "", "sha256:" HEX, 1, NULL);
	url_is("https://x.example", "a//b", "sha256:" HEX, 1, NULL);
	url_is("ftp://x.example", "a", "sha256:" HEX, 1, NULL);
	url_is("x.example/sigs", "a", "sha256:" HEX, 1, NULL);
	url_is("https://x.example/?q=1", "a", "sha256:" HEX, 1, NULL);
	url_is("https://x.example", "a", "sha256:" HEX, 0, NULL);
}

static void test_sniff(void)
{
	size_t skip;
	ok(bg_lookaside_blob_recognised((const unsigned char *)"\xa3\x01", 2, &skip) && skip == 0,
	   "0xA3 (compressed packet, what GnuPG writes) is a signature");
	ok(bg_lookaside_blob_recognised((const unsigned char *)"\x90\x0d", 2, &skip), "one-pass signature packet");
	ok(bg_lookaside_blob_recognised((const unsigned char *)"\xc2\x01", 2, &skip), "new-format signature packet");
	ok(!bg_lookaside_blob_recognised((const unsigned char *)"-----BEGIN PGP", 14, &skip), "armor is not");
	ok(!bg_lookaside_blob_recognised((const unsigned char *)"<html>", 6, &skip), "HTML is not");
	ok(!bg_lookaside_blob_recognised((const unsigned char *)"", 0, &skip), "empty is not");
	ok(!bg_lookaside_blob_recognised((const unsigned char *)"\x84\x01", 2, &skip),
	   "an encrypted session key packet is not");
	ok(bg_lookaside_blob_recognised((const unsigned char *)"\0simple-signing\n\xa3", 17, &skip) && skip == 16,
	   "containers/image's storage prefix is recognised and skipped");
}

static void put(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

static int fetch(const char *base, const char *repo, const char *digest, bg_trust_signatures *s, bg_error *err)
{
	bg_error_clear(err);
	return bg_lookaside_fetch(base, repo, digest, NULL, s, err);
}

static void test_file_store(void)
{
	char tmpl[] = "/tmp/bootgate-test-lookaside.XXXXXX";
	char *root = mkdtemp(tmpl);
	if (!root) {
		ok(false, "mkdtemp");
		return;
	}
	char base[256], dir[512], path[600];
	snprintf(base, sizeof base, "file://%s", root);
	snprintf(dir, sizeof dir, "%s/ns", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof dir, "%s/ns/app@sha256=" HEX, root);
	mkdir(dir, 0755);
	const char *digest = "sha256:" HEX;
	bg_trust_signatures s;
	bg_error err = {0};

	int rc = fetch(base, "ns/app", digest, &s, &err);
	ok(rc == 0 && s.n == 0, "no signature-1: no signatures");
	snprintf(path, sizeof path, "%s/signature-2", dir);
	put(path, "\xa3\x02", 2);
	rc = fetch(base, "ns/app", digest, &s, &err);
	ok(rc == 0 && s.n == 0, "only signature-2 (a gap): no signatures");
	snprintf(path, sizeof path, "%s/signature-1", dir);
	put(path, "\xa3\x01", 2);
	rc = fetch(base, "ns/app", digest, &s, &err);
	ok(rc == 0 && s.n == 2 && s.lens[0] == 2 && s.blobs[0][1] == 1 && s.blobs[1][1] == 2 &&
		   strstr(s.locations[1], "/signature-2"),
	   "signature-1 and -2 read in order, with their locations");
	bg_trust_signatures_free(&s);
	rc = fetch(base, "other/app", digest, &s, &err);
	ok(rc == 0 && s.n == 0, "another repository: no signatures");

	snprintf(path, sizeof path, "%s/signature-3", dir);
	put(path, "<html>nope</html>", 17);
	rc = fetch(base, "ns/app", digest, &s, &err);
	ok(rc == BG_E_EVAL && strstr(err.message, "signature-3") && s.n == 0,
	   "an HTML body: could not evaluate (not 'unsigned')");
	put(path, "-----BEGIN PGP MESSAGE-----\n", 28);
	rc = fetch(base, "ns/app", digest, &s, &err);
	ok(rc == BG_E_EVAL && strstr(err.message, "0x2d"), "an armored signature: could not evaluate");
	put(path, "", 0);
	rc = fetch(base, "ns/app", digest, &s, &err);
	ok(rc == BG_E_EVAL && strstr(err.message, "empty"), "an empty signature: could not evaluate");
	char *big = calloc(1, 4 * 1024 * 1024 + 1);
	if (big) {
		big[0] = (char)0xa3;
		put(path, big, 4 * 1024 * 1024 + 1);
		free(big);
	}
	rc = fetch(base, "ns/app", digest, &s, &err);
	ok(rc == BG_E_EVAL, "a signature over 4 MiB: could not evaluate");
	unlink(path);

	/* 128 signatures are fine; a 129th is an error. */
	for (unsigned n = 3; n <= 129; n++) {
		snprintf(path, sizeof path, "%s/signature-%u", dir, n);
		put(path, "\xa3", 1);
	}
	rc = fetch(base, "ns/app", digest, &s, &err);
	ok(rc == BG_E_EVAL && strstr(err.message, "more than 128"), "129 signatures: error");
	snprintf(path, sizeof path, "%s/signature-129", dir);
	unlink(path);
	rc = fetch(base, "ns/app", digest, &s, &err);
	ok(rc == 0 && s.n == 128, "128 signatures: read");
	bg_trust_signatures_free(&s);

	rc = fetch("file://relative/path", "ns/app", digest, &s, &err);
	ok(rc == BG_E_EVAL, "a file URL without an absolute path: refused");
	rc = fetch("gopher://x", "ns/app", digest, &s, &err);
	ok(rc == BG_E_EVAL && strstr(err.message, "unsupported scheme"), "another scheme: refused");

	for (unsigned n = 1; n <= 128; n++) {
		snprintf(path, sizeof path, "%s/signature-%u", dir, n);
		unlink(path);
	}
	rmdir(dir);
	snprintf(dir, sizeof dir, "%s/ns", root);
	rmdir(dir);
	rmdir(root);
}

static void test_extension_json(void)
{
	bg_trust_signatures s;
	bg_error err = {0};
	const char *good =
		"{\"signatures\":["
		"{\"schemaVersion\":2,\"name\":\"sha256:" HEX "@0123\",\"type\":\"atomic\",\"content\":\"owE=\"},"
		"{\"schemaVersion\":2,\"name\":\"x\",\"type\":\"cosign\",\"content\":\"AAAA\"},"
		"{\"schemaVersion\":1,\"name\":\"y\",\"type\":\"atomic\",\"content\":\"AAAA\"},"
		"{\"schemaVersion\":2,\"name\":\"sha256:" HEX "@4567\",\"type\":\"atomic\",\"content\":\"owI=\"}]}";
	int rc = bg_sigext_parse(good, strlen(good), "ext", &s, &err);
	ok(rc == 0 && s.n == 2 && s.lens[0] == 2 && (unsigned char)s.blobs[0][0] == 0xa3 && s.blobs[1][1] == 2,
	   "extension answer: only schemaVersion 2 atomic entries, base64-decoded");
	bg_trust_signatures_free(&s);
	const char *empty = "{\"signatures\":[]}";
	rc = bg_sigext_parse(empty, strlen(empty), "ext", &s, &err);
	ok(rc == 0 && s.n == 0, "extension answer with no signatures");
	static const char *const bad[] = {
		"{}",
		"[]",
		"{\"signatures\":{}}",
		"{\"signatures\":[{\"schemaVersion\":2,\"type\":\"atomic\",\"content\":\"!!\"}]}",
		"{\"signatures\":[{\"schemaVersion\":2,\"type\":\"atomic\"}]}",
		"{\"signatures\":[],\"signatures\":[]}",
		"{\"signatures\":[]} trailing",
		"{\"signatures\":[1]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rc = bg_sigext_parse(bad[i], strlen(bad[i]), "ext", &s, &err);
		ok(rc == BG_E_EVAL && s.n == 0, "extension answer refused: %s", bad[i]);
	}
}

/* Signatures for bg_trust_evaluate: the file store of the case. */
typedef struct store_ctx {
	const char *base, *path, *digest;
} store_ctx;

static int store_fetch(void *ctx, bg_trust_signatures *out, bg_error *e)
{
	const store_ctx *c = ctx;
	return bg_lookaside_fetch(c->base, c->path, c->digest, NULL, out, e);
}

/* The real Red Hat signature (rhel7:7.6), read through a file lookaside and
 * judged by a policy like policies/redhat/policy.json, with the key file
 * from the corpus and the pins of policies/redhat/fingerprints.txt. */
static void test_redhat(void)
{
	const char *corpus = getenv("BOOTGATE_CORPUS_DIR");
	if (!corpus) {
		ok(true, "# SKIP BOOTGATE_CORPUS_DIR not set (Red Hat signature)");
		return;
	}
	char base[1024], key[1024], json[4096];
	snprintf(base, sizeof base, "file://%s/redhat-sig/lookaside", corpus);
	snprintf(key, sizeof key, "%s/redhat-sig/keys/RPM-GPG-KEY-redhat-release.rhel9", corpus);
	snprintf(json, sizeof json,
		 "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
		 "\"registry.access.redhat.com\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"%s\"}]}}}",
		 key);
	bg_trust_policy *p = NULL;
	bg_error err = {0};
	if (bg_trust_policy_parse(json, strlen(json), "rh.json", &p, &err) != 0) {
		ok(false, "policy: %s", err.message);
		return;
	}
	static const char *const pins[] = {"567E347AD0044ADE55BA8A5F199E2F91FD431D51",
					   "7E4624258C406535D56D6F135054E4A45A6340B3"};
	static const char *const other_pin[] = {"B08B659EE86AF623BC90E8DB938A80CAF21541EB"};
	static const struct {
		const char *ref, *digest;
		const char *const *pins;
		size_t npins;
		bool accept;
		const char *what;
	} cases[] = {
		{"registry.access.redhat.com/rhel7:7.6", "sha256:" HEX, pins, 2, true,
		 "the real Red Hat signature verifies with release key 2, pinned"},
		{"registry.access.redhat.com/rhel7:7.6", "sha256:" HEX, NULL, 0, true,
		 "... and without pins (every key of the file trusted, as containers/image)"},
		{"registry.access.redhat.com/rhel7:7.5", "sha256:" HEX, pins, 2, false, "another tag: rejected"},
		{"registry.access.redhat.com/rhel7@sha256:" HEX, "sha256:" HEX, pins, 2, true,
		 "by digest: the repository must match (matchRepoDigestOrExact)"},
		{"registry.access.redhat.com/rhel7:7.6", "sha256:" HEX, other_pin, 1, false,
		 "pinned to another key (beta key 2): rejected"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bg_reference r;
		bg_reference_parse(cases[i].ref, &r, &err);
		bg_trust_signatures sigs;
		int rc = bg_lookaside_fetch(base, r.path, cases[i].digest, NULL, &sigs, &err);
		if (rc != 0 || sigs.n != 1) {
			ok(false, "lookaside read: %s", err.message);
			bg_reference_free(&r);
			continue;
		}
		bg_trust_signatures_free(&sigs);
		/* The evaluation reads the same store through its callback. */
		store_ctx c = {base, r.path, cases[i].digest};
		bg_trust_image img = {.transport = "docker", .identity = &r, .manifest_digest = cases[i].digest,
				      .fetch = store_fetch, .fetch_ctx = &c,
				      .pins = cases[i].pins, .n_pins = cases[i].npins};
		bg_trust_decision d;
		rc = bg_trust_evaluate(p, &img, &d, &err);
		ok(rc == 0 && d.accepted == cases[i].accept, "%s", cases[i].what);
		if (rc != 0 || d.accepted != cases[i].accept)
			tap_diag("rc %d: %s", rc, rc ? err.message : d.reason);
		if (rc == 0 && cases[i].accept && i == 0)
			ok(d.n_sigs == 1 && d.sigs[0].primary_fpr &&
				   strcmp(d.sigs[0].primary_fpr, "567E347AD0044ADE55BA8A5F199E2F91FD431D51") == 0 &&
				   d.sigs[0].signed_identity &&
				   strcmp(d.sigs[0].signed_identity, "registry.access.redhat.com/rhel7:7.6") == 0 &&
				   d.scope && strcmp(d.scope, "registry.access.redhat.com") == 0,
			   "signer is release key 2, signed identity and scope reported");
		bg_trust_decision_free(&d);
		bg_reference_free(&r);
	}
	/* Another digest: the signature is looked up by digest, so none exists. */
	bg_trust_signatures sigs;
	int rc = bg_lookaside_fetch(base, "rhel7",
				"sha256:0000000000000000000000000000000000000000000000000000000000000000", NULL, &sigs,
				&err);
	ok(rc == 0 && sigs.n == 0, "another digest has no signatures in the store");
	bg_trust_signatures_free(&sigs);
	bg_trust_policy_free(p);

	/* policies/redhat/policy.json itself loads. */
	rc = bg_trust_policy_load("policies/redhat/policy.json", &p, &err);
	ok(rc == 0, "policies/redhat/policy.json loads");
	bg_trust_policy_free(p);
}

int main(void)
{
	test_urls();
	test_sniff();
	test_file_store();
	test_extension_json();
	test_redhat();
	return tap_done();
}
