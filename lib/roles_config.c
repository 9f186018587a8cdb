/* bootgate — reading bootgate.yaml (the repository's host roles). */
#include "bootgate/roles_config.h"

#include <stdio.h>
#include <string.h>

#include "bootgate/limits.h"
#include "bootgate/reference.h"
#include "bootgate/registriesd.h"
#include "bootgate/trust.h"
#include "bootgate/yamldoc.h"
#include "util.h"

static const char *const top_keys[] = {"version", "manifest", "defaults", "roles", NULL};
static const char *const role_keys[] = {"containerfile", "context", "build-args", "image", "identity",
					"platform", "policy", "trust", "failure-threshold", "mirrors", NULL};
static const char *const default_keys[] = {"build-args", "platform", "policy", "trust",
					   "failure-threshold", "mirrors", NULL};
static const char *const trust_keys[] = {"policy", "registries.d", "policy-inline", "lookaside", NULL};

/* A path from the file, resolved against the file's directory.  For an
 * image string only the path of a local transport is resolved
 * ("oci:build/web" → "oci:<dir>/build/web"); registry references stay. */
static int config_path(const bg_roles_config *cfg, const bg_yaml_node *node, const char *what,
		       bool is_image, char **out, bg_error *err)
{
	const char *text;
	int rc = bg_yamldoc_string(node, what, &text, err);
	if (rc)
		return rc;
	if (!*text)
		return bg_yamldoc_error(node, err, BG_E_USAGE, "%s is empty", what);
	const char *prefix = "", *rel = text;
	if (is_image) {
		static const char *const local[] = {"oci:", "oci-archive:", "docker-archive:"};
		rel = NULL;
		for (size_t i = 0; i < 3 && !rel; i++)
			if (bg_str_has_prefix(text, local[i])) {
				prefix = local[i];
				rel = text + strlen(local[i]);
			}
	}
	char *path;
	if (!rel || rel[0] == '/')
		path = bg_strdup(text);
	else if (strcmp(cfg->dir, ".") == 0) /* ./bootgate.yaml: paths as written */
		path = bg_strdup(text);
	else if (asprintf(&path, "%s%s/%s", prefix, cfg->dir, rel) < 0)
		path = NULL;
	if (!path)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	free(*out);
	*out = path;
	return 0;
}

static int read_build_args(const bg_yaml_node *node, bg_role_config *role, bg_error *err)
{
	int rc = bg_yamldoc_expect(node, BG_YAML_MAPPING, "'build-args'", err);
	if (rc)
		return rc;
	for (size_t i = 0; i < node->n_pairs; i++) {
		const char *value;
		rc = bg_yamldoc_string(node->pairs[i].value, "a build-arg value", &value, err);
		if (rc)
			return rc;
		const char *name = node->pairs[i].key->scalar;
		/* A role's value for an argument replaces the default's. */
		size_t len = strlen(name);
		for (size_t j = 0; j < role->n_build_args; j++)
			if (strncmp(role->build_args[j], name, len) == 0 && role->build_args[j][len] == '=') {
				free(role->build_args[j]);
				memmove(&role->build_args[j], &role->build_args[j + 1],
					(role->n_build_args - j) * sizeof *role->build_args);
				role->n_build_args--;
				break;
			}
		char **v = realloc(role->build_args, (role->n_build_args + 2) * sizeof *v);
		if (!v)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		role->build_args = v;
		if (asprintf(&v[role->n_build_args], "%s=%s", name, value) < 0)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		v[++role->n_build_args] = NULL;
	}
	return 0;
}

static int add_mirror(bg_role_config *role, const char *repository, const char *image)
{
	for (size_t j = 0; j < role->n_mirrors; j++)
		if (strcmp(role->mirrors[j].repository, repository) == 0) {
			char *copy = bg_strdup(image);
			if (!copy)
				return -1;
			free(role->mirrors[j].image);
			role->mirrors[j].image = copy;
			return 0;
		}
	bg_role_mirror *v = realloc(role->mirrors, (role->n_mirrors + 1) * sizeof *v);
	if (!v)
		return -1;
	role->mirrors = v;
	bg_role_mirror *m = &v[role->n_mirrors];
	m->repository = bg_strdup(repository);
	m->image = bg_strdup(image);
	role->n_mirrors++;
	return m->repository && m->image ? 0 : -1;
}

