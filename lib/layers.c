/* bootgate — the layer scan (layers.h): paths of interest, one layer
 * streamed through inflate and libarchive's tar reader, the parallel scan of
 * a whole image with the cache, and the merge into an image view. */
#include "bootgate/layers.h"

#include <fnmatch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "bootgate/digest.h"
#include "bootgate/imageview.h"
#include "bootgate/inflate.h"
#include "bootgate/limits.h"
#include "bootgate/scancache.h"
#include "util.h"

/* ================================================================== */
/* Paths of interest                                                   */
/* ================================================================== */

const char *const bg_default_paths_of_interest[] = {
	"/usr/lib/audit/**",
	"/etc/audit/**",
	"/usr/lib/bootc/kargs.d/**",
	"/usr/lib/systemd/system/auditd.service",
	"/etc/systemd/system/**",
	"/usr/lib/systemd/system-preset/**",
	"/etc/systemd/system-preset/**",
	NULL,
};

#define MAX_COMPONENTS (BG_MAX_IMAGE_PATH / 2 + 1)

typedef struct pattern {
	char *text;         /* normalised, no leading "/" */
	char **comps;
	bool *wild;         /* comps[i] has a wildcard */
	size_t n;
} pattern;

struct bg_pathset {
	pattern *p;
	size_t n, cap;
	char digest[BG_DIGEST_STRING_MAX];
};

int bg_pathset_new(bg_pathset **out, bg_error *err)
{
	*out = calloc(1, sizeof **out);
	if (!*out)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	return bg_digest_buffer(BG_DIGEST_SHA256, "", 0, (*out)->digest, err);
}

void bg_pathset_free(bg_pathset *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->n; i++) {
		free(ps->p[i].text);
		for (size_t j = 0; j < ps->p[i].n; j++)
			free(ps->p[i].comps[j]);
		free(ps->p[i].comps);
		free(ps->p[i].wild);
	}
	free(ps->p);
	free(ps);
}

static int pattern_cmp(const void *a, const void *b)
{
	return strcmp(((const pattern *)a)->text, ((const pattern *)b)->text);
}

