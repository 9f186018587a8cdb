/* bootgate — registry v2 client on libcurl (see registry.h for the rules).
 *
 * Layout of this file:
 *   1. pure helpers: WWW-Authenticate, Retry-After, backoff, URLs, tokens;
 *   2. one HTTP exchange ("xfer"): a curl easy handle in its own multi
 *      handle, the body pulled on demand through a one-chunk buffer (the
 *      write callback pauses the transfer while the buffer is full), so a
 *      blob of any size streams in bounded memory;
 *   3. one request: redirects (followed here, not by libcurl), auth header
 *      per hop, retries with backoff, status handling;
 *   4. the registry: ping, tokens, manifests, blobs. */
#include "bootgate/registry.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bg_config.h"
#include "bootgate/digest.h"
#include "bootgate/limits.h"
#include "bootgate/manifest.h"
#include "bootgate/reference.h"
#include "bootgate/strictjson.h"
#include "util.h"

/* ------------------------------------------------------------------ */
/* 1. Pure helpers                                                     */
/* ------------------------------------------------------------------ */

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token68_char(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || (c && strchr("-._~+/", c));
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static char *lower_dup(const char *s, size_t n)
{
	char *d = bg_strndup(s, n);
	for (size_t i = 0; d && i < n; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	return d;
}

static void challenge_clear(bg_registry_challenge *c)
{
	free(c->scheme);
	free(c->token68);
	for (size_t i = 0; i < c->n_params; i++) {
		free(c->params[i].name);
		free(c->params[i].value);
	}
	free(c->params);
	memset(c, 0, sizeof *c);
}

void bg_registry_challenges_free(bg_registry_challenges *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++)
		challenge_clear(&list->v[i]);
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

const char *bg_registry_challenge_param(const bg_registry_challenge *c, const char *name)
{
	for (size_t i = 0; c && i < c->n_params; i++)
		if (strcasecmp(c->params[i].name, name) == 0)
			return c->params[i].value;
	return NULL;
}

const bg_registry_challenge *bg_registry_pick_challenge(const bg_registry_challenges *list)
{
	for (size_t i = 0; list && i < list->n; i++)
		if (strcmp(list->v[i].scheme, "bearer") == 0 || strcmp(list->v[i].scheme, "basic") == 0)
			return &list->v[i];
	return NULL;
}

/* A quoted-string (RFC 9110 §5.6.4) starting at *pp (the opening quote). */
static char *parse_quoted(const char **pp)
{
	const char *p = *pp + 1;
	bg_strbuf b = {0};
	for (;;) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c == '\\') {
			unsigned char e = (unsigned char)p[1];
			if (!(e == '\t' || (e >= 0x20 && e != 0x7f))) {
				bg_strbuf_free(&b);
				return NULL;
			}
			bg_strbuf_putc(&b, (char)e);
			p += 2;
			continue;
		}
		/* qdtext: HTAB, SP, VCHAR except '"' and '\', obs-text. */
		if (!(c == '\t' || (c >= 0x20 && c != 0x7f))) {
			bg_strbuf_free(&b);
			return NULL;
		}
		bg_strbuf_putc(&b, (char)c);
		p++;
	}
	*pp = p + 1;
	char *s = bg_strbuf_take(&b);
	return s;
}

static int challenge_error(bg_error *err, const char *header, const char *at, const char *what)
{
	return bg_error_set(err, BG_E_EVAL, "malformed WWW-Authenticate header at byte %zu: %s",
			    (size_t)(at - header), what);
}

int bg_registry_parse_challenges(const char *header, bg_registry_challenges *list, bg_error *err)
{
	size_t start = list->n;
	const char *p = header;
	int rc = 0;
#define FAIL(at, what)                                       \
	do {                                                 \
		rc = challenge_error(err, header, (at), (what)); \
		goto fail;                                   \
	} while (0)
#define NOMEM()                                                                           \
	do {                                                                              \
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory parsing WWW-Authenticate"); \
		goto fail;                                                                \
	} while (0)

	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		const char *s = p;
		while (is_tchar((unsigned char)*p))
			p++;
		if (p == s)
			FAIL(p, "expected an authentication scheme");
		if (list->n - start >= BG_REGISTRY_MAX_CHALLENGES || list->n >= BG_REGISTRY_MAX_CHALLENGES)
			FAIL(s, "too many challenges");
		bg_registry_challenge *nv = realloc(list->v, (list->n + 1) * sizeof *nv);
		if (!nv)
			NOMEM();
		list->v = nv;
		bg_registry_challenge *c = &list->v[list->n++];
		memset(c, 0, sizeof *c);
		if (!(c->scheme = lower_dup(s, (size_t)(p - s))))
			NOMEM();

		if (*p == ' ' || *p == '\t')
			p = skip_ows(p);
		else if (*p && *p != ',')
			FAIL(p, "expected a space or ',' after the scheme");
		if (!*p || *p == ',')
			continue;

		/* token68 ("Negotiate abc==") when nothing but a comma or the end follows. */
		const char *t = p;
		while (is_token68_char((unsigned char)*t))
			t++;
		if (t > p) {
			const char *e = t;
			while (*e == '=')
				e++;
			const char *f = skip_ows(e);
			if (!*f || *f == ',') {
				if (!(c->token68 = bg_strndup(p, (size_t)(e - p))))
					NOMEM();
				p = f;
				continue;
			}
		}

		/* auth-params: name BWS "=" BWS ( token / quoted-string ), comma separated. */
		for (;;) {
			const char *n = p;
			while (is_tchar((unsigned char)*p))
				p++;
			if (p == n)
				FAIL(p, "expected a parameter name");
			size_t nlen = (size_t)(p - n);
			p = skip_ows(p);
			if (*p != '=')
				FAIL(p, "expected '=' after a parameter name");
			p = skip_ows(p + 1);
			char *value;
			if (*p == '"') {
				const char *q = p;
				value = parse_quoted(&q);
				if (!value) {
					/* Unterminated or a control character. */
					FAIL(p, "unterminated or invalid quoted string");
				}
				p = q;
			} else {
				const char *v = p;
				while (is_tchar((unsigned char)*p))
					p++;
				if (p == v)
					FAIL(p, "expected a parameter value");
				value = bg_strndup(v, (size_t)(p - v));
				if (!value)
					NOMEM();
			}
			char *name = lower_dup(n, nlen);
			if (!name) {
				free(value);
				NOMEM();
			}
			if (bg_registry_challenge_param(c, name)) {
				free(name);
				free(value);
				FAIL(n, "a parameter appears twice in one challenge");
			}
			if (c->n_params >= BG_REGISTRY_MAX_PARAMS) {
				free(name);
				free(value);
				FAIL(n, "too many parameters");
			}
			bg_registry_param *np = realloc(c->params, (c->n_params + 1) * sizeof *np);
			if (!np) {
				free(name);
				free(value);
				NOMEM();
			}
			c->params = np;
			c->params[c->n_params].name = name;
			c->params[c->n_params].value = value;
			c->n_params++;

			p = skip_ows(p);
			if (!*p)
				break;
			if (*p != ',')
				FAIL(p, "expected ',' between parameters");
			/* Another parameter, or the next challenge's scheme? */
			const char *q = p;
			while (*q == ',' || *q == ' ' || *q == '\t')
				q++;
			if (!*q) {
				p = q;
				break;
			}
			const char *tk = q;
			while (is_tchar((unsigned char)*q))
				q++;
			if (q > tk && *skip_ows(q) == '=') {
				p = tk;
				continue;
			}
			p = tk;
			break;
		}
	}
	return 0;
fail:
	while (list->n > start)
		challenge_clear(&list->v[--list->n]);
	if (list->n == 0) {
		free(list->v);
		list->v = NULL;
	}
	return rc;
#undef FAIL
#undef NOMEM
}

