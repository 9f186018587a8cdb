/* bootgate — the image view (imageview.h): a path → file map built by
 * applying scanned layers in order, and lookups that resolve symlinks inside
 * it.  The map holds only what the scan kept (files of interest, their
 * ancestors, link targets), so a path that is missing from it may exist in
 * the image: an intermediate component that is not in the map is taken to
 * be a plain directory. */
#include "bootgate/imageview.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/limits.h"
#include "util.h"

typedef struct node {
	bg_file f;               /* f.path = "/" + key */
	struct node *next;       /* hash chain */
	char *path;              /* owned storage behind f.path */
	char *link;
	unsigned char *content;
} node;

struct bg_imageview {
	node **buckets;
	size_t nbuckets, count;
	bg_strv digests;         /* layer digests, owned (nodes point into them) */
	bg_strv warnings;
};

/* ---- the map ------------------------------------------------------- */

static size_t hash_key(const char *s)
{
	size_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static const char *key_of(const node *n) { return n->path + 1; }

static node *lookup(const bg_imageview *v, const char *key)
{
	for (node *n = v->buckets[hash_key(key) & (v->nbuckets - 1)]; n; n = n->next)
		if (strcmp(key_of(n), key) == 0)
			return n;
	return NULL;
}

static void node_free(node *n)
{
	if (!n)
		return;
	free(n->path);
	free(n->link);
	free(n->content);
	free(n);
}

static int grow(bg_imageview *v)
{
	size_t nb = v->nbuckets * 2;
	node **b = calloc(nb, sizeof *b);
	if (!b)
		return -1;
	for (size_t i = 0; i < v->nbuckets; i++) {
		for (node *n = v->buckets[i], *next; n; n = next) {
			next = n->next;
			size_t h = hash_key(key_of(n)) & (nb - 1);
			n->next = b[h];
			b[h] = n;
		}
	}
	free(v->buckets);
	v->buckets = b;
	v->nbuckets = nb;
	return 0;
}

/* A new node at key (replacing any), zeroed except the path. */
static node *insert(bg_imageview *v, const char *key)
{
	size_t h = hash_key(key) & (v->nbuckets - 1);
	for (node **pp = &v->buckets[h]; *pp; pp = &(*pp)->next) {
		if (strcmp(key_of(*pp), key) == 0) {
			node *old = *pp;
			free(old->link);
			free(old->content);
			char *path = old->path;
			node *next = old->next;
			memset(old, 0, sizeof *old);
			old->path = path;
			old->next = next;
			old->f.path = path;
			return old;
		}
	}
	if (v->count + 1 > v->nbuckets && grow(v) < 0)
		return NULL;
	node *n = calloc(1, sizeof *n);
	if (!n || asprintf(&n->path, "/%s", key) < 0) {
		free(n);
		return NULL;
	}
	n->f.path = n->path;
	h = hash_key(key) & (v->nbuckets - 1);
	n->next = v->buckets[h];
	v->buckets[h] = n;
	v->count++;
	return n;
}

static bool under(const char *key, const char *dir)
{
	size_t l = strlen(dir);
	if (l == 0)
		return key[0] != '\0';
	return strncmp(key, dir, l) == 0 && key[l] == '/';
}

/* Removes the nodes strictly below dir (and dir itself when self), keeping
 * those written by layer `keep_layer` (-2: keep none). */
static void remove_tree(bg_imageview *v, const char *dir, bool self, int keep_layer)
{
	for (size_t i = 0; i < v->nbuckets; i++) {
		for (node **pp = &v->buckets[i]; *pp;) {
			node *n = *pp;
			const char *k = key_of(n);
			bool hit = under(k, dir) || (self && strcmp(k, dir) == 0 && k[0]);
			if (hit && n->f.layer != keep_layer) {
				*pp = n->next;
				node_free(n);
				v->count--;
			} else {
				pp = &n->next;
			}
		}
	}
}

int bg_imageview_new(bg_imageview **out, bg_error *err)
{
	*out = NULL;
	bg_imageview *v = calloc(1, sizeof *v);
	if (!v || !(v->buckets = calloc(64, sizeof *v->buckets))) {
		free(v);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	v->nbuckets = 64;
	node *root = insert(v, "");
	if (!root) {
		bg_imageview_free(v);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	root->f.type = BG_ENTRY_DIR;
	root->f.mode = 0755;
	root->f.implicit = true;
	root->f.layer = -1;
	*out = v;
	return 0;
}

void bg_imageview_free(bg_imageview *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nbuckets; i++) {
		for (node *n = v->buckets[i], *next; n; n = next) {
			next = n->next;
			node_free(n);
		}
	}
	free(v->buckets);
	bg_strv_free(&v->digests);
	bg_strv_free(&v->warnings);
	free(v);
}

/* ---- resolution ---------------------------------------------------- */

typedef enum { RES_OK = 0, RES_LOOP, RES_NOTDIR, RES_TOOLONG, RES_NOMEM } res_status;

static const char *res_message(res_status r)
{
	switch (r) {
	case RES_LOOP: return "too many levels of symbolic links (a loop?)";
	case RES_NOTDIR: return "a component is not a directory";
	case RES_TOOLONG: return "the path is too long";
	case RES_NOMEM: return "out of memory";
	default: return "ok";
	}
}

/* Resolves path inside the view as the kernel would inside a chroot: key
 * (no leading "/") in *out (malloc'd).  follow_final: follow a symlink in
 * the last component.  Components missing from the map are taken as
 * directories. */
static res_status resolve_key(const bg_imageview *v, const char *path, bool follow_final, char **out)
{
	*out = NULL;
	char *rest = bg_strdup(path ? path : "");
	bg_strbuf cur = {0};
	bg_strbuf_puts(&cur, "");
	if (!rest || cur.oom) {
		free(rest);
		bg_strbuf_free(&cur);
		return RES_NOMEM;
	}
	size_t pos = 0;
	unsigned hops = 0;
	res_status st = RES_OK;
	for (;;) {
		while (rest[pos] == '/')
			pos++;
		if (!rest[pos])
			break;
		size_t start = pos;
		while (rest[pos] && rest[pos] != '/')
			pos++;
		size_t len = pos - start;
		if (len == 1 && rest[start] == '.')
			continue;
		if (len == 2 && rest[start] == '.' && rest[start + 1] == '.') {
			char *slash = strrchr(cur.s, '/');
			cur.len = slash ? (size_t)(slash - cur.s) : 0;
			cur.s[cur.len] = '\0';
			continue;
		}
		size_t before = cur.len;
		if (cur.len)
			bg_strbuf_putc(&cur, '/');
		bg_strbuf_add(&cur, rest + start, len);
		if (cur.oom) {
			st = RES_NOMEM;
			break;
		}
		if (cur.len > BG_MAX_IMAGE_PATH) {
			st = RES_TOOLONG;
			break;
		}
		size_t after = pos;
		while (rest[after] == '/')
			after++;
		bool last = rest[after] == '\0';
		const node *n = lookup(v, cur.s);
		if (n && n->f.type == BG_ENTRY_SYMLINK && (!last || follow_final)) {
			if (++hops > BG_MAX_SYMLINK_HOPS) {
				st = RES_LOOP;
				break;
			}
			const char *target = n->f.link_target ? n->f.link_target : "";
			char *nrest = NULL;
			if (asprintf(&nrest, "%s/%s", target, rest + pos) < 0) {
				st = RES_NOMEM;
				break;
			}
			if (strlen(nrest) > 16 * BG_MAX_IMAGE_PATH) {
				free(nrest);
				st = RES_TOOLONG;
				break;
			}
			free(rest);
			rest = nrest;
			pos = 0;
			if (target[0] == '/')
				cur.len = 0;
			else
				cur.len = before;
			cur.s[cur.len] = '\0';
			continue;
		}
		if (n && n->f.type != BG_ENTRY_DIR && n->f.type != BG_ENTRY_SYMLINK && !last) {
			st = RES_NOTDIR;
			break;
		}
	}
	free(rest);
	if (st != RES_OK) {
		bg_strbuf_free(&cur);
		return st;
	}
	*out = bg_strbuf_take(&cur);
	return *out ? RES_OK : RES_NOMEM;
}

const bg_file *bg_imageview_lstat(const bg_imageview *v, const char *path)
{
	char *key = NULL;
	if (resolve_key(v, path, false, &key) != RES_OK)
		return NULL;
	const node *n = lookup(v, key);
	free(key);
	return n ? &n->f : NULL;
}

int bg_imageview_stat(const bg_imageview *v, const char *path, const bg_file **out, bg_error *err)
{
	*out = NULL;
	char *key = NULL;
	res_status r = resolve_key(v, path, true, &key);
	if (r != RES_OK)
		return bg_error_set(err, r == RES_NOMEM ? BG_E_NOMEM : BG_E_INPUT,
				    "%.300s: %s in the image", path, res_message(r));
	const node *n = lookup(v, key);
	if (!n) {
		int rc = bg_error_set(err, BG_E_INPUT, "%.300s: not in the image (resolved to /%.300s)",
				      path, key);
		free(key);
		return rc;
	}
	free(key);
	*out = &n->f;
	return 0;
}

int bg_imageview_resolve(const bg_imageview *v, const char *path, char **out, bg_error *err)
{
	*out = NULL;
	char *key = NULL;
	res_status r = resolve_key(v, path, true, &key);
	if (r != RES_OK)
		return bg_error_set(err, r == RES_NOMEM ? BG_E_NOMEM : BG_E_INPUT,
				    "%.300s: %s in the image", path, res_message(r));
	if (asprintf(out, "/%s", key) < 0) {
		*out = NULL;
		free(key);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	free(key);
	return 0;
}

bool bg_imageview_is_dir(const bg_imageview *v, const char *path)
{
	const bg_file *f = NULL;
	return bg_imageview_stat(v, path, &f, NULL) == 0 && f->type == BG_ENTRY_DIR;
}

/* ---- listing ------------------------------------------------------- */

static int file_cmp(const void *a, const void *b)
{
	return strcmp((*(const bg_file *const *)a)->path, (*(const bg_file *const *)b)->path);
}

static int collect(const bg_imageview *v, const char *key, bool children_only, bool include_self,
		   const bg_file ***out, size_t *n, bg_error *err)
{
	*out = NULL;
	*n = 0;
	const bg_file **list = malloc((v->count ? v->count : 1) * sizeof *list);
	if (!list)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	size_t klen = strlen(key);
	for (size_t i = 0; i < v->nbuckets; i++) {
		for (const node *nd = v->buckets[i]; nd; nd = nd->next) {
			const char *k = key_of(nd);
			if (include_self && strcmp(k, key) == 0) {
				list[(*n)++] = &nd->f;
				continue;
			}
			if (!under(k, key))
				continue;
			if (children_only && strchr(k + klen + (klen ? 1 : 0), '/'))
				continue;
			list[(*n)++] = &nd->f;
		}
	}
	qsort(list, *n, sizeof *list, file_cmp);
	*out = list;
	return 0;
}

int bg_imageview_list(const bg_imageview *v, const char *dir, const bg_file ***out, size_t *n,
		      bg_error *err)
{
	*out = NULL;
	*n = 0;
	char *key = NULL;
	res_status r = resolve_key(v, dir, true, &key);
	if (r != RES_OK)
		return bg_error_set(err, r == RES_NOMEM ? BG_E_NOMEM : BG_E_INPUT,
				    "%.300s: %s in the image", dir, res_message(r));
	const node *d = lookup(v, key);
	if (d && d->f.type != BG_ENTRY_DIR) {
		free(key);
		return bg_error_set(err, BG_E_INPUT, "%.300s: not a directory in the image (a %s)", dir,
				    bg_entry_type_name(d->f.type));
	}
	int rc = collect(v, key, true, false, out, n, err);
	free(key);
	return rc;
}

int bg_imageview_walk(const bg_imageview *v, const char *prefix, const bg_file ***out, size_t *n,
		      bg_error *err)
{
	*out = NULL;
	*n = 0;
	char *key = NULL;
	res_status r = resolve_key(v, prefix, true, &key);
	if (r != RES_OK)
		return bg_error_set(err, r == RES_NOMEM ? BG_E_NOMEM : BG_E_INPUT,
				    "%.300s: %s in the image", prefix, res_message(r));
	int rc = collect(v, key, false, true, out, n, err);
	free(key);
	return rc;
}

size_t bg_imageview_count(const bg_imageview *v) { return v->count; }
size_t bg_imageview_warning_count(const bg_imageview *v) { return v->warnings.n; }
const char *bg_imageview_warning(const bg_imageview *v, size_t i)
{
	return i < v->warnings.n ? v->warnings.v[i] : NULL;
}

/* ---- applying a layer ---------------------------------------------- */

static void warn(bg_imageview *v, int layer, const char *digest, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void warn(bg_imageview *v, int layer, const char *digest, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char *line = NULL;
	if (asprintf(&line, "layer %d (%s): %s", layer + 1, digest ? digest : "?", msg) >= 0)
		bg_strv_push_take(&v->warnings, line);
}

/* Creates missing parent directories of key (implicit, 0755, root). */
static int ensure_parents(bg_imageview *v, const char *key)
{
	char buf[BG_MAX_IMAGE_PATH + 2];
	snprintf(buf, sizeof buf, "%s", key);
	for (char *p = buf; (p = strchr(p, '/')); p++) {
		*p = '\0';
		node *n = lookup(v, buf);
		if (!n || (n->f.type != BG_ENTRY_DIR && n->f.type != BG_ENTRY_SYMLINK)) {
			n = insert(v, buf);
			if (!n)
				return -1;
			n->f.type = BG_ENTRY_DIR;
			n->f.mode = 0755;
			n->f.implicit = true;
			n->f.layer = -1;
		}
		*p = '/';
	}
	return 0;
}

/* The key an entry at path lands on: its parent resolved through symlinks
 * in the view, the last component as is. */
static res_status entry_key(const bg_imageview *v, const char *path, char **out)
{
	*out = NULL;
	const char *slash = strrchr(path, '/');
	if (!slash)
		return (*out = bg_strdup(path)) ? RES_OK : RES_NOMEM;
	char *parent = bg_strndup(path, (size_t)(slash - path));
	if (!parent)
		return RES_NOMEM;
	char *pkey = NULL;
	res_status r = resolve_key(v, parent, true, &pkey);
	free(parent);
	if (r != RES_OK)
		return r;
	if (asprintf(out, "%s%s%s", pkey, pkey[0] ? "/" : "", slash + 1) < 0) {
		*out = NULL;
		r = RES_NOMEM;
	}
	free(pkey);
	return r;
}

static int set_from_entry(node *n, const bg_layer_entry *e, int layer, const char *digest)
{
	n->f.type = e->type;
	n->f.mode = e->mode;
	n->f.uid = e->uid;
	n->f.gid = e->gid;
	n->f.size = e->size;
	n->f.too_large = e->too_large;
	n->f.was_hardlink = e->was_hardlink;
	n->f.layer = layer;
	n->f.layer_digest = digest;
	if (e->type == BG_ENTRY_SYMLINK && e->link) {
		n->link = bg_strdup(e->link);
		if (!n->link)
			return -1;
		n->f.link_target = n->link;
	}
	if (e->type == BG_ENTRY_FILE && e->data) {
		n->content = malloc(e->len + 1);
		if (!n->content)
			return -1;
		memcpy(n->content, e->data, e->len);
		n->content[e->len] = '\0';
		n->f.content = n->content;
		n->f.content_len = e->len;
	}
	return 0;
}

int bg_imageview_apply(bg_imageview *v, int idx, const bg_layer_scan *s, bg_error *err)
{
	if (bg_strv_push(&v->digests, s->digest ? s->digest : "") < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	const char *digest = v->digests.v[v->digests.n - 1];

	/* Opaque markers first: they hide lower children whatever their
	 * position in the tar. */
	for (size_t i = 0; i < s->n_entries; i++) {
		const bg_layer_entry *e = &s->entries[i];
		if (e->type != BG_ENTRY_OPAQUE)
			continue;
		char *key = NULL;
		res_status r = resolve_key(v, e->path, true, &key);
		if (r != RES_OK) {
			warn(v, idx, digest, "opaque directory /%s ignored: %s", e->path, res_message(r));
			continue;
		}
		remove_tree(v, key, false, -2);
		free(key);
	}
	for (size_t i = 0; i < s->n_entries; i++) {
		const bg_layer_entry *e = &s->entries[i];
		if (e->type == BG_ENTRY_OPAQUE)
			continue;
		char *key = NULL;
		res_status r = entry_key(v, e->path, &key);
		if (r == RES_NOMEM)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		if (r != RES_OK) {
			warn(v, idx, digest, "entry /%s ignored: its parent: %s", e->path, res_message(r));
			continue;
		}
		if (key[0] == '\0') {
			free(key);
			if (e->type == BG_ENTRY_DIR || e->type == BG_ENTRY_WHITEOUT)
				continue;
			return bg_error_set(err, BG_E_INPUT,
					    "entry /%s would replace the image root with a %s: refused",
					    e->path, bg_entry_type_name(e->type));
		}
		if (e->type == BG_ENTRY_WHITEOUT) {
			/* Lower layers only: this layer's own entries stay. */
			remove_tree(v, key, true, idx);
			free(key);
			continue;
		}
		const node *target = NULL;
		if (e->type == BG_ENTRY_HARDLINK) {
			char *tkey = NULL;
			if (resolve_key(v, e->link, false, &tkey) == RES_OK)
				target = lookup(v, tkey);
			free(tkey);
			if (!target || target->f.type == BG_ENTRY_DIR) {
				warn(v, idx, digest, "hardlink /%s -> /%s ignored: %s", e->path, e->link,
				     target ? "the target is a directory" : "the target does not exist");
				free(key);
				continue;
			}
		}
		node *old = lookup(v, key);
		bool new_is_dir = e->type == BG_ENTRY_DIR;
		if (old && old->f.type == BG_ENTRY_DIR && new_is_dir) {
			old->f.mode = e->mode;
			old->f.uid = e->uid;
			old->f.gid = e->gid;
			old->f.implicit = false;
			old->f.layer = idx;
			old->f.layer_digest = digest;
			free(key);
			continue;
		}
		if (old && old->f.type == BG_ENTRY_DIR)
			remove_tree(v, key, false, -2);
		if (ensure_parents(v, key) < 0) {
			free(key);
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		}
		/* A hardlink target node may move in the table when inserting;
		 * copy what it has first. */
		bg_layer_entry copy = {0};
		if (target) {
			copy = (bg_layer_entry){
				.type = target->f.type, .mode = target->f.mode, .uid = target->f.uid,
				.gid = target->f.gid, .size = target->f.size,
				.too_large = target->f.too_large, .was_hardlink = true,
				.link = target->f.link_target ? bg_strdup(target->f.link_target) : NULL,
				.len = target->f.content_len,
			};
			if (target->f.content) {
				copy.data = malloc(target->f.content_len + 1);
				if (!copy.data) {
					free(copy.link);
					free(key);
					return bg_error_set(err, BG_E_NOMEM, "out of memory");
				}
				memcpy(copy.data, target->f.content, target->f.content_len + 1);
			}
		}
		node *n = insert(v, key);
		free(key);
		int rc = !n ? -1 : target ? set_from_entry(n, &copy, idx, digest) : set_from_entry(n, e, idx, digest);
		free(copy.link);
		free(copy.data);
		if (rc < 0)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	return 0;
}