int bg_pathset_add(bg_pathset *ps, const char *glob, bg_error *err)
{
	if (!glob || strlen(glob) > BG_MAX_IMAGE_PATH)
		return bg_error_set(err, BG_E_USAGE, "path pattern is empty or longer than %d bytes",
				    BG_MAX_IMAGE_PATH);
	bg_strbuf norm = {0};
	bg_strv comps = {0};
	const char *s = glob;
	while (*s) {
		while (*s == '/')
			s++;
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len == 0)
			break;
		if (len == 2 && memcmp(s, "..", 2) == 0) {
			bg_strbuf_free(&norm);
			bg_strv_free(&comps);
			return bg_error_set(err, BG_E_USAGE,
					    "path pattern \"%.200s\" has a \"..\" component: write the "
					    "path from the image root",
					    glob);
		}
		if (!(len == 1 && *s == '.')) {
			if (norm.len)
				bg_strbuf_putc(&norm, '/');
			bg_strbuf_add(&norm, s, len);
			char *c = bg_strndup(s, len);
			if (!c || bg_strv_push_take(&comps, c) < 0) {
				free(c);
				norm.oom = true;
			}
		}
		s += len;
	}
	if (norm.oom || !norm.len) {
		bool oom = norm.oom;
		bg_strbuf_free(&norm);
		bg_strv_free(&comps);
		return oom ? bg_error_set(err, BG_E_NOMEM, "out of memory")
			   : bg_error_set(err, BG_E_USAGE,
					  "path pattern \"%.200s\" names the root: use \"/**\" for "
					  "everything",
					  glob);
	}
	for (size_t i = 0; i < ps->n; i++) {
		if (strcmp(ps->p[i].text, norm.s) == 0) {
			bg_strbuf_free(&norm);
			bg_strv_free(&comps);
			return 0;
		}
	}
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 16;
		pattern *np = realloc(ps->p, cap * sizeof *np);
		if (!np) {
			bg_strbuf_free(&norm);
			bg_strv_free(&comps);
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		}
		ps->p = np;
		ps->cap = cap;
	}
	pattern *p = &ps->p[ps->n];
	p->wild = calloc(comps.n, sizeof *p->wild);
	if (!p->wild) {
		bg_strbuf_free(&norm);
		bg_strv_free(&comps);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	p->text = bg_strbuf_take(&norm);
	p->comps = comps.v;
	p->n = comps.n;
	for (size_t i = 0; i < p->n; i++)
		p->wild[i] = strpbrk(p->comps[i], "*?[\\") != NULL;
	ps->n++;
	qsort(ps->p, ps->n, sizeof *ps->p, pattern_cmp);
	/* The digest covers the sorted patterns, one per line. */
	bg_strbuf all = {0};
	for (size_t i = 0; i < ps->n; i++) {
		bg_strbuf_puts(&all, ps->p[i].text);
		bg_strbuf_putc(&all, '\n');
	}
	if (all.oom) {
		bg_strbuf_free(&all);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	int rc = bg_digest_buffer(BG_DIGEST_SHA256, all.s, all.len, ps->digest, err);
	bg_strbuf_free(&all);
	return rc;
}

int bg_pathset_add_defaults(bg_pathset *ps, bg_error *err)
{
	for (size_t i = 0; bg_default_paths_of_interest[i]; i++) {
		int rc = bg_pathset_add(ps, bg_default_paths_of_interest[i], err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

const char *bg_pathset_digest(const bg_pathset *ps) { return ps->digest; }
size_t bg_pathset_count(const bg_pathset *ps) { return ps->n; }
const char *bg_pathset_get(const bg_pathset *ps, size_t i) { return i < ps->n ? ps->p[i].text : NULL; }

/* A path split in place into components (pointers into a copy). */
typedef struct split_path {
	char buf[BG_MAX_IMAGE_PATH + 1];
	const char *c[MAX_COMPONENTS];
	size_t n;
} split_path;

static bool split(const char *path, split_path *sp)
{
	size_t len = strlen(path);
	if (len > BG_MAX_IMAGE_PATH)
		return false;
	memcpy(sp->buf, path, len + 1);
	sp->n = 0;
	char *s = sp->buf;
	while (*s) {
		char *e = strchr(s, '/');
		if (e)
			*e = '\0';
		if (*s)
			sp->c[sp->n++] = s;
		if (!e)
			break;
		s = e + 1;
	}
	return true;
}

static bool comp_match(const pattern *p, size_t i, const char *c)
{
	if (!p->wild[i])
		return strcmp(p->comps[i], c) == 0;
	return fnmatch(p->comps[i], c, 0) == 0;
}

static bool match_from(const pattern *p, size_t i, const split_path *sp, size_t j)
{
	for (; i < p->n; i++, j++) {
		if (strcmp(p->comps[i], "**") == 0) {
			for (size_t k = j; k <= sp->n; k++)
				if (match_from(p, i + 1, sp, k))
					return true;
			return false;
		}
		if (j == sp->n || !comp_match(p, i, sp->c[j]))
			return false;
	}
	return j == sp->n;
}

/* Could something strictly below sp match p? */
static bool ancestor_from(const pattern *p, size_t i, const split_path *sp, size_t j)
{
	for (; j < sp->n; i++, j++) {
		if (i == p->n)
			return false;
		if (strcmp(p->comps[i], "**") == 0)
			return true;
		if (!comp_match(p, i, sp->c[j]))
			return false;
	}
	return i < p->n;
}

static bool pathset_match_split(const bg_pathset *ps, const split_path *sp)
{
	for (size_t i = 0; i < ps->n; i++)
		if (match_from(&ps->p[i], 0, sp, 0))
			return true;
	return false;
}

static bool pathset_ancestor_split(const bg_pathset *ps, const split_path *sp)
{
	if (sp->n == 0)
		return ps->n > 0;
	for (size_t i = 0; i < ps->n; i++)
		if (ancestor_from(&ps->p[i], 0, sp, 0))
			return true;
	return false;
}

bool bg_pathset_match(const bg_pathset *ps, const char *path)
{
	split_path sp;
	return split(path, &sp) && pathset_match_split(ps, &sp);
}

bool bg_pathset_is_ancestor(const bg_pathset *ps, const char *path)
{
	split_path sp;
	return split(path, &sp) && pathset_ancestor_split(ps, &sp);
}

/* ================================================================== */
/* One layer                                                            */
/* ================================================================== */

const char *bg_entry_type_name(bg_entry_type t)
{
	switch (t) {
	case BG_ENTRY_FILE: return "file";
	case BG_ENTRY_DIR: return "directory";
	case BG_ENTRY_SYMLINK: return "symlink";
	case BG_ENTRY_HARDLINK: return "hardlink";
	case BG_ENTRY_CHAR: return "character device";
	case BG_ENTRY_BLOCK: return "block device";
	case BG_ENTRY_FIFO: return "fifo";
	case BG_ENTRY_WHITEOUT: return "whiteout";
	case BG_ENTRY_OPAQUE: return "opaque whiteout";
	}
	return "unknown";
}

static void entry_clear(bg_layer_entry *e)
{
	free(e->path);
	free(e->link);
	free(e->data);
	memset(e, 0, sizeof *e);
}

void bg_layer_scan_free(bg_layer_scan *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_entries; i++)
		entry_clear(&s->entries[i]);
	free(s->entries);
	free(s->digest);
	free(s->diff_id);
	free(s->media_type);
	free(s);
}

/* Normalises a tar entry name: "./a//b/" → "a/b"; "" for the root.  Returns
 * false (with the reason) for a ".." component or an over-long name. */
static bool normalise_name(const char *name, char *out, size_t outsz, const char **why)
{
	size_t o = 0;
	const char *s = name;
	if (strlen(name) > BG_MAX_IMAGE_PATH) {
		*why = "is longer than the path limit";
		return false;
	}
	while (*s) {
		while (*s == '/')
			s++;
		const char *e = s;
		while (*e && *e != '/')
			e++;
		size_t len = (size_t)(e - s);
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			*why = "has a \"..\" component";
			return false;
		}
		if (len && !(len == 1 && s[0] == '.')) {
			if (o + len + 2 > outsz) {
				*why = "is longer than the path limit";
				return false;
			}
			if (o)
				out[o++] = '/';
			memcpy(out + o, s, len);
			o += len;
		}
		s = e;
	}
	out[o] = '\0';
	return true;
}

/* Recently seen entries that are not of interest, kept so that a hardlink
 * that follows its target (ostree: object, then the paths using it) can
 * take the target's content without a second pass. */
#define RING 4
typedef struct ring_slot {
	bool used;
	bg_layer_entry e;        /* e.data is a reusable buffer of dcap bytes */
	size_t dcap;
} ring_slot;

typedef struct kept_list {
	bg_layer_entry *v;
	size_t n, cap;
	uint64_t bytes;          /* content bytes kept */
} kept_list;

/* The state of one pass over one layer. */
typedef struct layer_pass {
	bg_source *src;
	const bg_descriptor *d;
	const bg_pathset *interest;   /* NULL: only `extra` */
	const char *const *extra;
	size_t n_extra;
	uint64_t max_out;
	char what[200];
	/* the stream */
	bg_blob *blob;
	bg_inflate *z;
	bg_digest_ctx diff;
	unsigned char *buf;
	size_t bufsize;
	uint64_t out_total;          /* uncompressed bytes handed to libarchive or drained */
	bg_error stream_err;
	bool stream_failed;
	/* results */
	kept_list kept;
	ring_slot ring[RING];
	size_t ring_next;
	uint64_t entries;
	char diff_id[BG_DIGEST_STRING_MAX];
	uint64_t bytes_in, bytes_out;
} layer_pass;

static ssize_t blob_reader(void *ctx, void *buf, size_t len, bg_error *err)
{
	return bg_blob_read(ctx, buf, len, err);
}

static la_ssize_t archive_reader(struct archive *a, void *ctx, const void **out)
{
	layer_pass *lp = ctx;
	ssize_t n = bg_inflate_read(lp->z, lp->buf, lp->bufsize, &lp->stream_err);
	if (n < 0) {
		lp->stream_failed = true;
		archive_set_error(a, -1, "%s", lp->stream_err.message);
		return -1;
	}
	if (n > 0 && bg_digest_update(&lp->diff, lp->buf, (size_t)n) < 0) {
		lp->stream_failed = true;
		bg_error_set(&lp->stream_err, BG_E_EVAL, "hashing failed");
		archive_set_error(a, -1, "%s", lp->stream_err.message);
		return -1;
	}
	lp->out_total += (uint64_t)n;
	*out = lp->buf;
	return n;
}

static bool is_extra(const layer_pass *lp, const char *path)
{
	for (size_t i = 0; i < lp->n_extra; i++)
		if (strcmp(lp->extra[i], path) == 0)
			return true;
	return false;
}

static bg_layer_entry *kept_push(kept_list *k)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 32;
		bg_layer_entry *v = realloc(k->v, cap * sizeof *v);
		if (!v)
			return NULL;
		k->v = v;
		k->cap = cap;
	}
	bg_layer_entry *e = &k->v[k->n++];
	memset(e, 0, sizeof *e);
	return e;
}

