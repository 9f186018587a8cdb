/* bootgate — image references: grammar, normalisation, allow-lists,
 * transports and identity matching (see reference.h for the rules).
 *
 * The upstream grammar is a set of regular expressions; here each production
 * is a small scanner over (pointer, length).  The reference decomposes
 * uniquely, which is what makes hand scanning exact:
 *   - '@' appears only before the digest, so the first '@' starts it;
 *   - neither path nor tag may contain ':', and only the domain may, so a
 *     ':' after the last '/' (or in a name without '/') starts the tag;
 *   - the domain needs a following '/', and the regexp prefers taking one: if
 *     the first component is a valid host the rest must be a path, otherwise
 *     the whole name must be a path (with an empty domain). */
#include "bootgate/reference.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bootgate/digest.h"
#include "util.h"

#define TAG_MAX 128
/* Longest piece of user text quoted back in an error message. */
#define QUOTE_MAX 128

/* ---- character classes (ASCII only, locale-independent) ---------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z');
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_digit(c) || is_alpha(c);
}

static bool is_word(char c)
{
	return is_alnum(c) || c == '_';
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static char to_lower(char c)
{
	return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_upper(s[i]))
			return true;
	return false;
}

static const char *find_char(const char *s, size_t n, char c)
{
	return memchr(s, c, n);
}

static const char *find_last_char(const char *s, size_t n, char c)
{
	while (n > 0)
		if (s[--n] == c)
			return s + n;
	return NULL;
}

/* ---- error messages ---------------------------------------------------- */

/* Copy s[0..n) for an error message: at most QUOTE_MAX bytes, control bytes
 * shown as '?', "..." when cut.  Returns buf. */
static const char *quote(char buf[QUOTE_MAX + 4], const char *s, size_t n)
{
	size_t k = n > QUOTE_MAX ? QUOTE_MAX : n;
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (n > QUOTE_MAX) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
	return buf;
}

static int __attribute__((format(printf, 4, 5)))
fail(bg_error *err, bg_status status, const char *input, const char *fmt, ...)
{
	if (!err)
		return status;
	char detail[BG_ERROR_MAX], q[QUOTE_MAX + 4];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return bg_error_set(err, status, "invalid image reference \"%s\": %s",
			    quote(q, input, strlen(input)), detail);
}

/* ---- grammar productions ------------------------------------------------ */

/* path-component := [a-z0-9]+ ( ("." | "_" | "__" | "-"+) [a-z0-9]+ )* */
static bool valid_path_component(const char *s, size_t n)
{
	size_t i = 0;
	for (;;) {
		if (i >= n || !is_lower_alnum(s[i]))
			return false;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
	}
}

/* domain-name component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool valid_domain_component(const char *s, size_t n)
{
	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* domain := ( domain-name | "[" [0-9A-Fa-f:]+ "]" ) [ ":" [0-9]+ ] */