/* mirrors: {REPOSITORY: IMAGE}: the repository is normalised as a pull
 * would ("rhel" → "docker.io/library/rhel") and must carry no tag or digest. */
static int read_mirrors(const bg_roles_config *cfg, const bg_yaml_node *node, bg_role_config *role,
			bg_error *err)
{
	int rc = bg_yamldoc_expect(node, BG_YAML_MAPPING, "'mirrors'", err);
	if (rc)
		return rc;
	for (size_t i = 0; i < node->n_pairs; i++) {
		const bg_yaml_node *key = node->pairs[i].key;
		bg_reference ref = {0};
		bg_error rerr = {0};
		if (bg_reference_parse(key->scalar, &ref, &rerr) != 0)
			return bg_yamldoc_error(key, err, BG_E_USAGE, "mirror '%s' is not a repository: %s",
						bg_yamldoc_shown(key->scalar).s, rerr.message);
		bool bare = !ref.digest && ref.tag_implicit;
		if (!bare) {
			bg_reference_free(&ref);
			return bg_yamldoc_error(key, err, BG_E_USAGE,
						"mirror '%s' must name a repository, without tag or digest",
						bg_yamldoc_shown(key->scalar).s);
		}
		char *image = NULL;
		rc = config_path(cfg, node->pairs[i].value, "a mirror's image", true, &image, err);
		if (!rc && add_mirror(role, ref.name, image) != 0)
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
		free(image);
		bg_reference_free(&ref);
		if (rc)
			return rc;
	}
	return 0;
}

static int read_threshold(const bg_yaml_node *node, bg_role_config *role, bg_error *err)
{
	const char *name;
	int rc = bg_yamldoc_string(node, "'failure-threshold'", &name, err);
	if (rc)
		return rc;
	if (bg_severity_parse(name, &role->threshold) != 0)
		return bg_yamldoc_error(node, err, BG_E_USAGE,
					"'failure-threshold' is '%s'; use error, warning, info or none", name);
	return 0;
}

/* ---- trust: files or inline ---------------------------------------------- */

static void json_string(bg_strbuf *b, const char *s)
{
	bg_strbuf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			bg_strbuf_putc(b, '\\');
			bg_strbuf_putc(b, (char)*p);
		} else if (*p < 0x20) {
			bg_strbuf_printf(b, "\\u%04x", *p);
		} else {
			bg_strbuf_putc(b, (char)*p);
		}
	}
	bg_strbuf_putc(b, '"');
}

/* YAML → JSON text with policy.json's types: mappings are objects,
 * sequences arrays, a plain true / false / null (also ~ and empty) the JSON
 * literal, every other scalar a string (policy.json has no numbers; quote
 * "true" for the string). */
static void yaml_to_json(const bg_yaml_node *n, bg_strbuf *b)
{
	switch (n->kind) {
	case BG_YAML_MAPPING:
		bg_strbuf_putc(b, '{');
		for (size_t i = 0; i < n->n_pairs; i++) {
			if (i)
				bg_strbuf_putc(b, ',');
			json_string(b, n->pairs[i].key->scalar);
			bg_strbuf_putc(b, ':');
			yaml_to_json(n->pairs[i].value, b);
		}
		bg_strbuf_putc(b, '}');
		break;
	case BG_YAML_SEQUENCE:
		bg_strbuf_putc(b, '[');
		for (size_t i = 0; i < n->n_items; i++) {
			if (i)
				bg_strbuf_putc(b, ',');
			yaml_to_json(n->items[i], b);
		}
		bg_strbuf_putc(b, ']');
		break;
	case BG_YAML_SCALAR:
		if (n->style == BG_YAML_PLAIN && !n->str_tag &&
		    (strcmp(n->scalar, "true") == 0 || strcmp(n->scalar, "false") == 0))
			bg_strbuf_puts(b, n->scalar);
		else if (!n->str_tag && bg_yamldoc_is_null(n))
			bg_strbuf_puts(b, "null");
		else
			json_string(b, n->scalar);
		break;
	}
}

