/* bootgate — an OCI distribution (registry v2) client on libcurl, pull side.
 *
 * One bg_registry talks to one registry host.  It pings `/v2/` once, reads
 * the WWW-Authenticate challenges (RFC 7235: several headers, several
 * challenges per header) and then authenticates every request the way the
 * registry asked: a bearer token per scope from the token realm (anonymous,
 * or with the credentials as HTTP Basic to the realm; `token` or
 * `access_token`; cached until expires_in, at least 60 s), or HTTP Basic.
 *
 * Transport rules (DESIGN.md "Security rules"):
 *   - TLS always verified (system CAs plus the *.crt of cert_dir; *.cert +
 *     *.key there as client certificate); insecure only when asked, and only
 *     then may http be used (https is tried first, http when TLS fails).
 *   - libcurl may speak https only (http too when insecure), on the first
 *     request and on redirects.  Redirects are followed by this code, not by
 *     libcurl: at most 10, only to https (or http when insecure), and the
 *     Authorization header is attached only while the URL is on the origin
 *     (scheme, host, port) the credential belongs to — a blob redirect to a
 *     CDN never carries it.  CURLOPT_UNRESTRICTED_AUTH stays 0 as well.
 *   - Retries with exponential backoff and jitter on connection errors and
 *     on 429 (Retry-After honoured), 502, 503, 504 — at most max_attempts
 *     tries and deadline_seconds in total; never on 401, 403, 404 or other
 *     answers.  Connect timeout and a low-speed limit (1 KiB/s for
 *     low_speed_seconds) so a stalled server cannot hang CI.  The deadline
 *     covers a whole manifest/token request; for a blob it covers getting the
 *     response started (the body may take as long as it keeps moving).
 *   - Body caps: manifest 4 MiB, token and error bodies 1 MiB; a
 *     Content-Length over the cap fails before reading.  A manifest served as
 *     HTML or that does not start like JSON fails naming the URL.  Blobs are
 *     streamed through a small buffer (memory does not grow with the blob);
 *     a Content-Length larger than the expected size fails before reading,
 *     and more bytes than announced or expected fail at once.
 *   - No proxy decision is made here: libcurl honours https_proxy/no_proxy
 *     from the environment as skopeo does.  No .netrc, no Accept-Encoding.
 *
 * Errors are BG_E_EVAL ("could not evaluate": exit 3) naming the URL and
 * what to do; BG_E_USAGE for options that cannot work (a cert dir that is
 * not a directory).  Credentials never appear in messages.
 *
 * Thread safety: one bg_registry may be used from several threads at once
 * (each request has its own curl handle; the auth state and token cache are
 * behind a mutex).  A bg_registry_blob belongs to one thread at a time. */
#ifndef BOOTGATE_REGISTRY_H
#define BOOTGATE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "bootgate/error.h"

#define BG_REGISTRY_MAX_REDIRECTS 10
#define BG_REGISTRY_DEFAULT_ATTEMPTS 5
#define BG_REGISTRY_DEFAULT_DEADLINE 300   /* seconds */
#define BG_REGISTRY_DEFAULT_CONNECT 30     /* seconds */
#define BG_REGISTRY_DEFAULT_LOW_SPEED 60   /* seconds below 1 KiB/s */
#define BG_REGISTRY_MIN_TOKEN_LIFETIME 60  /* seconds, as containers/image */

typedef struct bg_registry_options {
	const char *username;        /* credentials for this registry, or NULL */
	const char *password;
	const char *cert_dir;        /* CA files *.crt, client pair *.cert + *.key; or NULL */
	bool insecure;               /* no TLS verification; http allowed */
	unsigned max_attempts;       /* 0: BG_REGISTRY_DEFAULT_ATTEMPTS */
	unsigned deadline_seconds;   /* 0: BG_REGISTRY_DEFAULT_DEADLINE */
	unsigned connect_timeout;    /* 0: BG_REGISTRY_DEFAULT_CONNECT */
	unsigned low_speed_seconds;  /* 0: BG_REGISTRY_DEFAULT_LOW_SPEED */
	/* Called while a blob is read (from the reading thread); NULL: none. */
	void (*progress)(void *ctx, const char *what, uint64_t done, uint64_t total);
	void *progress_ctx;
} bg_registry_options;

typedef struct bg_registry bg_registry;

/* domain: as in a reference ("quay.io", "localhost:5000", "[::1]:5000",
 * "docker.io" — which is reached at registry-1.docker.io).  Nothing is sent
 * until the first request.  The options' strings are copied. */
int bg_registry_new(const char *domain, const bg_registry_options *opts, bg_registry **out,
		    bg_error *err);
void bg_registry_free(bg_registry *r);

/* The URL a request for repository/kind/reference goes to (kind "blobs" or
 * "manifests"), for messages; NULL when it cannot be built or on OOM. */
char *bg_registry_describe_url(const bg_registry *r, const char *repository, const char *kind,
			       const char *reference);

/* A manifest as served.  data is NUL-terminated (len excludes the NUL);
 * NULL after a HEAD. */
typedef struct bg_registry_manifest {
	char *data;
	size_t len;
	char *content_type;   /* without parameters, or NULL when not sent */
	char *header_digest;  /* Docker-Content-Digest as sent (never trusted), or NULL */
	int64_t content_length; /* -1 when not sent */
	char *url;            /* the URL asked for, for messages */
} bg_registry_manifest;

