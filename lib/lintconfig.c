/* bootgate — the linter's configuration file (see include/bootgate/lintconfig.h
 * and doc/bootgate-lint-config.md).
 *
 * Everything is read through yamldoc, which already refuses ambiguous YAML;
 * this file checks the shape and the values.  A key whose value is empty
 * (`platform:`) counts as not given, except in `rules:` and `build-args:`
 * where an empty entry is almost certainly a mistake. */
#include "bootgate/lintconfig.h"
#include "bootgate/limits.h"
#include "bootgate/yamldoc.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const top_keys[] = {"lint", NULL};
static const char *const lint_keys[] = {
	"failure-threshold", "allowed-registries", "rules", "build-args", "platform", NULL,
};
static const char *const rule_keys[] = {"severity", "enabled", NULL};

bg_lintconfig *bg_lintconfig_new(void)
{
	bg_lintconfig *cfg = calloc(1, sizeof *cfg);
	if (cfg)
		cfg->threshold = BG_SEV_ERROR;
	return cfg;
}

void bg_lintconfig_free(bg_lintconfig *cfg)
{
	if (!cfg)
		return;
	bg_strv registries = {.v = cfg->allowed_registries, .n = cfg->n_allowed_registries};
	bg_strv args = {.v = cfg->build_args, .n = cfg->n_build_args};
	bg_strv_free(&registries);
	bg_strv_free(&args);
	free(cfg->rules);
	free(cfg->platform);
	free(cfg->path);
	free(cfg);
}

static int nomem(bg_error *err)
{
	return bg_error_set(err, BG_E_NOMEM, "out of memory reading the lint configuration");
}

/* ---- values ----------------------------------------------------------- */

static int read_threshold(const bg_yaml_node *node, bg_lintconfig *cfg, bg_error *err)
{
	const char *name;
	int rc = bg_yamldoc_string(node, "'failure-threshold'", &name, err);
	if (rc < 0)
		return rc;
	if (bg_severity_parse(name, &cfg->threshold) < 0)
		return bg_yamldoc_error(node, err, BG_E_USAGE,
					"'failure-threshold' must be error, warning, info or none, "
					"not '%s'",
					bg_yamldoc_shown(name).s);
	cfg->threshold_set = true;
	return 0;
}

/* A registry pattern as bg_reference_registry_matches reads it: "*", or a
 * host name with an optional port, optionally starting with "*." for any
 * subdomain.  Anything with a path, a scheme or spaces would never match. */
static bool registry_pattern_valid(const char *p)
{
	if (strcmp(p, "*") == 0)
		return true;
	if (bg_str_has_prefix(p, "*."))
		p += 2;
	if (!*p)
		return false;
	for (; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
		      ('0' <= *p && *p <= '9') || strchr(".-:[]_", *p)))
			return false;
	return true;
}

static int read_registries(const bg_yaml_node *node, bg_lintconfig *cfg, bg_error *err)
{
	int rc = bg_yamldoc_expect(node, BG_YAML_SEQUENCE, "'allowed-registries'", err);
	if (rc < 0)
		return rc;
	bg_strv list = {0};
	for (size_t i = 0; i < node->n_items; i++) {
		const bg_yaml_node *item = node->items[i];
		const char *pattern;
		rc = bg_yamldoc_string(item, "an 'allowed-registries' entry", &pattern, err);
		if (rc < 0)
			goto fail;
		if (!registry_pattern_valid(pattern)) {
			rc = bg_yamldoc_error(
				item, err, BG_E_USAGE,
				"'%s' in 'allowed-registries' is not a registry name; write a "
				"host such as registry.redhat.io (optionally with :port), "
				"*.example.com for its subdomains, or * for any registry",
				bg_yamldoc_shown(pattern).s);
			goto fail;
		}
		if (bg_strv_push(&list, pattern) < 0) {
			rc = nomem(err);
			goto fail;
		}
	}
	cfg->allowed_registries = list.v;
	cfg->n_allowed_registries = list.n;
	return 0;
fail:
	bg_strv_free(&list);
	return rc;
}