/* trust.policy-inline: converted to policy.json text and parsed right away,
 * so that an invalid policy is an error of bootgate.yaml at its line. */
static int read_policy_inline(const bg_roles_config *cfg, const bg_yaml_node *node, bg_role_config *role,
			      bg_error *err)
{
	int rc = bg_yamldoc_expect(node, BG_YAML_MAPPING, "'trust.policy-inline'", err);
	if (rc)
		return rc;
	bg_strbuf b = {0};
	yaml_to_json(node, &b);
	char *json = bg_strbuf_take(&b);
	char *name = NULL;
	if (!json || asprintf(&name, "%s:%u:%u: trust.policy-inline", cfg->path, node->line, node->column) < 0) {
		free(json);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	bg_trust_policy *policy = NULL;
	rc = bg_trust_policy_parse(json, strlen(json), name, &policy, err);
	bg_trust_policy_free(policy);
	if (rc) {
		if (rc == BG_E_USAGE) {
			err->line = node->line;
			err->column = node->column;
		}
		free(json);
		free(name);
		return rc;
	}
	free(role->trust_policy_inline);
	free(role->trust_policy_inline_name);
	role->trust_policy_inline = json;
	role->trust_policy_inline_name = name;
	return 0;
}

/* trust.lookaside: an https://, http://, file:///absolute or file:relative
 * URL without spaces or control characters (it goes into a generated
 * registries.d document). */
static int read_lookaside(const bg_roles_config *cfg, const bg_yaml_node *node, bg_role_config *role,
			  bg_error *err)
{
	const char *url;
	int rc = bg_yamldoc_string(node, "'trust.lookaside'", &url, err);
	if (rc)
		return rc;
	bool scheme = bg_str_has_prefix(url, "https://") || bg_str_has_prefix(url, "http://") ||
		      bg_str_has_prefix(url, "file:");
	bool clean = true;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			clean = false;
	if (!scheme || !clean || strcmp(url, "file:") == 0)
		return bg_yamldoc_error(node, err, BG_E_USAGE,
					"'trust.lookaside' is '%s'; give an https://, http:// or file: URL "
					"without spaces (where the signatures are read)",
					bg_yamldoc_shown(url).s);
	char *copy = bg_strdup(url), *file = bg_strdup(cfg->path);
	if (!copy || !file) {
		free(copy);
		free(file);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	free(role->trust_lookaside);
	free(role->trust_lookaside_file);
	role->trust_lookaside = copy;
	role->trust_lookaside_file = file;
	return 0;
}

/* trust: {policy | policy-inline, registries.d | lookaside}.  A key given
 * here replaces the defaults' setting of the same kind (file or inline). */
static int read_trust(const bg_roles_config *cfg, const bg_yaml_node *v, bg_role_config *role, bg_error *err)
{
	int rc = bg_yamldoc_check_keys(v, "'trust'", trust_keys, err);
	if (rc)
		return rc;
	const bg_yaml_node *p = bg_yamldoc_get(v, "policy");
	const bg_yaml_node *pi = bg_yamldoc_get(v, "policy-inline");
	const bg_yaml_node *d = bg_yamldoc_get(v, "registries.d");
	const bg_yaml_node *l = bg_yamldoc_get(v, "lookaside");
	if (p && pi)
		return bg_yamldoc_error(pi, err, BG_E_USAGE,
					"'trust' has both 'policy' (line %u) and 'policy-inline': give one", p->line);
	if (d && l)
		return bg_yamldoc_error(l, err, BG_E_USAGE,
					"'trust' has both 'registries.d' (line %u) and 'lookaside': give one", d->line);
	if (p) {
		if ((rc = config_path(cfg, p, "'trust.policy'", false, &role->trust_policy, err)))
			return rc;
		free(role->trust_policy_inline);
		free(role->trust_policy_inline_name);
		role->trust_policy_inline = role->trust_policy_inline_name = NULL;
	}
	if (pi) {
		if ((rc = read_policy_inline(cfg, pi, role, err)))
			return rc;
		free(role->trust_policy);
		role->trust_policy = NULL;
	}
	if (d) {
		if ((rc = config_path(cfg, d, "'trust.registries.d'", false, &role->trust_registries_d, err)))
			return rc;
		free(role->trust_lookaside);
		free(role->trust_lookaside_file);
		role->trust_lookaside = role->trust_lookaside_file = NULL;
	}
	if (l) {
		if ((rc = read_lookaside(cfg, l, role, err)))
			return rc;
		free(role->trust_registries_d);
		role->trust_registries_d = NULL;
	}
	return 0;
}

/* Applies the keys of a role (or of defaults) to role. */
static int read_role_keys(const bg_roles_config *cfg, const bg_yaml_node *map, const char *what,
			  const char *const *allowed, bg_role_config *role, bg_error *err)
{
	int rc = bg_yamldoc_check_keys(map, what, allowed, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < map->n_pairs && !rc; i++) {
		const char *key = map->pairs[i].key->scalar;
		const bg_yaml_node *v = map->pairs[i].value;
		if (strcmp(key, "containerfile") == 0)
			rc = config_path(cfg, v, "'containerfile'", false, &role->containerfile, err);
		else if (strcmp(key, "context") == 0)
			rc = config_path(cfg, v, "'context'", false, &role->context, err);
		else if (strcmp(key, "image") == 0)
			rc = config_path(cfg, v, "'image'", true, &role->image, err);
		else if (strcmp(key, "policy") == 0)
			rc = config_path(cfg, v, "'policy'", false, &role->policy, err);
		else if (strcmp(key, "identity") == 0 || strcmp(key, "platform") == 0) {
			const char *text;
			rc = bg_yamldoc_string(v, key, &text, err);
			char **dst = key[0] == 'i' ? &role->identity : &role->platform;
			if (!rc) {
				free(*dst);
				if (!(*dst = bg_strdup(text)))
					rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
			}
		} else if (strcmp(key, "build-args") == 0)
			rc = read_build_args(v, role, err);
		else if (strcmp(key, "failure-threshold") == 0)
			rc = read_threshold(v, role, err);
		else if (strcmp(key, "mirrors") == 0)
			rc = read_mirrors(cfg, v, role, err);
		else if (strcmp(key, "trust") == 0)
			rc = read_trust(cfg, v, role, err);
	}
	return rc;
}

static void role_free(bg_role_config *r)
{
	free(r->name);
	free(r->containerfile);
	free(r->context);
	for (size_t i = 0; i < r->n_build_args; i++)
		free(r->build_args[i]);
	free(r->build_args);
	free(r->image);
	free(r->identity);
	free(r->platform);
	free(r->policy);
	free(r->trust_policy);
	free(r->trust_registries_d);
	free(r->trust_policy_inline);
	free(r->trust_policy_inline_name);
	free(r->trust_lookaside);
	free(r->trust_lookaside_file);
	for (size_t i = 0; i < r->n_mirrors; i++) {
		free(r->mirrors[i].repository);
		free(r->mirrors[i].image);
	}
	free(r->mirrors);
}

/* Copies the defaults into a new role before its own keys apply. */
static int role_from_defaults(const bg_role_config *d, bg_role_config *r)
{
	r->threshold = d->threshold;
	if ((d->platform && !(r->platform = bg_strdup(d->platform))) ||
	    (d->policy && !(r->policy = bg_strdup(d->policy))) ||
	    (d->trust_policy && !(r->trust_policy = bg_strdup(d->trust_policy))) ||
	    (d->trust_registries_d && !(r->trust_registries_d = bg_strdup(d->trust_registries_d))) ||
	    (d->trust_policy_inline && !(r->trust_policy_inline = bg_strdup(d->trust_policy_inline))) ||
	    (d->trust_policy_inline_name &&
	     !(r->trust_policy_inline_name = bg_strdup(d->trust_policy_inline_name))) ||
	    (d->trust_lookaside && !(r->trust_lookaside = bg_strdup(d->trust_lookaside))) ||
	    (d->trust_lookaside_file && !(r->trust_lookaside_file = bg_strdup(d->trust_lookaside_file))))
		return -1;
	for (size_t i = 0; i < d->n_mirrors; i++)
		if (add_mirror(r, d->mirrors[i].repository, d->mirrors[i].image) != 0)
			return -1;
	if (d->n_build_args) {
		r->build_args = calloc(d->n_build_args + 1, sizeof *r->build_args);
		if (!r->build_args)
			return -1;
		for (size_t i = 0; i < d->n_build_args; i++)
			if (!(r->build_args[r->n_build_args++] = bg_strdup(d->build_args[i])))
				return -1;
	}
	return 0;
}

static bool valid_role_name(const char *s)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		      *p == '.'))
			return false;
	return true;
}

