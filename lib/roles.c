/* bootgate — the role manifest: content, strict parsing, canonical bytes,
 * fragments and merging (include/bootgate/roles.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bootgate/digest.h"
#include "bootgate/roles.h"
#include "bootgate/strictjson.h"
#include "rolesutil.h"
#include "util.h"

#define MANIFEST_KIND "bootgate-role-manifest"
#define FRAGMENT_KIND "bootgate-role-fragment"

/* ---- names, strings, times ------------------------------------------- */

bool bg_roles_name_valid(const char *name)
{
	if (!name || !name[0] || strlen(name) > BG_ROLES_MAX_NAME)
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (p == name || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

/* Well-formed UTF-8 without control bytes: what a reviewer can read, and
 * what the strict parser will accept back. */
bool bg_roles_string_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	if (len == 0 || len > BG_ROLES_MAX_STRING)
		return false;
	while (*p) {
		unsigned c = *p;
		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		size_t n;
		unsigned cp;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

static bool is_digit_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

int bg_roles_time_parse(const char *s, int64_t *out, bg_error *err)
{
	/* YYYY-MM-DDTHH:MM:SSZ */
	if (!s || strlen(s) != 20 || !is_digit_run(s, 4) || s[4] != '-' || !is_digit_run(s + 5, 2) ||
	    s[7] != '-' || !is_digit_run(s + 8, 2) || s[10] != 'T' || !is_digit_run(s + 11, 2) ||
	    s[13] != ':' || !is_digit_run(s + 14, 2) || s[16] != ':' || !is_digit_run(s + 17, 2) ||
	    s[19] != 'Z')
		return bg_error_set(err, BG_E_INPUT,
				    "time \"%s\" is not RFC 3339 UTC of the form YYYY-MM-DDTHH:MM:SSZ",
				    s ? s : "");
	struct tm tm = {
		.tm_year = num(s, 4) - 1900,
		.tm_mon = num(s + 5, 2) - 1,
		.tm_mday = num(s + 8, 2),
		.tm_hour = num(s + 11, 2),
		.tm_min = num(s + 14, 2),
		.tm_sec = num(s + 17, 2),
	};
	struct tm orig = tm;
	time_t t = timegm(&tm);
	/* timegm normalises 2025-02-30 to March: a changed field means the date
	 * does not exist. */
	if (t == (time_t)-1 || orig.tm_year < 70 || tm.tm_year != orig.tm_year ||
	    tm.tm_mon != orig.tm_mon || tm.tm_mday != orig.tm_mday || tm.tm_hour != orig.tm_hour ||
	    tm.tm_min != orig.tm_min || tm.tm_sec != orig.tm_sec)
		return bg_error_set(err, BG_E_INPUT, "time \"%s\" is not a valid date and time (UTC, 1970 or later)", s);
	*out = (int64_t)t;
	return 0;
}

void bg_roles_time_format(int64_t t, char out[BG_ROLES_TIME_MAX])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t < 0 || t > 253402300799LL || !gmtime_r(&tt, &tm)) {
		snprintf(out, BG_ROLES_TIME_MAX, "%s", "1970-01-01T00:00:00Z");
		return;
	}
	/* The range check above keeps every field to its width; the larger
	 * buffer only quiets the compiler's worst-case estimate. */
	char buf[96];
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	snprintf(out, BG_ROLES_TIME_MAX, "%.20s", buf);
}

static bool time_in_range(int64_t t)
{
	return t >= 0 && t <= 253402300799LL; /* 9999-12-31T23:59:59Z */
}

/* ---- entries ----------------------------------------------------------- */

void bg_role_entry_clear(bg_role_entry *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->repository);
	free(e->index_digest);
	free(e->manifest_digest);
	for (size_t i = 0; i < e->n_base_digests; i++)
		free(e->base_digests[i]);
	free(e->base_digests);
	free(e->evidence.policy_hash);
	free(e->evidence.signer_fingerprint);
	free(e->evidence.signer_uid);
	free(e->evidence.source_revision);
	free(e->evidence.verdict);
	memset(e, 0, sizeof *e);
}

static bool fingerprint_valid(const char *s)
{
	if (strlen(s) != 40)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'F')))
			return false;
	return true;
}

static bool repository_valid(const char *s)
{
	if (!bg_roles_string_valid(s) || strlen(s) > 1024)
		return false;
	for (const char *p = s; *p; p++)
		if (*p == ' ' || *p == '@')
			return false;
	return true;
}

/* One place for every rule of an entry, shared by the parser (BG_E_INPUT)
 * and the recording API (BG_E_USAGE). */
