/* Tests for the lint rules, data-driven: every testdata/lint/NAME.Containerfile
 * is linted (build args from NAME.args, one K=V per line) and the findings,
 * as "LINE RULE[ suppressed]" lines in order, must equal NAME.expect.
 * A few behaviours that need a configuration are tested in code below. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/lint.h"
#include "tap.h"
#include "util.h"

static char *slurp(const char *path)
{
	char *data = NULL;
	size_t len;
	bg_error err = {0};
	if (bg_read_file(path, 1 << 20, &data, &len, &err) != 0)
		return NULL;
	return data;
}

static char *findings_text(const bg_findings *f)
{
	bg_strbuf b = {0};
	for (size_t i = 0; i < f->n; i++)
		bg_strbuf_printf(&b, "%u %s%s\n", f->v[i].line, f->v[i].rule->id,
				 f->v[i].suppressed ? " suppressed" : "");
	char *s = bg_strbuf_take(&b);
	return s ? s : strdup("");
}

static void run_case(const char *dir, const char *name)
{
	char *path = NULL, *expect_path = NULL, *args_path = NULL;
	if (asprintf(&path, "%s/%s.Containerfile", dir, name) < 0 ||
	    asprintf(&expect_path, "%s/%s.expect", dir, name) < 0 ||
	    asprintf(&args_path, "%s/%s.args", dir, name) < 0)
		abort();
	char *data = slurp(path), *expect = slurp(expect_path), *args_text = slurp(args_path);
	bg_strv args = {0};
	for (char *line = args_text ? strtok(args_text, "\n") : NULL; line; line = strtok(NULL, "\n"))
		bg_strv_push(&args, line);
	bg_lint_options opts = {
		.build_args = (const char *const *)args.v,
		.nbuild_args = args.n,
		.context_dir = dir,
	};
	bg_findings findings = {0};
	bg_error err = {0};
	int rc = bg_lint_containerfile(path, data ? data : "", data ? strlen(data) : 0, &opts, &findings, &err);
	bg_findings_sort(&findings);
	char *got = findings_text(&findings);
	if (rc != 0)
		ok(0, "%s: lint failed: %s", name, err.message);
	else
		is_str(got, expect ? expect : "(missing .expect)", "%s", name);
	free(got);
	bg_findings_free(&findings);
	bg_strv_free(&args);
	free(data);
	free(expect);
	free(args_text);
	free(path);
	free(expect_path);
	free(args_path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_cases(const char *testdata)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/lint", testdata);
	DIR *d = opendir(dir);
	if (!ok(d != NULL, "open %s", dir))
		return;
	bg_strv names = {0};
	struct dirent *e;
	while ((e = readdir(d)))
		if (bg_str_has_suffix(e->d_name, ".Containerfile"))
			bg_strv_push_take(&names, bg_strndup(e->d_name, strlen(e->d_name) - strlen(".Containerfile")));
	closedir(d);
	qsort(names.v, names.n, sizeof *names.v, cmp_str);
	ok(names.n >= 50, "at least 50 lint cases (%zu)", names.n);
	for (size_t i = 0; i < names.n; i++)
		run_case(dir, names.v[i]);
	bg_strv_free(&names);
}

static bg_lintconfig *config(const char *yaml)
{
	size_t n;
	const bg_rule *const *rules = bg_lint_rules(&n);
	bg_lintconfig *cfg = NULL;
	bg_error err = {0};
	if (bg_lintconfig_parse(yaml, strlen(yaml), "test.yaml", rules, n, &cfg, &err) != 0)
		tap_diag("config: %s", err.message);
	return cfg;
}

static char *lint_text(const bg_lintconfig *cfg, const char *text)
{
	bg_lint_options opts = {.config = cfg, .context_dir = "/nonexistent"};
	bg_findings f = {0};
	bg_error err = {0};
	bg_lint_containerfile("Containerfile", text, strlen(text), &opts, &f, &err);
	bg_findings_sort(&f);
	bg_strbuf b = {0};
	for (size_t i = 0; i < f.n; i++)
		bg_strbuf_printf(&b, "%u %s %s\n", f.v[i].line, f.v[i].rule->id, bg_severity_name(f.v[i].severity));
	bg_findings_free(&f);
	char *s = bg_strbuf_take(&b);
	return s ? s : strdup("");
}

#define D "@sha256:5b1e0c3f2a9d4e7f8c6b1a2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"

static void test_registries(void)
{
	bg_lintconfig *cfg = config("lint:\n  allowed-registries: [registry.redhat.io, '*.example.com', docker.io]\n");
	char *got = lint_text(cfg, "FROM registry.redhat.io/ubi9" D "\n"
				   "FROM mirror.example.com/ubi9" D "\n"
				   "FROM example.com/ubi9" D "\n"
				   "FROM ubuntu" D "\n"
				   "FROM quay.io/x" D "\n"
				   "FROM scratch\n"
				   "COPY --from=ghcr.io/x/y" D " /a /a\n"
				   "RUN --mount=from=ghcr.io/x/z" D ",target=/t true\n");
	is_str(got,
	       "3 registry-untrusted error\n"
	       "5 registry-untrusted error\n"
	       "7 registry-untrusted error\n"
	       "8 registry-untrusted error\n",
	       "allow-list: exact, *.domain (not the bare domain), docker.io normalised, COPY --from and mounts");
	free(got);
	bg_lintconfig_free(cfg);

	cfg = config("lint:\n  allowed-registries: [registry.redhat.io]\n");
	got = lint_text(cfg, "# syntax=docker/dockerfile:1" D "\nFROM scratch\n");
	is_str(got, "1 registry-untrusted error\n", "the syntax frontend image is checked against the allow-list");
	free(got);
	bg_lintconfig_free(cfg);
}

static void test_overrides(void)
{
	bg_lintconfig *cfg = config("lint:\n  rules:\n    base-latest: {severity: error}\n    var-content: {enabled: false}\n");
	char *got = lint_text(cfg, "FROM quay.io/x" D "\nFROM quay.io/y:latest\nCOPY a /var/lib/a\n");
	is_str(got, "2 base-latest error\n2 base-unpinned error\n",
	       "severity override applies; disabled rule does not fire");
	free(got);
	bg_lintconfig_free(cfg);

	cfg = config("lint:\n  build-args: {BASE: 'quay.io/x" D "'}\n  platform: linux/arm64\n");
	got = lint_text(cfg, "ARG BASE\nFROM $BASE\nFROM quay.io/y-${TARGETARCH}" D "\n");
	is_str(got, "", "build-args and platform from the configuration resolve FROM");
	free(got);
	bg_lintconfig_free(cfg);
}

static void test_rule_table(void)
{
	size_t n;
	const bg_rule *const *rules = bg_lint_rules(&n);
	ok(n >= 15, "at least 15 rules");
	bool all_documented = true;
	for (size_t i = 0; i < n; i++) {
		const bg_rule *r = rules[i];
		bool good = r->id && r->summary && r->help && r->controls[0] && bg_lint_rule_find(r->id) == r;
		for (const char *p = r->id; good && *p; p++)
			good = (*p >= 'a' && *p <= 'z') || *p == '-';
		if (!good)
			tap_diag("rule %zu (%s) lacks an id, summary, help or controls", i, r->id ? r->id : "?");
		all_documented &= good;
	}
	ok(all_documented, "every rule has a kebab-case id, summary, help and NIST controls");
	ok(bg_lint_rule_find("base-unpinned")->severity == BG_SEV_ERROR, "base-unpinned is an error");
	ok(bg_lint_rule_find("base-latest")->severity == BG_SEV_WARNING, "base-latest is a warning");
	ok(bg_lint_rule_find("no-such-rule") == NULL, "unknown rule not found");
}

int main(void)
{
	const char *testdata = getenv("BOOTGATE_TESTDATA");
	test_cases(testdata ? testdata : "testdata");
	test_registries();
	test_overrides();
	test_rule_table();
	return tap_done();
}
