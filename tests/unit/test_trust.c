/* Unit tests for lib/trust.c: policy.json parsing (every requirement and
 * identity kind, unknown keys, empty lists), scope resolution, the identity
 * rule tables of containers/image (policy_reference_match_test.go), and
 * evaluation — without signatures, and with containers/image's signature
 * fixtures from $BOOTGATE_CORPUS_DIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/trust.h"
#include "lib/util.h"
#include "tests/tap.h"

/* ---- parsing ---------------------------------------------------------------- */

static int parse(const char *json, bg_trust_policy **p, bg_error *err)
{
	bg_error_clear(err);
	return bg_trust_policy_parse(json, strlen(json), "policy.json", p, err);
}

static void parses(const char *json, const char *what)
{
	bg_trust_policy *p = NULL;
	bg_error err = {0};
	int rc = parse(json, &p, &err);
	ok(rc == 0, "parses: %s", what);
	if (rc)
		tap_diag("%s", err.message);
	bg_trust_policy_free(p);
}

static void refuses(const char *json, const char *needle, const char *what)
{
	bg_trust_policy *p = NULL;
	bg_error err = {0};
	int rc = parse(json, &p, &err);
	ok(rc == BG_E_USAGE && p == NULL && strstr(err.message, needle), "refused (%s): %s", needle, what);
	if (!(rc == BG_E_USAGE && strstr(err.message, needle)))
		tap_diag("rc %d: %s", rc, err.message);
}

#define SB "{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\""
#define POL(reqs) "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"s\":[" reqs "]}}}"

static void test_parse(void)
{
	parses("{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}", "default only");
	parses(POL("{\"type\":\"reject\"}"), "reject");
	parses(POL(SB "}"), "signedBy keyPath");
	parses(POL("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPaths\":[\"/a\",\"/b\"]}"), "keyPaths");
	parses(POL("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":\"aGVsbG8=\"}"), "keyData");
	parses(POL("{\"type\":\"signedBy\",\"keyType\":\"X509Certificates\",\"keyPath\":\"/k\"}"),
	       "other upstream keyTypes parse (and reject at evaluation)");
	parses(POL(SB ",\"signedIdentity\":{\"type\":\"matchExact\"}}"), "matchExact");
	parses(POL(SB ",\"signedIdentity\":{\"type\":\"matchRepoDigestOrExact\"}}"), "matchRepoDigestOrExact");
	parses(POL(SB ",\"signedIdentity\":{\"type\":\"matchRepository\"}}"), "matchRepository");
	parses(POL(SB ",\"signedIdentity\":{\"type\":\"exactReference\",\"dockerReference\":\"quay.io/a/b:1\"}}"),
	       "exactReference");
	parses(POL(SB ",\"signedIdentity\":{\"type\":\"exactRepository\",\"dockerRepository\":\"quay.io/a/b\"}}"),
	       "exactRepository");
	parses(POL(SB ",\"signedIdentity\":{\"type\":\"remapIdentity\",\"prefix\":\"mirror.example:5000/ns\",\"signedPrefix\":\"quay.io\"}}"),
	       "remapIdentity");
	parses(POL("{\"type\":\"sigstoreSigned\",\"keyPath\":\"/k\",\"signedIdentity\":{\"type\":\"matchRepository\"}}"),
	       "sigstoreSigned is recognised");
	parses(POL("{\"type\":\"signedBaseLayer\",\"baseLayerIdentity\":{\"type\":\"matchRepository\"}}"),
	       "signedBaseLayer is recognised");
	parses("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"atomic\":{\"x\":[{\"type\":\"reject\"}]}}}",
	       "unknown transports are kept");

	refuses("{}", "\"default\" is missing", "no default");
	refuses("{\"default\":[]}", "must not be empty", "empty default list");
	refuses(POL(""), "must not be empty", "empty scope list");
	refuses("{\"default\":[{\"type\":\"reject\"}],\"extra\":1}", "unknown key \"extra\"", "unknown top-level key");
	refuses(POL("{\"type\":\"reject\",\"x\":1}"), "unknown key \"x\"", "reject with an extra key");
	refuses(POL(SB ",\"signedIdentty\":{\"type\":\"matchExact\"}}"), "unknown key \"signedIdentty\"",
		"typo in signedIdentity");
	refuses(POL(SB ",\"signedIdentity\":{\"type\":\"matchExact\",\"x\":1}}"), "unknown key \"x\"",
		"signedIdentity with an extra key");
	refuses(POL(SB ",\"signedIdentity\":{\"type\":\"exactReference\",\"dockerReference\":\"quay.io/a/b\"}}"),
		"must have a tag or a digest", "exactReference without tag");
	refuses(POL(SB ",\"signedIdentity\":{\"type\":\"exactReference\",\"dockerReference\":\"UPPER/x:1\"}}"),
		"not a valid reference", "exactReference invalid");
	refuses(POL(SB ",\"signedIdentity\":{\"type\":\"exactReference\"}}"), "\"dockerReference\" is missing",
		"exactReference without its value");
	refuses(POL(SB ",\"signedIdentity\":{\"type\":\"remapIdentity\",\"prefix\":\"quay.io/a:tag\",\"signedPrefix\":\"x.io\"}}"),
		"prefix \"quay.io/a:tag\" is not valid", "remap prefix with a tag");
	refuses(POL(SB ",\"signedIdentity\":{\"type\":\"remapIdentity\",\"prefix\":\"quay.io\",\"signedPrefix\":\"ns/Repo\"}}"),
		"signedPrefix", "remap signedPrefix without host");
	refuses(POL(SB ",\"signedIdentity\":{\"type\":\"matchSomething\"}}"), "unknown signedIdentity type",
		"unknown identity type");
	refuses(POL("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\"}"), "exactly one of keyPath", "no key source");
	refuses(POL("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/a\",\"keyData\":\"aGk=\"}"),
		"exactly one of keyPath", "two key sources");
	refuses(POL("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPaths\":[]}"), "must not be empty",
		"empty keyPaths");
	refuses(POL("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPaths\":[1]}"), "must be a string",
		"keyPaths with a number");
	refuses(POL("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":\"not base64!\"}"),
		"not valid base64", "bad keyData");
	refuses(POL("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":\"aGk\"}"), "not valid base64",
		"unpadded keyData");
	refuses(POL("{\"type\":\"signedBy\",\"keyPath\":\"/a\"}"), "\"keyType\" is missing", "no keyType");
	refuses(POL("{\"type\":\"signedBy\",\"keyType\":\"PGP\",\"keyPath\":\"/a\"}"), "unknown keyType",
		"unknown keyType");
	refuses(POL("{\"type\":\"trustMe\"}"), "unknown requirement type", "unknown requirement type");
	refuses(POL("{\"type\":\"sigstoreSigned\",\"keyPath\":\"/k\",\"bogus\":1}"), "unknown key \"bogus\"",
		"sigstoreSigned with an unknown key");
	refuses(POL("{}"), "\"type\" is missing", "requirement without type");
	refuses("{\"default\":[{\"type\":\"reject\"}],\"default\":[{\"type\":\"reject\"}]}", "duplicate",
		"duplicate key (strict JSON)");
	refuses("{\"default\":[{\"type\":\"reject\"}]} x", "policy.json", "trailing data");
	refuses("{\"default\":[{\"type\":\"reject\"}],\"transports\":[]}", "must be a JSON object",
		"transports not an object");
	refuses("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"s\":{}}}}",
		"must be a JSON array", "scope list not an array");
	refuses("null", "not null", "null document");

	/* keyData is decoded. */
	bg_trust_policy *p = NULL;
	bg_error err = {0};
	if (parse(POL("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":\"aGVs\\nbG8=\"}"), &p, &err) == 0) {
		const bg_trust_requirement *r = &p->scopes[0].reqs.v[0];
		ok(r->has_key_data && r->key_data_len == 5 && memcmp(r->key_data, "hello", 5) == 0,
		   "keyData is base64-decoded (newlines skipped)");
		ok(r->identity.kind == BG_TRUST_MATCH_REPO_DIGEST_OR_EXACT, "signedIdentity defaults to matchRepoDigestOrExact");
	} else {
		ok(false, "keyData policy parses: %s", err.message);
		ok(false, "(skipped)");
	}
	bg_trust_policy_free(p);
}