int bg_registry_parse_retry_after(const char *value, time_t now, unsigned *seconds)
{
	if (!value)
		return -1;
	const char *p = skip_ows(value);
	size_t len = strlen(p);
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len == 0)
		return -1;
	if (is_digit((unsigned char)p[0])) {
		uint64_t v = 0;
		for (size_t i = 0; i < len; i++) {
			if (!is_digit((unsigned char)p[i]))
				return -1;
			if (v < UINT32_MAX)
				v = v * 10 + (uint64_t)(p[i] - '0');
		}
		*seconds = v > UINT32_MAX ? UINT32_MAX : (unsigned)v;
		return 0;
	}
	/* An HTTP-date starts with a day name; curl_getdate parses all three
	 * RFC 9110 forms (and, leniently, more: insist on a letter first). */
	if (!is_alpha((unsigned char)p[0]))
		return -1;
	char *copy = bg_strndup(p, len);
	if (!copy)
		return -1;
	time_t when = curl_getdate(copy, NULL);
	free(copy);
	if (when == (time_t)-1)
		return -1;
	if (when <= now)
		*seconds = 0;
	else if ((uint64_t)(when - now) > UINT32_MAX)
		*seconds = UINT32_MAX;
	else
		*seconds = (unsigned)(when - now);
	return 0;
}

unsigned bg_registry_backoff_ms(unsigned attempt, uint32_t random)
{
	unsigned d = BG_REGISTRY_BACKOFF_CAP_MS;
	if (attempt == 0)
		attempt = 1;
	if (attempt <= 16) {
		uint64_t v = (uint64_t)BG_REGISTRY_BACKOFF_BASE_MS << (attempt - 1);
		if (v < d)
			d = (unsigned)v;
	}
	/* Jitter in [d/2, d] so parallel clients do not retry in lockstep. */
	unsigned half = d / 2;
	return half + random % (d - half + 1);
}

const char *bg_registry_api_host(const char *domain)
{
	if (strcmp(domain, "docker.io") == 0 || strcmp(domain, "index.docker.io") == 0)
		return "registry-1.docker.io";
	return domain;
}

/* [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* joined by '/'. */
static bool valid_repository(const char *s)
{
	if (!s || !*s || strlen(s) > BG_REFERENCE_NAME_MAX)
		return false;
	const char *p = s;
	for (;;) {
		if (!((*p >= 'a' && *p <= 'z') || is_digit((unsigned char)*p)))
			return false;
		while ((*p >= 'a' && *p <= 'z') || is_digit((unsigned char)*p))
			p++;
		if (*p == '.' || *p == '-' || *p == '_') {
			if (*p == '.')
				p++;
			else if (*p == '_')
				p += (p[1] == '_') ? 2 : 1;
			else
				while (*p == '-')
					p++;
			continue; /* must be followed by [a-z0-9] */
		}
		if (*p == '/') {
			p++;
			continue;
		}
		return *p == '\0';
	}
}

