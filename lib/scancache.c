/* bootgate — the scan cache (scancache.h).
 *
 * File format (all integers little-endian):
 *   "BGSCAN\n" u32 version
 *   str layer-digest, str paths-digest, str diff-id, str media-type
 *   u64 bytes-in, u64 bytes-out, u64 tar-entries, u64 n-entries
 *   n × entry: str path, u32 type, u32 mode, u32 uid, u32 gid, u64 size,
 *              u32 seq, u8 flags (1 too-large, 2 was-hardlink, 4 dangling,
 *              8 has-link, 16 has-data), [str link], [u64 len, bytes data]
 *   "sha256:<hex>" of everything before it (71 bytes)
 * str = u32 length + bytes.  Anything that does not parse exactly is a miss. */
#include "bootgate/scancache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootgate/digest.h"
#include "bootgate/limits.h"
#include "util.h"

#define MAGIC "BGSCAN\n"
#define TRAILER 71 /* "sha256:" + 64 hex */

int bg_scancache_dir(const char *dir, char **out, bg_error *err)
{
	*out = NULL;
	if (dir && *dir) {
		*out = bg_strdup(dir);
	} else {
		const char *xdg = getenv("XDG_CACHE_HOME");
		const char *home = getenv("HOME");
		if (xdg && xdg[0] == '/') {
			if (asprintf(out, "%s/bootgate", xdg) < 0)
				*out = NULL;
		} else if (home && home[0] == '/') {
			if (asprintf(out, "%s/.cache/bootgate", home) < 0)
				*out = NULL;
		} else {
			return bg_error_set(err, BG_E_USAGE,
					    "no cache directory: set XDG_CACHE_HOME or HOME, give "
					    "--cache-dir, or use --no-cache");
		}
	}
	return *out ? 0 : bg_error_set(err, BG_E_NOMEM, "out of memory");
}

/* <dir>/layers/<hex>-<paths hex, 32>.scan, or NULL when a digest is not
 * valid (never build a path from an unchecked string). */
static char *entry_path(const char *dir, const char *layer_digest, const char *paths_digest)
{
	const char *lhex, *phex;
	if (bg_digest_parse(layer_digest, NULL, &lhex, NULL) < 0 ||
	    bg_digest_parse(paths_digest, NULL, &phex, NULL) < 0)
		return NULL;
	char *p = NULL;
	if (asprintf(&p, "%s/layers/%s-%.32s.scan", dir, lhex, phex) < 0)
		return NULL;
	return p;
}

/* The directory is usable when it is ours and nobody else can write it. */
static bool dir_trusted(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	return st.st_uid == geteuid() && (st.st_mode & 022) == 0;
}

static int make_dirs(const char *dir, bg_error *err)
{
	char *layers = NULL;
	if (asprintf(&layers, "%s/layers", dir) < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	/* Parents of the cache dir (e.g. ~/.cache) are created 0700 too. */
	for (char *p = layers + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(layers, 0700) < 0 && errno != EEXIST) {
				int e = errno;
				*p = '/';
				int rc = bg_error_set(err, BG_E_EVAL, "cannot create %s: %s", layers,
						      strerror(e));
				free(layers);
				return rc;
			}
			*p = '/';
		}
	}
	if (mkdir(layers, 0700) < 0 && errno != EEXIST) {
		int rc = bg_error_set(err, BG_E_EVAL, "cannot create %s: %s", layers, strerror(errno));
		free(layers);
		return rc;
	}
	bool ok = dir_trusted(dir) && dir_trusted(layers);
	free(layers);
	if (!ok)
		return bg_error_set(err, BG_E_EVAL,
				    "cache directory %s is not a private directory of this user: not "
				    "used",
				    dir);
	return 0;
}

/* ---- writing ------------------------------------------------------- */

static void put_u32(bg_strbuf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	bg_strbuf_add(b, (const char *)x, 4);
}

