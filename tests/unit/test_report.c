/* Tests for report: every format against a golden file under
 * testdata/report/, plus structural checks that hold whatever the goldens
 * say (parsing back, counts, escaping, fingerprints, verdict).
 *
 * To regenerate the goldens after an intended change:
 *   BOOTGATE_UPDATE_GOLDEN=1 BOOTGATE_TESTDATA=$PWD/testdata build/tests/unit/test_report
 * and review the diff. */
#include "bootgate/report.h"
#include "tests/tap.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- fixture ---- */

static const bg_rule rule_base = {
	.id = "base-unpinned",
	.severity = BG_SEV_ERROR,
	.summary = "Base image is not pinned by digest",
	.help = "Pin it: FROM registry/name@sha256:<digest>.",
	.controls = {"CM-2", "CM-6", "SR-3", "SR-11"},
};
static const bg_rule rule_gpg = {
	.id = "dnf-gpgcheck-disabled",
	.severity = BG_SEV_ERROR,
	.summary = "Package signature checking is disabled",
	.help = "Remove --nogpgcheck; import the vendor key instead.",
	.controls = {"SI-7", "CM-14"},
};
static const bg_rule rule_curl = {
	.id = "curl-pipe-shell",
	.severity = BG_SEV_WARNING,
	.summary = "Downloaded script is run without verification",
	.help = "Download, check the sha256, then run.",
	.controls = {"SI-7", "SR-11"},
};
static const bg_rule rule_label = {
	.id = "label-missing",
	.severity = BG_SEV_INFO,
	.summary = "Image source label is missing",
	.help = NULL,
	.controls = {"CM-8"},
};
/* Not in the active list on purpose: SARIF must still index it. */
static const bg_rule rule_parse = {
	.id = "parse-error",
	.severity = BG_SEV_ERROR,
	.summary = "The Containerfile cannot be parsed",
	.help = "Fix the syntax error.",
	.controls = {NULL},
};

static const bg_rule *const active_rules[] = {&rule_base, &rule_gpg, &rule_curl, &rule_label};

#define ODD_FILE "odd dir/a,b:c%.cf"
static const char *const subjects[] = {"Containerfile", "images/base/Containerfile", ODD_FILE,
				       "clean/Containerfile"};

static bg_finding *add(bg_findings *l, const bg_rule *rule, bg_severity sev, const char *file,
		       unsigned line, unsigned col, const char *message, const char *snippet)
{
	bg_finding *f = bg_findings_add(l, rule, sev, file, line, col, "%s", message);
	if (f && snippet)
		bg_finding_set_snippet(f, snippet, strlen(snippet));
	return f;
}

/* shift moves every line down, as if a line had been added at the top. */
static void build_findings(bg_findings *l, unsigned shift)
{
	bg_finding *f;
	add(l, &rule_base, BG_SEV_ERROR, "Containerfile", 1 + shift, 6,
	    "base image registry.redhat.io/rhel9/rhel-bootc:9.6 is not pinned by digest",
	    "FROM registry.redhat.io/rhel9/rhel-bootc:9.6");
	f = add(l, &rule_gpg, BG_SEV_ERROR, "Containerfile", 4 + shift, 1,
		"dnf runs with --nogpgcheck", "RUN dnf -y --nogpgcheck install foo");
	f->suppressed = true;
	f->suppress_reason = strdup("vendor repo is \"signed\" out of band");
	add(l, &rule_curl, BG_SEV_WARNING, "Containerfile", 7 + shift, 6,
	    "curl output piped to \"sh\": 100% trust in <https://x.example/a&b>",
	    "RUN\tcurl -fsSL https://x.example/a&b | sh");
	add(l, &rule_label, BG_SEV_INFO, "Containerfile", 0, 0,
	    "no LABEL org.opencontainers.image.source", NULL);
	/* Invalid UTF-8 (\xe9 alone), a newline, commas and colons. */
	add(l, &rule_base, BG_SEV_ERROR, "./images/base/Containerfile", 3 + shift, 15,
	    "base image \"caf\xe9\" is not pinned\nsecond line: with, commas",
	    "FROM  \xc3\xbcn\xc3\xaf/caf\xe9:latest AS x");
	/* Two identical findings on two lines: distinct fingerprints. */
	add(l, &rule_curl, BG_SEV_WARNING, "images/base/Containerfile", 8 + shift, 5,
	    "curl output piped to sh", "RUN curl https://x | sh");
	add(l, &rule_curl, BG_SEV_WARNING, "images/base/Containerfile", 9 + shift, 5,
	    "curl output piped to sh", "RUN   curl https://x | sh");
	/* CR LF, an escape sequence, XML specials; a rule not listed as active. */
	add(l, &rule_parse, BG_SEV_ERROR, ODD_FILE, 2 + shift, 1,
	    "unterminated heredoc <<EOF\r\n; control \x1b[31m char & 'quote' \x01", "RUN <<EOF");
	f = add(l, &rule_curl, BG_SEV_WARNING, ODD_FILE, 2 + shift, 5, "spans lines 2-5",
		"RUN <<EOF");
	f->end_line = 5 + shift;
	f->end_column = 4;
	bg_findings_sort(l);
}

