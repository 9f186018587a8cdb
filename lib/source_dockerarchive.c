/* bootgate — docker-archive:FILE[:REF|:@N], the `docker save` /
 * `podman save` format (registry-layers.md §2.3), read in place through the
 * tar index of source_ociarchive.c.
 *
 * Two shapes exist:
 *   - Docker ≥ 25 writes an OCI layout (oci-layout, index.json, blobs/) next
 *     to manifest.json.  Without a REF bootgate reads it exactly like an
 *     oci-archive (@N picks the N-th entry of index.json), so the manifest
 *     and its digest are the ones Docker stored.
 *   - Otherwise (older Docker, podman, or a REF given: index.json carries no
 *     full image names), manifest.json — an array of {Config, RepoTags,
 *     Layers} — names the config file and the layer tars, and bootgate
 *     synthesises a manifest for the image.
 *
 * The synthesised manifest is these bytes, compact JSON without spaces or a
 * trailing newline, keys in this order:
 *
 *   {"schemaVersion":2,
 *    "mediaType":"application/vnd.docker.distribution.manifest.v2+json",
 *    "config":{"mediaType":"application/vnd.docker.container.image.v1+json",
 *              "size":<config bytes>,"digest":"sha256:<sha256 of the config file>"},
 *    "layers":[{"mediaType":<M>,"size":<layer bytes as stored>,"digest":<D>},...]}
 *
 * with, per layer (in manifest.json's order), M always
 * "application/vnd.docker.image.rootfs.diff.tar.gzip" — the label
 * containers/image gives every docker-archive layer whatever its
 * compression, kept so that the synthesised bytes (and so the digest) equal
 * `skopeo inspect --raw docker-archive:...` for the usual archive; a layer
 * reader must sniff the compression (it must anyway) — and D:
 *   - an uncompressed tar (what docker and podman save write): the config's
 *     rootfs.diff_ids[i] — the sha256 of an uncompressed layer tar is its
 *     diff_id, and the blob stream checks every byte against it when the
 *     layer is read (containers/image does the same);
 *   - a gzip tar: the sha256 of the bytes as stored (the blobs/sha256/<hex>
 *     name when the layer lives there, checked when read; otherwise hashed
 *     on open).  Here skopeo differs: it serves such a layer decompressed.
 * Other compressions (zstd, xz, bzip2) are refused on this path.
 *
 * Its digest is therefore NOT a registry digest: no registry ever served
 * these bytes, and pushing the image gives another manifest.  What
 * identifies the image here is the config digest; report both. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/digest.h"
#include "bootgate/limits.h"
#include "bootgate/manifest.h"
#include "bootgate/reference.h"
#include "bootgate/source.h"
#include "bootgate/strictjson.h"
#include "source_local.h"
#include "util.h"

#define DOCKER_MANIFEST_JSON_MAX (1 * BG_MiB) /* as containers/image */
#define MEDIA_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

typedef struct blob_entry {
	char *digest;
	const bg_tar_entry *entry;
} blob_entry;

typedef struct docker_archive {
	bg_tar_index *tar;
	char *where;            /* "docker-archive:FILE" */
	bool oci;               /* reading the embedded OCI layout */
	bg_oci_choice choice;   /* oci: the chosen index.json entry */
	char *manifest;         /* otherwise: the synthesised manifest */
	size_t manifest_len;
	blob_entry *blobs;      /* and the blobs it names */
	size_t n_blobs;
} docker_archive;

static void docker_archive_free(docker_archive *d)
{
	if (!d)
		return;
	bg_tar_index_free(d->tar);
	free(d->where);
	bg_oci_choice_free(&d->choice);
	free(d->manifest);
	for (size_t i = 0; i < d->n_blobs; i++)
		free(d->blobs[i].digest);
	free(d->blobs);
	free(d);
}

/* Top-level files (manifest.json, index.json, oci-layout, <hex>.json) and
 * small blobs stay in memory after the first pass. */
static bool dockerarchive_cache(const char *name, int64_t size)
{
	if (!strchr(name, '/'))
		return true;
	return bg_str_has_prefix(name, "blobs/") && size <= 256 * 1024;
}