static int parse_doc(const bg_yamldoc *doc, bg_roles_config *cfg, bg_error *err)
{
	const bg_yaml_node *root = doc->root;
	if (!root)
		return bg_error_set(err, BG_E_USAGE, "%s: empty file; it needs a 'roles' mapping", cfg->path);
	int rc = bg_yamldoc_check_keys(root, "bootgate.yaml", top_keys, err);
	if (rc)
		return rc;
	const bg_yaml_node *version = bg_yamldoc_get(root, "version");
	if (version) {
		long long v;
		rc = bg_yamldoc_int(version, "'version'", 1, 1, &v, err);
		if (rc)
			return rc;
	}
	const bg_yaml_node *manifest = bg_yamldoc_get(root, "manifest");
	if (manifest && (rc = config_path(cfg, manifest, "'manifest'", false, &cfg->manifest, err)))
		return rc;

	bg_role_config defaults = {.threshold = BG_SEV_ERROR};
	const bg_yaml_node *dnode = bg_yamldoc_get(root, "defaults");
	if (dnode && (rc = read_role_keys(cfg, dnode, "'defaults'", default_keys, &defaults, err))) {
		role_free(&defaults);
		return rc;
	}
	const bg_yaml_node *roles = bg_yamldoc_get(root, "roles");
	if (!roles) {
		role_free(&defaults);
		return bg_yamldoc_error(root, err, BG_E_USAGE, "no 'roles': name at least one host role");
	}
	if ((rc = bg_yamldoc_expect(roles, BG_YAML_MAPPING, "'roles'", err))) {
		role_free(&defaults);
		return rc;
	}
	if (roles->n_pairs == 0) {
		role_free(&defaults);
		return bg_yamldoc_error(roles, err, BG_E_USAGE, "'roles' is empty: name at least one host role");
	}
	cfg->roles = calloc(roles->n_pairs, sizeof *cfg->roles);
	if (!cfg->roles) {
		role_free(&defaults);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < roles->n_pairs && !rc; i++) {
		const bg_yaml_node *key = roles->pairs[i].key;
		bg_role_config *r = &cfg->roles[cfg->n_roles++];
		r->line = key->line;
		if (!valid_role_name(key->scalar)) {
			rc = bg_yamldoc_error(key, err, BG_E_USAGE,
					      "role name '%s' must be lower-case letters, digits, '-', '_' or '.'",
					      bg_yamldoc_shown(key->scalar).s);
			break;
		}
		if (!(r->name = bg_strdup(key->scalar)) || role_from_defaults(&defaults, r) != 0) {
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
			break;
		}
		char what[160];
		snprintf(what, sizeof what, "role '%s'", r->name);
		rc = read_role_keys(cfg, roles->pairs[i].value, what, role_keys, r, err);
		if (!rc && !r->containerfile && !r->image)
			rc = bg_yamldoc_error(roles->pairs[i].value, err, BG_E_USAGE,
					      "role '%s' has neither 'containerfile' nor 'image': nothing to check",
					      r->name);
		if (!rc && r->containerfile && !r->context) {
			const char *slash = strrchr(r->containerfile, '/');
			r->context = slash ? bg_strndup(r->containerfile, (size_t)(slash - r->containerfile))
					   : bg_strdup(".");
			if (!r->context)
				rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
		}
	}
	role_free(&defaults);
	return rc;
}