static bool valid_tag(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 128)
		return false;
	if (!(is_alpha((unsigned char)s[0]) || is_digit((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* Host[:port] or [v6]:port: only characters a URL authority can take
 * without escaping, so nothing can smuggle a path or userinfo. */
static bool valid_domain(const char *s)
{
	if (!s || !*s || strlen(s) > 255)
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (!(is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
			return false;
	}
	return true;
}

int bg_registry_url(const char *domain, bool http, const char *repository, const char *kind,
		    const char *reference, char **out, bg_error *err)
{
	*out = NULL;
	if (!valid_domain(domain))
		return bg_error_set(err, BG_E_EVAL, "registry \"%s\" is not a valid host[:port]",
				    domain ? domain : "");
	bg_strbuf b = {0};
	bg_strbuf_printf(&b, "%s://%s/v2/", http ? "http" : "https", bg_registry_api_host(domain));
	if (reference) {
		if (!valid_repository(repository)) {
			bg_strbuf_free(&b);
			return bg_error_set(err, BG_E_EVAL, "repository name \"%s\" is not valid",
					    repository ? repository : "");
		}
		if (!kind || (strcmp(kind, "manifests") != 0 && strcmp(kind, "blobs") != 0)) {
			bg_strbuf_free(&b);
			return bg_error_set(err, BG_E_EVAL, "unknown registry endpoint \"%s\"",
					    kind ? kind : "");
		}
		bool is_digest = strchr(reference, ':') != NULL;
		if (is_digest ? !bg_digest_valid(reference)
			      : (strcmp(kind, "blobs") == 0 || !valid_tag(reference))) {
			bg_strbuf_free(&b);
			return bg_error_set(err, BG_E_EVAL, "\"%s\" is neither a tag nor a valid digest",
					    reference);
		}
		bg_strbuf_printf(&b, "%s/%s/%s", repository, kind, reference);
	}
	*out = bg_strbuf_take(&b);
	if (!*out)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	return 0;
}

char *bg_registry_scope(const char *repository)
{
	bg_strbuf b = {0};
	bg_strbuf_printf(&b, "repository:%s:pull", repository);
	return bg_strbuf_take(&b);
}

static void put_escaped(bg_strbuf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (is_alpha(*p) || is_digit(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~')
			bg_strbuf_putc(b, (char)*p);
		else
			bg_strbuf_printf(b, "%%%02X", *p);
	}
}

char *bg_registry_token_url(const char *realm, const char *service, const char *scope,
			    const char *account)
{
	bg_strbuf b = {0};
	bg_strbuf_puts(&b, realm);
	char sep = strchr(realm, '?') ? '&' : '?';
	const char *names[] = {"service", "scope", "account"};
	const char *values[] = {service, scope, account};
	for (size_t i = 0; i < 3; i++) {
		if (!values[i] || !*values[i])
			continue;
		bg_strbuf_putc(&b, sep);
		bg_strbuf_printf(&b, "%s=", names[i]);
		put_escaped(&b, values[i]);
		sep = '&';
	}
	return bg_strbuf_take(&b);
}

int bg_registry_parse_token(const char *data, size_t len, const char *what, char **token,
			    int64_t *expires_in, bg_error *err)
{
	*token = NULL;
	json_object *root = NULL;
	if (bg_json_parse_strict(data, len, what, &root, err) < 0)
		return BG_E_EVAL;
	int rc = 0;
	const char *t = NULL, *at = NULL;
	json_object *exp = NULL;
	if (!json_object_is_type(root, json_type_object)) {
		rc = bg_error_set(err, BG_E_EVAL, "%s: the token server's answer is not a JSON object", what);
		goto out;
	}
	if ((rc = bg_json_get_string(root, "token", false, what, &t, err)) < 0 ||
	    (rc = bg_json_get_string(root, "access_token", false, what, &at, err)) < 0 ||
	    (rc = bg_json_member(root, "expires_in", json_type_double, false, what, &exp, err)) < 0)
		goto out;
	const char *use = (t && *t) ? t : at;
	if (!use || !*use) {
		rc = bg_error_set(err, BG_E_EVAL,
				  "%s: the token server's answer has neither \"token\" nor \"access_token\"",
				  what);
		goto out;
	}
	for (const char *p = use; *p; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			rc = bg_error_set(err, BG_E_EVAL,
					  "%s: the token contains a character that cannot go into a header",
					  what);
			goto out;
		}
	}
	if (strlen(use) > BG_MAX_TOKEN_BYTES) {
		rc = bg_error_set(err, BG_E_EVAL, "%s: the token is too long", what);
		goto out;
	}
	int64_t e = BG_REGISTRY_MIN_TOKEN_LIFETIME;
	if (exp) {
		double d = json_object_get_double(exp);
		/* Anything under a minute (or negative) becomes a minute, as in
		 * containers/image; more than a day is capped to keep arithmetic sane. */
		if (d > 86400)
			e = 86400;
		else if (d > BG_REGISTRY_MIN_TOKEN_LIFETIME)
			e = (int64_t)d;
	}
	*expires_in = e;
	if (!(*token = bg_strdup(use)))
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
out:
	json_object_put(root);
	return rc;
}

/* ------------------------------------------------------------------ */
/* 2. One HTTP exchange                                                */
/* ------------------------------------------------------------------ */

#define MAX_AUTH_HEADERS 16
#define XFER_BUFFER_SIZE (64 * 1024)

struct token_entry {
	char *scope;
	char *token;
	uint64_t expires_ms; /* monotonic */
};

enum auth_scheme { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct bg_registry {
	char *domain;
	char *username, *password;
	bool insecure;
	unsigned max_attempts, deadline_s, connect_s, low_speed_s;
	void (*progress)(void *ctx, const char *what, uint64_t done, uint64_t total);
	void *progress_ctx;
	char *ca_bundle; /* PEM of cert_dir's *.crt, or NULL */
	size_t ca_bundle_len;
	char *client_cert, *client_key;
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

	pthread_mutex_t lock; /* everything below */
	bool pinged;
	bool use_http;        /* insecure registry that does not speak TLS */
	char *base;           /* "https://host[:port]" */
	enum auth_scheme scheme;
	char *realm, *service;
	struct token_entry *tokens;
	size_t n_tokens;
};

typedef struct xfer {
	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	char *url;
	long status;
	bool head_done, done, paused;
	CURLcode result;
	char *content_type, *location, *retry_after, *header_digest;
	bg_strv challenges;
	int64_t content_length;
	bool conflicting_length;
	unsigned char *buf;
	size_t buf_off, buf_len, buf_cap;
	bool oom;
	char errbuf[CURL_ERROR_SIZE];
} xfer;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void xfer_reset_head(xfer *x)
{
	free(x->content_type);
	free(x->location);
	free(x->retry_after);
	free(x->header_digest);
	x->content_type = x->location = x->retry_after = x->header_digest = NULL;
	bg_strv_free(&x->challenges);
	x->content_length = -1;
	x->conflicting_length = false;
}

static void xfer_free(xfer *x)
{
	if (!x)
		return;
	if (x->multi && x->easy)
		curl_multi_remove_handle(x->multi, x->easy);
	if (x->easy)
		curl_easy_cleanup(x->easy);
	if (x->multi)
		curl_multi_cleanup(x->multi);
	/* The header list may hold an Authorization value: wipe it. */
	for (struct curl_slist *l = x->headers; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(x->headers);
	xfer_reset_head(x);
	free(x->url);
	free(x->buf);
	free(x);
}

static char *header_value(const char *v, size_t n)
{
	while (n && (v[0] == ' ' || v[0] == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return bg_strndup(v, n);
}

static void set_once(char **slot, char *value)
{
	free(*slot);
	*slot = value;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	xfer *x = userdata;
	size_t len = size * nmemb;
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a 1xx): forget the previous head. */
		xfer_reset_head(x);
		const char *sp = memchr(data, ' ', len);
		x->status = 0;
		if (sp && (size_t)(sp - data) + 4 <= len && is_digit((unsigned char)sp[1]) &&
		    is_digit((unsigned char)sp[2]) && is_digit((unsigned char)sp[3]))
			x->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
		return len;
	}
	if (len <= 2 && (len == 0 || data[0] == '\r' || data[0] == '\n')) {
		if (x->status >= 200)
			x->head_done = true;
		return len;
	}
	const char *colon = memchr(data, ':', len);
	if (!colon)
		return len;
	size_t nlen = (size_t)(colon - data);
	const char *v = colon + 1;
	size_t vlen = len - nlen - 1;
#define IS(name) (nlen == sizeof(name) - 1 && strncasecmp(data, name, nlen) == 0)
	if (IS("content-type")) {
		set_once(&x->content_type, header_value(v, vlen));
	} else if (IS("location")) {
		set_once(&x->location, header_value(v, vlen));
	} else if (IS("retry-after")) {
		set_once(&x->retry_after, header_value(v, vlen));
	} else if (IS("docker-content-digest")) {
		set_once(&x->header_digest, header_value(v, vlen));
	} else if (IS("www-authenticate")) {
		if (x->challenges.n < MAX_AUTH_HEADERS)
			bg_strv_push_take(&x->challenges, header_value(v, vlen));
	} else if (IS("content-length")) {
		char *s = header_value(v, vlen);
		int64_t n = -1;
		if (s && *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 18)
			n = strtoll(s, NULL, 10);
		free(s);
		/* Two different lengths (or garbage) make the framing ambiguous. */
		if (n < 0 || (x->content_length >= 0 && x->content_length != n))
			x->conflicting_length = true;
		x->content_length = n;
	}
#undef IS
	return len;
}

/* Keeps at most one curl chunk: while unread data is buffered the transfer
 * is paused, so memory stays bounded whatever the body size. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	xfer *x = userdata;
	size_t len = size * nmemb;
	if (x->buf_off < x->buf_len) {
		x->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	x->buf_off = x->buf_len = 0;
	if (len > x->buf_cap) {
		unsigned char *nb = realloc(x->buf, len);
		if (!nb) {
			x->oom = true;
			return 0; /* aborts the transfer */
		}
		x->buf = nb;
		x->buf_cap = len;
	}
	memcpy(x->buf, data, len);
	x->buf_len = len;
	return len;
}

static int curl_oom(bg_error *err)
{
	return bg_error_set(err, BG_E_NOMEM, "out of memory setting up an HTTP request");
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *userptr)
{
	bg_registry *r = userptr;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&r->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userptr)
{
	bg_registry *r = userptr;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&r->share_locks[data]);
}

/* Starts a transfer.  auth: a complete "Authorization: ..." header line or
 * NULL.  timeout_ms: whole-transfer limit (0: none). */
static int xfer_start(bg_registry *r, const char *method, const char *url, const char *accept,
		      const char *auth, uint64_t timeout_ms, xfer **out, bg_error *err)
{
	*out = NULL;
	xfer *x = calloc(1, sizeof *x);
	if (!x)
		return curl_oom(err);
	x->content_length = -1;
	x->url = bg_strdup(url);
	x->multi = curl_multi_init();
	x->easy = curl_easy_init();
	if (!x->url || !x->multi || !x->easy) {
		xfer_free(x);
		return curl_oom(err);
	}
	CURL *e = x->easy;
	const char *protocols = r->insecure ? "http,https" : "https";
	bool head = strcmp(method, "HEAD") == 0;
	char agent[64];
	snprintf(agent, sizeof agent, "bootgate/%s", BG_VERSION);

	CURLcode c = CURLE_OK;
#define SET(opt, val)                                     \
	do {                                              \
		if (c == CURLE_OK)                        \
			c = curl_easy_setopt(e, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, protocols);
	SET(CURLOPT_REDIR_PROTOCOLS_STR, protocols);
	SET(CURLOPT_FOLLOWLOCATION, 0L); /* redirects are checked and followed by request() */
	SET(CURLOPT_UNRESTRICTED_AUTH, 0L);
	SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, agent);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_BUFFERSIZE, (long)XFER_BUFFER_SIZE);
	/* Each transfer has its own connection, so HTTP/2 multiplexing buys
	 * nothing, and its flow control around paused streams measured ~15%
	 * slower on a 150 MB blob: speak HTTP/1.1. */
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_CONNECTTIMEOUT, (long)r->connect_s);
	SET(CURLOPT_LOW_SPEED_LIMIT, 1024L);
	SET(CURLOPT_LOW_SPEED_TIME, (long)r->low_speed_s);
	if (timeout_ms)
		SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	SET(CURLOPT_SSL_VERIFYPEER, r->insecure ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, r->insecure ? 0L : 2L);
	if (r->ca_bundle) {
		struct curl_blob blob = {.data = r->ca_bundle, .len = r->ca_bundle_len,
					 .flags = CURL_BLOB_NOCOPY};
		SET(CURLOPT_CAINFO_BLOB, &blob);
	}
	if (r->client_cert) {
		SET(CURLOPT_SSLCERT, r->client_cert);
		SET(CURLOPT_SSLKEY, r->client_key);
	}
	if (r->share)
		SET(CURLOPT_SHARE, r->share);
	if (head)
		SET(CURLOPT_NOBODY, 1L);
	else
		SET(CURLOPT_HTTPGET, 1L);
#undef SET
	if (c != CURLE_OK) {
		int rc = bg_error_set(err, BG_E_EVAL, "setting up the request for %s: %s", url,
				      curl_easy_strerror(c));
		xfer_free(x);
		return rc;
	}
	struct curl_slist *l = NULL;
	if (accept) {
		char *h = NULL;
		if (asprintf(&h, "Accept: %s", accept) < 0 || !(l = curl_slist_append(x->headers, h))) {
			free(h);
			xfer_free(x);
			return curl_oom(err);
		}
		free(h);
		x->headers = l;
	}
	if (auth) {
		if (!(l = curl_slist_append(x->headers, auth))) {
			xfer_free(x);
			return curl_oom(err);
		}
		x->headers = l;
	}
	if (x->headers && curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers) != CURLE_OK) {
		xfer_free(x);
		return curl_oom(err);
	}
	if (curl_multi_add_handle(x->multi, e) != CURLM_OK) {
		xfer_free(x);
		return curl_oom(err);
	}
	*out = x;
	return 0;
}