static const bg_rule *find_rule(const bg_rule *const *known, size_t n_known, const char *id)
{
	for (size_t i = 0; i < n_known; i++)
		if (known[i] && strcmp(known[i]->id, id) == 0)
			return known[i];
	return NULL;
}

static int unknown_rule(const bg_yaml_node *key, const bg_rule *const *known, size_t n_known,
			bg_error *err)
{
	bg_strbuf list = {0};
	for (size_t i = 0; i < n_known; i++)
		if (known[i])
			bg_strbuf_printf(&list, "%s%s", list.len ? ", " : "", known[i]->id);
	_cleanup_free_ char *names = bg_strbuf_take(&list);
	if (!names)
		return nomem(err);
	return bg_yamldoc_error(key, err, BG_E_USAGE,
				"unknown rule '%s' in 'rules'; known rules: %s",
				bg_yamldoc_shown(key->scalar).s,
				*names ? names : "(none)");
}

static int read_rule(const bg_yaml_node *key, const bg_yaml_node *value, const bg_rule *rule,
		     bg_lintconfig_rule *out, bg_error *err)
{
	char what[128];
	snprintf(what, sizeof what, "rule '%s'", rule->id);
	*out = (bg_lintconfig_rule){.rule = rule, .enabled = true};
	if (value->kind != BG_YAML_MAPPING)
		return bg_yamldoc_error(
			bg_yamldoc_is_null(value) ? key : value, err, BG_E_USAGE,
			"%s must be a mapping such as {severity: warning} or {enabled: false}", what);
	int rc = bg_yamldoc_check_keys(value, what, rule_keys, err);
	if (rc < 0)
		return rc;

	const bg_yaml_node *severity = bg_yamldoc_get(value, "severity");
	if (severity && !bg_yamldoc_is_null(severity)) {
		const char *name;
		snprintf(what, sizeof what, "'severity' of rule '%s'", rule->id);
		rc = bg_yamldoc_string(severity, what, &name, err);
		if (rc < 0)
			return rc;
		if (bg_severity_parse(name, &out->severity) < 0 || out->severity == BG_SEV_NONE)
			return bg_yamldoc_error(severity, err, BG_E_USAGE,
						"%s must be error, warning or info, not '%s' "
						"(to turn the rule off write enabled: false)",
						what, bg_yamldoc_shown(name).s);
		out->severity_set = true;
	}
	const bg_yaml_node *enabled = bg_yamldoc_get(value, "enabled");
	if (enabled && !bg_yamldoc_is_null(enabled)) {
		snprintf(what, sizeof what, "'enabled' of rule '%s'", rule->id);
		rc = bg_yamldoc_bool(enabled, what, &out->enabled, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int read_rules(const bg_yaml_node *node, const bg_rule *const *known, size_t n_known,
		      bg_lintconfig *cfg, bg_error *err)
{
	int rc = bg_yamldoc_expect(node, BG_YAML_MAPPING, "'rules'", err);
	if (rc < 0)
		return rc;
	if (node->n_pairs == 0)
		return 0;
	cfg->rules = calloc(node->n_pairs, sizeof *cfg->rules);
	if (!cfg->rules)
		return nomem(err);
	for (size_t i = 0; i < node->n_pairs; i++) {
		const bg_yaml_node *key = node->pairs[i].key, *value = node->pairs[i].value;
		const bg_rule *rule = find_rule(known, n_known, key->scalar);
		if (!rule)
			return unknown_rule(key, known, n_known, err);
		rc = read_rule(key, value, rule, &cfg->rules[cfg->n_rules], err);
		if (rc < 0)
			return rc;
		cfg->n_rules++;
	}
	return 0;
}

/* Names that ARG expansion ($NAME, ${NAME}) can refer to. */
static bool arg_name_valid(const char *s)
{
	if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') ||
		      ('0' <= *s && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static int read_build_args(const bg_yaml_node *node, bg_lintconfig *cfg, bg_error *err)
{
	int rc = bg_yamldoc_expect(node, BG_YAML_MAPPING, "'build-args'", err);
	if (rc < 0)
		return rc;
	bg_strv args = {0};
	for (size_t i = 0; i < node->n_pairs; i++) {
		const bg_yaml_node *key = node->pairs[i].key, *value = node->pairs[i].value;
		if (!arg_name_valid(key->scalar)) {
			rc = bg_yamldoc_error(key, err, BG_E_USAGE,
					      "'%s' in 'build-args' is not a build argument name "
					      "(letters, digits and _, not starting with a digit)",
					      bg_yamldoc_shown(key->scalar).s);
			goto fail;
		}
		char what[128];
		snprintf(what, sizeof what, "build argument '%s'", key->scalar);
		const char *text;
		rc = bg_yamldoc_string(value, what, &text, err);
		if (rc < 0)
			goto fail;
		bg_strbuf kv = {0};
		bg_strbuf_printf(&kv, "%s=%s", key->scalar, text);
		if (bg_strv_push_take(&args, bg_strbuf_take(&kv)) < 0) {
			rc = nomem(err);
			goto fail;
		}
	}
	cfg->build_args = args.v;
	cfg->n_build_args = args.n;
	return 0;
fail:
	bg_strv_free(&args);
	return rc;
}

/* os/arch or os/arch/variant, as --platform takes it. */
static bool platform_valid(const char *s)
{
	unsigned parts = 1;
	size_t part_len = 0;
	for (; *s; s++) {
		if (*s == '/') {
			if (part_len == 0)
				return false;
			parts++;
			part_len = 0;
		} else if (('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') ||
			   ('0' <= *s && *s <= '9') || *s == '_' || *s == '-' || *s == '.') {
			part_len++;
		} else {
			return false;
		}
	}
	return part_len > 0 && (parts == 2 || parts == 3);
}

static int read_platform(const bg_yaml_node *node, bg_lintconfig *cfg, bg_error *err)
{
	const char *text;
	int rc = bg_yamldoc_string(node, "'platform'", &text, err);
	if (rc < 0)
		return rc;
	if (!platform_valid(text))
		return bg_yamldoc_error(node, err, BG_E_USAGE,
					"'platform' must be os/arch or os/arch/variant, such as "
					"linux/amd64 or linux/arm64/v8, not '%s'",
					bg_yamldoc_shown(text).s);
	cfg->platform = bg_strdup(text);
	return cfg->platform ? 0 : nomem(err);
}

/* ---- the file --------------------------------------------------------- */

/* The value of key in lint, or NULL when absent or empty. */
static const bg_yaml_node *given(const bg_yaml_node *lint, const char *key)
{
	const bg_yaml_node *v = bg_yamldoc_get(lint, key);
	return v && !bg_yamldoc_is_null(v) ? v : NULL;
}

static int read_lint(const bg_yaml_node *lint, const bg_rule *const *known, size_t n_known,
		     bg_lintconfig *cfg, bg_error *err)
{
	int rc = bg_yamldoc_check_keys(lint, "'lint'", lint_keys, err);
	const bg_yaml_node *v;
	if (rc == 0 && (v = given(lint, "failure-threshold")))
		rc = read_threshold(v, cfg, err);
	if (rc == 0 && (v = given(lint, "allowed-registries")))
		rc = read_registries(v, cfg, err);
	if (rc == 0 && (v = given(lint, "rules")))
		rc = read_rules(v, known, n_known, cfg, err);
	if (rc == 0 && (v = given(lint, "build-args")))
		rc = read_build_args(v, cfg, err);
	if (rc == 0 && (v = given(lint, "platform")))
		rc = read_platform(v, cfg, err);
	return rc;
}

int bg_lintconfig_parse(const char *data, size_t len, const char *name,
			const bg_rule *const *known, size_t n_known, bg_lintconfig **out,
			bg_error *err)
{
	*out = NULL;
	bg_yamldoc *doc = NULL;
	int rc = bg_yamldoc_parse(data, len, name, &doc, err);
	if (rc < 0)
		return rc;
	bg_lintconfig *cfg = bg_lintconfig_new();
	if (!cfg || !(cfg->path = bg_strdup(name))) {
		rc = nomem(err);
		goto done;
	}
	/* An empty file, or `lint:` with nothing under it: the defaults. */
	if (doc->root && !bg_yamldoc_is_null(doc->root)) {
		rc = bg_yamldoc_check_keys(doc->root, "the configuration file", top_keys, err);
		const bg_yaml_node *lint = given(doc->root, "lint");
		if (rc == 0 && lint)
			rc = read_lint(lint, known, n_known, cfg, err);
	}
done:
	bg_yamldoc_free(doc);
	if (rc < 0) {
		bg_lintconfig_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int bg_lintconfig_load(const char *path, const bg_rule *const *known, size_t n_known,
		       bg_lintconfig **out, bg_error *err)
{
	*out = NULL;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int rc = bg_read_file(path, BG_MAX_CONFIG_FILE_BYTES, &data, &len, err);
	if (rc < 0)
		return rc;
	return bg_lintconfig_parse(data, len, path, known, n_known, out, err);
}

/* ---- finding the file ------------------------------------------------- */

/* Does dir/name exist (as anything: a dangling link is reported when it is
 * loaded, not skipped)?  Returns 1, 0, or a negative status. */
static int entry_exists(const char *dir, const char *name, char **path, bg_error *err)
{
	bg_strbuf b = {0};
	bg_strbuf_printf(&b, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", name);
	char *p = bg_strbuf_take(&b);
	if (!p)
		return nomem(err);
	struct stat st;
	if (lstat(p, &st) == 0) {
		if (path)
			*path = p;
		else
			free(p);
		return 1;
	}
	int e = errno;
	free(p);
	if (e == ENOENT || e == ENOTDIR)
		return 0;
	return bg_error_set(err, BG_E_USAGE, "%s: cannot look for %s there: %s", dir, name,
			    strerror(e));
}

int bg_lintconfig_find(const char *start_dir, char **path, bg_error *err)
{
	*path = NULL;
	const char *start = start_dir ? start_dir : ".";
	_cleanup_free_ char *dir = realpath(start, NULL);
	if (!dir)
		return bg_error_set(err, BG_E_USAGE, "%s: cannot search for %s from here: %s", start,
				    BG_LINTCONFIG_FILENAME, strerror(errno));
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return bg_error_set(err, BG_E_USAGE, "%s: not a directory; cannot search for %s",
				    start, BG_LINTCONFIG_FILENAME);
	for (;;) {
		int rc = entry_exists(dir, BG_LINTCONFIG_FILENAME, path, err);
		if (rc != 0)
			return rc < 0 ? rc : 0;
		/* The top of a repository (`.git` is a directory, or a file in
		 * worktrees and submodules): configuration above it belongs to
		 * something else. */
		rc = entry_exists(dir, ".git", NULL, err);
		if (rc != 0)
			return rc < 0 ? rc : 0;
		if (strcmp(dir, "/") == 0)
			return 0;
		char *slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

/* ---- use -------------------------------------------------------------- */

bool bg_lintconfig_rule_severity(const bg_lintconfig *cfg, const bg_rule *rule,
				 bg_severity *sev)
{
	*sev = rule->severity;
	for (size_t i = 0; cfg && i < cfg->n_rules; i++) {
		const bg_lintconfig_rule *r = &cfg->rules[i];
		if (r->rule != rule && strcmp(r->rule->id, rule->id) != 0)
			continue;
		if (r->severity_set)
			*sev = r->severity;
		return r->enabled;
	}
	return true;
}