static int add_blob(docker_archive *d, const char *digest, const bg_tar_entry *e, bg_error *err)
{
	for (size_t i = 0; i < d->n_blobs; i++)
		if (strcmp(d->blobs[i].digest, digest) == 0)
			return 0; /* a layer repeated: same bytes, same entry is fine */
	blob_entry *nb = realloc(d->blobs, (d->n_blobs + 1) * sizeof *nb);
	if (!nb)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	d->blobs = nb;
	if (!(nb[d->n_blobs].digest = bg_strdup(digest)))
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	nb[d->n_blobs].entry = e;
	d->n_blobs++;
	return 0;
}

/* The entry a path in manifest.json names, links followed once. */
static int lookup_path(docker_archive *d, const char *path, const char *what,
		       const bg_tar_entry **out, bg_error *err)
{
	_cleanup_free_ char *ctx = NULL;
	if (asprintf(&ctx, "%s: manifest.json %s", d->where, what) < 0) {
		ctx = NULL;
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	_cleanup_free_ char *norm = bg_tar_normalise(path, ctx, err);
	if (!norm)
		return err ? err->status : BG_E_EVAL;
	const bg_tar_entry *e = bg_tar_index_find(d->tar, norm);
	if (!e)
		return bg_error_set(err, BG_E_EVAL, "%s: manifest.json names %s \"%.200s\", which is not in the archive",
				    d->where, what, path);
	return bg_tar_index_resolve(d->tar, e, out, err);
}

/* sha256 of an entry's bytes as stored. */
static int hash_entry(docker_archive *d, const bg_tar_entry *e, char out[BG_DIGEST_STRING_MAX],
		      bg_error *err)
{
	void *h = NULL;
	int rc = bg_tar_entry_open(d->tar, e, &h, err);
	if (rc < 0)
		return rc;
	bg_digest_ctx ctx = {0};
	rc = bg_digest_init(&ctx, BG_DIGEST_SHA256, err);
	char *buf = malloc(64 * 1024);
	if (rc == 0 && !buf)
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
	while (rc == 0) {
		ssize_t n = bg_tar_entry_read(h, buf, 64 * 1024, err);
		if (n < 0)
			rc = (int)n;
		else if (n == 0)
			break;
		else if (bg_digest_update(&ctx, buf, (size_t)n) < 0)
			rc = bg_error_set(err, BG_E_EVAL, "hashing %s failed", e->name);
	}
	free(buf);
	bg_tar_entry_close(h);
	if (rc < 0) {
		bg_digest_reset(&ctx);
		return rc;
	}
	return bg_digest_final(&ctx, out, err);
}

/* "sha256:<hex>" when the entry is blobs/sha256/<hex>, else "". */
static void digest_from_blob_name(const char *name, char out[BG_DIGEST_STRING_MAX])
{
	out[0] = '\0';
	if (!bg_str_has_prefix(name, "blobs/sha256/"))
		return;
	char cand[BG_DIGEST_STRING_MAX];
	if (snprintf(cand, sizeof cand, "sha256:%s", name + strlen("blobs/sha256/")) < (int)sizeof cand &&
	    bg_digest_valid(cand))
		memcpy(out, cand, sizeof cand);
}

/* "a:b", "c:d" — the tags manifest.json offers, for error messages. */
static char *list_repo_tags(json_object *arr)
{
	bg_strbuf b = {0};
	size_t shown = 0;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *tags = NULL;
		json_object *img = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(img, json_type_object) ||
		    !json_object_object_get_ex(img, "RepoTags", &tags) ||
		    !json_object_is_type(tags, json_type_array))
			continue;
		for (size_t k = 0; k < json_object_array_length(tags) && shown < 20; k++) {
			json_object *t = json_object_array_get_idx(tags, k);
			if (!json_object_is_type(t, json_type_string))
				continue;
			bg_strbuf_printf(&b, "%s\"%.100s\" (@%zu)", shown ? ", " : "",
					 json_object_get_string(t), i);
			shown++;
		}
	}
	if (!shown)
		bg_strbuf_puts(&b, "none (the images are untagged; use @N)");
	return bg_strbuf_take(&b);
}