/* One round of libcurl work; waits up to wait_ms for the socket when no
 * progress was made. */
static void xfer_pump(xfer *x, int wait_ms)
{
	int running = 0;
	if (curl_multi_perform(x->multi, &running) != CURLM_OK) {
		x->done = true;
		x->result = CURLE_FAILED_INIT;
		return;
	}
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(x->multi, &left))) {
		if (m->msg == CURLMSG_DONE) {
			x->done = true;
			x->result = m->data.result;
		}
	}
	if (!x->done && !x->head_done && wait_ms > 0)
		curl_multi_poll(x->multi, NULL, 0, wait_ms, NULL);
}

/* Runs until the response head is complete (or the transfer ended).
 * deadline_ms: absolute monotonic time (0: none).  Returns false on timeout. */
static bool xfer_wait_head(xfer *x, uint64_t deadline_ms)
{
	while (!x->head_done && !x->done) {
		if (deadline_ms && now_ms() >= deadline_ms)
			return false;
		xfer_pump(x, 200);
	}
	return true;
}

/* Body bytes: > 0, 0 at the end, -1 when the transfer failed (x->result). */
static ssize_t xfer_read(xfer *x, void *out, size_t len)
{
	for (;;) {
		if (x->buf_off < x->buf_len) {
			size_t n = x->buf_len - x->buf_off;
			if (n > len)
				n = len;
			memcpy(out, x->buf + x->buf_off, n);
			x->buf_off += n;
			return (ssize_t)n;
		}
		if (x->paused) {
			x->paused = false;
			curl_easy_pause(x->easy, CURLPAUSE_CONT);
			continue;
		}
		if (x->done)
			return x->result == CURLE_OK && !x->oom ? 0 : -1;
		int running = 0;
		if (curl_multi_perform(x->multi, &running) != CURLM_OK) {
			x->done = true;
			x->result = CURLE_FAILED_INIT;
			continue;
		}
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(x->multi, &left))) {
			if (m->msg == CURLMSG_DONE) {
				x->done = true;
				x->result = m->data.result;
			}
		}
		if (x->buf_off >= x->buf_len && !x->done && !x->paused)
			curl_multi_poll(x->multi, NULL, 0, 1000, NULL);
	}
}

/* The transfer's failure in words ("Connection refused", "Operation timed
 * out after ..."). */
static const char *xfer_error(const xfer *x)
{
	if (x->oom)
		return "out of memory";
	return x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->result);
}

/* Connection-level failures worth another try. */
static bool retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static bool retryable_status(long s)
{
	return s == 429 || s == 502 || s == 503 || s == 504;
}

/* ------------------------------------------------------------------ */
/* 3. One request: redirects, auth per hop, retries                    */
/* ------------------------------------------------------------------ */

/* The URL without its query (presigned redirect URLs carry signatures). */
static char *url_for_message(const char *url)
{
	return bg_strndup(url, strcspn(url, "?#"));
}

typedef struct origin {
	char *scheme, *host, *port;
} origin;

static void origin_free(origin *o)
{
	curl_free(o->scheme);
	curl_free(o->host);
	curl_free(o->port);
	memset(o, 0, sizeof *o);
}

static int origin_of(const char *url, origin *o)
{
	memset(o, 0, sizeof *o);
	CURLU *u = curl_url();
	if (!u)
		return -1;
	int rc = -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &o->scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &o->host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &o->port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		rc = 0;
	curl_url_cleanup(u);
	if (rc < 0)
		origin_free(o);
	return rc;
}

/* Same scheme, host and port (the boundary credentials must not cross). */
static bool same_origin(const char *a, const char *b)
{
	origin oa, ob;
	if (origin_of(a, &oa) < 0)
		return false;
	if (origin_of(b, &ob) < 0) {
		origin_free(&oa);
		return false;
	}
	bool same = strcasecmp(oa.scheme, ob.scheme) == 0 && strcasecmp(oa.host, ob.host) == 0 &&
		    strcmp(oa.port, ob.port) == 0;
	origin_free(&oa);
	origin_free(&ob);
	return same;
}

static int check_scheme(const bg_registry *r, const char *url, const char *why, bg_error *err)
{
	origin o;
	if (origin_of(url, &o) < 0) {
		_cleanup_free_ char *m = url_for_message(url);
		return bg_error_set(err, BG_E_EVAL, "%s: \"%s\" is not a valid URL", why, m ? m : "");
	}
	bool ok = strcasecmp(o.scheme, "https") == 0 || (r->insecure && strcasecmp(o.scheme, "http") == 0);
	origin_free(&o);
	if (!ok) {
		_cleanup_free_ char *m = url_for_message(url);
		return bg_error_set(err, BG_E_EVAL,
				    "%s: refusing %s: only https is allowed (http only with "
				    "--tls-verify=false, for a registry you trust on that network)",
				    why, m ? m : "");
	}
	return 0;
}

enum body_mode { BODY_NONE, BODY_BUFFER, BODY_STREAM };

typedef struct request {
	const char *method;      /* "GET" or "HEAD" */
	const char *url;
	const char *accept;      /* or NULL */
	const char *scope;       /* registry auth for this scope on the registry origin, or NULL */
	const char *basic_user;  /* explicit Basic credentials (token request) ... */
	const char *basic_pass;
	const char *basic_origin; /* ... sent only to this URL's origin */
	bool accept_401;         /* the ping: 401 is an answer, not an error */
	enum body_mode body;
	size_t max_body;         /* BODY_BUFFER cap */
	const char *what;        /* "manifest", "blob", "token request", "ping" */
	unsigned max_attempts;   /* 0: the registry's */
	bool no_retry_transport; /* insecure https probe: fail fast */
} request;

typedef struct response {
	xfer *x;        /* head (and for BODY_STREAM the open body) */
	char *data;     /* BODY_BUFFER */
	size_t len;
} response;

static void response_free(response *rs)
{
	xfer_free(rs->x);
	free(rs->data);
	memset(rs, 0, sizeof *rs);
}