int bg_roles_config_parse(const char *data, size_t len, const char *path, bg_roles_config **out,
			  bg_error *err)
{
	*out = NULL;
	bg_roles_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg || !(cfg->path = bg_strdup(path)))
		goto oom;
	const char *slash = strrchr(path, '/');
	cfg->dir = slash ? bg_strndup(path, slash == path ? 1 : (size_t)(slash - path)) : bg_strdup(".");
	if (!cfg->dir)
		goto oom;
	bg_yamldoc *doc = NULL;
	int rc = bg_yamldoc_parse(data, len, path, &doc, err);
	if (rc == 0)
		rc = parse_doc(doc, cfg, err);
	bg_yamldoc_free(doc);
	if (rc) {
		bg_roles_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
oom:
	bg_roles_config_free(cfg);
	return bg_error_set(err, BG_E_NOMEM, "out of memory");
}

int bg_roles_config_load(const char *path, bg_roles_config **out, bg_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int rc = bg_read_file(path, BG_MAX_CONFIG_FILE_BYTES, &data, &len, err);
	if (rc)
		return rc;
	return bg_roles_config_parse(data, len, path, out, err);
}

const bg_role_config *bg_roles_config_find(const bg_roles_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_roles; i++)
		if (strcmp(cfg->roles[i].name, name) == 0)
			return &cfg->roles[i];
	return NULL;
}