static bg_report make_report(const bg_findings *l, bg_severity threshold)
{
	return (bg_report){
		.tool_version = "0.1.0",
		.command = "lint",
		.findings = l,
		.subjects = subjects,
		.nsubjects = sizeof subjects / sizeof subjects[0],
		.rules = active_rules,
		.nrules = sizeof active_rules / sizeof active_rules[0],
		.threshold = threshold,
	};
}

/* ---- helpers ---- */

static char *render(bg_format fmt, const bg_report *r, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bg_error err = {0};
	if (!f)
		return NULL;
	*rc = bg_report_write(f, fmt, r, &err);
	fclose(f);
	if (*rc < 0)
		tap_diag("bg_report_write(%s): %s", bg_format_name(fmt), err.message);
	return buf;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[4096];
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			buf = realloc(buf, cap);
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	else
		buf[len] = '\0';
	return buf;
}

static void check_golden(const char *name, const char *got)
{
	const char *dir = getenv("BOOTGATE_TESTDATA");
	char path[4096];
	snprintf(path, sizeof path, "%s/report/%s", dir, name);
	const char *update = getenv("BOOTGATE_UPDATE_GOLDEN");
	if (update && strcmp(update, "1") == 0) {
		FILE *f = fopen(path, "wb");
		ok(f && fputs(got, f) != EOF && fclose(f) == 0, "golden %s written", name);
		return;
	}
	char *want = read_all(path);
	if (!want) {
		ok(false, "golden %s readable (%s)", name, path);
		return;
	}
	bool same = strcmp(got, want) == 0;
	ok(same, "%s matches golden testdata/report/%s", name, name);
	if (!same) {
		/* Show the first line that differs. */
		size_t i = 0, line = 1, start = 0;
		while (got[i] && got[i] == want[i]) {
			if (got[i] == '\n') {
				line++;
				start = i + 1;
			}
			i++;
		}
		tap_diag("first difference on line %zu:\n#   got:  %.120s\n#   want: %.120s", line,
			 got + start, want + start);
	}
	free(want);
}