static char *basic_header(const char *user, const char *pass)
{
	size_t ul = strlen(user), pl = strlen(pass);
	size_t n = ul + 1 + pl;
	unsigned char *plain = malloc(n + 1);
	char *enc = malloc(4 * ((n + 2) / 3) + 1);
	char *h = NULL;
	if (plain && enc) {
		memcpy(plain, user, ul);
		plain[ul] = ':';
		memcpy(plain + ul + 1, pass, pl);
		EVP_EncodeBlock((unsigned char *)enc, plain, (int)n);
		if (asprintf(&h, "Authorization: Basic %s", enc) < 0)
			h = NULL;
		explicit_bzero(plain, n);
		explicit_bzero(enc, strlen(enc));
	}
	free(plain);
	free(enc);
	return h;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static int registry_auth_header(bg_registry *r, const char *scope, char **hdr, bg_error *err);
static void registry_forget_token(bg_registry *r, const char *scope, const xfer *x);

/* "MANIFEST_UNKNOWN: manifest unknown" from a registry's JSON error body. */
static char *registry_error_text(const char *data, size_t len)
{
	if (!data || !len)
		return NULL;
	json_object *root = NULL;
	bg_error ignored = {0};
	if (bg_json_parse_strict(data, len, NULL, &root, &ignored) < 0)
		return NULL;
	char *out = NULL;
	json_object *errors = NULL, *first;
	if (json_object_is_type(root, json_type_object) &&
	    json_object_object_get_ex(root, "errors", &errors) &&
	    json_object_is_type(errors, json_type_array) && json_object_array_length(errors) > 0 &&
	    json_object_is_type((first = json_object_array_get_idx(errors, 0)), json_type_object)) {
		json_object *code = NULL, *msg = NULL;
		json_object_object_get_ex(first, "code", &code);
		json_object_object_get_ex(first, "message", &msg);
		bg_strbuf b = {0};
		if (json_object_is_type(code, json_type_string))
			bg_strbuf_puts(&b, json_object_get_string(code));
		if (json_object_is_type(msg, json_type_string)) {
			if (b.len)
				bg_strbuf_puts(&b, ": ");
			bg_strbuf_puts(&b, json_object_get_string(msg));
		}
		out = bg_strbuf_take(&b);
		/* Keep messages one short printable line. */
		if (out) {
			for (char *p = out; *p; p++)
				if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
					*p = ' ';
			if (strlen(out) > 200)
				strcpy(out + 197, "...");
		}
	}
	json_object_put(root);
	return out;
}

/* Reads the rest of a body into memory, at most max bytes. */
static int read_body(xfer *x, size_t max, char **data, size_t *len, bool *too_big)
{
	bg_strbuf b = {0};
	char chunk[16384];
	*too_big = false;
	for (;;) {
		ssize_t n = xfer_read(x, chunk, sizeof chunk);
		if (n < 0) {
			bg_strbuf_free(&b);
			return -1;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) {
			*too_big = true;
			bg_strbuf_free(&b);
			return -1;
		}
		bg_strbuf_add(&b, chunk, (size_t)n);
	}
	if (b.oom) {
		bg_strbuf_free(&b);
		x->oom = true;
		return -1;
	}
	*len = b.len;
	*data = bg_strbuf_take(&b);
	return *data ? 0 : -1;
}

static const char *status_hint(long status, bool have_creds)
{
	switch (status) {
	case 401:
		return have_creds ? "the registry refused the credentials; check --creds / --authfile"
				  : "the registry requires credentials; give --creds or --authfile";
	case 403:
		return "access denied; check that these credentials may pull this repository";
	case 404:
		return "not found; check the repository name, tag or digest";
	default:
		return "the registry answered with an error";
	}
}

static uint32_t random_u32(void)
{
	uint32_t v = 0;
	if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
		v = (uint32_t)now_ms() * 2654435761u;
	return v;
}

/* Performs the request; on success *rs has a 2xx (or, for accept_401, a
 * 401) response.  Everything about retries, redirects and auth is here. */
static int do_request(bg_registry *r, const request *q, response *rs, bg_error *err)
{
	memset(rs, 0, sizeof *rs);
	unsigned attempts = q->max_attempts ? q->max_attempts : r->max_attempts;
	uint64_t start = now_ms();
	uint64_t deadline = start + (uint64_t)r->deadline_s * 1000u;
	_cleanup_free_ char *what_url = url_for_message(q->url);
	bg_strbuf last = {0}; /* the last retryable failure, for the final message */
	bool auth_retried = false;
	int rc = 0;

	for (unsigned attempt = 1;; attempt++) {
		_cleanup_free_ char *url = bg_strdup(q->url);
		uint64_t retry_after_ms = 0;
		bool retry = false;
		if (!url) {
			rc = curl_oom(err);
			goto out;
		}
		for (unsigned hop = 0;; hop++) {
			if ((rc = check_scheme(r, url, q->what, err)) < 0)
				goto out;
			_cleanup_free_ char *msg_url = url_for_message(url);
			char *auth = NULL;
			if (q->basic_user && q->basic_origin && same_origin(url, q->basic_origin)) {
				if (!(auth = basic_header(q->basic_user, q->basic_pass ? q->basic_pass : ""))) {
					rc = curl_oom(err);
					goto out;
				}
			} else if (q->scope && r->base && same_origin(url, r->base)) {
				if ((rc = registry_auth_header(r, q->scope, &auth, err)) < 0)
					goto out;
			}
			uint64_t now = now_ms();
			if (now >= deadline) {
				wipe_free(auth);
				rc = bg_error_set(err, BG_E_EVAL,
						  "%s %s: no answer within the %u s deadline%s%s", q->what,
						  what_url, r->deadline_s, last.len ? "; last error: " : "",
						  last.len ? last.s : "");
				goto out;
			}
			xfer *x = NULL;
			rc = xfer_start(r, q->method, url, q->accept, auth,
					q->body == BODY_STREAM ? 0 : deadline - now, &x, err);
			wipe_free(auth);
			if (rc < 0)
				goto out;
			rs->x = x;
			if (!xfer_wait_head(x, deadline)) {
				bg_strbuf_free(&last);
				bg_strbuf_printf(&last, "%s: no response", msg_url);
				retry = true;
				break;
			}
			if (!x->head_done) {
				/* The exchange failed before a complete response. */
				bg_strbuf_free(&last);
				bg_strbuf_printf(&last, "%s: %s", msg_url, xfer_error(x));
				if (retryable_curl(x->result) && !q->no_retry_transport) {
					retry = true;
					break;
				}
				bool tls = x->result == CURLE_PEER_FAILED_VERIFICATION ||
					   x->result == CURLE_SSL_CACERT_BADFILE;
				rc = bg_error_set(err, BG_E_EVAL, "%s %s: %s%s", q->what, msg_url, xfer_error(x),
						  tls ? " (if the registry uses a private CA, give it with "
							"--cert-dir DIR containing ca.crt)"
						      : "");
				goto out;
			}
			long st = x->status;
			if (x->conflicting_length) {
				rc = bg_error_set(err, BG_E_EVAL,
						  "%s %s: the response has conflicting or invalid "
						  "Content-Length headers; refusing an ambiguous body",
						  q->what, msg_url);
				goto out;
			}
			if (st == 301 || st == 302 || st == 303 || st == 307 || st == 308) {
				char *next = NULL;
				if (curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &next) != CURLE_OK ||
				    !next) {
					rc = bg_error_set(err, BG_E_EVAL,
							  "%s %s: redirect (%ld) without a usable Location",
							  q->what, msg_url, st);
					goto out;
				}
				if (hop + 1 > BG_REGISTRY_MAX_REDIRECTS) {
					rc = bg_error_set(err, BG_E_EVAL,
							  "%s %s: more than %d redirects (a loop?)", q->what,
							  what_url, BG_REGISTRY_MAX_REDIRECTS);
					goto out;
				}
				char *copy = bg_strdup(next);
				if (!copy) {
					rc = curl_oom(err);
					goto out;
				}
				free(url);
				url = copy;
				xfer_free(rs->x);
				rs->x = NULL;
				if ((rc = check_scheme(r, url, "redirect", err)) < 0) {
					bg_error_prefix(err, "%s %s", q->what, msg_url);
					goto out;
				}
				continue;
			}
			if (st == 401 && q->accept_401) {
				rc = 0;
				goto done_head;
			}
			if (st == 401 && q->scope && !auth_retried && r->base && same_origin(url, r->base)) {
				/* An expired or revoked token: fetch a new one once. */
				auth_retried = true;
				registry_forget_token(r, q->scope, x);
				xfer_free(rs->x);
				rs->x = NULL;
				free(url);
				url = bg_strdup(q->url);
				if (!url) {
					rc = curl_oom(err);
					goto out;
				}
				hop = (unsigned)-1; /* restart the hops */
				continue;
			}
			if (st >= 200 && st < 300)
				goto done_head;

			/* An error status: read (a bounded part of) the body for the message. */
			char *body = NULL;
			size_t blen = 0;
			bool too_big = false;
			if (q->body != BODY_NONE)
				read_body(x, BG_MAX_ERROR_BODY_BYTES, &body, &blen, &too_big);
			_cleanup_free_ char *detail = registry_error_text(body, blen);
			free(body);
			if (retryable_status(st)) {
				bg_strbuf_free(&last);
				bg_strbuf_printf(&last, "%s: HTTP %ld%s%s", msg_url, st, detail ? " " : "",
						 detail ? detail : "");
				unsigned secs;
				if (x->retry_after &&
				    bg_registry_parse_retry_after(x->retry_after, time(NULL), &secs) == 0)
					retry_after_ms = (uint64_t)secs * 1000u;
				retry = true;
				break;
			}
			rc = bg_error_set(err, BG_E_EVAL, "%s %s: HTTP %ld%s%s%s: %s", q->what, msg_url, st,
					  detail ? " (" : "", detail ? detail : "", detail ? ")" : "",
					  status_hint(st, r->username || q->basic_user));
			goto out;
		}

		/* A retryable failure. */
		(void)retry;
		xfer_free(rs->x);
		rs->x = NULL;
		if (attempt >= attempts) {
			rc = bg_error_set(err, BG_E_EVAL, "%s %s: gave up after %u attempt%s in %.1f s: %s",
					  q->what, what_url, attempt, attempt == 1 ? "" : "s",
					  (double)(now_ms() - start) / 1000.0, last.s ? last.s : "failed");
			goto out;
		}
		uint64_t wait = bg_registry_backoff_ms(attempt, random_u32());
		if (retry_after_ms > wait)
			wait = retry_after_ms;
		uint64_t now = now_ms();
		if (now + wait >= deadline) {
			rc = bg_error_set(err, BG_E_EVAL,
					  "%s %s: giving up: the next retry (in %.1f s%s) would pass the "
					  "%u s deadline; last error: %s",
					  q->what, what_url, (double)wait / 1000.0,
					  retry_after_ms ? ", as Retry-After asked" : "", r->deadline_s,
					  last.s ? last.s : "failed");
			goto out;
		}
		sleep_ms(wait);
	}

done_head:
	if (q->body == BODY_BUFFER) {
		xfer *x = rs->x;
		if (x->content_length >= 0 && (uint64_t)x->content_length > q->max_body) {
			_cleanup_free_ char *m = url_for_message(x->url);
			rc = bg_error_set(err, BG_E_EVAL,
					  "%s %s: Content-Length %lld exceeds the %zu-byte limit", q->what,
					  m ? m : "", (long long)x->content_length, q->max_body);
			goto out;
		}
		bool too_big = false;
		if (read_body(x, q->max_body, &rs->data, &rs->len, &too_big) < 0) {
			_cleanup_free_ char *m = url_for_message(x->url);
			if (too_big)
				rc = bg_error_set(err, BG_E_EVAL, "%s %s: body exceeds the %zu-byte limit",
						  q->what, m ? m : "", q->max_body);
			else
				rc = bg_error_set(err, BG_E_EVAL, "%s %s: transfer failed: %s", q->what,
						  m ? m : "", xfer_error(x));
			goto out;
		}
		if (x->content_length >= 0 && (uint64_t)x->content_length != rs->len) {
			_cleanup_free_ char *m = url_for_message(x->url);
			rc = bg_error_set(err, BG_E_EVAL,
					  "%s %s: received %zu bytes but Content-Length said %lld", q->what,
					  m ? m : "", rs->len, (long long)x->content_length);
			goto out;
		}
	}
	rc = 0;
out:
	bg_strbuf_free(&last);
	if (rc < 0)
		response_free(rs);
	return rc;
}

