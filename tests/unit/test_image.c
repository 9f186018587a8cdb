/* Unit tests for bg_image_resolve (image.h): the verified manifest chain.
 *
 * Two kinds of source feed it: real local transports over generated
 * fixtures (imgfixture.h) — an index with platform selection, nested
 * indexes, oci-archive and docker-archive — and an in-memory source whose
 * every answer the test controls, to show that resolve itself (not only the
 * transport) checks pinned digests, index entry sizes and digests, foreign
 * layers, config limits and the diff_ids count. */
#include "tap.h"

#include "bootgate/digest.h"
#include "bootgate/image.h"
#include "bootgate/limits.h"
#include "bootgate/manifest.h"
#include "bootgate/source.h"
#include "imgfixture.h"

static char *root;
static int case_no;
static bg_error err;

static bg_platform plat(const char *arch)
{
	bg_platform p = {.os = (char *)"linux", .architecture = (char *)arch, .variant = NULL};
	return p;
}

static int resolve_image(const char *image, const bg_platform *p, bg_image **out)
{
	bg_source *s = NULL;
	*out = NULL;
	bg_error_clear(&err);
	int rc = bg_source_open(image, NULL, &s, &err);
	if (rc == 0)
		rc = bg_image_resolve(s, p, out, &err);
	bg_source_close(s);
	return rc;
}

static char *write_dir(const fx *f, const char *what)
{
	char *path = fx_printf("%s/%d-%s", root, ++case_no, what);
	mkdir(path, 0755);
	fx_write_dir(f, path);
	char *image = fx_printf("oci:%s", path);
	free(path);
	return image;
}

static char *write_tar(const fx *f, const char *transport, const char *what)
{
	char *path = fx_printf("%s/%d-%s.tar", root, ++case_no, what);
	fx_write_tar(f, path, "", false);
	char *image = fx_printf("%s:%s", transport, path);
	free(path);
	return image;
}

static void test_single(void)
{
	fx f = {0};
	fx_img img;
	fx_layout_file(&f);
	fx_image(&f, "amd64", "layer", false, &img);
	fx_entry e = {BG_MEDIA_OCI_MANIFEST, img.manifest_digest, img.manifest_size, NULL, NULL};
	fx_index(&f, &e, 1);
	char *image = write_dir(&f, "single");
	bg_image *im = NULL;
	int rc = resolve_image(image, NULL, &im);
	if (!ok(rc == 0 && im, "a single-manifest layout resolves"))
		tap_diag("%s", err.message);
	if (im) {
		ok(im->index_digest == NULL && im->index_data == NULL, "no index digest for a single manifest");
		is_str(im->manifest_digest, img.manifest_digest, "the manifest digest is the sha256 of its bytes");
		is_str(im->manifest_media_type, BG_MEDIA_OCI_MANIFEST, "the manifest media type");
		ok(im->manifest_len == img.manifest_size &&
			   memcmp(im->manifest_data, img.manifest, im->manifest_len) == 0,
		   "the verified manifest bytes are kept for --raw");
		is_str(im->config_digest, img.config_digest, "the config digest");
		is_str(im->config->platform.architecture, "amd64", "the config is parsed");
		is_str(bg_image_config_label(im->config, "containers.bootc"), "1", "labels are available");
		is_int(im->manifest->n_layers, 1, "the parsed manifest has its layer");
	}
	bg_image_free(im);
	free(image);
	fx_img_free(&img);
	fx_free(&f);
}

/* index.json → an index blob with amd64 and arm64 manifests. */
static void make_multi(fx *f, fx_img *amd, fx_img *arm, char index_digest[BG_DIGEST_STRING_MAX],
		       char **index_text)
{
	fx_layout_file(f);
	fx_image(f, "amd64", "amd64 layer", false, amd);
	fx_image(f, "arm64", "arm64 layer", false, arm);
	fx_entry plats[] = {
		{BG_MEDIA_OCI_MANIFEST, amd->manifest_digest, amd->manifest_size, NULL, "amd64"},
		{BG_MEDIA_OCI_MANIFEST, arm->manifest_digest, arm->manifest_size, NULL, "arm64"},
	};
	*index_text = fx_index_json(plats, 2);
	fx_blob(f, *index_text, strlen(*index_text), index_digest);
	fx_entry top = {BG_MEDIA_OCI_INDEX, index_digest, strlen(*index_text), "multi", NULL};
	fx_index(f, &top, 1);
}

