/* bootgate — resolving an image to its verified manifest chain (image.h).
 *
 *   reference ──get_manifest──> bytes ──hash──> digest (== the reference's
 *   digest, when it names one) ──parse──> index?  ──select platform──>
 *   child by digest ──hash == descriptor digest, size == descriptor size──>
 *   ... (indexes nest at most MAX_INDEX_DEPTH deep) ──> image manifest
 *   ──> config blob through bg_blob (≤ 4 MiB, verified) ──> parsed config.
 *
 * Nothing a source says is taken on trust: the digest of every manifest is
 * computed here from the exact bytes received, and the config arrives only
 * through the verified blob stream. */
#include "bootgate/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/digest.h"
#include "bootgate/limits.h"
#include "util.h"

/* Index → index → ... → manifest: how many indexes may be followed
 * (registry-layers.md §1.9: Docker 29 and buildx nest them). */
#define MAX_INDEX_DEPTH 4

void bg_image_free(bg_image *img)
{
	if (!img)
		return;
	free(img->index_digest);
	free(img->index_media_type);
	free(img->manifest_digest);
	free(img->manifest_media_type);
	free(img->manifest_data);
	free(img->index_data);
	bg_manifest_free(img->manifest);
	bg_image_config_free(img->config);
	free(img->config_digest);
	free(img);
}

/* Hashes bytes with the algorithm of `like` (a valid digest), or sha256. */
static int hash_like(const char *like, const char *data, size_t len, char out[BG_DIGEST_STRING_MAX],
		     bg_error *err)
{
	bg_digest_algorithm alg = BG_DIGEST_SHA256;
	if (like && bg_digest_parse(like, &alg, NULL, NULL) < 0)
		alg = BG_DIGEST_SHA256;
	return bg_digest_buffer(alg, data, len, out, err);
}

/* The digest the user's reference pins, if any. */
static const char *pinned_digest(const bg_source *src)
{
	if (src->ref.has_reference && src->ref.reference.digest)
		return src->ref.reference.digest;
	return NULL;
}

/* The child manifest an index entry names: fetched by digest, its size
 * and digest checked against the descriptor, then parsed. */
static int fetch_child(bg_source *src, const bg_descriptor *d, bg_manifest_bytes *mb,
		       char digest[BG_DIGEST_STRING_MAX], bg_manifest **out, bg_error *err)
{
	int rc = bg_source_get_manifest(src, d->digest, mb, err);
	if (rc < 0)
		return rc;
	const char *where = mb->location ? mb->location : d->digest;
	if ((uint64_t)d->size != mb->len)
		return bg_error_set(err, BG_E_EVAL,
				    "%s: manifest %s is %zu bytes but the index says %lld; the source "
				    "is corrupt or tampered with",
				    where, d->digest, mb->len, (long long)d->size);
	rc = hash_like(d->digest, mb->data, mb->len, digest, err);
	if (rc < 0)
		return rc;
	if (!bg_digest_equal(digest, d->digest))
		return bg_error_set(err, BG_E_EVAL,
				    "%s: manifest digest mismatch: the index names %s, the bytes hash "
				    "to %s; the source is corrupt or tampered with",
				    where, d->digest, digest);
	/* Without a Content-Type (local sources) the index entry's media type
	 * is what the document must agree with. */
	return bg_manifest_parse(mb->data, mb->len, mb->content_type ? mb->content_type : d->media_type,
				 where, out, err);
}

static int read_config(bg_source *src, const bg_manifest *m, const char *where, char **data,
		       size_t *len, bg_error *err)
{
	const bg_descriptor *c = &m->config;
	if (c->size > (int64_t)BG_MAX_CONFIG_BYTES)
		return bg_error_set(err, BG_E_EVAL, "%s: config %s is %lld bytes, more than the %lu-byte limit",
				    where, c->digest, (long long)c->size, BG_MAX_CONFIG_BYTES);
	bg_blob *b = NULL;
	int rc = bg_source_open_blob(src, c, &b, err);
	if (rc < 0)
		return rc;
	rc = bg_blob_read_all(b, BG_MAX_CONFIG_BYTES, data, len, err);
	bg_blob_close(b);
	return rc;
}