/* ------------------------------------------------------------------ */
/* 4. The registry                                                     */
/* ------------------------------------------------------------------ */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init(void)
{
	/* The one-time library initialisation DESIGN.md allows. */
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* cert_dir: *.crt → one PEM bundle (CURLOPT_CAINFO_BLOB, in memory; the
 * system CA path stays trusted), *.cert + *.key → client certificate, as
 * containers/image's certs.d directories. */
static int load_cert_dir(bg_registry *r, const char *dir, bg_error *err)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return bg_error_set(err, BG_E_USAGE, "--cert-dir %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return bg_error_set(err, BG_E_USAGE, "--cert-dir %s: not a directory", dir);
	DIR *d = opendir(dir);
	if (!d)
		return bg_error_set(err, BG_E_USAGE, "--cert-dir %s: %s", dir, strerror(errno));
	bg_strv names = {0};
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && bg_strv_push(&names, e->d_name) < 0) {
			rc = curl_oom(err);
			break;
		}
	closedir(d);
	if (rc < 0) {
		bg_strv_free(&names);
		return rc;
	}
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, cmp_str);
	bg_strbuf pem = {0};
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		const char *n = names.v[i];
		_cleanup_free_ char *path = NULL;
		if (asprintf(&path, "%s/%s", dir, n) < 0) {
			path = NULL;
			rc = curl_oom(err);
			break;
		}
		if (bg_str_has_suffix(n, ".crt")) {
			char *data = NULL;
			size_t len = 0;
			if ((rc = bg_read_file(path, 4 * BG_MiB, &data, &len, err)) < 0) {
				bg_error_prefix(err, "--cert-dir");
				break;
			}
			bg_strbuf_add(&pem, data, len);
			bg_strbuf_putc(&pem, '\n');
			free(data);
		} else if (bg_str_has_suffix(n, ".cert")) {
			_cleanup_free_ char *key = bg_strndup(path, strlen(path) - 5);
			char *k2 = NULL;
			if (!key || asprintf(&k2, "%s.key", key) < 0) {
				rc = curl_oom(err);
				break;
			}
			if (access(k2, R_OK) != 0) {
				rc = bg_error_set(err, BG_E_USAGE,
						  "--cert-dir: client certificate %s has no matching key %s",
						  path, k2);
				free(k2);
				break;
			}
			if (r->client_cert) {
				free(k2);
				continue; /* one client pair is enough; the first (sorted) wins */
			}
			r->client_cert = BG_TAKE_PTR(path);
			r->client_key = k2;
		} else if (bg_str_has_suffix(n, ".key")) {
			_cleanup_free_ char *base = bg_strndup(path, strlen(path) - 4);
			char *c2 = NULL;
			if (!base || asprintf(&c2, "%s.cert", base) < 0) {
				rc = curl_oom(err);
				break;
			}
			bool has = access(c2, F_OK) == 0;
			free(c2);
			if (!has) {
				rc = bg_error_set(err, BG_E_USAGE,
						  "--cert-dir: key %s has no matching client certificate "
						  "(.cert)",
						  path);
				break;
			}
		}
	}
	bg_strv_free(&names);
	if (rc < 0) {
		bg_strbuf_free(&pem);
		return rc;
	}
	if (pem.len) {
		r->ca_bundle_len = pem.len;
		r->ca_bundle = bg_strbuf_take(&pem);
		if (!r->ca_bundle)
			return curl_oom(err);
	}
	return 0;
}

int bg_registry_new(const char *domain, const bg_registry_options *opts, bg_registry **out,
		    bg_error *err)
{
	static const bg_registry_options defaults = {0};
	if (!opts)
		opts = &defaults;
	*out = NULL;
	if (!valid_domain(domain))
		return bg_error_set(err, BG_E_EVAL, "registry \"%s\" is not a valid host[:port]",
				    domain ? domain : "");
	pthread_once(&curl_once, curl_init);
	if (curl_init_result != CURLE_OK)
		return bg_error_set(err, BG_E_EVAL, "libcurl initialisation failed: %s",
				    curl_easy_strerror(curl_init_result));
	bg_registry *r = calloc(1, sizeof *r);
	if (!r)
		return curl_oom(err);
	pthread_mutex_init(&r->lock, NULL);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&r->share_locks[i], NULL);
	r->domain = bg_strdup(domain);
	r->insecure = opts->insecure;
	r->max_attempts = opts->max_attempts ? opts->max_attempts : BG_REGISTRY_DEFAULT_ATTEMPTS;
	r->deadline_s = opts->deadline_seconds ? opts->deadline_seconds : BG_REGISTRY_DEFAULT_DEADLINE;
	r->connect_s = opts->connect_timeout ? opts->connect_timeout : BG_REGISTRY_DEFAULT_CONNECT;
	r->low_speed_s = opts->low_speed_seconds ? opts->low_speed_seconds : BG_REGISTRY_DEFAULT_LOW_SPEED;
	r->progress = opts->progress;
	r->progress_ctx = opts->progress_ctx;
	if (!r->domain || (opts->username && !(r->username = bg_strdup(opts->username))) ||
	    (opts->password && !(r->password = bg_strdup(opts->password)))) {
		bg_registry_free(r);
		return curl_oom(err);
	}
	if (r->username && !r->password && !(r->password = bg_strdup(""))) {
		bg_registry_free(r);
		return curl_oom(err);
	}
	if (opts->cert_dir) {
		int rc = load_cert_dir(r, opts->cert_dir, err);
		if (rc < 0) {
			bg_registry_free(r);
			return rc;
		}
	}
	/* DNS answers and TLS sessions are shared between this registry's
	 * requests (each has its own handle; the share has its own locks). */
	r->share = curl_share_init();
	if (r->share) {
		curl_share_setopt(r->share, CURLSHOPT_LOCKFUNC, share_lock);
		curl_share_setopt(r->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
		curl_share_setopt(r->share, CURLSHOPT_USERDATA, r);
		curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
		curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	}
	*out = r;
	return 0;
}

