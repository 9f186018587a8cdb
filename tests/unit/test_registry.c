/* Unit tests for registry.h's pure parts: the WWW-Authenticate parser
 * (RFC 7235 examples, several challenges, malformed headers), Retry-After,
 * the backoff schedule's bounds, URL building for repository names, scope
 * strings, token request URLs and token answers.  The network side is
 * exercised by tests/integration against real registries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bootgate/registry.h"
#include "tap.h"

#define D64 "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void test_challenges_good(void)
{
	bg_registry_challenges l = {0};
	bg_error err = {0};

	int rc = bg_registry_parse_challenges(
		"Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\","
		"scope=\"repository:team/app:pull\"",
		&l, &err);
	is_int(rc, 0, "a docker token challenge parses");
	is_int(l.n, 1, "one challenge");
	if (l.n == 1) {
		is_str(l.v[0].scheme, "bearer", "scheme is lower-cased");
		is_int(l.v[0].n_params, 3, "three parameters");
		is_str(bg_registry_challenge_param(&l.v[0], "realm"), "https://auth.example.com/token",
		       "realm unquoted");
		is_str(bg_registry_challenge_param(&l.v[0], "SERVICE"), "registry.example.com",
		       "parameter lookup ignores case");
		is_str(bg_registry_challenge_param(&l.v[0], "scope"), "repository:team/app:pull", "scope");
		ok(bg_registry_challenge_param(&l.v[0], "error") == NULL, "absent parameter is NULL");
	}
	bg_registry_challenges_free(&l);

	/* RFC 7235 §4.1's example: two challenges in one header, escapes. */
	rc = bg_registry_parse_challenges(
		"Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"", &l,
		&err);
	is_int(rc, 0, "RFC 7235 example parses");
	is_int(l.n, 2, "RFC 7235 example has two challenges");
	if (l.n == 2) {
		is_str(l.v[0].scheme, "newauth", "first scheme");
		is_str(bg_registry_challenge_param(&l.v[0], "type"), "1", "token value");
		is_str(bg_registry_challenge_param(&l.v[0], "title"), "Login to \"apps\"",
		       "quoted-pair escapes removed");
		is_str(l.v[1].scheme, "basic", "second scheme");
		is_str(bg_registry_challenge_param(&l.v[1], "realm"), "simple", "second challenge's realm");
		const bg_registry_challenge *c = bg_registry_pick_challenge(&l);
		ok(c == &l.v[1], "pick skips an unknown scheme and takes Basic");
	}
	bg_registry_challenges_free(&l);

	rc = bg_registry_parse_challenges("Negotiate abc+/==, BASIC realm = \"r\"", &l, &err);
	is_int(rc, 0, "token68 then a challenge with spaces around '='");
	if (rc == 0 && l.n == 2) {
		is_str(l.v[0].token68, "abc+/==", "token68 kept with its padding");
		is_int(l.v[0].n_params, 0, "token68 challenge has no params");
		is_str(bg_registry_challenge_param(&l.v[1], "realm"), "r", "BWS around '=' allowed");
	} else {
		ok(0, "two challenges expected");
	}
	bg_registry_challenges_free(&l);

	/* Several headers append; empty list elements are allowed. */
	rc = bg_registry_parse_challenges(" , Negotiate ,", &l, &err);
	rc |= bg_registry_parse_challenges("Bearer realm=\"https://t/x\",error=\"invalid_token\",", &l, &err);
	is_int(rc, 0, "empty list elements and a trailing comma are fine");
	is_int(l.n, 2, "second header appended to the first");
	if (l.n == 2) {
		is_str(l.v[0].scheme, "negotiate", "bare scheme");
		ok(bg_registry_pick_challenge(&l) == &l.v[1], "pick takes Bearer after Negotiate");
		is_str(bg_registry_challenge_param(&l.v[1], "error"), "invalid_token", "error parameter");
	}
	bg_registry_challenges_free(&l);

	rc = bg_registry_parse_challenges("", &l, &err);
	ok(rc == 0 && l.n == 0, "an empty header gives no challenge");
	ok(bg_registry_pick_challenge(&l) == NULL, "nothing to pick from an empty list");
	rc = bg_registry_parse_challenges("Negotiate, NTLM", &l, &err);
	ok(rc == 0 && l.n == 2 && bg_registry_pick_challenge(&l) == NULL,
	   "no Basic/Bearer: pick returns NULL");
	bg_registry_challenges_free(&l);
}

