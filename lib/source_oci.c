/* bootgate — oci:DIR[:NAME|:@N], an OCI image layout directory
 * (image-spec image-layout.md), and the layout rules the archive readers
 * share (source_local.h).
 *
 * The layout may come from anyone, so: the `oci-layout` file must be there
 * and say version 1.x; index.json is parsed strictly; a blob path is built
 * only from a digest that passed bg_digest_parse (never from text such as
 * "sha256:../../x"); each path component is opened with O_NOFOLLOW so a
 * symlinked `blobs` or blob cannot make bootgate read outside the layout;
 * and every blob is hashed on the way out (bg_blob). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootgate/digest.h"
#include "bootgate/limits.h"
#include "bootgate/manifest.h"
#include "bootgate/source.h"
#include "bootgate/strictjson.h"
#include "source_local.h"
#include "util.h"

#define OCI_LAYOUT_FILE_MAX (64 * 1024)

/* ---- Layout rules shared with oci-archive: and docker-archive: ---- */

void bg_oci_choice_free(bg_oci_choice *c)
{
	if (!c)
		return;
	free(c->digest);
	free(c->media_type);
	memset(c, 0, sizeof *c);
}

int bg_oci_check_layout_file(const char *data, size_t len, const char *where, bg_error *err)
{
	_cleanup_free_ char *what = NULL;
	if (asprintf(&what, "%s: oci-layout", where) < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	json_object *obj = NULL;
	int rc = bg_json_parse_strict(data, len, what, &obj, err);
	if (rc < 0)
		return rc;
	const char *version = NULL;
	rc = bg_json_get_string(obj, "imageLayoutVersion", true, what, &version, err);
	if (rc == 0 && strncmp(version, "1.", 2) != 0)
		rc = bg_error_set(err, BG_E_EVAL,
				  "%s: imageLayoutVersion \"%.40s\" is not supported (bootgate reads 1.x layouts)",
				  what, version);
	json_object_put(obj);
	return rc;
}

static bool is_manifest_type(const char *mt)
{
	return mt && (strcmp(mt, BG_MEDIA_OCI_MANIFEST) == 0 || strcmp(mt, BG_MEDIA_OCI_INDEX) == 0 ||
		      strcmp(mt, BG_MEDIA_DOCKER_MANIFEST) == 0 || strcmp(mt, BG_MEDIA_DOCKER_LIST) == 0);
}

/* "a, b, c" — the names index.json offers, for error messages. */
static char *list_names(const bg_manifest *idx)
{
	bg_strbuf b = {0};
	size_t shown = 0;
	for (size_t i = 0; i < idx->n_manifests; i++) {
		const char *n = idx->manifests[i].ref_name;
		if (!n)
			continue;
		if (shown == 20) {
			bg_strbuf_puts(&b, ", ...");
			break;
		}
		bg_strbuf_printf(&b, "%s\"%.100s\"", shown ? ", " : "", n);
		shown++;
	}
	if (!shown)
		bg_strbuf_puts(&b, "none (no entry has an org.opencontainers.image.ref.name annotation)");
	return bg_strbuf_take(&b);
}

int bg_oci_choose(const char *index_data, size_t index_len, const char *name, int source_index,
		  const char *where, bg_oci_choice *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	_cleanup_free_ char *what = NULL;
	if (asprintf(&what, "%s: index.json", where) < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	bg_manifest *idx = NULL;
	int rc = bg_manifest_parse(index_data, index_len, NULL, what, &idx, err);
	if (rc < 0)
		return rc;
	if (!bg_manifest_is_index(idx)) {
		bg_manifest_free(idx);
		return bg_error_set(err, BG_E_EVAL, "%s is not an image index", what);
	}

	const bg_descriptor *d = NULL;
	if (source_index >= 0) {
		if ((size_t)source_index >= idx->n_manifests)
			rc = bg_error_set(err, BG_E_EVAL, "%s: no image @%d: index.json lists %zu", where,
					  source_index, idx->n_manifests);
		else
			d = &idx->manifests[source_index];
	} else if (name) {
		/* The first matching manifest wins, as in containers/image
		 * (oci/layout getManifestDescriptor). */
		for (size_t i = 0; i < idx->n_manifests && !d; i++)
			if (idx->manifests[i].ref_name && strcmp(idx->manifests[i].ref_name, name) == 0 &&
			    is_manifest_type(idx->manifests[i].media_type))
				d = &idx->manifests[i];
		if (!d) {
			_cleanup_free_ char *names = list_names(idx);
			rc = bg_error_set(err, BG_E_EVAL, "%s: no image named \"%s\"; names in index.json: %s",
					  where, name, names ? names : "?");
		}
	} else if (idx->n_manifests == 1) {
		d = &idx->manifests[0];
	} else if (idx->n_manifests == 0) {
		rc = bg_error_set(err, BG_E_EVAL, "%s: index.json lists no image", where);
	} else {
		_cleanup_free_ char *names = list_names(idx);
		rc = bg_error_set(err, BG_E_EVAL,
				  "%s: index.json lists %zu images; choose one by name (%s:NAME) or "
				  "position (%s:@N); names: %s",
				  where, idx->n_manifests, where, where, names ? names : "?");
	}
	if (d) {
		if (!bg_digest_valid(d->digest)) {
			rc = bg_error_set(err, BG_E_EVAL, "%s: index.json names an invalid digest \"%.150s\"",
					  where, d->digest ? d->digest : "");
		} else {
			out->digest = bg_strdup(d->digest);
			out->media_type = d->media_type ? bg_strdup(d->media_type) : NULL;
			out->size = d->size;
			if (!out->digest || (d->media_type && !out->media_type)) {
				bg_oci_choice_free(out);
				rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
			}
		}
	}
	bg_manifest_free(idx);
	return rc;
}

char *bg_oci_blob_path(const char *digest, const char *where, bg_error *err)
{
	bg_digest_algorithm alg;
	const char *hex = NULL;
	bg_error derr = {0};
	if (bg_digest_parse(digest, &alg, &hex, &derr) < 0) {
		bg_error_set(err, BG_E_EVAL, "%s: refusing blob digest \"%.150s\": %s", where,
			     digest ? digest : "", derr.message);
		return NULL;
	}
	char *path = NULL;
	if (asprintf(&path, "blobs/%s/%s", bg_digest_algorithm_name(alg), hex) < 0) {
		bg_error_set(err, BG_E_NOMEM, "out of memory");
		return NULL;
	}
	return path;
}

/* ---- The directory transport ---- */

typedef struct oci_dir {
	int dirfd;
	char *where;   /* "oci:DIR" */
	char *dir;
	bg_oci_choice choice;
} oci_dir;

typedef struct oci_blob {
	int fd;
} oci_blob;

/* Opens DIR/<rel> one component at a time without following symlinks. */
static int open_beneath(int dirfd, const char *rel, int *out_fd)
{
	char buf[256];
	if (snprintf(buf, sizeof buf, "%s", rel) >= (int)sizeof buf)
		return -ENAMETOOLONG;
	int cur = dirfd;
	char *save = NULL;
	char *part = strtok_r(buf, "/", &save);
	while (part) {
		char *next = strtok_r(NULL, "/", &save);
		int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | (next ? O_DIRECTORY : 0);
		int fd = openat(cur, part, flags);
		int e = errno;
		if (cur != dirfd)
			close(cur);
		if (fd < 0)
			return -e;
		cur = fd;
		part = next;
	}
	if (cur == dirfd)
		return -EINVAL;
	struct stat st;
	if (fstat(cur, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(cur);
		return -EINVAL;
	}
	*out_fd = cur;
	return 0;
}

static int open_failed(const oci_dir *o, const char *rel, int e, bg_error *err)
{
	if (e == -ENOENT)
		return bg_error_set(err, BG_E_EVAL, "%s: %s does not exist in the layout", o->where, rel);
	if (e == -ELOOP)
		return bg_error_set(err, BG_E_EVAL,
				    "%s: %s is (or is under) a symbolic link; bootgate reads only regular "
				    "files inside the layout",
				    o->where, rel);
	if (e == -EINVAL || e == -ENOTDIR)
		return bg_error_set(err, BG_E_EVAL, "%s: %s is not a regular file", o->where, rel);
	return bg_error_set(err, BG_E_EVAL, "%s: cannot open %s: %s", o->where, rel, strerror(-e));
}

static int read_small(const oci_dir *o, const char *rel, size_t max, char **data, size_t *len,
		      bg_error *err)
{
	int fd = -1;
	int e = open_beneath(o->dirfd, rel, &fd);
	if (e < 0)
		return open_failed(o, rel, e, err);
	bg_strbuf b = {0};
	char chunk[16384];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int er = errno;
			close(fd);
			bg_strbuf_free(&b);
			return bg_error_set(err, BG_E_EVAL, "%s: reading %s: %s", o->where, rel, strerror(er));
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) {
			close(fd);
			bg_strbuf_free(&b);
			return bg_error_set(err, BG_E_EVAL, "%s: %s is larger than the %zu-byte limit",
					    o->where, rel, max);
		}
		bg_strbuf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (b.oom) {
		bg_strbuf_free(&b);
		return bg_error_set(err, BG_E_NOMEM, "out of memory reading %s", rel);
	}
	*len = b.len;
	*data = b.s ? bg_strbuf_take(&b) : calloc(1, 1);
	if (!*data)
		return bg_error_set(err, BG_E_NOMEM, "out of memory reading %s", rel);
	return 0;
}

static int oci_get_manifest(bg_source *s, const char *digest, bg_manifest_bytes *out, bg_error *err)
{
	oci_dir *o = s->impl;
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

static int oci_open_blob(bg_source *s, const bg_descriptor *d, void **handle, bg_error *err)
{
	oci_dir *o = s->impl;
	_cleanup_free_ char *rel = bg_oci_blob_path(d->digest, o->where, err);
	if (!rel)
		return err ? err->status : BG_E_EVAL;
	oci_blob *b = calloc(1, sizeof *b);
	if (!b)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	int e = open_beneath(o->dirfd, rel, &b->fd);
	if (e < 0) {
		free(b);
		return open_failed(o, rel, e, err);
	}
	*handle = b;
	return 0;
}

static ssize_t oci_read_blob(void *handle, void *buf, size_t len, bg_error *err)
{
	oci_blob *b = handle;
	for (;;) {
		ssize_t n = read(b->fd, buf, len);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return bg_error_set(err, BG_E_EVAL, "read: %s", strerror(errno));
	}
}

static void oci_close_blob(void *handle)
{
	oci_blob *b = handle;
	if (!b)
		return;
	close(b->fd);
	free(b);
}

static void oci_dir_free(oci_dir *o)
{
	if (!o)
		return;
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->where);
	free(o->dir);
	bg_oci_choice_free(&o->choice);
	free(o);
}

static void oci_close(bg_source *s)
{
	oci_dir_free(s->impl);
	s->impl = NULL;
}

static const bg_source_ops oci_ops = {
	.name = "oci",
	.get_manifest = oci_get_manifest,
	.open_blob = oci_open_blob,
	.read_blob = oci_read_blob,
	.close_blob = oci_close_blob,
	.close = oci_close,
};

int bg_source_oci_open(const bg_image_ref *ref, const bg_source_options *opts, bg_source **out,
		       bg_error *err)
{
	*out = NULL;
	if (!ref->path)
		return bg_error_set(err, BG_E_USAGE, "oci: no layout directory given");
	oci_dir *o = calloc(1, sizeof *o);
	if (!o)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	o->dirfd = -1;
	o->dir = bg_strdup(ref->path);
	if (!o->dir || asprintf(&o->where, "oci:%s", ref->path) < 0) {
		o->where = NULL;
		oci_dir_free(o);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	o->dirfd = open(ref->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->dirfd < 0) {
		int e = errno;
		int rc = bg_error_set(err, BG_E_EVAL, "%s: cannot open the layout directory: %s%s", o->where,
				      strerror(e), e == ENOTDIR ? " (for a tar of a layout use oci-archive:)" : "");
		oci_dir_free(o);
		return rc;
	}

	_cleanup_free_ char *layout = NULL, *index = NULL;
	size_t layout_len = 0, index_len = 0;
	int rc = read_small(o, "oci-layout", OCI_LAYOUT_FILE_MAX, &layout, &layout_len, err);
	if (rc == 0)
		rc = bg_oci_check_layout_file(layout, layout_len, o->where, err);
	if (rc == 0)
		rc = read_small(o, "index.json", BG_MAX_MANIFEST_BYTES, &index, &index_len, err);
	if (rc == 0)
		rc = bg_oci_choose(index, index_len, ref->image_name, ref->source_index, o->where,
				   &o->choice, err);
	if (rc < 0) {
		oci_dir_free(o);
		return rc;
	}
	bg_source *s = bg_source_new(&oci_ops, o);
	if (!s) {
		oci_dir_free(o);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	*out = s;
	return 0;
}