static void check_multi(const char *image, const char *what)
{
	/* Rebuild the same fixture to know the digests (deterministic). */
	fx f = {0};
	fx_img amd, arm;
	char index_digest[BG_DIGEST_STRING_MAX];
	char *index_text;
	make_multi(&f, &amd, &arm, index_digest, &index_text);

	bg_platform want = plat("arm64");
	bg_image *im = NULL;
	int rc = resolve_image(image, &want, &im);
	if (!ok(rc == 0 && im, "%s: an index resolves for linux/arm64", what))
		tap_diag("%s", err.message);
	if (im) {
		is_str(im->index_digest, index_digest, "%s: the index digest is kept", what);
		is_str(im->index_media_type, BG_MEDIA_OCI_INDEX, "%s: with its media type", what);
		ok(im->index_len == strlen(index_text) && memcmp(im->index_data, index_text, im->index_len) == 0,
		   "%s: and its verified bytes", what);
		is_str(im->manifest_digest, arm.manifest_digest, "%s: the arm64 manifest is selected", what);
		is_str(im->config->platform.architecture, "arm64", "%s: its config is arm64's", what);
		is_str(im->config_digest, arm.config_digest, "%s: the config digest is arm64's", what);
	}
	bg_image_free(im);

	/* No platform given: the host's. */
	bg_platform host = {0};
	if (bg_platform_host(&host, &err) == 0 &&
	    (strcmp(host.architecture, "amd64") == 0 || strcmp(host.architecture, "arm64") == 0)) {
		rc = resolve_image(image, NULL, &im);
		const char *expect = strcmp(host.architecture, "amd64") == 0 ? amd.manifest_digest
										: arm.manifest_digest;
		ok(rc == 0 && im && strcmp(im->manifest_digest, expect) == 0,
		   "%s: without --platform the host's platform (%s) is selected", what, host.architecture);
		bg_image_free(im);
	}
	bg_platform_free(&host);

	want = plat("s390x");
	rc = resolve_image(image, &want, &im);
	ok(rc == BG_E_EVAL && !im && strstr(err.message, "arm64"),
	   "%s: a platform the index lacks is an error listing what it offers", what);
	tap_diag("message: %s", err.message);

	free(index_text);
	fx_img_free(&amd);
	fx_img_free(&arm);
	fx_free(&f);
}

static void test_multi(void)
{
	fx f = {0};
	fx_img amd, arm;
	char index_digest[BG_DIGEST_STRING_MAX];
	char *index_text;
	make_multi(&f, &amd, &arm, index_digest, &index_text);

	char *image = write_dir(&f, "multi");
	check_multi(image, "oci");
	free(image);
	image = write_tar(&f, "oci-archive", "multi");
	check_multi(image, "oci-archive");
	free(image);

	/* The arm64 manifest tampered inside the layout. */
	char *path = fx_printf("blobs/sha256/%s", arm.manifest_digest + 7);
	char *bad = strdup(arm.manifest);
	bad[0] = ' ';
	fx_add_str(&f, path, bad);
	image = write_dir(&f, "multi-bad");
	bg_platform want = plat("arm64");
	bg_image *im = NULL;
	int rc = resolve_image(image, &want, &im);
	ok(rc == BG_E_EVAL && !im && strstr(err.message, arm.manifest_digest),
	   "a tampered platform manifest is refused, naming its digest");
	tap_diag("message: %s", err.message);
	free(image);
	free(bad);
	free(path);

	free(index_text);
	fx_img_free(&amd);
	fx_img_free(&arm);
	fx_free(&f);
}

