/* Tests for the strict containers-signature(5) payload parser. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/signature.h"
#include "tests/tap.h"
#include "util.h"

#define D256 "sha256:0bcda3cee9b26d45d24d901e63c093e3fca6e289973a68cddaf61817296a69bc"
#define CRIT(type, digest, ref)                                                              \
	"\"critical\":{\"type\":" type ",\"image\":{\"docker-manifest-digest\":" digest "},"   \
	"\"identity\":{\"docker-reference\":" ref "}}"
#define GOOD_CRIT CRIT("\"atomic container signature\"", "\"" D256 "\"", "\"example.test/a/b:1\"")
#define WITH_OPT(opt) "{" GOOD_CRIT ",\"optional\":" opt "}"

static int parse(const char *s, size_t len, bg_sigpayload *p, bg_error *err)
{
	return bg_sigpayload_parse(s, len, p, err);
}

struct bad_case {
	const char *name;
	const char *json;
	const char *message_part; /* must appear in the error message */
};

static const struct bad_case bad_cases[] = {
	{"empty document", "", "invalid JSON"},
	{"not an object", "[1,2]", "must be a JSON object"},
	{"top-level null", "null", "must be a JSON object"},
	{"unknown top-level key", "{" GOOD_CRIT ",\"optional\":{},\"extra\":1}", "unknown key \"extra\""},
	{"critical missing", "{\"optional\":{}}", "key \"critical\" is missing"},
	{"optional missing", "{" GOOD_CRIT "}", "key \"optional\" is missing"},
	{"optional null", WITH_OPT("null"), "optional must be a JSON object"},
	{"optional array", WITH_OPT("[]"), "optional must be a JSON object"},
	{"critical not an object", "{\"critical\":[],\"optional\":{}}", "critical must be a JSON object"},
	{"unknown key in critical",
	 "{\"critical\":{\"type\":\"atomic container signature\",\"image\":{\"docker-manifest-digest\":\"" D256
	 "\"},\"identity\":{\"docker-reference\":\"a/b:1\"},\"extra\":1},\"optional\":{}}",
	 "critical: unknown key \"extra\""},
	{"type missing",
	 "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"" D256
	 "\"},\"identity\":{\"docker-reference\":\"a/b:1\"}},\"optional\":{}}",
	 "key \"type\" is missing"},
	{"image missing",
	 "{\"critical\":{\"type\":\"atomic container signature\",\"identity\":{\"docker-reference\":\"a/b:1\"}},"
	 "\"optional\":{}}",
	 "key \"image\" is missing"},
	{"identity missing",
	 "{\"critical\":{\"type\":\"atomic container signature\",\"image\":{\"docker-manifest-digest\":\"" D256
	 "\"}},\"optional\":{}}",
	 "key \"identity\" is missing"},
	{"wrong type string", "{" CRIT("\"atomic container signature \"", "\"" D256 "\"", "\"a/b:1\"") ",\"optional\":{}}",
	 "critical.type must be"},
	{"cosign type string",
	 "{" CRIT("\"cosign container image signature\"", "\"" D256 "\"", "\"a/b:1\"") ",\"optional\":{}}",
	 "critical.type must be"},
	{"type not a string", "{" CRIT("1", "\"" D256 "\"", "\"a/b:1\"") ",\"optional\":{}}", "critical.type"},
	{"image not an object",
	 "{\"critical\":{\"type\":\"atomic container signature\",\"image\":\"" D256
	 "\",\"identity\":{\"docker-reference\":\"a/b:1\"}},\"optional\":{}}",
	 "critical.image must be a JSON object"},
	{"unknown key in image",
	 "{\"critical\":{\"type\":\"atomic container signature\",\"image\":{\"docker-manifest-digest\":\"" D256
	 "\",\"x\":1},\"identity\":{\"docker-reference\":\"a/b:1\"}},\"optional\":{}}",
	 "critical.image: unknown key \"x\""},
	{"digest missing",
	 "{\"critical\":{\"type\":\"atomic container signature\",\"image\":{},"
	 "\"identity\":{\"docker-reference\":\"a/b:1\"}},\"optional\":{}}",
	 "key \"docker-manifest-digest\" is missing"},
	{"digest null", "{" CRIT("\"atomic container signature\"", "null", "\"a/b:1\"") ",\"optional\":{}}",
	 "docker-manifest-digest must be a string"},
	{"digest not a string", "{" CRIT("\"atomic container signature\"", "5", "\"a/b:1\"") ",\"optional\":{}}",
	 "docker-manifest-digest must be a string"},
	{"digest path traversal", "{" CRIT("\"atomic container signature\"", "\"sha256:../..\"", "\"a/b:1\"") ",\"optional\":{}}",
	 "docker-manifest-digest"},
	{"digest upper-case hex",
	 "{" CRIT("\"atomic container signature\"",
		  "\"sha256:0BCDA3CEE9B26D45D24D901E63C093E3FCA6E289973A68CDDAF61817296A69BC\"",
		  "\"a/b:1\"") ",\"optional\":{}}",
	 "docker-manifest-digest"},
	{"identity not an object",
	 "{\"critical\":{\"type\":\"atomic container signature\",\"image\":{\"docker-manifest-digest\":\"" D256
	 "\"},\"identity\":\"a/b:1\"},\"optional\":{}}",
	 "critical.identity must be a JSON object"},
	{"unknown key in identity",
	 "{\"critical\":{\"type\":\"atomic container signature\",\"image\":{\"docker-manifest-digest\":\"" D256
	 "\"},\"identity\":{\"docker-reference\":\"a/b:1\",\"x\":1}},\"optional\":{}}",
	 "critical.identity: unknown key \"x\""},
	{"reference null", "{" CRIT("\"atomic container signature\"", "\"" D256 "\"", "null") ",\"optional\":{}}",
	 "docker-reference must be a string"},
	{"reference not a string", "{" CRIT("\"atomic container signature\"", "\"" D256 "\"", "[]") ",\"optional\":{}}",
	 "docker-reference must be a string"},
	{"reference empty", "{" CRIT("\"atomic container signature\"", "\"" D256 "\"", "\"\"") ",\"optional\":{}}",
	 "docker-reference is empty"},
	{"creator not a string", WITH_OPT("{\"creator\":5}"), "optional.creator must be a string"},
	{"creator null", WITH_OPT("{\"creator\":null}"), "optional.creator must be a string"},
	{"fractional timestamp", WITH_OPT("{\"timestamp\":0.5}"), "optional.timestamp must be an integer"},
	{"string timestamp", WITH_OPT("{\"timestamp\":\"1700000000\"}"), "optional.timestamp must be a number"},
	{"null timestamp", WITH_OPT("{\"timestamp\":null}"), "optional.timestamp must be a number"},
	{"timestamp beyond int64", WITH_OPT("{\"timestamp\":1e19}"), "optional.timestamp must be an integer"},
	{"timestamp too large for a double", WITH_OPT("{\"timestamp\":1e400}"), "invalid JSON"},
	{"duplicate top-level key", "{" GOOD_CRIT "," GOOD_CRIT ",\"optional\":{}}", "duplicate"},
	{"duplicate key in critical",
	 "{\"critical\":{\"type\":\"atomic container signature\",\"type\":\"atomic container signature\","
	 "\"image\":{\"docker-manifest-digest\":\"" D256 "\"},\"identity\":{\"docker-reference\":\"a/b:1\"}},"
	 "\"optional\":{}}",
	 "duplicate"},
	{"duplicate key in optional", WITH_OPT("{\"creator\":\"a\",\"creator\":\"b\"}"), "duplicate"},
	{"duplicate key via escape", WITH_OPT("{\"creator\":\"a\",\"\\u0063reator\":\"b\"}"), "duplicate"},
	{"trailing garbage", WITH_OPT("{}") "x", "invalid JSON"},
	{"second document", WITH_OPT("{}") WITH_OPT("{}"), "invalid JSON"},
	{"NUL escape in reference",
	 "{" CRIT("\"atomic container signature\"", "\"" D256 "\"", "\"a/b:1\\u0000evil\"") ",\"optional\":{}}",
	 "invalid JSON"},
	{"invalid UTF-8 in creator", WITH_OPT("{\"creator\":\"\xc3\x28\"}"), "invalid JSON"},
	{"trailing comma", WITH_OPT("{\"creator\":\"a\",}"), "invalid JSON"},
};

