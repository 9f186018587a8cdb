/* Unit tests for the role manifest: the same content always gives the same
 * bytes (whatever order it came in), parsing is strict, fragments merge only
 * for configured roles and only once each, diff names what changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootgate/roles.h"
#include "util.h"
#include "tests/tap.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define D4 "sha256:4444444444444444444444444444444444444444444444444444444444444444"
#define FPR "567E347AD0044ADE55BA8A5F199E2F91FD431D51"
#define T0 1748779200 /* 2025-06-01T12:00:00Z */
#define EXP 1751328000 /* 2025-07-01T00:00:00Z */

static bg_role_entry make(const char *name, const char *digest, char **bases, size_t nb)
{
	bg_role_entry e = {
		.name = (char *)name,
		.repository = (char *)"registry.example.com/fleet/web",
		.index_digest = (char *)D4,
		.manifest_digest = (char *)digest,
		.base_digests = bases,
		.n_base_digests = nb,
		.evidence = {.policy_hash = (char *)D3, .signer_fingerprint = (char *)FPR,
			     .signer_uid = (char *)"Red Hat, Inc. (release key 2) <security@redhat.com>",
			     .source_revision = (char *)"8f14e45fceea167a5a36dedd4bea2543",
			     .verdict = (char *)"pass"},
		.recorded = T0,
	};
	return e;
}

static char *ser(const bg_role_manifest *m)
{
	char *s = NULL;
	bg_error err;
	if (bg_roles_serialize(m, &s, NULL, &err) < 0)
		return NULL;
	return s;
}

static const char expected_doc[] =
	"{\n"
	"  \"expires\": \"2025-07-01T00:00:00Z\",\n"
	"  \"format_version\": 1,\n"
	"  \"kind\": \"bootgate-role-manifest\",\n"
	"  \"roles\": {\n"
	"    \"db\": {\n"
	"      \"base_digests\": [],\n"
	"      \"evidence\": {\n"
	"        \"policy_hash\": null,\n"
	"        \"signer_fingerprint\": null,\n"
	"        \"signer_uid\": null,\n"
	"        \"source_revision\": null,\n"
	"        \"verdict\": \"pass\"\n"
	"      },\n"
	"      \"index_digest\": null,\n"
	"      \"manifest_digest\": \"" D2 "\",\n"
	"      \"recorded\": \"2025-06-01T12:00:00Z\",\n"
	"      \"repository\": \"registry.example.com/fleet/db\"\n"
	"    },\n"
	"    \"web\": {\n"
	"      \"base_digests\": [\n"
	"        \"" D1 "\",\n"
	"        \"" D2 "\"\n"
	"      ],\n"
	"      \"evidence\": {\n"
	"        \"policy_hash\": \"" D3 "\",\n"
	"        \"signer_fingerprint\": \"" FPR "\",\n"
	"        \"signer_uid\": \"Red Hat, Inc. (release key 2) <security@redhat.com>\",\n"
	"        \"source_revision\": \"8f14e45fceea167a5a36dedd4bea2543\",\n"
	"        \"verdict\": \"pass\"\n"
	"      },\n"
	"      \"index_digest\": \"" D4 "\",\n"
	"      \"manifest_digest\": \"" D1 "\",\n"
	"      \"recorded\": \"2025-06-01T12:00:00Z\",\n"
	"      \"repository\": \"registry.example.com/fleet/web\"\n"
	"    }\n"
	"  },\n"
	"  \"serial\": 3\n"
	"}\n";

static bg_role_entry db_entry(void)
{
	bg_role_entry e = {.name = (char *)"db", .repository = (char *)"registry.example.com/fleet/db",
			   .manifest_digest = (char *)D2, .evidence = {.verdict = (char *)"pass"},
			   .recorded = T0};
	return e;
}

