/* bootgate — the source interface: opening the right transport for what the
 * user typed, and bg_blob, the verified stream every blob is read through.
 *
 * Ownership contract for implementations (see source.h):
 *   - a constructor (bg_source_*_open) returns a bg_source whose `ops` and
 *     `impl` are set; bg_source_open then moves the parsed reference into
 *     `ref` (when the constructor left it zeroed);
 *   - ops->close releases `impl` only; bg_source_close frees `ref` and the
 *     bg_source itself.
 *
 * bg_blob trusts nothing the transport says: it hashes every byte with the
 * descriptor's algorithm, fails as soon as more bytes arrive than the
 * descriptor announced, calls a short body "truncated", and reports the end
 * (0) only after the digest matched. */
#include "bootgate/source.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/digest.h"
#include "bootgate/limits.h"
#include "source_local.h"
#include "util.h"

#define BLOB_CHUNK (64 * 1024)

struct bg_blob {
	bg_source *src;
	void *handle;                         /* the transport's raw reader */
	char expected[BG_DIGEST_STRING_MAX];  /* descriptor digest */
	int64_t size;                         /* descriptor size, or -1: unknown */
	uint64_t limit;                       /* most bytes accepted */
	uint64_t count;                       /* bytes seen so far */
	bg_digest_ctx ctx;
	bool verified;                        /* reached the end, digest matched */
	bool failed;                          /* sticky failure: ... */
	bg_error failure;                     /* ... repeated on every later call */
	char *where;                          /* the source, for messages */
};

void bg_manifest_bytes_free(bg_manifest_bytes *m)
{
	if (!m)
		return;
	free(m->data);
	free(m->content_type);
	free(m->location);
	memset(m, 0, sizeof *m);
}

bg_source *bg_source_new(const bg_source_ops *ops, void *impl)
{
	bg_source *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->ops = ops;
	s->impl = impl;
	s->ref.source_index = -1;
	return s;
}

/* "oci:/path", "docker://registry/repo:tag": names the source in messages. */
static char *source_describe(const bg_source *s)
{
	bg_strbuf b = {0};
	const bg_image_ref *r = &s->ref;
	bg_strbuf_puts(&b, bg_transport_name(r->transport));
	bg_strbuf_puts(&b, r->transport == BG_TRANSPORT_DOCKER ? "://" : ":");
	if (r->path)
		bg_strbuf_puts(&b, r->path);
	else if (r->reference.full)
		bg_strbuf_puts(&b, r->reference.full);
	return bg_strbuf_take(&b);
}

int bg_source_open(const char *image, const bg_source_options *opts, bg_source **out, bg_error *err)
{
	*out = NULL;
	bg_image_ref ref;
	int rc = bg_image_ref_parse(image, &ref, err);
	if (rc < 0)
		return rc;

	bg_source_options defaults = {0};
	if (!opts)
		opts = &defaults;
	bg_source *s = NULL;
	switch (ref.transport) {
	case BG_TRANSPORT_DOCKER:
		rc = bg_source_registry_open(&ref, opts, &s, err);
		break;
	case BG_TRANSPORT_OCI:
		rc = bg_source_oci_open(&ref, opts, &s, err);
		break;
	case BG_TRANSPORT_OCI_ARCHIVE:
		rc = bg_source_ociarchive_open(&ref, opts, &s, err);
		break;
	case BG_TRANSPORT_DOCKER_ARCHIVE:
		rc = bg_source_dockerarchive_open(&ref, opts, &s, err);
		break;
	default:
		rc = bg_error_set(err, BG_E_USAGE, "%s: unknown transport", image);
		break;
	}
	if (rc < 0) {
		bg_image_ref_free(&ref);
		return rc;
	}
	/* Move the parsed reference in, unless the constructor kept its own. */
	if (!s->ref.path && !s->ref.reference.full) {
		s->ref = ref;
	} else {
		bg_image_ref_free(&ref);
	}
	*out = s;
	return 0;
}

void bg_source_close(bg_source *s)
{
	if (!s)
		return;
	if (s->ops && s->ops->close)
		s->ops->close(s);
	bg_image_ref_free(&s->ref);
	free(s);
}