static int entry_check(const bg_role_entry *e, bg_status status, const char *what, bg_error *err)
{
	const char *n = e->name ? e->name : "";
	if (!bg_roles_name_valid(e->name))
		return bg_error_set(err, status,
				    "%s: role name \"%s\" is not valid: use 1 to %d letters, digits, '.', '_' "
				    "or '-', starting with a letter or digit",
				    what, n, BG_ROLES_MAX_NAME);
	if (!e->repository || !repository_valid(e->repository))
		return bg_error_set(err, status,
				    "%s: role \"%s\": repository must be an image repository without a "
				    "digest (no spaces or control characters)",
				    what, n);
	if (!e->manifest_digest || !bg_digest_valid(e->manifest_digest))
		return bg_error_set(err, status,
				    "%s: role \"%s\": manifest_digest must be a digest "
				    "(sha256:<64 lower-case hex> or sha512:<128>)",
				    what, n);
	if (e->index_digest && !bg_digest_valid(e->index_digest))
		return bg_error_set(err, status, "%s: role \"%s\": index_digest must be a digest or null",
				    what, n);
	if (e->n_base_digests > BG_ROLES_MAX_BASES)
		return bg_error_set(err, status, "%s: role \"%s\": more than %d base digests", what, n,
				    BG_ROLES_MAX_BASES);
	for (size_t i = 0; i < e->n_base_digests; i++)
		if (!e->base_digests[i] || !bg_digest_valid(e->base_digests[i]))
			return bg_error_set(err, status, "%s: role \"%s\": base_digests[%zu] is not a digest",
					    what, n, i);
	const bg_role_evidence *v = &e->evidence;
	if (v->policy_hash && !bg_digest_valid(v->policy_hash))
		return bg_error_set(err, status, "%s: role \"%s\": evidence.policy_hash must be a digest or null",
				    what, n);
	if (v->signer_fingerprint && !fingerprint_valid(v->signer_fingerprint))
		return bg_error_set(err, status,
				    "%s: role \"%s\": evidence.signer_fingerprint must be 40 upper-case hex "
				    "digits or null",
				    what, n);
	if (v->signer_uid && !bg_roles_string_valid(v->signer_uid))
		return bg_error_set(err, status,
				    "%s: role \"%s\": evidence.signer_uid must be non-empty UTF-8 text "
				    "without control characters",
				    what, n);
	if (v->source_revision && !bg_roles_string_valid(v->source_revision))
		return bg_error_set(err, status,
				    "%s: role \"%s\": evidence.source_revision must be non-empty text "
				    "without control characters",
				    what, n);
	if (!v->verdict || !bg_roles_string_valid(v->verdict))
		return bg_error_set(err, status,
				    "%s: role \"%s\": evidence.verdict is required (non-empty text without "
				    "control characters)",
				    what, n);
	if (!time_in_range(e->recorded))
		return bg_error_set(err, status, "%s: role \"%s\": recorded time out of range", what, n);
	return 0;
}