static json_object *parse_json(const char *text)
{
	enum json_tokener_error jerr;
	json_object *o = json_tokener_parse_verbose(text, &jerr);
	if (!o)
		tap_diag("json parse error: %s", json_tokener_error_desc(jerr));
	return o;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static json_object *at(json_object *a, size_t i)
{
	return a && json_object_is_type(a, json_type_array) && i < json_object_array_length(a)
		       ? json_object_array_get_idx(a, i)
		       : NULL;
}

static const char *str(json_object *o)
{
	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

static long long num(json_object *o)
{
	return o ? json_object_get_int64(o) : -1;
}

static size_t count_substr(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static const char *find_line(const char *text, const char *prefix)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return p;
	return NULL;
}

static bool is_valid_utf8(const char *s)
{
	char *clean = bg_report_utf8(s);
	bool same = clean && strcmp(clean, s) == 0;
	free(clean);
	return same;
}

/* ---- tests ---- */

static void test_format_names(void)
{
	static const char *const names[] = {"text", "json", "sarif", "codeclimate", "junit",
					    "github"};
	for (int i = 0; i < 6; i++) {
		bg_format f = BG_FORMAT_TEXT;
		ok(bg_format_parse(names[i], &f) == 0 && (int)f == i &&
			   strcmp(bg_format_name(f), names[i]) == 0,
		   "format %s parses and names itself", names[i]);
	}
	bg_format f = BG_FORMAT_JSON;
	ok(bg_format_parse("xml", &f) == -1 && f == BG_FORMAT_JSON,
	   "unknown format name is refused and *out left alone");
	ok(bg_format_parse("JSON", &f) == -1, "format names are case-sensitive");
	is_str(bg_format_name((bg_format)42), "unknown", "out-of-range format has a name");
}

static void test_utf8(void)
{
	char *s;
	s = bg_report_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	is_str(s, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "valid UTF-8 is kept as is");
	free(s);
	s = bg_report_utf8("a\xe9z");
	is_str(s, "a\xef\xbf\xbdz", "a lone Latin-1 byte becomes U+FFFD");
	free(s);
	s = bg_report_utf8("\xc0\xaf");
	is_str(s, "\xef\xbf\xbd\xef\xbf\xbd", "an overlong '/' is not let through");
	free(s);
	s = bg_report_utf8("\xed\xa0\x80");
	ok(s && !strstr(s, "\xed\xa0"), "a UTF-16 surrogate is replaced");
	free(s);
	s = bg_report_utf8("\xf4\x90\x80\x80");
	ok(s && !strstr(s, "\xf4\x90"), "a code point above U+10FFFF is replaced");
	free(s);
	s = bg_report_utf8("end\xe2\x82");
	is_str(s, "end\xef\xbf\xbd\xef\xbf\xbd", "a sequence cut by the end of the string is replaced");
	free(s);
	s = bg_report_utf8(NULL);
	is_str(s, "", "NULL becomes the empty string");
	free(s);
	is_str(bg_report_path("././a/b"), "a/b", "leading ./ is dropped from paths");
	is_str(bg_report_path("../a"), "../a", "../ is kept");
}

static void test_goldens(void)
{
	bg_findings l = {0};
	build_findings(&l, 0);
	bg_report r = make_report(&l, BG_SEV_ERROR);
	static const struct {
		bg_format fmt;
		const char *golden;
	} cases[] = {
		{BG_FORMAT_TEXT, "findings.txt"},
		{BG_FORMAT_JSON, "findings.json"},
		{BG_FORMAT_SARIF, "findings.sarif"},
		{BG_FORMAT_CODECLIMATE, "findings.codeclimate.json"},
		{BG_FORMAT_JUNIT, "findings.junit.xml"},
		{BG_FORMAT_GITHUB, "findings.github.txt"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = -1;
		char *a = render(cases[i].fmt, &r, &rc);
		char *b = render(cases[i].fmt, &r, &rc);
		ok(rc == 0 && a && b && strcmp(a, b) == 0, "%s: same bytes on two runs",
		   bg_format_name(cases[i].fmt));
		ok(a && is_valid_utf8(a), "%s: output is valid UTF-8 despite invalid input",
		   bg_format_name(cases[i].fmt));
		if (a)
			check_golden(cases[i].golden, a);
		free(a);
		free(b);
	}
	r.color = true;
	int rc = -1;
	char *c = render(BG_FORMAT_TEXT, &r, &rc);
	if (c)
		check_golden("findings-color.txt", c);
	free(c);

	/* A clean run: one file, nothing found. */
	static const char *const one[] = {"Containerfile"};
	bg_report clean = {.command = "lint", .subjects = one, .nsubjects = 1,
			   .rules = active_rules, .nrules = 1, .threshold = BG_SEV_ERROR,
			   .tool_version = "0.1.0"};
	static const struct {
		bg_format fmt;
		const char *golden;
	} clean_cases[] = {
		{BG_FORMAT_TEXT, "clean.txt"},       {BG_FORMAT_JSON, "clean.json"},
		{BG_FORMAT_SARIF, "clean.sarif"},    {BG_FORMAT_CODECLIMATE, "clean.codeclimate.json"},
		{BG_FORMAT_JUNIT, "clean.junit.xml"}, {BG_FORMAT_GITHUB, "clean.github.txt"},
	};
	for (size_t i = 0; i < sizeof clean_cases / sizeof clean_cases[0]; i++) {
		char *s = render(clean_cases[i].fmt, &clean, &rc);
		if (s)
			check_golden(clean_cases[i].golden, s);
		free(s);
	}
	bg_findings_free(&l);
}

static void test_text(void)
{
	bg_findings l = {0};
	build_findings(&l, 0);
	bg_report r = make_report(&l, BG_SEV_ERROR);
	int rc;
	char *t = render(BG_FORMAT_TEXT, &r, &rc);
	ok(t && strstr(t, "Containerfile:1:6: error: base image registry.redhat.io/rhel9/rhel-bootc:9.6 "
			  "is not pinned by digest [base-unpinned; CM-2,CM-6,SR-3,SR-11]\n"),
	   "text: file:line:col: severity: message [rule; controls]");
	ok(t && strstr(t, "    1 | FROM registry.redhat.io/rhel9/rhel-bootc:9.6\n"
			  "      |      ^\n"),
	   "text: the line is shown with a caret under column 6");
	ok(t && strstr(t, "    7 | RUN\tcurl -fsSL https://x.example/a&b | sh\n"
			  "      |    \t ^\n"),
	   "text: the caret line repeats the snippet's tab");
	ok(t && strstr(t, "    3 | FROM  \xc3\xbcn\xc3\xaf/caf\xef\xbf\xbd:latest AS x\n"
			  "      | " "            " "^\n"),
	   "text: multi-byte characters take one cell before the caret");
	ok(t && strstr(t, "Containerfile: info: no LABEL org.opencontainers.image.source [label-missing; CM-8]\n"),
	   "text: a whole-file finding has no line or column");
	ok(t && !strstr(t, "nogpgcheck"), "text: suppressed findings are not printed");
	ok(t && !strchr(t, '\x1b'), "text: no escape byte without colour, even from the input");
	ok(t && strstr(t, "control \\x1b[31m char"), "text: an escape byte in a message is shown as \\x1b");
	ok(t && strstr(t, "is not pinned\\x0asecond line"), "text: a newline in a message stays on one line");
	ok(t && strstr(t, "\nbootgate lint: 8 findings (3 errors, 4 warnings, 1 info), 1 suppressed; "
			  "threshold error: FAIL (3 at or above)\n"),
	   "text: summary counts by severity, suppressed, verdict");
	ok(t && strstr(t, "  help: Pin it: FROM registry/name@sha256:<digest>.\n"),
	   "text: the rule's help says what to do");
	free(t);

	r.color = true;
	t = render(BG_FORMAT_TEXT, &r, &rc);
	ok(t && strstr(t, "\033[1;31merror:\033[0m") && strstr(t, "\033[1;35mwarning:\033[0m"),
	   "text: colour marks severities when asked");
	ok(t && strstr(t, "control \\x1b[31m char"), "text: input escape bytes stay escaped in colour too");
	free(t);

	r.threshold = BG_SEV_NONE;
	r.color = false;
	t = render(BG_FORMAT_TEXT, &r, &rc);
	ok(t && strstr(t, "; threshold none: PASS\n"), "text: threshold none passes");
	free(t);
	bg_findings_free(&l);
}

static void test_json(void)
{
	bg_findings l = {0};
	build_findings(&l, 0);
	bg_report r = make_report(&l, BG_SEV_ERROR);
	int rc;
	char *t = render(BG_FORMAT_JSON, &r, &rc);
	json_object *doc = t ? parse_json(t) : NULL;
	ok(doc != NULL, "json: parses with json-c");
	is_int(num(get(doc, "format_version")), 1, "json: format_version is 1");
	is_str(str(get(doc, "verdict")), "fail", "json: verdict fail with errors at threshold error");
	is_int(json_object_array_length(get(doc, "subjects")), 4, "json: all subjects listed, clean ones too");
	is_str(str(at(get(doc, "subjects"), 3)), "clean/Containerfile", "json: subjects in order");
	json_object *counts = get(doc, "counts");
	is_int(num(get(counts, "findings")), 9, "json: counts.findings");
	is_int(num(get(counts, "error")), 3, "json: counts.error (unsuppressed)");
	is_int(num(get(counts, "warning")), 4, "json: counts.warning");
	is_int(num(get(counts, "info")), 1, "json: counts.info");
	is_int(num(get(counts, "suppressed")), 1, "json: counts.suppressed");
	is_int(num(get(counts, "failing")), 3, "json: counts.failing");
	json_object *findings = get(doc, "findings");
	is_int(json_object_array_length(findings), 9, "json: suppressed findings are listed too");
	bool found_suppressed = false, found_nasty = false, found_crlf = false;
	for (size_t i = 0; i < json_object_array_length(findings); i++) {
		json_object *f = at(findings, i);
		const char *msg = str(get(f, "message"));
		if (json_object_get_boolean(get(f, "suppressed")))
			found_suppressed = strcmp(str(get(f, "suppress_reason")),
						  "vendor repo is \"signed\" out of band") == 0 &&
					   !json_object_get_boolean(get(f, "fails"));
		if (msg && strcmp(msg, "base image \"caf\xef\xbf\xbd\" is not pinned\nsecond line: with, commas") == 0)
			found_nasty = num(get(f, "column")) == 15 &&
				      strcmp(str(get(f, "file")), "./images/base/Containerfile") == 0;
		if (msg && strstr(msg, "<<EOF\r\n; control \x1b[31m char & 'quote' \x01"))
			found_crlf = json_object_get_type(get(f, "snippet")) == json_type_string;
	}
	ok(found_suppressed, "json: suppressed finding carries its reason and does not fail");
	ok(found_nasty, "json: quotes and newlines round-trip, invalid UTF-8 becomes U+FFFD");
	ok(found_crlf, "json: CR, LF, ESC and other control bytes round-trip");
	json_object *label = NULL;
	for (size_t i = 0; i < json_object_array_length(findings); i++)
		if (strcmp(str(get(at(findings, i), "rule")), "label-missing") == 0)
			label = at(findings, i);
	ok(label && json_object_get_type(get(label, "snippet")) == json_type_null &&
		   json_object_get_type(get(label, "help")) == json_type_null &&
		   num(get(label, "line")) == 0,
	   "json: missing snippet/help are null, whole-file line is 0");
	json_object_put(doc);
	free(t);

	r.threshold = BG_SEV_INFO;
	t = render(BG_FORMAT_JSON, &r, &rc);
	doc = t ? parse_json(t) : NULL;
	is_int(num(get(get(doc, "counts"), "failing")), 8, "json: threshold info makes every unsuppressed finding fail");
	json_object_put(doc);
	free(t);
	bg_findings_free(&l);
}

static void test_sarif(void)
{
	bg_findings l = {0};
	build_findings(&l, 0);
	bg_report r = make_report(&l, BG_SEV_ERROR);
	int rc;
	char *t = render(BG_FORMAT_SARIF, &r, &rc);
	json_object *doc = t ? parse_json(t) : NULL;
	ok(doc != NULL, "sarif: parses with json-c");
	is_str(str(get(doc, "version")), "2.1.0", "sarif: version 2.1.0");
	ok(str(get(doc, "$schema")) != NULL, "sarif: has $schema");
	json_object *runs = get(doc, "runs");
	is_int(json_object_array_length(runs), 1, "sarif: exactly one run");
	json_object *run = at(runs, 0);
	is_str(str(get(get(run, "automationDetails"), "id")), "bootgate/lint/",
	       "sarif: category per command");
	json_object *driver = get(get(run, "tool"), "driver");
	is_str(str(get(driver, "name")), "bootgate", "sarif: driver name");
	is_str(str(get(driver, "semanticVersion")), "0.1.0", "sarif: semanticVersion");
	json_object *rules = get(driver, "rules");
	is_int(json_object_array_length(rules), 5, "sarif: active rules plus the unlisted parse-error");
	bool rules_ok = true;
	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		json_object *ru = at(rules, i);
		rules_ok = rules_ok && str(get(ru, "id")) &&
			   *str(get(get(ru, "shortDescription"), "text")) &&
			   *str(get(get(ru, "fullDescription"), "text")) &&
			   *str(get(get(ru, "help"), "text")) &&
			   str(get(get(ru, "properties"), "security-severity")) &&
			   strcmp(str(at(get(get(ru, "properties"), "tags"), 0)), "security") == 0;
	}
	ok(rules_ok, "sarif: every rule has descriptions, help, tags and security-severity");
	is_str(str(at(get(get(at(rules, 0), "properties"), "tags"), 1)), "NIST-SP-800-53/CM-2",
	       "sarif: NIST controls are tags");
	json_object *results = get(run, "results");
	is_int(json_object_array_length(results), 9, "sarif: one result per finding");
	size_t suppressions = 0, line0 = 0;
	bool index_ok = true, region_ok = true, fp_unique = true;
	for (size_t i = 0; i < json_object_array_length(results); i++) {
		json_object *res = at(results, i);
		long long idx = num(get(res, "ruleIndex"));
		index_ok = index_ok && idx >= 0 &&
			   strcmp(str(get(at(rules, (size_t)idx), "id")), str(get(res, "ruleId"))) == 0;
		json_object *region =
			get(get(at(get(res, "locations"), 0), "physicalLocation"), "region");
		region_ok = region_ok && num(get(region, "startLine")) >= 1 &&
			    (!get(region, "startColumn") || num(get(region, "startColumn")) >= 1);
		if (get(res, "suppressions")) {
			suppressions++;
			is_str(str(get(at(get(res, "suppressions"), 0), "kind")), "inSource",
			       "sarif: suppression kind inSource");
		}
		if (strcmp(str(get(res, "ruleId")), "label-missing") == 0)
			line0 = (size_t)num(get(region, "startLine")) == 1 && !get(region, "startColumn");
		const char *fp = str(get(get(res, "partialFingerprints"), "primaryLocationLineHash"));
		for (size_t j = 0; j < i && fp; j++)
			if (strcmp(fp, str(get(get(at(results, j), "partialFingerprints"),
					       "primaryLocationLineHash"))) == 0)
				fp_unique = false;
		fp_unique = fp_unique && fp;
	}
	ok(index_ok, "sarif: every ruleIndex points at its ruleId");
	ok(region_ok, "sarif: no region has a line or column below 1");
	is_int(suppressions, 1, "sarif: the suppressed finding has suppressions");
	ok(line0, "sarif: a whole-file finding is placed on line 1 without a column");
	ok(fp_unique, "sarif: partialFingerprints are unique");
	ok(t && strstr(t, "\"uri\": \"odd%20dir/a,b%3Ac%25.cf\""),
	   "sarif: paths are percent-encoded URI references");
	ok(t && strstr(t, "\"uri\": \"images/base/Containerfile\""),
	   "sarif: a leading ./ is dropped from URIs");
	json_object_put(doc);
	free(t);

	/* Over GitHub's 25,000 results per run: the most severe are kept. */
	bg_findings many = {0};
	for (unsigned i = 1; i <= 25001; i++)
		add(&many, &rule_curl, BG_SEV_WARNING, "Containerfile", i, 1, "w", NULL);
	add(&many, &rule_base, BG_SEV_ERROR, "Containerfile", 25002, 1, "the error", NULL);
	bg_report rm = make_report(&many, BG_SEV_ERROR);
	t = render(BG_FORMAT_SARIF, &rm, &rc);
	doc = t ? parse_json(t) : NULL;
	json_object *mres = get(at(get(doc, "runs"), 0), "results");
	is_int(json_object_array_length(mres), 25000, "sarif: at most 25,000 results per run");
	is_str(str(get(at(mres, 24999), "ruleId")), "base-unpinned",
	       "sarif: the error is kept over the surplus warnings, order preserved");
	const char *note = str(get(get(at(get(at(get(at(get(doc, "runs"), 0), "invocations"), 0),
						 "toolExecutionNotifications"), 0), "message"), "text"));
	ok(note && strstr(note, "2 less severe results were left out"),
	   "sarif: a notification says how many results were left out");
	json_object_put(doc);
	free(t);
	bg_findings_free(&many);

	/* Absolute paths become file:// URIs without %SRCROOT%. */
	bg_findings abs = {0};
	add(&abs, &rule_base, BG_SEV_ERROR, "/srv/x y/Containerfile", 1, 1, "m", NULL);
	static const char *const abs_subjects[] = {"/srv/x y/Containerfile"};
	bg_report ra = {.command = "lint", .findings = &abs, .subjects = abs_subjects,
			.nsubjects = 1, .threshold = BG_SEV_ERROR};
	t = render(BG_FORMAT_SARIF, &ra, &rc);
	ok(t && strstr(t, "\"uri\": \"file:///srv/x%20y/Containerfile\"") &&
		   !strstr(t, "%SRCROOT%"),
	   "sarif: absolute paths become file:// URIs");
	free(t);
	bg_findings_free(&abs);
	bg_findings_free(&l);
}

static void test_codeclimate(void)
{
	bg_findings l = {0}, shifted = {0};
	build_findings(&l, 0);
	build_findings(&shifted, 3);
	bg_report r = make_report(&l, BG_SEV_ERROR), rs = make_report(&shifted, BG_SEV_ERROR);
	int rc;
	char *t = render(BG_FORMAT_CODECLIMATE, &r, &rc);
	char *t2 = render(BG_FORMAT_CODECLIMATE, &rs, &rc);
	json_object *doc = t ? parse_json(t) : NULL, *doc2 = t2 ? parse_json(t2) : NULL;
	ok(doc && json_object_is_type(doc, json_type_array), "codeclimate: a JSON array");
	is_int(json_object_array_length(doc), 8, "codeclimate: suppressed findings are left out");
	bool unique = true, fields = true, same_after_shift = true;
	for (size_t i = 0; i < json_object_array_length(doc); i++) {
		json_object *o = at(doc, i);
		const char *fp = str(get(o, "fingerprint"));
		fields = fields && fp && strlen(fp) == 64 && str(get(o, "description")) &&
			 str(get(o, "check_name")) && str(get(o, "severity")) &&
			 str(get(get(o, "location"), "path")) &&
			 num(get(get(get(o, "location"), "lines"), "begin")) >= 1;
		for (size_t j = 0; j < i && fp; j++)
			if (strcmp(fp, str(get(at(doc, j), "fingerprint"))) == 0)
				unique = false;
		same_after_shift = same_after_shift && fp &&
				   strcmp(fp, str(get(at(doc2, i), "fingerprint")) ?: "") == 0;
	}
	ok(fields, "codeclimate: every issue has the fields GitLab requires, begin >= 1");
	ok(unique, "codeclimate: fingerprints are unique, even for identical findings");
	ok(same_after_shift, "codeclimate: fingerprints survive lines added above the findings");
	json_object *by_rule[3] = {NULL, NULL, NULL};
	static const char *const checks[] = {"bootgate/label-missing", "bootgate/base-unpinned",
					     "bootgate/curl-pipe-shell"};
	for (size_t i = 0; i < json_object_array_length(doc); i++)
		for (size_t k = 0; k < 3; k++)
			if (!by_rule[k] && strcmp(str(get(at(doc, i), "check_name")), checks[k]) == 0)
				by_rule[k] = at(doc, i);
	is_str(str(get(by_rule[0], "severity")), "info", "codeclimate: info → info");
	is_str(str(get(by_rule[1], "severity")), "major", "codeclimate: error → major");
	is_str(str(get(by_rule[2], "severity")), "minor", "codeclimate: warning → minor");
	is_int(num(get(get(get(by_rule[0], "location"), "lines"), "begin")), 1,
	       "codeclimate: a whole-file finding begins on line 1");
	ok(t && !strstr(t, "\"path\": \"./") && strstr(t, "\"path\": \"images/base/Containerfile\""),
	   "codeclimate: a leading ./ is dropped from paths");
	json_object_put(doc);
	json_object_put(doc2);
	free(t);
	free(t2);

	bg_findings none = {0};
	r.findings = &none;
	t = render(BG_FORMAT_CODECLIMATE, &r, &rc);
	doc = t ? parse_json(t) : NULL;
	ok(doc && json_object_is_type(doc, json_type_array) && json_object_array_length(doc) == 0,
	   "codeclimate: an empty array when there are no findings");
	json_object_put(doc);
	free(t);
	bg_findings_free(&l);
	bg_findings_free(&shifted);
}

static bool xml_well_formed(const char *xml)
{
	char path[] = "/tmp/test_report_XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return false;
	bool written = write(fd, xml, strlen(xml)) == (ssize_t)strlen(xml);
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof cmd,
		 "python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' %s",
		 path);
	int status = written ? system(cmd) : -1;
	unlink(path);
	return status == 0;
}

static void test_junit(void)
{
	bg_findings l = {0};
	build_findings(&l, 0);
	bg_report r = make_report(&l, BG_SEV_ERROR);
	int rc;
	char *t = render(BG_FORMAT_JUNIT, &r, &rc);
	ok(t && strstr(t, "<testsuites name=\"bootgate\" tests=\"9\" failures=\"3\" errors=\"0\" skipped=\"1\">"),
	   "junit: totals: a testcase per subject x rule, failures at threshold error, suppressed skipped");
	is_int(t ? count_substr(t, "<failure ") : 0, 3, "junit: three <failure> elements");
	is_int(t ? count_substr(t, "<testcase ") : 0, 9, "junit: nine testcases");
	ok(t && strstr(t, "<testcase classname=\"clean/Containerfile\" name=\"no findings\" "
			  "file=\"clean/Containerfile\"/>"),
	   "junit: a clean subject is a passing testcase");
	ok(t && strstr(t, "<skipped message=\"suppressed: vendor repo is &quot;signed&quot; out of band\"/>"),
	   "junit: an all-suppressed rule is skipped, with the reason");
	ok(t && strstr(t, "message=\"unterminated heredoc &lt;&lt;EOF&#13;&#10;; control \xef\xbf\xbd[31m char "
			  "&amp; &apos;quote&apos; \xef\xbf\xbd\""),
	   "junit: attributes escape markup, keep CR/LF as references, replace control characters");
	ok(t && !strchr(t, '\x1b') && !strchr(t, '\x01'), "junit: no control character invalid in XML 1.0");
	ok(t && strstr(t, "<system-out>Containerfile:7:6: warning: curl output piped to \"sh\": 100% trust in "
			  "&lt;https://x.example/a&amp;b&gt;\n"),
	   "junit: findings below the threshold are listed in system-out of a passing testcase");
	if (system("python3 -c 'import xml.dom.minidom' 2>/dev/null") == 0)
		ok(t && xml_well_formed(t), "junit: well-formed XML (python3 minidom)");
	else
		ok(true, "junit: well-formed XML # SKIP python3 not available");
	free(t);

	r.threshold = BG_SEV_WARNING;
	t = render(BG_FORMAT_JUNIT, &r, &rc);
	ok(t && strstr(t, "tests=\"9\" failures=\"6\""), "junit: threshold warning fails warning testcases too");
	free(t);

	bg_report empty = {.command = "lint", .threshold = BG_SEV_ERROR};
	t = render(BG_FORMAT_JUNIT, &empty, &rc);
	ok(t && strstr(t, "failures=\"1\"") && strstr(t, "name=\"nothing evaluated\""),
	   "junit: nothing evaluated is a failure");
	free(t);
	bg_findings_free(&l);
}

static void test_github(void)
{
	bg_findings l = {0};
	build_findings(&l, 0);
	bg_report r = make_report(&l, BG_SEV_ERROR);
	int rc;
	char *t = render(BG_FORMAT_GITHUB, &r, &rc);
	ok(t && find_line(t, "::error file=Containerfile,line=1,col=6,title=base-unpinned::base image "
			     "registry.redhat.io/rhel9/rhel-bootc:9.6 is not pinned by digest%0Ahelp: Pin it: "
			     "FROM registry/name@sha256:<digest>.%0ANIST SP 800-53: CM-2, CM-6, SR-3, SR-11\n"),
	   "github: ::error with file, line, col, title, message, help and controls");
	ok(t && find_line(t, "::notice file=Containerfile,title=label-missing::no LABEL"),
	   "github: info is ::notice; a whole-file finding has no line or col");
	ok(t && find_line(t, "::warning file=Containerfile,line=7,col=6,title=curl-pipe-shell::curl output piped "
			     "to \"sh\": 100%25 trust in <https://x.example/a&b>%0A"),
	   "github: message data escapes %% but keeps : and ,");
	ok(t && find_line(t, "::error file=odd dir/a%2Cb%3Ac%25.cf,line=2,col=1,title=parse-error::"
			     "unterminated heredoc <<EOF%0D%0A; control \xef\xbf\xbd[31m char & 'quote' \xef\xbf\xbd%0A"),
	   "github: property values escape , : %%; CR and LF are escaped in data, other controls replaced");
	ok(t && find_line(t, "::warning file=odd dir/a%2Cb%3Ac%25.cf,line=2,endLine=5,title=curl-pipe-shell::spans"),
	   "github: a multi-line finding has endLine and no col");
	ok(t && find_line(t, "::error file=images/base/Containerfile,line=3,col=15,title=base-unpinned::"
			     "base image \"caf\xef\xbf\xbd\" is not pinned%0Asecond line: with, commas"),
	   "github: newline in a message becomes %%0A; invalid UTF-8 becomes U+FFFD");
	ok(t && !strstr(t, "nogpgcheck"), "github: suppressed findings are not annotated");
	is_int(t ? count_substr(t, "\n::") + (strncmp(t, "::", 2) == 0) : 0, 8,
	       "github: one annotation per unsuppressed finding");
	ok(t && find_line(t, "bootgate lint: 8 findings"), "github: the summary follows as plain text");
	/* No line may start a workflow command other than our annotations. */
	bool lines_ok = true;
	for (const char *p = t; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, "::", 2) == 0)
			lines_ok = lines_ok && (strncmp(p, "::error ", 8) == 0 ||
						strncmp(p, "::warning ", 10) == 0 ||
						strncmp(p, "::notice ", 9) == 0);
	ok(lines_ok, "github: input text cannot start a workflow command of its own");
	free(t);
	bg_findings_free(&l);
}