static void test_challenges_bad(void)
{
	static const char *const bad[] = {
		"Bearer realm=\"a\", realm=\"b\"",     /* duplicate parameter */
		"Bearer realm=\"a\", REALM=\"b\"",     /* duplicate, other case */
		"Bearer realm=\"unterminated",          /* no closing quote */
		"Bearer realm=\"a\" service=\"b\"",    /* missing comma */
		"Bearer =x",                            /* no parameter name */
		"Bearer realm=",                        /* token68 "realm=" is fine... */
		"Bearer realm=\"a\x01\"",              /* control character */
		"\"Bearer\"",                           /* no scheme */
		"Bearer realm=@",                       /* '@' is not a token */
		"Bearer realm=\"a\", scope=",          /* parameter without value */
		"Bea(rer realm=x",                      /* '(' after scheme */
		"Bearer realm=\"a\\",                   /* dangling backslash */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		bg_registry_challenges l = {0};
		bg_error err = {0};
		int rc = bg_registry_parse_challenges(bad[i], &l, &err);
		if (i == 5) { /* the RFC grammar reads this as token68 */
			ok(rc == 0 && l.n == 1 && l.v[0].token68 && strcmp(l.v[0].token68, "realm=") == 0,
			   "\"Bearer realm=\" is a token68 by the grammar");
		} else {
			ok(rc == BG_E_EVAL && l.n == 0, "refused: %s", bad[i]);
			ok(strstr(err.message, "WWW-Authenticate") != NULL, "message names the header (%s)",
			   err.message);
		}
		bg_registry_challenges_free(&l);
	}

	/* A failed parse leaves earlier headers' challenges alone. */
	bg_registry_challenges l = {0};
	bg_error err = {0};
	bg_registry_parse_challenges("Basic realm=x", &l, &err);
	int rc = bg_registry_parse_challenges("Bearer a=1, Bearer b=\"", &l, &err);
	ok(rc < 0 && l.n == 1 && strcmp(l.v[0].scheme, "basic") == 0,
	   "a failed header adds nothing and keeps what was there");
	bg_registry_challenges_free(&l);

	/* Limits. */
	char many[4096] = "";
	for (int i = 0; i <= BG_REGISTRY_MAX_CHALLENGES; i++)
		strcat(many, "Basic realm=x, ");
	rc = bg_registry_parse_challenges(many, &l, &err);
	ok(rc < 0 && l.n == 0, "more than %d challenges refused", BG_REGISTRY_MAX_CHALLENGES);
	strcpy(many, "Bearer ");
	for (int i = 0; i <= BG_REGISTRY_MAX_PARAMS; i++)
		sprintf(many + strlen(many), "p%d=v, ", i);
	rc = bg_registry_parse_challenges(many, &l, &err);
	ok(rc < 0 && l.n == 0, "more than %d parameters refused", BG_REGISTRY_MAX_PARAMS);
	bg_registry_challenges_free(&l);
}

static void test_retry_after(void)
{
	unsigned s = 12345;
	time_t date = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
	is_int(bg_registry_parse_retry_after("120", 0, &s), 0, "delta-seconds parse");
	is_int(s, 120, "120 seconds");
	ok(bg_registry_parse_retry_after(" 5 ", 0, &s) == 0 && s == 5, "surrounding spaces ignored");
	ok(bg_registry_parse_retry_after("0", 0, &s) == 0 && s == 0, "zero");
	ok(bg_registry_parse_retry_after("99999999999999999999", 0, &s) == 0 && s == UINT32_MAX,
	   "huge value clamps");
	ok(bg_registry_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", date - 30, &s) == 0 && s == 30,
	   "IMF-fixdate 30 s ahead");
	ok(bg_registry_parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", date - 7, &s) == 0 && s == 7,
	   "RFC 850 date");
	ok(bg_registry_parse_retry_after("Sun Nov  6 08:49:37 1994", date - 2, &s) == 0 && s == 2,
	   "asctime date");
	ok(bg_registry_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", date + 100, &s) == 0 && s == 0,
	   "a date in the past means now");
	static const char *const bad[] = {"", "  ", "-1", "1.5", "soon", "5s", "0x10", "+3", NULL};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		s = 777;
		ok(bg_registry_parse_retry_after(bad[i], 0, &s) == -1 && s == 777, "refused: \"%s\"",
		   bad[i] ? bad[i] : "(null)");
	}
}