/* index.json → index → index → ... → manifest, `levels` indexes below index.json. */
static int resolve_nested(int levels, char *manifest_digest, char *top_digest)
{
	fx f = {0};
	fx_img img;
	fx_layout_file(&f);
	fx_image(&f, "amd64", "layer", false, &img);
	snprintf(manifest_digest, BG_DIGEST_STRING_MAX, "%s", img.manifest_digest);
	char digest[BG_DIGEST_STRING_MAX];
	snprintf(digest, sizeof digest, "%s", img.manifest_digest);
	size_t size = img.manifest_size;
	const char *media = BG_MEDIA_OCI_MANIFEST;
	for (int i = 0; i < levels; i++) {
		fx_entry e = {media, digest, size, NULL, "amd64"};
		char *text = fx_index_json(&e, 1);
		size = strlen(text);
		fx_blob(&f, text, size, digest);
		free(text);
		media = BG_MEDIA_OCI_INDEX;
	}
	snprintf(top_digest, BG_DIGEST_STRING_MAX, "%s", digest);
	fx_entry top = {media, digest, size, NULL, NULL};
	fx_index(&f, &top, 1);
	char *image = write_dir(&f, "nested");
	bg_platform want = plat("amd64");
	bg_image *im = NULL;
	int rc = resolve_image(image, &want, &im);
	if (rc == 0 && strcmp(im->manifest_digest, manifest_digest) != 0)
		rc = -100;
	if (rc == 0 && levels > 0 && strcmp(im->index_digest, top_digest) != 0)
		rc = -101;
	bg_image_free(im);
	free(image);
	fx_img_free(&img);
	fx_free(&f);
	return rc;
}

static void test_nested(void)
{
	char m[BG_DIGEST_STRING_MAX], t[BG_DIGEST_STRING_MAX];
	is_int(resolve_nested(2, m, t), 0, "an index inside an index is followed; the outer digest is kept");
	is_int(resolve_nested(4, m, t), 0, "four nested indexes are followed");
	int rc = resolve_nested(5, m, t);
	ok(rc == BG_E_EVAL && strstr(err.message, "nested"), "five nested indexes are refused");
	tap_diag("message: %s", err.message);
}

static void test_docker_archive(void)
{
	fx f = {0};
	const char *layer = "a plain layer";
	char layer_digest[BG_DIGEST_STRING_MAX], config_digest[BG_DIGEST_STRING_MAX];
	fx_digest(layer, strlen(layer), layer_digest);
	char *config = fx_printf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":"
				 "{\"ostree.bootable\":\"true\"}},\"rootfs\":{\"type\":\"layers\","
				 "\"diff_ids\":[\"%s\"]}}",
				 layer_digest);
	fx_digest(config, strlen(config), config_digest);
	char *cname = fx_printf("%s.json", config_digest + 7);
	fx_add_str(&f, cname, config);
	fx_add_str(&f, "l1/layer.tar", layer);
	char *mj = fx_printf("[{\"Config\":\"%s\",\"RepoTags\":[\"localhost/x:1\"],\"Layers\":[\"l1/layer.tar\"]}]",
			     cname);
	fx_add_str(&f, "manifest.json", mj);
	char *image = write_tar(&f, "docker-archive", "docker");
	bg_image *im = NULL;
	int rc = resolve_image(image, NULL, &im);
	if (!ok(rc == 0 && im, "a docker-archive resolves"))
		tap_diag("%s", err.message);
	if (im) {
		char want[BG_DIGEST_STRING_MAX];
		fx_digest(im->manifest_data, im->manifest_len, want);
		is_str(im->manifest_digest, want, "its manifest digest is that of the synthesised bytes");
		is_str(im->config_digest, config_digest, "its config digest identifies the image");
		is_str(bg_image_config_label(im->config, "ostree.bootable"), "true", "its labels are read");
		is_str(im->manifest_media_type, BG_MEDIA_DOCKER_MANIFEST, "it is a Docker schema2 manifest");
	}
	bg_image_free(im);
	free(image);
	free(mj);
	free(cname);
	free(config);
	fx_free(&f);
}

/* ---- An in-memory source the test controls ---- */

typedef struct mem_item {
	const char *key;   /* digest it is served under ("" for the top manifest) */
	const char *data;
	const char *content_type;
} mem_item;

typedef struct mem_source {
	mem_item items[8];
	size_t n;
} mem_source;

typedef struct mem_blob {
	const char *data;
	size_t len, pos;
} mem_blob;

static const mem_item *mem_find(bg_source *s, const char *key)
{
	mem_source *m = s->impl;
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->items[i].key, key) == 0)
			return &m->items[i];
	return NULL;
}