static void test_verdict_and_errors(void)
{
	bg_findings l = {0};
	build_findings(&l, 0);
	bg_report r = make_report(&l, BG_SEV_ERROR);
	ok(!bg_report_passed(&r), "verdict: errors at threshold error fail");
	r.threshold = BG_SEV_NONE;
	ok(bg_report_passed(&r), "verdict: threshold none passes");
	r.nsubjects = 0;
	r.subjects = NULL;
	ok(!bg_report_passed(&r), "verdict: nothing evaluated never passes");
	char *s = bg_report_summary(&r);
	ok(s && strstr(s, "nothing evaluated") && strstr(s, "FAIL"), "summary: says nothing was evaluated");
	free(s);

	/* Only the suppressed finding at error level: passes at error. */
	bg_findings one = {0};
	bg_finding *f = add(&one, &rule_gpg, BG_SEV_ERROR, "Containerfile", 2, 1, "x", NULL);
	f->suppressed = true;
	bg_report rs = make_report(&one, BG_SEV_ERROR);
	ok(bg_report_passed(&rs), "verdict: a suppressed error does not fail the run");
	s = bg_report_summary(&rs);
	is_str(s, "bootgate lint: no findings, 1 suppressed; threshold error: PASS", "summary: suppressed only");
	free(s);

	bg_error err = {0};
	bg_report bad = make_report(&l, BG_SEV_ERROR);
	bad.command = NULL;
	FILE *null = fopen("/dev/null", "w");
	is_int(bg_report_write(null, BG_FORMAT_JSON, &bad, &err), BG_E_USAGE, "error: a report without command is refused");
	ok(strstr(err.message, "command") != NULL, "error: the message names what is missing");
	bg_error_clear(&err);
	const bg_rule *saved = l.v[0].rule;
	l.v[0].rule = NULL;
	bad.command = "lint";
	is_int(bg_report_write(null, BG_FORMAT_SARIF, &bad, &err), BG_E_USAGE,
	       "error: a finding without a rule is refused");
	l.v[0].rule = saved;
	is_int(bg_report_write(null, (bg_format)99, &bad, &err), BG_E_USAGE, "error: an unknown format is refused");
	fclose(null);

	FILE *full = fopen("/dev/full", "w");
	if (full) {
		bg_error_clear(&err);
		is_int(bg_report_write(full, BG_FORMAT_TEXT, &r, &err), BG_E_EVAL,
		       "error: a failed write (/dev/full) is reported");
		ok(strstr(err.message, "writing the text report") != NULL, "error: the message says what failed");
		fclose(full);
	} else {
		ok(true, "error: a failed write is reported # SKIP no /dev/full");
		ok(true, "error: the message says what failed # SKIP no /dev/full");
	}
	bg_findings_free(&one);
	bg_findings_free(&l);
}

