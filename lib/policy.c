/* bootgate — the gate policy (include/bootgate/policy.h, doc/bootgate-policy.5),
 * and the two small formats its checks read from an image: bootc kargs.d
 * TOML and systemd preset files.
 *
 * The policy is read through yamldoc, which already refuses ambiguous YAML;
 * this file checks shape and values.  Every error names the line, because a
 * policy is edited by hand and a gate that silently ignored a misspelt key
 * would pass images it was meant to stop. */
#include "bootgate/policy.h"
#include "bootgate/yamldoc.h"
#include "util.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* auditctl reads lines of at most 6144 bytes (LINE_SIZE). */
#define AUDIT_LINE_MAX 6144

static const char *const top_keys[] = {
	"version", "name", "description", "match-keys", "immutable", "rules",
	"forbidden", "files", "kargs", "units", "paths", NULL,
};
#define ITEM_KEYS "id", "severity", "controls", "reference", "description"
static const char *const immutable_keys[] = {ITEM_KEYS, NULL};
static const char *const required_keys[] = {ITEM_KEYS, "rule", NULL};
static const char *const forbidden_keys[] = {ITEM_KEYS, "rule", "shadowing", "where", NULL};
static const char *const file_keys[] = {ITEM_KEYS, "path", "type", "optional", "mode-max",
					"owner", "group", "sha256", NULL};
static const char *const karg_keys[] = {ITEM_KEYS, "arg", NULL};
static const char *const unit_keys[] = {ITEM_KEYS, "unit", NULL};
static const char *const kargs_keys[] = {"forbidden", NULL};
static const char *const units_keys[] = {"enabled", NULL};

/* What an image must always be read for, whatever the policy says
 * (issue 5 "Layer scan"): the rules, kargs.d, the audit units and the
 * places that enable them, and the user databases. */
static const char *const default_paths[] = {
	"/etc/audit/**",
	"/usr/lib/audit/**",
	"/usr/lib/bootc/kargs.d/**",
	"/usr/lib/systemd/system/auditd.service",
	"/usr/lib/systemd/system/audit-rules.service",
	"/usr/lib/systemd/system/*.wants/**",
	"/usr/lib/systemd/system/*.requires/**",
	"/etc/systemd/system/**",
	"/usr/lib/systemd/system-preset/**",
	"/etc/systemd/system-preset/**",
	/* user and group names in rules (-F uid=name) resolve in the image */
	"/etc/passwd",
	"/etc/group",
	"/usr/lib/passwd",
	"/usr/lib/group",
	NULL,
};

static int nomem(bg_error *err)
{
	return bg_error_set(err, BG_E_NOMEM, "out of memory reading the gate policy");
}

/* ---- small value checks ------------------------------------------------ */

/* NIST SP 800-53 control ids as the catalogue writes them: AC-6, AU-12,
 * AC-6(9), SI-4(2)(a) is not a control id (that is a part), so: two
 * upper-case letters, '-', a number, then any number of "(N)" enhancements. */
static bool control_valid(const char *s)
{
	if (!('A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z' && s[2] == '-'))
		return false;
	s += 3;
	if (!('1' <= *s && *s <= '9'))
		return false;
	while ('0' <= *s && *s <= '9')
		s++;
	while (*s == '(') {
		s++;
		if (!('1' <= *s && *s <= '9'))
			return false;
		while ('0' <= *s && *s <= '9')
			s++;
		if (*s++ != ')')
			return false;
	}
	return *s == '\0';
}

/* Requirement ids appear in reports and are what a user greps for:
 * letters, digits, '-', '_', '.', ':', '=' and '/' (karg and unit ids
 * carry the argument), starting with a letter or digit. */
static bool id_valid(const char *s)
{
	if (!*s || strlen(s) > 200)
		return false;
	if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || ('0' <= *s && *s <= '9')))
		return false;
	for (; *s; s++)
		if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') ||
		      ('0' <= *s && *s <= '9') || strchr("-_.:=/@", *s)))
			return false;
	return true;
}