static void test_upstream_policy(void)
{
	const char *corpus = getenv("BOOTGATE_CORPUS_DIR");
	if (!corpus) {
		ok(true, "# SKIP BOOTGATE_CORPUS_DIR not set (upstream policy.json)");
		return;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/containers-image-fixtures/fixtures/policy.json", corpus);
	bg_trust_policy *p = NULL;
	bg_error err = {0};
	int rc = bg_trust_policy_load(path, &p, &err);
	ok(rc == 0, "containers/image's fixtures/policy.json parses");
	if (rc)
		tap_diag("%s", err.message);
	bg_trust_policy_free(p);
}

/* ---- scopes ------------------------------------------------------------------ */

static void test_candidates(const char *ref, const char *const *want, size_t nwant)
{
	bg_reference r;
	bg_error err = {0};
	if (bg_reference_parse(ref, &r, &err) != 0) {
		ok(false, "candidates for %s: %s", ref, err.message);
		return;
	}
	char **c = NULL;
	size_t n = 0;
	int rc = bg_trust_scope_candidates(&r, &c, &n, &err);
	bool same = rc == 0 && n == nwant;
	for (size_t i = 0; same && i < n; i++)
		same = strcmp(c[i], want[i]) == 0;
	ok(same, "scope candidates of %s", ref);
	if (!same)
		for (size_t i = 0; i < n; i++)
			tap_diag("  got %s", c[i]);
	for (size_t i = 0; i < n; i++)
		free(c[i]);
	free(c);
	bg_reference_free(&r);
}

static void test_scopes(void)
{
	static const char *const a[] = {"a.b.example.com:5000/ns1/ns2/repo:tag", "a.b.example.com:5000/ns1/ns2/repo",
					"a.b.example.com:5000/ns1/ns2", "a.b.example.com:5000/ns1",
					"a.b.example.com:5000", "*.b.example.com", "*.example.com", "*.com"};
	test_candidates("a.b.example.com:5000/ns1/ns2/repo:tag", a, 8);
	static const char *const b[] = {"docker.io/library/busybox:latest", "docker.io/library/busybox",
					"docker.io/library", "docker.io", "*.io"};
	test_candidates("busybox", b, 5);
	static const char *const c[] = {
		"quay.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"quay.io/a/b", "quay.io/a", "quay.io", "*.io"};
	test_candidates("quay.io/a/b:ignored@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", c, 5);
	static const char *const d[] = {"127.0.0.1:5000/x:1", "127.0.0.1:5000/x", "127.0.0.1:5000", "*.0.0.1",
					"*.0.1", "*.1"};
	test_candidates("127.0.0.1:5000/x:1", d, 6);
	static const char *const e[] = {"localhost/x:1", "localhost/x", "localhost"};
	test_candidates("localhost/x:1", e, 3);

	/* Resolution: the first candidate the policy lists wins alone. */
	const char *json =
		"{\"default\":[{\"type\":\"reject\"}],\"transports\":{"
		"\"docker\":{"
		"\"reg.example.com:5000/ns/app:v1\":[{\"type\":\"insecureAcceptAnything\"}],"
		"\"reg.example.com:5000/ns/app\":[{\"type\":\"reject\"}],"
		"\"reg.example.com:5000/ns\":[{\"type\":\"reject\"}],"
		"\"reg.example.com:5000\":[{\"type\":\"reject\"}],"
		"\"*.example.com\":[{\"type\":\"reject\"}],"
		"\"*.com\":[{\"type\":\"reject\"}],"
		"\"reg.example.com/ns\":[{\"type\":\"reject\"}],"
		"\"\":[{\"type\":\"reject\"}]},"
		"\"oci\":{\"\":[{\"type\":\"insecureAcceptAnything\"}]},"
		"\"docker-archive\":{\"x\":[{\"type\":\"insecureAcceptAnything\"}]}}}";
	bg_trust_policy *p = NULL;
	bg_error err = {0};
	if (parse(json, &p, &err) != 0) {
		ok(false, "scope policy parses: %s", err.message);
		return;
	}
	static const struct {
		const char *transport, *ref, *scope;
	} t[] = {
		{"docker", "reg.example.com:5000/ns/app:v1", "reg.example.com:5000/ns/app:v1"},
		{"docker", "reg.example.com:5000/ns/app:v2", "reg.example.com:5000/ns/app"},
		{"docker", "reg.example.com:5000/ns/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		 "reg.example.com:5000/ns/app"},
		{"docker", "reg.example.com:5000/ns/other:1", "reg.example.com:5000/ns"},
		{"docker", "reg.example.com:5000/ns2/x:1", "reg.example.com:5000"},
		{"docker", "reg.example.com:5001/ns2/x:1", "*.example.com"},
		{"docker", "reg.example.com/ns/x:1", "reg.example.com/ns"},
		{"docker", "reg.example.com/other/x:1", "*.example.com"},
		{"docker", "quay.com/x:1", "*.com"},
		{"docker", "quay.io/x:1", ""},
		{"docker", "example.com/x:1", "*.com"},   /* *.example.com does not match example.com */
		{"oci", NULL, ""},
		{"docker-archive", NULL, NULL},           /* no "" entry: the global default */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		bg_reference r;
		bool have = false;
		if (t[i].ref) {
			if (bg_reference_parse(t[i].ref, &r, &err) != 0) {
				ok(false, "%s parses", t[i].ref);
				continue;
			}
			have = true;
		}
		const bg_trust_reqlist *reqs = NULL;
		const char *scope = "unset";
		int rc = bg_trust_policy_requirements(p, t[i].transport, have ? &r : NULL, &reqs, &scope, &err);
		bool good = rc == 0 && reqs && ((!t[i].scope && !scope) || (t[i].scope && scope && strcmp(t[i].scope, scope) == 0));
		ok(good, "%s %s → scope \"%s\"", t[i].transport, t[i].ref ? t[i].ref : "(no identity)",
		   t[i].scope ? t[i].scope : "default");
		if (!good)
			tap_diag("got \"%s\"", scope ? scope : "(default)");
		if (have)
			bg_reference_free(&r);
	}
	bg_trust_policy_free(p);
}

/* ---- identity tables (containers/image policy_reference_match_test.go) ------ */

#define FULL_RHEL "registry.access.redhat.com/rhel7/rhel:7.2.3"
#define UNTAGGED_RHEL "registry.access.redhat.com/rhel7/rhel"
#define DIG "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* Upstream's other digest is upper-case hex, which bootgate's digest
 * grammar refuses outright (reference.h); a lower-case one keeps the
 * tables' meaning ("another digest"). */
#define DIG_OTHER "@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

typedef struct {
	const char *a, *b;
	bool result;
} pair;

static const pair exact_table[] = {
	{"busybox:latest", "busybox:latest", true},
	{FULL_RHEL, FULL_RHEL, true},
	{"busybox" DIG, "busybox" DIG, true},
	{"library/busybox:latest", "busybox:latest", true},
	{"docker.io/library/busybox:latest", "busybox:latest", true},
	{"library/busybox" DIG, "busybox" DIG, true},
	{"busybox:latest", "busybox:notlatest", false},
	{"busybox:latest", "notbusybox:latest", false},
	{"busybox:latest", "hostname/library/busybox:notlatest", false},
	{"hostname/library/busybox:latest", "busybox:notlatest", false},
	{"busybox:latest", FULL_RHEL, false},
	{"busybox" DIG, "notbusybox" DIG, false},
	{"busybox:latest", "busybox" DIG, false},
	{"busybox" DIG, "busybox" DIG_OTHER, false},
	{"busybox", "busybox:latest", false},
	{"busybox", "busybox" DIG, false},
	{"busybox", "busybox", false},
	{"busybox:latest" DIG, "busybox:latest" DIG, true},
	{"busybox:latest" DIG, "busybox:latest" DIG_OTHER, false},
	{"busybox:latest" DIG, "busybox:notlatest" DIG, false},
	{"busybox:latest" DIG, "busybox" DIG, false},
	{"busybox:latest" DIG, "busybox:latest", false},
	{"UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES", "busybox:latest", false},
	{"", "UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES", false},
	{"INVALID", "INVALID", false},
};

static const pair repo_table[] = {
	{"busybox:latest", "busybox:latest", true},
	{FULL_RHEL, FULL_RHEL, true},
	{"busybox" DIG, "busybox" DIG, true},
	{"library/busybox:latest", "busybox:latest", true},
	{"docker.io/library/busybox:latest", "busybox:latest", true},
	{"library/busybox" DIG, "busybox" DIG, true},
	{"busybox:latest", "busybox:notlatest", true},
	{FULL_RHEL "tagsuffix", FULL_RHEL, true},
	{"library/busybox:latest", "busybox:notlatest", true},
	{"busybox:latest", "library/busybox:notlatest", true},
	{"docker.io/library/busybox:notlatest", "busybox:latest", true},
	{"busybox:notlatest", "docker.io/library/busybox:latest", true},
	{"busybox:latest", "busybox" DIG, true},
	{"busybox" DIG, "busybox" DIG_OTHER, true},
	{"busybox", "busybox:notlatest", true},
	{FULL_RHEL, UNTAGGED_RHEL, true},
	{"busybox", "busybox" DIG, true},
	{"library/busybox", "busybox", true},
	{"docker.io/library/busybox", "busybox", true},
	{"busybox:latest", "notbusybox:latest", false},
	{"hostname/library/busybox:latest", "busybox:notlatest", false},
	{"busybox:latest", FULL_RHEL, false},
	{"busybox" DIG, "notbusybox" DIG, false},
	{"busybox:latest" DIG, "busybox:latest" DIG, true},
	{"busybox:latest" DIG, "busybox:latest" DIG_OTHER, true},
	{"busybox:latest" DIG, "busybox:notlatest" DIG, true},
	{"busybox:latest" DIG, "busybox" DIG, true},
	{"busybox:latest" DIG, "busybox:latest", true},
	{"UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES", "busybox:latest", false},
	{"", "UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES", false},
	{"INVALID", "INVALID", false},
};

static const pair digest_or_exact_table[] = { /* image, signature */
	{"busybox:latest", "busybox:notlatest", false},
	{FULL_RHEL "tagsuffix", FULL_RHEL, false},
	{"library/busybox:latest", "busybox:notlatest", false},
	{"busybox:latest", "library/busybox:notlatest", false},
	{"docker.io/library/busybox:notlatest", "busybox:latest", false},
	{"busybox:notlatest", "docker.io/library/busybox:latest", false},
	{"busybox", "busybox:latest", false},
	{"busybox:latest", "busybox", false},
	{"busybox", "busybox" DIG, false},
	{"busybox" DIG, "busybox", false},
	{FULL_RHEL, UNTAGGED_RHEL, false},
	{"busybox", "busybox", false},
	{"busybox:latest", "busybox" DIG, false},
	{"busybox" DIG, "busybox:latest", true},
	{"busybox" DIG, "busybox" DIG_OTHER, true},
	{"busybox:latest" DIG, "busybox:latest", false},
	{"busybox:latest" DIG, "busybox:notlatest", false},
	{"busybox:latest", "busybox:latest" DIG, false},
	{"busybox:latest" DIG, "busybox:latest" DIG_OTHER, false},
	{"busybox:latest" DIG, "busybox:notlatest" DIG_OTHER, false},
};

/* The image identity as bootgate hands it over: the text as written.
 * (Upstream's image references here are name-only when written so.) */
static bool match(bg_trust_identity_kind kind, const char *value, const char *image, const char *sig)
{
	bg_trust_identity id = {.kind = kind, .value = (char *)value};
	return bg_trust_identity_matches(&id, image, sig, NULL, 0);
}

static void test_identity_tables(void)
{
	size_t bad = 0, n = 0;
	for (size_t i = 0; i < sizeof exact_table / sizeof exact_table[0]; i++) {
		const pair *t = &exact_table[i];
		bad += match(BG_TRUST_MATCH_EXACT, NULL, t->a, t->b) != t->result;
		bad += match(BG_TRUST_MATCH_EXACT, NULL, t->b, t->a) != t->result;
		bad += match(BG_TRUST_EXACT_REFERENCE, t->a, NULL, t->b) != t->result;
		bad += match(BG_TRUST_EXACT_REFERENCE, t->b, NULL, t->a) != t->result;
		n += 4;
		if (t->result) { /* matchRepoDigestOrExact accepts what matchExact accepts */
			bad += match(BG_TRUST_MATCH_REPO_DIGEST_OR_EXACT, NULL, t->a, t->b) != true;
			bad += match(BG_TRUST_MATCH_REPO_DIGEST_OR_EXACT, NULL, t->b, t->a) != true;
			n += 2;
		}
	}
	ok(bad == 0, "matchExact and exactReference: containers/image's exact-match table (%zu checks)", n);
	bad = n = 0;
	for (size_t i = 0; i < sizeof repo_table / sizeof repo_table[0]; i++) {
		const pair *t = &repo_table[i];
		bad += match(BG_TRUST_MATCH_REPOSITORY, NULL, t->a, t->b) != t->result;
		bad += match(BG_TRUST_MATCH_REPOSITORY, NULL, t->b, t->a) != t->result;
		bad += match(BG_TRUST_EXACT_REPOSITORY, t->a, NULL, t->b) != t->result;
		bad += match(BG_TRUST_EXACT_REPOSITORY, t->b, NULL, t->a) != t->result;
		n += 4;
		if (!t->result) { /* ... and rejects what matchRepository rejects */
			bad += match(BG_TRUST_MATCH_REPO_DIGEST_OR_EXACT, NULL, t->a, t->b) != false;
			bad += match(BG_TRUST_MATCH_REPO_DIGEST_OR_EXACT, NULL, t->b, t->a) != false;
			n += 2;
		}
	}
	ok(bad == 0, "matchRepository and exactRepository: containers/image's repository table (%zu checks)", n);
	bad = 0;
	for (size_t i = 0; i < sizeof digest_or_exact_table / sizeof digest_or_exact_table[0]; i++) {
		const pair *t = &digest_or_exact_table[i];
		bool got = match(BG_TRUST_MATCH_REPO_DIGEST_OR_EXACT, NULL, t->a, t->b);
		if (got != t->result) {
			bad++;
			tap_diag("matchRepoDigestOrExact %s vs %s: got %d", t->a, t->b, got);
		}
	}
	ok(bad == 0, "matchRepoDigestOrExact: the asymmetric table (%zu cases)",
	   sizeof digest_or_exact_table / sizeof digest_or_exact_table[0]);

	/* An image without identity: only exactReference/exactRepository can match. */
	char why[256] = "";
	bg_trust_identity id = {.kind = BG_TRUST_MATCH_REPOSITORY};
	ok(!bg_trust_identity_matches(&id, NULL, "busybox:latest", why, sizeof why) && strstr(why, "no identity"),
	   "no identity: matchRepository refuses and says why");
}

static void test_remap(void)
{
	/* TestPRMRemapIdentityRefMatchesPrefix, through the rewrite: a match
	 * rewrites to the signed prefix "docker.io/library/signed-prefix". */
	static const struct {
		const char *ref, *prefix;
		bool expected;
	} m[] = {
		{"docker.io/image", "docker.io", true},
		{"docker.io/image", "example.com", false},
		{"example.com:5000/image", "example.com:5000", true},
		{"example.com:50000/image", "example.com:5000", false},
		{"example.com:5000/image", "example.com", false},
		{"example.com/foo", "example.com", true},
		{"example.com/foo/bar", "example.com", true},
		{"example.com/foo/bar:baz", "example.com", true},
		{"example.com/foo/bar" DIG, "example.com", true},
		{"docker.io/ns/image", "docker.io/library", false},
		{"example.com/library", "docker.io/library", false},
		{"docker.io/libraryy/image", "docker.io/library", false},
		{"docker.io/library/busybox", "docker.io/library", true},
		{"example.com/ns/image", "example.com/ns", true},
		{"example.com/ns2/image", "example.com/ns", false},
		{"example.com/n2/image", "example.com/ns", false},
		{"example.com", "example.com/library/busybox", false},
		{"example.com:5000/ns/image", "example.com/ns", false},
		{"example.com/ns/image", "example.com:5000/ns", false},
		{"docker.io/library/busybox", "docker.io/library/busybox", true},
		{"example.com/library/busybox", "docker.io/library/busybox", false},
		{"docker.io/library/busybox2", "docker.io/library/busybox", false},
		{"example.com/ns/image", "example.com/ns/image", true},
		{"example.com/ns/imag2", "example.com/ns/image", false},
		{"example.com/ns/imagee", "example.com/ns/image", false},
		{"example.com:5000/ns/image", "example.com/ns/image", false},
		{"example.com/ns/image", "example.com:5000/ns/image", false},
		{"example.com/ns/image:tag", "example.com/ns/image", true},
		{"example.com/ns/image" DIG, "example.com/ns/image", true},
		{"example.com/ns/image:tag" DIG, "example.com/ns/image", true},
	};
	size_t bad = 0;
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		char *out = NULL;
		bg_error err = {0};
		int rc = bg_trust_remap(m[i].prefix, "docker.io/library/signed-prefix", m[i].ref, &out, &err);
		bool rewritten = rc == 0 && strstr(out, "signed-prefix") != NULL;
		if (rc != 0 || rewritten != m[i].expected) {
			bad++;
			tap_diag("prefix %s on %s: rc %d out %s", m[i].prefix, m[i].ref, rc, out ? out : "-");
		}
		free(out);
	}
	ok(bad == 0, "remapIdentity prefix matching: containers/image's table (%zu cases)", sizeof m / sizeof m[0]);

	/* TestPRMRemapIdentityRemapReferencePrefix ("" = an error). */
	static const struct {
		const char *prefix, *signed_prefix, *ref, *expected;
	} r[] = {
		{"mirror.example", "vendor.example", "mirror.example/ns/image:tag", "vendor.example/ns/image:tag"},
		{"mirror.example", "vendor.example", "different.com/ns/image:tag", "different.com/ns/image:tag"},
		{"mirror.example/ns", "vendor.example/vendor-ns", "mirror.example/different-ns/image:tag",
		 "mirror.example/different-ns/image:tag"},
		{"docker.io", "not-docker-signed.example/ns", "busybox", "not-docker-signed.example/ns/library/busybox"},
		{"example.com/mirror", "example.com/vendor", "example.com/mirror/image:tag", "example.com/vendor/image:tag"},
		{"example.com/ns/mirror", "example.com/ns/vendor", "example.com/ns/mirror:tag", "example.com/ns/vendor:tag"},
		{"mirror.example", "vendor.example", "prefixmirror.example/ns/image:tag", "prefixmirror.example/ns/image:tag"},
		{"docker.io", "not-docker-signed.example", "busybox", "not-docker-signed.example/library/busybox"},
		{"docker.io/library", "not-docker-signed.example/ns", "busybox", "not-docker-signed.example/ns/busybox"},
		{"docker.io/library/busybox", "not-docker-signed.example/ns/notbusybox", "busybox",
		 "not-docker-signed.example/ns/notbusybox"},
		{"mirror.example", "vendor.example", "mirror.example/image", "vendor.example/image"},
		{"mirror.example", "vendor.example", "mirror.example/image:tag", "vendor.example/image:tag"},
		{"mirror.example", "vendor.example", "mirror.example/image" DIG, "vendor.example/image" DIG},
		{"mirror.example", "vendor.example", "mirror.example/image:tag" DIG, "vendor.example/image:tag" DIG},
		{"mirror.example/ns/image", "vendor.example:5000", "mirror.example/ns/image:tag", ""},
		{"mirror.example/ns/image", "vendor.example:5000", "mirror.example/ns/image" DIG, ""},
		{"mirror.example/ns/image", "notlocalhost", "mirror.example/ns/image:tag", ""},
	};
	bad = 0;
	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
		char *out = NULL;
		bg_error err = {0};
		int rc = bg_trust_remap(r[i].prefix, r[i].signed_prefix, r[i].ref, &out, &err);
		bool good = r[i].expected[0] ? rc == 0 && strcmp(out, r[i].expected) == 0 : rc == BG_E_INPUT;
		if (!good) {
			bad++;
			tap_diag("%s -> %s on %s: rc %d out %s (%s)", r[i].prefix, r[i].signed_prefix, r[i].ref, rc,
				 out ? out : "-", err.message);
		}
		free(out);
	}
	ok(bad == 0, "remapIdentity rewriting: containers/image's table (%zu cases)", sizeof r / sizeof r[0]);

	/* TestPRMRemapIdentityMatchesDockerReference. */
	static const struct {
		const char *prefix, *signed_prefix, *image, *sig;
		bool result;
	} d[] = {
		{"does-not-match.com", "does-not-match.rewritten", "busybox:latest", "busybox:latest", true},
		{"does-not-match.com", "does-not-match.rewritten", "busybox:latest", "notbusybox:latest", false},
		{"mirror.example", "public.com", "mirror.example/busybox:1", "public.com/busybox:1", true},
		{"mirror.example", "public.com", "mirror.example/busybox:1", "public.com/busybox:not1", false},
		{"mirror.example", "docker.io/library", "mirror.example/busybox:latest", "busybox:latest", true},
		{"mirror.example", "docker.io/library", "mirror.example/alpine:latest", "busybox:latest", false},
		{"docker.io/library", "original.com", "copied:latest", "original.com/copied:latest", true},
		{"docker.io/library", "original.com", "copied:latest", "original.com/ns/copied:latest", false},
		{"busybox", "example.com/busybox", "busybox:latest", "example.com/busybox:latest", false},
		{"docker.io/library/busybox", "busybox", "docker.io/library/busybox:latest", "busybox:latest", false},
		{"UPPERCASE", "example.com", "example.com/foo:latest", "example.com/foo:latest", true},
		{"example.com", "UPPERCASE", "example.com/foo:latest", "UPPERCASE/foo:latest", false},
	};
	bad = 0;
	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
		bg_trust_identity id = {.kind = BG_TRUST_REMAP_IDENTITY, .prefix = (char *)d[i].prefix,
					.signed_prefix = (char *)d[i].signed_prefix};
		if (bg_trust_identity_matches(&id, d[i].image, d[i].sig, NULL, 0) != d[i].result) {
			bad++;
			tap_diag("remap %s->%s %s vs %s", d[i].prefix, d[i].signed_prefix, d[i].image, d[i].sig);
		}
	}
	ok(bad == 0, "remapIdentity matching: containers/image's table (%zu cases)", sizeof d / sizeof d[0]);
	/* Without a rewrite, remapIdentity is matchRepoDigestOrExact. */
	bad = 0;
	for (size_t i = 0; i < sizeof digest_or_exact_table / sizeof digest_or_exact_table[0]; i++) {
		bg_trust_identity id = {.kind = BG_TRUST_REMAP_IDENTITY, .prefix = "never-causes-a-rewrite.example",
					.signed_prefix = "never-causes-a-rewrite.example"};
		const pair *t = &digest_or_exact_table[i];
		bad += bg_trust_identity_matches(&id, t->a, t->b, NULL, 0) != t->result;
	}
	ok(bad == 0, "remapIdentity without a rewrite behaves as matchRepoDigestOrExact");
}