static void test_backoff(void)
{
	unsigned prev_low = 0;
	bool bounded = true, grows = true;
	for (unsigned a = 1; a <= 40; a++) {
		uint64_t d = (uint64_t)BG_REGISTRY_BACKOFF_BASE_MS << (a < 20 ? a - 1 : 19);
		if (d > BG_REGISTRY_BACKOFF_CAP_MS)
			d = BG_REGISTRY_BACKOFF_CAP_MS;
		static const uint32_t rnd[] = {0, 1, 499, 500, 12345, 0x7fffffff, UINT32_MAX};
		unsigned low = UINT32_MAX;
		for (size_t k = 0; k < sizeof rnd / sizeof rnd[0]; k++) {
			unsigned v = bg_registry_backoff_ms(a, rnd[k]);
			if (v < d / 2 || v > d)
				bounded = false;
			if (v < low)
				low = v;
		}
		if (low < prev_low)
			grows = false;
		prev_low = low;
	}
	ok(bounded, "every delay is within [d/2, d] of 1 s * 2^(n-1), capped at 30 s");
	ok(grows, "the lower bound never shrinks from one attempt to the next");
	is_int(bg_registry_backoff_ms(1, 0), 500, "first retry waits at least 0.5 s");
	ok(bg_registry_backoff_ms(1, UINT32_MAX) <= 1000, "first retry waits at most 1 s");
	is_int(bg_registry_backoff_ms(3, 0), 2000, "third retry waits at least 2 s");
	ok(bg_registry_backoff_ms(1000, UINT32_MAX) <= BG_REGISTRY_BACKOFF_CAP_MS, "cap holds for attempt 1000");
	ok(bg_registry_backoff_ms(0, 0) == 500, "attempt 0 is treated as the first");
	/* Jitter actually varies. */
	ok(bg_registry_backoff_ms(4, 1) != bg_registry_backoff_ms(4, 2000), "jitter varies with the random input");
}

static void url_is(const char *domain, bool http, const char *repo, const char *kind, const char *ref,
		   const char *want)
{
	char *u = NULL;
	bg_error err = {0};
	int rc = bg_registry_url(domain, http, repo, kind, ref, &u, &err);
	if (want) {
		is_int(rc, 0, "url for %s %s %s", domain, repo ? repo : "-", ref ? ref : "-");
		is_str(u, want, "url is %s", want);
	} else {
		ok(rc == BG_E_EVAL && u == NULL, "refused: %s / %s / %s / %s", domain ? domain : "(null)",
		   repo ? repo : "-", kind ? kind : "-", ref ? ref : "-");
		ok(err.message[0] != '\0', "with a message (%s)", err.message);
	}
	free(u);
}

static void test_urls(void)
{
	url_is("docker.io", false, "library/rhel", "manifests", "latest",
	       "https://registry-1.docker.io/v2/library/rhel/manifests/latest");
	url_is("index.docker.io", false, "library/rhel", "manifests", "9.4",
	       "https://registry-1.docker.io/v2/library/rhel/manifests/9.4");
	url_is("quay.io", false, "team/sub/app", "blobs", D64, "https://quay.io/v2/team/sub/app/blobs/" D64);
	url_is("localhost:5000", true, "app", "manifests", D64, "http://localhost:5000/v2/app/manifests/" D64);
	url_is("[::1]:5000", false, "a/b", "manifests", "v1", "https://[::1]:5000/v2/a/b/manifests/v1");
	url_is("quay.io", false, NULL, NULL, NULL, "https://quay.io/v2/");
	url_is("r.example", false, "a.b/c__d/e-f--g/h_i", "manifests", "_x.Y-9",
	       "https://r.example/v2/a.b/c__d/e-f--g/h_i/manifests/_x.Y-9");
	is_str(bg_registry_api_host("docker.io"), "registry-1.docker.io", "docker.io API host");
	is_str(bg_registry_api_host("quay.io"), "quay.io", "other hosts unchanged");

	url_is("quay.io", false, "Team/app", "manifests", "latest", NULL);
	url_is("quay.io", false, "a/../b", "manifests", "latest", NULL);
	url_is("quay.io", false, "a//b", "manifests", "latest", NULL);
	url_is("quay.io", false, "a/", "manifests", "latest", NULL);
	url_is("quay.io", false, "-a", "manifests", "latest", NULL);
	url_is("quay.io", false, "a___b", "manifests", "latest", NULL);
	url_is("quay.io", false, "a?x=1", "manifests", "latest", NULL);
	url_is("quay.io", false, "a", "manifests", "x?y", NULL);
	url_is("quay.io", false, "a", "manifests", "x#y", NULL);
	url_is("quay.io", false, "a", "manifests", ".hidden", NULL);
	url_is("quay.io", false, "a", "manifests", "sha256:abc", NULL);
	url_is("quay.io", false, "a", "manifests", "SHA256:aaaa", NULL);
	url_is("quay.io", false, "a", "blobs", "latest", NULL);
	url_is("quay.io", false, "a", "tags", "latest", NULL);
	url_is("user@quay.io", false, "a", "manifests", "latest", NULL);
	url_is("quay.io/evil", false, "a", "manifests", "latest", NULL);
	url_is("", false, "a", "manifests", "latest", NULL);
}