static int mem_get_manifest(bg_source *s, const char *digest, bg_manifest_bytes *out, bg_error *e)
{
	const mem_item *it = mem_find(s, digest ? digest : "");
	if (!it)
		return bg_error_set(e, BG_E_EVAL, "mem: no manifest %s", digest ? digest : "(top)");
	out->data = strdup(it->data);
	out->len = strlen(it->data);
	out->content_type = it->content_type ? strdup(it->content_type) : NULL;
	out->location = strdup("mem://test");
	return 0;
}

static int mem_open_blob(bg_source *s, const bg_descriptor *d, void **handle, bg_error *e)
{
	const mem_item *it = mem_find(s, d->digest);
	if (!it)
		return bg_error_set(e, BG_E_EVAL, "mem: no blob %s", d->digest);
	mem_blob *b = calloc(1, sizeof *b);
	b->data = it->data;
	b->len = strlen(it->data);
	*handle = b;
	return 0;
}

static ssize_t mem_read_blob(void *handle, void *buf, size_t len, bg_error *e)
{
	mem_blob *b = handle;
	size_t n = b->len - b->pos < len ? b->len - b->pos : len;
	memcpy(buf, b->data + b->pos, n);
	b->pos += n;
	return (ssize_t)n;
}

static void mem_close_blob(void *handle)
{
	free(handle);
}

static void mem_close(bg_source *s)
{
	free(s->impl);
}

static const bg_source_ops mem_ops = {
	.name = "mem",
	.get_manifest = mem_get_manifest,
	.open_blob = mem_open_blob,
	.read_blob = mem_read_blob,
	.close_blob = mem_close_blob,
	.close = mem_close,
};

static bg_source *mem_new(const char *ref)
{
	bg_source *s = calloc(1, sizeof *s);
	s->ops = &mem_ops;
	s->impl = calloc(1, sizeof(mem_source));
	if (bg_image_ref_parse(ref, &s->ref, &err) < 0)
		abort();
	return s;
}

static void mem_add(bg_source *s, const char *key, const char *data, const char *ct)
{
	mem_source *m = s->impl;
	m->items[m->n++] = (mem_item){key, data, ct};
}

/* A manifest (text returned) whose config and layer are as given. */
static char *mem_manifest(const char *config_digest, size_t config_size, const char *layer_digest,
			  const char *extra_layer_fields)
{
	return fx_printf("{\"schemaVersion\":2,\"mediaType\":\"" BG_MEDIA_OCI_MANIFEST "\","
			 "\"config\":{\"mediaType\":\"" BG_MEDIA_OCI_CONFIG "\",\"digest\":\"%s\",\"size\":%zu},"
			 "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
			 "\"digest\":\"%s\",\"size\":10%s}]}",
			 config_digest, config_size, layer_digest, extra_layer_fields);
}

#define LAYER_DIGEST "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define OTHER_DIGEST "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static int mem_resolve(bg_source *s, bg_image **im)
{
	bg_platform want = plat("amd64");
	bg_error_clear(&err);
	int rc = bg_image_resolve(s, &want, im, &err);
	bg_source_close(s);
	return rc;
}