static bool has_control_chars(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Normalise an absolute path in place: "//" → "/", "/./" → "/", no
 * trailing "/".  ".." is refused by the caller (a policy names paths in
 * the image; there is nothing to climb out of). */
static void normalise_path(char *p)
{
	char *w = p;
	for (const char *r = p; *r;) {
		if (*r == '/') {
			while (r[0] == '/' || (r[0] == '.' && (r[1] == '/' || r[1] == '\0') && r[-1] == '/'))
				r++;
			*w++ = '/';
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
}

static bool path_has_dotdot(const char *p)
{
	for (const char *s = p; (s = strstr(s, "..")); s += 2)
		if ((s == p || s[-1] == '/') && (s[2] == '/' || s[2] == '\0'))
			return true;
	return false;
}

/* A glob of paths: absolute, no "..", no control characters; "**" only as
 * a whole component.  Returns a normalised copy or NULL (message set). */
static char *read_glob(const bg_yaml_node *node, const char *what, bg_error *err)
{
	const char *text;
	if (bg_yamldoc_string(node, what, &text, err) < 0)
		return NULL;
	if (text[0] != '/' || has_control_chars(text) || path_has_dotdot(text)) {
		bg_yamldoc_error(node, err, BG_E_USAGE,
				 "%s must be an absolute path in the image without '..', "
				 "not '%s'",
				 what, bg_yamldoc_shown(text).s);
		return NULL;
	}
	for (const char *s = text; (s = strstr(s, "**")); s += 2) {
		if ((s != text && s[-1] != '/') || (s[2] != '/' && s[2] != '\0')) {
			bg_yamldoc_error(node, err, BG_E_USAGE,
					 "%s: '**' must be a whole path component "
					 "(as in /etc/audit/**), in '%s'",
					 what, bg_yamldoc_shown(text).s);
			return NULL;
		}
	}
	if (strpbrk(text, "[]{}\\")) {
		bg_yamldoc_error(node, err, BG_E_USAGE,
				 "%s: only '*', '**' and '?' are special in a path; "
				 "'[', ']', '{', '}' and '\\' are not supported, in '%s'",
				 what, bg_yamldoc_shown(text).s);
		return NULL;
	}
	char *copy = bg_strdup(text);
	if (!copy) {
		nomem(err);
		return NULL;
	}
	normalise_path(copy);
	return copy;
}

/* A copy of a string value, or NULL with err set. */
static char *read_text(const bg_yaml_node *node, const char *what, bool one_line, bg_error *err)
{
	const char *text;
	if (bg_yamldoc_string(node, what, &text, err) < 0)
		return NULL;
	if (one_line && has_control_chars(text)) {
		bg_yamldoc_error(node, err, BG_E_USAGE,
				 "%s must be one line without control characters", what);
		return NULL;
	}
	char *copy = bg_strdup(text);
	if (!copy)
		nomem(err);
	return copy;
}

/* ---- what every requirement carries ------------------------------------ */

static void item_clear(bg_policy_item *it)
{
	free(it->id);
	for (size_t i = 0; i < it->n_controls; i++)
		free(it->controls[i]);
	free(it->reference);
	free(it->description);
	memset(it, 0, sizeof *it);
}

static int read_controls(const bg_yaml_node *node, const char *what, bg_policy_item *it,
			 bg_error *err)
{
	char w[400];
	snprintf(w, sizeof w, "'controls' of %s", what);
	int rc = bg_yamldoc_expect(node, BG_YAML_SEQUENCE, w, err);
	if (rc < 0)
		return rc;
	if (node->n_items > BG_POLICY_MAX_CONTROLS)
		return bg_yamldoc_error(node, err, BG_E_USAGE, "%s lists %zu controls; at most %d",
					w, node->n_items, BG_POLICY_MAX_CONTROLS);
	for (size_t i = 0; i < node->n_items; i++) {
		const char *c;
		rc = bg_yamldoc_string(node->items[i], w, &c, err);
		if (rc < 0)
			return rc;
		if (!control_valid(c))
			return bg_yamldoc_error(node->items[i], err, BG_E_USAGE,
						"'%s' in %s is not a NIST SP 800-53 control id "
						"such as AU-12 or AC-6(9)",
						bg_yamldoc_shown(c).s, w);
		for (size_t k = 0; k < it->n_controls; k++)
			if (strcmp(it->controls[k], c) == 0)
				return bg_yamldoc_error(node->items[i], err, BG_E_USAGE,
							"%s lists %s twice", w, c);
		if (!(it->controls[it->n_controls] = bg_strdup(c)))
			return nomem(err);
		it->n_controls++;
	}
	return 0;
}

/* The common keys of a requirement mapping.  default_id (may be NULL: then
 * `id` is required) is used when the mapping has no id. */
static int read_item(const bg_yaml_node *map, const char *what, const char *default_id,
		     bg_policy_item *it, bg_error *err)
{
	it->severity = BG_SEV_ERROR;
	it->line = map->line;
	it->column = map->column;
	const bg_yaml_node *n;
	int rc;
	char w[320];

	if ((n = bg_yamldoc_get(map, "id")) && !bg_yamldoc_is_null(n)) {
		snprintf(w, sizeof w, "'id' of %s", what);
		if (!(it->id = read_text(n, w, true, err)))
			return err->status;
		if (!id_valid(it->id))
			return bg_yamldoc_error(n, err, BG_E_USAGE,
						"'%s' is not a valid requirement id: use letters, digits "
						"and - _ . : = / @, starting with a letter or digit",
						bg_yamldoc_shown(it->id).s);
	} else if (default_id) {
		if (!(it->id = bg_strdup(default_id)))
			return nomem(err);
	} else {
		return bg_yamldoc_error(map, err, BG_E_USAGE,
					"%s has no 'id'; give every requirement a unique id "
					"(it names the requirement in reports)",
					what);
	}
	if ((n = bg_yamldoc_get(map, "severity")) && !bg_yamldoc_is_null(n)) {
		const char *name;
		snprintf(w, sizeof w, "'severity' of '%s'", it->id);
		if ((rc = bg_yamldoc_string(n, w, &name, err)) < 0)
			return rc;
		if (bg_severity_parse(name, &it->severity) < 0 || it->severity == BG_SEV_NONE)
			return bg_yamldoc_error(n, err, BG_E_USAGE,
						"%s must be error, warning or info, not '%s'", w,
						bg_yamldoc_shown(name).s);
	}
	if ((n = bg_yamldoc_get(map, "controls")) && !bg_yamldoc_is_null(n)) {
		snprintf(w, sizeof w, "'%s'", it->id);
		if ((rc = read_controls(n, w, it, err)) < 0)
			return rc;
	}
	if ((n = bg_yamldoc_get(map, "reference")) && !bg_yamldoc_is_null(n)) {
		snprintf(w, sizeof w, "'reference' of '%s'", it->id);
		if (!(it->reference = read_text(n, w, true, err)))
			return err->status;
	}
	if ((n = bg_yamldoc_get(map, "description")) && !bg_yamldoc_is_null(n)) {
		snprintf(w, sizeof w, "'description' of '%s'", it->id);
		if (!(it->description = read_text(n, w, false, err)))
			return err->status;
	}
	return 0;
}

/* An audit rule as a policy states it: one line, as auditctl would read it
 * from a rules file (so not a comment, not empty, at most 6144 bytes).  Its
 * syntax is checked by the audit module, which knows the image's arch. */
static int read_rule_text(const bg_yaml_node *node, const char *id, char **out, bg_error *err)
{
	char w[320];
	snprintf(w, sizeof w, "'rule' of '%s'", id);
	char *text = read_text(node, w, true, err);
	if (!text)
		return err->status;
	const char *s = text;
	while (*s == ' ')
		s++;
	int rc = 0;
	if (!*s)
		rc = bg_yamldoc_error(node, err, BG_E_USAGE, "%s is empty", w);
	else if (*s == '#')
		rc = bg_yamldoc_error(node, err, BG_E_USAGE,
				      "%s is a comment; write the audit rule itself", w);
	else if (strlen(text) >= AUDIT_LINE_MAX)
		rc = bg_yamldoc_error(node, err, BG_E_USAGE,
				      "%s is longer than auditctl's %d-byte line", w,
				      AUDIT_LINE_MAX - 1);
	if (rc < 0) {
		free(text);
		return rc;
	}
	*out = text;
	return 0;
}

/* ---- the sections --------------------------------------------------------- */

static int read_immutable(const bg_yaml_node *node, bg_policy *p, bg_error *err)
{
	if (node->kind == BG_YAML_SCALAR) {
		int rc = bg_yamldoc_bool(node, "'immutable'", &p->immutable, err);
		if (rc < 0)
			return rc;
		p->immutable_item.severity = BG_SEV_ERROR;
		p->immutable_item.line = node->line;
		p->immutable_item.column = node->column;
		if (!(p->immutable_item.id = bg_strdup("immutable")))
			return nomem(err);
		return 0;
	}
	if (node->kind != BG_YAML_MAPPING)
		return bg_yamldoc_error(node, err, BG_E_USAGE,
					"'immutable' must be true, false or a mapping "
					"{id:, severity:, controls:, reference:}");
	int rc = bg_yamldoc_check_keys(node, "'immutable'", immutable_keys, err);
	if (rc < 0)
		return rc;
	p->immutable = true;
	return read_item(node, "'immutable'", "immutable", &p->immutable_item, err);
}

static int read_required(const bg_yaml_node *node, bg_policy *p, bg_error *err)
{
	int rc = bg_yamldoc_expect(node, BG_YAML_SEQUENCE, "'rules'", err);
	if (rc < 0)
		return rc;
	if (node->n_items && !(p->required = calloc(node->n_items, sizeof *p->required)))
		return nomem(err);
	for (size_t i = 0; i < node->n_items; i++) {
		const bg_yaml_node *m = node->items[i];
		char what[64];
		snprintf(what, sizeof what, "entry %zu of 'rules'", i + 1);
		bg_policy_required *r = &p->required[p->n_required++];
		if ((rc = bg_yamldoc_check_keys(m, what, required_keys, err)) < 0 ||
		    (rc = read_item(m, what, NULL, &r->item, err)) < 0)
			return rc;
		const bg_yaml_node *rule = bg_yamldoc_get(m, "rule");
		if (!rule || bg_yamldoc_is_null(rule))
			return bg_yamldoc_error(m, err, BG_E_USAGE,
						"required rule '%s' has no 'rule' (the audit rule line)",
						r->item.id);
		if ((rc = read_rule_text(rule, r->item.id, &r->rule, err)) < 0)
			return rc;
		r->rule_line = rule->line;
		r->rule_column = rule->column;
	}
	return 0;
}

static int read_forbidden(const bg_yaml_node *node, bg_policy *p, bg_error *err)
{
	int rc = bg_yamldoc_expect(node, BG_YAML_SEQUENCE, "'forbidden'", err);
	if (rc < 0)
		return rc;
	if (node->n_items && !(p->forbidden = calloc(node->n_items, sizeof *p->forbidden)))
		return nomem(err);
	for (size_t i = 0; i < node->n_items; i++) {
		const bg_yaml_node *m = node->items[i], *n;
		char what[64];
		snprintf(what, sizeof what, "entry %zu of 'forbidden'", i + 1);
		bg_policy_forbidden *f = &p->forbidden[p->n_forbidden++];
		if ((rc = bg_yamldoc_check_keys(m, what, forbidden_keys, err)) < 0 ||
		    (rc = read_item(m, what, NULL, &f->item, err)) < 0)
			return rc;
		const bg_yaml_node *rule = bg_yamldoc_get(m, "rule");
		const bg_yaml_node *shadowing = bg_yamldoc_get(m, "shadowing");
		if (shadowing && !bg_yamldoc_is_null(shadowing) &&
		    (rc = bg_yamldoc_bool(shadowing, "'shadowing'", &f->shadowing, err)) < 0)
			return rc;
		bool has_rule = rule && !bg_yamldoc_is_null(rule);
		if (has_rule == f->shadowing)
			return bg_yamldoc_error(m, err, BG_E_USAGE,
						"forbidden '%s' needs exactly one of 'rule' (an audit "
						"rule line) or 'shadowing: true'",
						f->item.id);
		if (has_rule) {
			if ((rc = read_rule_text(rule, f->item.id, &f->rule, err)) < 0)
				return rc;
			f->rule_line = rule->line;
			f->rule_column = rule->column;
		}
		if ((n = bg_yamldoc_get(m, "where")) && !bg_yamldoc_is_null(n)) {
			const char *where;
			if ((rc = bg_yamldoc_string(n, "'where'", &where, err)) < 0)
				return rc;
			if (!has_rule)
				return bg_yamldoc_error(n, err, BG_E_USAGE,
							"'where' applies to a forbidden 'rule', not to "
							"'shadowing' (which is always before a required rule)");
			if (strcmp(where, "anywhere") == 0)
				f->where = BG_POLICY_ANYWHERE;
			else if (strcmp(where, "after-required") == 0)
				f->where = BG_POLICY_AFTER_REQUIRED;
			else if (strcmp(where, "before-required") == 0)
				f->where = BG_POLICY_BEFORE_REQUIRED;
			else
				return bg_yamldoc_error(n, err, BG_E_USAGE,
							"'where' must be anywhere, after-required or "
							"before-required, not '%s'",
							bg_yamldoc_shown(where).s);
		}
	}
	return 0;
}

/* "0640", 640, "640": octal permission bits, at most 07777. */
static int read_mode(const bg_yaml_node *node, unsigned *out, bg_error *err)
{
	const char *s;
	int rc = bg_yamldoc_string(node, "'mode-max'", &s, err);
	if (rc < 0)
		return rc;
	size_t n = strlen(s);
	bool digits = n >= 3 && n <= 4;
	for (size_t i = 0; i < n && digits; i++)
		digits = '0' <= s[i] && s[i] <= '7';
	if (!digits)
		return bg_yamldoc_error(node, err, BG_E_USAGE,
					"'mode-max' must be octal permission bits such as \"0640\" "
					"or \"0755\", not '%s'",
					bg_yamldoc_shown(s).s);
	*out = (unsigned)strtoul(s, NULL, 8);
	return 0;
}

static int read_id_number(const bg_yaml_node *node, const char *what, unsigned *out,
			  bg_error *err)
{
	if (node->kind == BG_YAML_SCALAR && strcmp(node->scalar, "root") == 0) {
		*out = 0;
		return 0;
	}
	long long v;
	int rc = bg_yamldoc_int(node, what, 0, 4294967294LL, &v, err);
	if (rc < 0)
		return bg_yamldoc_error(node, err, BG_E_USAGE,
					"%s must be a numeric id (0 to 4294967294) or root; other "
					"names depend on the image's passwd, so write the number",
					what);
	*out = (unsigned)v;
	return 0;
}

static int read_file(const bg_yaml_node *m, size_t index, bg_policy_file *f, bg_error *err)
{
	char what[64];
	snprintf(what, sizeof what, "entry %zu of 'files'", index + 1);
	int rc = bg_yamldoc_check_keys(m, what, file_keys, err);
	if (rc < 0)
		return rc;
	const bg_yaml_node *path = bg_yamldoc_get(m, "path"), *n;
	if (!path || bg_yamldoc_is_null(path))
		return bg_yamldoc_error(m, err, BG_E_USAGE, "%s has no 'path'", what);
	if (!(f->path = read_glob(path, "'path'", err)))
		return err->status;
	f->glob = strpbrk(f->path, "*?") != NULL;
	char id[300];
	snprintf(id, sizeof id, "file:%s", f->path);
	if (!id_valid(id))
		snprintf(id, sizeof id, "file-%zu", index + 1);
	if ((rc = read_item(m, what, id, &f->item, err)) < 0)
		return rc;
	if ((n = bg_yamldoc_get(m, "type")) && !bg_yamldoc_is_null(n)) {
		const char *t;
		if ((rc = bg_yamldoc_string(n, "'type'", &t, err)) < 0)
			return rc;
		if (strcmp(t, "file") == 0)
			f->type = BG_POLICY_TYPE_FILE;
		else if (strcmp(t, "directory") == 0)
			f->type = BG_POLICY_TYPE_DIRECTORY;
		else if (strcmp(t, "symlink") == 0)
			f->type = BG_POLICY_TYPE_SYMLINK;
		else if (strcmp(t, "any") == 0)
			f->type = BG_POLICY_TYPE_ANY;
		else
			return bg_yamldoc_error(n, err, BG_E_USAGE,
						"'type' must be file, directory, symlink or any, not '%s'",
						bg_yamldoc_shown(t).s);
	}
	if ((n = bg_yamldoc_get(m, "optional")) && !bg_yamldoc_is_null(n) &&
	    (rc = bg_yamldoc_bool(n, "'optional'", &f->optional, err)) < 0)
		return rc;
	if ((n = bg_yamldoc_get(m, "mode-max")) && !bg_yamldoc_is_null(n)) {
		if ((rc = read_mode(n, &f->mode_max, err)) < 0)
			return rc;
		f->has_mode_max = true;
	}
	if ((n = bg_yamldoc_get(m, "owner")) && !bg_yamldoc_is_null(n)) {
		if ((rc = read_id_number(n, "'owner'", &f->owner, err)) < 0)
			return rc;
		f->has_owner = true;
	}
	if ((n = bg_yamldoc_get(m, "group")) && !bg_yamldoc_is_null(n)) {
		if ((rc = read_id_number(n, "'group'", &f->group, err)) < 0)
			return rc;
		f->has_group = true;
	}
	if ((n = bg_yamldoc_get(m, "sha256")) && !bg_yamldoc_is_null(n)) {
		const char *h;
		if ((rc = bg_yamldoc_string(n, "'sha256'", &h, err)) < 0)
			return rc;
		if (bg_str_has_prefix(h, "sha256:"))
			h += 7;
		bool hex = strlen(h) == 64;
		for (size_t i = 0; hex && i < 64; i++)
			hex = ('0' <= h[i] && h[i] <= '9') || ('a' <= h[i] && h[i] <= 'f');
		if (!hex)
			return bg_yamldoc_error(n, err, BG_E_USAGE,
						"'sha256' must be 64 lower-case hex digits "
						"(optionally after sha256:)");
		if (f->glob)
			return bg_yamldoc_error(n, err, BG_E_USAGE,
						"'sha256' names one file's content; it cannot apply to "
						"the glob '%s'",
						bg_yamldoc_shown(f->path).s);
		if (!(f->sha256 = bg_strdup(h)))
			return nomem(err);
	}
	if (f->sha256 && f->type != BG_POLICY_TYPE_FILE && f->type != BG_POLICY_TYPE_ANY)
		return bg_yamldoc_error(m, err, BG_E_USAGE,
					"'sha256' needs a regular file, not type %s",
					f->type == BG_POLICY_TYPE_DIRECTORY ? "directory" : "symlink");
	return 0;
}

static int read_files(const bg_yaml_node *node, bg_policy *p, bg_error *err)
{
	int rc = bg_yamldoc_expect(node, BG_YAML_SEQUENCE, "'files'", err);
	if (rc < 0)
		return rc;
	if (node->n_items && !(p->files = calloc(node->n_items, sizeof *p->files)))
		return nomem(err);
	for (size_t i = 0; i < node->n_items; i++) {
		bg_policy_file *f = &p->files[p->n_files++];
		if ((rc = bg_yamldoc_expect(node->items[i], BG_YAML_MAPPING, "an entry of 'files'",
					    err)) < 0 ||
		    (rc = read_file(node->items[i], i, f, err)) < 0)
			return rc;
	}
	return 0;
}

/* A kernel argument: printable, no spaces or quotes (one argument). */
static bool karg_valid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '"' || *s == '\'')
			return false;
	return true;
}

/* A short-form entry (a string) or a mapping with `key` and the item keys. */
static int read_named(const bg_yaml_node *n, const char *section, const char *key,
		      const char *const *keys, const char *id_prefix, bg_policy_item *it,
		      char **value, bg_error *err)
{
	char what[96];
	snprintf(what, sizeof what, "an entry of '%s'", section);
	const bg_yaml_node *v = n;
	int rc;
	if (n->kind == BG_YAML_MAPPING) {
		if ((rc = bg_yamldoc_check_keys(n, what, keys, err)) < 0)
			return rc;
		v = bg_yamldoc_get(n, key);
		if (!v || bg_yamldoc_is_null(v))
			return bg_yamldoc_error(n, err, BG_E_USAGE, "%s has no '%s'", what, key);
	} else if (n->kind != BG_YAML_SCALAR) {
		return bg_yamldoc_error(n, err, BG_E_USAGE,
					"%s must be a string or a mapping with '%s'", what, key);
	}
	if (!(*value = read_text(v, what, true, err)))
		return err->status;
	char id[300];
	snprintf(id, sizeof id, "%s:%s", id_prefix, *value);
	if (n->kind == BG_YAML_MAPPING)
		return read_item(n, what, id, it, err);
	it->severity = BG_SEV_ERROR;
	it->line = n->line;
	it->column = n->column;
	if (!(it->id = bg_strdup(id)))
		return nomem(err);
	return 0;
}

static int read_kargs(const bg_yaml_node *node, bg_policy *p, bg_error *err)
{
	int rc = bg_yamldoc_check_keys(node, "'kargs'", kargs_keys, err);
	if (rc < 0)
		return rc;
	const bg_yaml_node *list = bg_yamldoc_get(node, "forbidden");
	if (!list || bg_yamldoc_is_null(list))
		return 0;
	if ((rc = bg_yamldoc_expect(list, BG_YAML_SEQUENCE, "'kargs.forbidden'", err)) < 0)
		return rc;
	if (list->n_items && !(p->kargs = calloc(list->n_items, sizeof *p->kargs)))
		return nomem(err);
	for (size_t i = 0; i < list->n_items; i++) {
		bg_policy_karg *k = &p->kargs[p->n_kargs++];
		if ((rc = read_named(list->items[i], "kargs.forbidden", "arg", karg_keys,
				     "karg-forbidden", &k->item, &k->arg, err)) < 0)
			return rc;
		if (!karg_valid(k->arg))
			return bg_yamldoc_error(list->items[i], err, BG_E_USAGE,
						"'%s' is not one kernel argument (no spaces or quotes)",
						bg_yamldoc_shown(k->arg).s);
	}
	return 0;
}

/* A unit name as systemd accepts it: name.suffix with a known suffix. */
static bool unit_valid(const char *s)
{
	static const char *const suffixes[] = {".service", ".socket", ".timer", ".path",
					       ".target", ".mount", NULL};
	bool suffix = false;
	for (size_t i = 0; suffixes[i] && !suffix; i++)
		suffix = bg_str_has_suffix(s, suffixes[i]) && strlen(s) > strlen(suffixes[i]);
	if (!suffix || strlen(s) > 255)
		return false;
	for (; *s; s++)
		if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') ||
		      ('0' <= *s && *s <= '9') || strchr(":-_.\\@", *s)))
			return false;
	return true;
}