static void test_scope_and_token_url(void)
{
	char *s = bg_registry_scope("library/rhel");
	is_str(s, "repository:library/rhel:pull", "pull scope string");
	free(s);

	char *u = bg_registry_token_url("https://auth.docker.io/token", "registry.docker.io",
					"repository:library/rhel:pull", NULL);
	is_str(u, "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Frhel%3Apull",
	       "token URL, values percent-encoded");
	free(u);
	u = bg_registry_token_url("https://t.example/auth?x=1", NULL, "repository:a:pull", "us er@x&y");
	is_str(u, "https://t.example/auth?x=1&scope=repository%3Aa%3Apull&account=us%20er%40x%26y",
	       "realm with a query gets '&', no service, account encoded");
	free(u);
}

static void token_is(const char *json, const char *want, long long want_exp)
{
	char *tok = NULL;
	int64_t exp = -1;
	bg_error err = {0};
	int rc = bg_registry_parse_token(json, strlen(json), "test", &tok, &exp, &err);
	if (want) {
		is_int(rc, 0, "token answer parses: %s", json);
		is_str(tok, want, "token chosen");
		is_int(exp, want_exp, "expires_in");
	} else {
		ok(rc == BG_E_EVAL && tok == NULL, "token answer refused: %s", json);
		ok(strstr(err.message, "test") != NULL, "message names the source (%s)", err.message);
	}
	free(tok);
}

static void test_tokens(void)
{
	token_is("{\"token\":\"abc.def\",\"expires_in\":300}", "abc.def", 300);
	token_is("{\"access_token\":\"xyz\"}", "xyz", 60);
	token_is("{\"token\":\"\",\"access_token\":\"y\"}", "y", 60);
	token_is("{\"token\":\"t\",\"access_token\":\"other\"}", "t", 60);
	token_is("{\"token\":\"t\",\"expires_in\":10}", "t", 60);
	token_is("{\"token\":\"t\",\"expires_in\":-5}", "t", 60);
	token_is("{\"token\":\"t\",\"expires_in\":3600.5,\"issued_at\":\"2024-01-01T00:00:00Z\"}", "t", 3600);
	token_is("{\"token\":\"t\",\"expires_in\":1e12}", "t", 86400);
	token_is("{}", NULL, 0);
	token_is("{\"token\":\"\"}", NULL, 0);
	token_is("not json", NULL, 0);
	token_is("[\"token\"]", NULL, 0);
	token_is("{\"token\":\"a\",\"token\":\"b\"}", NULL, 0);
	token_is("{\"token\":\"a b\"}", NULL, 0);
	token_is("{\"token\":\"a\\r\\nX-Evil: 1\"}", NULL, 0);
	token_is("{\"token\":5}", NULL, 0);
	token_is("{\"token\":\"t\",\"expires_in\":\"300\"}", NULL, 0);
	token_is("{\"token\":\"t\"} trailing", NULL, 0);
}

static void test_new(void)
{
	bg_registry *r = NULL;
	bg_error err = {0};
	ok(bg_registry_new("quay.io", NULL, &r, &err) == 0 && r, "a registry handle opens without network");
	bg_registry_free(r);
	bg_registry_free(NULL);
	r = NULL;
	ok(bg_registry_new("bad host", NULL, &r, &err) == BG_E_EVAL && !r, "invalid host refused");
	bg_registry_options o = {.cert_dir = "/nonexistent/certs.d"};
	ok(bg_registry_new("quay.io", &o, &r, &err) == BG_E_USAGE && !r, "missing --cert-dir is a usage error");
	ok(strstr(err.message, "/nonexistent/certs.d") != NULL, "message names the directory");
	o.cert_dir = "meson.build";
	ok(bg_registry_new("quay.io", &o, &r, &err) == BG_E_USAGE && !r, "--cert-dir on a file refused");
}

int main(void)
{
	test_challenges_good();
	test_challenges_bad();
	test_retry_after();
	test_backoff();
	test_urls();
	test_scope_and_token_url();
	test_tokens();
	test_new();
	return tap_done();
}