static int choose_image(docker_archive *d, json_object *arr, const bg_image_ref *ref,
			json_object **out, bg_error *err)
{
	size_t n = json_object_array_length(arr);
	*out = NULL;
	if (ref->source_index >= 0) {
		if ((size_t)ref->source_index >= n)
			return bg_error_set(err, BG_E_EVAL, "%s: no image @%d: manifest.json lists %zu",
					    d->where, ref->source_index, n);
		*out = json_object_array_get_idx(arr, (size_t)ref->source_index);
		return 0;
	}
	if (ref->has_reference) {
		for (size_t i = 0; i < n && !*out; i++) {
			json_object *tags = NULL;
			json_object *img = json_object_array_get_idx(arr, i);
			if (!json_object_is_type(img, json_type_object) ||
			    !json_object_object_get_ex(img, "RepoTags", &tags) ||
			    !json_object_is_type(tags, json_type_array))
				continue;
			for (size_t k = 0; k < json_object_array_length(tags) && !*out; k++) {
				json_object *t = json_object_array_get_idx(tags, k);
				bg_reference r = {0};
				bg_error rerr = {0};
				if (!json_object_is_type(t, json_type_string) ||
				    bg_reference_parse(json_object_get_string(t), &r, &rerr) < 0)
					continue;
				if (strcmp(r.full, ref->reference.full) == 0)
					*out = img;
				bg_reference_free(&r);
			}
		}
		if (*out)
			return 0;
		_cleanup_free_ char *tags = list_repo_tags(arr);
		return bg_error_set(err, BG_E_EVAL, "%s: no image tagged %s; tags in manifest.json: %s",
				    d->where, ref->reference.full, tags ? tags : "?");
	}
	if (n == 1) {
		*out = json_object_array_get_idx(arr, 0);
		return 0;
	}
	if (n == 0)
		return bg_error_set(err, BG_E_EVAL, "%s: manifest.json lists no image", d->where);
	_cleanup_free_ char *tags = list_repo_tags(arr);
	return bg_error_set(err, BG_E_EVAL,
			    "%s: manifest.json lists %zu images; choose one with %s:NAME:TAG or %s:@N; tags: %s",
			    d->where, n, d->where, d->where, tags ? tags : "?");
}

/* The manifest.json path: pick the image, hash its config, work out each
 * layer's digest and media type, and write the manifest (see the top). */