/* ---- evaluation ----------------------------------------------------------------- */

typedef struct fixture_sigs {
	const char *dir;     /* read DIR/signature-1.. (NULL: none) */
	int calls;
	int fail;            /* return this status instead */
} fixture_sigs;

static int fetch_fixture(void *ctx, bg_trust_signatures *out, bg_error *err)
{
	fixture_sigs *f = ctx;
	f->calls++;
	memset(out, 0, sizeof *out);
	if (f->fail)
		return bg_error_set(err, f->fail, "simulated fetch failure");
	for (unsigned n = 1; f->dir && n < 10; n++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/signature-%u", f->dir, n);
		char *data = NULL;
		size_t len = 0;
		bg_error e = {0};
		if (bg_read_file(path, 4 << 20, &data, &len, &e) != 0)
			break;
		out->blobs = realloc(out->blobs, (out->n + 1) * sizeof *out->blobs);
		out->lens = realloc(out->lens, (out->n + 1) * sizeof *out->lens);
		out->locations = realloc(out->locations, (out->n + 1) * sizeof *out->locations);
		out->blobs[out->n] = data;
		out->lens[out->n] = len;
		out->locations[out->n] = bg_strdup(path);
		out->n++;
	}
	return 0;
}

/* Evaluate json for image identity ref (NULL: none) with manifest digest
 * and signatures from dir; returns the status, fills *accepted. */