int bg_role_entry_validate(const bg_role_entry *e, bg_error *err)
{
	return entry_check(e, BG_E_USAGE, "role entry", err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *dup_or_null(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *d = bg_strdup(s);
	if (!d)
		*oom = true;
	return d;
}

int bg_role_entry_copy(const bg_role_entry *src, bg_role_entry *dst, bg_error *err)
{
	bool oom = false;
	memset(dst, 0, sizeof *dst);
	dst->name = dup_or_null(src->name, &oom);
	dst->repository = dup_or_null(src->repository, &oom);
	dst->index_digest = dup_or_null(src->index_digest, &oom);
	dst->manifest_digest = dup_or_null(src->manifest_digest, &oom);
	dst->evidence.policy_hash = dup_or_null(src->evidence.policy_hash, &oom);
	dst->evidence.signer_fingerprint = dup_or_null(src->evidence.signer_fingerprint, &oom);
	dst->evidence.signer_uid = dup_or_null(src->evidence.signer_uid, &oom);
	dst->evidence.source_revision = dup_or_null(src->evidence.source_revision, &oom);
	dst->evidence.verdict = dup_or_null(src->evidence.verdict, &oom);
	dst->recorded = src->recorded;
	if (src->n_base_digests) {
		dst->base_digests = calloc(src->n_base_digests, sizeof *dst->base_digests);
		if (!dst->base_digests)
			oom = true;
		for (size_t i = 0; !oom && i < src->n_base_digests; i++) {
			dst->base_digests[i] = dup_or_null(src->base_digests[i], &oom);
			dst->n_base_digests = i + 1;
		}
	}
	if (oom) {
		bg_role_entry_clear(dst);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	/* Canonical order: sorted, each digest once. */
	if (dst->n_base_digests > 1) {
		qsort(dst->base_digests, dst->n_base_digests, sizeof *dst->base_digests, cmp_str);
		size_t w = 1;
		for (size_t i = 1; i < dst->n_base_digests; i++) {
			if (strcmp(dst->base_digests[i], dst->base_digests[w - 1]) == 0)
				free(dst->base_digests[i]);
			else
				dst->base_digests[w++] = dst->base_digests[i];
		}
		dst->n_base_digests = w;
	}
	return 0;
}

bool bg_role_entry_matches(const bg_role_entry *e, const char *digest)
{
	if (!e || !digest)
		return false;
	return (e->manifest_digest && bg_digest_equal(e->manifest_digest, digest)) ||
	       (e->index_digest && bg_digest_equal(e->index_digest, digest));
}

/* ---- manifests --------------------------------------------------------- */

int bg_roles_new(int64_t serial, int64_t expires, bg_role_manifest **out, bg_error *err)
{
	*out = NULL;
	if (serial < 1)
		return bg_error_set(err, BG_E_USAGE, "a role manifest's serial starts at 1, got %lld",
				    (long long)serial);
	if (!time_in_range(expires))
		return bg_error_set(err, BG_E_USAGE, "expiry time out of range");
	bg_role_manifest *m = calloc(1, sizeof *m);
	if (!m)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	m->serial = serial;
	m->expires = expires;
	*out = m;
	return 0;
}

void bg_roles_free(bg_role_manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_roles; i++)
		bg_role_entry_clear(&m->roles[i]);
	free(m->roles);
	free(m);
}

/* Index where name is or would be inserted; *found tells which. */
static size_t find_slot(const bg_role_manifest *m, const char *name, bool *found)
{
	size_t lo = 0, hi = m->n_roles;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->roles[mid].name, name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

const bg_role_entry *bg_roles_find(const bg_role_manifest *m, const char *name)
{
	if (!m || !name)
		return NULL;
	bool found;
	size_t i = find_slot(m, name, &found);
	return found ? &m->roles[i] : NULL;
}

/* Insert or replace, taking ownership of *e (zeroed afterwards).  With
 * reserved, the caller has already made room for one more entry, so
 * nothing can fail. */
static int put_entry(bg_role_manifest *m, bg_role_entry *e, bool reserved, bg_error *err)
{
	bool found;
	size_t i = find_slot(m, e->name, &found);
	if (found) {
		bg_role_entry_clear(&m->roles[i]);
		m->roles[i] = *e;
		memset(e, 0, sizeof *e);
		return 0;
	}
	if (m->n_roles >= BG_ROLES_MAX_ROLES)
		return bg_error_set(err, BG_E_USAGE, "a role manifest holds at most %d roles",
				    BG_ROLES_MAX_ROLES);
	bg_role_entry *v = m->roles;
	if (!reserved) {
		v = realloc(m->roles, (m->n_roles + 1) * sizeof *v);
		if (!v)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		m->roles = v;
	}
	memmove(&v[i + 1], &v[i], (m->n_roles - i) * sizeof *v);
	v[i] = *e;
	m->n_roles++;
	memset(e, 0, sizeof *e);
	return 0;
}

int bg_roles_record(bg_role_manifest *m, const bg_role_entry *e, bg_error *err)
{
	int rc = bg_role_entry_validate(e, err);
	if (rc < 0)
		return rc;
	bg_role_entry copy;
	rc = bg_role_entry_copy(e, &copy, err);
	if (rc < 0)
		return rc;
	rc = put_entry(m, &copy, false, err);
	bg_role_entry_clear(&copy);
	return rc;
}

int bg_roles_next_revision(bg_role_manifest *m, int64_t expires, bg_error *err)
{
	if (m->serial >= INT64_MAX - 1)
		return bg_error_set(err, BG_E_USAGE, "the manifest's serial cannot grow any further");
	if (!time_in_range(expires))
		return bg_error_set(err, BG_E_USAGE, "expiry time out of range");
	for (size_t i = 0; i < m->n_roles; i++)
		if (expires <= m->roles[i].recorded)
			return bg_error_set(err, BG_E_USAGE,
					    "the expiry must be after every role's recorded time (role \"%s\")",
					    m->roles[i].name);
	m->serial++;
	m->expires = expires;
	return 0;
}

int bg_roles_merge(bg_role_manifest *m, const bg_role_entry *fragments, size_t n_fragments,
		   const char *const *allowed, size_t n_allowed, bg_error *err)
{
	if (n_allowed == 0)
		return bg_error_set(err, BG_E_USAGE,
				    "merging fragments needs the list of roles (those of bootgate.yaml)");
	/* Check everything first so a refused merge leaves m as it was. */
	for (size_t i = 0; i < n_fragments; i++) {
		const bg_role_entry *f = &fragments[i];
		int rc = entry_check(f, BG_E_INPUT, "fragment", err);
		if (rc < 0) {
			bg_error_prefix(err, "fragment %zu", i + 1);
			return rc;
		}
		bool known = false;
		for (size_t k = 0; k < n_allowed && !known; k++)
			known = allowed[k] && strcmp(allowed[k], f->name) == 0;
		if (!known)
			return bg_error_set(err, BG_E_INPUT,
					    "fragment %zu is for role \"%s\", which is not one of the configured "
					    "roles: refusing the merge (is the fragment from another repository, or "
					    "was the role renamed?)",
					    i + 1, f->name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(fragments[j].name, f->name) == 0)
				return bg_error_set(err, BG_E_INPUT,
						    "fragments %zu and %zu are both for role \"%s\": refusing "
						    "the merge (each role is recorded by exactly one job)",
						    j + 1, i + 1, f->name);
	}
	size_t new_roles = 0;
	for (size_t i = 0; i < n_fragments; i++)
		if (!bg_roles_find(m, fragments[i].name))
			new_roles++;
	if (m->n_roles + new_roles > BG_ROLES_MAX_ROLES)
		return bg_error_set(err, BG_E_USAGE, "a role manifest holds at most %d roles",
				    BG_ROLES_MAX_ROLES);
	/* Copies and room first; the inserts then cannot fail half-way. */
	bg_role_entry *copies = calloc(n_fragments ? n_fragments : 1, sizeof *copies);
	if (!copies)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	int rc = 0;
	size_t made = 0;
	for (; made < n_fragments; made++) {
		rc = bg_role_entry_copy(&fragments[made], &copies[made], err);
		if (rc < 0)
			break;
	}
	if (rc == 0) {
		bg_role_entry *v = realloc(m->roles, (m->n_roles + new_roles + 1) * sizeof *v);
		if (!v)
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
		else
			m->roles = v;
	}
	for (size_t i = 0; rc == 0 && i < n_fragments; i++)
		rc = put_entry(m, &copies[i], true, err); /* cannot fail: room reserved */
	for (size_t i = 0; i < made; i++)
		bg_role_entry_clear(&copies[i]);
	free(copies);
	return rc;
}

/* ---- canonical serialisation ------------------------------------------ */

static void put_indent(bg_strbuf *b, int depth)
{
	for (int i = 0; i < depth; i++)
		bg_strbuf_puts(b, "  ");
}

void bg_roles_json_string(bg_strbuf *b, const char *s)
{
	bg_strbuf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			bg_strbuf_puts(b, "\\\"");
			break;
		case '\\':
			bg_strbuf_puts(b, "\\\\");
			break;
		case '\n':
			bg_strbuf_puts(b, "\\n");
			break;
		case '\t':
			bg_strbuf_puts(b, "\\t");
			break;
		case '\r':
			bg_strbuf_puts(b, "\\r");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				bg_strbuf_printf(b, "\\u%04x", *p);
			else
				bg_strbuf_putc(b, (char)*p);
		}
	}
	bg_strbuf_putc(b, '"');
}

/* "key": value-with-comma helpers.  Keys are emitted by the callers in
 * sorted (strcmp) order; that order is part of the format. */
static void put_key(bg_strbuf *b, int depth, const char *key)
{
	put_indent(b, depth);
	bg_roles_json_string(b, key);
	bg_strbuf_puts(b, ": ");
}

static void put_str_member(bg_strbuf *b, int depth, const char *key, const char *val, bool last)
{
	put_key(b, depth, key);
	if (val)
		bg_roles_json_string(b, val);
	else
		bg_strbuf_puts(b, "null");
	bg_strbuf_puts(b, last ? "\n" : ",\n");
}

static void put_time_member(bg_strbuf *b, int depth, const char *key, int64_t t, bool last)
{
	char buf[BG_ROLES_TIME_MAX];
	bg_roles_time_format(t, buf);
	put_str_member(b, depth, key, buf, last);
}

static void put_entry_body(bg_strbuf *b, int depth, const bg_role_entry *e)
{
	put_key(b, depth, "base_digests");
	if (e->n_base_digests == 0) {
		bg_strbuf_puts(b, "[],\n");
	} else {
		bg_strbuf_puts(b, "[\n");
		for (size_t i = 0; i < e->n_base_digests; i++) {
			put_indent(b, depth + 1);
			bg_roles_json_string(b, e->base_digests[i]);
			bg_strbuf_puts(b, i + 1 < e->n_base_digests ? ",\n" : "\n");
		}
		put_indent(b, depth);
		bg_strbuf_puts(b, "],\n");
	}
	put_key(b, depth, "evidence");
	bg_strbuf_puts(b, "{\n");
	put_str_member(b, depth + 1, "policy_hash", e->evidence.policy_hash, false);
	put_str_member(b, depth + 1, "signer_fingerprint", e->evidence.signer_fingerprint, false);
	put_str_member(b, depth + 1, "signer_uid", e->evidence.signer_uid, false);
	put_str_member(b, depth + 1, "source_revision", e->evidence.source_revision, false);
	put_str_member(b, depth + 1, "verdict", e->evidence.verdict, true);
	put_indent(b, depth);
	bg_strbuf_puts(b, "},\n");
	put_str_member(b, depth, "index_digest", e->index_digest, false);
	put_str_member(b, depth, "manifest_digest", e->manifest_digest, false);
	put_time_member(b, depth, "recorded", e->recorded, false);
	put_str_member(b, depth, "repository", e->repository, true);
}

static int finish(bg_strbuf *b, char **out, size_t *len, bg_error *err)
{
	if (b->oom) {
		bg_strbuf_free(b);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	size_t n = b->len;
	*out = bg_strbuf_take(b);
	if (!*out)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (len)
		*len = n;
	return 0;
}

int bg_roles_serialize(const bg_role_manifest *m, char **out, size_t *len, bg_error *err)
{
	bg_strbuf b = {0};
	bg_strbuf_puts(&b, "{\n");
	put_time_member(&b, 1, "expires", m->expires, false);
	bg_strbuf_printf(&b, "  \"format_version\": %d,\n", BG_ROLES_FORMAT_VERSION);
	put_str_member(&b, 1, "kind", MANIFEST_KIND, false);
	put_key(&b, 1, "roles");
	if (m->n_roles == 0) {
		bg_strbuf_puts(&b, "{},\n");
	} else {
		bg_strbuf_puts(&b, "{\n");
		for (size_t i = 0; i < m->n_roles; i++) {
			put_key(&b, 2, m->roles[i].name);
			bg_strbuf_puts(&b, "{\n");
			put_entry_body(&b, 3, &m->roles[i]);
			bg_strbuf_puts(&b, i + 1 < m->n_roles ? "    },\n" : "    }\n");
		}
		bg_strbuf_puts(&b, "  },\n");
	}
	bg_strbuf_printf(&b, "  \"serial\": %lld\n", (long long)m->serial);
	bg_strbuf_puts(&b, "}\n");
	return finish(&b, out, len, err);
}

int bg_roles_fragment_serialize(const bg_role_entry *e, char **out, size_t *len, bg_error *err)
{
	int rc = bg_role_entry_validate(e, err);
	if (rc < 0)
		return rc;
	/* The fragment holds a canonical copy (sorted bases). */
	bg_role_entry c;
	rc = bg_role_entry_copy(e, &c, err);
	if (rc < 0)
		return rc;
	bg_strbuf b = {0};
	bg_strbuf_puts(&b, "{\n");
	put_key(&b, 1, "entry");
	bg_strbuf_puts(&b, "{\n");
	put_entry_body(&b, 2, &c);
	bg_strbuf_puts(&b, "  },\n");
	bg_strbuf_printf(&b, "  \"format_version\": %d,\n", BG_ROLES_FORMAT_VERSION);
	put_str_member(&b, 1, "kind", FRAGMENT_KIND, false);
	put_str_member(&b, 1, "role", c.name, true);
	bg_strbuf_puts(&b, "}\n");
	bg_role_entry_clear(&c);
	return finish(&b, out, len, err);
}

/* ---- strict parsing ----------------------------------------------------- */

/* Refuse members outside the expected set: a manifest is signed, and a key
 * that nothing reads is content a reviewer approves without it meaning
 * anything (or a typo that silently drops a field). */
static int only_keys(json_object *obj, const char *const *keys, const char *what, bg_error *err)
{
	json_object_object_foreach(obj, k, v)
	{
		(void)v;
		bool known = false;
		for (size_t i = 0; keys[i] && !known; i++)
			known = strcmp(keys[i], k) == 0;
		if (!known)
			return bg_error_set(err, BG_E_INPUT, "%s: unknown key \"%s\"", what, k);
	}
	return 0;
}

/* A member that must be present: a string, or null when nullable. */
static int take_string(json_object *obj, const char *key, bool nullable, const char *what,
		       char **out, bg_error *err)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return bg_error_set(err, BG_E_INPUT, "%s: field \"%s\" is missing", what, key);
	if (!v) {
		if (nullable)
			return 0;
		return bg_error_set(err, BG_E_INPUT, "%s: field \"%s\" must not be null", what, key);
	}
	if (!json_object_is_type(v, json_type_string))
		return bg_error_set(err, BG_E_INPUT, "%s: field \"%s\" must be a string%s, not %s", what,
				    key, nullable ? " or null" : "", bg_json_type_name(json_object_get_type(v)));
	*out = bg_strdup(json_object_get_string(v));
	return *out ? 0 : bg_error_set(err, BG_E_NOMEM, "out of memory");
}

static int take_time(json_object *obj, const char *key, const char *what, int64_t *out, bg_error *err)
{
	_cleanup_free_ char *s = NULL;
	int rc = take_string(obj, key, false, what, &s, err);
	if (rc < 0)
		return rc;
	rc = bg_roles_time_parse(s, out, err);
	if (rc < 0)
		bg_error_prefix(err, "%s: field \"%s\"", what, key);
	return rc;
}

static int check_header(json_object *root, const char *kind, const char *what, bg_error *err)
{
	if (!root || !json_object_is_type(root, json_type_object))
		return bg_error_set(err, BG_E_INPUT, "%s: the document must be a JSON object", what);
	_cleanup_free_ char *k = NULL;
	int rc = take_string(root, "kind", false, what, &k, err);
	if (rc < 0)
		return rc;
	if (strcmp(k, kind) != 0)
		return bg_error_set(err, BG_E_INPUT, "%s: kind is \"%s\", expected \"%s\"", what, k, kind);
	int64_t version = 0;
	bool present = false;
	rc = bg_json_get_int64(root, "format_version", true, what, &version, &present, err);
	if (rc < 0) {
		err->status = BG_E_INPUT;
		return rc;
	}
	if (version != BG_ROLES_FORMAT_VERSION)
		return bg_error_set(err, BG_E_INPUT,
				    "%s: format_version %lld is not supported (this bootgate reads %d)", what,
				    (long long)version, BG_ROLES_FORMAT_VERSION);
	return 0;
}

static int parse_entry(json_object *obj, const char *name, const char *what, bg_role_entry *e,
		       bg_error *err)
{
	char ctx[128];
	snprintf(ctx, sizeof ctx, "%s: role \"%.*s\"", what, BG_ROLES_MAX_NAME, name);
	memset(e, 0, sizeof *e);
	if (!obj || !json_object_is_type(obj, json_type_object))
		return bg_error_set(err, BG_E_INPUT, "%s: must be an object", ctx);
	static const char *const entry_keys[] = {"base_digests", "evidence", "index_digest",
						 "manifest_digest", "recorded", "repository", NULL};
	static const char *const evidence_keys[] = {"policy_hash", "signer_fingerprint", "signer_uid",
						    "source_revision", "verdict", NULL};
	int rc = only_keys(obj, entry_keys, ctx, err);
	if (rc < 0)
		return rc;
	if (!(e->name = bg_strdup(name)))
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if ((rc = take_string(obj, "repository", false, ctx, &e->repository, err)) < 0 ||
	    (rc = take_string(obj, "index_digest", true, ctx, &e->index_digest, err)) < 0 ||
	    (rc = take_string(obj, "manifest_digest", false, ctx, &e->manifest_digest, err)) < 0 ||
	    (rc = take_time(obj, "recorded", ctx, &e->recorded, err)) < 0)
		return rc;
	json_object *bases = NULL;
	if (!json_object_object_get_ex(obj, "base_digests", &bases))
		return bg_error_set(err, BG_E_INPUT, "%s: field \"base_digests\" is missing", ctx);
	if (!bases || !json_object_is_type(bases, json_type_array))
		return bg_error_set(err, BG_E_INPUT, "%s: base_digests must be an array of digests", ctx);
	size_t nb = json_object_array_length(bases);
	if (nb > BG_ROLES_MAX_BASES)
		return bg_error_set(err, BG_E_INPUT, "%s: more than %d base digests", ctx, BG_ROLES_MAX_BASES);
	if (nb) {
		e->base_digests = calloc(nb, sizeof *e->base_digests);
		if (!e->base_digests)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < nb; i++) {
		json_object *d = json_object_array_get_idx(bases, i);
		if (!d || !json_object_is_type(d, json_type_string))
			return bg_error_set(err, BG_E_INPUT, "%s: base_digests[%zu] must be a string", ctx, i);
		if (!(e->base_digests[i] = bg_strdup(json_object_get_string(d))))
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		e->n_base_digests = i + 1;
		/* Canonical form: sorted, unique.  Anything else did not come
		 * from bootgate (or was edited by hand). */
		if (i > 0 && strcmp(e->base_digests[i - 1], e->base_digests[i]) >= 0)
			return bg_error_set(err, BG_E_INPUT,
					    "%s: base_digests must be sorted and unique (entry %zu)", ctx, i);
	}
	json_object *ev = NULL;
	if (!json_object_object_get_ex(obj, "evidence", &ev))
		return bg_error_set(err, BG_E_INPUT, "%s: field \"evidence\" is missing", ctx);
	if (!ev || !json_object_is_type(ev, json_type_object))
		return bg_error_set(err, BG_E_INPUT, "%s: evidence must be an object", ctx);
	char ectx[160];
	snprintf(ectx, sizeof ectx, "%s: evidence", ctx);
	if ((rc = only_keys(ev, evidence_keys, ectx, err)) < 0 ||
	    (rc = take_string(ev, "policy_hash", true, ectx, &e->evidence.policy_hash, err)) < 0 ||
	    (rc = take_string(ev, "signer_fingerprint", true, ectx, &e->evidence.signer_fingerprint, err)) < 0 ||
	    (rc = take_string(ev, "signer_uid", true, ectx, &e->evidence.signer_uid, err)) < 0 ||
	    (rc = take_string(ev, "source_revision", true, ectx, &e->evidence.source_revision, err)) < 0 ||
	    (rc = take_string(ev, "verdict", false, ectx, &e->evidence.verdict, err)) < 0)
		return rc;
	return entry_check(e, BG_E_INPUT, what, err);
}

int bg_roles_parse(const char *data, size_t len, const char *what, bg_role_manifest **out,
		   bg_error *err)
{
	*out = NULL;
	if (!what)
		what = "role manifest";
	if (len > BG_ROLES_MAX_BYTES)
		return bg_error_set(err, BG_E_INPUT, "%s: larger than %lu bytes", what, (unsigned long)BG_ROLES_MAX_BYTES);
	json_object *root = NULL;
	int rc = bg_json_parse_strict(data, len, what, &root, err);
	if (rc < 0) {
		if (rc == BG_E_EVAL)
			err->status = rc = BG_E_INPUT;
		return rc;
	}
	bg_role_manifest *m = NULL;
	static const char *const top_keys[] = {"expires", "format_version", "kind", "roles", "serial", NULL};
	if ((rc = check_header(root, MANIFEST_KIND, what, err)) < 0 ||
	    (rc = only_keys(root, top_keys, what, err)) < 0)
		goto out;
	int64_t serial = 0, expires = 0;
	rc = bg_json_get_int64(root, "serial", true, what, &serial, NULL, err);
	if (rc < 0) {
		err->status = rc = BG_E_INPUT;
		goto out;
	}
	if (serial < 1) {
		rc = bg_error_set(err, BG_E_INPUT, "%s: serial must be 1 or more", what);
		goto out;
	}
	if ((rc = take_time(root, "expires", what, &expires, err)) < 0)
		goto out;
	if ((rc = bg_roles_new(serial, expires, &m, err)) < 0)
		goto out;
	json_object *roles = NULL;
	if (!json_object_object_get_ex(root, "roles", &roles) || !roles ||
	    !json_object_is_type(roles, json_type_object)) {
		rc = bg_error_set(err, BG_E_INPUT, "%s: \"roles\" must be an object of role entries", what);
		goto out;
	}
	size_t n = (size_t)json_object_object_length(roles);
	if (n > BG_ROLES_MAX_ROLES) {
		rc = bg_error_set(err, BG_E_INPUT, "%s: more than %d roles", what, BG_ROLES_MAX_ROLES);
		goto out;
	}
	m->roles = calloc(n ? n : 1, sizeof *m->roles);
	if (!m->roles) {
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
		goto out;
	}
	/* json-c keeps document order; the canonical order is sorted, and the
	 * lookup relies on it, so sort whatever came in. */
	json_object_object_foreach(roles, name, val)
	{
		rc = parse_entry(val, name, what, &m->roles[m->n_roles], err);
		m->n_roles++;
		if (rc < 0)
			goto out;
	}
	for (size_t i = 1; i < m->n_roles; i++) {
		bg_role_entry t = m->roles[i];
		size_t j = i;
		while (j > 0 && strcmp(m->roles[j - 1].name, t.name) > 0) {
			m->roles[j] = m->roles[j - 1];
			j--;
		}
		m->roles[j] = t;
	}
	*out = BG_TAKE_PTR(m);
	rc = 0;
out:
	bg_roles_free(m);
	json_object_put(root);
	return rc;
}

int bg_roles_fragment_parse(const char *data, size_t len, const char *what, bg_role_entry *out,
			    bg_error *err)
{
	memset(out, 0, sizeof *out);
	if (!what)
		what = "role fragment";
	if (len > BG_ROLES_MAX_BYTES)
		return bg_error_set(err, BG_E_INPUT, "%s: larger than %lu bytes", what, (unsigned long)BG_ROLES_MAX_BYTES);
	json_object *root = NULL;
	int rc = bg_json_parse_strict(data, len, what, &root, err);
	if (rc < 0) {
		if (rc == BG_E_EVAL)
			err->status = rc = BG_E_INPUT;
		return rc;
	}
	static const char *const keys[] = {"entry", "format_version", "kind", "role", NULL};
	_cleanup_free_ char *role = NULL;
	json_object *entry = NULL;
	if ((rc = check_header(root, FRAGMENT_KIND, what, err)) < 0 ||
	    (rc = only_keys(root, keys, what, err)) < 0 ||
	    (rc = take_string(root, "role", false, what, &role, err)) < 0)
		goto out;
	if (!bg_roles_name_valid(role)) {
		rc = bg_error_set(err, BG_E_INPUT, "%s: role name \"%s\" is not valid", what, role);
		goto out;
	}
	if (!json_object_object_get_ex(root, "entry", &entry)) {
		rc = bg_error_set(err, BG_E_INPUT, "%s: field \"entry\" is missing", what);
		goto out;
	}
	rc = parse_entry(entry, role, what, out, err);
	if (rc < 0)
		bg_role_entry_clear(out);
out:
	json_object_put(root);
	return rc;
}

/* ---- files --------------------------------------------------------------- */

int bg_roles_load(const char *path, bg_role_manifest **out, bg_error *err)
{
	*out = NULL;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int rc = bg_read_file(path, BG_ROLES_MAX_BYTES, &data, &len, err);
	if (rc < 0)
		return rc;
	return bg_roles_parse(data, len, path, out, err);
}

int bg_roles_fragment_load(const char *path, bg_role_entry *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int rc = bg_read_file(path, BG_ROLES_MAX_BYTES, &data, &len, err);
	if (rc < 0)
		return rc;
	return bg_roles_fragment_parse(data, len, path, out, err);
}

int bg_roles_write_file_atomic(const char *path, const void *data, size_t len, bg_error *err)
{
	_cleanup_free_ char *dir = bg_strdup(path);
	bg_strbuf tmpb = {0};
	bg_strbuf_printf(&tmpb, "%s.tmp-XXXXXX", path);
	_cleanup_free_ char *tmp = bg_strbuf_take(&tmpb);
	if (!dir || !tmp)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	int fd = mkstemp(tmp);
	if (fd < 0)
		return bg_error_set(err, BG_E_EVAL, "cannot create a temporary file next to %s: %s", path,
				    strerror(errno));
	/* mkstemp makes 0600; a manifest is public content. */
	(void)fchmod(fd, 0644);
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return bg_error_set(err, BG_E_EVAL, "writing %s: %s", tmp, strerror(e));
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		int e = errno;
		unlink(tmp);
		return bg_error_set(err, BG_E_EVAL, "writing %s: %s", tmp, strerror(e));
	}
	if (rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return bg_error_set(err, BG_E_EVAL, "renaming %s to %s: %s", tmp, path, strerror(e));
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

int bg_roles_write(const bg_role_manifest *m, const char *path, bg_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int rc = bg_roles_serialize(m, &data, &len, err);
	if (rc < 0)
		return rc;
	return bg_roles_write_file_atomic(path, data, len, err);
}

int bg_roles_fragment_write(const bg_role_entry *e, const char *path, bg_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int rc = bg_roles_fragment_serialize(e, &data, &len, err);
	if (rc < 0)
		return rc;
	return bg_roles_write_file_atomic(path, data, len, err);
}
