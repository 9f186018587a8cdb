/* Fuzz one layer blob (tar, gzip or zstd) through the whole scan: blob
 * stream → inflate → tar reader → kept entries → image view → lookups.
 * The blob comes from an in-memory source whose descriptor digest is the
 * input's own sha256, so the input reaches the decoders; the media type
 * follows the magic bytes (a mismatch is covered by the unit tests). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/digest.h"
#include "bootgate/imageview.h"
#include "bootgate/inflate.h"
#include "bootgate/layers.h"
#include "bootgate/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct mem_blob {
	const uint8_t *p;
	size_t len, pos;
} mem_blob;

static const uint8_t *fuzz_data;
static size_t fuzz_size;

static int mem_open(bg_source *s, const bg_descriptor *d, void **handle, bg_error *err)
{
	(void)s;
	(void)d;
	mem_blob *b = calloc(1, sizeof *b);
	if (!b)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	b->p = fuzz_data;
	b->len = fuzz_size;
	*handle = b;
	return 0;
}

static ssize_t mem_read(void *handle, void *buf, size_t len, bg_error *err)
{
	(void)err;
	mem_blob *b = handle;
	size_t n = b->len - b->pos < len ? b->len - b->pos : len;
	/* Small, uneven reads exercise the buffering paths. */
	if (n > 4093)
		n = 4093;
	memcpy(buf, b->p + b->pos, n);
	b->pos += n;
	return (ssize_t)n;
}

static void mem_close(void *handle) { free(handle); }

static const bg_source_ops mem_ops = {
	.name = "fuzz",
	.open_blob = mem_open,
	.read_blob = mem_read,
	.close_blob = mem_close,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_data = data;
	fuzz_size = size;
	char digest[BG_DIGEST_STRING_MAX];
	if (bg_digest_buffer(BG_DIGEST_SHA256, data, size, digest, NULL) < 0)
		return 0;
	bg_compression c = bg_compression_sniff(data, size);
	bg_descriptor d = {
		.media_type = (char *)(c == BG_COMPRESSION_GZIP   ? "application/vnd.oci.image.layer.v1.tar+gzip"
				       : c == BG_COMPRESSION_ZSTD ? "application/vnd.oci.image.layer.v1.tar+zstd"
								  : "application/vnd.oci.image.layer.v1.tar"),
		.digest = digest,
		.size = (int64_t)size,
	};
	bg_source src = { .ops = &mem_ops };
	bg_pathset *ps = NULL;
	if (bg_pathset_new(&ps, NULL) < 0)
		return 0;
	bg_pathset_add_defaults(ps, NULL);
	bg_pathset_add(ps, "/etc/*/x*/**", NULL);
	bg_layer_scan *scan = NULL;
	bg_error err = {0};
	/* A small cap keeps bombs cheap. */
	if (bg_layer_scan_blob(&src, &d, NULL, ps, NULL, 0, 64u << 20, &scan, &err) == 0) {
		bg_imageview *v = NULL;
		if (bg_imageview_new(&v, NULL) == 0) {
			bg_imageview_apply(v, 0, scan, &err);
			bg_imageview_apply(v, 1, scan, &err);
			const bg_file **all = NULL;
			size_t n = 0;
			if (bg_imageview_walk(v, "/", &all, &n, NULL) == 0) {
				for (size_t i = 0; i < n; i++) {
					const bg_file *f = NULL;
					char *r = NULL;
					bg_imageview_stat(v, all[i]->path, &f, NULL);
					if (bg_imageview_resolve(v, all[i]->path, &r, NULL) == 0)
						free(r);
					bg_imageview_is_dir(v, all[i]->path);
				}
				free(all);
			}
			bg_imageview_free(v);
		}
		bg_layer_scan_free(scan);
	}
	bg_pathset_free(ps);
	return 0;
}
