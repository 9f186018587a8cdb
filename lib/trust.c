/* bootgate — containers-policy.json(5): parsing, scope resolution, identity
 * rules and evaluation (see include/bootgate/trust.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bootgate/signature.h"
#include "bootgate/strictjson.h"
#include "bootgate/trust.h"
#include "base64.h"
#include "util.h"

/* ---- names ---------------------------------------------------------------- */

const char *bg_trust_req_type_name(bg_trust_req_type t)
{
	switch (t) {
	case BG_TRUST_INSECURE_ACCEPT_ANYTHING: return "insecureAcceptAnything";
	case BG_TRUST_REJECT: return "reject";
	case BG_TRUST_SIGNED_BY: return "signedBy";
	case BG_TRUST_SIGSTORE_SIGNED: return "sigstoreSigned";
	case BG_TRUST_SIGNED_BASE_LAYER: return "signedBaseLayer";
	}
	return "?";
}

const char *bg_trust_identity_kind_name(bg_trust_identity_kind k)
{
	switch (k) {
	case BG_TRUST_MATCH_REPO_DIGEST_OR_EXACT: return "matchRepoDigestOrExact";
	case BG_TRUST_MATCH_EXACT: return "matchExact";
	case BG_TRUST_MATCH_REPOSITORY: return "matchRepository";
	case BG_TRUST_EXACT_REFERENCE: return "exactReference";
	case BG_TRUST_EXACT_REPOSITORY: return "exactRepository";
	case BG_TRUST_REMAP_IDENTITY: return "remapIdentity";
	}
	return "?";
}

/* ---- freeing -------------------------------------------------------------- */

static void requirement_clear(bg_trust_requirement *r)
{
	free(r->key_type);
	for (size_t i = 0; i < r->n_key_paths; i++)
		free(r->key_paths[i]);
	free(r->key_paths);
	free(r->key_data);
	free(r->identity.value);
	free(r->identity.prefix);
	free(r->identity.signed_prefix);
	memset(r, 0, sizeof *r);
}