/* The latest entry of this layer at `path` (kept first, then the ring). */
static const bg_layer_entry *find_earlier(const layer_pass *lp, const char *path)
{
	for (size_t i = lp->kept.n; i-- > 0;)
		if (strcmp(lp->kept.v[i].path, path) == 0)
			return &lp->kept.v[i];
	const bg_layer_entry *best = NULL;
	for (size_t i = 0; i < RING; i++)
		if (lp->ring[i].used && strcmp(lp->ring[i].e.path, path) == 0 &&
		    (!best || lp->ring[i].e.seq > best->seq))
			best = &lp->ring[i].e;
	return best;
}

/* Makes e (a hardlink to e->link) take what target has. */
static int copy_from_target(bg_layer_entry *e, const bg_layer_entry *t)
{
	if (t->type == BG_ENTRY_HARDLINK) {
		/* The target is itself unresolved: keep the chain's end. */
		char *l = bg_strdup(t->link);
		if (!l)
			return -1;
		free(e->link);
		e->link = l;
		return 0;
	}
	e->type = t->type;
	e->mode = t->mode;
	e->uid = t->uid;
	e->gid = t->gid;
	e->size = t->size;
	e->too_large = t->too_large;
	e->was_hardlink = true;
	free(e->data);
	e->data = NULL;
	e->len = 0;
	if (t->data) {
		e->data = malloc(t->len + 1);
		if (!e->data)
			return -1;
		memcpy(e->data, t->data, t->len);
		e->data[t->len] = '\0';
		e->len = t->len;
	}
	if (t->type == BG_ENTRY_SYMLINK) {
		free(e->link);
		e->link = bg_strdup(t->link);
		if (!e->link)
			return -1;
	} else {
		free(e->link);
		e->link = NULL;
	}
	return 0;
}

/* Reads an entry's data into *data (capacity *cap, grown as needed). */
static int read_data(layer_pass *lp, struct archive *a, unsigned char **data, size_t *cap,
		     size_t size, bg_error *err)
{
	if (*cap < size + 1) {
		unsigned char *nd = realloc(*data, size + 1);
		if (!nd)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		*data = nd;
		*cap = size + 1;
	}
	size_t got = 0;
	while (got < size) {
		la_ssize_t n = archive_read_data(a, *data + got, size - got);
		if (n < 0)
			return lp->stream_failed ? (*err = lp->stream_err, lp->stream_err.status)
						 : bg_error_set(err, BG_E_INPUT, "%s",
								archive_error_string(a));
		if (n == 0)
			return bg_error_set(err, BG_E_INPUT, "truncated tar entry data");
		got += (size_t)n;
	}
	(*data)[size] = '\0';
	return 0;
}