static int read_units(const bg_yaml_node *node, bg_policy *p, bg_error *err)
{
	int rc = bg_yamldoc_check_keys(node, "'units'", units_keys, err);
	if (rc < 0)
		return rc;
	const bg_yaml_node *list = bg_yamldoc_get(node, "enabled");
	if (!list || bg_yamldoc_is_null(list))
		return 0;
	if ((rc = bg_yamldoc_expect(list, BG_YAML_SEQUENCE, "'units.enabled'", err)) < 0)
		return rc;
	if (list->n_items && !(p->units = calloc(list->n_items, sizeof *p->units)))
		return nomem(err);
	for (size_t i = 0; i < list->n_items; i++) {
		bg_policy_unit *u = &p->units[p->n_units++];
		if ((rc = read_named(list->items[i], "units.enabled", "unit", unit_keys,
				     "unit-enabled", &u->item, &u->unit, err)) < 0)
			return rc;
		if (!unit_valid(u->unit))
			return bg_yamldoc_error(list->items[i], err, BG_E_USAGE,
						"'%s' is not a systemd unit name such as auditd.service",
						bg_yamldoc_shown(u->unit).s);
	}
	return 0;
}

static int read_paths(const bg_yaml_node *node, bg_policy *p, bg_error *err)
{
	int rc = bg_yamldoc_expect(node, BG_YAML_SEQUENCE, "'paths'", err);
	if (rc < 0)
		return rc;
	p->paths = calloc(node->n_items + 1, sizeof *p->paths);
	if (!p->paths)
		return nomem(err);
	for (size_t i = 0; i < node->n_items; i++) {
		if (!(p->paths[p->n_paths] = read_glob(node->items[i], "an entry of 'paths'", err)))
			return err->status;
		p->n_paths++;
	}
	return 0;
}

