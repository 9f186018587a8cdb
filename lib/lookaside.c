/* bootgate — signatures from a lookaside store or the registry signatures
 * extension (see include/bootgate/lookaside.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "bg_config.h"
#include "bootgate/digest.h"
#include "bootgate/limits.h"
#include "bootgate/lookaside.h"
#include "bootgate/registry.h"
#include "bootgate/strictjson.h"
#include "base64.h"
#include "util.h"

#define DEFAULT_CONNECT 30
#define DEFAULT_DEADLINE 120

/* ---- URLs ------------------------------------------------------------------- */

/* Repository path grammar: components of [a-z0-9]+ joined by '.', '_',
 * '__' or '-'+, separated by '/'. */
static bool valid_repo_path(const char *s)
{
	if (!*s || strlen(s) > 255)
		return false;
	const char *p = s;
	for (;;) {
		for (;;) {
			const char *a = p;
			while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
				p++;
			if (p == a)
				return false;
			if (*p == '.')
				p++;
			else if (*p == '_')
				p += p[1] == '_' ? 2 : 1;
			else if (*p == '-')
				while (*p == '-')
					p++;
			else
				break;
		}
		if (*p == '/') {
			p++;
			continue;
		}
		return *p == '\0';
	}
}

static bool scheme_is(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);
	return strncasecmp(url, scheme, n) == 0 && strncmp(url + n, "://", 3) == 0;
}

