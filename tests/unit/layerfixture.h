/* Test helper: generated layered images for the layer-scan tests.  Layers
 * are tars written with libarchive's writer (names exactly as given, so
 * "./x", "x//y", "../x", whiteouts and duplicates can be written),
 * compressed with gzip or zstd (libarchive's raw format + filter) or left
 * plain, optionally damaged (end marker removed, garbage appended), and
 * wrapped in an OCI layout (imgfixture.h) with a config whose diff_ids are
 * the uncompressed sha256s (or a wrong one on request).  Nothing is kept in
 * git: every image is written under a temporary directory. */
#ifndef BOOTGATE_TEST_LAYERFIXTURE_H
#define BOOTGATE_TEST_LAYERFIXTURE_H

#include "tests/unit/imgfixture.h"

enum { LF_FILE, LF_DIR, LF_SYMLINK, LF_HARDLINK };
enum { LF_NONE, LF_GZIP, LF_ZSTD };

typedef struct lf_buf {
	unsigned char *p;
	size_t len, cap;
} lf_buf;

static inline void lf_buf_add(lf_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 4096;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static inline la_ssize_t lf_write_cb(struct archive *a, void *ctx, const void *p, size_t n)
{
	(void)a;
	lf_buf_add(ctx, p, n);
	return (la_ssize_t)n;
}

typedef struct lf_layer {
	struct archive *a;
	lf_buf tar;
	int compression;
	bool no_end_marker;      /* cut the two zero blocks: truncated at an entry boundary */
	const char *garbage;     /* appended after the compressed stream */
	const char *media_type;  /* NULL: the right one for the compression */
	bool wrong_diff_id;
} lf_layer;

static inline void lf_layer_init(lf_layer *l, int compression)
{
	memset(l, 0, sizeof *l);
	l->compression = compression;
	l->a = archive_write_new();
	archive_write_set_format_pax_restricted(l->a);
	archive_write_set_bytes_per_block(l->a, 512);
	archive_write_set_bytes_in_last_block(l->a, 1);
	if (archive_write_open(l->a, &l->tar, NULL, lf_write_cb, NULL) != ARCHIVE_OK)
		abort();
}

/* One entry; data for files, target for links. */
static inline void lf_entry(lf_layer *l, int kind, const char *name, const void *data, size_t len,
			    const char *target, unsigned mode)
{
	struct archive_entry *ae = archive_entry_new();
	archive_entry_set_pathname(ae, name);
	archive_entry_set_perm(ae, mode);
	archive_entry_set_mtime(ae, 1700000000, 0);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	switch (kind) {
	case LF_DIR:
		archive_entry_set_filetype(ae, AE_IFDIR);
		break;
	case LF_SYMLINK:
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_symlink(ae, target);
		break;
	case LF_HARDLINK:
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_hardlink(ae, target);
		break;
	default:
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_size(ae, (la_int64_t)len);
	}
	if (archive_write_header(l->a, ae) != ARCHIVE_OK)
		abort();
	if (kind == LF_FILE && len && archive_write_data(l->a, data, len) != (la_ssize_t)len)
		abort();
	archive_entry_free(ae);
}

static inline void lf_file(lf_layer *l, const char *name, const char *text)
{
	lf_entry(l, LF_FILE, name, text, strlen(text), NULL, 0644);
}
static inline void lf_dir(lf_layer *l, const char *name) { lf_entry(l, LF_DIR, name, NULL, 0, NULL, 0755); }
static inline void lf_symlink(lf_layer *l, const char *name, const char *target)
{
	lf_entry(l, LF_SYMLINK, name, NULL, 0, target, 0777);
}
static inline void lf_hardlink(lf_layer *l, const char *name, const char *target)
{
	lf_entry(l, LF_HARDLINK, name, NULL, 0, target, 0644);
}

/* Compresses bytes with libarchive's raw writer (gzip or zstd filter). */
static inline void lf_compress(const lf_buf *in, int compression, lf_buf *out)
{
	if (compression == LF_NONE) {
		lf_buf_add(out, in->p, in->len);
		return;
	}
	struct archive *a = archive_write_new();
	archive_write_set_format_raw(a);
	if (compression == LF_GZIP)
		archive_write_add_filter_gzip(a);
	else if (archive_write_add_filter_zstd(a) != ARCHIVE_OK)
		abort();
	archive_write_set_bytes_per_block(a, 0);
	if (archive_write_open(a, out, NULL, lf_write_cb, NULL) != ARCHIVE_OK)
		abort();
	struct archive_entry *ae = archive_entry_new();
	archive_entry_set_pathname(ae, "data");
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_size(ae, (la_int64_t)in->len);
	if (archive_write_header(a, ae) != ARCHIVE_OK)
		abort();
	if (in->len && archive_write_data(a, in->p, in->len) != (la_ssize_t)in->len)
		abort();
	archive_entry_free(ae);
	archive_write_close(a);
	archive_write_free(a);
}

/* Finishes a layer into blob bytes; diff_id = sha256 of the tar as written
 * (after any truncation). */
static inline void lf_layer_finish(lf_layer *l, lf_buf *blob, char diff_id[BG_DIGEST_STRING_MAX])
{
	archive_write_close(l->a);
	archive_write_free(l->a);
	l->a = NULL;
	if (l->no_end_marker) {
		if (l->tar.len < 1024)
			abort();
		l->tar.len -= 1024;
	}
	fx_digest(l->tar.p, l->tar.len, diff_id);
	lf_compress(&l->tar, l->compression, blob);
	if (l->garbage)
		lf_buf_add(blob, l->garbage, strlen(l->garbage));
	free(l->tar.p);
	l->tar = (lf_buf){0};
}

static inline const char *lf_media_type(int compression)
{
	return compression == LF_GZIP   ? "application/vnd.oci.image.layer.v1.tar+gzip"
	       : compression == LF_ZSTD ? "application/vnd.oci.image.layer.v1.tar+zstd"
					: "application/vnd.oci.image.layer.v1.tar";
}

/* Writes an OCI layout at dir with the layers (finishing them), tag
 * "latest".  Returns the image string "oci:DIR:latest" (malloc'd). */
static inline char *lf_write_image(const char *dir, lf_layer *layers, size_t n)
{
	fx f = {0};
	fx_layout_file(&f);
	char *diffs = strdup(""), *descs = strdup("");
	for (size_t i = 0; i < n; i++) {
		lf_buf blob = {0};
		char diff_id[BG_DIGEST_STRING_MAX], digest[BG_DIGEST_STRING_MAX];
		lf_layer_finish(&layers[i], &blob, diff_id);
		if (layers[i].wrong_diff_id)
			fx_digest("not this layer", 14, diff_id);
		fx_blob(&f, (const char *)blob.p, blob.len, digest);
		char *nd = fx_printf("%s%s\"%s\"", diffs, i ? "," : "", diff_id);
		char *ns = fx_printf("%s%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}", descs,
				     i ? "," : "",
				     layers[i].media_type ? layers[i].media_type
							  : lf_media_type(layers[i].compression),
				     digest, blob.len);
		free(diffs);
		free(descs);
		diffs = nd;
		descs = ns;
		free(blob.p);
	}
	char *config = fx_printf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
				 "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%s]}}",
				 diffs);
	char cdigest[BG_DIGEST_STRING_MAX], mdigest[BG_DIGEST_STRING_MAX];
	fx_blob(&f, config, strlen(config), cdigest);
	char *manifest = fx_printf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
				   "\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[%s]}",
				   BG_MEDIA_OCI_MANIFEST, BG_MEDIA_OCI_CONFIG, cdigest, strlen(config),
				   descs);
	fx_blob(&f, manifest, strlen(manifest), mdigest);
	fx_entry e = { BG_MEDIA_OCI_MANIFEST, mdigest, strlen(manifest), "latest", NULL };
	fx_index(&f, &e, 1);
	fx_write_dir(&f, dir);
	fx_free(&f);
	free(config);
	free(manifest);
	free(diffs);
	free(descs);
	return fx_printf("oci:%s:latest", dir);
}

#endif