const bg_role_mirror *bg_role_config_mirror(const bg_role_config *role, const char *repository)
{
	for (size_t i = 0; i < role->n_mirrors; i++)
		if (strcmp(role->mirrors[i].repository, repository) == 0)
			return &role->mirrors[i];
	return NULL;
}

void bg_roles_config_free(bg_roles_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_roles; i++)
		role_free(&cfg->roles[i]);
	free(cfg->roles);
	free(cfg->path);
	free(cfg->dir);
	free(cfg->manifest);
	free(cfg);
}

/* A registries.d document whose default-docker section is the lookaside
 * (double-quoted YAML; read_lookaside allowed no control characters). */
static int inline_registriesd(const bg_role_config *role, bg_registriesd **out, bg_error *err)
{
	bg_strbuf b = {0};
	bg_strbuf_puts(&b, "default-docker:\n  lookaside: \"");
	for (const char *p = role->trust_lookaside; *p; p++) {
		if (*p == '"' || *p == '\\')
			bg_strbuf_putc(&b, '\\');
		bg_strbuf_putc(&b, *p);
	}
	bg_strbuf_puts(&b, "\"\n");
	_cleanup_free_ char *yaml = bg_strbuf_take(&b);
	if (!yaml)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	bg_registriesd *rd = NULL;
	int rc = bg_registriesd_new(&rd, err);
	if (rc == 0)
		rc = bg_registriesd_add(rd, yaml, strlen(yaml),
					role->trust_lookaside_file ? role->trust_lookaside_file : "trust.lookaside",
					err);
	if (rc) {
		bg_registriesd_free(rd);
		return rc;
	}
	*out = rd;
	return 0;
}

int bg_role_config_trust(const bg_role_config *role, bg_trust_policy **policy, bg_registriesd **regd,
			 bg_error *err)
{
	*policy = NULL;
	*regd = NULL;
	bg_trust_policy *p = NULL;
	bg_registriesd *rd = NULL;
	int rc = role->trust_policy_inline
			 ? bg_trust_policy_parse(role->trust_policy_inline, strlen(role->trust_policy_inline),
						 role->trust_policy_inline_name ? role->trust_policy_inline_name
										: "trust.policy-inline",
						 &p, err)
			 : bg_trust_policy_load(role->trust_policy, &p, err);
	if (rc == 0)
		rc = role->trust_lookaside ? inline_registriesd(role, &rd, err)
					   : bg_registriesd_load(role->trust_registries_d, &rd, err);
	if (rc) {
		bg_trust_policy_free(p);
		bg_registriesd_free(rd);
		return rc;
	}
	*policy = p;
	*regd = rd;
	return 0;
}
