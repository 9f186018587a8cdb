/* Unit tests for lib/lintconfig.c: .bootgate.yaml. */
#include "tap.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootgate/lintconfig.h"

/* The lint module passes its table; these stand in for it. */
static const bg_rule rule_base_latest = {.id = "base-latest", .severity = BG_SEV_WARNING};
static const bg_rule rule_base_unpinned = {.id = "base-unpinned", .severity = BG_SEV_ERROR};
static const bg_rule rule_var_content = {.id = "var-content", .severity = BG_SEV_INFO};
static const bg_rule *const known[] = {&rule_base_latest, &rule_base_unpinned, &rule_var_content};
#define N_KNOWN (sizeof known / sizeof known[0])

static bg_error err;

static char *testdata(const char *name)
{
	static char path[4096];
	snprintf(path, sizeof path, "%s/lintconfig/%s", getenv("BOOTGATE_TESTDATA"), name);
	return path;
}

static bg_lintconfig *parse(const char *text)
{
	bg_lintconfig *cfg = NULL;
	bg_error_clear(&err);
	if (bg_lintconfig_parse(text, strlen(text), "c.yaml", known, N_KNOWN, &cfg, &err) < 0)
		return NULL;
	return cfg;
}

/* text must be refused with exactly this message (which carries the line). */
static void refused(const char *text, const char *message, const char *name)
{
	bg_lintconfig *cfg = NULL;
	bg_error_clear(&err);
	int rc = bg_lintconfig_parse(text, strlen(text), "c.yaml", known, N_KNOWN, &cfg, &err);
	if (!ok(rc == BG_E_USAGE && !cfg && err.line > 0, "refused: %s", name))
		tap_diag("rc %d, line %u: %s", rc, err.line, err.message);
	is_str(err.message, message, "message: %s", name);
	bg_lintconfig_free(cfg);
}

static void test_full(void)
{
	bg_lintconfig *cfg = NULL;
	const char *path = testdata("full.yaml");
	int rc = bg_lintconfig_load(path, known, N_KNOWN, &cfg, &err);
	if (!ok(rc == 0 && cfg, "full.yaml loads"))
		tap_diag("%s", err.message);
	if (!cfg)
		return;
	is_str(cfg->path, path, "path is the file it came from");
	ok(cfg->threshold == BG_SEV_WARNING && cfg->threshold_set, "failure-threshold: warning");
	is_int(cfg->n_allowed_registries, 3, "three allowed registries");
	if (cfg->n_allowed_registries == 3) {
		is_str(cfg->allowed_registries[0], "registry.redhat.io", "registry 1");
		is_str(cfg->allowed_registries[1], "*.example.com", "registry 2 (wildcard)");
		is_str(cfg->allowed_registries[2], "quay.io", "registry 3");
		ok(cfg->allowed_registries[3] == NULL, "registries are NULL-terminated");
	}
	is_int(cfg->n_rules, 2, "two rule overrides");
	if (cfg->n_rules == 2) {
		ok(cfg->rules[0].rule == &rule_base_latest && cfg->rules[0].enabled &&
			   cfg->rules[0].severity_set && cfg->rules[0].severity == BG_SEV_ERROR,
		   "base-latest: severity error, enabled");
		ok(cfg->rules[1].rule == &rule_var_content && !cfg->rules[1].enabled &&
			   !cfg->rules[1].severity_set,
		   "var-content: disabled, severity unchanged");
	}
	is_int(cfg->n_build_args, 2, "two build args");
	if (cfg->n_build_args == 2) {
		is_str(cfg->build_args[0],
		       "BASE=registry.redhat.io/rhel9/rhel-bootc@sha256:"
		       "0000000000000000000000000000000000000000000000000000000000000000",
		       "build arg 1, K=V");
		is_str(cfg->build_args[1], "RHEL_VERSION=9.4",
		       "build arg 2 keeps its text (9.4 is not a float)");
		ok(cfg->build_args[2] == NULL, "build args are NULL-terminated");
	}
	is_str(cfg->platform, "linux/arm64/v8", "platform");

	bg_severity sev = BG_SEV_NONE;
	ok(bg_lintconfig_rule_severity(cfg, &rule_base_latest, &sev) && sev == BG_SEV_ERROR,
	   "rule_severity: configured severity wins");
	ok(!bg_lintconfig_rule_severity(cfg, &rule_var_content, &sev) && sev == BG_SEV_INFO,
	   "rule_severity: disabled rule, default severity");
	ok(bg_lintconfig_rule_severity(cfg, &rule_base_unpinned, &sev) && sev == BG_SEV_ERROR,
	   "rule_severity: rule not mentioned keeps its default");
	bg_rule copy = rule_base_latest; /* same id, another table entry */
	ok(bg_lintconfig_rule_severity(cfg, &copy, &sev) && sev == BG_SEV_ERROR,
	   "rule_severity: rules match by id");
	bg_lintconfig_free(cfg);

	ok(bg_lintconfig_rule_severity(NULL, &rule_var_content, &sev) && sev == BG_SEV_INFO,
	   "rule_severity: NULL config means defaults");
}

