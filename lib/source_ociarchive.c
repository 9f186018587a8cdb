/* bootgate — oci-archive:FILE[:NAME|:@N], a tar of an OCI layout, read with
 * libarchive without unpacking anything to disk; and the tar index the
 * docker-archive reader shares (source_local.h).
 *
 * Two passes over the file, as registry-layers.md §2.2 suggests: the first
 * records every entry (name, type, size, ordinal) and keeps the small files
 * in memory (oci-layout, index.json, and small blobs such as manifests and
 * configs, within a total budget); a blob stream re-reads the archive from
 * the start and skips to its entry — on an uncompressed tar a skip is a
 * seek, so that costs one header read per entry.  Reads go through pread on
 * one descriptor, so several streams can be open at once and the file is
 * not re-opened by name.
 *
 * Entry names are normalised ("./a//b/" → "a/b"); an absolute name or a ".."
 * component makes the whole archive unusable, as does a name that appears
 * twice (two readers of the same archive must not see different files).
 * Only the tar format and the gzip/zstd filters built into libarchive are
 * enabled (never an external program). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "bootgate/digest.h"
#include "bootgate/limits.h"
#include "bootgate/source.h"
#include "source_local.h"
#include "util.h"

#define TAR_MAX_ENTRIES 500000
#define TAR_READ_CHUNK (64 * 1024)

struct bg_tar_index {
	int fd;
	int64_t file_size;
	char *where;
	bg_tar_entry *entries;
	size_t n, cap;
	size_t *sorted;      /* indexes into entries, by name */
	size_t cached_bytes;
};

/* ---- Names ---- */

char *bg_tar_normalise(const char *name, const char *where, bg_error *err)
{
	if (!name) {
		bg_error_set(err, BG_E_EVAL, "%s: an entry has no name", where);
		return NULL;
	}
	if (name[0] == '/') {
		bg_error_set(err, BG_E_EVAL, "%s: refusing absolute entry name \"%.200s\"", where, name);
		return NULL;
	}
	bg_strbuf b = {0};
	const char *p = name;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			bg_strbuf_free(&b);
			bg_error_set(err, BG_E_EVAL, "%s: refusing entry name \"%.200s\" with a \"..\" component",
				     where, name);
			return NULL;
		}
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (b.len)
				bg_strbuf_putc(&b, '/');
			bg_strbuf_add(&b, p, n);
		}
		p += n;
		while (*p == '/')
			p++;
	}
	if (b.oom) {
		bg_strbuf_free(&b);
		bg_error_set(err, BG_E_NOMEM, "out of memory");
		return NULL;
	}
	char *s = bg_strbuf_take(&b);
	if (!s)
		bg_error_set(err, BG_E_EVAL, "%s: entry name \"%.200s\" is empty once normalised", where, name);
	return s;
}

/* dir(from) + "/" + target with ".." applied, staying inside the archive. */
static char *resolve_symlink(const char *from, const char *target)
{
	if (!target || !*target || target[0] == '/')
		return NULL;
	bg_strv parts = {0};
	char *copy = NULL;
	if (asprintf(&copy, "%s/../%s", from, target) < 0)
		return NULL;
	char *save = NULL;
	bool ok = true;
	for (char *c = strtok_r(copy, "/", &save); c && ok; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			if (parts.n == 0)
				ok = false;
			else
				free(parts.v[--parts.n]);
			continue;
		}
		if (bg_strv_push(&parts, c) < 0)
			ok = false;
	}
	free(copy);
	bg_strbuf b = {0};
	for (size_t i = 0; ok && i < parts.n; i++) {
		if (i)
			bg_strbuf_putc(&b, '/');
		bg_strbuf_puts(&b, parts.v[i]);
	}
	bg_strv_free(&parts);
	if (!ok || b.oom || b.len == 0) {
		bg_strbuf_free(&b);
		return NULL;
	}
	return bg_strbuf_take(&b);
}

/* ---- libarchive over pread ---- */

typedef struct tar_reader {
	int fd;
	int64_t off, end;
	char buf[TAR_READ_CHUNK];
} tar_reader;