/* Every requirement's id, wherever it is, names it alone. */
static int check_unique_ids(const bg_policy *p, bg_error *err)
{
	size_t n = p->n_required + p->n_forbidden + p->n_files + p->n_kargs + p->n_units + 1;
	_cleanup_free_ const bg_policy_item **items = calloc(n, sizeof *items);
	if (!items)
		return nomem(err);
	size_t k = 0;
	if (p->immutable)
		items[k++] = &p->immutable_item;
	for (size_t i = 0; i < p->n_required; i++)
		items[k++] = &p->required[i].item;
	for (size_t i = 0; i < p->n_forbidden; i++)
		items[k++] = &p->forbidden[i].item;
	for (size_t i = 0; i < p->n_files; i++)
		items[k++] = &p->files[i].item;
	for (size_t i = 0; i < p->n_kargs; i++)
		items[k++] = &p->kargs[i].item;
	for (size_t i = 0; i < p->n_units; i++)
		items[k++] = &p->units[i].item;
	for (size_t i = 1; i < k; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(items[i]->id, items[j]->id) == 0)
				return bg_error_at(err, BG_E_USAGE, items[i]->line, items[i]->column,
						   "%s:%u:%u: requirement id '%s' is already used at "
						   "line %u; ids must be unique",
						   p->path, items[i]->line, items[i]->column,
						   bg_yamldoc_shown(items[i]->id).s, items[j]->line);
	return 0;
}