static void test_defaults(void)
{
	bg_lintconfig *cfg = bg_lintconfig_new();
	ok(cfg && !cfg->path && cfg->threshold == BG_SEV_ERROR && !cfg->threshold_set &&
		   cfg->n_allowed_registries == 0 && cfg->n_rules == 0 && cfg->n_build_args == 0 &&
		   !cfg->platform,
	   "new: threshold error, nothing else set");
	bg_lintconfig_free(cfg);
	bg_lintconfig_free(NULL); /* must not crash */

	cfg = NULL;
	const char *path = testdata("empty.yaml");
	ok(bg_lintconfig_load(path, known, N_KNOWN, &cfg, &err) == 0 && cfg &&
		   cfg->threshold == BG_SEV_ERROR && !cfg->threshold_set && cfg->n_rules == 0,
	   "a comment-only file gives the defaults");
	is_str(cfg ? cfg->path : NULL, path, "the defaults from a file keep its path");
	bg_lintconfig_free(cfg);

	cfg = parse("lint:\n");
	ok(cfg && !cfg->threshold_set && cfg->n_allowed_registries == 0, "`lint:` alone: defaults");
	bg_lintconfig_free(cfg);
	cfg = parse("lint:\n  platform:\n  allowed-registries: []\n  rules: {}\n");
	ok(cfg && !cfg->platform && cfg->n_allowed_registries == 0 && cfg->n_rules == 0,
	   "empty values count as not given");
	bg_lintconfig_free(cfg);
	cfg = parse("lint:\n  failure-threshold: none\n  allowed-registries: ['*', localhost:5000]\n");
	ok(cfg && cfg->threshold == BG_SEV_NONE && cfg->threshold_set &&
		   cfg->n_allowed_registries == 2,
	   "threshold none, registries * and host:port");
	bg_lintconfig_free(cfg);
	cfg = parse("lint:\n  rules:\n    base-unpinned: {severity: info, enabled: true}\n");
	ok(cfg && cfg->n_rules == 1 && cfg->rules[0].enabled &&
		   cfg->rules[0].severity == BG_SEV_INFO,
	   "a rule with both severity and enabled");
	bg_lintconfig_free(cfg);
	cfg = parse("lint:\n  build-args:\n    EMPTY: \"\"\n  platform: linux/amd64\n");
	ok(cfg && cfg->n_build_args == 1 && strcmp(cfg->build_args[0], "EMPTY=") == 0 &&
		   strcmp(cfg->platform, "linux/amd64") == 0,
	   "an empty build arg written as \"\", platform os/arch");
	bg_lintconfig_free(cfg);
}

