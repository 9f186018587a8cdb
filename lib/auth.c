/* bootgate — registry credentials (see auth.h for the search order).
 *
 * The file format and key matching follow containers/image
 * pkg/docker/config/config.go (findCredentialsInFile, normalizeAuthFileKey,
 * decodeDockerAuth), with one deliberate difference: malformed entries are
 * errors here, where containers/image logs a warning and moves on — a gate
 * should not quietly fall back to anonymous access. */
#include "bootgate/auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootgate/strictjson.h"
#include "util.h"

/* An auth file is small; anything bigger is not one. */
#define AUTH_FILE_MAX (1024 * 1024)

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void bg_credentials_free(bg_credentials *c)
{
	if (!c)
		return;
	wipe_free(c->username);
	wipe_free(c->password);
	free(c->source);
	free(c->key);
	memset(c, 0, sizeof *c);
}

/* A broken auth file is the user's configuration: exit 2, not 3. */
static int as_usage(bg_error *err)
{
	if (err && err->status != BG_E_NOMEM)
		err->status = BG_E_USAGE;
	return err ? (int)err->status : BG_E_USAGE;
}

static int oom(bg_error *err)
{
	return bg_error_set(err, BG_E_NOMEM, "out of memory while looking up registry credentials");
}

int bg_auth_split_creds(const char *creds, char **username, char **password, bg_error *err)
{
	const char *colon = creds ? strchr(creds, ':') : NULL;
	if (!colon)
		return bg_error_set(err, BG_E_USAGE,
				    "--creds: expected USER:PASSWORD (the value has no ':')");
	if (colon == creds)
		return bg_error_set(err, BG_E_USAGE, "--creds: the user name before ':' is empty");
	char *u = bg_strndup(creds, (size_t)(colon - creds));
	char *p = bg_strdup(colon + 1);
	if (!u || !p) {
		wipe_free(u);
		wipe_free(p);
		return oom(err);
	}
	*username = u;
	*password = p;
	return 0;
}

/* containers/image normalizeRegistry. */
static const char *normalize_registry(const char *host)
{
	if (strcmp(host, "registry-1.docker.io") == 0 || strcmp(host, "docker.io") == 0)
		return "index.docker.io";
	return host;
}

char *bg_auth_normalize_key(const char *key)
{
	const char *s = key;
	bool had_scheme = false;
	if (bg_str_has_prefix(s, "http://")) {
		s += 7;
		had_scheme = true;
	} else if (bg_str_has_prefix(s, "https://")) {
		s += 8;
		had_scheme = true;
	}
	/* Only a URL-style key loses its path ("https://index.docker.io/v1/");
	 * "quay.io/ns" stays a namespace key, matched exactly or not at all. */
	size_t n = had_scheme ? strcspn(s, "/") : strlen(s);
	char *host = bg_strndup(s, n);
	if (!host)
		return NULL;
	const char *norm = normalize_registry(host);
	if (norm != host) {
		free(host);
		return bg_strdup(norm);
	}
	return host;
}

/* Strict RFC 4648 base64 (standard alphabet, padding required), as Go's
 * base64.StdEncoding.  Returns the decoded length or -1. */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static ssize_t b64_decode(const char *in, size_t len, unsigned char *out)
{
	if (len % 4 != 0)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];
			if (c == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad) /* data after '=' */
				return -1;
			v[k] = b64_value(c);
			if (v[k] < 0)
				return -1;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		/* Non-canonical trailing bits make two strings decode alike: refuse. */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return -1;
		out[o++] = (unsigned char)(w >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(w >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)w;
	}
	return (ssize_t)o;
}

/* decodeDockerAuth: base64("user:password"), split at the first ':', NULs
 * trimmed from both ends of the password.  *found false for an empty entry. */