static void test_fingerprints(void)
{
	bg_findings l = {0};
	build_findings(&l, 0);
	bg_report r = make_report(&l, BG_SEV_ERROR);
	size_t n = 0;
	bg_report_fingerprint *fp = bg_report_fingerprints(&r, &n);
	is_int(n, 9, "fingerprints: one per finding");
	/* The two identical curl findings in images/base differ only by line
	 * and indentation: same key, occurrences 1 and 2. */
	long a = -1, b = -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(l.v[i].message, "curl output piped to sh") == 0)
			*(a < 0 ? &a : &b) = (long)i;
	ok(a >= 0 && b >= 0 && strcmp(fp[a].key, fp[b].key) == 0 && fp[a].occurrence == 1 &&
		   fp[b].occurrence == 2,
	   "fingerprints: same key for a re-indented duplicate, numbered by occurrence");
	ok(fp && strlen(fp[0].key) == 64 && strspn(fp[0].key, "0123456789abcdef") == 64,
	   "fingerprints: key is 64 hex digits");
	free(fp);
	bg_report empty = {.command = "lint"};
	ok(bg_report_fingerprints(&empty, &n) == NULL && n == 0, "fingerprints: none for no findings");
	bg_findings_free(&l);
}

/* Per-role verdicts (bootgate check): every format shows them, and a group
 * that did not pass fails the run even without a failing finding. */