static int read_policy(const bg_yaml_node *root, bg_policy *p, bg_error *err)
{
	int rc = bg_yamldoc_check_keys(root, "the policy", top_keys, err);
	if (rc < 0)
		return rc;
	const bg_yaml_node *n = bg_yamldoc_get(root, "version");
	if (!n)
		return bg_yamldoc_error(root, err, BG_E_USAGE,
					"the policy has no 'version'; write version: %d as its first line",
					BG_POLICY_VERSION);
	long long version;
	if ((rc = bg_yamldoc_int(n, "'version'", 1, 1000, &version, err)) < 0)
		return rc;
	if (version != BG_POLICY_VERSION)
		return bg_yamldoc_error(n, err, BG_E_USAGE,
					"policy version %lld is not supported; this bootgate reads "
					"version %d",
					version, BG_POLICY_VERSION);
	if ((n = bg_yamldoc_get(root, "name")) && !bg_yamldoc_is_null(n) &&
	    !(p->name = read_text(n, "'name'", true, err)))
		return err->status;
	if ((n = bg_yamldoc_get(root, "description")) && !bg_yamldoc_is_null(n) &&
	    !(p->description = read_text(n, "'description'", false, err)))
		return err->status;
	if ((n = bg_yamldoc_get(root, "match-keys")) && !bg_yamldoc_is_null(n) &&
	    (rc = bg_yamldoc_bool(n, "'match-keys'", &p->match_keys, err)) < 0)
		return rc;
	if ((n = bg_yamldoc_get(root, "immutable")) && !bg_yamldoc_is_null(n) &&
	    (rc = read_immutable(n, p, err)) < 0)
		return rc;
	if ((n = bg_yamldoc_get(root, "rules")) && !bg_yamldoc_is_null(n) &&
	    (rc = read_required(n, p, err)) < 0)
		return rc;
	if ((n = bg_yamldoc_get(root, "forbidden")) && !bg_yamldoc_is_null(n) &&
	    (rc = read_forbidden(n, p, err)) < 0)
		return rc;
	if ((n = bg_yamldoc_get(root, "files")) && !bg_yamldoc_is_null(n) &&
	    (rc = read_files(n, p, err)) < 0)
		return rc;
	if ((n = bg_yamldoc_get(root, "kargs")) && !bg_yamldoc_is_null(n) &&
	    (rc = read_kargs(n, p, err)) < 0)
		return rc;
	if ((n = bg_yamldoc_get(root, "units")) && !bg_yamldoc_is_null(n) &&
	    (rc = read_units(n, p, err)) < 0)
		return rc;
	if ((n = bg_yamldoc_get(root, "paths")) && !bg_yamldoc_is_null(n) &&
	    (rc = read_paths(n, p, err)) < 0)
		return rc;
	if (!p->immutable && !p->n_required && !p->n_forbidden && !p->n_files && !p->n_kargs &&
	    !p->n_units)
		return bg_yamldoc_error(root, err, BG_E_USAGE,
					"the policy requires nothing (no immutable, rules, forbidden, "
					"files, kargs or units); a gate that checks nothing would "
					"pass every image");
	return check_unique_ids(p, err);
}