static la_ssize_t reader_read(struct archive *a, void *ctx, const void **buf)
{
	tar_reader *r = ctx;
	*buf = r->buf;
	for (;;) {
		ssize_t n = pread(r->fd, r->buf, sizeof r->buf, (off_t)r->off);
		if (n >= 0) {
			r->off += n;
			return n;
		}
		if (errno != EINTR) {
			archive_set_error(a, errno, "read: %s", strerror(errno));
			return -1;
		}
	}
}

/* Called for data libarchive does not need (other entries, on an
 * uncompressed tar): move the offset, never past the end. */
static la_int64_t reader_skip(struct archive *a, void *ctx, la_int64_t request)
{
	tar_reader *r = ctx;
	if (request <= 0)
		return 0;
	int64_t left = r->end > r->off ? r->end - r->off : 0;
	int64_t n = request < left ? request : left;
	r->off += n;
	return n;
}

static struct archive *reader_open(tar_reader *r, int fd, int64_t end, const char *where,
				   bg_error *err)
{
	r->fd = fd;
	r->off = 0;
	r->end = end;
	struct archive *a = archive_read_new();
	if (!a) {
		bg_error_set(err, BG_E_NOMEM, "out of memory");
		return NULL;
	}
	/* ARCHIVE_WARN here would mean "falls back to an external program":
	 * refuse rather than exec anything. */
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(a) != ARCHIVE_OK) {
		bg_error_set(err, BG_E_EVAL, "%s: libarchive lacks built-in tar/gzip/zstd support", where);
		archive_read_free(a);
		return NULL;
	}
	if (archive_read_open2(a, r, NULL, reader_read, reader_skip, NULL) != ARCHIVE_OK) {
		bg_error_set(err, BG_E_EVAL, "%s: not a readable tar archive: %s", where,
			     archive_error_string(a) ? archive_error_string(a) : "unknown format");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* ---- First pass ---- */

static int cmp_by_name(const void *a, const void *b, void *ctx)
{
	const bg_tar_index *t = ctx;
	return strcmp(t->entries[*(const size_t *)a].name, t->entries[*(const size_t *)b].name);
}

static void entry_clear(bg_tar_entry *e)
{
	free(e->name);
	free(e->link);
	free(e->data);
}

void bg_tar_index_free(bg_tar_index *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	for (size_t i = 0; i < t->n; i++)
		entry_clear(&t->entries[i]);
	free(t->entries);
	free(t->sorted);
	free(t->where);
	free(t);
}

const char *bg_tar_index_where(const bg_tar_index *t)
{
	return t->where;
}

size_t bg_tar_index_count(const bg_tar_index *t)
{
	return t->n;
}

const bg_tar_entry *bg_tar_index_at(const bg_tar_index *t, size_t i)
{
	return i < t->n ? &t->entries[i] : NULL;
}

static int archive_fail(struct archive *a, const char *where, const char *what, bg_error *err)
{
	const char *msg = archive_error_string(a);
	return bg_error_set(err, BG_E_EVAL, "%s: %s: %s", where, what, msg ? msg : "unknown error");
}

/* Reads the current entry's data into memory (size bytes). */
static int read_entry_data(struct archive *a, int64_t size, const char *where, const char *name,
			   char **data, size_t *len, bg_error *err)
{
	char *buf = malloc((size_t)size + 1);
	if (!buf)
		return bg_error_set(err, BG_E_NOMEM, "out of memory reading %s", name);
	size_t got = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf + got, (size_t)size - got);
		if (n < 0) {
			free(buf);
			return archive_fail(a, where, name, err);
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == (size_t)size) {
			/* confirm the end (libarchive reports 0 next) */
			char extra;
			n = archive_read_data(a, &extra, 1);
			if (n != 0) {
				free(buf);
				if (n < 0)
					return archive_fail(a, where, name, err);
				return bg_error_set(err, BG_E_EVAL, "%s: %s holds more data than its header says",
						    where, name);
			}
			break;
		}
	}
	if (got != (size_t)size) {
		free(buf);
		return bg_error_set(err, BG_E_EVAL, "%s: %s is truncated", where, name);
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

static int index_entry(bg_tar_index *t, struct archive *a, struct archive_entry *ae, size_t ordinal,
		       bg_tar_cache_fn cache, size_t max_cache, bg_error *err)
{
	const char *raw = archive_entry_pathname(ae);
	if (!raw)
		return bg_error_set(err, BG_E_EVAL, "%s: entry %zu has no usable name", t->where, ordinal);
	/* The archive root itself ("." or "./"). */
	bool is_root = true;
	for (const char *p = raw; *p; p++)
		if (*p != '.' && *p != '/')
			is_root = false;
	if (is_root && raw[0] != '/' && strstr(raw, "..") == NULL)
		return 0;
	_cleanup_free_ char *name = bg_tar_normalise(raw, t->where, err);
	if (!name)
		return err ? err->status : BG_E_EVAL;
	mode_t ft = archive_entry_filetype(ae);
	const char *hard = archive_entry_hardlink(ae);
	if (ft == AE_IFDIR && !hard)
		return 0;

	if (t->n == t->cap) {
		if (t->n >= TAR_MAX_ENTRIES)
			return bg_error_set(err, BG_E_EVAL, "%s: more than %d entries; refusing", t->where,
					    TAR_MAX_ENTRIES);
		size_t cap = t->cap ? t->cap * 2 : 64;
		bg_tar_entry *ne = realloc(t->entries, cap * sizeof *ne);
		if (!ne)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		t->entries = ne;
		t->cap = cap;
	}
	bg_tar_entry *e = &t->entries[t->n];
	memset(e, 0, sizeof *e);
	e->ordinal = ordinal;
	e->size = archive_entry_size(ae);
	if (hard) {
		e->type = BG_TAR_HARDLINK;
		e->link = bg_tar_normalise(hard, t->where, err);
		if (!e->link)
			return err ? err->status : BG_E_EVAL;
	} else if (ft == AE_IFLNK) {
		e->type = BG_TAR_SYMLINK;
		const char *target = archive_entry_symlink(ae);
		e->link = bg_strdup(target ? target : "");
		if (!e->link)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
	} else if (ft == AE_IFREG) {
		e->type = BG_TAR_FILE;
	} else {
		e->type = BG_TAR_OTHER;
	}
	e->name = BG_TAKE_PTR(name);
	t->n++;

	if (e->type != BG_TAR_FILE || e->size <= 0)
		return 0;
	if (cache && (uint64_t)e->size <= max_cache &&
	    t->cached_bytes + (size_t)e->size <= BG_TAR_CACHE_BUDGET && cache(e->name, e->size)) {
		int rc = read_entry_data(a, e->size, t->where, e->name, &e->data, &e->data_len, err);
		if (rc < 0)
			return rc;
		t->cached_bytes += e->data_len;
		e->magic_len = e->data_len < sizeof e->magic ? e->data_len : sizeof e->magic;
		memcpy(e->magic, e->data, e->magic_len);
		return 0;
	}
	/* The first bytes, to tell compressed layers from plain tar. */
	while (e->magic_len < sizeof e->magic) {
		la_ssize_t n = archive_read_data(a, e->magic + e->magic_len, sizeof e->magic - e->magic_len);
		if (n < 0)
			return archive_fail(a, t->where, e->name, err);
		if (n == 0)
			break;
		e->magic_len += (size_t)n;
	}
	return 0;
}

int bg_tar_index_open(const char *path, const char *where, bg_tar_cache_fn cache, size_t max_cache,
		      bg_tar_index **out, bg_error *err)
{
	*out = NULL;
	bg_tar_index *t = calloc(1, sizeof *t);
	if (!t)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	t->fd = -1;
	if (!(t->where = bg_strdup(where))) {
		bg_tar_index_free(t);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	t->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (t->fd < 0 || fstat(t->fd, &st) < 0) {
		int rc = bg_error_set(err, BG_E_EVAL, "%s: cannot open: %s", where, strerror(errno));
		bg_tar_index_free(t);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		bg_tar_index_free(t);
		return bg_error_set(err, BG_E_EVAL, "%s: not a regular file%s", where,
				    S_ISDIR(st.st_mode) ? " (for a layout directory use oci:)" : "");
	}
	t->file_size = st.st_size;

	tar_reader *r = malloc(sizeof *r);
	if (!r) {
		bg_tar_index_free(t);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	struct archive *a = reader_open(r, t->fd, t->file_size, where, err);
	int rc = a ? 0 : (err ? err->status : BG_E_EVAL);
	for (size_t ordinal = 0; rc == 0; ordinal++) {
		struct archive_entry *ae = NULL;
		int ar = archive_read_next_header(a, &ae);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			rc = archive_fail(a, where, ordinal ? "reading the archive" : "not a readable tar archive",
					  err);
			break;
		}
		rc = index_entry(t, a, ae, ordinal, cache, max_cache, err);
	}
	if (a)
		archive_read_free(a);
	free(r);
	if (rc < 0) {
		bg_tar_index_free(t);
		return rc;
	}

	t->sorted = malloc((t->n ? t->n : 1) * sizeof *t->sorted);
	if (!t->sorted) {
		bg_tar_index_free(t);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < t->n; i++)
		t->sorted[i] = i;
	qsort_r(t->sorted, t->n, sizeof *t->sorted, cmp_by_name, t);
	for (size_t i = 1; i < t->n; i++) {
		const char *n = t->entries[t->sorted[i]].name;
		if (strcmp(n, t->entries[t->sorted[i - 1]].name) == 0) {
			rc = bg_error_set(err, BG_E_EVAL,
					  "%s: \"%.200s\" appears twice in the archive; refusing an "
					  "ambiguous archive",
					  where, n);
			bg_tar_index_free(t);
			return rc;
		}
	}
	*out = t;
	return 0;
}

const bg_tar_entry *bg_tar_index_find(const bg_tar_index *t, const char *name)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const bg_tar_entry *e = &t->entries[t->sorted[mid]];
		int c = strcmp(name, e->name);
		if (c == 0)
			return e;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int bg_tar_index_resolve(const bg_tar_index *t, const bg_tar_entry *e, const bg_tar_entry **out,
			 bg_error *err)
{
	*out = NULL;
	const bg_tar_entry *target = e;
	if (e->type == BG_TAR_HARDLINK) {
		target = bg_tar_index_find(t, e->link);
	} else if (e->type == BG_TAR_SYMLINK) {
		_cleanup_free_ char *p = resolve_symlink(e->name, e->link);
		if (!p)
			return bg_error_set(err, BG_E_EVAL,
					    "%s: %s is a symbolic link to \"%.200s\", which leaves the archive",
					    t->where, e->name, e->link);
		target = bg_tar_index_find(t, p);
	}
	if (!target)
		return bg_error_set(err, BG_E_EVAL, "%s: %s links to \"%.200s\", which is not in the archive",
				    t->where, e->name, e->link);
	if (target->type != BG_TAR_FILE)
		return bg_error_set(err, BG_E_EVAL, "%s: %s is not a regular file%s", t->where, e->name,
				    target != e ? " (links are followed once)" : "");
	*out = target;
	return 0;
}

/* ---- Second pass: a stream over one entry ---- */

typedef struct tar_stream {
	/* A cached entry is served from memory ... */
	const char *mem;
	size_t mem_len, mem_pos;
	/* ... anything else by a reader positioned at the entry. */
	struct archive *a;
	tar_reader *r;
	char *name;
	char *where;
} tar_stream;

void bg_tar_entry_close(void *handle)
{
	tar_stream *s = handle;
	if (!s)
		return;
	if (s->a)
		archive_read_free(s->a);
	free(s->r);
	free(s->name);
	free(s->where);
	free(s);
}

int bg_tar_entry_open(bg_tar_index *t, const bg_tar_entry *e, void **handle, bg_error *err)
{
	*handle = NULL;
	if (e->type != BG_TAR_FILE)
		return bg_error_set(err, BG_E_EVAL, "%s: %s is not a regular file", t->where, e->name);
	tar_stream *s = calloc(1, sizeof *s);
	if (!s || !(s->name = bg_strdup(e->name)) || !(s->where = bg_strdup(t->where))) {
		bg_tar_entry_close(s);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	if (e->data || e->size == 0) {
		s->mem = e->data ? e->data : "";
		s->mem_len = e->data_len;
		*handle = s;
		return 0;
	}
	if (!(s->r = malloc(sizeof *s->r))) {
		bg_tar_entry_close(s);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	s->a = reader_open(s->r, t->fd, t->file_size, t->where, err);
	if (!s->a) {
		bg_tar_entry_close(s);
		return err ? err->status : BG_E_EVAL;
	}
	for (size_t ordinal = 0;; ordinal++) {
		struct archive_entry *ae = NULL;
		int ar = archive_read_next_header(s->a, &ae);
		if (ar < ARCHIVE_WARN || ar == ARCHIVE_EOF) {
			int rc = ar == ARCHIVE_EOF
					 ? bg_error_set(err, BG_E_EVAL, "%s: %s is gone; did the archive change?",
							t->where, e->name)
					 : archive_fail(s->a, t->where, "re-reading the archive", err);
			bg_tar_entry_close(s);
			return rc;
		}
		if (ordinal < e->ordinal)
			continue;
		/* The same entry as in the first pass, or the file changed. */
		bg_error nerr = {0};
		_cleanup_free_ char *n = bg_tar_normalise(archive_entry_pathname(ae), t->where, &nerr);
		if (!n || strcmp(n, e->name) != 0 || archive_entry_size(ae) != e->size) {
			bg_tar_entry_close(s);
			return bg_error_set(err, BG_E_EVAL, "%s: the archive changed while being read (at %s)",
					    t->where, e->name);
		}
		break;
	}
	*handle = s;
	return 0;
}

ssize_t bg_tar_entry_read(void *handle, void *buf, size_t len, bg_error *err)
{
	tar_stream *s = handle;
	if (s->mem) {
		size_t n = s->mem_len - s->mem_pos;
		if (n > len)
			n = len;
		memcpy(buf, s->mem + s->mem_pos, n);
		s->mem_pos += n;
		return (ssize_t)n;
	}
	la_ssize_t n = archive_read_data(s->a, buf, len);
	if (n < 0)
		return archive_fail(s->a, s->where, s->name, err);
	return n;
}

int bg_tar_entry_read_all(bg_tar_index *t, const bg_tar_entry *e, size_t max, char **data,
			  size_t *len, bg_error *err)
{
	*data = NULL;
	*len = 0;
	if (e->size < 0 || (uint64_t)e->size > max)
		return bg_error_set(err, BG_E_EVAL, "%s: %s is %lld bytes, more than the %zu-byte limit",
				    t->where, e->name, (long long)e->size, max);
	if (e->data) {
		if (!(*data = malloc(e->data_len + 1)))
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		memcpy(*data, e->data, e->data_len + 1);
		*len = e->data_len;
		return 0;
	}
	void *h = NULL;
	int rc = bg_tar_entry_open(t, e, &h, err);
	if (rc < 0)
		return rc;
	char *buf = malloc((size_t)e->size + 1);
	size_t got = 0;
	if (!buf) {
		bg_tar_entry_close(h);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	for (;;) {
		char *dst = got < (size_t)e->size ? buf + got : NULL;
		char spill;
		ssize_t n = bg_tar_entry_read(h, dst ? dst : &spill, dst ? (size_t)e->size - got : 1, err);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0)
			break;
		if (!dst) {
			rc = bg_error_set(err, BG_E_EVAL, "%s: %s holds more data than its header says",
					  t->where, e->name);
			break;
		}
		got += (size_t)n;
	}
	bg_tar_entry_close(h);
	if (rc == 0 && got != (size_t)e->size)
		rc = bg_error_set(err, BG_E_EVAL, "%s: %s is truncated", t->where, e->name);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

/* ---- The oci-archive transport ---- */

typedef struct oci_archive {
	bg_tar_index *tar;
	char *where;   /* "oci-archive:FILE" */
	bg_oci_choice choice;
} oci_archive;

/* Keep the layout's own files and small blobs (manifests, configs). */
static bool ociarchive_cache(const char *name, int64_t size)
{
	if (strcmp(name, "oci-layout") == 0 || strcmp(name, "index.json") == 0)
		return true;
	return bg_str_has_prefix(name, "blobs/") && size <= 256 * 1024;
}

static int find_blob(bg_tar_index *tar, const char *where, const char *digest,
		     const bg_tar_entry **out, bg_error *err)
{
	_cleanup_free_ char *rel = bg_oci_blob_path(digest, where, err);
	if (!rel)
		return err ? err->status : BG_E_EVAL;
	const bg_tar_entry *e = bg_tar_index_find(tar, rel);
	if (!e)
		return bg_error_set(err, BG_E_EVAL, "%s: blob %s (%s) is not in the archive", where, digest,
				    rel);
	return bg_tar_index_resolve(tar, e, out, err);
}

static int ociarchive_get_manifest(bg_source *s, const char *digest, bg_manifest_bytes *out,
				   bg_error *err)
{
	oci_archive *o = s->impl;
	const char *want = digest ? digest : o->choice.digest;
	_cleanup_free_ char *rel = bg_oci_blob_path(want, o->where, err);
	if (!rel)
		return err ? err->status : BG_E_EVAL;
	_cleanup_free_ char *location = NULL;
	if (asprintf(&location, "%s/%s", o->where, rel) < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (digest)
		return bg_source_read_manifest_blob(s, digest, -1, NULL, location, out, err);
	return bg_source_read_manifest_blob(s, o->choice.digest, o->choice.size, o->choice.media_type,
					    location, out, err);
}

static int ociarchive_open_blob(bg_source *s, const bg_descriptor *d, void **handle, bg_error *err)
{
	oci_archive *o = s->impl;
	const bg_tar_entry *e = NULL;
	int rc = find_blob(o->tar, o->where, d->digest, &e, err);
	if (rc < 0)
		return rc;
	return bg_tar_entry_open(o->tar, e, handle, err);
}

static void oci_archive_free(oci_archive *o)
{
	if (!o)
		return;
	bg_tar_index_free(o->tar);
	free(o->where);
	bg_oci_choice_free(&o->choice);
	free(o);
}

static void ociarchive_close(bg_source *s)
{
	oci_archive_free(s->impl);
	s->impl = NULL;
}

static const bg_source_ops ociarchive_ops = {
	.name = "oci-archive",
	.get_manifest = ociarchive_get_manifest,
	.open_blob = ociarchive_open_blob,
	.read_blob = bg_tar_entry_read,
	.close_blob = bg_tar_entry_close,
	.close = ociarchive_close,
};

int bg_source_ociarchive_open(const bg_image_ref *ref, const bg_source_options *opts,
			      bg_source **out, bg_error *err)
{
	*out = NULL;
	if (!ref->path)
		return bg_error_set(err, BG_E_USAGE, "oci-archive: no archive file given");
	oci_archive *o = calloc(1, sizeof *o);
	if (!o)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (asprintf(&o->where, "oci-archive:%s", ref->path) < 0) {
		o->where = NULL;
		oci_archive_free(o);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	int rc = bg_tar_index_open(ref->path, o->where, ociarchive_cache, BG_MAX_MANIFEST_BYTES, &o->tar,
				   err);
	const bg_tar_entry *layout = NULL, *index = NULL;
	_cleanup_free_ char *layout_data = NULL, *index_data = NULL;
	size_t layout_len = 0, index_len = 0;
	if (rc == 0) {
		layout = bg_tar_index_find(o->tar, "oci-layout");
		index = bg_tar_index_find(o->tar, "index.json");
		if (!layout || !index)
			rc = bg_error_set(err, BG_E_EVAL,
					  "%s: not an OCI layout archive: %s is missing%s", o->where,
					  !layout ? "oci-layout" : "index.json",
					  bg_tar_index_find(o->tar, "manifest.json")
						  ? " (it has a manifest.json: try docker-archive:)"
						  : "");
	}
	if (rc == 0)
		rc = bg_tar_index_resolve(o->tar, layout, &layout, err);
	if (rc == 0)
		rc = bg_tar_entry_read_all(o->tar, layout, 64 * 1024, &layout_data, &layout_len, err);
	if (rc == 0)
		rc = bg_oci_check_layout_file(layout_data, layout_len, o->where, err);
	if (rc == 0)
		rc = bg_tar_index_resolve(o->tar, index, &index, err);
	if (rc == 0)
		rc = bg_tar_entry_read_all(o->tar, index, BG_MAX_MANIFEST_BYTES, &index_data, &index_len, err);
	if (rc == 0)
		rc = bg_oci_choose(index_data, index_len, ref->image_name, ref->source_index, o->where,
				   &o->choice, err);
	if (rc < 0) {
		oci_archive_free(o);
		return rc;
	}
	bg_source *s = bg_source_new(&ociarchive_ops, o);
	if (!s) {
		oci_archive_free(o);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	*out = s;
	return 0;
}