static void test_mem(void)
{
	char cfg_digest[BG_DIGEST_STRING_MAX], man_digest[BG_DIGEST_STRING_MAX];
	char *cfg = fx_printf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
			      "\"layers\",\"diff_ids\":[\"%s\"]}}",
			      LAYER_DIGEST);
	fx_digest(cfg, strlen(cfg), cfg_digest);
	char *man = mem_manifest(cfg_digest, strlen(cfg), LAYER_DIGEST, "");
	fx_digest(man, strlen(man), man_digest);
	bg_image *im = NULL;

	/* By digest: the served bytes must hash to it. */
	char *pinned = fx_printf("docker://example.com/app@%s", man_digest);
	bg_source *s = mem_new(pinned);
	mem_add(s, "", man, NULL);
	mem_add(s, cfg_digest, cfg, NULL);
	int rc = mem_resolve(s, &im);
	ok(rc == 0 && im && strcmp(im->manifest_digest, man_digest) == 0,
	   "a by-digest reference resolves when the bytes match");
	bg_image_free(im);
	free(pinned);

	s = mem_new("docker://example.com/app@" OTHER_DIGEST);
	mem_add(s, "", man, NULL);
	mem_add(s, cfg_digest, cfg, NULL);
	rc = mem_resolve(s, &im);
	ok(rc == BG_E_EVAL && !im && strstr(err.message, "digest mismatch") &&
		   strstr(err.message, OTHER_DIGEST) && strstr(err.message, man_digest),
	   "a by-digest reference is refused when the bytes hash to something else, naming both");
	tap_diag("message: %s", err.message);

	/* An index entry with the wrong size, and one whose bytes differ. */
	for (int variant = 0; variant < 2; variant++) {
		size_t size = strlen(man) + (variant == 0 ? 1 : 0);
		const char *named = variant == 0 ? man_digest : OTHER_DIGEST;
		fx_entry e = {BG_MEDIA_OCI_MANIFEST, named, size, NULL, "amd64"};
		char *idx = fx_index_json(&e, 1);
		s = mem_new("docker://example.com/app:1");
		mem_add(s, "", idx, BG_MEDIA_OCI_INDEX);
		mem_add(s, named, man, NULL);
		mem_add(s, cfg_digest, cfg, NULL);
		rc = mem_resolve(s, &im);
		ok(rc == BG_E_EVAL && !im &&
			   strstr(err.message, variant == 0 ? "the index says" : "digest mismatch"),
		   "a platform manifest %s is refused",
		   variant == 0 ? "whose size differs from the index entry" : "whose bytes do not hash to the index entry");
		tap_diag("message: %s", err.message);
		free(idx);
	}

	/* Foreign layers. */
	char *foreign = mem_manifest(cfg_digest, strlen(cfg), LAYER_DIGEST,
				     ",\"urls\":[\"https://example.com/layer\"]");
	s = mem_new("docker://example.com/app:1");
	mem_add(s, "", foreign, NULL);
	mem_add(s, cfg_digest, cfg, NULL);
	rc = mem_resolve(s, &im);
	ok(rc == BG_E_EVAL && strstr(err.message, "foreign"), "a foreign layer (urls) is refused");
	free(foreign);

	/* The config: tampered, too large, wrong diff_ids count. */
	s = mem_new("docker://example.com/app:1");
	mem_add(s, "", man, NULL);
	char *tampered = strdup(cfg);
	tampered[1] = 'A';
	mem_add(s, cfg_digest, tampered, NULL);
	rc = mem_resolve(s, &im);
	ok(rc == BG_E_EVAL && strstr(err.message, "digest mismatch") && strstr(err.message, cfg_digest),
	   "a tampered config is refused");
	free(tampered);

	char *big = mem_manifest(cfg_digest, (size_t)BG_MAX_CONFIG_BYTES + 1, LAYER_DIGEST, "");
	s = mem_new("docker://example.com/app:1");
	mem_add(s, "", big, NULL);
	mem_add(s, cfg_digest, cfg, NULL);
	rc = mem_resolve(s, &im);
	ok(rc == BG_E_EVAL && strstr(err.message, "limit"), "a config over 4 MiB is refused before reading");
	free(big);

	char *cfg2 = fx_printf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
			       "\"layers\",\"diff_ids\":[\"%s\",\"%s\"]}}",
			       LAYER_DIGEST, OTHER_DIGEST);
	char cfg2_digest[BG_DIGEST_STRING_MAX];
	fx_digest(cfg2, strlen(cfg2), cfg2_digest);
	char *man2 = mem_manifest(cfg2_digest, strlen(cfg2), LAYER_DIGEST, "");
	s = mem_new("docker://example.com/app:1");
	mem_add(s, "", man2, NULL);
	mem_add(s, cfg2_digest, cfg2, NULL);
	rc = mem_resolve(s, &im);
	ok(rc == BG_E_EVAL && strstr(err.message, "diff_ids"),
	   "a config whose diff_ids count differs from the layers is refused");
	tap_diag("message: %s", err.message);
	free(man2);
	free(cfg2);

	/* Schema 1 is refused by the parser, through resolve. */
	s = mem_new("docker://example.com/app:1");
	mem_add(s, "", "{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"1\",\"fsLayers\":[]}", NULL);
	rc = mem_resolve(s, &im);
	ok(rc == BG_E_EVAL && strstr(err.message, "schema1"), "a schema1 manifest is refused");

	free(man);
	free(cfg);
}

int main(void)
{
	root = fx_tmpdir();
	test_single();
	test_multi();
	test_nested();
	test_docker_archive();
	test_mem();
	fx_rm_rf(root);
	free(root);
	return tap_done();
}