static void test_bad_cases(void)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *c = &bad_cases[i];
		bg_sigpayload p;
		bg_error err = {0};
		int rc = parse(c->json, strlen(c->json), &p, &err);
		ok(rc == BG_E_INPUT && p.docker_reference == NULL, "rejected: %s", c->name);
		if (!ok(strstr(err.message, c->message_part) != NULL, "message for %s names the problem",
			c->name))
			tap_diag("message: %s", err.message);
	}
}

static void test_accepted(void)
{
	bg_sigpayload p;
	bg_error err = {0};
	/* What containers/image writes: compact, keys sorted. */
	const char *cimage =
		"{\"critical\":{\"identity\":{\"docker-reference\":\"registry.example.test/gate/base:1.0\"},"
		"\"image\":{\"docker-manifest-digest\":\"" D256 "\"},\"type\":\"atomic container signature\"},"
		"\"optional\":{\"creator\":\"atomic 5.23.1\",\"timestamp\":1796314811}}";
	is_int(parse(cimage, strlen(cimage), &p, &err), 0, "containers/image payload accepted");
	is_str(p.docker_manifest_digest, D256, "digest extracted");
	is_str(p.docker_reference, "registry.example.test/gate/base:1.0", "reference extracted");
	is_str(p.creator, "atomic 5.23.1", "creator extracted");
	ok(p.has_timestamp && p.timestamp == 1796314811, "timestamp extracted");
	bg_sigpayload_free(&p);
	ok(p.docker_reference == NULL && p.creator == NULL, "free zeroes the struct");

	/* Red Hat's signer: Python json.dumps spacing, its own key order, no
	 * timestamp, creator with a trailing space. */
	const char *redhat =
		"{\"critical\": {\"type\": \"atomic container signature\", \"image\": "
		"{\"docker-manifest-digest\": \"" D256 "\"}, \"identity\": {\"docker-reference\": "
		"\"registry.access.redhat.com/rhel7:7.6\"}}, \"optional\": {\"creator\": \"Red Hat RCM Pub "
		"0.35.0-final \"}}";
	is_int(parse(redhat, strlen(redhat), &p, &err), 0, "Python-style payload without timestamp accepted");
	ok(!p.has_timestamp, "missing timestamp reported as absent");
	is_str(p.creator, "Red Hat RCM Pub 0.35.0-final ", "creator kept byte for byte (trailing space)");
	bg_sigpayload_free(&p);

	const char *empty_opt = WITH_OPT("{}");
	is_int(parse(empty_opt, strlen(empty_opt), &p, &err), 0, "empty optional accepted");
	ok(!p.creator && !p.has_timestamp, "no creator, no timestamp");
	bg_sigpayload_free(&p);

	const char *unknown_opt = WITH_OPT("{\"whatever\":[1,{\"x\":null}],\"creator\":\"c\"}");
	is_int(parse(unknown_opt, strlen(unknown_opt), &p, &err), 0, "unknown optional member accepted");
	bg_sigpayload_free(&p);

	const char *exp_ts = WITH_OPT("{\"timestamp\":1e9}");
	is_int(parse(exp_ts, strlen(exp_ts), &p, &err), 0, "exponent timestamp with integral value accepted");
	ok(p.has_timestamp && p.timestamp == 1000000000, "1e9 read as 1000000000");
	bg_sigpayload_free(&p);

	const char *neg_ts = WITH_OPT("{\"timestamp\":-5}");
	is_int(parse(neg_ts, strlen(neg_ts), &p, &err), 0, "negative integer timestamp accepted");
	ok(p.timestamp == -5, "negative timestamp value");
	bg_sigpayload_free(&p);

	const char *sha512 = "{" CRIT("\"atomic container signature\"",
				      "\"sha512:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
				      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"",
				      "\"a/b:1\"") ",\"optional\":{}}";
	is_int(parse(sha512, strlen(sha512), &p, &err), 0,
	       "sha512 digest parses (it can never match a sha256 manifest digest later)");
	bg_sigpayload_free(&p);

	const char *pretty = "{\n  \"critical\": {\n    \"type\": \"atomic container signature\",\n"
			     "    \"image\": {\"docker-manifest-digest\": \"" D256 "\"},\n"
			     "    \"identity\": {\"docker-reference\": \"a/b:1\"}\n  },\n  \"optional\": {}\n}\n";
	is_int(parse(pretty, strlen(pretty), &p, &err), 0, "pretty-printed payload with trailing newline accepted");
	bg_sigpayload_free(&p);

	/* Not NUL-terminated input: the parser must honour len. */
	char buf[512];
	size_t n = strlen(empty_opt);
	memcpy(buf, empty_opt, n);
	memset(buf + n, 'x', sizeof buf - n);
	is_int(parse(buf, n, &p, &err), 0, "length-delimited input (no NUL) accepted");
	bg_sigpayload_free(&p);
	is_int(parse(buf, n + 1, &p, &err), BG_E_INPUT, "one more byte of garbage refused");
	bg_sigpayload_free(NULL);
}