/* One tar entry: classify, keep what the view needs. */
static int handle_entry(layer_pass *lp, struct archive *a, struct archive_entry *ae, uint32_t seq,
			bg_error *err)
{
	const char *raw = archive_entry_pathname(ae);
	if (!raw)
		return bg_error_set(err, BG_E_INPUT, "tar entry %u has no name", seq);
	char path[BG_MAX_IMAGE_PATH + 2];
	const char *why = NULL;
	if (!normalise_name(raw, path, sizeof path, &why))
		return bg_error_set(err, BG_E_INPUT,
				    "tar entry \"%.200s\" %s: the layer is refused (a runtime "
				    "might write it outside the image root)",
				    raw, why);
	mode_t ft = archive_entry_filetype(ae);
	const char *hard = archive_entry_hardlink(ae);
	if (path[0] == '\0') {
		if (ft == AE_IFDIR && !hard)
			return 0; /* the root's own attributes */
		return bg_error_set(err, BG_E_INPUT,
				    "tar entry \"%.200s\" would replace the image root with a "
				    "non-directory: refused (CVE-2021-29136)",
				    raw);
	}

	/* Whiteouts: the path they act on decides whether they matter. */
	char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	bg_entry_type wtype = BG_ENTRY_FILE;
	char target[BG_MAX_IMAGE_PATH + 2];
	if (strncmp(base, ".wh.", 4) == 0) {
		size_t dirlen = slash ? (size_t)(slash - path) : 0;
		if (strcmp(base, ".wh..wh..opq") == 0) {
			wtype = BG_ENTRY_OPAQUE;
			memcpy(target, path, dirlen);
			target[dirlen] = '\0';
		} else if (strncmp(base, ".wh..wh.", 8) == 0) {
			return 0; /* aufs bookkeeping (.wh..wh.plnk, ...): not a whiteout */
		} else if (base[4] == '\0') {
			return bg_error_set(err, BG_E_INPUT,
					    "whiteout \"%.200s\" names nothing: refused (as umoci does)",
					    raw);
		} else {
			wtype = BG_ENTRY_WHITEOUT;
			snprintf(target, sizeof target, "%.*s%s%s", (int)dirlen, path,
				 dirlen ? "/" : "", base + 4);
		}
	}
	const char *subject = wtype == BG_ENTRY_FILE ? path : target;

	split_path *sp = malloc(sizeof *sp);
	if (!sp)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	split(subject, sp);
	bool match = lp->interest && pathset_match_split(lp->interest, sp);
	bool ancestor = lp->interest && !match && pathset_ancestor_split(lp->interest, sp);
	free(sp);
	bool extra = !match && !ancestor && wtype == BG_ENTRY_FILE && lp->n_extra && is_extra(lp, path);

	if (wtype != BG_ENTRY_FILE) {
		if (!(match || ancestor || (wtype == BG_ENTRY_OPAQUE && subject[0] == '\0' && lp->interest)))
			return 0;
		bg_layer_entry *e = kept_push(&lp->kept);
		if (!e || !(e->path = bg_strdup(subject)))
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		e->type = wtype;
		e->seq = seq;
		return 0;
	}

	bg_entry_type type;
	switch (ft) {
	case AE_IFREG: type = BG_ENTRY_FILE; break;
	case AE_IFDIR: type = BG_ENTRY_DIR; break;
	case AE_IFLNK: type = BG_ENTRY_SYMLINK; break;
	case AE_IFCHR: type = BG_ENTRY_CHAR; break;
	case AE_IFBLK: type = BG_ENTRY_BLOCK; break;
	case AE_IFIFO: type = BG_ENTRY_FIFO; break;
	default:
		if (!hard)
			return bg_error_set(err, BG_E_INPUT, "tar entry \"%.200s\" has an unknown type",
					    raw);
		type = BG_ENTRY_FILE;
	}
	if (hard)
		type = BG_ENTRY_HARDLINK;
	char linkpath[BG_MAX_IMAGE_PATH + 2];
	if (hard && !normalise_name(hard, linkpath, sizeof linkpath, &why))
		return bg_error_set(err, BG_E_INPUT,
				    "hardlink \"%.200s\" -> \"%.200s\": the target %s: refused",
				    raw, hard, why);
	if (hard && linkpath[0] == '\0')
		return bg_error_set(err, BG_E_INPUT, "hardlink \"%.200s\" to the root: refused",
				    raw);
	const char *symlink = type == BG_ENTRY_SYMLINK ? archive_entry_symlink(ae) : NULL;
	if (type == BG_ENTRY_SYMLINK && (!symlink || strlen(symlink) > BG_MAX_IMAGE_PATH))
		return bg_error_set(err, BG_E_INPUT, "symlink \"%.200s\" has no or an over-long target",
				    raw);
	int64_t size = archive_entry_size(ae);
	if (size < 0)
		size = 0;

	bool keep = match || ancestor || extra;
	bool want_data = (match || extra) && type == BG_ENTRY_FILE;
	bg_layer_entry *e;
	ring_slot *slot = NULL;
	if (keep) {
		e = kept_push(&lp->kept);
		if (!e)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
	} else {
		/* Remember in the ring: small files, symlinks, hardlinks. */
		if (type == BG_ENTRY_DIR || (type == BG_ENTRY_FILE && (uint64_t)size > BG_MAX_FILE_OF_INTEREST))
			return 0;
		slot = &lp->ring[lp->ring_next];
		lp->ring_next = (lp->ring_next + 1) % RING;
		unsigned char *keepbuf = slot->e.data;
		free(slot->e.path);
		free(slot->e.link);
		memset(&slot->e, 0, sizeof slot->e);
		slot->e.data = keepbuf;
		slot->used = false;
		e = &slot->e;
		want_data = type == BG_ENTRY_FILE;
	}
	e->seq = seq;
	e->type = type;
	e->mode = (uint32_t)(archive_entry_mode(ae) & 07777);
	e->uid = (uint32_t)archive_entry_uid(ae);
	e->gid = (uint32_t)archive_entry_gid(ae);
	e->size = type == BG_ENTRY_HARDLINK ? 0 : (uint64_t)size;
	e->path = bg_strdup(path);
	if (!e->path)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (symlink && !(e->link = bg_strdup(symlink)))
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (hard && !(e->link = bg_strdup(linkpath)))
		return bg_error_set(err, BG_E_NOMEM, "out of memory");

	if (type == BG_ENTRY_HARDLINK) {
		const bg_layer_entry *t = find_earlier(lp, linkpath);
		if (t && t != e && copy_from_target(e, t) < 0)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		if (e->data && keep)
			lp->kept.bytes += e->len;
	} else if (want_data) {
		if ((uint64_t)size > BG_MAX_FILE_OF_INTEREST) {
			e->too_large = true;
		} else if (slot) {
			int rc = read_data(lp, a, &e->data, &slot->dcap, (size_t)size, err);
			if (rc < 0)
				return rc;
			e->len = (size_t)size;
		} else {
			size_t cap = 0;
			int rc = read_data(lp, a, &e->data, &cap, (size_t)size, err);
			if (rc < 0)
				return rc;
			e->len = (size_t)size;
			lp->kept.bytes += e->len;
		}
	}
	if (slot)
		slot->used = true;
	if (lp->kept.bytes > BG_MAX_KEPT_BYTES)
		return bg_error_set(err, BG_E_INPUT,
				    "more than %lu bytes of files of interest: refused (narrow the "
				    "paths of interest)",
				    (unsigned long)BG_MAX_KEPT_BYTES);
	return 0;
}