static bool valid_domain(const char *s, size_t n)
{
	size_t host_end;
	if (n > 0 && s[0] == '[') {
		const char *close = find_char(s, n, ']');
		if (!close || close == s + 1)
			return false;
		for (const char *p = s + 1; p < close; p++)
			if (!is_hex(*p) && *p != ':')
				return false;
		host_end = (size_t)(close - s) + 1;
	} else {
		const char *colon = find_char(s, n, ':');
		host_end = colon ? (size_t)(colon - s) : n;
		size_t start = 0;
		for (size_t i = 0; i <= host_end; i++) {
			if (i == host_end || s[i] == '.') {
				if (!valid_domain_component(s + start, i - start))
					return false;
				start = i + 1;
			}
		}
	}
	if (host_end == n)
		return true;
	if (s[host_end] != ':' || host_end + 1 == n)
		return false;
	for (size_t i = host_end + 1; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* tag := [\w][\w.-]{0,127} */
static bool valid_tag(const char *s, size_t n)
{
	if (n == 0 || n > TAG_MAX || !is_word(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* The reference grammar's digest (before go-digest's stricter check):
 * [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* ":" [0-9A-Fa-f]{32,} */
static bool valid_reference_digest(const char *s)
{
	size_t i = 0;
	for (;;) {
		if (!is_alpha(s[i]))
			return false;
		while (is_alnum(s[i]))
			i++;
		if (s[i] == ':')
			break;
		if (s[i] != '-' && s[i] != '_' && s[i] != '+' && s[i] != '.')
			return false;
		i++;
	}
	i++;
	size_t hex = 0;
	while (is_hex(s[i])) {
		i++;
		hex++;
	}
	return s[i] == '\0' && hex >= 32;
}

/* ---- Parse (no normalisation) ------------------------------------------- */

typedef struct ref_parts {
	size_t name_len;   /* name = s[0..name_len) */
	size_t domain_len; /* domain = s[0..domain_len); 0 = no domain */
	const char *tag;   /* NULL when absent */
	size_t tag_len;
	const char *digest; /* NUL-terminated tail; NULL when absent */
} ref_parts;

/* Check the path s[0..n) component by component; on error name the first
 * bad component. */
static int check_path(const char *input, const char *s, size_t n, bg_error *err)
{
	size_t start = 0;
	char q[QUOTE_MAX + 4];
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		if (!valid_path_component(s + start, i - start)) {
			if (i == start)
				return fail(err, BG_E_INPUT, input,
					    "empty repository path component (a \"/\" at the start or end, or \"//\")");
			return fail(err, BG_E_INPUT, input,
				    "repository path component \"%s\" is invalid: use lower-case letters and digits, "
				    "separated by one '.', '_', \"__\" or any number of '-'",
				    quote(q, s + start, i - start));
		}
		start = i + 1;
	}
	return 0;
}

/* Everything upstream's ReferenceRegexp checks, and nothing more. */
static int split_reference(const char *input, const char *s, ref_parts *p, bg_error *err)
{
	char q[QUOTE_MAX + 4];
	size_t n = strlen(s);
	memset(p, 0, sizeof *p);
	if (n == 0)
		return fail(err, BG_E_INPUT, input, "repository name must have at least one component");

	const char *at = find_char(s, n, '@');
	size_t name_tag_len = at ? (size_t)(at - s) : n;
	if (at) {
		p->digest = at + 1;
		if (!valid_reference_digest(p->digest))
			return fail(err, BG_E_INPUT, input,
				    "digest \"%s\" is malformed; write @sha256:<64 lower-case hex digits>",
				    quote(q, p->digest, strlen(p->digest)));
	}

	const char *last_slash = find_last_char(s, name_tag_len, '/');
	const char *last_colon = find_last_char(s, name_tag_len, ':');
	p->name_len = name_tag_len;
	if (last_colon && (!last_slash || last_colon > last_slash)) {
		p->name_len = (size_t)(last_colon - s);
		p->tag = last_colon + 1;
		p->tag_len = name_tag_len - p->name_len - 1;
		if (!valid_tag(p->tag, p->tag_len))
			return fail(err, BG_E_INPUT, input,
				    "tag \"%s\" is invalid: a tag is 1 to 128 letters, digits, '_', '.' or '-' "
				    "and starts with a letter, digit or '_'",
				    quote(q, p->tag, p->tag_len));
	}
	if (p->name_len == 0)
		return fail(err, BG_E_INPUT, input, "the repository name before the %s is empty",
			    p->tag ? "tag" : "digest");

	const char *first_slash = find_char(s, p->name_len, '/');
	if (first_slash && valid_domain(s, (size_t)(first_slash - s))) {
		p->domain_len = (size_t)(first_slash - s);
		return check_path(input, first_slash + 1, p->name_len - p->domain_len - 1, err);
	}
	if (first_slash) {
		/* Not a host: the regexp then needs the whole name as a path.
		 * Blame the host when the text was clearly meant as one. */
		size_t flen = (size_t)(first_slash - s);
		if (!valid_path_component(s, flen) &&
		    (find_char(s, flen, '.') || find_char(s, flen, ':') || find_char(s, flen, '[')))
			return fail(err, BG_E_INPUT, input,
				    "registry \"%s\" is not a valid host[:port] (host names use letters, digits, "
				    "'-' and '.'; IPv6 addresses go in brackets)",
				    quote(q, s, flen));
	}
	return check_path(input, s, p->name_len, err);
}

/* Would the grammar accept s once lower-cased?  (Upstream's test for
 * ErrNameContainsUppercase.) */
static bool lowercase_would_parse(const char *s)
{
	size_t n = strlen(s);
	if (!has_upper(s, n))
		return false;
	_cleanup_free_ char *lower = bg_strdup(s);
	if (!lower)
		return false;
	for (size_t i = 0; i < n; i++)
		lower[i] = to_lower(lower[i]);
	ref_parts p;
	return split_reference(lower, lower, &p, NULL) == 0;
}

static int parse_raw(const char *input, const char *s, bg_reference *out, bg_error *err)
{
	ref_parts p;
	memset(out, 0, sizeof *out);
	int rc = split_reference(input, s, &p, err);
	if (rc < 0) {
		if (lowercase_would_parse(s))
			return fail(err, BG_E_INPUT, input, "repository name must be lowercase");
		return rc;
	}
	if (p.name_len > BG_REFERENCE_NAME_MAX)
		return fail(err, BG_E_INPUT, input,
			    "repository name is %zu bytes; it must not be more than %d characters",
			    p.name_len, BG_REFERENCE_NAME_MAX);
	if (p.digest) {
		bg_error derr = {0};
		if (bg_digest_parse(p.digest, NULL, NULL, &derr) < 0)
			return fail(err, BG_E_INPUT, input, "%s", derr.message);
	}

	size_t path_off = p.domain_len ? p.domain_len + 1 : 0;
	out->full = bg_strdup(s);
	out->name = bg_strndup(s, p.name_len);
	out->domain = bg_strndup(s, p.domain_len);
	out->path = bg_strndup(s + path_off, p.name_len - path_off);
	out->tag = p.tag ? bg_strndup(p.tag, p.tag_len) : NULL;
	out->digest = p.digest ? bg_strdup(p.digest) : NULL;
	if (!out->full || !out->name || !out->domain || !out->path || (p.tag && !out->tag) ||
	    (p.digest && !out->digest)) {
		bg_reference_free(out);
		return bg_error_set(err, BG_E_NOMEM, "out of memory parsing an image reference");
	}
	return 0;
}

int bg_reference_parse_raw(const char *s, bg_reference *out, bg_error *err)
{
	if (!s) {
		memset(out, 0, sizeof *out);
		return bg_error_set(err, BG_E_INPUT, "invalid image reference: none given");
	}
	return parse_raw(s, s, out, err);
}

void bg_reference_free(bg_reference *ref)
{
	if (!ref)
		return;
	free(ref->full);
	free(ref->name);
	free(ref->domain);
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof *ref);
}

/* ---- ParseNormalizedNamed ------------------------------------------------ */

static bool is_image_id(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return true;
}

int bg_reference_parse(const char *s, bg_reference *out, bg_error *err)
{
	char q[QUOTE_MAX + 4];
	memset(out, 0, sizeof *out);
	if (!s)
		return bg_error_set(err, BG_E_INPUT, "invalid image reference: none given");
	size_t n = strlen(s);
	if (is_image_id(s, n))
		return fail(err, BG_E_INPUT, s,
			    "a 64-hex-digit string is an image ID, not a repository name; write NAME@sha256:<hex>");

	/* containers/image SplitDockerDomain. */
	const char *domain = "docker.io", *rest = s;
	size_t domain_len = strlen("docker.io");
	const char *slash = strchr(s, '/');
	if (slash) {
		size_t flen = (size_t)(slash - s);
		if (find_char(s, flen, '.') || find_char(s, flen, ':') ||
		    (flen == 9 && memcmp(s, "localhost", 9) == 0)) {
			domain = s;
			domain_len = flen;
			rest = slash + 1;
		}
	}
	if (domain_len == 15 && memcmp(domain, "index.docker.io", 15) == 0) {
		domain = "docker.io";
		domain_len = 9;
	}
	bool library = domain_len == 9 && memcmp(domain, "docker.io", 9) == 0 && !strchr(rest, '/');

	/* The repository path (up to the first ':') must be lower-case.
	 * Upstream says so whatever else is wrong; bootgate says so only when
	 * lower-casing would fix the reference, and otherwise reports the
	 * actual problem ("$BASE" is not a case problem).  Either way the
	 * reference is refused. */
	size_t remote_len = strcspn(rest, ":");
	bool upper = has_upper(rest, remote_len);

	bg_strbuf b = {0};
	bg_strbuf_add(&b, domain, domain_len);
	bg_strbuf_putc(&b, '/');
	if (library)
		bg_strbuf_puts(&b, "library/");
	bg_strbuf_puts(&b, rest);
	_cleanup_free_ char *qualified = bg_strbuf_take(&b);
	if (!qualified)
		return bg_error_set(err, BG_E_NOMEM, "out of memory parsing an image reference");

	int rc = parse_raw(s, qualified, out, err);
	if (rc == 0 && upper) {
		/* Unreachable today (upper case before the first ':' is either
		 * in the path or in a digest algorithm, and both are refused),
		 * but keep upstream's verdict should that ever change. */
		bg_reference_free(out);
	}
	if ((rc == 0 && upper) ||
	    (rc < 0 && upper && rc != BG_E_NOMEM && lowercase_would_parse(qualified)))
		return fail(err, BG_E_INPUT, s,
			    "repository name must be lowercase (\"%s\"); registries store paths in lower case",
			    quote(q, rest, remote_len));
	if (rc < 0)
		return rc;
	if (!out->tag && !out->digest) {
		/* TagNameOnly: what a pull of a name-only reference fetches. */
		size_t len = strlen(out->full);
		char *full = realloc(out->full, len + sizeof ":latest");
		if (!full) {
			bg_reference_free(out);
			return bg_error_set(err, BG_E_NOMEM, "out of memory parsing an image reference");
		}
		memcpy(full + len, ":latest", sizeof ":latest");
		out->full = full;
		out->tag_implicit = true;
	}
	return 0;
}

/* ---- registry allow-list ------------------------------------------------- */

/* The host part of a domain: without ":port" (kept for "[v6]" brackets). */
static size_t host_length(const char *d, size_t n)
{
	const char *colon = find_last_char(d, n, ':');
	const char *bracket = find_last_char(d, n, ']');
	if (!colon || (bracket && colon < bracket) || colon + 1 == d + n)
		return n;
	for (const char *p = colon + 1; p < d + n; p++)
		if (!is_digit(*p))
			return n;
	if (!bracket && find_char(d, (size_t)(colon - d), ':'))
		return n; /* bare IPv6-looking text: no port to strip */
	return (size_t)(colon - d);
}

static bool is_docker_hub(const char *d)
{
	static const char *const hub[] = {"docker.io", "index.docker.io", "registry-1.docker.io",
					  "hub.docker.com"};
	for (size_t i = 0; i < sizeof hub / sizeof hub[0]; i++)
		if (strcasecmp(d, hub[i]) == 0)
			return true;
	return false;
}

bool bg_reference_registry_matches(const char *domain, const char *pattern)
{
	if (!domain || !pattern || !*pattern)
		return false;
	if (strcmp(pattern, "*") == 0)
		return true;
	if (pattern[0] == '*' && pattern[1] == '.') {
		/* "*.example.com": some non-empty label(s) then ".example.com",
		 * compared on the host with any port removed. */
		const char *suffix = pattern + 1; /* ".example.com" */
		size_t sl = strlen(suffix), hl = host_length(domain, strlen(domain));
		if (sl < 2 || hl <= sl)
			return false;
		return strncasecmp(domain + hl - sl, suffix, sl) == 0;
	}
	if (is_docker_hub(domain) && is_docker_hub(pattern))
		return true;
	return strcasecmp(domain, pattern) == 0;
}

/* ---- signature identity matching ----------------------------------------- */

static bool is_name_only(const bg_reference *r)
{
	return !r->tag && !r->digest;
}

/* Parse both; false if either fails (as upstream: an error is a mismatch). */
static bool parse_pair(const char *a, const char *b, bg_reference *ra, bg_reference *rb)
{
	if (!a || !b)
		return false;
	if (bg_reference_parse(a, ra, NULL) < 0)
		return false;
	if (bg_reference_parse(b, rb, NULL) < 0) {
		bg_reference_free(ra);
		return false;
	}
	return true;
}

bool bg_reference_match_exact(const char *image, const char *signed_identity)
{
	bg_reference img, sig;
	if (!parse_pair(image, signed_identity, &img, &sig))
		return false;
	bool match = !is_name_only(&img) && !is_name_only(&sig) && strcmp(img.full, sig.full) == 0;
	bg_reference_free(&img);
	bg_reference_free(&sig);
	return match;
}

bool bg_reference_match_repo_digest_or_exact(const char *image, const char *signed_identity)
{
	bg_reference img, sig;
	if (!parse_pair(image, signed_identity, &img, &sig))
		return false;
	bool match;
	if (is_name_only(&sig))
		match = false;
	else if (img.tag) /* tagged, with or without a digest */
		match = strcmp(img.full, sig.full) == 0;
	else if (img.digest)
		match = strcmp(img.name, sig.name) == 0;
	else
		match = false;
	bg_reference_free(&img);
	bg_reference_free(&sig);
	return match;
}

bool bg_reference_match_repository(const char *image, const char *signed_identity)
{
	bg_reference img, sig;
	if (!parse_pair(image, signed_identity, &img, &sig))
		return false;
	bool match = strcmp(img.name, sig.name) == 0;
	bg_reference_free(&img);
	bg_reference_free(&sig);
	return match;
}

/* ---- transports ---------------------------------------------------------- */

const char *bg_transport_name(bg_transport t)
{
	switch (t) {
	case BG_TRANSPORT_DOCKER:
		return "docker";
	case BG_TRANSPORT_OCI:
		return "oci";
	case BG_TRANSPORT_OCI_ARCHIVE:
		return "oci-archive";
	case BG_TRANSPORT_DOCKER_ARCHIVE:
		return "docker-archive";
	}
	return "unknown";
}

void bg_image_ref_free(bg_image_ref *ref)
{
	if (!ref)
		return;
	free(ref->path);
	free(ref->image_name);
	bg_reference_free(&ref->reference);
	memset(ref, 0, sizeof *ref);
	ref->source_index = -1;
}

static int __attribute__((format(printf, 3, 4)))
image_fail(bg_error *err, const char *input, const char *fmt, ...)
{
	if (!err)
		return BG_E_USAGE;
	char detail[BG_ERROR_MAX], q[QUOTE_MAX + 4];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return bg_error_set(err, BG_E_USAGE, "invalid image \"%s\": %s",
			    quote(q, input, strlen(input)), detail);
}

/* OCI ref-name (org.opencontainers.image.ref.name), containers/image
 * oci/internal refRegexp: component ("/" component)*, component =
 * alnum+ ( ([-._:@+] | "--") alnum+ )*, alnum = [A-Za-z0-9]. */
static bool valid_oci_ref_name(const char *s)
{
	size_t i = 0;
	for (;;) {
		if (!is_alnum(s[i]))
			return false;
		while (is_alnum(s[i]))
			i++;
		if (s[i] == '\0')
			return true;
		if (s[i] == '/' || s[i] == '.' || s[i] == '_' || s[i] == ':' || s[i] == '@' ||
		    s[i] == '+')
			i++;
		else if (s[i] == '-')
			i += s[i + 1] == '-' ? 2 : 1;
		else
			return false;
	}
}

/* "@N": a non-negative decimal index (as strconv.Atoi, bounded to int). */
static int parse_source_index(const char *input, const char *s, int *out, bg_error *err)
{
	char q[QUOTE_MAX + 4];
	long v = 0;
	size_t i = 0;
	bool negative = s[0] == '-';
	if (s[0] == '+' || s[0] == '-')
		i++;
	if (!is_digit(s[i]))
		return image_fail(err, input, "source index @%s is not an integer", quote(q, s, strlen(s)));
	for (; s[i]; i++) {
		if (!is_digit(s[i]))
			return image_fail(err, input, "source index @%s is not an integer", quote(q, s, strlen(s)));
		v = v * 10 + (s[i] - '0');
		if (v > 0x7fffffff)
			return image_fail(err, input, "source index @%s is too large", quote(q, s, strlen(s)));
	}
	if (negative && v != 0)
		return image_fail(err, input, "source index @%s must not be negative", quote(q, s, strlen(s)));
	*out = (int)v;
	return 0;
}

/* A docker reference inside an image name: the reference error, re-filed as
 * a usage error (the text came from the command line or configuration). */
static int parse_docker_ref(const char *s, bg_reference *out, bg_error *err)
{
	bg_error rerr = {0};
	int rc = bg_reference_parse(s, out, &rerr);
	if (rc == 0)
		return 0;
	return bg_error_set(err, rc == BG_E_NOMEM ? BG_E_NOMEM : BG_E_USAGE, "%s", rerr.message);
}

/* oci:/oci-archive: "PATH[:NAME]" split at the first ':'. */
static int parse_oci(const char *input, const char *what, const char *s, bg_image_ref *out,
		     bg_error *err)
{
	char q[QUOTE_MAX + 4];
	const char *colon = strchr(s, ':');
	size_t plen = colon ? (size_t)(colon - s) : strlen(s);
	if (plen == 0)
		return image_fail(err, input, "the %s path is empty; write %s:PATH[:NAME]", what, what);
	if (colon) {
		const char *name = colon + 1;
		if (!*name)
			return image_fail(err, input,
					  "nothing after the ':' that ends the path; drop it or name the image (%s:PATH:NAME)",
					  what);
		if (name[0] == '@') {
			int rc = parse_source_index(input, name + 1, &out->source_index, err);
			if (rc < 0)
				return rc;
		} else if (!valid_oci_ref_name(name)) {
			return image_fail(err, input,
					  "image name \"%s\" is not a valid OCI reference name (letters and digits "
					  "joined by '-', '.', '_', ':', '@', '+' or \"--\", components separated by '/'); "
					  "note the path ends at the first ':'",
					  quote(q, name, strlen(name)));
		} else if (!(out->image_name = bg_strdup(name))) {
			return bg_error_set(err, BG_E_NOMEM, "out of memory parsing an image name");
		}
	}
	if (!(out->path = bg_strndup(s, plen)))
		return bg_error_set(err, BG_E_NOMEM, "out of memory parsing an image name");
	return 0;
}

/* docker-archive: "PATH[:REF|:@N]" split at the first ':'. */
static int parse_docker_archive(const char *input, const char *s, bg_image_ref *out, bg_error *err)
{
	const char *colon = strchr(s, ':');
	size_t plen = colon ? (size_t)(colon - s) : strlen(s);
	if (plen == 0)
		return image_fail(err, input, "the docker-archive path is empty; write docker-archive:FILE[:REF]");
	if (colon) {
		const char *ref = colon + 1;
		if (!*ref)
			return image_fail(err, input,
					  "nothing after the ':' that ends the path; drop it or give a reference (docker-archive:FILE:NAME:TAG)");
		if (ref[0] == '@') {
			int rc = parse_source_index(input, ref + 1, &out->source_index, err);
			if (rc < 0)
				return rc;
		} else {
			int rc = parse_docker_ref(ref, &out->reference, err);
			if (rc < 0)
				return rc;
			if (out->reference.digest)
				return image_fail(err, input,
						  "docker-archive does not support digest references; name the image by tag or @N");
			out->has_reference = true;
		}
	}
	if (!(out->path = bg_strndup(s, plen)))
		return bg_error_set(err, BG_E_NOMEM, "out of memory parsing an image name");
	return 0;
}

/* containers/image transports bootgate cannot read, refused by name. */
static const char *const unsupported_transports[] = {
	"dir", "containers-storage", "docker-daemon", "ostree", "sif", "tarball",
};

static int image_ref_parse(const char *s, bg_image_ref *out, bg_error *err)
{
	char q[QUOTE_MAX + 4];
	if (!*s)
		return bg_error_set(err, BG_E_USAGE, "invalid image: empty name; give a reference such as registry.example.com/ns/image:tag");

	const char *colon = strchr(s, ':');
	size_t plen = colon ? (size_t)(colon - s) : 0;
	const char *rest = colon ? colon + 1 : NULL;
#define PREFIX_IS(lit) (plen == sizeof(lit) - 1 && memcmp(s, lit, plen) == 0)
	if (colon && PREFIX_IS("docker")) {
		if (rest[0] != '/' || rest[1] != '/')
			return image_fail(err, s, "the docker transport needs \"//\": write docker://%s",
					  quote(q, rest, strlen(rest)));
		if (!rest[2])
			return image_fail(err, s, "nothing after docker://; give a reference");
		out->transport = BG_TRANSPORT_DOCKER;
		out->has_reference = true;
		return parse_docker_ref(rest + 2, &out->reference, err);
	}
	if (colon && PREFIX_IS("oci")) {
		out->transport = BG_TRANSPORT_OCI;
		return parse_oci(s, "oci", rest, out, err);
	}
	if (colon && PREFIX_IS("oci-archive")) {
		out->transport = BG_TRANSPORT_OCI_ARCHIVE;
		return parse_oci(s, "oci-archive", rest, out, err);
	}
	if (colon && PREFIX_IS("docker-archive")) {
		out->transport = BG_TRANSPORT_DOCKER_ARCHIVE;
		return parse_docker_archive(s, rest, out, err);
	}
#undef PREFIX_IS
	for (size_t i = 0; colon && i < sizeof unsupported_transports / sizeof unsupported_transports[0]; i++) {
		if (strlen(unsupported_transports[i]) == plen &&
		    memcmp(s, unsupported_transports[i], plen) == 0)
			return image_fail(err, s,
					  "transport \"%s:\" is not supported; use docker://, oci:, oci-archive: or docker-archive:",
					  unsupported_transports[i]);
	}

	/* A bare reference means docker://. */
	bg_error rerr = {0};
	if (bg_reference_parse(s, &out->reference, &rerr) == 0) {
		out->transport = BG_TRANSPORT_DOCKER;
		out->has_reference = true;
		return 0;
	}
	if (rerr.status == BG_E_NOMEM)
		return bg_error_set(err, BG_E_NOMEM, "%s", rerr.message);
	/* "foo:bar..." that is no reference: most likely a mistyped transport
	 * (not "fc00::1..." or "host:5000...", which are broken hosts). */
	if (colon && plen > 0 && !find_char(s, plen, '/') && !find_char(s, plen, '.') &&
	    rest[0] != ':' && !is_digit(rest[0])) {
		bool word = true;
		for (size_t i = 0; i < plen; i++)
			if (!is_lower_alnum(s[i]) && s[i] != '-')
				word = false;
		if (word)
			return image_fail(err, s,
					  "unknown transport \"%s:\" and not a valid reference either; use docker://, "
					  "oci:, oci-archive: or docker-archive: (reference error: %s)",
					  quote(q, s, plen), rerr.message);
	}
	return bg_error_set(err, BG_E_USAGE, "%s", rerr.message);
}

int bg_image_ref_parse(const char *s, bg_image_ref *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	out->source_index = -1;
	if (!s)
		return bg_error_set(err, BG_E_USAGE, "invalid image: none given");
	int rc = image_ref_parse(s, out, err);
	if (rc < 0)
		bg_image_ref_free(out);
	return rc;
}
