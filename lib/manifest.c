/* bootgate — manifests, indexes and image configs (see manifest.h).
 *
 * Every document is read with the strict JSON parser, then checked field by
 * field against the shape its kind requires.  The kind comes from, in this
 * order of authority: the document's own `mediaType`, the Content-Type it was
 * served with (which must then agree), and its shape (containers/image
 * GuessMIMEType).  A document with both `manifests` and `layers`/`config` is
 * refused whatever it declares (CVE-2021-41190: two readers must never see
 * two different images in the same bytes). */
#include "bootgate/manifest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "bootgate/digest.h"
#include "bootgate/limits.h"
#include "bootgate/strictjson.h"
#include "util.h"

/* Longest piece of document text quoted back in a message. */
#define QUOTE_MAX 80
/* Longest context prefix ("<what>: layers[12]"). */
#define CTX_MAX 512
/* Platforms listed when none matches. */
#define LIST_MAX 16

#define ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"
#define ANNOTATION_REFERENCE_TYPE "vnd.docker.reference.type"

/* Copy s for a message: printable ASCII kept, other bytes as '?', cut. */
static const char *quote(const char *s, char out[QUOTE_MAX + 4])
{
	size_t i = 0;
	for (; s[i] && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (s[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

static int nomem(bg_error *err, const char *what)
{
	return bg_error_set(err, BG_E_NOMEM, "%s: out of memory", what);
}

/* ---- media types ------------------------------------------------------- */

static bool is_schema1(const char *mt)
{
	return strcmp(mt, BG_MEDIA_DOCKER_SCHEMA1) == 0 ||
	       strcmp(mt, BG_MEDIA_DOCKER_SCHEMA1_SIGNED) == 0;
}

/* The kind a manifest media type names; false for anything else. */
static bool kind_of_media_type(const char *mt, bg_manifest_kind *kind)
{
	static const struct {
		const char *media_type;
		bg_manifest_kind kind;
	} table[] = {
		{BG_MEDIA_OCI_MANIFEST, BG_MANIFEST_OCI},
		{BG_MEDIA_OCI_INDEX, BG_MANIFEST_OCI_INDEX},
		{BG_MEDIA_DOCKER_MANIFEST, BG_MANIFEST_DOCKER},
		{BG_MEDIA_DOCKER_LIST, BG_MANIFEST_DOCKER_LIST},
	};
	for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
		if (strcmp(mt, table[i].media_type) == 0) {
			*kind = table[i].kind;
			return true;
		}
	}
	return false;
}

static const char *media_type_of_kind(bg_manifest_kind kind)
{
	switch (kind) {
	case BG_MANIFEST_OCI:
		return BG_MEDIA_OCI_MANIFEST;
	case BG_MANIFEST_OCI_INDEX:
		return BG_MEDIA_OCI_INDEX;
	case BG_MANIFEST_DOCKER:
		return BG_MEDIA_DOCKER_MANIFEST;
	case BG_MANIFEST_DOCKER_LIST:
		return BG_MEDIA_DOCKER_LIST;
	}
	return BG_MEDIA_OCI_MANIFEST;
}

static bool kind_is_index(bg_manifest_kind kind)
{
	return kind == BG_MANIFEST_OCI_INDEX || kind == BG_MANIFEST_DOCKER_LIST;
}

/* Content-Type without parameters and surrounding blanks, lower-cased (media
 * types are case-insensitive).  Types that say nothing about the document
 * (servers and CDNs send them for anything) come back as "". */
static char *normalise_content_type(const char *ct)
{
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	char *s = bg_strndup(ct, n);
	if (!s)
		return NULL;
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	static const char *const generic[] = {
		"application/json", "text/plain", "application/octet-stream", "binary/octet-stream",
	};
	for (size_t i = 0; i < sizeof generic / sizeof *generic; i++)
		if (strcmp(s, generic[i]) == 0)
			s[0] = '\0';
	return s;
}

static const char *schema1_advice(void)
{
	return "Docker schema1 manifests are deprecated and not accepted; push the image again "
	       "as Docker schema2 or OCI (e.g. skopeo copy --format oci)";
}

/* ---- descriptors ------------------------------------------------------- */

static void platform_clear(bg_platform *p)
{
	free(p->os);
	free(p->architecture);
	free(p->variant);
	p->os = p->architecture = p->variant = NULL;
}

static void descriptor_clear(bg_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	free(d->ref_name);
	platform_clear(&d->platform);
	memset(d, 0, sizeof *d);
}

/* A required digest field: valid sha256/sha512 only, which also keeps path
 * traversal ("sha256:../../x") out of every blob path built from it. */
static int get_digest(json_object *obj, const char *key, const char *ctx, char **out,
		      bg_error *err)
{
	const char *s;
	int rc = bg_json_get_string(obj, key, true, ctx, &s, err);
	if (rc < 0)
		return rc;
	bg_error why = {0};
	if (bg_digest_parse(s, NULL, NULL, &why) < 0)
		return bg_error_set(err, BG_E_EVAL, "%s: field \"%s\": %s", ctx, key, why.message);
	*out = bg_strdup(s);
	return *out ? 0 : nomem(err, ctx);
}

static int get_platform(json_object *obj, const char *ctx, bg_platform *p, bg_error *err)
{
	const char *os, *arch, *variant;
	char pctx[CTX_MAX];
	snprintf(pctx, sizeof pctx, "%s: platform", ctx);
	int rc = bg_json_get_string(obj, "os", true, pctx, &os, err);
	if (rc == 0)
		rc = bg_json_get_string(obj, "architecture", true, pctx, &arch, err);
	if (rc == 0)
		rc = bg_json_get_string(obj, "variant", false, pctx, &variant, err);
	if (rc < 0)
		return rc;
	p->os = bg_strdup(os);
	p->architecture = bg_strdup(arch);
	p->variant = (variant && variant[0]) ? bg_strdup(variant) : NULL;
	if (!p->os || !p->architecture || (variant && variant[0] && !p->variant))
		return nomem(err, ctx);
	return 0;
}

/* The optional "annotations" member, checked to be a map of strings to
 * strings as the image spec requires; *out = NULL when absent. */
static int get_annotations(json_object *obj, const char *ctx, json_object **out, bg_error *err)
{
	int rc = bg_json_member(obj, "annotations", json_type_object, false, ctx, out, err);
	if (rc < 0 || !*out)
		return rc;
	json_object_object_foreach(*out, key, val) {
		if (!json_object_is_type(val, json_type_string)) {
			char q[QUOTE_MAX + 4];
			return bg_error_set(err, BG_E_EVAL,
					    "%s: annotations: \"%s\" must be a string, not %s", ctx,
					    quote(key, q), bg_json_type_name(json_object_get_type(val)));
		}
	}
	return 0;
}

/* The two annotations the gate uses. */
static int descriptor_annotations(json_object *obj, const char *ctx, bg_descriptor *d,
				  bg_error *err)
{
	json_object *ann, *v;
	int rc = get_annotations(obj, ctx, &ann, err);
	if (rc < 0 || !ann)
		return rc;
	if (json_object_object_get_ex(ann, ANNOTATION_REF_NAME, &v)) {
		d->ref_name = bg_strdup(json_object_get_string(v));
		if (!d->ref_name)
			return nomem(err, ctx);
	}
	if (json_object_object_get_ex(ann, ANNOTATION_REFERENCE_TYPE, &v))
		d->is_attestation = strcmp(json_object_get_string(v), "attestation-manifest") == 0;
	return 0;
}

static int parse_descriptor(json_object *obj, const char *ctx, bg_descriptor *d, bg_error *err)
{
	const char *mt;
	json_object *sub;
	memset(d, 0, sizeof *d);
	if (!json_object_is_type(obj, json_type_object))
		return bg_error_set(err, BG_E_EVAL, "%s: a descriptor must be a JSON object", ctx);
	int rc = bg_json_get_string(obj, "mediaType", true, ctx, &mt, err);
	if (rc < 0)
		return rc;
	if (!mt[0])
		return bg_error_set(err, BG_E_EVAL, "%s: field \"mediaType\" is empty", ctx);
	d->media_type = bg_strdup(mt);
	if (!d->media_type)
		return nomem(err, ctx);
	rc = get_digest(obj, "digest", ctx, &d->digest, err);
	if (rc < 0)
		return rc;
	rc = bg_json_get_int64(obj, "size", true, ctx, &d->size, NULL, err);
	if (rc < 0)
		return rc;
	if (d->size < 0)
		return bg_error_set(err, BG_E_EVAL, "%s: size %lld is negative", ctx,
				    (long long)d->size);
	rc = bg_json_member(obj, "urls", json_type_array, false, ctx, &sub, err);
	if (rc < 0)
		return rc;
	d->has_urls = sub && json_object_array_length(sub) > 0;
	rc = bg_json_member(obj, "platform", json_type_object, false, ctx, &sub, err);
	if (rc < 0)
		return rc;
	if (sub) {
		rc = get_platform(sub, ctx, &d->platform, err);
		if (rc < 0)
			return rc;
		d->has_platform = true;
	}
	return descriptor_annotations(obj, ctx, d, err);
}

/* The array member `key` as descriptors (required). */
static int parse_descriptor_list(json_object *root, const char *key, const char *what,
				 bg_descriptor **out, size_t *n_out, bg_error *err)
{
	json_object *arr;
	int rc = bg_json_member(root, key, json_type_array, true, what, &arr, err);
	if (rc < 0)
		return rc;
	size_t n = json_object_array_length(arr);
	bg_descriptor *v = calloc(n ? n : 1, sizeof *v);
	if (!v)
		return nomem(err, what);
	*out = v;
	for (size_t i = 0; i < n; i++) {
		char ctx[CTX_MAX];
		snprintf(ctx, sizeof ctx, "%s: %s[%zu]", what, key, i);
		*n_out = i + 1; /* so a partly filled entry is freed too */
		rc = parse_descriptor(json_object_array_get_idx(arr, i), ctx, &v[i], err);
		if (rc < 0)
			return rc;
	}
	*n_out = n;
	return 0;
}

/* ---- manifests --------------------------------------------------------- */

/* Decide the kind from the document's mediaType, the Content-Type and the
 * shape; refuse schema1, unknown types and any disagreement. */
static int decide_kind(json_object *root, const char *ct, const char *what,
		       bg_manifest_kind *kind, const char **declared, bg_error *err)
{
	const char *mt;
	int64_t version = 0;
	bool has_version;
	char q[QUOTE_MAX + 4], q2[QUOTE_MAX + 4];
	int rc = bg_json_get_string(root, "mediaType", false, what, &mt, err);
	if (rc == 0)
		rc = bg_json_get_int64(root, "schemaVersion", false, what, &version, &has_version,
				       err);
	if (rc < 0)
		return rc;
	if ((has_version && version == 1) || (mt && is_schema1(mt)) || is_schema1(ct))
		return bg_error_set(err, BG_E_EVAL, "%s: %s", what, schema1_advice());
	if (!has_version)
		return bg_error_set(err, BG_E_EVAL,
				    "%s: field \"schemaVersion\" is missing; this is not an image "
				    "manifest or index",
				    what);
	if (version != 2)
		return bg_error_set(err, BG_E_EVAL,
				    "%s: schemaVersion %lld is not supported (only 2 is)", what,
				    (long long)version);

	bg_manifest_kind from_ct = BG_MANIFEST_OCI, from_mt = BG_MANIFEST_OCI;
	if (ct[0] && !kind_of_media_type(ct, &from_ct))
		return bg_error_set(err, BG_E_EVAL,
				    "%s: served as \"%s\", which is not an image manifest type "
				    "bootgate accepts (OCI manifest or index, Docker schema2 manifest "
				    "or manifest list)",
				    what, quote(ct, q));
	if (mt && !kind_of_media_type(mt, &from_mt))
		return bg_error_set(err, BG_E_EVAL,
				    "%s: mediaType \"%s\" is not an image manifest type bootgate "
				    "accepts (OCI manifest or index, Docker schema2 manifest or "
				    "manifest list)",
				    what, quote(mt, q));
	if (mt && ct[0] && from_mt != from_ct)
		return bg_error_set(err, BG_E_EVAL,
				    "%s: the document's mediaType \"%s\" disagrees with the "
				    "Content-Type \"%s\" it was served with; refusing an ambiguous "
				    "manifest",
				    what, quote(mt, q), quote(ct, q2));
	if (mt) {
		*kind = from_mt;
		*declared = mt;
	} else if (ct[0]) {
		*kind = from_ct;
		*declared = ct;
	} else {
		/* containers/image GuessMIMEType: an index has `manifests`, a
		 * Docker image a Docker config, anything else is OCI. */
		json_object *config = NULL, *cmt = NULL;
		json_object_object_get_ex(root, "config", &config);
		if (json_object_object_get_ex(root, "manifests", NULL))
			*kind = BG_MANIFEST_OCI_INDEX;
		else if (json_object_is_type(config, json_type_object) &&
			 json_object_object_get_ex(config, "mediaType", &cmt) &&
			 json_object_is_type(cmt, json_type_string) &&
			 strcmp(json_object_get_string(cmt), BG_MEDIA_DOCKER_CONFIG) == 0)
			*kind = BG_MANIFEST_DOCKER;
		else
			*kind = BG_MANIFEST_OCI;
		*declared = media_type_of_kind(*kind);
	}
	return 0;
}

int bg_manifest_parse(const char *data, size_t len, const char *content_type, const char *what,
		      bg_manifest **out, bg_error *err)
{
	*out = NULL;
	if (!what)
		what = "manifest";
	if (len > BG_MAX_MANIFEST_BYTES)
		return bg_error_set(err, BG_E_EVAL,
				    "%s: manifest is %zu bytes, more than the %lu MiB limit", what,
				    len, (unsigned long)(BG_MAX_MANIFEST_BYTES / BG_MiB));
	_cleanup_free_ char *ct = normalise_content_type(content_type ? content_type : "");
	if (!ct)
		return nomem(err, what);
	json_object *root = NULL;
	int rc = bg_json_parse_strict(data, len, what, &root, err);
	if (rc < 0)
		return rc;
	bg_manifest *m = calloc(1, sizeof *m);
	if (!m) {
		json_object_put(root);
		return nomem(err, what);
	}
	if (!json_object_is_type(root, json_type_object)) {
		rc = bg_error_set(err, BG_E_EVAL, "%s: a manifest must be a JSON object, not a JSON %s",
				  what, bg_json_type_name(json_object_get_type(root)));
		goto out;
	}
	bool has_manifests = json_object_object_get_ex(root, "manifests", NULL);
	bool has_layers = json_object_object_get_ex(root, "layers", NULL);
	bool has_config = json_object_object_get_ex(root, "config", NULL);
	const char *declared = NULL;
	rc = decide_kind(root, ct, what, &m->kind, &declared, err);
	if (rc < 0)
		goto out;
	/* CVE-2021-41190: never both an index and an image manifest. */
	if (has_manifests && (has_layers || has_config)) {
		rc = bg_error_set(err, BG_E_EVAL,
				  "%s: the document has both \"manifests\" and \"%s\", so it reads "
				  "as an index and as an image manifest; refusing an ambiguous "
				  "manifest (CVE-2021-41190)",
				  what, has_layers ? "layers" : "config");
		goto out;
	}
	json_object *annotations;
	rc = get_annotations(root, what, &annotations, err);
	if (rc < 0)
		goto out;
	m->media_type = bg_strdup(declared);
	if (!m->media_type) {
		rc = nomem(err, what);
		goto out;
	}
	if (kind_is_index(m->kind)) {
		if (has_layers || has_config) {
			rc = bg_error_set(err, BG_E_EVAL,
					  "%s: declared as an index (%s) but has \"%s\" and no "
					  "\"manifests\"",
					  what, declared, has_layers ? "layers" : "config");
			goto out;
		}
		rc = parse_descriptor_list(root, "manifests", what, &m->manifests, &m->n_manifests,
					   err);
	} else {
		if (has_manifests) {
			rc = bg_error_set(err, BG_E_EVAL,
					  "%s: declared as an image manifest (%s) but has "
					  "\"manifests\" like an index",
					  what, declared);
			goto out;
		}
		json_object *config;
		char ctx[CTX_MAX];
		snprintf(ctx, sizeof ctx, "%s: config", what);
		rc = bg_json_member(root, "config", json_type_object, true, what, &config, err);
		if (rc == 0)
			rc = parse_descriptor(config, ctx, &m->config, err);
		if (rc == 0)
			rc = parse_descriptor_list(root, "layers", what, &m->layers, &m->n_layers,
						   err);
	}
out:
	json_object_put(root);
	if (rc < 0) {
		bg_manifest_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void bg_manifest_free(bg_manifest *m)
{
	if (!m)
		return;
	free(m->media_type);
	descriptor_clear(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		descriptor_clear(&m->layers[i]);
	free(m->layers);
	for (size_t i = 0; i < m->n_manifests; i++)
		descriptor_clear(&m->manifests[i]);
	free(m->manifests);
	free(m);
}

bool bg_manifest_is_index(const bg_manifest *m)
{
	return m && kind_is_index(m->kind);
}

/* ---- platforms --------------------------------------------------------- */

static bool platform_word_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' ||
		      *s == '-' || *s == '.'))
			return false;
	return true;
}

/* Fill p from OCI names, mapping the common kernel/distribution spellings
 * (as containerd's platforms.Normalize does). */
static int platform_set(bg_platform *p, const char *os, const char *arch, const char *variant)
{
	static const struct {
		const char *alias, *arch, *variant;
	} aliases[] = {
		{"x86_64", "amd64", NULL}, {"x86-64", "amd64", NULL}, {"aarch64", "arm64", NULL},
		{"i386", "386", NULL},     {"i486", "386", NULL},     {"i586", "386", NULL},
		{"i686", "386", NULL},     {"armhf", "arm", "v7"},    {"armel", "arm", "v6"},
		{"armv5l", "arm", "v5"},   {"armv6l", "arm", "v6"},   {"armv7l", "arm", "v7"},
		{"armv8l", "arm", "v8"},
	};
	for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++) {
		if (strcmp(arch, aliases[i].alias) == 0) {
			arch = aliases[i].arch;
			if (!variant)
				variant = aliases[i].variant;
			break;
		}
	}
	p->os = bg_strdup(os);
	p->architecture = bg_strdup(arch);
	p->variant = variant ? bg_strdup(variant) : NULL;
	if (!p->os || !p->architecture || (variant && !p->variant)) {
		platform_clear(p);
		return BG_E_NOMEM;
	}
	return 0;
}

int bg_platform_parse(const char *s, bg_platform *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	char q[QUOTE_MAX + 4];
	_cleanup_free_ char *copy = bg_strdup(s ? s : "");
	if (!copy)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	for (char *p = copy; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	char *parts[3] = {copy, NULL, NULL};
	size_t n = 1;
	for (char *p = copy; *p && n <= 3; p++) {
		if (*p != '/')
			continue;
		if (n == 3) {
			n = 4; /* too many parts */
			break;
		}
		*p = '\0';
		parts[n++] = p + 1;
	}
	bool good = n == 2 || n == 3;
	for (size_t i = 0; good && i < n; i++)
		good = platform_word_ok(parts[i]);
	if (!good)
		return bg_error_set(err, BG_E_USAGE,
				    "platform \"%s\" is not OS/ARCH[/VARIANT]; use e.g. linux/amd64 "
				    "or linux/arm64/v8",
				    quote(s ? s : "", q));
	if (platform_set(out, parts[0], parts[1], n == 3 ? parts[2] : NULL) < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	return 0;
}

int bg_platform_host(bg_platform *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	struct utsname u;
	if (uname(&u) != 0)
		return bg_error_set(err, BG_E_EVAL,
				    "cannot tell this machine's platform (uname failed); pass "
				    "--platform OS/ARCH");
	char os[sizeof u.sysname];
	size_t i = 0;
	for (; u.sysname[i] && i + 1 < sizeof os; i++)
		os[i] = (char)tolower((unsigned char)u.sysname[i]);
	os[i] = '\0';
	/* arm64 is always v8 for matching purposes (containers/image). */
	const char *variant = strcmp(u.machine, "aarch64") == 0 || strcmp(u.machine, "arm64") == 0
				      ? "v8"
				      : NULL;
	if (platform_set(out, os, u.machine, variant) < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	return 0;
}

char *bg_platform_format(const bg_platform *p)
{
	bg_strbuf b = {0};
	bg_strbuf_printf(&b, "%s/%s", p && p->os ? p->os : "", p && p->architecture ? p->architecture : "");
	if (p && p->variant && p->variant[0])
		bg_strbuf_printf(&b, "/%s", p->variant);
	return bg_strbuf_take(&b);
}

void bg_platform_free(bg_platform *p)
{
	if (p)
		platform_clear(p);
}

/* ---- platform selection ------------------------------------------------ */

/* The variants acceptable for `want`, best first, as containers/image's
 * WantedPlatforms builds them: a requested variant, then the lower ones of
 * the architecture's compatibility list, then ""; with no variant requested,
 * "" first and then the whole list. */
static size_t wanted_variants(const bg_platform *want, const char *out[8])
{
	static const char *const arm[] = {"v8", "v7", "v6", "v5", NULL};
	static const char *const arm64[] = {"v8", NULL};
	const char *const *compat = NULL;
	if (strcmp(want->architecture, "arm") == 0)
		compat = arm;
	else if (strcmp(want->architecture, "arm64") == 0)
		compat = arm64;
	size_t n = 0;
	const char *v = want->variant && want->variant[0] ? want->variant : NULL;
	if (v) {
		size_t start = 0;
		bool known = false;
		for (; compat && compat[start]; start++) {
			if (strcmp(compat[start], v) == 0) {
				known = true;
				break;
			}
		}
		if (known) {
			for (size_t i = start; compat[i]; i++)
				out[n++] = compat[i];
		} else {
			out[n++] = v;
		}
		out[n++] = "";
	} else {
		out[n++] = "";
		for (size_t i = 0; compat && compat[i]; i++)
			out[n++] = compat[i];
	}
	return n;
}

int bg_manifest_select_platform(const bg_manifest *index, const bg_platform *want,
				const bg_descriptor **out, bg_error *err)
{
	*out = NULL;
	if (!bg_manifest_is_index(index))
		return bg_error_set(err, BG_E_EVAL, "platform selection needs an index, not an image manifest");
	if (!want || !want->os || !want->architecture)
		return bg_error_set(err, BG_E_USAGE, "no platform to select was given");
	const char *variants[8];
	size_t n_variants = wanted_variants(want, variants);
	/* Rank: position of the entry's variant in `variants`; entries without
	 * a platform rank after every match.  Lowest rank, then first, wins. */
	size_t best_rank = SIZE_MAX;
	for (size_t i = 0; i < index->n_manifests; i++) {
		const bg_descriptor *d = &index->manifests[i];
		if (d->is_attestation)
			continue;
		size_t rank = SIZE_MAX;
		if (!d->has_platform) {
			/* OCI index entries without a platform stay candidates of
			 * the lowest rank; Docker lists require a platform. */
			if (index->kind == BG_MANIFEST_OCI_INDEX)
				rank = n_variants;
		} else if (strcmp(d->platform.os, want->os) == 0 &&
			   strcmp(d->platform.architecture, want->architecture) == 0) {
			const char *dv = d->platform.variant ? d->platform.variant : "";
			for (size_t k = 0; k < n_variants; k++) {
				if (strcmp(dv, variants[k]) == 0) {
					rank = k;
					break;
				}
			}
		}
		if (rank < best_rank) {
			best_rank = rank;
			*out = d;
		}
	}
	if (*out)
		return 0;

	bg_strbuf offered = {0};
	size_t listed = 0;
	for (size_t i = 0; i < index->n_manifests; i++) {
		const bg_descriptor *d = &index->manifests[i];
		if (d->is_attestation || !d->has_platform)
			continue;
		if (listed == LIST_MAX) {
			bg_strbuf_puts(&offered, ", ...");
			break;
		}
		_cleanup_free_ char *p = bg_platform_format(&d->platform);
		bg_strbuf_printf(&offered, "%s%s", listed++ ? ", " : "", p ? p : "?");
	}
	_cleanup_free_ char *w = bg_platform_format(want);
	_cleanup_free_ char *list = bg_strbuf_take(&offered);
	return bg_error_set(err, BG_E_EVAL,
			    "the index has no image for %s; it offers %s (choose one with "
			    "--platform)",
			    w ? w : "?", list && list[0] ? list : "no platforms");
}

/* ---- image configs ----------------------------------------------------- */

typedef struct label {
	const char *key, *value;
} label;

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const label *)a)->key, ((const label *)b)->key);
}

static int config_labels(json_object *root, const char *what, bg_image_config *c, bg_error *err)
{
	json_object *cfg, *labels;
	char ctx[CTX_MAX];
	snprintf(ctx, sizeof ctx, "%s: config", what);
	int rc = bg_json_member(root, "config", json_type_object, false, what, &cfg, err);
	if (rc < 0 || !cfg)
		return rc;
	rc = bg_json_member(cfg, "Labels", json_type_object, false, ctx, &labels, err);
	if (rc < 0 || !labels)
		return rc;
	size_t n = (size_t)json_object_object_length(labels);
	_cleanup_free_ label *v = calloc(n ? n : 1, sizeof *v);
	c->label_keys = calloc(n + 1, sizeof *c->label_keys);
	c->label_values = calloc(n + 1, sizeof *c->label_values);
	if (!v || !c->label_keys || !c->label_values)
		return nomem(err, what);
	size_t i = 0;
	json_object_object_foreach(labels, key, val) {
		if (!json_object_is_type(val, json_type_string)) {
			char q[QUOTE_MAX + 4];
			return bg_error_set(err, BG_E_EVAL,
					    "%s: config: Labels: \"%s\" must be a string, not %s",
					    what, quote(key, q),
					    bg_json_type_name(json_object_get_type(val)));
		}
		v[i].key = key;
		v[i].value = json_object_get_string(val);
		i++;
	}
	qsort(v, n, sizeof *v, label_cmp);
	for (i = 0; i < n; i++) {
		c->label_keys[i] = bg_strdup(v[i].key);
		c->label_values[i] = bg_strdup(v[i].value);
		c->n_labels = i + 1;
		if (!c->label_keys[i] || !c->label_values[i])
			return nomem(err, what);
	}
	return 0;
}

static int config_rootfs(json_object *root, const char *what, bg_image_config *c, bg_error *err)
{
	json_object *rootfs, *ids;
	const char *type;
	char ctx[CTX_MAX];
	snprintf(ctx, sizeof ctx, "%s: rootfs", what);
	int rc = bg_json_member(root, "rootfs", json_type_object, true, what, &rootfs, err);
	if (rc == 0)
		rc = bg_json_get_string(rootfs, "type", true, ctx, &type, err);
	if (rc < 0)
		return rc;
	if (strcmp(type, "layers") != 0) {
		char q[QUOTE_MAX + 4];
		return bg_error_set(err, BG_E_EVAL, "%s: type is \"%s\", expected \"layers\"", ctx,
				    quote(type, q));
	}
	rc = bg_json_member(rootfs, "diff_ids", json_type_array, true, ctx, &ids, err);
	if (rc < 0)
		return rc;
	size_t n = json_object_array_length(ids);
	c->diff_ids = calloc(n + 1, sizeof *c->diff_ids);
	if (!c->diff_ids)
		return nomem(err, what);
	for (size_t i = 0; i < n; i++) {
		json_object *id = json_object_array_get_idx(ids, i);
		if (!json_object_is_type(id, json_type_string))
			return bg_error_set(err, BG_E_EVAL, "%s: diff_ids[%zu] must be a string, not %s",
					    ctx, i, bg_json_type_name(json_object_get_type(id)));
		const char *s = json_object_get_string(id);
		bg_error why = {0};
		if (bg_digest_parse(s, NULL, NULL, &why) < 0)
			return bg_error_set(err, BG_E_EVAL, "%s: diff_ids[%zu]: %s", ctx, i,
					    why.message);
		c->diff_ids[i] = bg_strdup(s);
		if (!c->diff_ids[i])
			return nomem(err, what);
		c->n_diff_ids = i + 1;
	}
	return 0;
}

int bg_image_config_parse(const char *data, size_t len, const char *what, bg_image_config **out,
			  bg_error *err)
{
	*out = NULL;
	if (!what)
		what = "image config";
	if (len > BG_MAX_CONFIG_BYTES)
		return bg_error_set(err, BG_E_EVAL,
				    "%s: image config is %zu bytes, more than the %lu MiB limit",
				    what, len, (unsigned long)(BG_MAX_CONFIG_BYTES / BG_MiB));
	json_object *root = NULL;
	int rc = bg_json_parse_strict(data, len, what, &root, err);
	if (rc < 0)
		return rc;
	bg_image_config *c = calloc(1, sizeof *c);
	if (!c) {
		json_object_put(root);
		return nomem(err, what);
	}
	const char *created = NULL, *os = NULL, *arch = NULL, *variant = NULL;
	if (!json_object_is_type(root, json_type_object))
		rc = bg_error_set(err, BG_E_EVAL, "%s: an image config must be a JSON object, not a JSON %s",
				  what, bg_json_type_name(json_object_get_type(root)));
	if (rc == 0)
		rc = bg_json_get_string(root, "created", false, what, &created, err);
	if (rc == 0)
		rc = bg_json_get_string(root, "os", true, what, &os, err);
	if (rc == 0)
		rc = bg_json_get_string(root, "architecture", true, what, &arch, err);
	if (rc == 0)
		rc = bg_json_get_string(root, "variant", false, what, &variant, err);
	if (rc == 0) {
		c->created = created ? bg_strdup(created) : NULL;
		c->platform.os = bg_strdup(os);
		c->platform.architecture = bg_strdup(arch);
		c->platform.variant = variant && variant[0] ? bg_strdup(variant) : NULL;
		if ((created && !c->created) || !c->platform.os || !c->platform.architecture ||
		    (variant && variant[0] && !c->platform.variant))
			rc = nomem(err, what);
	}
	if (rc == 0)
		rc = config_labels(root, what, c, err);
	if (rc == 0)
		rc = config_rootfs(root, what, c, err);
	json_object_put(root);
	if (rc < 0) {
		bg_image_config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

const char *bg_image_config_label(const bg_image_config *c, const char *key)
{
	if (!c || !key)
		return NULL;
	size_t lo = 0, hi = c->n_labels;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(key, c->label_keys[mid]);
		if (cmp == 0)
			return c->label_values[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void bg_image_config_free(bg_image_config *c)
{
	if (!c)
		return;
	free(c->created);
	platform_clear(&c->platform);
	for (size_t i = 0; i < c->n_labels; i++) {
		free(c->label_keys[i]);
		free(c->label_values[i]);
	}
	free(c->label_keys);
	free(c->label_values);
	for (size_t i = 0; i < c->n_diff_ids; i++)
		free(c->diff_ids[i]);
	free(c->diff_ids);
	free(c);
}