int bg_policy_parse(const char *data, size_t len, const char *name, bg_policy **out,
		    bg_error *err)
{
	*out = NULL;
	if (len > BG_MAX_POLICY_BYTES)
		return bg_error_set(err, BG_E_USAGE, "%s: the policy is larger than %lu bytes", name,
				    (unsigned long)BG_MAX_POLICY_BYTES);
	bg_yamldoc *doc = NULL;
	int rc = bg_yamldoc_parse(data, len, name, &doc, err);
	if (rc < 0)
		return rc;
	bg_policy *p = calloc(1, sizeof *p);
	if (!p || !(p->path = bg_strdup(name))) {
		free(p);
		bg_yamldoc_free(doc);
		return nomem(err);
	}
	p->match_keys = true;
	if (!doc->root)
		rc = bg_error_at(err, BG_E_USAGE, 1, 1, "%s:1:1: the policy is empty", name);
	else if ((rc = bg_yamldoc_expect(doc->root, BG_YAML_MAPPING, "the policy", err)) == 0)
		rc = read_policy(doc->root, p, err);
	bg_yamldoc_free(doc);
	if (rc < 0) {
		bg_policy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int bg_policy_load(const char *path, bg_policy **out, bg_error *err)
{
	*out = NULL;
	char *data = NULL;
	size_t len = 0;
	int rc = bg_read_file(path, BG_MAX_POLICY_BYTES, &data, &len, err);
	if (rc < 0) {
		bg_error_prefix(err, "reading the gate policy");
		return rc;
	}
	rc = bg_policy_parse(data, len, path, out, err);
	free(data);
	return rc;
}

void bg_policy_free(bg_policy *p)
{
	if (!p)
		return;
	item_clear(&p->immutable_item);
	for (size_t i = 0; i < p->n_required; i++) {
		item_clear(&p->required[i].item);
		free(p->required[i].rule);
	}
	for (size_t i = 0; i < p->n_forbidden; i++) {
		item_clear(&p->forbidden[i].item);
		free(p->forbidden[i].rule);
	}
	for (size_t i = 0; i < p->n_files; i++) {
		item_clear(&p->files[i].item);
		free(p->files[i].path);
		free(p->files[i].sha256);
	}
	for (size_t i = 0; i < p->n_kargs; i++) {
		item_clear(&p->kargs[i].item);
		free(p->kargs[i].arg);
	}
	for (size_t i = 0; i < p->n_units; i++) {
		item_clear(&p->units[i].item);
		free(p->units[i].unit);
	}
	for (size_t i = 0; i < p->n_paths; i++)
		free(p->paths[i]);
	free(p->paths);
	free(p->required);
	free(p->forbidden);
	free(p->files);
	free(p->kargs);
	free(p->units);
	free(p->name);
	free(p->description);
	free(p->path);
	free(p);
}

/* ---- paths of interest --------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **bg_policy_paths_of_interest(const bg_policy *p, size_t *n)
{
	bg_strv v = {0};
	bool oom = false;
	for (size_t i = 0; default_paths[i]; i++)
		oom |= bg_strv_push(&v, default_paths[i]) < 0;
	if (p) {
		for (size_t i = 0; i < p->n_units; i++) {
			char path[512];
			snprintf(path, sizeof path, "/usr/lib/systemd/system/%s", p->units[i].unit);
			oom |= bg_strv_push(&v, path) < 0;
		}
		for (size_t i = 0; i < p->n_files; i++)
			oom |= bg_strv_push(&v, p->files[i].path) < 0;
		for (size_t i = 0; i < p->n_paths; i++)
			oom |= bg_strv_push(&v, p->paths[i]) < 0;
	}
	if (oom) {
		bg_strv_free(&v);
		return NULL;
	}
	/* bg_strv keeps v.v NULL-terminated, and the default set is never empty. */
	size_t count = v.n;
	qsort(v.v, count, sizeof *v.v, cmp_str);
	size_t w = 0;
	for (size_t i = 0; i < count; i++) {
		if (w && strcmp(v.v[w - 1], v.v[i]) == 0) {
			free(v.v[i]);
			continue;
		}
		v.v[w++] = v.v[i];
	}
	v.v[w] = NULL;
	if (n)
		*n = w;
	return v.v;
}

void bg_policy_paths_free(char **paths)
{
	if (!paths)
		return;
	for (size_t i = 0; paths[i]; i++)
		free(paths[i]);
	free(paths);
}

/* Match one component (no '/') against one glob component. */
static bool component_match(const char *g, size_t gn, const char *s, size_t sn)
{
	size_t gi = 0, si = 0, star = (size_t)-1, mark = 0;
	while (si < sn) {
		if (gi < gn && (g[gi] == '?' || g[gi] == s[si])) {
			gi++;
			si++;
		} else if (gi < gn && g[gi] == '*') {
			star = gi++;
			mark = si;
		} else if (star != (size_t)-1) {
			gi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (gi < gn && g[gi] == '*')
		gi++;
	return gi == gn;
}

static bool glob_from(const char *g, const char *s)
{
	for (;;) {
		while (*g == '/')
			g++;
		while (*s == '/')
			s++;
		if (!*g)
			return !*s;
		const char *ge = strchr(g, '/');
		size_t gn = ge ? (size_t)(ge - g) : strlen(g);
		if (gn == 2 && g[0] == '*' && g[1] == '*') {
			const char *rest = g + 2;
			/* ** matches zero or more whole components. */
			for (const char *t = s;; ) {
				if (glob_from(rest, t))
					return true;
				if (!*t)
					return false;
				const char *next = strchr(t, '/');
				t = next ? next + 1 : t + strlen(t);
			}
		}
		if (!*s)
			return false;
		const char *se = strchr(s, '/');
		size_t sn = se ? (size_t)(se - s) : strlen(s);
		if (!component_match(g, gn, s, sn))
			return false;
		g += gn;
		s += sn;
	}
}

bool bg_policy_glob_match(const char *glob, const char *path)
{
	if (glob[0] != '/' || path[0] != '/')
		return false;
	return glob_from(glob, path);
}

/* ---- kargs.d TOML subset --------------------------------------------------- */

struct toml_reader {
	const char *p, *end;
	const char *name;
	unsigned line;
	bg_error *err;
};

static int toml_error(struct toml_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int toml_error(struct toml_reader *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return bg_error_at(r->err, BG_E_INPUT, r->line, 0,
			   "%s:%u: %s (bootc reads kargs.d files as TOML: kargs = [\"arg\", ...] "
			   "and match-architectures = [\"x86_64\", ...])",
			   r->name, r->line, msg);
}

/* Skip spaces and tabs; with newlines also newlines and comments. */
static void toml_skip(struct toml_reader *r, bool newlines)
{
	while (r->p < r->end) {
		char c = *r->p;
		if (c == ' ' || c == '\t') {
			r->p++;
		} else if (c == '#') {
			while (r->p < r->end && *r->p != '\n')
				r->p++;
		} else if (newlines && (c == '\n' || (c == '\r' && r->p + 1 < r->end && r->p[1] == '\n'))) {
			if (c == '\r')
				r->p++;
			r->p++;
			r->line++;
		} else {
			return;
		}
	}
}

static int hexval(char c)
{
	if ('0' <= c && c <= '9')
		return c - '0';
	if ('a' <= c && c <= 'f')
		return c - 'a' + 10;
	if ('A' <= c && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_utf8(bg_strbuf *b, unsigned long cp)
{
	if (cp < 0x80) {
		bg_strbuf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		bg_strbuf_putc(b, (char)(0xc0 | (cp >> 6)));
		bg_strbuf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		bg_strbuf_putc(b, (char)(0xe0 | (cp >> 12)));
		bg_strbuf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		bg_strbuf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		bg_strbuf_putc(b, (char)(0xf0 | (cp >> 18)));
		bg_strbuf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		bg_strbuf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		bg_strbuf_putc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* A basic "..." or literal '...' one-line string. */
static int toml_string(struct toml_reader *r, char **out)
{
	char quote = *r->p++;
	bg_strbuf b = {0};
	bg_strbuf_puts(&b, "");
	for (;;) {
		if (r->p >= r->end || *r->p == '\n' || *r->p == '\r') {
			bg_strbuf_free(&b);
			return toml_error(r, "a string is not closed on its line");
		}
		char c = *r->p++;
		if (c == quote)
			break;
		if ((unsigned char)c < 0x20 && c != '\t') {
			bg_strbuf_free(&b);
			return toml_error(r, "a control character in a string");
		}
		if (c == '\\' && quote == '"') {
			if (r->p >= r->end) {
				bg_strbuf_free(&b);
				return toml_error(r, "a string ends in a backslash");
			}
			char e = *r->p++;
			int digits = 0;
			switch (e) {
			case 'b': bg_strbuf_putc(&b, '\b'); break;
			case 't': bg_strbuf_putc(&b, '\t'); break;
			case 'n': bg_strbuf_putc(&b, '\n'); break;
			case 'f': bg_strbuf_putc(&b, '\f'); break;
			case 'r': bg_strbuf_putc(&b, '\r'); break;
			case '"': bg_strbuf_putc(&b, '"'); break;
			case '\\': bg_strbuf_putc(&b, '\\'); break;
			case 'u': digits = 4; break;
			case 'U': digits = 8; break;
			default:
				bg_strbuf_free(&b);
				return toml_error(r, "an invalid escape in a string");
			}
			if (digits) {
				unsigned long cp = 0;
				for (int i = 0; i < digits; i++) {
					int h = r->p < r->end ? hexval(*r->p) : -1;
					if (h < 0) {
						bg_strbuf_free(&b);
						return toml_error(r, "an invalid \\u escape");
					}
					cp = cp * 16 + (unsigned long)h;
					r->p++;
				}
				if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
					bg_strbuf_free(&b);
					return toml_error(r, "a \\u escape that is not a valid character");
				}
				put_utf8(&b, cp);
			}
			continue;
		}
		bg_strbuf_putc(&b, c);
	}
	if (!(*out = bg_strbuf_take(&b)))
		return bg_error_set(r->err, BG_E_NOMEM, "out of memory");
	return 0;
}

/* [ "a", 'b', ] over any number of lines. */
static int toml_string_array(struct toml_reader *r, bg_strv *out)
{
	if (r->p >= r->end || *r->p != '[')
		return toml_error(r, "the value must be an array of strings [\"...\"]");
	r->p++;
	for (;;) {
		toml_skip(r, true);
		if (r->p >= r->end)
			return toml_error(r, "the array is not closed with ']'");
		if (*r->p == ']') {
			r->p++;
			return 0;
		}
		if (*r->p != '"' && *r->p != '\'')
			return toml_error(r, "an array entry must be a string in quotes");
		char *s = NULL;
		int rc = toml_string(r, &s);
		if (rc < 0)
			return rc;
		if (bg_strv_push_take(out, s) < 0) {
			free(s);
			return bg_error_set(r->err, BG_E_NOMEM, "out of memory");
		}
		toml_skip(r, true);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == ']')
			continue;
		return toml_error(r, "expected ',' or ']' after an array entry");
	}
}

/* Split each entry on whitespace: the kernel reads the joined command line. */
static int split_kargs(const bg_strv *in, bg_strv *out)
{
	for (size_t i = 0; i < in->n; i++) {
		const char *s = in->v[i];
		while (*s) {
			while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
				s++;
			const char *e = s;
			while (*e && *e != ' ' && *e != '\t' && *e != '\n' && *e != '\r')
				e++;
			if (e > s && bg_strv_push_take(out, bg_strndup(s, (size_t)(e - s))) < 0)
				return -1;
			s = e;
		}
	}
	return 0;
}

int bg_kargs_parse(const char *data, size_t len, const char *name, bg_kargs_file *out,
		   bg_error *err)
{
	memset(out, 0, sizeof *out);
	struct toml_reader r = {.p = data, .end = data + len, .name = name, .line = 1, .err = err};
	bg_strv kargs = {0}, arches = {0};
	bool seen_kargs = false, seen_arches = false;
	int rc = 0;
	if (memchr(data, '\0', len)) {
		rc = toml_error(&r, "the file contains a NUL byte");
		goto fail;
	}
	/* A UTF-8 byte order mark is allowed by TOML. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		r.p += 3;
	for (;;) {
		toml_skip(&r, true);
		if (r.p >= r.end)
			break;
		const char *k = r.p;
		while (r.p < r.end && (('a' <= *r.p && *r.p <= 'z') || ('A' <= *r.p && *r.p <= 'Z') ||
				       ('0' <= *r.p && *r.p <= '9') || *r.p == '-' || *r.p == '_'))
			r.p++;
		size_t kn = (size_t)(r.p - k);
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)(kn < 40 ? kn : 40), k);
		bool *seen;
		bg_strv *dest;
		if (kn == 5 && memcmp(k, "kargs", 5) == 0) {
			seen = &seen_kargs;
			dest = &kargs;
		} else if (kn == 19 && memcmp(k, "match-architectures", 19) == 0) {
			seen = &seen_arches;
			dest = &arches;
		} else if (kn == 0) {
			rc = toml_error(&r, "expected a key (kargs or match-architectures)");
			goto fail;
		} else {
			rc = toml_error(&r, "unknown key '%s'; bootc accepts kargs and "
					    "match-architectures", key);
			goto fail;
		}
		if (*seen) {
			rc = toml_error(&r, "key '%s' is given twice", key);
			goto fail;
		}
		*seen = true;
		toml_skip(&r, false);
		if (r.p >= r.end || *r.p != '=') {
			rc = toml_error(&r, "expected '=' after '%s'", key);
			goto fail;
		}
		r.p++;
		toml_skip(&r, false);
		if ((rc = toml_string_array(&r, dest)) < 0)
			goto fail;
		toml_skip(&r, false);
		if (r.p < r.end && *r.p != '\n' && *r.p != '\r') {
			rc = toml_error(&r, "unexpected text after the array of '%s'", key);
			goto fail;
		}
	}
	if (!seen_kargs) {
		rc = toml_error(&r, "the file has no kargs key");
		goto fail;
	}
	bg_strv split = {0};
	if (split_kargs(&kargs, &split) < 0) {
		bg_strv_free(&split);
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
		goto fail;
	}
	bg_strv_free(&kargs);
	out->kargs = split.v;
	out->n_kargs = split.n;
	out->arches = arches.v;
	out->n_arches = arches.n;
	out->has_arches = seen_arches;
	return 0;
fail:
	bg_strv_free(&kargs);
	bg_strv_free(&arches);
	return rc;
}

void bg_kargs_file_clear(bg_kargs_file *f)
{
	if (!f)
		return;
	bg_strv a = {.v = f->kargs, .n = f->n_kargs}, b = {.v = f->arches, .n = f->n_arches};
	bg_strv_free(&a);
	bg_strv_free(&b);
	memset(f, 0, sizeof *f);
}

bool bg_kargs_applies(const bg_kargs_file *f, const char *oci_arch)
{
	if (!f->has_arches)
		return true;
	static const char *const map[][2] = {
		{"amd64", "x86_64"}, {"arm64", "aarch64"}, {"ppc64le", "powerpc64"},
		{"s390x", "s390x"}, {"386", "x86"}, {"arm", "arm"}, {"riscv64", "riscv64"},
	};
	const char *rust = oci_arch;
	for (size_t i = 0; oci_arch && i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i][0], oci_arch) == 0)
			rust = map[i][1];
	for (size_t i = 0; rust && i < f->n_arches; i++)
		if (strcmp(f->arches[i], rust) == 0)
			return true;
	return false;
}

bool bg_karg_matches(const char *pattern, const char *karg)
{
	if (strchr(pattern, '='))
		return strcmp(pattern, karg) == 0;
	size_t n = strlen(pattern);
	return strncmp(pattern, karg, n) == 0 && (karg[n] == '\0' || karg[n] == '=');
}

/* ---- systemd presets ------------------------------------------------------ */

bg_preset_verdict bg_preset_lookup(const bg_preset_file *files, size_t n, const char *unit,
				   size_t *file, unsigned *line)
{
	for (size_t f = 0; f < n; f++) {
		const char *p = files[f].data, *end = p + files[f].len;
		unsigned ln = 0;
		while (p < end) {
			const char *e = memchr(p, '\n', (size_t)(end - p));
			if (!e)
				e = end;
			ln++;
			/* strip surrounding whitespace, as systemd's read_line + strstrip */
			const char *s = p, *t = e;
			while (s < t && strchr(" \t\r", *s))
				s++;
			while (t > s && strchr(" \t\r", t[-1]))
				t--;
			p = e < end ? e + 1 : end;
			if (s == t || *s == '#' || *s == ';')
				continue;
			bg_preset_verdict v;
			size_t verb;
			if ((size_t)(t - s) > 7 && memcmp(s, "enable", 6) == 0 && strchr(" \t", s[6])) {
				v = BG_PRESET_ENABLE;
				verb = 6;
			} else if ((size_t)(t - s) > 8 && memcmp(s, "disable", 7) == 0 &&
				   strchr(" \t", s[7])) {
				v = BG_PRESET_DISABLE;
				verb = 7;
			} else if ((size_t)(t - s) > 7 && memcmp(s, "ignore", 6) == 0 &&
				   strchr(" \t", s[6])) {
				v = BG_PRESET_IGNORE;
				verb = 6;
			} else {
				continue; /* systemd logs and skips lines it does not know */
			}
			s += verb;
			while (s < t && strchr(" \t", *s))
				s++;
			/* The pattern is the first word; enable may list template instances after it. */
			const char *pe = s;
			while (pe < t && !strchr(" \t", *pe))
				pe++;
			char pattern[512];
			if ((size_t)(pe - s) >= sizeof pattern)
				continue;
			memcpy(pattern, s, (size_t)(pe - s));
			pattern[pe - s] = '\0';
			if (fnmatch(pattern, unit, FNM_NOESCAPE) == 0) {
				if (file)
					*file = f;
				if (line)
					*line = ln;
				return v;
			}
		}
	}
	return BG_PRESET_NONE;
}