static void pass_release(layer_pass *lp)
{
	for (size_t i = 0; i < lp->kept.n; i++)
		entry_clear(&lp->kept.v[i]);
	free(lp->kept.v);
	lp->kept = (kept_list){0};
	for (size_t i = 0; i < RING; i++) {
		free(lp->ring[i].e.path);
		free(lp->ring[i].e.link);
		free(lp->ring[i].e.data);
		memset(&lp->ring[i], 0, sizeof lp->ring[i]);
	}
	bg_digest_reset(&lp->diff);
	bg_inflate_free(lp->z);
	lp->z = NULL;
	bg_blob_close(lp->blob);
	lp->blob = NULL;
	free(lp->buf);
	lp->buf = NULL;
}

/* One pass: stream the whole blob, keep lp->kept. */
static int run_pass(layer_pass *lp, const char *expected_diff_id, bg_error *err)
{
	bg_compression declared;
	int rc = bg_compression_from_media_type(lp->d->media_type, &declared, err);
	if (rc < 0)
		goto prefix;
	lp->bufsize = 256 * 1024;
	lp->buf = malloc(lp->bufsize);
	if (!lp->buf) {
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
		goto prefix;
	}
	rc = bg_source_open_blob(lp->src, lp->d, &lp->blob, err);
	if (rc < 0)
		goto prefix;
	rc = bg_inflate_new(declared, blob_reader, lp->blob, lp->max_out, "layer data", &lp->z, err);
	if (rc < 0)
		goto prefix;
	rc = bg_digest_init(&lp->diff, BG_DIGEST_SHA256, err);
	if (rc < 0)
		goto prefix;

	struct archive *a = archive_read_new();
	if (!a) {
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
		goto prefix;
	}
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open(a, lp, NULL, archive_reader, NULL) != ARCHIVE_OK) {
		if (lp->stream_failed) {
			*err = lp->stream_err;
			rc = lp->stream_err.status;
		} else {
			rc = bg_error_set(err, BG_E_INPUT, "not a tar stream: %s", archive_error_string(a));
		}
		archive_read_free(a);
		goto prefix;
	}
	struct archive_entry *ae;
	uint32_t seq = 0;
	for (;;) {
		int r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			if (lp->stream_failed) {
				*err = lp->stream_err;
				rc = lp->stream_err.status;
			} else {
				rc = bg_error_set(err, BG_E_INPUT, "tar entry %u: %s", seq,
						  archive_error_string(a));
			}
			archive_read_free(a);
			goto prefix;
		}
		if (++lp->entries > BG_MAX_LAYER_ENTRIES) {
			rc = bg_error_set(err, BG_E_INPUT, "more than %lu tar entries: refused",
					  (unsigned long)BG_MAX_LAYER_ENTRIES);
			archive_read_free(a);
			goto prefix;
		}
		rc = handle_entry(lp, a, ae, seq++, err);
		if (rc < 0) {
			archive_read_free(a);
			goto prefix;
		}
	}
	archive_read_free(a);
	/* Past the end marker: the rest of the stream still counts (digest,
	 * diff_id, trailing garbage). */
	for (;;) {
		ssize_t n = bg_inflate_read(lp->z, lp->buf, lp->bufsize, err);
		if (n < 0) {
			rc = (int)n;
			goto prefix;
		}
		if (n == 0)
			break;
		if (bg_digest_update(&lp->diff, lp->buf, (size_t)n) < 0) {
			rc = bg_error_set(err, BG_E_EVAL, "hashing failed");
			goto prefix;
		}
		lp->out_total += (uint64_t)n;
	}
	rc = bg_blob_drain(lp->blob, err);
	if (rc < 0)
		goto prefix;
	/* A tar that stops at an entry boundary without its end-of-archive
	 * blocks (umoci 0.4.7 writes such layers; libarchive and Go's
	 * archive/tar, which podman uses, both read them) is accepted: every
	 * byte is still authenticated by the blob digest and the diff_id. */
	rc = bg_digest_final(&lp->diff, lp->diff_id, err);
	if (rc < 0)
		goto prefix;
	lp->bytes_in = bg_inflate_bytes_in(lp->z);
	lp->bytes_out = bg_inflate_bytes_out(lp->z);
	if (expected_diff_id && !bg_digest_equal(expected_diff_id, lp->diff_id)) {
		rc = bg_error_set(err, BG_E_INPUT,
				  "the uncompressed layer is %s but the image config's diff_id says %s: "
				  "refused (the config does not describe this layer)",
				  lp->diff_id, expected_diff_id);
		goto prefix;
	}
	return 0;
prefix:
	bg_error_prefix(err, "%s", lp->what);
	return rc;
}