static int eval(const char *json, const char *ref, const char *dir, const char *digest, bool subkeys,
		bool *accepted, int *calls, char *reason, size_t rsize)
{
	bg_trust_policy *p = NULL;
	bg_error err = {0};
	int rc = parse(json, &p, &err);
	if (rc != 0) {
		tap_diag("policy: %s", err.message);
		return rc;
	}
	bg_reference r;
	bool have = false;
	if (ref) {
		if (bg_reference_parse(ref, &r, &err) != 0) {
			bg_trust_policy_free(p);
			return -100;
		}
		have = true;
	}
	fixture_sigs fs = {.dir = dir};
	bg_trust_image img = {.transport = "docker", .identity = have ? &r : NULL, .manifest_digest = digest,
			      .fetch = fetch_fixture, .fetch_ctx = &fs, .allow_subkeys = subkeys};
	bg_trust_decision d;
	rc = bg_trust_evaluate(p, &img, &d, &err);
	*accepted = rc == 0 && d.accepted;
	if (calls)
		*calls = fs.calls;
	if (reason)
		snprintf(reason, rsize, "%s", rc == 0 ? (d.reason ? d.reason : "") : err.message);
	bg_trust_decision_free(&d);
	if (have)
		bg_reference_free(&r);
	bg_trust_policy_free(p);
	return rc;
}