static void test_errors(void)
{
	refused("linter:\n  platform: linux/amd64\n",
		"c.yaml:1:1: unknown key 'linter' in the configuration file; allowed: lint",
		"unknown top-level key");
	refused("lint:\n  failure-threshold: info\n  failure_threshold: info\n",
		"c.yaml:3:3: unknown key 'failure_threshold' in 'lint'; allowed: failure-threshold, "
		"allowed-registries, rules, build-args, platform",
		"unknown key in lint");
	refused("- lint\n", "c.yaml:1:1: the configuration file must be a mapping, not a sequence",
		"a sequence instead of a mapping");
	refused("lint: yes\n", "c.yaml:1:7: 'lint' must be a mapping, not 'yes'",
		"lint is a scalar");

	refused("lint:\n  failure-threshold: high\n",
		"c.yaml:2:22: 'failure-threshold' must be error, warning, info or none, not 'high'",
		"unknown threshold");
	refused("lint:\n  failure-threshold: [error]\n",
		"c.yaml:2:22: 'failure-threshold' must be a string, not a sequence (write \"\" for an "
		"empty string)",
		"threshold as a list");

	refused("lint:\n  allowed-registries: quay.io\n",
		"c.yaml:2:23: 'allowed-registries' must be a sequence, not 'quay.io'",
		"registries as a single string");
	refused("lint:\n  allowed-registries:\n    - quay.io\n    - https://quay.io\n",
		"c.yaml:4:7: 'https://quay.io' in 'allowed-registries' is not a registry name; "
		"write a host such as registry.redhat.io (optionally with :port), *.example.com for "
		"its subdomains, or * for any registry",
		"a registry with a scheme");
	refused("lint:\n  allowed-registries: [quay.io/myorg]\n",
		"c.yaml:2:24: 'quay.io/myorg' in 'allowed-registries' is not a registry name; "
		"write a host such as registry.redhat.io (optionally with :port), *.example.com for "
		"its subdomains, or * for any registry",
		"a registry with a path");
	refused("lint:\n  allowed-registries: [\"quay.*\"]\n",
		"c.yaml:2:24: 'quay.*' in 'allowed-registries' is not a registry name; "
		"write a host such as registry.redhat.io (optionally with :port), *.example.com for "
		"its subdomains, or * for any registry",
		"a wildcard that is not a leading *.");
	refused("lint:\n  allowed-registries: [quay.io, ~]\n",
		"c.yaml:2:33: an 'allowed-registries' entry must be a string, not empty (null) "
		"(write \"\" for an empty string)",
		"a null registry");

	refused("lint:\n  rules:\n    base-lates: {severity: error}\n",
		"c.yaml:3:5: unknown rule 'base-lates' in 'rules'; known rules: base-latest, "
		"base-unpinned, var-content",
		"unknown rule id lists the known rules");
	refused("lint:\n  rules:\n    base-latest: {severty: error}\n",
		"c.yaml:3:19: unknown key 'severty' in rule 'base-latest'; allowed: severity, enabled",
		"unknown key in a rule");
	refused("lint:\n  rules:\n    var-content: off\n",
		"c.yaml:3:18: rule 'var-content' must be a mapping such as {severity: warning} or "
		"{enabled: false}",
		"shorthand `rule: off` is refused");
	refused("lint:\n  rules:\n    var-content:\n",
		"c.yaml:3:5: rule 'var-content' must be a mapping such as {severity: warning} or "
		"{enabled: false}",
		"a rule with no settings");
	refused("lint:\n  rules:\n    var-content: {severity: none}\n",
		"c.yaml:3:29: 'severity' of rule 'var-content' must be error, warning or info, not "
		"'none' (to turn the rule off write enabled: false)",
		"severity none");
	refused("lint:\n  rules:\n    var-content: {severity: fatal}\n",
		"c.yaml:3:29: 'severity' of rule 'var-content' must be error, warning or info, not "
		"'fatal' (to turn the rule off write enabled: false)",
		"unknown severity");
	refused("lint:\n  rules:\n    var-content: {enabled: no}\n",
		"c.yaml:3:28: 'enabled' of rule 'var-content' must be true or false (unquoted), not "
		"'no'; YAML 1.1 spellings such as yes, no, on, off are not accepted",
		"enabled: no (YAML 1.1) is refused");
	refused("lint:\n  rules:\n    var-content: {enabled: false}\n    var-content: {enabled: "
		"true}\n",
		"c.yaml:4:5: duplicate key 'var-content' (first on line 3); keep only one",
		"a rule configured twice");

	refused("lint:\n  build-args: [BASE=x]\n",
		"c.yaml:2:15: 'build-args' must be a mapping, not a sequence", "build-args as a list");
	refused("lint:\n  build-args:\n    1BASE: x\n",
		"c.yaml:3:5: '1BASE' in 'build-args' is not a build argument name (letters, digits "
		"and _, not starting with a digit)",
		"a build arg name starting with a digit");
	refused("lint:\n  build-args:\n    BASE:\n",
		"c.yaml:3:10: build argument 'BASE' must be a string, not empty (null) (write \"\" for "
		"an empty string)",
		"a build arg without a value");
	refused("lint:\n  build-args:\n    BASE: {a: b}\n",
		"c.yaml:3:11: build argument 'BASE' must be a string, not a mapping (write \"\" for an "
		"empty string)",
		"a build arg with a mapping value");

	refused("lint:\n  platform: linux\n",
		"c.yaml:2:13: 'platform' must be os/arch or os/arch/variant, such as linux/amd64 or "
		"linux/arm64/v8, not 'linux'",
		"platform without an architecture");
	refused("lint:\n  platform: linux/arm64/v8/x\n",
		"c.yaml:2:13: 'platform' must be os/arch or os/arch/variant, such as linux/amd64 or "
		"linux/arm64/v8, not 'linux/arm64/v8/x'",
		"platform with four parts");
	refused("lint:\n  platform: linux//amd64\n",
		"c.yaml:2:13: 'platform' must be os/arch or os/arch/variant, such as linux/amd64 or "
		"linux/arm64/v8, not 'linux//amd64'",
		"platform with an empty part");

	refused("lint: &l\n  platform: linux/amd64\n",
		"c.yaml:1:7: YAML anchors and aliases are not accepted (anchor '&l'); write the value "
		"out in full",
		"YAML-level errors come through");

	bg_lintconfig *cfg = NULL;
	const char *path = testdata("shorthand-rule.yaml");
	ok(bg_lintconfig_load(path, known, N_KNOWN, &cfg, &err) == BG_E_USAGE && !cfg &&
		   err.line == 3 && strncmp(err.message, path, strlen(path)) == 0,
	   "load: shorthand-rule.yaml refused, message starts with the path");
	path = testdata("unknown-key.yaml");
	ok(bg_lintconfig_load(path, known, N_KNOWN, &cfg, &err) == BG_E_USAGE && !cfg &&
		   err.line == 3 && strstr(err.message, "unknown key 'trustedRegistries' in 'lint'"),
	   "load: unknown-key.yaml refused at line 3");
	ok(bg_lintconfig_load(testdata("missing.yaml"), known, N_KNOWN, &cfg, &err) == BG_E_USAGE &&
		   strstr(err.message, "missing.yaml"),
	   "load: a missing file is a usage error naming it");
}