char *bg_registry_describe_url(const bg_registry *r, const char *repository, const char *kind,
			       const char *reference)
{
	char *url = NULL;
	bg_error e = {0};
	if (bg_registry_url(r->domain, r->use_http, repository, kind, reference, &url, &e) < 0)
		return NULL;
	return url;
}

void bg_registry_free(bg_registry *r)
{
	if (!r)
		return;
	if (r->share)
		curl_share_cleanup(r->share);
	for (size_t i = 0; i < r->n_tokens; i++) {
		free(r->tokens[i].scope);
		wipe_free(r->tokens[i].token);
	}
	free(r->tokens);
	free(r->domain);
	wipe_free(r->username);
	wipe_free(r->password);
	free(r->ca_bundle);
	free(r->client_cert);
	free(r->client_key);
	free(r->base);
	free(r->realm);
	free(r->service);
	pthread_mutex_destroy(&r->lock);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&r->share_locks[i]);
	free(r);
}

/* Records the auth scheme from a 401's challenges.  Caller holds r->lock. */
static int adopt_challenges(bg_registry *r, const bg_strv *headers, bg_error *err)
{
	bg_registry_challenges list = {0};
	for (size_t i = 0; i < headers->n; i++) {
		int rc = bg_registry_parse_challenges(headers->v[i], &list, err);
		if (rc < 0) {
			bg_registry_challenges_free(&list);
			bg_error_prefix(err, "registry %s", r->domain);
			return rc;
		}
	}
	const bg_registry_challenge *c = bg_registry_pick_challenge(&list);
	int rc = 0;
	if (!c) {
		bg_strbuf schemes = {0};
		for (size_t i = 0; i < list.n; i++)
			bg_strbuf_printf(&schemes, "%s%s", i ? ", " : "", list.v[i].scheme);
		rc = bg_error_set(err, BG_E_EVAL,
				  "registry %s asks for authentication bootgate does not support "
				  "(offered: %s; supported: Bearer, Basic)",
				  r->domain, schemes.len ? schemes.s : "no WWW-Authenticate challenge");
		bg_strbuf_free(&schemes);
	} else if (strcmp(c->scheme, "basic") == 0) {
		r->scheme = AUTH_BASIC;
	} else {
		const char *realm = bg_registry_challenge_param(c, "realm");
		const char *service = bg_registry_challenge_param(c, "service");
		if (!realm || !*realm) {
			rc = bg_error_set(err, BG_E_EVAL,
					  "registry %s: its Bearer challenge has no realm to get a token from",
					  r->domain);
		} else if ((rc = check_scheme(r, realm, "token realm", err)) == 0) {
			char *nr = bg_strdup(realm), *ns = service ? bg_strdup(service) : NULL;
			if (!nr || (service && !ns)) {
				free(nr);
				free(ns);
				rc = curl_oom(err);
			} else {
				free(r->realm);
				free(r->service);
				r->realm = nr;
				r->service = ns;
				r->scheme = AUTH_BEARER;
			}
		}
	}
	bg_registry_challenges_free(&list);
	return rc;
}

static int ping_once(bg_registry *r, bool http, bool fail_fast, bg_error *err)
{
	_cleanup_free_ char *url = NULL;
	int rc = bg_registry_url(r->domain, http, NULL, NULL, NULL, &url, err);
	if (rc < 0)
		return rc;
	request q = {.method = "GET", .url = url, .accept_401 = true, .body = BODY_BUFFER,
		     .max_body = BG_MAX_ERROR_BODY_BYTES, .what = "registry ping",
		     .max_attempts = fail_fast ? 1 : 0, .no_retry_transport = fail_fast};
	response rs;
	if ((rc = do_request(r, &q, &rs, err)) < 0)
		return rc;
	if (rs.x->status == 401)
		rc = adopt_challenges(r, &rs.x->challenges, err);
	else
		r->scheme = AUTH_NONE;
	if (rc == 0) {
		free(r->base);
		r->base = NULL;
		if (asprintf(&r->base, "%s://%s", http ? "http" : "https",
			     bg_registry_api_host(r->domain)) < 0) {
			r->base = NULL;
			rc = curl_oom(err);
		} else {
			r->use_http = http;
			r->pinged = true;
		}
	}
	response_free(&rs);
	return rc;
}

/* GET /v2/ once per registry: which scheme (https, or http for an insecure
 * registry without TLS) and which authentication. */