static void test_eval_simple(void)
{
	bool acc;
	int calls;
	char reason[1024];
	const char *digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	int rc = eval("{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}", "quay.io/a:1", NULL, digest, false,
		      &acc, &calls, reason, sizeof reason);
	ok(rc == 0 && acc && calls == 0, "insecureAcceptAnything accepts without reading signatures");
	rc = eval("{\"default\":[{\"type\":\"reject\"}]}", "quay.io/a:1", NULL, digest, false, &acc, &calls, reason,
		  sizeof reason);
	ok(rc == 0 && !acc && calls == 0, "reject rejects");
	rc = eval("{\"default\":[{\"type\":\"insecureAcceptAnything\"},{\"type\":\"reject\"}]}", "quay.io/a:1", NULL,
		  digest, false, &acc, NULL, reason, sizeof reason);
	ok(rc == 0 && !acc, "all requirements must accept (AND)");
	rc = eval("{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/k\"}]}", "quay.io/a:1", NULL, digest,
		  false, &acc, NULL, reason, sizeof reason);
	ok(rc == 0 && !acc && strstr(reason, "not supported"), "sigstoreSigned: gate closed, reported as unsupported");
	rc = eval("{\"default\":[{\"type\":\"signedBaseLayer\",\"baseLayerIdentity\":{}}]}", "quay.io/a:1", NULL,
		  digest, false, &acc, NULL, reason, sizeof reason);
	ok(rc == 0 && !acc, "signedBaseLayer rejects");
	rc = eval("{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"X509Certificates\",\"keyPath\":\"/k\"}]}",
		  "quay.io/a:1", NULL, digest, false, &acc, &calls, reason, sizeof reason);
	ok(rc == 0 && !acc && calls == 0 && strstr(reason, "not implemented"), "unimplemented keyType rejects");
	rc = eval("{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/nonexistent/key.gpg\"}]}",
		  "quay.io/a:1", NULL, digest, false, &acc, NULL, reason, sizeof reason);
	ok(rc == BG_E_USAGE && strstr(reason, "/nonexistent/key.gpg"), "a missing key file is a configuration error");
	rc = eval("{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":\"bm90IGEga2V5\"}]}",
		  "quay.io/a:1", NULL, digest, false, &acc, &calls, reason, sizeof reason);
	ok(rc == 0 && !acc && calls == 0 && strstr(reason, "no public keys"), "no public keys imported: rejected");
}