/* ---- upward search in a temporary tree ---------------------------------- */

static char root[256]; /* the temporary directory, resolved */

static void mkdirs(const char *rel)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0700);
			*p = '/';
		}
	}
	mkdir(path, 0700);
}

static void touch(const char *rel)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		close(fd);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* Search from root/start; the result must be root/want (NULL: none). */
static void finds(const char *start, const char *want, const char *name)
{
	char dir[PATH_MAX], expected[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/%s", root, start);
	snprintf(expected, sizeof expected, "%s/%s", root, want ? want : "");
	char *found = (char *)"(not set)";
	int rc = bg_lintconfig_find(dir, &found, &err);
	ok(rc == 0, "find: %s: no error", name);
	is_str(found, want ? expected : NULL, "find: %s", name);
	if (rc == 0)
		free(found);
}

static void test_find(void)
{
	char tmpl[] = "/tmp/bootgate-lintconfig-XXXXXX";
	if (!mkdtemp(tmpl)) {
		ok(0, "mkdtemp");
		return;
	}
	/* Compare against the resolved path: /tmp may be a symlink. */
	char *resolved = realpath(tmpl, NULL);
	if (!resolved || strlen(resolved) >= sizeof root) {
		ok(0, "realpath of the temporary directory");
		free(resolved);
		return;
	}
	strcpy(root, resolved);
	free(resolved);
	/* root/.bootgate.yaml           above every repository
	 * root/repo/.git/               a repository without configuration
	 * root/repo/sub/deeper/
	 * root/configured/.git/         a repository with configuration in a subdirectory
	 * root/configured/a/.bootgate.yaml, root/configured/a/b/c/
	 * root/worktree/.git            (a file, as in git worktrees)
	 * root/plain/x/y/               no repository: the search goes on upwards */
	touch(".bootgate.yaml");
	mkdirs("repo/.git");
	mkdirs("repo/sub/deeper");
	mkdirs("configured/.git");
	mkdirs("configured/a/b/c");
	touch("configured/a/.bootgate.yaml");
	mkdirs("worktree/x");
	touch("worktree/.git");
	mkdirs("plain/x/y");

	finds("configured/a/b/c", "configured/a/.bootgate.yaml", "found two levels up");
	finds("configured/a", "configured/a/.bootgate.yaml", "found in the start directory");
	finds("configured", NULL, "not found below the start (only upwards)");
	finds("repo/sub/deeper", NULL, "the search stops at a directory holding .git");
	finds("worktree/x", NULL, "a .git file (worktree) stops the search too");
	finds("plain/x/y", ".bootgate.yaml", "without .git the search continues upwards");
	finds("configured/a/b/../b/c", "configured/a/.bootgate.yaml", "'..' in the start path");

	char cwd[PATH_MAX], sub[PATH_MAX];
	snprintf(sub, sizeof sub, "%s/configured/a/b", root);
	if (getcwd(cwd, sizeof cwd) && chdir(sub) == 0) {
		char *found = NULL, expected[PATH_MAX];
		snprintf(expected, sizeof expected, "%s/configured/a/.bootgate.yaml", root);
		ok(bg_lintconfig_find(NULL, &found, &err) == 0 && found &&
			   strcmp(found, expected) == 0,
		   "find: NULL start means the current directory; the path is absolute");
		free(found);
		ok(chdir(cwd) == 0, "back to the original directory");
	}

	char *found = (char *)"(not set)";
	snprintf(sub, sizeof sub, "%s/does-not-exist", root);
	ok(bg_lintconfig_find(sub, &found, &err) == BG_E_USAGE && !found &&
		   strstr(err.message, "does-not-exist"),
	   "find: a missing start directory is an error naming it");
	snprintf(sub, sizeof sub, "%s/.bootgate.yaml", root);
	ok(bg_lintconfig_find(sub, &found, &err) == BG_E_USAGE && strstr(err.message,
									 "not a directory"),
	   "find: a start that is a file is an error");

	ok(nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 && access(root, F_OK) != 0,
	   "temporary tree removed");
}

int main(void)
{
	if (!getenv("BOOTGATE_TESTDATA"))
		return tap_skip_all("BOOTGATE_TESTDATA is not set");
	test_full();
	test_defaults();
	test_errors();
	test_find();
	return tap_done();
}