/* A pass for the targets of hardlinks left unresolved: returns the entries
 * found at those exact paths (every occurrence, in order). */
static int fallback_pass(bg_source *src, const bg_descriptor *d, const char *what, bg_strv *targets,
			 uint64_t max_out, kept_list *found, bg_error *err)
{
	layer_pass lp = { .src = src, .d = d, .extra = (const char *const *)targets->v,
			  .n_extra = targets->n, .max_out = max_out };
	snprintf(lp.what, sizeof lp.what, "%s", what);
	int rc = run_pass(&lp, NULL, err);
	if (rc == 0) {
		*found = lp.kept;
		lp.kept = (kept_list){0};
	}
	pass_release(&lp);
	return rc;
}

/* Resolves the layer's unresolved hardlinks whose target occurred earlier
 * in the same layer (by a second pass over it); what remains points into
 * lower layers and is left to the view. */
static int resolve_in_layer(bg_source *src, const bg_descriptor *d, const char *what,
			    kept_list *kept, uint64_t max_out, bg_error *err)
{
	for (int round = 0; round < 4; round++) {
		bg_strv targets = {0};
		for (size_t i = 0; i < kept->n; i++) {
			const bg_layer_entry *e = &kept->v[i];
			if (e->type == BG_ENTRY_HARDLINK && !bg_strv_contains(&targets, e->link) &&
			    bg_strv_push(&targets, e->link) < 0) {
				bg_strv_free(&targets);
				return bg_error_set(err, BG_E_NOMEM, "out of memory");
			}
		}
		if (targets.n == 0)
			return 0;
		kept_list found = {0};
		int rc = fallback_pass(src, d, what, &targets, max_out, &found, err);
		bg_strv_free(&targets);
		if (rc < 0)
			return rc;
		bool progress = false;
		for (size_t i = 0; i < kept->n; i++) {
			bg_layer_entry *e = &kept->v[i];
			if (e->type != BG_ENTRY_HARDLINK)
				continue;
			const bg_layer_entry *t = NULL;
			for (size_t j = 0; j < found.n; j++)
				if (found.v[j].seq < e->seq && strcmp(found.v[j].path, e->link) == 0)
					t = &found.v[j];
			if (!t)
				continue;
			char *before = bg_strdup(e->link);
			if (!before || copy_from_target(e, t) < 0) {
				free(before);
				for (size_t j = 0; j < found.n; j++)
					entry_clear(&found.v[j]);
				free(found.v);
				return bg_error_set(err, BG_E_NOMEM, "out of memory");
			}
			if (e->type != BG_ENTRY_HARDLINK || strcmp(before, e->link) != 0)
				progress = true;
			free(before);
		}
		for (size_t j = 0; j < found.n; j++)
			entry_clear(&found.v[j]);
		free(found.v);
		if (!progress)
			return 0;
	}
	return 0;
}