static int resolve(bg_source *src, const bg_platform *platform, bg_image *img, bg_error *err)
{
	bg_manifest_bytes mb = {0};
	bg_manifest *m = NULL;
	bg_platform host = {0};
	char digest[BG_DIGEST_STRING_MAX];

	int rc = bg_source_get_manifest(src, NULL, &mb, err);
	if (rc < 0)
		return rc;
	const char *where = mb.location ? mb.location : "manifest";
	const char *pin = pinned_digest(src);
	rc = hash_like(pin, mb.data, mb.len, digest, err);
	if (rc == 0 && pin && !bg_digest_equal(digest, pin))
		rc = bg_error_set(err, BG_E_EVAL,
				  "%s: manifest digest mismatch: asked for %s, the bytes served hash to "
				  "%s; the source is corrupt or tampered with",
				  where, pin, digest);
	if (rc == 0)
		rc = bg_manifest_parse(mb.data, mb.len, mb.content_type, where, &m, err);

	for (int depth = 0; rc == 0 && bg_manifest_is_index(m); depth++) {
		if (depth == MAX_INDEX_DEPTH) {
			rc = bg_error_set(err, BG_E_EVAL,
					  "%s: indexes nested more than %d deep; refusing", where,
					  MAX_INDEX_DEPTH);
			break;
		}
		if (depth == 0) {
			/* The digest the reference names: skopeo reports this one. */
			img->index_digest = bg_strdup(digest);
			img->index_media_type = bg_strdup(m->media_type);
			img->index_len = mb.len;
			img->index_data = BG_TAKE_PTR(mb.data);
			if (!img->index_digest || !img->index_media_type) {
				rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
				break;
			}
		}
		if (!platform) {
			rc = bg_platform_host(&host, err);
			if (rc < 0)
				break;
			platform = &host;
		}
		const bg_descriptor *d = NULL;
		rc = bg_manifest_select_platform(m, platform, &d, err);
		if (rc < 0) {
			bg_error_prefix(err, "%s", where);
			break;
		}
		bg_manifest_bytes child = {0};
		bg_manifest *cm = NULL;
		rc = fetch_child(src, d, &child, digest, &cm, err);
		bg_manifest_free(m);
		bg_manifest_bytes_free(&mb);
		m = cm;
		mb = child;
		where = mb.location ? mb.location : "manifest";
	}

	if (rc == 0) {
		img->manifest_digest = bg_strdup(digest);
		img->manifest_media_type = bg_strdup(m->media_type);
		img->manifest_len = mb.len;
		img->manifest_data = BG_TAKE_PTR(mb.data);
		img->config_digest = bg_strdup(m->config.digest);
		if (!img->manifest_digest || !img->manifest_media_type || !img->config_digest)
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; rc == 0 && i < m->n_layers; i++)
		if (m->layers[i].has_urls)
			rc = bg_error_set(err, BG_E_EVAL,
					  "%s: layer %zu (%s) is a foreign layer served from other URLs; "
					  "bootgate refuses non-distributable layers",
					  where, i, m->layers[i].digest);

	_cleanup_free_ char *config = NULL, *config_what = NULL;
	size_t config_len = 0;
	if (rc == 0)
		rc = read_config(src, m, where, &config, &config_len, err);
	if (rc == 0 && asprintf(&config_what, "%s: config %s", where, m->config.digest) < 0) {
		config_what = NULL;
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	if (rc == 0)
		rc = bg_image_config_parse(config, config_len, config_what, &img->config, err);
	if (rc == 0 && img->config->n_diff_ids != m->n_layers)
		rc = bg_error_set(err, BG_E_EVAL,
				  "%s: the manifest has %zu layers but the config's rootfs.diff_ids "
				  "lists %zu; refusing an inconsistent image",
				  where, m->n_layers, img->config->n_diff_ids);

	bg_platform_free(&host);
	bg_manifest_bytes_free(&mb);
	if (rc < 0) {
		bg_manifest_free(m);
		return rc;
	}
	img->manifest = m;
	return 0;
}

int bg_image_resolve(bg_source *src, const bg_platform *platform, bg_image **out, bg_error *err)
{
	*out = NULL;
	bg_image *img = calloc(1, sizeof *img);
	if (!img)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	int rc = resolve(src, platform, img, err);
	if (rc < 0) {
		bg_image_free(img);
		return rc;
	}
	*out = img;
	return 0;
}