static int ensure_ping(bg_registry *r, bg_error *err)
{
	pthread_mutex_lock(&r->lock);
	int rc = 0;
	if (!r->pinged) {
		if (!r->insecure) {
			rc = ping_once(r, false, false, err);
		} else {
			bg_error first = {0};
			rc = ping_once(r, false, true, &first);
			if (rc < 0 && rc != BG_E_NOMEM) {
				rc = ping_once(r, true, false, err);
				if (rc < 0)
					bg_error_prefix(err, "over https: %s; over http", first.message);
			} else if (rc < 0) {
				*err = first;
			}
		}
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static int fetch_token(bg_registry *r, const char *scope, char **token, int64_t *expires,
		       bg_error *err)
{
	_cleanup_free_ char *url = bg_registry_token_url(r->realm, r->service, scope, r->username);
	if (!url)
		return curl_oom(err);
	request q = {.method = "GET", .url = url, .basic_user = r->username, .basic_pass = r->password,
		     .basic_origin = r->realm, .body = BODY_BUFFER, .max_body = BG_MAX_TOKEN_BYTES,
		     .what = "token request", .accept = "application/json"};
	response rs;
	int rc = do_request(r, &q, &rs, err);
	if (rc < 0)
		return rc;
	_cleanup_free_ char *where = url_for_message(r->realm);
	char what[512];
	snprintf(what, sizeof what, "token from %s for %s", where ? where : "realm", scope);
	rc = bg_registry_parse_token(rs.data, rs.len, what, token, expires, err);
	explicit_bzero(rs.data, rs.len);
	response_free(&rs);
	return rc;
}

/* The Authorization header for a request to the registry origin, or NULL
 * when none is needed.  Fetches (and caches) bearer tokens. */
static int registry_auth_header(bg_registry *r, const char *scope, char **hdr, bg_error *err)
{
	*hdr = NULL;
	pthread_mutex_lock(&r->lock);
	int rc = 0;
	if (r->scheme == AUTH_BASIC) {
		if (r->username && !(*hdr = basic_header(r->username, r->password)))
			rc = curl_oom(err);
	} else if (r->scheme == AUTH_BEARER) {
		uint64_t now = now_ms();
		const char *tok = NULL;
		for (size_t i = 0; i < r->n_tokens; i++)
			if (strcmp(r->tokens[i].scope, scope) == 0 && r->tokens[i].expires_ms > now + 10000)
				tok = r->tokens[i].token;
		if (!tok) {
			char *t = NULL;
			int64_t exp = 0;
			rc = fetch_token(r, scope, &t, &exp, err);
			if (rc == 0) {
				struct token_entry *slot = NULL;
				for (size_t i = 0; i < r->n_tokens; i++)
					if (strcmp(r->tokens[i].scope, scope) == 0)
						slot = &r->tokens[i];
				if (!slot) {
					struct token_entry *nt =
						realloc(r->tokens, (r->n_tokens + 1) * sizeof *nt);
					char *s = bg_strdup(scope);
					if (!nt || !s) {
						if (nt)
							r->tokens = nt;
						free(s);
						wipe_free(t);
						rc = curl_oom(err);
						goto out;
					}
					r->tokens = nt;
					slot = &r->tokens[r->n_tokens++];
					slot->scope = s;
					slot->token = NULL;
				}
				wipe_free(slot->token);
				slot->token = t;
				slot->expires_ms = now_ms() + (uint64_t)exp * 1000u;
				tok = t;
			}
		}
		if (tok && asprintf(hdr, "Authorization: Bearer %s", tok) < 0) {
			*hdr = NULL;
			rc = curl_oom(err);
		}
	}
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* After a 401 on the registry: drop the cached token and take the new
 * challenge (realm or service may have changed). */
static void registry_forget_token(bg_registry *r, const char *scope, const xfer *x)
{
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n_tokens; i++)
		if (strcmp(r->tokens[i].scope, scope) == 0)
			r->tokens[i].expires_ms = 0;
	if (x->challenges.n) {
		bg_error ignored = {0};
		adopt_challenges(r, &x->challenges, &ignored);
	}
	pthread_mutex_unlock(&r->lock);
}

void bg_registry_manifest_free(bg_registry_manifest *m)
{
	if (!m)
		return;
	free(m->data);
	free(m->content_type);
	free(m->header_digest);
	free(m->url);
	memset(m, 0, sizeof *m);
}

/* "application/json; charset=utf-8" → "application/json". */
static char *media_type_only(const char *ct)
{
	if (!ct)
		return NULL;
	size_t n = strcspn(ct, ";");
	while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	return bg_strndup(ct, n);
}

static int manifest_request(bg_registry *r, const char *repository, const char *reference, bool head,
			    bg_registry_manifest *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	int rc = ensure_ping(r, err);
	if (rc < 0)
		return rc;
	_cleanup_free_ char *url = NULL;
	if ((rc = bg_registry_url(r->domain, r->use_http, repository, "manifests", reference, &url, err)) <
	    0)
		return rc;
	_cleanup_free_ char *scope = bg_registry_scope(repository);
	if (!scope)
		return curl_oom(err);
	request q = {.method = head ? "HEAD" : "GET", .url = url, .accept = BG_MANIFEST_ACCEPT,
		     .scope = scope, .body = head ? BODY_NONE : BODY_BUFFER,
		     .max_body = BG_MAX_MANIFEST_BYTES, .what = "manifest"};
	response rs;
	if ((rc = do_request(r, &q, &rs, err)) < 0)
		return rc;
	out->url = bg_strdup(url);
	out->content_type = media_type_only(rs.x->content_type);
	out->header_digest = bg_strdup(rs.x->header_digest);
	out->content_length = rs.x->content_length;
	if (!out->url || (rs.x->content_type && !out->content_type) ||
	    (rs.x->header_digest && !out->header_digest)) {
		rc = curl_oom(err);
		goto fail;
	}
	const char *ct = out->content_type ? out->content_type : "";
	if (strcasecmp(ct, BG_MEDIA_DOCKER_SCHEMA1) == 0 ||
	    strcasecmp(ct, BG_MEDIA_DOCKER_SCHEMA1_SIGNED) == 0) {
		rc = bg_error_set(err, BG_E_EVAL,
				  "manifest %s: the registry served a Docker schema1 manifest (%s), which "
				  "bootgate refuses (deprecated, unverifiable digests); push the image "
				  "again as OCI or Docker schema2",
				  url, ct);
		goto fail;
	}
	if (strncasecmp(ct, "text/html", 9) == 0) {
		rc = bg_error_set(err, BG_E_EVAL,
				  "manifest %s: the server answered with an HTML page, not a manifest "
				  "(a proxy, login or captive portal in the way?)",
				  url);
		goto fail;
	}
	if (!head) {
		size_t i = 0;
		while (i < rs.len && strchr(" \t\r\n", rs.data[i]))
			i++;
		if (i == rs.len || rs.data[i] != '{') {
			bool html = i < rs.len && rs.data[i] == '<';
			rc = bg_error_set(err, BG_E_EVAL, "manifest %s: the body is %s, not a JSON manifest%s",
					  url, html ? "HTML" : (i == rs.len ? "empty" : "not JSON"),
					  html ? " (a proxy, login or captive portal in the way?)" : "");
			goto fail;
		}
		out->data = BG_TAKE_PTR(rs.data);
		out->len = rs.len;
	}
	response_free(&rs);
	return 0;
fail:
	response_free(&rs);
	bg_registry_manifest_free(out);
	return rc;
}

int bg_registry_get_manifest(bg_registry *r, const char *repository, const char *reference,
			     bg_registry_manifest *out, bg_error *err)
{
	return manifest_request(r, repository, reference, false, out, err);
}

int bg_registry_head_manifest(bg_registry *r, const char *repository, const char *reference,
			      bg_registry_manifest *out, bg_error *err)
{
	return manifest_request(r, repository, reference, true, out, err);
}

struct bg_registry_blob {
	bg_registry *r;
	xfer *x;
	char *url;       /* without query, for messages */
	char *digest;
	int64_t expected; /* -1: unknown */
	uint64_t received;
	bool finished;
};

int bg_registry_blob_open(bg_registry *r, const char *repository, const char *digest,
			  int64_t expected_size, bg_registry_blob **out, bg_error *err)
{
	*out = NULL;
	int rc = ensure_ping(r, err);
	if (rc < 0)
		return rc;
	_cleanup_free_ char *url = NULL;
	if ((rc = bg_registry_url(r->domain, r->use_http, repository, "blobs", digest, &url, err)) < 0)
		return rc;
	_cleanup_free_ char *scope = bg_registry_scope(repository);
	if (!scope)
		return curl_oom(err);
	request q = {.method = "GET", .url = url, .scope = scope, .body = BODY_STREAM, .what = "blob"};
	response rs;
	if ((rc = do_request(r, &q, &rs, err)) < 0)
		return rc;
	int64_t cl = rs.x->content_length;
	if (expected_size >= 0 && cl > expected_size) {
		rc = bg_error_set(err, BG_E_EVAL,
				  "blob %s: the server announces %lld bytes but the descriptor says %lld; "
				  "refusing to read (wrong or tampered blob)",
				  url, (long long)cl, (long long)expected_size);
		response_free(&rs);
		return rc;
	}
	bg_registry_blob *b = calloc(1, sizeof *b);
	if (!b || !(b->url = bg_strdup(url)) || !(b->digest = bg_strdup(digest))) {
		if (b)
			free(b->url);
		free(b);
		response_free(&rs);
		return curl_oom(err);
	}
	b->r = r;
	b->x = BG_TAKE_PTR(rs.x);
	b->expected = expected_size;
	*out = b;
	return 0;
}

ssize_t bg_registry_blob_read(bg_registry_blob *b, void *buf, size_t len, bg_error *err)
{
	if (b->finished || len == 0)
		return 0;
	ssize_t n = xfer_read(b->x, buf, len);
	if (n < 0)
		return bg_error_set(err, BG_E_EVAL, "blob %s: transfer failed after %llu bytes: %s", b->url,
				    (unsigned long long)b->received, xfer_error(b->x));
	int64_t cl = b->x->content_length;
	if (n == 0) {
		b->finished = true;
		if (cl >= 0 && b->received != (uint64_t)cl)
			return bg_error_set(err, BG_E_EVAL,
					    "blob %s: truncated: %llu of %lld announced bytes received",
					    b->url, (unsigned long long)b->received, (long long)cl);
		if (b->expected >= 0 && b->received < (uint64_t)b->expected)
			return bg_error_set(err, BG_E_EVAL,
					    "blob %s: truncated: %llu of the descriptor's %lld bytes received",
					    b->url, (unsigned long long)b->received,
					    (long long)b->expected);
		if (b->r->progress)
			b->r->progress(b->r->progress_ctx, b->digest, b->received,
				       b->expected >= 0 ? (uint64_t)b->expected : b->received);
		return 0;
	}
	b->received += (uint64_t)n;
	if (b->expected >= 0 && b->received > (uint64_t)b->expected)
		return bg_error_set(err, BG_E_EVAL,
				    "blob %s: more bytes than the descriptor's size %lld (wrong or tampered "
				    "blob)",
				    b->url, (long long)b->expected);
	if (cl >= 0 && b->received > (uint64_t)cl)
		return bg_error_set(err, BG_E_EVAL, "blob %s: more bytes than the announced %lld",
				    b->url, (long long)cl);
	if (b->r->progress)
		b->r->progress(b->r->progress_ctx, b->digest, b->received,
			       b->expected >= 0 ? (uint64_t)b->expected : 0);
	return n;
}

void bg_registry_blob_close(bg_registry_blob *b)
{
	if (!b)
		return;
	xfer_free(b->x);
	free(b->url);
	free(b->digest);
	free(b);
}