int bg_layer_scan_blob(bg_source *src, const bg_descriptor *d, const char *expected_diff_id,
		       const bg_pathset *interest, const char *const *extra, size_t n_extra,
		       uint64_t max_out, bg_layer_scan **out, bg_error *err)
{
	*out = NULL;
	layer_pass lp = { .src = src, .d = d, .interest = interest, .extra = extra,
			  .n_extra = n_extra, .max_out = max_out };
	snprintf(lp.what, sizeof lp.what, "layer %.80s", d->digest ? d->digest : "?");
	int rc = run_pass(&lp, expected_diff_id, err);
	if (rc == 0)
		rc = resolve_in_layer(src, d, lp.what, &lp.kept, max_out, err);
	if (rc < 0) {
		pass_release(&lp);
		return rc;
	}
	bg_layer_scan *s = calloc(1, sizeof *s);
	if (!s || !(s->digest = bg_strdup(d->digest)) || !(s->diff_id = bg_strdup(lp.diff_id)) ||
	    !(s->media_type = bg_strdup(d->media_type ? d->media_type : ""))) {
		bg_layer_scan_free(s);
		pass_release(&lp);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	s->entries = lp.kept.v;
	s->n_entries = lp.kept.n;
	lp.kept = (kept_list){0};
	s->bytes_in = lp.bytes_in;
	s->bytes_out = lp.bytes_out;
	s->tar_entries = lp.entries;
	pass_release(&lp);
	*out = s;
	return 0;
}

/* ================================================================== */
/* The whole image                                                      */
/* ================================================================== */

typedef struct scan_job {
	bg_source *src;
	const bg_image *image;
	const bg_pathset *interest;
	const char *cache_dir;       /* NULL: no cache */
	uint64_t max_out;
	const size_t *order;         /* layer indices, largest first */
	atomic_size_t next;
	atomic_bool stop;
	bg_layer_scan **results;
	int *rcs;
	bg_error *errs;
} scan_job;

static void scan_one(scan_job *j, size_t i)
{
	const bg_descriptor *d = &j->image->manifest->layers[i];
	const char *diff_id = j->image->config && i < j->image->config->n_diff_ids
				      ? j->image->config->diff_ids[i]
				      : NULL;
	if (d->has_urls) {
		j->rcs[i] = bg_error_set(&j->errs[i], BG_E_EVAL,
					 "layer %zu (%s) is a foreign layer with URLs: refused", i,
					 d->digest);
		return;
	}
	if (j->cache_dir) {
		bg_layer_scan *hit = NULL;
		bg_error cerr = {0};
		if (bg_scancache_load(j->cache_dir, d->digest, bg_pathset_digest(j->interest), &hit,
				      &cerr) == 0 &&
		    hit) {
			if (!diff_id || bg_digest_equal(diff_id, hit->diff_id)) {
				j->results[i] = hit;
				return;
			}
			bg_layer_scan_free(hit);
		}
	}
	int rc = bg_layer_scan_blob(j->src, d, diff_id, j->interest, NULL, 0, j->max_out, &j->results[i],
				    &j->errs[i]);
	if (rc < 0) {
		bg_error_prefix(&j->errs[i], "layer %zu of %zu", i + 1, j->image->manifest->n_layers);
		j->rcs[i] = rc;
		return;
	}
	if (j->cache_dir) {
		bg_error cerr = {0};
		(void)bg_scancache_store(j->cache_dir, bg_pathset_digest(j->interest), j->results[i], &cerr);
	}
}

static void *scan_worker(void *arg)
{
	scan_job *j = arg;
	for (;;) {
		size_t k = atomic_fetch_add(&j->next, 1);
		if (k >= j->image->manifest->n_layers || atomic_load(&j->stop))
			return NULL;
		size_t i = j->order[k];
		scan_one(j, i);
		if (j->rcs[i] < 0)
			atomic_store(&j->stop, true);
	}
}

/* Largest layers first: the last layer to finish bounds the wall time, so
 * a big layer must not start last (longest-processing-time scheduling). */
static int by_size_desc(const void *a, const void *b, void *ctx)
{
	const bg_descriptor *layers = ctx;
	size_t i = *(const size_t *)a, k = *(const size_t *)b;
	int64_t x = layers[i].size, y = layers[k].size;
	if (x != y)
		return x < y ? 1 : -1;
	return (i > k) - (i < k);
}

static unsigned default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* Scans every layer (in parallel) into results[]. */
static int scan_all(bg_source *src, const bg_image *image, const bg_pathset *interest,
		    const char *cache_dir, unsigned jobs, uint64_t max_out, bg_layer_scan **results,
		    bg_error *err)
{
	size_t n = image->manifest->n_layers;
	scan_job j = { .src = src, .image = image, .interest = interest, .cache_dir = cache_dir,
		       .max_out = max_out, .results = results };
	atomic_init(&j.next, 0);
	atomic_init(&j.stop, false);
	j.rcs = calloc(n ? n : 1, sizeof *j.rcs);
	j.errs = calloc(n ? n : 1, sizeof *j.errs);
	size_t *order = calloc(n ? n : 1, sizeof *order);
	if (!j.rcs || !j.errs || !order) {
		free(j.rcs);
		free(j.errs);
		free(order);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof *order, by_size_desc, image->manifest->layers);
	j.order = order;
	if (jobs > n)
		jobs = (unsigned)n;
	pthread_t *th = calloc(jobs ? jobs : 1, sizeof *th);
	unsigned started = 0;
	for (unsigned t = 1; th && t < jobs; t++) {
		if (pthread_create(&th[t], NULL, scan_worker, &j) != 0)
			break;
		started++;
	}
	scan_worker(&j); /* this thread works too */
	for (unsigned t = 1; t <= started; t++)
		pthread_join(th[t], NULL);
	free(th);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (j.rcs[i] < 0) {
			if (err)
				*err = j.errs[i];
			rc = j.rcs[i];
			break;
		}
	}
	if (rc == 0) {
		for (size_t i = 0; i < n; i++) {
			if (!results[i]) {
				rc = bg_error_set(err, BG_E_EVAL, "layer %zu was not scanned", i + 1);
				break;
			}
		}
	}
	free(j.rcs);
	free(j.errs);
	free(order);
	return rc;
}

/* Hardlinks that still point into lower layers: fetch their targets from
 * those layers (a pass each) and add them to the scans just before use. */
static int fetch_cross_layer_targets(bg_source *src, const bg_image *image, bg_layer_scan **results,
				     uint64_t max_out, bg_layers_stats *st, bg_error *err)
{
	size_t n = image->manifest->n_layers;
	bg_strv targets = {0};
	size_t highest = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < results[i]->n_entries; k++) {
			const bg_layer_entry *e = &results[i]->entries[k];
			if (e->type != BG_ENTRY_HARDLINK)
				continue;
			if (!bg_strv_contains(&targets, e->link) && bg_strv_push(&targets, e->link) < 0) {
				bg_strv_free(&targets);
				return bg_error_set(err, BG_E_NOMEM, "out of memory");
			}
			highest = i;
		}
	}
	int rc = 0;
	for (size_t i = 0; i < highest && targets.n; i++) {
		kept_list found = {0};
		char what[200];
		snprintf(what, sizeof what, "layer %.80s", image->manifest->layers[i].digest);
		rc = fallback_pass(src, &image->manifest->layers[i], what, &targets, max_out, &found, err);
		if (rc < 0)
			break;
		if (st) {
			st->scanned++;
		}
		if (found.n == 0) {
			free(found.v);
			continue;
		}
		/* Append: the found entries come after the layer's own kept ones,
		 * which is right, since a kept entry at the same path is the same
		 * tar entry (the paths differ otherwise) — only their relative
		 * order to entries at other paths is lost, and it does not matter
		 * for entries at distinct paths. */
		bg_layer_scan *s = results[i];
		bg_layer_entry *v = realloc(s->entries, (s->n_entries + found.n) * sizeof *v);
		if (!v) {
			for (size_t k = 0; k < found.n; k++)
				entry_clear(&found.v[k]);
			free(found.v);
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
			break;
		}
		memcpy(v + s->n_entries, found.v, found.n * sizeof *v);
		s->entries = v;
		s->n_entries += found.n;
		free(found.v);
	}
	bg_strv_free(&targets);
	return rc;
}