static int synthesise(docker_archive *d, const bg_tar_entry *mj, const bg_image_ref *ref,
		      bg_error *err)
{
	_cleanup_free_ char *text = NULL, *config = NULL, *what = NULL;
	size_t text_len = 0, config_len = 0;
	if (mj->size > (int64_t)DOCKER_MANIFEST_JSON_MAX)
		return bg_error_set(err, BG_E_EVAL, "%s: manifest.json is larger than the %lu-byte limit",
				    d->where, DOCKER_MANIFEST_JSON_MAX);
	int rc = bg_tar_index_resolve(d->tar, mj, &mj, err);
	if (rc == 0)
		rc = bg_tar_entry_read_all(d->tar, mj, DOCKER_MANIFEST_JSON_MAX, &text, &text_len, err);
	if (rc < 0)
		return rc;
	if (asprintf(&what, "%s: manifest.json", d->where) < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	json_object *arr = NULL;
	rc = bg_json_parse_strict(text, text_len, what, &arr, err);
	if (rc < 0)
		return rc;
	if (!json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return bg_error_set(err, BG_E_EVAL, "%s is not a JSON array", what);
	}

	json_object *img = NULL, *layers = NULL;
	const char *config_path = NULL;
	rc = choose_image(d, arr, ref, &img, err);
	if (rc == 0)
		rc = bg_json_get_string(img, "Config", true, what, &config_path, err);
	if (rc == 0)
		rc = bg_json_member(img, "Layers", json_type_array, true, what, &layers, err);
	const bg_tar_entry *ce = NULL;
	if (rc == 0)
		rc = lookup_path(d, config_path, "config", &ce, err);
	if (rc == 0)
		rc = bg_tar_entry_read_all(d->tar, ce, BG_MAX_CONFIG_BYTES, &config, &config_len, err);
	char config_digest[BG_DIGEST_STRING_MAX];
	if (rc == 0)
		rc = bg_digest_buffer(BG_DIGEST_SHA256, config, config_len, config_digest, err);
	bg_image_config *cfg = NULL;
	if (rc == 0)
		rc = bg_image_config_parse(config, config_len, config_path, &cfg, err);
	size_t n_layers = layers ? json_object_array_length(layers) : 0;
	if (rc == 0 && cfg->n_diff_ids != n_layers)
		rc = bg_error_set(err, BG_E_EVAL,
				  "%s: manifest.json lists %zu layers but the config %s has %zu diff_ids",
				  d->where, n_layers, config_digest, cfg->n_diff_ids);
	if (rc == 0)
		rc = add_blob(d, config_digest, ce, err);

	bg_strbuf m = {0};
	bg_strbuf_printf(&m,
			 "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
			 "\"size\":%zu,\"digest\":\"%s\"},\"layers\":[",
			 BG_MEDIA_DOCKER_MANIFEST, BG_MEDIA_DOCKER_CONFIG, config_len,
			 rc == 0 ? config_digest : "");
	for (size_t i = 0; rc == 0 && i < n_layers; i++) {
		json_object *lp = json_object_array_get_idx(layers, i);
		if (!json_object_is_type(lp, json_type_string)) {
			rc = bg_error_set(err, BG_E_EVAL, "%s: Layers[%zu] is not a string", what, i);
			break;
		}
		const bg_tar_entry *le = NULL;
		rc = lookup_path(d, json_object_get_string(lp), "layer", &le, err);
		if (rc < 0)
			break;
		char named[BG_DIGEST_STRING_MAX], digest[BG_DIGEST_STRING_MAX];
		digest_from_blob_name(le->name, named);
		const char *media = NULL;
		const unsigned char *mg = le->magic;
		if (le->magic_len >= 2 && mg[0] == 0x1f && mg[1] == 0x8b) {
			media = MEDIA_DOCKER_LAYER_GZIP;
			if (named[0])
				memcpy(digest, named, sizeof digest); /* checked when read */
			else
				rc = hash_entry(d, le, digest, err);
		} else if ((le->magic_len >= 4 && memcmp(mg, "\x28\xb5\x2f\xfd", 4) == 0) ||
			   (le->magic_len >= 4 && memcmp(mg, "\xfd" "7zX", 4) == 0) ||
			   (le->magic_len >= 3 && memcmp(mg, "BZh", 3) == 0)) {
			rc = bg_error_set(err, BG_E_EVAL,
					  "%s: layer %s is zstd/xz/bzip2-compressed, which a docker-archive "
					  "manifest cannot describe; if the archive also holds an OCI layout "
					  "(Docker >= 25), name the image by @N instead of a tag",
					  d->where, le->name);
		} else {
			media = MEDIA_DOCKER_LAYER_GZIP; /* sic: containers/image's label */
			snprintf(digest, sizeof digest, "%s", cfg->diff_ids[i]);
			if (named[0] && !bg_digest_equal(named, digest))
				rc = bg_error_set(err, BG_E_EVAL,
						  "%s: uncompressed layer %s does not match the config's "
						  "diff_id %s",
						  d->where, le->name, digest);
		}
		if (rc == 0)
			rc = add_blob(d, digest, le, err);
		if (rc == 0)
			bg_strbuf_printf(&m, "%s{\"mediaType\":\"%s\",\"size\":%lld,\"digest\":\"%s\"}",
					 i ? "," : "", media, (long long)le->size, digest);
	}
	bg_strbuf_puts(&m, "]}");
	bg_image_config_free(cfg);
	json_object_put(arr);
	if (rc == 0 && m.oom)
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (rc < 0) {
		bg_strbuf_free(&m);
		return rc;
	}
	d->manifest_len = m.len;
	d->manifest = bg_strbuf_take(&m);
	return 0;
}

static int dockerarchive_get_manifest(bg_source *s, const char *digest, bg_manifest_bytes *out,
				      bg_error *err)
{
	docker_archive *d = s->impl;
	if (d->oci) {
		const char *want = digest ? digest : d->choice.digest;
		_cleanup_free_ char *rel = bg_oci_blob_path(want, d->where, err);
		_cleanup_free_ char *location = NULL;
		if (!rel)
			return err ? err->status : BG_E_EVAL;
		if (asprintf(&location, "%s/%s", d->where, rel) < 0)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		if (digest)
			return bg_source_read_manifest_blob(s, digest, -1, NULL, location, out, err);
		return bg_source_read_manifest_blob(s, d->choice.digest, d->choice.size,
						    d->choice.media_type, location, out, err);
	}
	if (digest)
		return bg_error_set(err, BG_E_EVAL, "%s: has no manifest %s (its manifest is synthesised)",
				    d->where, digest);
	out->data = malloc(d->manifest_len + 1);
	out->content_type = bg_strdup(BG_MEDIA_DOCKER_MANIFEST);
	if (asprintf(&out->location, "%s (manifest synthesised from manifest.json)", d->where) < 0)
		out->location = NULL;
	if (!out->data || !out->content_type || !out->location) {
		bg_manifest_bytes_free(out);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	memcpy(out->data, d->manifest, d->manifest_len + 1);
	out->len = d->manifest_len;
	return 0;
}

static int dockerarchive_open_blob(bg_source *s, const bg_descriptor *desc, void **handle,
				   bg_error *err)
{
	docker_archive *d = s->impl;
	const bg_tar_entry *e = NULL;
	if (d->oci) {
		_cleanup_free_ char *rel = bg_oci_blob_path(desc->digest, d->where, err);
		if (!rel)
			return err ? err->status : BG_E_EVAL;
		e = bg_tar_index_find(d->tar, rel);
		if (!e)
			return bg_error_set(err, BG_E_EVAL, "%s: blob %s (%s) is not in the archive",
					    d->where, desc->digest, rel);
		int rc = bg_tar_index_resolve(d->tar, e, &e, err);
		if (rc < 0)
			return rc;
	} else {
		for (size_t i = 0; i < d->n_blobs && !e; i++)
			if (bg_digest_equal(d->blobs[i].digest, desc->digest))
				e = d->blobs[i].entry;
		if (!e)
			return bg_error_set(err, BG_E_EVAL, "%s: no blob %s in the image", d->where,
					    desc->digest);
	}
	return bg_tar_entry_open(d->tar, e, handle, err);
}

static void dockerarchive_close(bg_source *s)
{
	docker_archive_free(s->impl);
	s->impl = NULL;
}

static const bg_source_ops dockerarchive_ops = {
	.name = "docker-archive",
	.get_manifest = dockerarchive_get_manifest,
	.open_blob = dockerarchive_open_blob,
	.read_blob = bg_tar_entry_read,
	.close_blob = bg_tar_entry_close,
	.close = dockerarchive_close,
};

int bg_source_dockerarchive_open(const bg_image_ref *ref, const bg_source_options *opts,
				 bg_source **out, bg_error *err)
{
	*out = NULL;
	if (!ref->path)
		return bg_error_set(err, BG_E_USAGE, "docker-archive: no archive file given");
	docker_archive *d = calloc(1, sizeof *d);
	if (!d)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (asprintf(&d->where, "docker-archive:%s", ref->path) < 0) {
		d->where = NULL;
		docker_archive_free(d);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	int rc = bg_tar_index_open(ref->path, d->where, dockerarchive_cache, BG_MAX_MANIFEST_BYTES,
				   &d->tar, err);
	if (rc == 0) {
		const bg_tar_entry *layout = bg_tar_index_find(d->tar, "oci-layout");
		const bg_tar_entry *index = bg_tar_index_find(d->tar, "index.json");
		const bg_tar_entry *mj = bg_tar_index_find(d->tar, "manifest.json");
		if (layout && index && !ref->has_reference) {
			/* Docker ≥ 25: prefer the OCI layout it wrote. */
			_cleanup_free_ char *ldata = NULL, *idata = NULL;
			size_t llen = 0, ilen = 0;
			d->oci = true;
			rc = bg_tar_index_resolve(d->tar, layout, &layout, err);
			if (rc == 0)
				rc = bg_tar_entry_read_all(d->tar, layout, 64 * 1024, &ldata, &llen, err);
			if (rc == 0)
				rc = bg_oci_check_layout_file(ldata, llen, d->where, err);
			if (rc == 0)
				rc = bg_tar_index_resolve(d->tar, index, &index, err);
			if (rc == 0)
				rc = bg_tar_entry_read_all(d->tar, index, BG_MAX_MANIFEST_BYTES, &idata, &ilen,
							   err);
			if (rc == 0)
				rc = bg_oci_choose(idata, ilen, NULL, ref->source_index, d->where, &d->choice,
						   err);
		} else if (mj) {
			rc = synthesise(d, mj, ref, err);
		} else {
			rc = bg_error_set(err, BG_E_EVAL, "%s: not a docker-archive: manifest.json is missing%s",
					  d->where, layout ? " (it has an oci-layout: try oci-archive:)" : "");
		}
	}
	if (rc < 0) {
		docker_archive_free(d);
		return rc;
	}
	bg_source *s = bg_source_new(&dockerarchive_ops, d);
	if (!s) {
		docker_archive_free(d);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	*out = s;
	return 0;
}