static void put_u64(bg_strbuf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

static void put_str(bg_strbuf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	put_u32(b, (uint32_t)n);
	bg_strbuf_add(b, s ? s : "", n);
}

int bg_scancache_store(const char *dir, const char *paths_digest, const bg_layer_scan *s,
		       bg_error *err)
{
	_cleanup_free_ char *path = entry_path(dir, s->digest, paths_digest);
	if (!path)
		return bg_error_set(err, BG_E_EVAL, "cache: invalid digest");
	int rc = make_dirs(dir, err);
	if (rc < 0)
		return rc;
	bg_strbuf b = {0};
	bg_strbuf_add(&b, MAGIC, strlen(MAGIC));
	put_u32(&b, BG_SCANCACHE_VERSION);
	put_str(&b, s->digest);
	put_str(&b, paths_digest);
	put_str(&b, s->diff_id);
	put_str(&b, s->media_type);
	put_u64(&b, s->bytes_in);
	put_u64(&b, s->bytes_out);
	put_u64(&b, s->tar_entries);
	put_u64(&b, s->n_entries);
	for (size_t i = 0; i < s->n_entries; i++) {
		const bg_layer_entry *e = &s->entries[i];
		put_str(&b, e->path);
		put_u32(&b, (uint32_t)e->type);
		put_u32(&b, e->mode);
		put_u32(&b, e->uid);
		put_u32(&b, e->gid);
		put_u64(&b, e->size);
		put_u32(&b, e->seq);
		unsigned char flags = (unsigned char)((e->too_large ? 1 : 0) | (e->was_hardlink ? 2 : 0) |
						      (e->dangling ? 4 : 0) | (e->link ? 8 : 0) |
						      (e->data ? 16 : 0));
		bg_strbuf_add(&b, (const char *)&flags, 1);
		if (e->link)
			put_str(&b, e->link);
		if (e->data) {
			put_u64(&b, e->len);
			bg_strbuf_add(&b, (const char *)e->data, e->len);
		}
	}
	if (b.oom) {
		bg_strbuf_free(&b);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	char sum[BG_DIGEST_STRING_MAX];
	rc = bg_digest_buffer(BG_DIGEST_SHA256, b.s, b.len, sum, err);
	if (rc == 0)
		bg_strbuf_add(&b, sum, TRAILER);
	if (rc < 0 || b.oom) {
		bg_strbuf_free(&b);
		return rc < 0 ? rc : bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0) {
		bg_strbuf_free(&b);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		rc = bg_error_set(err, BG_E_EVAL, "cache: cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		bg_strbuf_free(&b);
		return rc;
	}
	size_t off = 0;
	while (off < b.len) {
		ssize_t n = write(fd, b.s + off, b.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	bool ok = off == b.len;
	ok = close(fd) == 0 && ok;
	bg_strbuf_free(&b);
	if (!ok || rename(tmp, path) < 0) {
		rc = bg_error_set(err, BG_E_EVAL, "cache: cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return rc;
	}
	free(tmp);
	return 0;
}

/* ---- reading ------------------------------------------------------- */

typedef struct reader {
	const unsigned char *p;
	size_t len, pos;
	bool bad;
} reader;

static uint32_t get_u32(reader *r)
{
	if (r->len - r->pos < 4) {
		r->bad = true;
		return 0;
	}
	const unsigned char *x = r->p + r->pos;
	r->pos += 4;
	return (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
}

static uint64_t get_u64(reader *r)
{
	uint64_t lo = get_u32(r);
	return lo | (uint64_t)get_u32(r) << 32;
}

static char *get_bytes(reader *r, uint64_t n)
{
	if (r->bad || n > r->len - r->pos) {
		r->bad = true;
		return NULL;
	}
	char *s = malloc((size_t)n + 1);
	if (!s) {
		r->bad = true;
		return NULL;
	}
	memcpy(s, r->p + r->pos, (size_t)n);
	s[n] = '\0';
	r->pos += (size_t)n;
	return s;
}

static char *get_str(reader *r)
{
	uint32_t n = get_u32(r);
	return get_bytes(r, n);
}

static bool str_is(reader *r, const char *want)
{
	char *s = get_str(r);
	bool ok = s && strcmp(s, want) == 0;
	free(s);
	return ok;
}

int bg_scancache_load(const char *dir, const char *layer_digest, const char *paths_digest,
		      bg_layer_scan **out, bg_error *err)
{
	*out = NULL;
	_cleanup_free_ char *path = entry_path(dir, layer_digest, paths_digest);
	if (!path)
		return 0;
	_cleanup_free_ char *layers = NULL;
	if (asprintf(&layers, "%s/layers", dir) < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (!dir_trusted(dir) || !dir_trusted(layers))
		return 0;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	bg_error rerr = {0};
	if (bg_read_file(path, BG_MAX_CACHE_FILE_BYTES, &data, &len, &rerr) < 0)
		return 0;
	if (len < strlen(MAGIC) + TRAILER || memcmp(data, MAGIC, strlen(MAGIC)) != 0)
		return 0;
	char sum[BG_DIGEST_STRING_MAX];
	if (bg_digest_buffer(BG_DIGEST_SHA256, data, len - TRAILER, sum, &rerr) < 0 ||
	    memcmp(sum, data + len - TRAILER, TRAILER) != 0)
		return 0;
	reader r = { (const unsigned char *)data, len - TRAILER, strlen(MAGIC), false };
	if (get_u32(&r) != BG_SCANCACHE_VERSION || !str_is(&r, layer_digest) ||
	    !str_is(&r, paths_digest))
		return 0;
	bg_layer_scan *s = calloc(1, sizeof *s);
	if (!s)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	s->digest = bg_strdup(layer_digest);
	s->diff_id = get_str(&r);
	s->media_type = get_str(&r);
	s->bytes_in = get_u64(&r);
	s->bytes_out = get_u64(&r);
	s->tar_entries = get_u64(&r);
	uint64_t n = get_u64(&r);
	/* Each entry takes at least 33 bytes: a bound before allocating. */
	if (r.bad || !s->digest || !bg_digest_valid(s->diff_id) || n > (r.len - r.pos) / 33) {
		bg_layer_scan_free(s);
		return 0;
	}
	s->entries = calloc(n ? n : 1, sizeof *s->entries);
	if (!s->entries) {
		bg_layer_scan_free(s);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	for (uint64_t i = 0; i < n && !r.bad; i++) {
		bg_layer_entry *e = &s->entries[i];
		s->n_entries++;
		e->path = get_str(&r);
		uint32_t type = get_u32(&r);
		e->mode = get_u32(&r);
		e->uid = get_u32(&r);
		e->gid = get_u32(&r);
		e->size = get_u64(&r);
		e->seq = get_u32(&r);
		if (type > BG_ENTRY_OPAQUE || r.len - r.pos < 1) {
			r.bad = true;
			break;
		}
		e->type = (bg_entry_type)type;
		unsigned flags = r.p[r.pos++];
		e->too_large = flags & 1;
		e->was_hardlink = flags & 2;
		e->dangling = flags & 4;
		if (flags & 8)
			e->link = get_str(&r);
		if (flags & 16) {
			uint64_t dl = get_u64(&r);
			e->data = (unsigned char *)get_bytes(&r, dl);
			e->len = (size_t)dl;
		}
		if (!e->path || !e->path[0] || flags > 31)
			r.bad = true;
	}
	if (r.bad || r.pos != r.len) {
		bg_layer_scan_free(s);
		return 0;
	}
	s->from_cache = true;
	*out = s;
	return 0;
}