int bg_source_get_manifest(bg_source *s, const char *digest, bg_manifest_bytes *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	/* A digest from an index is attacker-supplied: it must be valid before
	 * any transport turns it into a URL or a path (CVE-2024-3727). */
	if (digest && !bg_digest_valid(digest))
		return bg_error_set(err, BG_E_EVAL,
				    "refusing manifest digest \"%.150s\": not a valid sha256/sha512 digest",
				    digest);
	int rc = s->ops->get_manifest(s, digest, out, err);
	if (rc < 0) {
		bg_manifest_bytes_free(out);
		return rc;
	}
	if (out->len > BG_MAX_MANIFEST_BYTES) {
		_cleanup_free_ char *where = source_describe(s);
		bg_manifest_bytes_free(out);
		return bg_error_set(err, BG_E_EVAL, "%s: manifest %s is larger than the %lu-byte limit",
				    where ? where : "source", digest ? digest : "", BG_MAX_MANIFEST_BYTES);
	}
	return 0;
}

static int blob_fail(bg_blob *b, bg_error *err, bg_status status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records a failure (the first one sticks) and returns it. */
static int blob_fail(bg_blob *b, bg_error *err, bg_status status, const char *fmt, ...)
{
	if (!b->failed) {
		va_list ap;
		va_start(ap, fmt);
		b->failure.status = status;
		vsnprintf(b->failure.message, sizeof b->failure.message, fmt, ap);
		va_end(ap);
		b->failed = true;
		bg_digest_reset(&b->ctx);
	}
	if (err)
		*err = b->failure;
	return b->failure.status;
}

/* Opens a verified stream; size < 0 means the size is unknown and at most
 * `limit` bytes are accepted (manifests fetched by digest alone). */
static int blob_open(bg_source *s, const bg_descriptor *d, uint64_t limit, bg_blob **out,
		     bg_error *err)
{
	*out = NULL;
	bg_digest_algorithm alg;
	bg_error derr = {0};
	if (!d || !d->digest || bg_digest_parse(d->digest, &alg, NULL, &derr) < 0)
		return bg_error_set(err, BG_E_EVAL, "refusing blob digest \"%.150s\": %s",
				    d && d->digest ? d->digest : "(none)",
				    d && d->digest ? derr.message : "no digest");
	_cleanup_free_ char *where = s->ops->describe_blob ? s->ops->describe_blob(s, d) : NULL;
	if (!where)
		where = source_describe(s);
	if (!where)
		return bg_error_set(err, BG_E_NOMEM, "out of memory opening blob %s", d->digest);

	bg_blob *b = calloc(1, sizeof *b);
	if (!b)
		return bg_error_set(err, BG_E_NOMEM, "out of memory opening blob %s", d->digest);
	b->src = s;
	snprintf(b->expected, sizeof b->expected, "%s", d->digest);
	b->size = d->size;
	b->limit = d->size >= 0 ? (uint64_t)d->size : limit;
	int rc = bg_digest_init(&b->ctx, alg, err);
	if (rc < 0) {
		free(b);
		return rc;
	}
	rc = s->ops->open_blob(s, d, &b->handle, err);
	if (rc < 0) {
		bg_digest_reset(&b->ctx);
		free(b);
		return rc;
	}
	b->where = BG_TAKE_PTR(where);
	*out = b;
	return 0;
}

int bg_source_open_blob(bg_source *s, const bg_descriptor *d, bg_blob **out, bg_error *err)
{
	if (d && d->size < 0)
		return bg_error_set(err, BG_E_EVAL, "blob %s: negative size %lld in its descriptor",
				    d->digest ? d->digest : "", (long long)d->size);
	return blob_open(s, d, 0, out, err);
}

ssize_t bg_blob_read(bg_blob *b, void *buf, size_t len, bg_error *err)
{
	if (b->failed) {
		if (err)
			*err = b->failure;
		return b->failure.status;
	}
	if (b->verified)
		return 0;
	if (len == 0)
		return bg_error_set(err, BG_E_USAGE, "bg_blob_read: zero-length buffer");

	ssize_t n = b->src->ops->read_blob(b->handle, buf, len, err);
	if (n < 0) {
		bg_error e = err ? *err : (bg_error){.status = (bg_status)n};
		return blob_fail(b, err, n == BG_E_NOMEM ? BG_E_NOMEM : BG_E_EVAL,
				 "%s: reading blob %s: %s", b->where, b->expected, e.message);
	}
	if (n > 0) {
		if ((uint64_t)n > b->limit - b->count) {
			if (b->size >= 0)
				return blob_fail(b, err, BG_E_EVAL,
						 "%s: blob %s is larger than the %lld bytes its descriptor "
						 "announces; the source is corrupt or tampered with",
						 b->where, b->expected, (long long)b->size);
			return blob_fail(b, err, BG_E_EVAL,
					 "%s: blob %s is larger than the %llu-byte limit", b->where,
					 b->expected, (unsigned long long)b->limit);
		}
		b->count += (uint64_t)n;
		if (bg_digest_update(&b->ctx, buf, (size_t)n) < 0)
			return blob_fail(b, err, BG_E_EVAL, "%s: hashing blob %s failed", b->where,
					 b->expected);
		return n;
	}

	/* End of the transport's stream: now and only now decide. */
	if (b->size >= 0 && b->count < (uint64_t)b->size)
		return blob_fail(b, err, BG_E_EVAL,
				 "%s: blob %s is truncated: %llu of the %lld bytes its descriptor announces",
				 b->where, b->expected, (unsigned long long)b->count, (long long)b->size);
	char got[BG_DIGEST_STRING_MAX];
	bg_error herr = {0};
	if (bg_digest_final(&b->ctx, got, &herr) < 0)
		return blob_fail(b, err, BG_E_EVAL, "%s: hashing blob %s failed: %s", b->where,
				 b->expected, herr.message);
	if (!bg_digest_equal(got, b->expected))
		return blob_fail(b, err, BG_E_EVAL,
				 "%s: blob digest mismatch: expected %s, got %s (%llu bytes); the "
				 "source is corrupt or tampered with",
				 b->where, b->expected, got, (unsigned long long)b->count);
	b->verified = true;
	return 0;
}

int bg_blob_drain(bg_blob *b, bg_error *err)
{
	char *buf = malloc(BLOB_CHUNK);
	if (!buf)
		return bg_error_set(err, BG_E_NOMEM, "out of memory draining blob %s", b->expected);
	ssize_t n;
	while ((n = bg_blob_read(b, buf, BLOB_CHUNK, err)) > 0)
		;
	free(buf);
	return n < 0 ? (int)n : 0;
}

int bg_blob_read_all(bg_blob *b, size_t max, char **data, size_t *len, bg_error *err)
{
	*data = NULL;
	*len = 0;
	if (b->size >= 0 && (uint64_t)b->size > max)
		return bg_error_set(err, BG_E_EVAL,
				    "%s: blob %s is %lld bytes, more than the %zu-byte limit for it",
				    b->where, b->expected, (long long)b->size, max);
	if (b->size < 0 && b->limit > max)
		b->limit = max;
	bg_strbuf sb = {0};
	char *buf = malloc(BLOB_CHUNK);
	if (!buf)
		return bg_error_set(err, BG_E_NOMEM, "out of memory reading blob %s", b->expected);
	ssize_t n;
	while ((n = bg_blob_read(b, buf, BLOB_CHUNK, err)) > 0)
		bg_strbuf_add(&sb, buf, (size_t)n);
	free(buf);
	if (n < 0) {
		bg_strbuf_free(&sb);
		return (int)n;
	}
	if (sb.oom) {
		bg_strbuf_free(&sb);
		return bg_error_set(err, BG_E_NOMEM, "out of memory reading blob %s", b->expected);
	}
	*len = sb.len;
	*data = bg_strbuf_take(&sb);
	if (!*data) /* an empty blob: still a valid, empty string */
		*data = calloc(1, 1);
	if (!*data)
		return bg_error_set(err, BG_E_NOMEM, "out of memory reading blob %s", b->expected);
	return 0;
}

void bg_blob_close(bg_blob *b)
{
	if (!b)
		return;
	if (b->handle && b->src->ops->close_blob)
		b->src->ops->close_blob(b->handle);
	bg_digest_reset(&b->ctx);
	free(b->where);
	free(b);
}

int bg_source_read_manifest_blob(bg_source *s, const char *digest, int64_t size,
				 const char *media_type, const char *location, bg_manifest_bytes *out,
				 bg_error *err)
{
	memset(out, 0, sizeof *out);
	if (size > (int64_t)BG_MAX_MANIFEST_BYTES)
		return bg_error_set(err, BG_E_EVAL,
				    "%s: manifest %s is %lld bytes, more than the %lu-byte limit",
				    location, digest, (long long)size, BG_MAX_MANIFEST_BYTES);
	bg_descriptor d = {.media_type = (char *)media_type, .digest = (char *)digest, .size = size};
	bg_blob *b = NULL;
	int rc = blob_open(s, &d, BG_MAX_MANIFEST_BYTES, &b, err);
	if (rc < 0)
		return rc;
	rc = bg_blob_read_all(b, BG_MAX_MANIFEST_BYTES, &out->data, &out->len, err);
	bg_blob_close(b);
	if (rc < 0)
		return rc;
	out->content_type = media_type ? bg_strdup(media_type) : NULL;
	out->location = bg_strdup(location);
	if ((media_type && !out->content_type) || !out->location) {
		bg_manifest_bytes_free(out);
		return bg_error_set(err, BG_E_NOMEM, "out of memory reading manifest %s", digest);
	}
	return 0;
}