static void reqlist_clear(bg_trust_reqlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		requirement_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void bg_trust_policy_free(bg_trust_policy *p)
{
	if (!p)
		return;
	reqlist_clear(&p->default_reqs);
	for (size_t i = 0; i < p->n_scopes; i++) {
		free(p->scopes[i].transport);
		free(p->scopes[i].scope);
		reqlist_clear(&p->scopes[i].reqs);
	}
	free(p->scopes);
	free(p->name);
	free(p);
}

/* ---- parsing ---------------------------------------------------------------- */

typedef struct parser {
	const char *name;
	bg_error *err;
} parser;

static int perr(parser *ps, const char *where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(parser *ps, const char *where, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return bg_error_set(ps->err, BG_E_USAGE, "%s: %s: %s", ps->name, where, msg);
}

/* Text from the file, shortened and with control bytes escaped, for messages. */
static const char *shown(const char *s, char *buf, size_t size)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && o + 5 < size; p++) {
		if (o > 60) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (*p < 0x20 || *p == 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", *p);
		else
			buf[o++] = (char)*p;
	}
	buf[o] = '\0';
	return buf;
}

/* obj must be an object whose keys are all in allowed (NULL-terminated). */
static int check_keys(parser *ps, const char *where, json_object *obj, const char *const *allowed)
{
	if (!json_object_is_type(obj, json_type_object))
		return perr(ps, where, "must be a JSON object, not %s",
			    bg_json_type_name(json_object_get_type(obj)));
	json_object_object_foreach(obj, key, val) {
		(void)val;
		bool ok = false;
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				ok = true;
		if (!ok) {
			char b[128];
			bg_strbuf list = {0};
			for (size_t i = 0; allowed[i]; i++)
				bg_strbuf_printf(&list, "%s%s", i ? ", " : "", allowed[i]);
			int rc = perr(ps, where, "unknown key \"%s\" (allowed here: %s)", shown(key, b, sizeof b),
				      list.s ? list.s : "");
			bg_strbuf_free(&list);
			return rc;
		}
	}
	return 0;
}

/* A string member; required or not.  JSON null is refused (upstream's Go
 * would read it as "" and fail later; refusing is clearer). */
static int get_string(parser *ps, const char *where, json_object *obj, const char *key, bool required,
		      const char **out)
{
	json_object *v = NULL;
	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v)) {
		if (required)
			return perr(ps, where, "\"%s\" is missing", key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return perr(ps, where, "\"%s\" must be a string, not %s", key,
			    bg_json_type_name(json_object_get_type(v)));
	*out = json_object_get_string(v);
	return 0;
}

/* keyData: standard base64 into a new buffer. */
static int base64_decode(const char *s, unsigned char **out, size_t *outlen)
{
	size_t n = strlen(s);
	unsigned char *buf = malloc(n / 4 * 3 + 4);
	if (!buf)
		return BG_E_NOMEM;
	long d = bg_base64_decode(s, n, buf);
	if (d < 0) {
		free(buf);
		return BG_E_INPUT;
	}
	*out = buf;
	*outlen = (size_t)d;
	return 0;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* reference.DomainRegexp, anchored: host components [a-zA-Z0-9] or
 * [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] joined by '.', or an IPv6 literal in
 * brackets; then an optional ":port". */
static bool is_domain(const char *s, size_t n)
{
	size_t i = 0;
	if (n && s[0] == '[') {
		size_t j = 1;
		while (j < n && (s[j] == ':' || is_alnum(s[j])))
			j++;
		if (j == 1 || j >= n || s[j] != ']')
			return false;
		i = j + 1;
	} else {
		for (;;) {
			size_t start = i;
			while (i < n && (is_alnum(s[i]) || s[i] == '-'))
				i++;
			if (i == start || s[start] == '-' || s[i - 1] == '-')
				return false;
			if (i < n && s[i] == '.') {
				i++;
				continue;
			}
			break;
		}
	}
	if (i < n && s[i] == ':') {
		size_t start = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return false;
	}
	return i == n;
}

/* path-component ( "/" path-component )*, path-component =
 * [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )* */
static bool is_path(const char *s, size_t n)
{
	size_t i = 0;
	for (;;) {
		size_t start = i;
		for (;;) {
			size_t a = i;
			while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
				i++;
			if (i == a)
				return false;
			if (i < n && (s[i] == '.' || s[i] == '_' || s[i] == '-')) {
				if (s[i] == '.')
					i++;
				else if (s[i] == '_')
					i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
				else
					while (i < n && s[i] == '-')
						i++;
				continue;
			}
			break;
		}
		(void)start;
		if (i < n && s[i] == '/') {
			i++;
			continue;
		}
		return i == n;
	}
}

/* validateIdentityRemappingPrefix: a domain, or domain "/" path. */
static bool valid_remap_prefix(const char *s)
{
	size_t n = strlen(s);
	if (is_domain(s, n))
		return true;
	const char *slash = strchr(s, '/');
	return slash && is_domain(s, (size_t)(slash - s)) && is_path(slash + 1, n - (size_t)(slash - s) - 1);
}

static int parse_identity(parser *ps, const char *where, json_object *obj, bg_trust_identity *id)
{
	if (!json_object_is_type(obj, json_type_object))
		return perr(ps, where, "must be a JSON object, not %s",
			    bg_json_type_name(json_object_get_type(obj)));
	const char *type = NULL;
	int rc = get_string(ps, where, obj, "type", true, &type);
	if (rc < 0)
		return rc;
	static const char *const only_type[] = {"type", NULL};
	static const char *const exact_ref[] = {"type", "dockerReference", NULL};
	static const char *const exact_repo[] = {"type", "dockerRepository", NULL};
	static const char *const remap[] = {"type", "prefix", "signedPrefix", NULL};
	char b[128];
	if (strcmp(type, "matchExact") == 0 || strcmp(type, "matchRepoDigestOrExact") == 0 ||
	    strcmp(type, "matchRepository") == 0) {
		id->kind = strcmp(type, "matchExact") == 0 ? BG_TRUST_MATCH_EXACT
			   : strcmp(type, "matchRepository") == 0 ? BG_TRUST_MATCH_REPOSITORY
								  : BG_TRUST_MATCH_REPO_DIGEST_OR_EXACT;
		return check_keys(ps, where, obj, only_type);
	}
	if (strcmp(type, "exactReference") == 0) {
		if ((rc = check_keys(ps, where, obj, exact_ref)) < 0)
			return rc;
		const char *v;
		if ((rc = get_string(ps, where, obj, "dockerReference", true, &v)) < 0)
			return rc;
		bg_reference r;
		bg_error e = {0};
		if (bg_reference_parse(v, &r, &e) < 0)
			return perr(ps, where, "dockerReference \"%s\" is not a valid reference: %s",
				    shown(v, b, sizeof b), e.message);
		bool name_only = r.tag_implicit;
		bg_reference_free(&r);
		if (name_only)
			return perr(ps, where, "dockerReference \"%s\" must have a tag or a digest",
				    shown(v, b, sizeof b));
		id->kind = BG_TRUST_EXACT_REFERENCE;
		return (id->value = bg_strdup(v)) ? 0 : BG_E_NOMEM;
	}
	if (strcmp(type, "exactRepository") == 0) {
		if ((rc = check_keys(ps, where, obj, exact_repo)) < 0)
			return rc;
		const char *v;
		if ((rc = get_string(ps, where, obj, "dockerRepository", true, &v)) < 0)
			return rc;
		bg_reference r;
		bg_error e = {0};
		if (bg_reference_parse(v, &r, &e) < 0)
			return perr(ps, where, "dockerRepository \"%s\" is not a valid repository: %s",
				    shown(v, b, sizeof b), e.message);
		bg_reference_free(&r);
		id->kind = BG_TRUST_EXACT_REPOSITORY;
		return (id->value = bg_strdup(v)) ? 0 : BG_E_NOMEM;
	}
	if (strcmp(type, "remapIdentity") == 0) {
		if ((rc = check_keys(ps, where, obj, remap)) < 0)
			return rc;
		const char *prefix, *signed_prefix;
		if ((rc = get_string(ps, where, obj, "prefix", true, &prefix)) < 0 ||
		    (rc = get_string(ps, where, obj, "signedPrefix", true, &signed_prefix)) < 0)
			return rc;
		if (!valid_remap_prefix(prefix))
			return perr(ps, where, "prefix \"%s\" is not valid (a host[:port], a namespace or a repository, without tag or digest)",
				    shown(prefix, b, sizeof b));
		if (!valid_remap_prefix(signed_prefix))
			return perr(ps, where, "signedPrefix \"%s\" is not valid (a host[:port], a namespace or a repository, without tag or digest)",
				    shown(signed_prefix, b, sizeof b));
		id->kind = BG_TRUST_REMAP_IDENTITY;
		id->prefix = bg_strdup(prefix);
		id->signed_prefix = bg_strdup(signed_prefix);
		return id->prefix && id->signed_prefix ? 0 : BG_E_NOMEM;
	}
	return perr(ps, where, "unknown signedIdentity type \"%s\" (known: matchExact, "
		    "matchRepoDigestOrExact, matchRepository, exactReference, exactRepository, remapIdentity)",
		    shown(type, b, sizeof b));
}

static int parse_signed_by(parser *ps, const char *where, json_object *obj, bg_trust_requirement *r)
{
	static const char *const keys[] = {"type", "keyType", "keyPath", "keyPaths", "keyData",
					   "signedIdentity", NULL};
	int rc = check_keys(ps, where, obj, keys);
	if (rc < 0)
		return rc;
	const char *key_type, *key_path, *key_data;
	if ((rc = get_string(ps, where, obj, "keyType", true, &key_type)) < 0 ||
	    (rc = get_string(ps, where, obj, "keyPath", false, &key_path)) < 0 ||
	    (rc = get_string(ps, where, obj, "keyData", false, &key_data)) < 0)
		return rc;
	static const char *const key_types[] = {"GPGKeys", "signedByGPGKeys", "X509Certificates",
						"signedByX509CAs", NULL};
	bool known = false;
	for (size_t i = 0; key_types[i]; i++)
		known |= strcmp(key_type, key_types[i]) == 0;
	char b[128];
	if (!known)
		return perr(ps, where, "unknown keyType \"%s\" (bootgate implements GPGKeys)",
			    shown(key_type, b, sizeof b));
	if (!(r->key_type = bg_strdup(key_type)))
		return BG_E_NOMEM;
	json_object *paths = NULL;
	bool has_paths = json_object_object_get_ex(obj, "keyPaths", &paths);
	int sources = (key_path != NULL) + has_paths + (key_data != NULL);
	if (sources != 1)
		return perr(ps, where, "exactly one of keyPath, keyPaths and keyData must be given (found %d)",
			    sources);
	if (key_path) {
		if (!(r->key_paths = calloc(1, sizeof *r->key_paths)) ||
		    !(r->key_paths[0] = bg_strdup(key_path)))
			return BG_E_NOMEM;
		r->n_key_paths = 1;
	} else if (has_paths) {
		if (!json_object_is_type(paths, json_type_array))
			return perr(ps, where, "keyPaths must be an array of strings, not %s",
				    bg_json_type_name(json_object_get_type(paths)));
		size_t n = json_object_array_length(paths);
		if (n == 0)
			return perr(ps, where, "keyPaths must not be empty");
		if (!(r->key_paths = calloc(n, sizeof *r->key_paths)))
			return BG_E_NOMEM;
		for (size_t i = 0; i < n; i++) {
			json_object *p = json_object_array_get_idx(paths, i);
			if (!json_object_is_type(p, json_type_string))
				return perr(ps, where, "keyPaths[%zu] must be a string, not %s", i,
					    bg_json_type_name(json_object_get_type(p)));
			if (!(r->key_paths[i] = bg_strdup(json_object_get_string(p))))
				return BG_E_NOMEM;
			r->n_key_paths = i + 1;
		}
	} else {
		int d = base64_decode(key_data, &r->key_data, &r->key_data_len);
		if (d == BG_E_NOMEM)
			return BG_E_NOMEM;
		if (d < 0)
			return perr(ps, where, "keyData is not valid base64");
		r->has_key_data = true;
	}
	json_object *ident = NULL;
	if (json_object_object_get_ex(obj, "signedIdentity", &ident)) {
		_cleanup_free_ char *w = NULL;
		if (asprintf(&w, "%s.signedIdentity", where) < 0)
			return BG_E_NOMEM;
		return parse_identity(ps, w, ident, &r->identity);
	}
	r->identity.kind = BG_TRUST_MATCH_REPO_DIGEST_OR_EXACT;
	return 0;
}

/* sigstoreSigned: recognised by its key set (containers-policy.json(5)),
 * kept only to be reported as unsupported. */
static int parse_sigstore(parser *ps, const char *where, json_object *obj, bg_trust_requirement *r)
{
	static const char *const keys[] = {"type", "keyPath", "keyPaths", "keyData", "keyDatas",
					   "fulcio", "pki", "rekorPublicKeyPath", "rekorPublicKeyPaths",
					   "rekorPublicKeyData", "rekorPublicKeyDatas", "signedIdentity",
					   NULL};
	int rc = check_keys(ps, where, obj, keys);
	if (rc < 0)
		return rc;
	json_object *ident = NULL;
	if (json_object_object_get_ex(obj, "signedIdentity", &ident)) {
		_cleanup_free_ char *w = NULL;
		if (asprintf(&w, "%s.signedIdentity", where) < 0)
			return BG_E_NOMEM;
		return parse_identity(ps, w, ident, &r->identity);
	}
	return 0;
}

static int parse_requirement(parser *ps, const char *where, json_object *obj, bg_trust_requirement *r)
{
	if (!json_object_is_type(obj, json_type_object))
		return perr(ps, where, "a requirement must be a JSON object, not %s",
			    bg_json_type_name(json_object_get_type(obj)));
	const char *type;
	int rc = get_string(ps, where, obj, "type", true, &type);
	if (rc < 0)
		return rc;
	static const char *const only_type[] = {"type", NULL};
	static const char *const base_layer[] = {"type", "baseLayerIdentity", NULL};
	char b[128];
	if (strcmp(type, "insecureAcceptAnything") == 0) {
		r->type = BG_TRUST_INSECURE_ACCEPT_ANYTHING;
		return check_keys(ps, where, obj, only_type);
	}
	if (strcmp(type, "reject") == 0) {
		r->type = BG_TRUST_REJECT;
		return check_keys(ps, where, obj, only_type);
	}
	if (strcmp(type, "signedBy") == 0) {
		r->type = BG_TRUST_SIGNED_BY;
		return parse_signed_by(ps, where, obj, r);
	}
	if (strcmp(type, "sigstoreSigned") == 0) {
		r->type = BG_TRUST_SIGSTORE_SIGNED;
		return parse_sigstore(ps, where, obj, r);
	}
	if (strcmp(type, "signedBaseLayer") == 0) {
		r->type = BG_TRUST_SIGNED_BASE_LAYER;
		if ((rc = check_keys(ps, where, obj, base_layer)) < 0)
			return rc;
		json_object *ident = NULL;
		if (!json_object_object_get_ex(obj, "baseLayerIdentity", &ident))
			return perr(ps, where, "\"baseLayerIdentity\" is missing");
		return 0;
	}
	return perr(ps, where, "unknown requirement type \"%s\" (known: insecureAcceptAnything, "
		    "reject, signedBy, sigstoreSigned, signedBaseLayer)", shown(type, b, sizeof b));
}

static int parse_reqlist(parser *ps, const char *where, json_object *arr, bg_trust_reqlist *l)
{
	if (!json_object_is_type(arr, json_type_array))
		return perr(ps, where, "a requirement list must be a JSON array, not %s",
			    bg_json_type_name(json_object_get_type(arr)));
	size_t n = json_object_array_length(arr);
	if (n == 0)
		return perr(ps, where, "the list of requirements must not be empty "
			    "(use [{\"type\":\"reject\"}] or [{\"type\":\"insecureAcceptAnything\"}])");
	if (!(l->v = calloc(n, sizeof *l->v)))
		return BG_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *w = NULL;
		if (asprintf(&w, "%s[%zu]", where, i) < 0)
			return BG_E_NOMEM;
		l->n = i + 1;
		int rc = parse_requirement(ps, w, json_object_array_get_idx(arr, i), &l->v[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_policy(parser *ps, json_object *root, bg_trust_policy *p)
{
	static const char *const top[] = {"default", "transports", NULL};
	int rc = check_keys(ps, "top level", root, top);
	if (rc < 0)
		return rc;
	json_object *def = NULL, *transports = NULL;
	if (!json_object_object_get_ex(root, "default", &def))
		return perr(ps, "top level", "\"default\" is missing (it applies to every image "
			    "no scope matches; e.g. [{\"type\":\"reject\"}])");
	if ((rc = parse_reqlist(ps, "default", def, &p->default_reqs)) < 0)
		return rc;
	if (!json_object_object_get_ex(root, "transports", &transports))
		return 0;
	if (!json_object_is_type(transports, json_type_object))
		return perr(ps, "transports", "must be a JSON object, not %s",
			    bg_json_type_name(json_object_get_type(transports)));
	size_t total = 0;
	json_object_object_foreach(transports, tname, scopes) {
		char b[128];
		if (!json_object_is_type(scopes, json_type_object))
			return perr(ps, "transports", "\"%s\" must be a JSON object of scopes, not %s",
				    shown(tname, b, sizeof b), bg_json_type_name(json_object_get_type(scopes)));
		total += (size_t)json_object_object_length(scopes);
	}
	if (total && !(p->scopes = calloc(total, sizeof *p->scopes)))
		return BG_E_NOMEM;
	json_object_object_foreach(transports, tname2, scopes2) {
		json_object_object_foreach(scopes2, sname, list) {
			bg_trust_scope *s = &p->scopes[p->n_scopes++];
			if (!(s->transport = bg_strdup(tname2)) || !(s->scope = bg_strdup(sname)))
				return BG_E_NOMEM;
			char b1[128], b2[128];
			_cleanup_free_ char *w = NULL;
			if (asprintf(&w, "transports.%s[\"%s\"]", shown(tname2, b1, sizeof b1),
				     shown(sname, b2, sizeof b2)) < 0)
				return BG_E_NOMEM;
			if ((rc = parse_reqlist(ps, w, list, &s->reqs)) < 0)
				return rc;
		}
	}
	return 0;
}

int bg_trust_policy_parse(const char *data, size_t len, const char *name, bg_trust_policy **out,
			  bg_error *err)
{
	*out = NULL;
	if (!name)
		name = "policy.json";
	json_object *root = NULL;
	int rc = bg_json_parse_strict(data, len, name, &root, err);
	if (rc < 0) {
		if (rc != BG_E_NOMEM)
			err->status = rc = BG_E_USAGE;
		return rc;
	}
	bg_trust_policy *p = calloc(1, sizeof *p);
	if (!p || !(p->name = bg_strdup(name))) {
		free(p);
		json_object_put(root);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	parser ps = {.name = name, .err = err};
	if (!root)
		rc = perr(&ps, "top level", "must be a JSON object, not null");
	else
		rc = parse_policy(&ps, root, p);
	json_object_put(root);
	if (rc < 0) {
		if (rc == BG_E_NOMEM)
			bg_error_set(err, BG_E_NOMEM, "out of memory reading %s", name);
		bg_trust_policy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int bg_trust_policy_load(const char *path, bg_trust_policy **out, bg_error *err)
{
	*out = NULL;
	if (!path)
		path = BG_TRUST_DEFAULT_POLICY;
	char *data = NULL;
	size_t len = 0;
	int rc = bg_read_file(path, BG_TRUST_MAX_POLICY_BYTES, &data, &len, err);
	if (rc < 0) {
		bg_error_prefix(err, "policy (--policy to choose another file)");
		return rc;
	}
	rc = bg_trust_policy_parse(data, len, path, out, err);
	free(data);
	return rc;
}

/* ---- scopes ----------------------------------------------------------------- */

static int push(char ***v, size_t *n, char *s)
{
	if (!s)
		return BG_E_NOMEM;
	char **nv = realloc(*v, (*n + 1) * sizeof **v);
	if (!nv) {
		free(s);
		return BG_E_NOMEM;
	}
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

/* The docker transport's PolicyConfigurationIdentity: name:tag, or
 * name@digest when there is a digest (the digest is what gets fetched). */
static char *policy_identity(const bg_reference *r)
{
	char *s = NULL;
	if (r->digest) {
		if (asprintf(&s, "%s@%s", r->name, r->digest) < 0)
			return NULL;
	} else if (asprintf(&s, "%s:%s", r->name, r->tag ? r->tag : "latest") < 0) {
		return NULL;
	}
	return s;
}

int bg_trust_scope_candidates(const bg_reference *identity, char ***out, size_t *n, bg_error *err)
{
	int rc = push(out, n, policy_identity(identity));
	/* The name, then each parent namespace, down to the host[:port]. */
	_cleanup_free_ char *name = bg_strdup(identity->name);
	if (!name)
		rc = BG_E_NOMEM;
	while (rc == 0) {
		rc = push(out, n, bg_strdup(name));
		char *slash = strrchr(name, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	/* Wildcards from the host without its port: a.b.example.com →
	 * *.b.example.com, *.example.com, *.com (as containers/image: the port is
	 * cut at the first ':'). */
	if (rc == 0) {
		char *colon = strchr(name, ':');
		if (colon)
			*colon = '\0';
		for (char *dot = strchr(name, '.'); rc == 0 && dot; dot = strchr(dot + 1, '.')) {
			char *w = NULL;
			if (asprintf(&w, "*.%s", dot + 1) < 0)
				w = NULL;
			rc = push(out, n, w);
		}
	}
	if (rc < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	return 0;
}

static const bg_trust_scope *find_scope(const bg_trust_policy *p, const char *transport, const char *scope)
{
	for (size_t i = 0; i < p->n_scopes; i++)
		if (strcmp(p->scopes[i].transport, transport) == 0 && strcmp(p->scopes[i].scope, scope) == 0)
			return &p->scopes[i];
	return NULL;
}

int bg_trust_policy_requirements(const bg_trust_policy *p, const char *transport,
				 const bg_reference *identity, const bg_trust_reqlist **reqs,
				 const char **scope_out, bg_error *err)
{
	*reqs = NULL;
	if (scope_out)
		*scope_out = NULL;
	if (identity) {
		char **cands = NULL;
		size_t n = 0;
		int rc = bg_trust_scope_candidates(identity, &cands, &n, err);
		const bg_trust_scope *found = NULL;
		for (size_t i = 0; rc == 0 && i < n && !found; i++)
			found = find_scope(p, transport, cands[i]);
		for (size_t i = 0; i < n; i++)
			free(cands[i]);
		free(cands);
		if (rc < 0)
			return rc;
		if (found) {
			*reqs = &found->reqs;
			if (scope_out)
				*scope_out = found->scope;
			return 0;
		}
	}
	const bg_trust_scope *def = find_scope(p, transport, "");
	if (def) {
		*reqs = &def->reqs;
		if (scope_out)
			*scope_out = def->scope;
		return 0;
	}
	*reqs = &p->default_reqs;
	return 0;
}

/* ---- identity ---------------------------------------------------------------- */

/* The reference as containers/image's String() prints it: no implicit tag. */
static char *reference_string(const bg_reference *r)
{
	char *s = NULL;
	if (asprintf(&s, "%s%s%s%s%s", r->name, r->tag ? ":" : "", r->tag ? r->tag : "",
		     r->digest ? "@" : "", r->digest ? r->digest : "") < 0)
		return NULL;
	return s;
}

int bg_trust_remap(const char *prefix, const char *signed_prefix, const char *image, char **out,
		   bg_error *err)
{
	*out = NULL;
	bg_reference r;
	int rc = bg_reference_parse(image, &r, err);
	if (rc < 0)
		return rc;
	_cleanup_free_ char *str = reference_string(&r);
	size_t pn = strlen(prefix), nn = strlen(r.name);
	bool matches = nn == pn ? strcmp(r.name, prefix) == 0
				: nn > pn && strncmp(r.name, prefix, pn) == 0 && r.name[pn] == '/';
	bg_reference_free(&r);
	if (!str)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (!matches) {
		*out = BG_TAKE_PTR(str);
		return 0;
	}
	const char *at = strstr(str, prefix);
	bg_strbuf b = {0};
	bg_strbuf_add(&b, str, (size_t)(at - str));
	bg_strbuf_puts(&b, signed_prefix);
	bg_strbuf_puts(&b, at + pn);
	_cleanup_free_ char *rewritten = bg_strbuf_take(&b);
	if (!rewritten)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	/* reference.ParseNamed: the result must already be in canonical form,
	 * so a signedPrefix without a registry host does not silently mean
	 * docker.io. */
	bg_reference n;
	bg_error e = {0};
	if (bg_reference_parse(rewritten, &n, &e) < 0)
		return bg_error_set(err, BG_E_INPUT, "remapIdentity rewrote \"%s\" to \"%s\", which is not a valid reference: %s",
				    str, rewritten, e.message);
	_cleanup_free_ char *canon = reference_string(&n);
	bg_reference_free(&n);
	if (!canon)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (strcmp(canon, rewritten) != 0)
		return bg_error_set(err, BG_E_INPUT, "remapIdentity rewrote \"%s\" to \"%s\", which is not fully qualified (it would mean \"%s\")",
				    str, rewritten, canon);
	*out = BG_TAKE_PTR(rewritten);
	return 0;
}

static bool why_set(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool why_set(char *why, size_t size, const char *fmt, ...)
{
	if (why && size) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, size, fmt, ap);
		va_end(ap);
	}
	return false;
}

bool bg_trust_identity_matches(const bg_trust_identity *rule, const char *image,
			       const char *signed_reference, char *why, size_t size)
{
	const char *kind = bg_trust_identity_kind_name(rule->kind);
	bool ok;
	switch (rule->kind) {
	case BG_TRUST_EXACT_REFERENCE:
		ok = bg_reference_match_exact(rule->value, signed_reference);
		return ok || why_set(why, size, "signed identity \"%s\" is not %s \"%s\"", signed_reference,
				     kind, rule->value);
	case BG_TRUST_EXACT_REPOSITORY:
		ok = bg_reference_match_repository(rule->value, signed_reference);
		return ok || why_set(why, size, "signed identity \"%s\" is not in repository \"%s\" (%s)",
				     signed_reference, rule->value, kind);
	default:
		break;
	}
	if (!image)
		return why_set(why, size, "the image has no identity to match under %s (give --identity, or use exactReference/exactRepository)",
			       kind);
	switch (rule->kind) {
	case BG_TRUST_MATCH_EXACT:
		ok = bg_reference_match_exact(image, signed_reference);
		break;
	case BG_TRUST_MATCH_REPOSITORY:
		ok = bg_reference_match_repository(image, signed_reference);
		break;
	case BG_TRUST_REMAP_IDENTITY: {
		char *mapped = NULL;
		bg_error e = {0};
		if (bg_trust_remap(rule->prefix, rule->signed_prefix, image, &mapped, &e) < 0)
			return why_set(why, size, "%s", e.message);
		ok = bg_reference_match_repo_digest_or_exact(mapped, signed_reference);
		if (!ok)
			why_set(why, size, "signed identity \"%s\" does not match \"%s\" (image \"%s\" under remapIdentity %s -> %s)",
				signed_reference, mapped, image, rule->prefix, rule->signed_prefix);
		free(mapped);
		return ok;
	}
	default:
		ok = bg_reference_match_repo_digest_or_exact(image, signed_reference);
		break;
	}
	return ok || why_set(why, size, "signed identity \"%s\" does not match image \"%s\" under %s",
			     signed_reference, image, kind);
}

char *bg_trust_requirement_describe(const bg_trust_requirement *r)
{
	bg_strbuf b = {0};
	bg_strbuf_puts(&b, bg_trust_req_type_name(r->type));
	if (r->type == BG_TRUST_SIGNED_BY) {
		bg_strbuf_printf(&b, " %s", r->key_type);
		if (r->has_key_data)
			bg_strbuf_printf(&b, " keyData=(%zu bytes)", r->key_data_len);
		for (size_t i = 0; i < r->n_key_paths; i++)
			bg_strbuf_printf(&b, "%s%s", i ? "," : r->n_key_paths > 1 ? " keyPaths=" : " keyPath=",
					 r->key_paths[i]);
	}
	if (r->type == BG_TRUST_SIGNED_BY || r->type == BG_TRUST_SIGSTORE_SIGNED) {
		const bg_trust_identity *id = &r->identity;
		bg_strbuf_printf(&b, " signedIdentity=%s", bg_trust_identity_kind_name(id->kind));
		if (id->value)
			bg_strbuf_printf(&b, "(%s)", id->value);
		if (id->prefix)
			bg_strbuf_printf(&b, "(%s -> %s)", id->prefix, id->signed_prefix);
	}
	return bg_strbuf_take(&b);
}

/* ---- evaluation ---------------------------------------------------------------- */

void bg_trust_signatures_free(bg_trust_signatures *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->blobs[i]);
		free(s->locations ? s->locations[i] : NULL);
	}
	free(s->blobs);
	free(s->lens);
	free(s->locations);
	free(s->manifest_digest);
	memset(s, 0, sizeof *s);
}

static void sigreports_free(bg_trust_sigreport *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].location);
		free(v[i].reason);
		free(v[i].signer_fpr);
		free(v[i].primary_fpr);
		free(v[i].uid);
		free(v[i].signed_identity);
		free(v[i].signed_digest);
	}
	free(v);
}

void bg_trust_decision_free(bg_trust_decision *d)
{
	if (!d)
		return;
	free(d->requirement_text);
	free(d->reason);
	sigreports_free(d->sigs, d->n_sigs);
	for (size_t i = 0; i < d->n_key_notes; i++)
		free(d->key_notes[i]);
	free(d->key_notes);
	memset(d, 0, sizeof *d);
}

typedef struct evaluation {
	const bg_trust_image *img;
	bg_trust_signatures sigs;
	bool fetched;
	char *image_identity;   /* full reference or NULL */
} evaluation;

typedef struct identity_cb {
	const bg_trust_identity *rule;
	const char *image;
} identity_cb;

static bool identity_callback(void *data, const char *signed_reference, char *why, size_t size)
{
	const identity_cb *c = data;
	return bg_trust_identity_matches(c->rule, c->image, signed_reference, why, size);
}

static char *dup_or_null(const char *s)
{
	return s ? bg_strdup(s) : NULL;
}

/* Sets d->accepted / d->reason for one signedBy; returns < 0 only when it
 * could not be evaluated. */
static int eval_signed_by(evaluation *ev, const bg_trust_requirement *r, bg_trust_decision *d,
			  bg_error *err)
{
	const bg_trust_image *img = ev->img;
	if (strcmp(r->key_type, "GPGKeys") != 0) {
		if (asprintf(&d->reason, "keyType \"%s\" is not implemented (use GPGKeys)", r->key_type) < 0)
			d->reason = NULL;
		return d->reason ? 0 : bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	bg_sigctx *ctx = NULL;
	int rc = bg_sigctx_new(&ctx, err);
	for (size_t i = 0; rc == 0 && i < r->n_key_paths; i++)
		rc = bg_sigctx_import_file(ctx, r->key_paths[i], err);
	if (rc == 0 && r->has_key_data)
		rc = bg_sigctx_import_data(ctx, r->key_data, r->key_data_len, "keyData", err);
	for (size_t i = 0; rc == 0 && i < img->n_pins; i++)
		rc = bg_sigctx_allow_fingerprint(ctx, img->pins[i], err);
	if (rc < 0)
		goto out;
	bg_sigctx_allow_primary_key(ctx, img->allow_subkeys);
	size_t nnotes = 0;
	const char *const *notes = bg_sigctx_import_notes(ctx, &nnotes);
	for (size_t i = 0; i < nnotes; i++) {
		char **nv = realloc(d->key_notes, (d->n_key_notes + 1) * sizeof *nv);
		if (!nv || !(nv[d->n_key_notes] = bg_strdup(notes[i]))) {
			if (nv)
				d->key_notes = nv;
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
			goto out;
		}
		d->key_notes = nv;
		d->n_key_notes++;
	}
	size_t nkeys = 0;
	bg_sigctx_keys(ctx, &nkeys);
	if (nkeys == 0) {
		d->reason = bg_strdup("no public keys imported from the requirement's key sources");
		goto out;
	}
	if (!ev->fetched) {
		if (!img->fetch) {
			rc = bg_error_set(err, BG_E_EVAL, "no way to read this image's signatures");
			goto out;
		}
		if ((rc = img->fetch(img->fetch_ctx, &ev->sigs, err)) < 0)
			goto out;
		ev->fetched = true;
	}
	if (ev->sigs.n == 0) {
		d->reason = bg_strdup("a signature was required, but no signature exists");
		goto out;
	}
	if (!(d->sigs = calloc(ev->sigs.n, sizeof *d->sigs))) {
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
		goto out;
	}
	const char *digest = img->manifest_digest ? img->manifest_digest : ev->sigs.manifest_digest;
	if (!digest) {
		rc = bg_error_set(err, BG_E_EVAL, "the manifest digest to check signatures against is unknown");
		goto out;
	}
	identity_cb cb = {.rule = &r->identity, .image = ev->image_identity};
	bg_sigidentity rule = {.kind = BG_SIGID_CALLBACK, .match = identity_callback, .data = &cb};
	bg_strbuf reasons = {0};
	for (size_t i = 0; i < ev->sigs.n && !d->accepted; i++) {
		bg_sigresult res = {0};
		rc = bg_sigctx_verify(ctx, ev->sigs.blobs[i], ev->sigs.lens[i], digest, &rule,
				      &res, err);
		bg_trust_sigreport *s = &d->sigs[d->n_sigs++];
		s->location = dup_or_null(ev->sigs.locations ? ev->sigs.locations[i] : NULL);
		if (rc < 0) {
			bg_sigresult_free(&res);
			break;
		}
		s->accepted = res.accepted;
		s->reason = BG_TAKE_PTR(res.reason);
		s->signer_fpr = BG_TAKE_PTR(res.signer_fpr);
		s->primary_fpr = BG_TAKE_PTR(res.primary_fpr);
		s->uid = BG_TAKE_PTR(res.uid);
		s->signed_identity = BG_TAKE_PTR(res.signed_identity);
		s->signed_digest = BG_TAKE_PTR(res.signed_digest);
		s->has_timestamp = res.has_timestamp;
		s->timestamp = res.timestamp;
		bg_sigresult_free(&res);
		if (s->accepted) {
			d->accepted = true;
			d->accepted_sig = (ssize_t)i;
		} else {
			bg_strbuf_printf(&reasons, "%ssignature %zu: %s", reasons.len ? "; " : "", i + 1,
					 s->reason ? s->reason : "rejected");
		}
	}
	if (rc == 0 && !d->accepted)
		d->reason = bg_strbuf_take(&reasons);
	else
		bg_strbuf_free(&reasons);
	if (rc == 0 && d->accepted) {
		const bg_trust_sigreport *s = &d->sigs[d->accepted_sig];
		if (asprintf(&d->reason, "signature %zd by %s accepted", d->accepted_sig + 1,
			     s->primary_fpr ? s->primary_fpr : s->signer_fpr ? s->signer_fpr : "?") < 0)
			d->reason = NULL;
	}
out:
	bg_sigctx_free(ctx);
	if (rc == 0 && !d->reason)
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
	return rc;
}

int bg_trust_evaluate(const bg_trust_policy *p, const bg_trust_image *img, bg_trust_decision *out,
		      bg_error *err)
{
	memset(out, 0, sizeof *out);
	out->accepted_sig = -1;
	const bg_trust_reqlist *reqs = NULL;
	const char *scope = NULL;
	int rc = bg_trust_policy_requirements(p, img->transport, img->identity, &reqs, &scope, err);
	if (rc < 0)
		return rc;
	out->scope = scope;
	if (!reqs || reqs->n == 0)
		return bg_error_set(err, BG_E_USAGE, "%s: the list of requirements must not be empty", p->name);
	evaluation ev = {.img = img};
	if (img->identity && !(ev.image_identity = bg_strdup(img->identity->full)))
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	for (size_t i = 0; i < reqs->n; i++) {
		const bg_trust_requirement *r = &reqs->v[i];
		/* Each requirement's verdict replaces the previous one's details. */
		bg_trust_decision d = {.accepted_sig = -1, .scope = scope, .requirement = i};
		d.requirement_text = bg_trust_requirement_describe(r);
		switch (r->type) {
		case BG_TRUST_INSECURE_ACCEPT_ANYTHING:
			d.accepted = true;
			d.reason = bg_strdup("insecureAcceptAnything accepts any image");
			break;
		case BG_TRUST_REJECT:
			d.reason = bg_strdup("the policy rejects every image in this scope");
			break;
		case BG_TRUST_SIGSTORE_SIGNED:
			d.reason = bg_strdup("sigstoreSigned is not supported by bootgate yet; the gate stays closed");
			break;
		case BG_TRUST_SIGNED_BASE_LAYER:
			d.reason = bg_strdup("signedBaseLayer is not implemented (as in containers/image); the gate stays closed");
			break;
		case BG_TRUST_SIGNED_BY:
			rc = eval_signed_by(&ev, r, &d, err);
			break;
		}
		if (rc == 0 && (!d.reason || !d.requirement_text))
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
		bg_trust_decision_free(out);
		*out = d;
		if (rc < 0 || !d.accepted)
			break;
	}
	free(ev.image_identity);
	bg_trust_signatures_free(&ev.sigs);
	return rc;
}