static void test_groups(void)
{
	bg_findings l = {0};
	build_findings(&l, 0);
	bg_report r = make_report(&l, BG_SEV_NONE);
	r.command = "check";
	const bg_report_group groups[] = {{"web", "pass", "no finding at or above error"},
					  {"db", "fail", "5 findings <at> or above error"}};
	r.groups = groups;
	r.ngroups = 2;
	int rc = 0;
	ok(!bg_report_passed(&r), "a failing group fails the run (threshold none, no failing finding)");
	char *text = render(BG_FORMAT_TEXT, &r, &rc);
	ok(text && find_line(text, "ROLE  VERDICT") && find_line(text, "web   pass") && find_line(text, "db    fail"),
	   "text: a role table");
	free(text);
	char *js = render(BG_FORMAT_JSON, &r, &rc);
	json_object *doc = js ? parse_json(js) : NULL;
	json_object *roles = doc ? get(doc, "roles") : NULL;
	ok(roles && json_object_array_length(roles) == 2 && strcmp(str(get(at(roles, 1), "verdict")), "fail") == 0,
	   "json: a roles array with the verdicts");
	is_str(doc ? str(get(doc, "verdict")) : NULL, "fail", "json: the run's verdict follows the groups");
	json_object_put(doc);
	free(js);
	char *sarif = render(BG_FORMAT_SARIF, &r, &rc);
	doc = sarif ? parse_json(sarif) : NULL;
	json_object *props = doc ? get(at(get(doc, "runs"), 0), "properties") : NULL;
	ok(props && json_object_array_length(get(props, "roles")) == 2, "sarif: run properties.roles");
	json_object_put(doc);
	free(sarif);
	char *xml = render(BG_FORMAT_JUNIT, &r, &rc);
	ok(xml && xml_well_formed(xml) && strstr(xml, "<testsuite name=\"bootgate check roles\" tests=\"2\" failures=\"1\"") &&
	   strstr(xml, "5 findings &lt;at&gt; or above error"),
	   "junit: a roles testsuite, the failing role a failure with its reason escaped");
	free(xml);
	r.groups = NULL;
	r.ngroups = 0;
	js = render(BG_FORMAT_JSON, &r, &rc);
	ok(js && !strstr(js, "\"roles\""), "json: no roles member without groups");
	free(js);
	bg_findings_free(&l);
}

int main(void)
{
	const char *testdata = getenv("BOOTGATE_TESTDATA");
	if (!testdata || !*testdata)
		return tap_skip_all("BOOTGATE_TESTDATA not set");
	test_format_names();
	test_utf8();
	test_goldens();
	test_text();
	test_json();
	test_sarif();
	test_codeclimate();
	test_junit();
	test_github();
	test_verdict_and_errors();
	test_fingerprints();
	test_groups();
	return tap_done();
}