int bg_lookaside_url(const char *base, const char *repo_path, const char *digest, unsigned n,
		     char **out, bg_error *err)
{
	*out = NULL;
	if (!scheme_is(base, "file") && !scheme_is(base, "http") && !scheme_is(base, "https"))
		return bg_error_set(err, BG_E_EVAL,
				    "lookaside URL %s: unsupported scheme (file://, http:// or https:// only)",
				    base);
	if (strpbrk(base, "?#"))
		return bg_error_set(err, BG_E_EVAL, "lookaside URL %s: a query or fragment is not supported",
				    base);
	if (!bg_digest_valid(digest))
		return bg_error_set(err, BG_E_EVAL, "manifest digest \"%s\" is not a valid digest", digest);
	if (!valid_repo_path(repo_path))
		return bg_error_set(err, BG_E_EVAL, "repository path \"%s\" is not valid", repo_path);
	if (n == 0)
		return bg_error_set(err, BG_E_EVAL, "signature numbers start at 1");
	const char *colon = strchr(digest, ':');
	/* As containers/image: base path + "/" + repository path, no cleaning. */
	if (asprintf(out, "%s/%s@%.*s=%s/signature-%u", base, repo_path, (int)(colon - digest), digest,
		     colon + 1, n) < 0) {
		*out = NULL;
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	return 0;
}

bool bg_lookaside_blob_recognised(const unsigned char *d, size_t len, size_t *skip)
{
	static const char prefix[] = "\0simple-signing\n";
	*skip = 0;
	if (len >= sizeof prefix - 1 && memcmp(d, prefix, sizeof prefix - 1) == 0) {
		*skip = sizeof prefix - 1;
		return len > *skip;
	}
	if (len == 0)
		return false;
	/* containers/image internal/signature FromBlob: compressed data,
	 * one-pass signature and signature packets, old and new format. */
	unsigned char c = d[0];
	return (c >= 0xA0 && c <= 0xA3) || c == 0xC8 || (c >= 0x90 && c <= 0x93) || c == 0xC4 ||
	       (c >= 0x88 && c <= 0x8B) || c == 0xC2;
}

/* ---- HTTP ------------------------------------------------------------------- */

typedef struct http {
	CURL *h;
	char *ca_bundle;
	size_t ca_len;
	bg_strbuf body;
	bool too_big;
	char *content_type;
	bool supports_signatures;
	char errbuf[CURL_ERROR_SIZE];
} http;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	http *x = ud;
	size_t n = size * nmemb;
	if (x->body.len + n > BG_MAX_SIGNATURE_BYTES) {
		x->too_big = true;
		return 0; /* aborts the transfer */
	}
	bg_strbuf_add(&x->body, data, n);
	return x->body.oom ? 0 : n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	http *x = ud;
	size_t n = size * nmemb;
	/* A new response (redirect or 100-continue) starts with its status line. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		free(x->content_type);
		x->content_type = NULL;
		x->supports_signatures = false;
		return n;
	}
	const char *colon = memchr(data, ':', n);
	if (!colon)
		return n;
	size_t klen = (size_t)(colon - data);
	const char *v = colon + 1, *end = data + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (klen == 12 && strncasecmp(data, "Content-Type", 12) == 0) {
		free(x->content_type);
		x->content_type = bg_strndup(v, (size_t)(end - v));
	} else if (klen == 30 && strncasecmp(data, "X-Registry-Supports-Signatures", 30) == 0) {
		x->supports_signatures = (end - v == 1 && *v == '1');
	}
	return n;
}

static int load_cas(http *x, const char *dir, bg_error *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return bg_error_set(err, BG_E_USAGE, "--cert-dir %s: %s", dir, strerror(errno));
	bg_strv names = {0};
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && bg_str_has_suffix(e->d_name, ".crt") &&
		    bg_strv_push(&names, e->d_name) < 0)
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
	closedir(d);
	bg_strbuf pem = {0};
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		_cleanup_free_ char *path = NULL;
		char *data = NULL;
		size_t len = 0;
		if (asprintf(&path, "%s/%s", dir, names.v[i]) < 0) {
			path = NULL;
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
			break;
		}
		if ((rc = bg_read_file(path, 4 * BG_MiB, &data, &len, err)) < 0)
			break;
		bg_strbuf_add(&pem, data, len);
		bg_strbuf_putc(&pem, '\n');
		free(data);
	}
	bg_strv_free(&names);
	if (rc == 0 && pem.len) {
		x->ca_len = pem.len;
		if (!(x->ca_bundle = bg_strbuf_take(&pem)))
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	bg_strbuf_free(&pem);
	return rc;
}

static void http_free(http *x)
{
	if (x->h)
		curl_easy_cleanup(x->h);
	free(x->ca_bundle);
	free(x->content_type);
	bg_strbuf_free(&x->body);
	memset(x, 0, sizeof *x);
}

static int http_init(http *x, const bg_lookaside_options *o, bg_error *err)
{
	memset(x, 0, sizeof *x);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (o->cert_dir) {
		int rc = load_cas(x, o->cert_dir, err);
		if (rc < 0) {
			http_free(x);
			return rc;
		}
	}
	if (!(x->h = curl_easy_init())) {
		http_free(x);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	return 0;
}

/* GET url; *status gets the final HTTP status.  Transport failures are
 * BG_E_EVAL naming the URL. */
static int http_get(http *x, const char *url, const bg_lookaside_options *o, long *status, bg_error *err)
{
	CURL *e = x->h;
	bg_strbuf_free(&x->body);
	x->too_big = false;
	free(x->content_type);
	x->content_type = NULL;
	x->supports_signatures = false;
	x->errbuf[0] = '\0';
	char agent[64];
	snprintf(agent, sizeof agent, "bootgate/%s", BG_VERSION);
	bool https = scheme_is(url, "https");
	CURLcode c = CURLE_OK;
#define SET(opt, val)                                     \
	do {                                              \
		if (c == CURLE_OK)                        \
			c = curl_easy_setopt(e, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, https ? "https" : "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, (long)BG_REGISTRY_MAX_REDIRECTS);
	SET(CURLOPT_UNRESTRICTED_AUTH, 0L);
	SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, agent);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)BG_MAX_SIGNATURE_BYTES);
	SET(CURLOPT_CONNECTTIMEOUT, (long)(o->connect_timeout ? o->connect_timeout : DEFAULT_CONNECT));
	SET(CURLOPT_TIMEOUT, (long)(o->deadline_seconds ? o->deadline_seconds : DEFAULT_DEADLINE));
	SET(CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
	if (x->ca_bundle) {
		struct curl_blob blob = {.data = x->ca_bundle, .len = x->ca_len, .flags = CURL_BLOB_COPY};
		SET(CURLOPT_CAINFO_BLOB, &blob);
	}
	SET(CURLOPT_HTTPGET, 1L);
#undef SET
	if (c != CURLE_OK)
		return bg_error_set(err, BG_E_EVAL, "setting up the request for %s: %s", url,
				    curl_easy_strerror(c));
	c = curl_easy_perform(e);
	if (x->too_big || c == CURLE_FILESIZE_EXCEEDED)
		return bg_error_set(err, BG_E_EVAL, "%s: larger than %lu bytes; a signature is at most that",
				    url, (unsigned long)BG_MAX_SIGNATURE_BYTES);
	if (x->body.oom)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (c != CURLE_OK)
		return bg_error_set(err, BG_E_EVAL, "GET %s: %s", url, x->errbuf[0] ? x->errbuf : curl_easy_strerror(c));
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

/* ---- lookaside ----------------------------------------------------------------- */

static int sigs_push(bg_trust_signatures *s, char *blob, size_t len, char *location)
{
	char **b = realloc(s->blobs, (s->n + 1) * sizeof *b);
	if (b)
		s->blobs = b;
	size_t *l = realloc(s->lens, (s->n + 1) * sizeof *l);
	if (l)
		s->lens = l;
	char **loc = realloc(s->locations, (s->n + 1) * sizeof *loc);
	if (loc)
		s->locations = loc;
	if (!b || !l || !loc || !blob || !location) {
		free(blob);
		free(location);
		return BG_E_NOMEM;
	}
	s->blobs[s->n] = blob;
	s->lens[s->n] = len;
	s->locations[s->n] = location;
	s->n++;
	return 0;
}

/* A fetched body becomes a signature only when it looks like one;
 * otherwise the store is broken and the image cannot be evaluated. */
static int take_blob(bg_trust_signatures *out, const char *data, size_t len, const char *where,
		     bg_error *err)
{
	size_t skip = 0;
	if (!bg_lookaside_blob_recognised((const unsigned char *)data, len, &skip)) {
		if (len == 0)
			return bg_error_set(err, BG_E_EVAL, "%s: empty signature", where);
		return bg_error_set(err, BG_E_EVAL,
				    "%s: not a signature (starts with byte 0x%02x; expected a binary OpenPGP message)",
				    where, (unsigned char)data[0]);
	}
	char *blob = malloc(len - skip + 1);
	if (blob) {
		memcpy(blob, data + skip, len - skip);
		blob[len - skip] = '\0';
	}
	if (sigs_push(out, blob, len - skip, bg_strdup(where)) < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	return 0;
}

/* file://[localhost]/path → /path (percent-escapes are not decoded: refused). */
static int file_path(const char *url, const char **path, bg_error *err)
{
	const char *p = url + strlen("file://");
	if (strncmp(p, "localhost/", 10) == 0)
		p += 9;
	if (*p != '/')
		return bg_error_set(err, BG_E_EVAL, "lookaside URL %s: file URLs need an absolute path (file:///...)", url);
	if (strchr(p, '%'))
		return bg_error_set(err, BG_E_EVAL, "lookaside URL %s: percent-escapes are not supported in file URLs", url);
	*path = p;
	return 0;
}

int bg_lookaside_fetch(const char *base, const char *repo_path, const char *digest,
		       const bg_lookaside_options *o, bg_trust_signatures *out, bg_error *err)
{
	static const bg_lookaside_options defaults = {0};
	if (!o)
		o = &defaults;
	memset(out, 0, sizeof *out);
	bool is_file = scheme_is(base, "file");
	http x = {0};
	int rc = 0;
	if (!is_file && (rc = http_init(&x, o, err)) < 0)
		return rc;
	for (unsigned n = 1; rc == 0; n++) {
		_cleanup_free_ char *url = NULL;
		if ((rc = bg_lookaside_url(base, repo_path, digest, n, &url, err)) < 0)
			break;
		bool exists = true;
		if (is_file) {
			const char *path = NULL;
			struct stat st;
			if ((rc = file_path(url, &path, err)) < 0)
				break;
			if (stat(path, &st) != 0) {
				if (errno == ENOENT || errno == ENOTDIR) {
					exists = false;
				} else {
					rc = bg_error_set(err, BG_E_EVAL, "%s: %s", path, strerror(errno));
					break;
				}
			}
			if (exists && n <= BG_MAX_SIGNATURES) {
				char *data = NULL;
				size_t len = 0;
				if ((rc = bg_read_file(path, BG_MAX_SIGNATURE_BYTES, &data, &len, err)) < 0) {
					err->status = rc = BG_E_EVAL;
					break;
				}
				rc = take_blob(out, data, len, url, err);
				free(data);
			}
		} else {
			long status = 0;
			if ((rc = http_get(&x, url, o, &status, err)) < 0)
				break;
			if (status == 404) {
				exists = false;
			} else if (status != 200) {
				rc = bg_error_set(err, BG_E_EVAL,
						  "GET %s: HTTP %ld; only 200 (a signature) or 404 (no more signatures) "
						  "are valid answers from a lookaside store",
						  url, status);
				break;
			} else if (x.content_type && strncasecmp(x.content_type, "text/html", 9) == 0) {
				rc = bg_error_set(err, BG_E_EVAL,
						  "GET %s: the server answered with an HTML page, not a signature "
						  "(a CDN error page?); the image cannot be evaluated",
						  url);
				break;
			} else if (n <= BG_MAX_SIGNATURES) {
				rc = take_blob(out, x.body.s ? x.body.s : "", x.body.len, url, err);
			}
		}
		if (!exists)
			break;
		if (rc == 0 && n > BG_MAX_SIGNATURES)
			rc = bg_error_set(err, BG_E_EVAL,
					  "%s: more than %d signatures for one manifest; assuming a broken or hostile store",
					  base, BG_MAX_SIGNATURES);
	}
	if (!is_file)
		http_free(&x);
	if (rc < 0)
		bg_trust_signatures_free(out);
	return rc;
}

/* ---- extension API ---------------------------------------------------------------- */

int bg_sigext_parse(const char *data, size_t len, const char *what, bg_trust_signatures *out,
		    bg_error *err)
{
	memset(out, 0, sizeof *out);
	json_object *root = NULL;
	int rc = bg_json_parse_strict(data, len, what, &root, err);
	if (rc < 0)
		return rc;
	json_object *arr = NULL;
	if (!root || !json_object_is_type(root, json_type_object)) {
		rc = bg_error_set(err, BG_E_EVAL, "%s: expected a JSON object", what);
		goto out;
	}
	if ((rc = bg_json_member(root, "signatures", json_type_array, true, what, &arr, err)) < 0)
		goto out;
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n && rc == 0; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(e, json_type_object)) {
			rc = bg_error_set(err, BG_E_EVAL, "%s: signatures[%zu] is not an object", what, i);
			break;
		}
		int64_t version = 0;
		bool has_version = false;
		const char *type = NULL, *content = NULL;
		if ((rc = bg_json_get_int64(e, "schemaVersion", false, what, &version, &has_version, err)) < 0 ||
		    (rc = bg_json_get_string(e, "type", false, what, &type, err)) < 0 ||
		    (rc = bg_json_get_string(e, "content", false, what, &content, err)) < 0)
			break;
		/* containers/image: only schemaVersion 2 "atomic" entries are signatures. */
		if (!has_version || version != 2 || !type || strcmp(type, "atomic") != 0)
			continue;
		if (out->n >= BG_MAX_SIGNATURES) {
			rc = bg_error_set(err, BG_E_EVAL, "%s: more than %d signatures", what, BG_MAX_SIGNATURES);
			break;
		}
		if (!content) {
			rc = bg_error_set(err, BG_E_EVAL, "%s: signatures[%zu] has no content", what, i);
			break;
		}
		/* Standard base64 (Go's []byte JSON encoding). */
		size_t clen = strlen(content);
		unsigned char *blob = malloc(clen / 4 * 3 + 4);
		long dn = blob ? bg_base64_decode(content, clen, blob) : -2;
		if (dn < 0) {
			free(blob);
			rc = dn == -2 ? bg_error_set(err, BG_E_NOMEM, "out of memory")
				      : bg_error_set(err, BG_E_EVAL, "%s: signatures[%zu].content is not valid base64", what, i);
			break;
		}
		char *loc = NULL;
		if (asprintf(&loc, "%s#%zu", what, i) < 0)
			loc = NULL;
		if (sigs_push(out, (char *)blob, (size_t)dn, loc) < 0)
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
out:
	json_object_put(root);
	if (rc < 0)
		bg_trust_signatures_free(out);
	return rc;
}

int bg_sigext_probe(const char *domain, const bg_lookaside_options *o, bool *supported,
		    char **api_base, bg_error *err)
{
	static const bg_lookaside_options defaults = {0};
	if (!o)
		o = &defaults;
	*supported = false;
	if (api_base)
		*api_base = NULL;
	http x;
	int rc = http_init(&x, o, err);
	if (rc < 0)
		return rc;
	const char *host = bg_registry_api_host(domain);
	for (int attempt = 0; attempt < 2; attempt++) {
		const char *scheme = attempt == 0 ? "https" : "http";
		_cleanup_free_ char *base = NULL, *url = NULL;
		if (asprintf(&base, "%s://%s", scheme, host) < 0 || asprintf(&url, "%s/v2/", base) < 0) {
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
			break;
		}
		long status = 0;
		bg_error first = {0};
		rc = http_get(&x, url, o, &status, attempt == 0 ? &first : err);
		if (rc == BG_E_NOMEM) {
			*err = first;
			break;
		}
		if (rc < 0) {
			if (attempt == 0 && o->insecure)
				continue; /* an insecure registry may speak plain http */
			if (attempt == 0)
				*err = first;
			break;
		}
		*supported = x.supports_signatures;
		if (*supported && api_base)
			*api_base = BG_TAKE_PTR(base);
		break;
	}
	http_free(&x);
	return rc;
}

int bg_sigext_fetch(const char *api_base, const char *repo_path, const char *digest,
		    const bg_lookaside_options *o, bg_trust_signatures *out, bg_error *err)
{
	static const bg_lookaside_options defaults = {0};
	if (!o)
		o = &defaults;
	memset(out, 0, sizeof *out);
	if (!bg_digest_valid(digest))
		return bg_error_set(err, BG_E_EVAL, "manifest digest \"%s\" is not a valid digest", digest);
	if (!valid_repo_path(repo_path))
		return bg_error_set(err, BG_E_EVAL, "repository path \"%s\" is not valid", repo_path);
	_cleanup_free_ char *url = NULL;
	if (asprintf(&url, "%s/extensions/v2/%s/signatures/%s", api_base, repo_path, digest) < 0) {
		url = NULL;
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	http x;
	int rc = http_init(&x, o, err);
	if (rc < 0)
		return rc;
	long status = 0;
	if ((rc = http_get(&x, url, o, &status, err)) == 0) {
		if (status == 404)
			rc = 0; /* no signatures */
		else if (status == 401 || status == 403)
			rc = bg_error_set(err, BG_E_EVAL,
					  "GET %s: HTTP %ld; the registry wants authentication for its signatures "
					  "extension, which bootgate does not send yet",
					  url, status);
		else if (status != 200)
			rc = bg_error_set(err, BG_E_EVAL, "GET %s: HTTP %ld", url, status);
		else
			rc = bg_sigext_parse(x.body.s ? x.body.s : "", x.body.len, url, out, err);
	}
	http_free(&x);
	return rc;
}