static int decode_entry(json_object *entry, const char *path, const char *key, bg_credentials *out,
			bool *found, bg_error *err)
{
	char what[512];
	snprintf(what, sizeof what, "%s: auths[\"%.200s\"]", path, key);
	if (!json_object_is_type(entry, json_type_object))
		return bg_error_set(err, BG_E_USAGE, "%s: expected an object, found %s; fix the file", what,
				    bg_json_type_name(json_object_get_type(entry)));
	const char *auth = NULL;
	if (bg_json_get_string(entry, "auth", false, what, &auth, err) < 0)
		return as_usage(err);
	*found = false;
	if (!auth || !*auth)
		return 0; /* {} marks a credential helper; no credentials here */
	size_t alen = strlen(auth);
	unsigned char *dec = malloc(alen / 4 * 3 + 1);
	if (!dec)
		return oom(err);
	ssize_t n = b64_decode(auth, alen, dec);
	if (n < 0) {
		free(dec);
		return bg_error_set(err, BG_E_USAGE,
				    "%s: the \"auth\" value is not valid base64 of \"user:password\"; "
				    "log in again (podman login / docker login) to rewrite it",
				    what);
	}
	dec[n] = '\0';
	unsigned char *colon = memchr(dec, ':', (size_t)n);
	if (!colon || colon == dec || memchr(dec, '\0', (size_t)(colon - dec))) {
		explicit_bzero(dec, (size_t)n);
		free(dec);
		return bg_error_set(err, BG_E_USAGE,
				    "%s: the decoded \"auth\" value is not \"user:password\"; "
				    "log in again to rewrite it",
				    what);
	}
	const char *pw = (const char *)colon + 1;
	size_t pwlen = (size_t)n - (size_t)(colon + 1 - dec);
	while (pwlen && pw[0] == '\0') {
		pw++;
		pwlen--;
	}
	while (pwlen && pw[pwlen - 1] == '\0')
		pwlen--;
	if (memchr(pw, '\0', pwlen)) {
		explicit_bzero(dec, (size_t)n);
		free(dec);
		return bg_error_set(err, BG_E_USAGE, "%s: the decoded password contains a NUL byte", what);
	}
	out->username = bg_strndup((const char *)dec, (size_t)(colon - dec));
	out->password = bg_strndup(pw, pwlen);
	out->source = bg_strdup(path);
	out->key = bg_strdup(key);
	explicit_bzero(dec, (size_t)n);
	free(dec);
	if (!out->username || !out->password || !out->source || !out->key) {
		bg_credentials_free(out);
		return oom(err);
	}
	*found = true;
	return 0;
}

int bg_auth_lookup_in_data(const char *data, size_t len, const char *path, const char *name,
			   bg_credentials *out, bool *found, bg_error *err)
{
	*found = false;
	memset(out, 0, sizeof *out);
	json_object *root = NULL;
	if (bg_json_parse_strict(data, len, path, &root, err) < 0)
		return as_usage(err);
	int rc = 0;
	json_object *auths = NULL;
	char *key = NULL, *host = NULL;
	if (!json_object_is_type(root, json_type_object)) {
		rc = bg_error_set(err, BG_E_USAGE, "%s: expected a JSON object with \"auths\", found %s",
				  path, root ? bg_json_type_name(json_object_get_type(root)) : "null");
		goto out;
	}
	if (bg_json_member(root, "auths", json_type_object, false, path, &auths, err) < 0) {
		rc = as_usage(err);
		goto out;
	}
	if (!auths)
		goto out;

	/* Exact keys, most specific first: host/ns/repo, host/ns, host. */
	key = bg_strdup(name);
	if (!key) {
		rc = oom(err);
		goto out;
	}
	for (;;) {
		json_object *entry = NULL;
		if (json_object_object_get_ex(auths, key, &entry)) {
			rc = decode_entry(entry, path, key, out, found, err);
			if (rc < 0 || *found)
				goto out;
		}
		char *slash = strrchr(key, '/');
		if (!slash)
			break;
		*slash = '\0';
	}

	/* Then every key normalised, in file order, against the host. */
	host = bg_auth_normalize_key(key); /* key is now the host */
	if (!host) {
		rc = oom(err);
		goto out;
	}
	json_object_object_foreach(auths, k, v)
	{
		_cleanup_free_ char *nk = bg_auth_normalize_key(k);
		if (!nk) {
			rc = oom(err);
			goto out;
		}
		if (strcmp(nk, host) != 0 || strcmp(k, key) == 0)
			continue;
		rc = decode_entry(v, path, k, out, found, err);
		if (rc < 0 || *found)
			goto out;
	}
out:
	free(key);
	free(host);
	json_object_put(root);
	return rc;
}