/* corpus: payload-variants made for skopeo 1.9.3; which ones the parser
 * itself must refuse (the others fail later on digest or identity, or pass). */
static void test_corpus_variants(const char *corpus)
{
	static const struct {
		const char *prefix;
		bool parses;
	} expect[] = {
		{"00-", true},  {"01-", false}, {"02-", false}, {"03-", false}, {"04-", true},
		{"05-", false}, {"06-", false}, {"07-", true},  {"08-", false}, {"09-", true},
		{"10-", false}, {"11-", false}, {"12-", false}, {"13-", false}, {"14-", false},
		{"15-", false}, {"16-", false}, {"17-", true},  {"18-", true},  {"19-", true},
		{"20-", false}, {"21-", false}, {"22-", false}, {"23-", false}, {"24-", true},
		{"25-", true},  {"26-", false},
	};
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/generated-skopeo-1.9.3/payload-variants", corpus);
	DIR *d = opendir(dir);
	if (!ok(d != NULL, "corpus payload-variants directory readable"))
		return;
	size_t seen = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
			if (strncmp(e->d_name, expect[i].prefix, 3) != 0)
				continue;
			char path[8192];
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			_cleanup_free_ char *data = NULL;
			size_t len;
			bg_error err = {0};
			if (bg_read_file(path, 1 << 20, &data, &len, &err) < 0) {
				ok(false, "read %s: %s", e->d_name, err.message);
				break;
			}
			bg_sigpayload p;
			int rc = parse(data, len, &p, &err);
			ok((rc == 0) == expect[i].parses, "corpus payload %s %s", e->d_name,
			   expect[i].parses ? "parses" : "is refused by the parser");
			bg_sigpayload_free(&p);
			seen++;
		}
	}
	closedir(d);
	is_int(seen, 27, "all 27 corpus payload variants checked");

	/* Red Hat's real payload, exact bytes. */
	char path[4096];
	snprintf(path, sizeof path, "%s/redhat-sig/lookaside/rhel7-signature-1.payload.json", corpus);
	_cleanup_free_ char *data = NULL;
	size_t len;
	bg_error err = {0};
	if (!ok(bg_read_file(path, 1 << 20, &data, &len, &err) == 0, "Red Hat payload readable"))
		return;
	bg_sigpayload p;
	is_int(parse(data, len, &p, &err), 0, "Red Hat's real payload accepted");
	is_str(p.docker_reference, "registry.access.redhat.com/rhel7:7.6", "Red Hat payload identity");
	is_str(p.docker_manifest_digest,
	       "sha256:e3f12513a4b22a2d7c0e7c9207f52128113758d9d68c7d06b11a0ac7672966f7",
	       "Red Hat payload digest");
	ok(!p.has_timestamp, "Red Hat payload has no timestamp");
	bg_sigpayload_free(&p);
}

int main(void)
{
	test_bad_cases();
	test_accepted();
	const char *corpus = getenv("BOOTGATE_CORPUS_DIR");
	if (corpus && *corpus)
		test_corpus_variants(corpus);
	else
		tap_diag("BOOTGATE_CORPUS_DIR not set: corpus payload variants skipped");
	return tap_done();
}