void bg_registry_manifest_free(bg_registry_manifest *m);

/* GET /v2/<repository>/manifests/<tag or digest> with Accept:
 * BG_MANIFEST_ACCEPT.  Refuses (BG_E_EVAL, naming the URL) schema1, HTML,
 * and bodies that do not start like a JSON object.  The caller hashes the
 * bytes: nothing here is verified against a digest. */
int bg_registry_get_manifest(bg_registry *r, const char *repository, const char *reference,
			     bg_registry_manifest *out, bg_error *err);
/* The same with HEAD: content_type, header_digest, content_length only. */
int bg_registry_head_manifest(bg_registry *r, const char *repository, const char *reference,
			      bg_registry_manifest *out, bg_error *err);

/* A blob being downloaded.  bg_registry_blob_read returns bytes (0 at the
 * end of the body), or a negative bg_status with err filled.  It enforces
 * sizes (expected_size from the descriptor, Content-Length) but does not
 * hash: the source layer (bg_blob) verifies the digest. */
typedef struct bg_registry_blob bg_registry_blob;
int bg_registry_blob_open(bg_registry *r, const char *repository, const char *digest,
			  int64_t expected_size, bg_registry_blob **out, bg_error *err);
ssize_t bg_registry_blob_read(bg_registry_blob *b, void *buf, size_t len, bg_error *err);
void bg_registry_blob_close(bg_registry_blob *b);

/* ---- Pure helpers (exposed for tests and fuzzing) ---- */

/* One challenge of a WWW-Authenticate header. */
typedef struct bg_registry_param {
	char *name;    /* lower-cased */
	char *value;   /* unquoted, escapes removed */
} bg_registry_param;

typedef struct bg_registry_challenge {
	char *scheme;  /* lower-cased: "bearer", "basic", ... */
	char *token68; /* the token68 form ("Negotiate abc=="), or NULL */
	bg_registry_param *params;
	size_t n_params;
} bg_registry_challenge;

typedef struct bg_registry_challenges {
	bg_registry_challenge *v;
	size_t n;
} bg_registry_challenges;

#define BG_REGISTRY_MAX_CHALLENGES 16
#define BG_REGISTRY_MAX_PARAMS 32

/* Parse one WWW-Authenticate header value (RFC 7235 §4.1: a comma list of
 * challenges, each a scheme then a token68 or auth-params with token or
 * quoted-string values) and APPEND its challenges to list (call once per
 * header).  Refuses (BG_E_EVAL) malformed syntax, a parameter given twice in
 * one challenge, more than the limits above.  On error list keeps what it
 * had before the call. */
int bg_registry_parse_challenges(const char *header, bg_registry_challenges *list, bg_error *err);
void bg_registry_challenges_free(bg_registry_challenges *list);
/* Parameter value by name (ASCII case-insensitive), or NULL. */
const char *bg_registry_challenge_param(const bg_registry_challenge *c, const char *name);
/* The first "bearer" or "basic" challenge (as go-containerregistry), or NULL. */
const bg_registry_challenge *bg_registry_pick_challenge(const bg_registry_challenges *list);

/* Retry-After: delta-seconds or an HTTP-date (IMF-fixdate, RFC 850 or
 * asctime).  *seconds = the wait from now (0 for a date in the past; huge
 * values are clamped to UINT32_MAX).  -1 when the value is neither. */
int bg_registry_parse_retry_after(const char *value, time_t now, unsigned *seconds);

/* The delay before retry number `attempt` (1 = after the first failure):
 * exponential from 1 s, doubling, capped at 30 s, with jitter — a value in
 * [d/2, d] chosen by `random`.  Milliseconds. */
unsigned bg_registry_backoff_ms(unsigned attempt, uint32_t random);
#define BG_REGISTRY_BACKOFF_BASE_MS 1000u
#define BG_REGISTRY_BACKOFF_CAP_MS 30000u

/* The host the API of domain lives on: "docker.io" and "index.docker.io"
 * → "registry-1.docker.io"; others unchanged. */
const char *bg_registry_api_host(const char *domain);

/* "<scheme>://<api host>/v2/<repository>/<kind>/<reference>", kind
 * "manifests" or "blobs"; reference NULL gives ".../v2/" (the ping).
 * Refuses (BG_E_EVAL) a repository outside the distribution name grammar,
 * a reference that is neither a tag nor a valid digest, and a domain with
 * characters a host cannot have — nothing reaches a URL unchecked. */
int bg_registry_url(const char *domain, bool http, const char *repository, const char *kind,
		    const char *reference, char **out, bg_error *err);

/* "repository:<repository>:pull" (newly allocated; NULL on OOM). */
char *bg_registry_scope(const char *repository);

/* The token request URL: realm + "?service=…&scope=…[&account=…]" (or
 * "&…" when the realm has a query), each value percent-encoded.  service,
 * scope and account may be NULL (left out). */
char *bg_registry_token_url(const char *realm, const char *service, const char *scope,
			    const char *account);

/* A token server's JSON answer: `token`, else `access_token` (the first
 * non-empty), and `expires_in` (absent: 60; raised to at least 60).  The
 * token must be printable ASCII without spaces (it goes into a header).
 * BG_E_EVAL naming `what` otherwise. */
int bg_registry_parse_token(const char *data, size_t len, const char *what, char **token,
			    int64_t *expires_in, bg_error *err);

#endif