/* Reads one candidate file; a missing one is skipped unless must_exist. */
static int lookup_file(const char *path, bool must_exist, const char *name, bg_credentials *out,
		       bool *found, bg_error *err)
{
	*found = false;
	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return bg_error_set(err, BG_E_USAGE, "auth file %s: %s%s", path, strerror(errno),
				    errno == ENOENT ? " (check --authfile)" : "");
	}
	char *data = NULL;
	size_t len = 0;
	int rc = bg_read_file(path, AUTH_FILE_MAX, &data, &len, err);
	if (rc < 0) {
		bg_error_prefix(err, "auth file");
		return rc;
	}
	rc = bg_auth_lookup_in_data(data, len, path, name, out, found, err);
	explicit_bzero(data, len);
	free(data);
	return rc;
}

static char *path_join(const char *dir, const char *rest)
{
	bg_strbuf b = {0};
	bg_strbuf_printf(&b, "%s/%s", dir, rest);
	return bg_strbuf_take(&b);
}

static const char *nonempty_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* The implicit files in containers/image order (after --authfile). */
static int default_paths(bg_strv *paths)
{
	const char *v;
	if ((v = nonempty_env("REGISTRY_AUTH_FILE")) && bg_strv_push(paths, v) < 0)
		return -1;
	if ((v = nonempty_env("XDG_RUNTIME_DIR"))) {
		if (bg_strv_push_take(paths, path_join(v, "containers/auth.json")) < 0)
			return -1;
	} else {
		bg_strbuf b = {0};
		bg_strbuf_printf(&b, "/run/containers/%u/auth.json", (unsigned)getuid());
		if (bg_strv_push_take(paths, bg_strbuf_take(&b)) < 0)
			return -1;
	}
	const char *home = nonempty_env("HOME");
	if ((v = nonempty_env("XDG_CONFIG_HOME"))) {
		if (bg_strv_push_take(paths, path_join(v, "containers/auth.json")) < 0)
			return -1;
	} else if (home && bg_strv_push_take(paths, path_join(home, ".config/containers/auth.json")) < 0) {
		return -1;
	}
	if ((v = nonempty_env("DOCKER_CONFIG"))) {
		if (bg_strv_push_take(paths, path_join(v, "config.json")) < 0)
			return -1;
	} else if (home && bg_strv_push_take(paths, path_join(home, ".docker/config.json")) < 0) {
		return -1;
	}
	return 0;
}

static int take_pair(const char *user, const char *pass, const char *source, bg_credentials *out,
		     bool *found, bg_error *err)
{
	out->username = bg_strdup(user);
	out->password = bg_strdup(pass);
	out->source = bg_strdup(source);
	if (!out->username || !out->password || !out->source) {
		bg_credentials_free(out);
		return oom(err);
	}
	*found = true;
	return 0;
}

int bg_auth_lookup(const char *name, const bg_auth_options *opts, bg_credentials *out, bool *found,
		   bg_error *err)
{
	static const bg_auth_options none = {0};
	if (!opts)
		opts = &none;
	*found = false;
	memset(out, 0, sizeof *out);
	if (!name || !*name)
		return bg_error_set(err, BG_E_USAGE, "no repository name to look up credentials for");

	if (!!opts->username != !!opts->password)
		return bg_error_set(err, BG_E_USAGE, "--creds: give both user name and password");
	if (opts->username)
		return take_pair(opts->username, opts->password, "--creds", out, found, err);

	const char *eu = getenv("BOOTGATE_REGISTRY_USERNAME"), *ep = getenv("BOOTGATE_REGISTRY_PASSWORD");
	if ((eu && *eu) || (ep && *ep)) {
		if (!eu || !*eu || !ep)
			return bg_error_set(err, BG_E_USAGE,
					    "BOOTGATE_REGISTRY_USERNAME and BOOTGATE_REGISTRY_PASSWORD must be "
					    "set together");
		return take_pair(eu, ep, "environment", out, found, err);
	}

	if (opts->authfile) {
		int rc = lookup_file(opts->authfile, true, name, out, found, err);
		if (rc < 0 || *found)
			return rc;
	}
	bg_strv paths = {0};
	if (default_paths(&paths) < 0) {
		bg_strv_free(&paths);
		return oom(err);
	}
	int rc = 0;
	for (size_t i = 0; i < paths.n && rc == 0 && !*found; i++)
		rc = lookup_file(paths.v[i], false, name, out, found, err);
	bg_strv_free(&paths);
	return rc;
}
