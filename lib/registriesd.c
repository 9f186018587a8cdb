/* bootgate — containers-registries.d(5) (see include/bootgate/registriesd.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootgate/registriesd.h"
#include "bootgate/trust.h"
#include "bootgate/yamldoc.h"
#include "util.h"

int bg_registriesd_new(bg_registriesd **out, bg_error *err)
{
	*out = calloc(1, sizeof **out);
	return *out ? 0 : bg_error_set(err, BG_E_NOMEM, "out of memory");
}

void bg_registriesd_free(bg_registriesd *rd)
{
	if (!rd)
		return;
	for (size_t i = 0; i < rd->n; i++) {
		free(rd->sections[i].namespace);
		free(rd->sections[i].lookaside);
		free(rd->sections[i].file);
	}
	free(rd->sections);
	free(rd);
}

static const bg_registriesd_section *find(const bg_registriesd *rd, const char *ns)
{
	for (size_t i = 0; i < rd->n; i++) {
		const char *have = rd->sections[i].namespace;
		if ((!ns && !have) || (ns && have && strcmp(ns, have) == 0))
			return &rd->sections[i];
	}
	return NULL;
}

/* A URL string: a non-null scalar.  Its scheme is checked when it is used
 * (bg_lookaside), as upstream does. */
static int optional_string(const bg_yaml_node *v, const char *what, const char **out, bg_error *err)
{
	*out = NULL;
	if (!v || bg_yamldoc_is_null(v))
		return 0;
	return bg_yamldoc_string(v, what, out, err);
}

static int add_section(bg_registriesd *rd, const bg_yaml_node *key, const bg_yaml_node *val,
		       const char *ns, const char *name, bg_error *err)
{
	const bg_registriesd_section *dup = find(rd, ns);
	if (dup) {
		if (ns)
			return bg_yamldoc_error(key, err, BG_E_USAGE,
						"docker namespace '%s' is also defined in %s:%u; define it once",
						bg_yamldoc_shown(ns).s, dup->file, dup->line);
		return bg_yamldoc_error(key, err, BG_E_USAGE,
					"default-docker is also defined in %s:%u; define it once", dup->file,
					dup->line);
	}
	static const char *const keys[] = {"lookaside", "lookaside-staging", "sigstore",
					   "sigstore-staging", "use-sigstore-attachments", NULL};
	const char *lookaside = NULL, *sigstore = NULL, *ignored = NULL;
	int use = -1;
	if (!bg_yamldoc_is_null(val)) {
		int rc = bg_yamldoc_check_keys(val, ns ? "a docker namespace section" : "default-docker",
					       keys, err);
		if (rc < 0)
			return rc;
		if ((rc = optional_string(bg_yamldoc_get(val, "lookaside"), "'lookaside'", &lookaside, err)) < 0 ||
		    (rc = optional_string(bg_yamldoc_get(val, "sigstore"), "'sigstore'", &sigstore, err)) < 0 ||
		    (rc = optional_string(bg_yamldoc_get(val, "lookaside-staging"), "'lookaside-staging'",
					  &ignored, err)) < 0 ||
		    (rc = optional_string(bg_yamldoc_get(val, "sigstore-staging"), "'sigstore-staging'",
					  &ignored, err)) < 0)
			return rc;
		const bg_yaml_node *u = bg_yamldoc_get(val, "use-sigstore-attachments");
		if (u && !bg_yamldoc_is_null(u)) {
			bool b;
			if ((rc = bg_yamldoc_bool(u, "'use-sigstore-attachments'", &b, err)) < 0)
				return rc;
			use = b;
		}
	}
	bg_registriesd_section *nv = realloc(rd->sections, (rd->n + 1) * sizeof *nv);
	if (!nv)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	rd->sections = nv;
	bg_registriesd_section *s = &nv[rd->n];
	memset(s, 0, sizeof *s);
	s->namespace = ns ? bg_strdup(ns) : NULL;
	s->lookaside = lookaside ? bg_strdup(lookaside) : sigstore ? bg_strdup(sigstore) : NULL;
	s->use_sigstore_attachments = use;
	s->file = bg_strdup(name);
	s->line = key->line;
	rd->n++;
	if ((ns && !s->namespace) || ((lookaside || sigstore) && !s->lookaside) || !s->file)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	return 0;
}