static void test_deterministic(void)
{
	bg_error err;
	bg_role_manifest *a = NULL, *b = NULL;
	bg_roles_new(3, EXP, &a, &err);
	bg_roles_new(3, EXP, &b, &err);
	char *bases_ab[] = {(char *)D1, (char *)D2};
	char *bases_ba[] = {(char *)D2, (char *)D1, (char *)D2};
	bg_role_entry web1 = make("web", D1, bases_ab, 2), web2 = make("web", D1, bases_ba, 3);
	bg_role_entry db = db_entry();
	/* Same content, recorded in different orders, bases in different order
	 * with a duplicate. */
	ok(bg_roles_record(a, &web1, &err) == 0 && bg_roles_record(a, &db, &err) == 0, "record web then db");
	ok(bg_roles_record(b, &db, &err) == 0 && bg_roles_record(b, &web2, &err) == 0, "record db then web");
	_cleanup_free_ char *sa = ser(a), *sb = ser(b);
	ok(sa && sb && strcmp(sa, sb) == 0, "same content in another order: same bytes");
	is_str(sa, expected_doc, "canonical form: sorted keys, 2-space indent, nulls, trailing newline");
	ok(sa && sa[strlen(sa) - 1] == '\n' && sa[strlen(sa) - 2] == '}', "ends with the closing brace and one newline");
	ok(sa && !strstr(sa, "e+") && !strstr(sa, ".0,"), "no floats anywhere");

	/* Parse back: same bytes again; reordered keys in the input too. */
	bg_role_manifest *p = NULL;
	int rc = bg_roles_parse(sa, strlen(sa), "m", &p, &err);
	is_int(rc, 0, "canonical bytes parse (%s)", err.message);
	_cleanup_free_ char *sp = p ? ser(p) : NULL;
	is_str(sp, sa, "parse then serialise: identical bytes");
	bg_roles_free(p);

	const char *shuffled =
		"{\"serial\":3,\"roles\":{\"web\":{\"repository\":\"registry.example.com/fleet/web\","
		"\"recorded\":\"2025-06-01T12:00:00Z\",\"manifest_digest\":\"" D1 "\",\"index_digest\":\"" D4 "\","
		"\"evidence\":{\"verdict\":\"pass\",\"source_revision\":\"8f14e45fceea167a5a36dedd4bea2543\","
		"\"signer_uid\":\"Red Hat, Inc. (release key 2) <security@redhat.com>\",\"signer_fingerprint\":\"" FPR "\","
		"\"policy_hash\":\"" D3 "\"},\"base_digests\":[\"" D1 "\",\"" D2 "\"]},"
		"\"db\":{\"repository\":\"registry.example.com/fleet/db\",\"recorded\":\"2025-06-01T12:00:00Z\","
		"\"manifest_digest\":\"" D2 "\",\"index_digest\":null,\"evidence\":{\"verdict\":\"pass\","
		"\"source_revision\":null,\"signer_uid\":null,\"signer_fingerprint\":null,\"policy_hash\":null},"
		"\"base_digests\":[]}},\"kind\":\"bootgate-role-manifest\",\"format_version\":1,"
		"\"expires\":\"2025-07-01T00:00:00Z\"}";
	rc = bg_roles_parse(shuffled, strlen(shuffled), "shuffled", &p, &err);
	is_int(rc, 0, "reordered, compact input parses (%s)", err.message);
	_cleanup_free_ char *ss = p ? ser(p) : NULL;
	is_str(ss, sa, "reordered input: same canonical bytes");
	ok(p && bg_roles_find(p, "db") && bg_roles_find(p, "web") && !bg_roles_find(p, "x"), "lookup by name");
	ok(p && bg_role_entry_matches(bg_roles_find(p, "web"), D4) &&
	   bg_role_entry_matches(bg_roles_find(p, "web"), D1) &&
	   !bg_role_entry_matches(bg_roles_find(p, "web"), D2),
	   "a role matches its manifest digest or its index digest, nothing else");
	bg_roles_free(p);

	/* Non-ASCII and escapes survive a round trip byte for byte. */
	bg_role_entry odd = make("odd", D1, NULL, 0);
	odd.evidence.signer_uid = (char *)"Jos\xc3\xa9 \"QA\" \\ <jose@example.com>";
	ok(bg_roles_record(a, &odd, &err) == 0, "record a uid with quotes, backslash and UTF-8");
	_cleanup_free_ char *so = ser(a);
	rc = bg_roles_parse(so, strlen(so), "m", &p, &err);
	_cleanup_free_ char *so2 = rc == 0 ? ser(p) : NULL;
	is_str(so2, so, "escaped strings round-trip exactly");
	is_str(p ? bg_roles_find(p, "odd")->evidence.signer_uid : NULL, odd.evidence.signer_uid,
	       "escaped uid reads back");
	bg_roles_free(p);

	/* Record replaces. */
	bg_role_entry web3 = make("web", D3, NULL, 0);
	ok(bg_roles_record(a, &web3, &err) == 0 && a->n_roles == 3 &&
	   strcmp(bg_roles_find(a, "web")->manifest_digest, D3) == 0,
	   "recording an existing role replaces its entry");
	ok(bg_roles_next_revision(a, EXP + 86400, &err) == 0 && a->serial == 4 && a->expires == EXP + 86400,
	   "next revision: serial + 1, new expiry");
	ok(bg_roles_next_revision(a, T0, &err) == BG_E_USAGE && a->serial == 4,
	   "next revision: expiry not after recorded times refused");
	bg_roles_free(a);
	bg_roles_free(b);
}