static void test_eval_fixtures(void)
{
	const char *corpus = getenv("BOOTGATE_CORPUS_DIR");
	if (!corpus) {
		ok(true, "# SKIP BOOTGATE_CORPUS_DIR not set (signature fixtures)");
		return;
	}
	char fx[1024], json[16384], dir[4096], reason[2048];
	snprintf(fx, sizeof fx, "%s/containers-image-fixtures/fixtures", corpus);
	const char *digest = "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55";
	const char *id = "testing/manifest:latest";
#define SIGNEDBY(keyspec, ident) \
	"{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\"," keyspec ",\"signedIdentity\":" ident "}]}"
	bool acc;
	int rc;

	static const struct {
		const char *img, *ref;
		bool accept;
		const char *what;
	} cases[] = {
		{"dir-img-valid", "testing/manifest:latest", true, "valid signature"},
		{"dir-img-valid", "testing/manifest:notlatest", false, "valid signature, other tag"},
		{"dir-img-valid-2", "testing/manifest:latest", true, "two valid signatures"},
		{"dir-img-valid-2", "testing/manifest:notlatest", false, "two signatures, other tag"},
		{"dir-img-mixed", "testing/manifest:latest", true, "an invalid then a valid signature"},
		{"dir-img-unsigned", "testing/manifest:latest", false, "no signature"},
		{"dir-img-valid-subkey", "testing/manifest:latest", false, "subkey signature (c/image 5.23: refused)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(json, sizeof json, SIGNEDBY("\"keyPath\":\"%s/%s\"", "{\"type\":\"matchExact\"}"), fx,
			 strcmp(cases[i].img, "dir-img-valid-subkey") == 0 ? "public-key-with-subkey.gpg" : "public-key.gpg");
		snprintf(dir, sizeof dir, "%s/%s", fx, cases[i].img);
		rc = eval(json, cases[i].ref, dir, digest, false, &acc, NULL, reason, sizeof reason);
		ok(rc == 0 && acc == cases[i].accept, "%s: %s", cases[i].img, cases[i].what);
		if (rc != 0 || acc != cases[i].accept)
			tap_diag("rc %d: %s", rc, reason);
	}
	snprintf(json, sizeof json, SIGNEDBY("\"keyPath\":\"%s/public-key-with-subkey.gpg\"", "{\"type\":\"matchExact\"}"), fx);
	snprintf(dir, sizeof dir, "%s/dir-img-valid-subkey", fx);
	rc = eval(json, id, dir, digest, true, &acc, NULL, reason, sizeof reason);
	ok(rc == 0 && acc, "subkey signature accepted when subkeys of trusted primaries are allowed");
	if (!(rc == 0 && acc))
		tap_diag("rc %d: %s", rc, reason);

	snprintf(dir, sizeof dir, "%s/dir-img-valid", fx);
	snprintf(json, sizeof json, SIGNEDBY("\"keyPaths\":[\"%s/public-key-2.gpg\",\"%s/public-key-1.gpg\"]", "{\"type\":\"matchExact\"}"), fx, fx);
	rc = eval(json, id, dir, digest, false, &acc, NULL, reason, sizeof reason);
	ok(rc == 0 && acc, "keyPaths: any of the keys");
	snprintf(json, sizeof json, SIGNEDBY("\"keyPath\":\"%s/public-key-2.gpg\"", "{\"type\":\"matchExact\"}"), fx);
	rc = eval(json, id, dir, digest, false, &acc, NULL, reason, sizeof reason);
	ok(rc == 0 && !acc, "another key: rejected");
	snprintf(json, sizeof json, SIGNEDBY("\"keyPath\":\"%s/public-key.gpg\"",
				      "{\"type\":\"exactReference\",\"dockerReference\":\"this/does-not:match\"}"), fx);
	rc = eval(json, id, dir, digest, false, &acc, NULL, reason, sizeof reason);
	ok(rc == 0 && !acc && strstr(reason, "this/does-not:match"), "exactReference that does not match: rejected");
	snprintf(json, sizeof json, SIGNEDBY("\"keyPath\":\"%s/public-key.gpg\"",
				      "{\"type\":\"exactReference\",\"dockerReference\":\"docker.io/testing/manifest:latest\"}"), fx);
	rc = eval(json, NULL, dir, digest, false, &acc, NULL, reason, sizeof reason);
	ok(rc == 0 && acc, "exactReference judges an image without identity");
	snprintf(json, sizeof json, SIGNEDBY("\"keyPath\":\"%s/public-key.gpg\"", "{\"type\":\"matchExact\"}"), fx);
	rc = eval(json, NULL, dir, digest, false, &acc, NULL, reason, sizeof reason);
	ok(rc == 0 && !acc, "matchExact cannot judge an image without identity");
	rc = eval(json, id, dir, "sha256:2edc21ff9abbeb4ea2ab5b0ec2ff5e6f3bcefc1bd11eb0b5d7ff0ee6ce2c2a2c", false, &acc,
		  NULL, reason, sizeof reason);
	ok(rc == 0 && !acc, "a signature for another manifest digest: rejected");

	/* keyData: the key file's bytes in base64. */
	char keypath[2048];
	snprintf(keypath, sizeof keypath, "%s/public-key.gpg", fx);
	char *key = NULL;
	size_t klen = 0;
	bg_error err = {0};
	if (bg_read_file(keypath, 1 << 20, &key, &klen, &err) == 0) {
		static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		bg_strbuf b = {0};
		for (size_t i = 0; i < klen; i += 3) {
			unsigned v = (unsigned char)key[i] << 16 | (i + 1 < klen ? (unsigned char)key[i + 1] << 8 : 0) |
				     (i + 2 < klen ? (unsigned char)key[i + 2] : 0);
			bg_strbuf_putc(&b, tbl[v >> 18 & 63]);
			bg_strbuf_putc(&b, tbl[v >> 12 & 63]);
			bg_strbuf_putc(&b, i + 1 < klen ? tbl[v >> 6 & 63] : '=');
			bg_strbuf_putc(&b, i + 2 < klen ? tbl[v & 63] : '=');
		}
		char *b64 = bg_strbuf_take(&b);
		char *big = NULL;
		if (asprintf(&big, SIGNEDBY("\"keyData\":\"%s\"", "{\"type\":\"matchExact\"}"), b64) > 0) {
			rc = eval(big, id, dir, digest, false, &acc, NULL, reason, sizeof reason);
			ok(rc == 0 && acc, "keyData");
			free(big);
		}
		free(b64);
		free(key);
	} else {
		ok(false, "read %s", keypath);
	}

	/* A fetch failure is "could not evaluate", not "unsigned". */
	bg_trust_policy *p = NULL;
	snprintf(json, sizeof json, SIGNEDBY("\"keyPath\":\"%s/public-key.gpg\"", "{\"type\":\"matchExact\"}"), fx);
	if (parse(json, &p, &err) == 0) {
		bg_reference r;
		bg_reference_parse(id, &r, &err);
		fixture_sigs fs = {.fail = BG_E_EVAL};
		bg_trust_image img = {.transport = "docker", .identity = &r, .manifest_digest = digest,
				      .fetch = fetch_fixture, .fetch_ctx = &fs};
		bg_trust_decision d;
		rc = bg_trust_evaluate(p, &img, &d, &err);
		ok(rc == BG_E_EVAL, "signatures that cannot be read: BG_E_EVAL");
		bg_trust_decision_free(&d);
		/* Details of an accepted decision. */
		snprintf(dir, sizeof dir, "%s/dir-img-valid", fx);
		fixture_sigs fs2 = {.dir = dir};
		img.fetch_ctx = &fs2;
		rc = bg_trust_evaluate(p, &img, &d, &err);
		ok(rc == 0 && d.accepted && d.n_sigs == 1 && d.accepted_sig == 0 && d.sigs[0].primary_fpr &&
			   strcmp(d.sigs[0].primary_fpr, "08CD26E446E2E95249B7A405E932F44B23E8DD43") == 0 &&
			   d.sigs[0].signed_identity && strcmp(d.sigs[0].signed_identity, "testing/manifest:latest") == 0 &&
			   d.scope == NULL && d.requirement == 0,
		   "accepted decision reports signer, signed identity, scope and requirement");
		/* Pins: a fingerprint other than the signer's refuses it. */
		const char *pins[] = {"F2B501009F78B0B340221A12A3CD242DA6028093"};
		bg_trust_decision_free(&d);
		fs2.calls = 0;
		img.pins = pins;
		img.n_pins = 1;
		rc = bg_trust_evaluate(p, &img, &d, &err);
		ok(rc == 0 && !d.accepted, "pinned fingerprints: another signer is rejected");
		bg_trust_decision_free(&d);
		bg_reference_free(&r);
		bg_trust_policy_free(p);
	}
#undef SIGNEDBY
}

int main(void)
{
	test_parse();
	test_upstream_policy();
	test_scopes();
	test_identity_tables();
	test_remap();
	test_eval_simple();
	test_eval_fixtures();
	return tap_done();
}