int bg_registriesd_add(bg_registriesd *rd, const char *data, size_t len, const char *name,
		       bg_error *err)
{
	bg_yamldoc *doc = NULL;
	int rc = bg_yamldoc_parse(data, len, name, &doc, err);
	if (rc < 0)
		return rc;
	const bg_yaml_node *root = doc->root;
	static const char *const top[] = {"default-docker", "docker", NULL};
	if (!root || bg_yamldoc_is_null(root))
		goto out; /* an empty file configures nothing */
	if ((rc = bg_yamldoc_check_keys(root, "a registries.d file", top, err)) < 0)
		goto out;
	for (size_t i = 0; i < root->n_pairs && rc == 0; i++) {
		const bg_yaml_node *k = root->pairs[i].key, *v = root->pairs[i].value;
		if (strcmp(k->scalar, "default-docker") == 0) {
			if (!bg_yamldoc_is_null(v) && (rc = bg_yamldoc_expect(v, BG_YAML_MAPPING, "default-docker", err)) < 0)
				break;
			rc = add_section(rd, k, v, NULL, name, err);
			continue;
		}
		if (bg_yamldoc_is_null(v))
			continue;
		if ((rc = bg_yamldoc_expect(v, BG_YAML_MAPPING, "'docker'", err)) < 0)
			break;
		for (size_t j = 0; j < v->n_pairs && rc == 0; j++) {
			const bg_yaml_node *nk = v->pairs[j].key, *nv = v->pairs[j].value;
			if (!bg_yamldoc_is_null(nv) &&
			    (rc = bg_yamldoc_expect(nv, BG_YAML_MAPPING, "a docker namespace section", err)) < 0)
				break;
			if (nk->scalar[0] == '\0') {
				rc = bg_yamldoc_error(nk, err, BG_E_USAGE,
						      "empty docker namespace; use default-docker for a default");
				break;
			}
			rc = add_section(rd, nk, nv, nk->scalar, name, err);
		}
	}
out:
	bg_yamldoc_free(doc);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bg_registriesd_load(const char *dir, bg_registriesd **out, bg_error *err)
{
	*out = NULL;
	bool explicit_dir = dir != NULL;
	if (!dir)
		dir = BG_REGISTRIESD_DEFAULT_DIR;
	bg_registriesd *rd = NULL;
	int rc = bg_registriesd_new(&rd, err);
	if (rc < 0)
		return rc;
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT && !explicit_dir) {
			*out = rd;
			return 0;
		}
		rc = bg_error_set(err, BG_E_USAGE, "registries.d directory %s: %s (--registries.d to choose another)",
				  dir, strerror(errno));
		bg_registriesd_free(rd);
		return rc;
	}
	bg_strv names = {0};
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !bg_str_has_suffix(e->d_name, ".yaml"))
			continue;
		if (names.n >= BG_REGISTRIESD_MAX_FILES) {
			rc = bg_error_set(err, BG_E_USAGE, "registries.d directory %s: more than %d .yaml files",
					  dir, BG_REGISTRIESD_MAX_FILES);
			break;
		}
		if (bg_strv_push(&names, e->d_name) < 0) {
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
			break;
		}
	}
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, cmp_names);
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		_cleanup_free_ char *path = NULL;
		if (asprintf(&path, "%s/%s", dir, names.v[i]) < 0) {
			path = NULL;
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
			break;
		}
		char *data = NULL;
		size_t len = 0;
		if ((rc = bg_read_file(path, BG_REGISTRIESD_MAX_FILE_BYTES, &data, &len, err)) < 0)
			break;
		rc = bg_registriesd_add(rd, data, len, path, err);
		free(data);
	}
	bg_strv_free(&names);
	if (rc < 0) {
		bg_registriesd_free(rd);
		return rc;
	}
	*out = rd;
	return 0;
}

void bg_registriesd_choice_free(bg_registriesd_choice *c)
{
	if (!c)
		return;
	free(c->url);
	free(c->section);
	free(c->file);
	memset(c, 0, sizeof *c);
}

static char *builtin_default(void)
{
	char *s = NULL;
	const char *home = getenv("HOME");
	if (geteuid() == 0 || !home || !*home)
		return bg_strdup("file:///var/lib/containers/sigstore");
	if (asprintf(&s, "file://%s/.local/share/containers/sigstore", home) < 0)
		return NULL;
	return s;
}

int bg_registriesd_lookaside(const bg_registriesd *rd, const bg_reference *identity,
			     bg_registriesd_choice *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	char **cands = NULL;
	size_t n = 0;
	int rc = bg_trust_scope_candidates(identity, &cands, &n, err);
	const bg_registriesd_section *url_from = NULL;
	bool use_set = false;
	/* Candidates, then default-docker (index n). */
	for (size_t i = 0; rc == 0 && i <= n; i++) {
		const bg_registriesd_section *s = find(rd, i < n ? cands[i] : NULL);
		if (!s)
			continue;
		if (!use_set && s->use_sigstore_attachments >= 0) {
			use_set = true;
			out->use_sigstore_attachments = s->use_sigstore_attachments == 1;
		}
		if (!url_from && s->lookaside)
			url_from = s;
	}
	for (size_t i = 0; i < n; i++)
		free(cands[i]);
	free(cands);
	if (rc < 0)
		return rc;
	if (url_from) {
		out->url = bg_strdup(url_from->lookaside);
		out->file = bg_strdup(url_from->file);
		if (url_from->namespace) {
			if (asprintf(&out->section, "docker: %s", url_from->namespace) < 0)
				out->section = NULL;
		} else {
			out->section = bg_strdup("default-docker");
		}
	} else {
		out->url = builtin_default();
		out->section = bg_strdup("built-in default");
	}
	if (!out->url || !out->section || (url_from && !out->file)) {
		bg_registriesd_choice_free(out);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	return 0;
}