static bool view_has_unresolved(const bg_layer_scan *const *results, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < results[i]->n_entries; k++)
			if (results[i]->entries[k].type == BG_ENTRY_HARDLINK)
				return true;
	return false;
}

/* Whether following a symlink can change what the view must hold.  Unit
 * enablement links (*.wants/, *.requires/, *.upholds/) matter by existence
 * only, and masks point at /dev: widening for them would rescan every layer
 * of every bootc image for nothing. */
static bool symlink_content_matters(const bg_file *f)
{
	const char *t = f->link_target ? f->link_target : "";
	if (strcmp(t, "/dev/null") == 0 || strncmp(t, "/dev/", 5) == 0)
		return false;
	const char *slash = strrchr(f->path, '/');
	if (slash && slash > f->path) {
		size_t dl = (size_t)(slash - f->path);
		static const char *const enablement[] = { ".wants", ".requires", ".upholds" };
		for (size_t i = 0; i < 3; i++) {
			size_t el = strlen(enablement[i]);
			if (dl >= el && memcmp(slash - el, enablement[i], el) == 0)
				return false;
		}
	}
	return true;
}

/* Symlinks in the view that point outside the paths of interest widen them:
 * returns true (and fills `wider`) when a new path was added. */
static int widen_for_symlinks(const bg_imageview *v, const bg_pathset *ps, bg_pathset *wider,
			      bool *changed, bg_error *err)
{
	*changed = false;
	const bg_file **all = NULL;
	size_t n = 0;
	int rc = bg_imageview_walk(v, "/", &all, &n, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (all[i]->type != BG_ENTRY_SYMLINK || !symlink_content_matters(all[i]))
			continue;
		char *resolved = NULL;
		bg_error rerr = {0};
		if (bg_imageview_resolve(v, all[i]->path, &resolved, &rerr) < 0)
			continue; /* a loop: nothing to add, lookups will fail on it */
		const char *rel = resolved[0] == '/' ? resolved + 1 : resolved;
		if (rel[0] && !bg_pathset_match(ps, rel)) {
			char *deep = NULL;
			if (asprintf(&deep, "/%s/**", rel) < 0) {
				free(resolved);
				rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
				break;
			}
			size_t before = bg_pathset_count(wider);
			rc = bg_pathset_add(wider, deep, err);
			if (rc == 0 && bg_pathset_count(wider) != before)
				*changed = true;
			free(deep);
		}
		free(resolved);
	}
	free(all);
	return rc;
}

int bg_layers_scan(bg_source *src, const bg_image *image, const bg_pathset *interest,
		   const bg_layers_options *opts, bg_imageview **view, bg_layers_stats *stats,
		   bg_error *err)
{
	*view = NULL;
	bg_layers_options defaults = {0};
	if (!opts)
		opts = &defaults;
	bg_layers_stats st = {0};
	if (!image || !image->manifest)
		return bg_error_set(err, BG_E_USAGE, "no resolved image to scan");
	size_t n = image->manifest->n_layers;
	st.layers = (unsigned)n;
	if (image->config && image->config->n_diff_ids != n)
		return bg_error_set(err, BG_E_EVAL,
				    "the image config lists %zu diff_ids for %zu layers: refused", 
				    image->config->n_diff_ids, n);
	_cleanup_free_ char *cache_dir = NULL;
	if (!opts->no_cache) {
		bg_error cerr = {0};
		if (bg_scancache_dir(opts->cache_dir, &cache_dir, &cerr) < 0)
			cache_dir = NULL; /* no usable cache location: scan without */
	}
	unsigned jobs = opts->jobs ? opts->jobs : default_jobs();

	/* The path set grows when symlinks point outside it; copy it. */
	bg_pathset *ps = NULL;
	int rc = bg_pathset_new(&ps, err);
	for (size_t i = 0; rc == 0 && i < bg_pathset_count(interest); i++)
		rc = bg_pathset_add(ps, bg_pathset_get(interest, i), err);
	bg_layer_scan **results = calloc(n ? n : 1, sizeof *results);
	if (rc == 0 && !results)
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
	bg_imageview *v = NULL;
	for (unsigned round = 0; rc == 0; round++) {
		st.rounds = round + 1;
		rc = scan_all(src, image, ps, cache_dir, jobs, opts->max_layer_bytes, results, err);
		for (size_t i = 0; i < n; i++) {
			if (!results[i])
				continue;
			if (results[i]->from_cache) {
				st.from_cache++;
			} else {
				st.scanned++;
				st.bytes_in += results[i]->bytes_in;
				st.bytes_out += results[i]->bytes_out;
			}
		}
		if (rc == 0 && view_has_unresolved((const bg_layer_scan *const *)results, n))
			rc = fetch_cross_layer_targets(src, image, results, opts->max_layer_bytes, &st, err);
		if (rc == 0)
			rc = bg_imageview_new(&v, err);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			rc = bg_imageview_apply(v, (int)i, results[i], err);
			if (rc < 0)
				bg_error_prefix(err, "layer %zu of %zu (%s)", i + 1, n,
						image->manifest->layers[i].digest);
		}
		for (size_t i = 0; i < n; i++) {
			bg_layer_scan_free(results[i]);
			results[i] = NULL;
		}
		if (rc < 0)
			break;
		bool changed = false;
		if (round + 1 < 4)
			rc = widen_for_symlinks(v, ps, ps, &changed, err);
		if (rc < 0 || !changed)
			break;
		bg_imageview_free(v);
		v = NULL;
	}
	free(results);
	bg_pathset_free(ps);
	if (rc < 0) {
		bg_imageview_free(v);
		return rc;
	}
	st.kept_entries = bg_imageview_count(v);
	if (stats)
		*stats = st;
	*view = v;
	return 0;
}