static void test_record_validation(void)
{
	bg_error err;
	bg_role_manifest *m = NULL;
	bg_roles_new(1, EXP, &m, &err);
	struct {
		const char *why;
		bg_role_entry e;
	} bad[] = {
		{"name with a slash", make("a/b", D1, NULL, 0)},
		{"name starting with a dot", make(".web", D1, NULL, 0)},
		{"empty name", make("", D1, NULL, 0)},
		{"upper-case digest", make("web", "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, 0)},
		{"short digest", make("web", "sha256:1234", NULL, 0)},
		{"missing digest", make("web", NULL, NULL, 0)},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		bg_error_clear(&err);
		ok(bg_roles_record(m, &bad[i].e, &err) == BG_E_USAGE, "record refuses %s: %s", bad[i].why, err.message);
	}
	bg_role_entry e = make("web", D1, NULL, 0);
	e.evidence.verdict = NULL;
	ok(bg_roles_record(m, &e, &err) == BG_E_USAGE, "record refuses a missing verdict");
	e = make("web", D1, NULL, 0);
	e.evidence.signer_fingerprint = (char *)"567e347ad0044ade55ba8a5f199e2f91fd431d51";
	ok(bg_roles_record(m, &e, &err) == BG_E_USAGE, "record refuses a lower-case fingerprint");
	e = make("web", D1, NULL, 0);
	e.evidence.signer_uid = (char *)"evil\n\"roles\": {}";
	ok(bg_roles_record(m, &e, &err) == BG_E_USAGE, "record refuses control characters (newline) in a uid");
	e = make("web", D1, NULL, 0);
	e.evidence.source_revision = (char *)"\xc3\x28";
	ok(bg_roles_record(m, &e, &err) == BG_E_USAGE, "record refuses invalid UTF-8");
	e = make("web", D1, NULL, 0);
	e.repository = (char *)"registry.example.com/fleet/web@" D1;
	ok(bg_roles_record(m, &e, &err) == BG_E_USAGE, "record refuses a repository with a digest");
	is_int(m->n_roles, 0, "nothing recorded after refusals");
	bg_role_manifest *z = NULL;
	ok(bg_roles_new(0, EXP, &z, &err) == BG_E_USAGE && !z, "serial 0 refused");
	bg_roles_free(m);
}

static void refuses(const char *doc, const char *needle, const char *why)
{
	bg_role_manifest *m = NULL;
	bg_error err;
	bg_error_clear(&err);
	int rc = bg_roles_parse(doc, strlen(doc), "t.json", &m, &err);
	ok(rc == BG_E_INPUT && !m && strstr(err.message, needle), "parse refuses %s: %s", why, err.message);
	bg_roles_free(m);
}

#define HEAD "{\"expires\":\"2025-07-01T00:00:00Z\",\"format_version\":1,\"kind\":\"bootgate-role-manifest\","
#define ROLE(body) "\"roles\":{\"web\":{" body "}},\"serial\":1}"
#define GOOD_BODY_BUT(x)                                                                   \
	"\"base_digests\":[],\"evidence\":{\"policy_hash\":null,\"signer_fingerprint\":null," \
	"\"signer_uid\":null,\"source_revision\":null,\"verdict\":\"pass\"},"                \
	"\"index_digest\":null,\"manifest_digest\":\"" D1 "\",\"recorded\":\"2025-06-01T12:00:00Z\"," x

static void test_strict_parse(void)
{
	const char *good = HEAD ROLE(GOOD_BODY_BUT("\"repository\":\"r.example/x\""));
	bg_role_manifest *m = NULL;
	bg_error err;
	ok(bg_roles_parse(good, strlen(good), "t", &m, &err) == 0, "a minimal manifest parses (%s)", err.message);
	bg_roles_free(m);
	refuses(HEAD ROLE(GOOD_BODY_BUT("\"repository\":\"r.example/x\",\"extra\":1")), "unknown key \"extra\"",
		"an unknown key in a role");
	refuses(HEAD ROLE(GOOD_BODY_BUT("\"repository\":\"r.example/x\",\"repository\":\"y\"")), "duplicate",
		"a duplicate key");
	refuses(HEAD ROLE(GOOD_BODY_BUT("\"repository\":1")), "repository", "a number for a string");
	refuses("{\"expires\":\"2025-07-01T00:00:00Z\",\"format_version\":1,\"kind\":\"bootgate-role-manifest\","
		"\"roles\":{},\"serial\":1.0}", "serial", "a float serial");
	refuses("{\"expires\":\"2025-07-01T00:00:00Z\",\"format_version\":1,\"kind\":\"bootgate-role-manifest\","
		"\"roles\":{},\"serial\":0}", "serial", "serial 0");
	refuses("{\"expires\":\"2025-07-01T00:00:00+02:00\",\"format_version\":1,\"kind\":\"bootgate-role-manifest\","
		"\"roles\":{},\"serial\":1}", "RFC 3339 UTC", "a non-UTC expiry");
	refuses("{\"expires\":\"2025-02-30T00:00:00Z\",\"format_version\":1,\"kind\":\"bootgate-role-manifest\","
		"\"roles\":{},\"serial\":1}", "not a valid date", "February 30th");
	refuses("{\"expires\":\"2025-07-01T00:00:00Z\",\"format_version\":2,\"kind\":\"bootgate-role-manifest\","
		"\"roles\":{},\"serial\":1}", "format_version 2", "a future format version");
	refuses("{\"entry\":{},\"format_version\":1,\"kind\":\"bootgate-role-fragment\",\"role\":\"web\"}",
		"expected \"bootgate-role-manifest\"", "a fragment given as a manifest");
	refuses("{\"expires\":\"2025-07-01T00:00:00Z\",\"format_version\":1,\"kind\":\"bootgate-role-manifest\","
		"\"roles\":{},\"serial\":1} x", "invalid JSON", "trailing data");
	refuses("{\"expires\":\"2025-07-01T00:00:00Z\",\"format_version\":1,\"kind\":\"bootgate-role-manifest\","
		"\"roles\":{},\"serial\":1,\"note\":\"\"}", "unknown key \"note\"", "an unknown top-level key");
	refuses(HEAD "\"roles\":{\"we b\":{" GOOD_BODY_BUT("\"repository\":\"r.example/x\"") "}},\"serial\":1}",
		"role name", "an invalid role name");
	const char *unsorted = HEAD ROLE(
		"\"base_digests\":[\"" D2 "\",\"" D1 "\"],\"evidence\":{\"policy_hash\":null,\"signer_fingerprint\":null,"
		"\"signer_uid\":null,\"source_revision\":null,\"verdict\":\"pass\"},"
		"\"index_digest\":null,\"manifest_digest\":\"" D1 "\",\"recorded\":\"2025-06-01T12:00:00Z\","
		"\"repository\":\"r\"");
	refuses(unsorted, "sorted and unique", "unsorted base digests");
	refuses(HEAD ROLE("\"base_digests\":[],\"evidence\":{\"policy_hash\":null,\"signer_fingerprint\":null,"
			  "\"signer_uid\":null,\"source_revision\":null},\"index_digest\":null,"
			  "\"manifest_digest\":\"" D1 "\",\"recorded\":\"2025-06-01T12:00:00Z\",\"repository\":\"r\""),
		"verdict", "a missing verdict");
	refuses(HEAD ROLE("\"base_digests\":[],\"evidence\":{\"policy_hash\":null,\"signer_fingerprint\":null,"
			  "\"signer_uid\":null,\"verdict\":\"pass\"},\"index_digest\":null,"
			  "\"manifest_digest\":\"" D1 "\",\"recorded\":\"2025-06-01T12:00:00Z\",\"repository\":\"r\""),
		"source_revision", "a missing nullable member (every member is written)");
}

static void test_time(void)
{
	bg_error err;
	int64_t t = 0;
	ok(bg_roles_time_parse("2025-06-01T12:00:00Z", &t, &err) == 0 && t == T0, "time parses");
	char buf[BG_ROLES_TIME_MAX];
	bg_roles_time_format(T0, buf);
	is_str(buf, "2025-06-01T12:00:00Z", "time formats");
	ok(bg_roles_time_parse("2024-02-29T23:59:59Z", &t, &err) == 0, "leap day accepted");
	ok(bg_roles_time_parse("2025-06-01T12:00:00.5Z", &t, &err) == BG_E_INPUT, "fractions refused");
	ok(bg_roles_time_parse("2025-06-01 12:00:00Z", &t, &err) == BG_E_INPUT, "space separator refused");
	ok(bg_roles_time_parse("2025-06-01T24:00:00Z", &t, &err) == BG_E_INPUT, "hour 24 refused");
	ok(bg_roles_time_parse("1969-12-31T23:59:59Z", &t, &err) == BG_E_INPUT, "before 1970 refused");
}

static void test_fragments_merge(void)
{
	bg_error err;
	char *bases[] = {(char *)D2, (char *)D1};
	bg_role_entry web = make("web", D1, bases, 2), db = db_entry();
	_cleanup_free_ char *fw = NULL;
	int rc = bg_roles_fragment_serialize(&web, &fw, NULL, &err);
	is_int(rc, 0, "fragment serialises");
	ok(fw && strstr(fw, "\"kind\": \"bootgate-role-fragment\"") && strstr(fw, "\"role\": \"web\""),
	   "fragment names its kind and role");
	bg_role_entry back;
	rc = bg_roles_fragment_parse(fw, strlen(fw), "web.json", &back, &err);
	ok(rc == 0 && strcmp(back.name, "web") == 0 && back.n_base_digests == 2 &&
	   strcmp(back.base_digests[0], D1) == 0, "fragment parses back with sorted bases (%s)", err.message);
	_cleanup_free_ char *fw2 = NULL;
	bg_roles_fragment_serialize(&back, &fw2, NULL, &err);
	is_str(fw2, fw, "fragment round trip: same bytes");
	bg_role_entry_clear(&back);
	const char *asmanifest = expected_doc;
	ok(bg_roles_fragment_parse(asmanifest, strlen(asmanifest), "m", &back, &err) == BG_E_INPUT,
	   "a manifest is not a fragment");

	const char *roles[] = {"web", "db"};
	bg_role_manifest *m = NULL;
	bg_roles_new(1, EXP, &m, &err);
	bg_role_entry frags[] = {web, db};
	rc = bg_roles_merge(m, frags, 2, roles, 2, &err);
	ok(rc == 0 && m->n_roles == 2 && strcmp(m->roles[0].name, "db") == 0, "merge two fragments (%s)", err.message);

	bg_role_entry web_new = make("web", D3, NULL, 0);
	bg_role_entry dup[] = {web_new, db, web};
	_cleanup_free_ char *before = ser(m);
	bg_error_clear(&err);
	rc = bg_roles_merge(m, dup, 3, roles, 2, &err);
	ok(rc == BG_E_INPUT && strstr(err.message, "fragments 1 and 3") && strstr(err.message, "\"web\""),
	   "merge refuses two fragments for one role: %s", err.message);
	_cleanup_free_ char *after = ser(m);
	is_str(after, before, "refused merge leaves the manifest unchanged");

	bg_role_entry stranger = make("cache", D1, NULL, 0);
	bg_role_entry unk[] = {web_new, stranger};
	bg_error_clear(&err);
	rc = bg_roles_merge(m, unk, 2, roles, 2, &err);
	ok(rc == BG_E_INPUT && strstr(err.message, "\"cache\"") && strstr(err.message, "not one of the configured"),
	   "merge refuses a fragment for a role not configured: %s", err.message);
	_cleanup_free_ char *after2 = ser(m);
	is_str(after2, before, "... and changes nothing (web not replaced)");

	ok(bg_roles_merge(m, unk, 1, roles, 0, &err) == BG_E_USAGE, "merge without a role list refused");

	bg_role_entry one[] = {web_new};
	rc = bg_roles_merge(m, one, 1, roles, 2, &err);
	ok(rc == 0 && strcmp(bg_roles_find(m, "web")->manifest_digest, D3) == 0 && m->n_roles == 2,
	   "merge replaces an existing role's entry");

	/* Files: atomic write, load. */
	char dir[] = "/tmp/bootgate-test-roles-XXXXXX";
	ok(mkdtemp(dir) != NULL, "temp dir");
	char path[256], fpath[256];
	snprintf(path, sizeof path, "%s/roles.manifest.json", dir);
	snprintf(fpath, sizeof fpath, "%s/web.fragment.json", dir);
	ok(bg_roles_write(m, path, &err) == 0, "write manifest (%s)", err.message);
	ok(bg_roles_fragment_write(&web, fpath, &err) == 0, "write fragment");
	bg_role_manifest *l = NULL;
	ok(bg_roles_load(path, &l, &err) == 0, "load manifest back");
	_cleanup_free_ char *sl = l ? ser(l) : NULL, *sm = ser(m);
	is_str(sl, sm, "loaded manifest serialises to the same bytes");
	bg_role_entry lf;
	ok(bg_roles_fragment_load(fpath, &lf, &err) == 0 && strcmp(lf.manifest_digest, D1) == 0, "load fragment");
	bg_role_entry_clear(&lf);
	struct stat st;
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644, "manifest file is 0644");
	bg_roles_free(l);
	unlink(path);
	unlink(fpath);
	ok(rmdir(dir) == 0, "no temporary file left next to the manifest");
	bg_roles_free(m);
}

static void test_diff(void)
{
	bg_error err;
	bg_role_manifest *a = NULL, *b = NULL;
	bg_roles_new(3, EXP, &a, &err);
	bg_roles_new(4, EXP + 86400, &b, &err);
	char *b1[] = {(char *)D1}, *b2[] = {(char *)D2};
	bg_role_entry web_a = make("web", D1, b1, 1), web_b = make("web", D2, b2, 1);
	web_b.evidence.policy_hash = (char *)D4;
	web_b.evidence.signer_fingerprint = (char *)"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	web_b.evidence.signer_uid = (char *)"Mallory `x` <m@example.com>";
	bg_role_entry db = db_entry(), cache = make("cache", D3, NULL, 0), same = make("same", D1, NULL, 0);
	bg_roles_record(a, &web_a, &err);
	bg_roles_record(a, &db, &err);
	bg_roles_record(a, &same, &err);
	bg_roles_record(b, &web_b, &err);
	bg_roles_record(b, &cache, &err);
	bg_roles_record(b, &same, &err);
	char *text = NULL;
	bool changed = false;
	int rc = bg_roles_diff(a, b, BG_ROLES_DIFF_TEXT, &text, &changed, &err);
	ok(rc == 0 && changed, "diff: changed");
	ok(text && strstr(text, "serial 3 -> 4"), "diff text: serial");
	ok(text && strstr(text, "+ role cache added"), "diff text: added role");
	ok(text && strstr(text, "- role db removed"), "diff text: removed role");
	ok(text && strstr(text, "manifest digest: " D1 " -> " D2), "diff text: digest change");
	ok(text && strstr(text, "base digest removed: " D1) && strstr(text, "base digest added: " D2),
	   "diff text: base change");
	ok(text && strstr(text, "policy: " D3 " -> " D4), "diff text: policy change");
	ok(text && strstr(text, "signer: " FPR " (Red Hat") && strstr(text, "-> AAAAAAAA"), "diff text: signer change");
	ok(text && strstr(text, "1 role unchanged"), "diff text: unchanged role counted, not listed");
	ok(text && !strstr(text, "role same"), "diff text: unchanged role not listed");
	free(text);
	rc = bg_roles_diff(a, b, BG_ROLES_DIFF_MARKDOWN, &text, &changed, &err);
	ok(rc == 0 && text && strstr(text, "### Role manifest: serial 3 → 4"), "diff markdown: heading");
	ok(text && strstr(text, "- `web` **changed**") && strstr(text, "  - manifest digest: `" D1 "` → `" D2 "`"),
	   "diff markdown: per-role list with code spans");
	ok(text && strstr(text, "Mallory 'x'") && !strstr(text, "`x`"),
	   "diff markdown: a backtick in a uid cannot break out of its code span");
	free(text);
	rc = bg_roles_diff(a, a, BG_ROLES_DIFF_TEXT, &text, &changed, &err);
	ok(rc == 0 && !changed && strstr(text, "no role changed") && strstr(text, "warning: the new serial"),
	   "diff of a manifest with itself: nothing changed, serial warning");
	free(text);
	bg_roles_free(a);
	bg_roles_free(b);
}

int main(void)
{
	test_deterministic();
	test_record_validation();
	test_strict_parse();
	test_time();
	test_fragments_merge();
	test_diff();
	return tap_done();
}
