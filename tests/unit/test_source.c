/* Unit tests for the source interface and the local transports (source.h):
 * oci: layout directories, oci-archive: tars of them, docker-archive:
 * `docker save` tars (classic and Docker ≥ 25 with an OCI layout inside).
 * Every fixture is generated here (imgfixture.h) in a temporary directory.
 *
 * What a user relies on: the right image is chosen (by name, by @N, or as
 * the only one, with a clear error otherwise), and no byte of a blob reaches
 * them unless it matches the descriptor — a wrong digest, a short or long
 * blob, or a digest that tries to leave the layout is an error (BG_E_EVAL,
 * exit 3). */
#include "tap.h"

#include "bootgate/digest.h"
#include "bootgate/limits.h"
#include "bootgate/manifest.h"
#include "bootgate/source.h"
#include "imgfixture.h"

static char *root;
static int case_no;
static bg_error err;

typedef enum { T_DIR, T_ARCHIVE } transport_kind;

/* Writes the fixture as a layout directory or an oci-archive and returns
 * the image string prefix ("oci:/tmp/..", "oci-archive:/tmp/..."). */
static char *materialise(const fx *f, transport_kind t, const char *what)
{
	char *path = fx_printf("%s/%d-%s%s", root, ++case_no, what, t == T_ARCHIVE ? ".tar" : "");
	if (t == T_DIR) {
		mkdir(path, 0755);
		fx_write_dir(f, path);
	} else {
		fx_write_tar(f, path, "", false);
	}
	char *image = fx_printf("%s:%s", t == T_DIR ? "oci" : "oci-archive", path);
	free(path);
	return image;
}

static const char *tname(transport_kind t)
{
	return t == T_DIR ? "oci" : "oci-archive";
}

static bg_source *open_source(const char *image)
{
	bg_source *s = NULL;
	bg_error_clear(&err);
	if (bg_source_open(image, NULL, &s, &err) < 0)
		return NULL;
	return s;
}

/* The open must fail with BG_E_EVAL and a message containing needle. */
static void open_fails(const char *image, const char *needle, const char *name)
{
	bg_source *s = open_source(image);
	if (!ok(!s && err.status == BG_E_EVAL, "%s: refused", name))
		tap_diag("status %d: %s", err.status, err.message);
	ok(strstr(err.message, needle) != NULL, "%s: message says \"%s\"", name, needle);
	tap_diag("message: %s", err.message);
	bg_source_close(s);
}

/* Reads a whole blob through bg_blob; returns rc, data in *out. */
static int read_blob(bg_source *s, const char *digest, int64_t size, char **out, size_t *len)
{
	bg_descriptor d = {.media_type = "application/octet-stream", .digest = (char *)digest, .size = size};
	bg_blob *b = NULL;
	*out = NULL;
	*len = 0;
	bg_error_clear(&err);
	int rc = bg_source_open_blob(s, &d, &b, &err);
	if (rc < 0)
		return rc;
	rc = bg_blob_read_all(b, 16 * BG_MiB, out, len, &err);
	bg_blob_close(b);
	return rc;
}

static void make_single(fx *f, fx_img *img, const char *name)
{
	fx_layout_file(f);
	fx_image(f, "amd64", "layer one bytes", false, img);
	fx_entry e = {BG_MEDIA_OCI_MANIFEST, img->manifest_digest, img->manifest_size, name, NULL};
	fx_index(f, &e, 1);
}

#define PATH_BUF 512

static void blob_path(const char *digest, char buf[PATH_BUF])
{
	snprintf(buf, PATH_BUF, "blobs/sha256/%.128s", digest + 7);
}

/* ---- cases shared by oci: and oci-archive: ---- */

static void test_good(transport_kind t)
{
	fx f = {0};
	fx_img img;
	make_single(&f, &img, "v1");
	char *image = materialise(&f, t, "good");
	bg_source *s = open_source(image);
	if (!ok(s != NULL, "%s: a good layout opens", tname(t)))
		tap_diag("%s", err.message);
	if (s) {
		bg_manifest_bytes mb;
		int rc = bg_source_get_manifest(s, NULL, &mb, &err);
		is_int(rc, 0, "%s: the manifest is read", tname(t));
		ok(rc == 0 && mb.len == img.manifest_size && memcmp(mb.data, img.manifest, mb.len) == 0,
		   "%s: the manifest bytes are exactly the stored ones", tname(t));
		is_str(mb.content_type, BG_MEDIA_OCI_MANIFEST,
		       "%s: the content type is index.json's media type", tname(t));
		bg_manifest_bytes_free(&mb);

		rc = bg_source_get_manifest(s, img.manifest_digest, &mb, &err);
		ok(rc == 0 && mb.len == img.manifest_size, "%s: a manifest is also read by digest", tname(t));
		bg_manifest_bytes_free(&mb);

		char *data;
		size_t len;
		rc = read_blob(s, img.config_digest, (int64_t)img.config_size, &data, &len);
		ok(rc == 0 && len == img.config_size && strcmp(data, img.config) == 0,
		   "%s: the config blob reads back verified", tname(t));
		free(data);

		bg_descriptor d = {.digest = img.layer_digest, .size = (int64_t)img.layer_size};
		bg_blob *b = NULL;
		char buf[4];
		rc = bg_source_open_blob(s, &d, &b, &err);
		ssize_t n = 0, total = 0;
		while (rc == 0 && (n = bg_blob_read(b, buf, sizeof buf, &err)) > 0)
			total += n;
		ok(rc == 0 && n == 0 && total == (ssize_t)img.layer_size,
		   "%s: the layer streams in small reads and ends verified", tname(t));
		if (b)
			ok(bg_blob_read(b, buf, sizeof buf, &err) == 0 && bg_blob_drain(b, &err) == 0,
			   "%s: reading past the verified end returns 0 again", tname(t));
		bg_blob_close(b);

		/* A small cap is enforced before reading. */
		bg_descriptor cd = {.digest = img.config_digest, .size = (int64_t)img.config_size};
		rc = bg_source_open_blob(s, &cd, &b, &err);
		if (rc == 0)
			rc = bg_blob_read_all(b, 4, &data, &len, &err);
		ok(rc == BG_E_EVAL && strstr(err.message, "more than the 4-byte limit"),
		   "%s: bg_blob_read_all refuses a blob over its cap", tname(t));
		bg_blob_close(b);

		/* Digests that try to leave the layout never become paths. */
		rc = bg_source_get_manifest(s, "sha256:../../../../etc/passwd", &mb, &err);
		ok(rc == BG_E_EVAL && strstr(err.message, "refusing manifest digest"),
		   "%s: a traversal manifest digest is refused", tname(t));
		rc = read_blob(s, "sha256:../../../etc/passwd", 10, &data, &len);
		ok(rc == BG_E_EVAL && strstr(err.message, "refusing blob digest"),
		   "%s: a traversal blob digest is refused", tname(t));
		rc = read_blob(s, "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 10,
			       &data, &len);
		ok(rc == BG_E_EVAL, "%s: an upper-case digest is refused", tname(t));
		char absent[BG_DIGEST_STRING_MAX];
		fx_digest("absent", 6, absent);
		rc = read_blob(s, absent, 6, &data, &len);
		ok(rc == BG_E_EVAL && strstr(err.message, absent + 7),
		   "%s: a missing blob is an error naming it", tname(t));
		if (rc == 0)
			free(data);
	}
	bg_source_close(s);
	free(image);
	fx_img_free(&img);
	fx_free(&f);
}

static void test_selection(transport_kind t)
{
	fx f = {0};
	fx_img a, b;
	fx_layout_file(&f);
	fx_image(&f, "amd64", "layer A", false, &a);
	fx_image(&f, "amd64", "layer B", false, &b);
	fx_entry e[] = {
		{BG_MEDIA_OCI_MANIFEST, a.manifest_digest, a.manifest_size, "v1", NULL},
		{BG_MEDIA_OCI_MANIFEST, b.manifest_digest, b.manifest_size, "v2", NULL},
	};
	fx_index(&f, e, 2);
	char *image = materialise(&f, t, "select");

	char *named = fx_printf("%s:v2", image);
	bg_source *s = open_source(named);
	bg_manifest_bytes mb = {0};
	int rc = s ? bg_source_get_manifest(s, NULL, &mb, &err) : -1;
	ok(rc == 0 && mb.len == b.manifest_size && memcmp(mb.data, b.manifest, mb.len) == 0,
	   "%s: NAME selects by org.opencontainers.image.ref.name", tname(t));
	bg_manifest_bytes_free(&mb);
	bg_source_close(s);
	free(named);

	char *pos = fx_printf("%s:@0", image);
	s = open_source(pos);
	rc = s ? bg_source_get_manifest(s, NULL, &mb, &err) : -1;
	ok(rc == 0 && mb.len == a.manifest_size && memcmp(mb.data, a.manifest, mb.len) == 0,
	   "%s: @0 selects the first entry", tname(t));
	bg_manifest_bytes_free(&mb);
	bg_source_close(s);
	free(pos);

	char *missing = fx_printf("%s:v3", image);
	open_fails(missing, "no image named \"v3\"", "missing name");
	ok(strstr(err.message, "\"v1\"") && strstr(err.message, "\"v2\""),
	   "%s: the missing-name error lists the names present", tname(t));
	free(missing);

	open_fails(image, "lists 2 images", "two images, no name");
	ok(strstr(err.message, "@N") != NULL, "%s: the error says how to choose", tname(t));

	char *range = fx_printf("%s:@2", image);
	open_fails(range, "no image @2", "@N out of range");
	free(range);

	free(image);
	fx_img_free(&a);
	fx_img_free(&b);
	fx_free(&f);
}

/* The layer blob replaced by other bytes: same length, longer, shorter. */
static void test_bad_blobs(transport_kind t)
{
	static const struct {
		const char *content;
		const char *needle;
		const char *name;
	} cases[] = {
		{"layer one bytez", "digest mismatch", "same size, wrong content"},
		{"layer one", "truncated", "shorter than its descriptor"},
		{"layer one bytes and more", "larger than the 15 bytes", "longer than its descriptor"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fx f = {0};
		fx_img img;
		make_single(&f, &img, NULL);
		char path[PATH_BUF];
		blob_path(img.layer_digest, path);
		fx_add_str(&f, path, cases[i].content);
		char *image = materialise(&f, t, "bad");
		bg_source *s = open_source(image);
		char *data = NULL;
		size_t len;
		int rc = s ? read_blob(s, img.layer_digest, (int64_t)img.layer_size, &data, &len) : 0;
		if (!ok(rc == BG_E_EVAL && !data, "%s: %s: BG_E_EVAL, no data", tname(t), cases[i].name))
			tap_diag("rc %d: %s", rc, err.message);
		ok(strstr(err.message, cases[i].needle) && strstr(err.message, img.layer_digest),
		   "%s: %s: the message says \"%s\" and names the digest", tname(t), cases[i].name,
		   cases[i].needle);
		tap_diag("message: %s", err.message);
		free(data);
		bg_source_close(s);
		free(image);
		fx_img_free(&img);
		fx_free(&f);
	}
}

static void test_bad_layouts(transport_kind t)
{
	fx f = {0};
	fx_img img;
	fx_image(&f, "amd64", "x", false, &img);
	fx_entry e = {BG_MEDIA_OCI_MANIFEST, img.manifest_digest, img.manifest_size, NULL, NULL};
	fx_index(&f, &e, 1);
	char *image = materialise(&f, t, "nolayout");
	open_fails(image, "oci-layout", "no oci-layout file");
	free(image);

	fx_add_str(&f, "oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}");
	image = materialise(&f, t, "layout2");
	open_fails(image, "not supported", "imageLayoutVersion 2");
	free(image);

	fx_layout_file(&f);
	fx_entry trav = {BG_MEDIA_OCI_MANIFEST, "sha256:../../../../../../etc/passwd", 10, NULL, NULL};
	fx_index(&f, &trav, 1);
	image = materialise(&f, t, "traversal");
	open_fails(image, "digest", "a traversal digest in index.json");
	free(image);

	fx_add_str(&f, "index.json", "{\"schemaVersion\":2,\"manifests\":[],\"manifests\":[]}");
	image = materialise(&f, t, "dupkey");
	open_fails(image, "index.json", "index.json with a duplicate key");
	free(image);

	fx_entry none[1];
	fx_index(&f, none, 0);
	image = materialise(&f, t, "empty");
	open_fails(image, "lists no image", "an empty index.json");
	free(image);

	fx_img_free(&img);
	fx_free(&f);
}

/* The manifest index.json names, with one byte changed. */
static void test_bad_manifest(transport_kind t)
{
	fx g = {0};
	fx_img img;
	char path[PATH_BUF];
	make_single(&g, &img, NULL);
	blob_path(img.manifest_digest, path);
	char *bad = strdup(img.manifest);
	bad[strlen(bad) - 1] = ' ';
	fx_add_str(&g, path, bad);
	char *image = materialise(&g, t, "badmanifest");
	bg_source *s = open_source(image);
	bg_manifest_bytes mb = {0};
	int rc = s ? bg_source_get_manifest(s, NULL, &mb, &err) : 0;
	ok(rc == BG_E_EVAL && !mb.data && strstr(err.message, "digest mismatch") &&
		   strstr(err.message, img.manifest_digest),
	   "%s: a tampered manifest is refused, naming the digest", tname(t));
	tap_diag("message: %s", err.message);
	bg_source_close(s);
	free(bad);
	free(image);
	fx_img_free(&img);
	fx_free(&g);
}

/* ---- oci: only ---- */

static void test_dir_specific(void)
{
	fx f = {0};
	fx_img img;
	make_single(&f, &img, NULL);
	/* The layer blob as a symlink to a file with the right bytes. */
	char path[PATH_BUF];
	blob_path(img.layer_digest, path);
	fx_add_str(&f, "elsewhere", img.layer);
	fx_add_link(&f, path, FX_SYMLINK, "../../elsewhere");
	char *image = materialise(&f, T_DIR, "symlink");
	bg_source *s = open_source(image);
	char *data = NULL;
	size_t len;
	int rc = s ? read_blob(s, img.layer_digest, (int64_t)img.layer_size, &data, &len) : 0;
	ok(rc == BG_E_EVAL && strstr(err.message, "symbolic link"),
	   "oci: a symlinked blob is refused (O_NOFOLLOW)");
	free(data);
	bg_source_close(s);
	free(image);

	char *file = fx_printf("%s/plainfile", root);
	fclose(fopen(file, "w"));
	image = fx_printf("oci:%s", file);
	open_fails(image, "cannot open the layout directory", "oci: a file, not a directory");
	free(image);
	image = fx_printf("oci:%s/does-not-exist", root);
	open_fails(image, "cannot open the layout directory", "oci: a missing directory");
	free(image);
	free(file);
	fx_img_free(&img);
	fx_free(&f);
}

/* ---- oci-archive: only ---- */

static char *archive_image(const fx *f, const char *prefix, bool gzip)
{
	char *path = fx_printf("%s/%d-archive.tar%s", root, ++case_no, gzip ? ".gz" : "");
	fx_write_tar(f, path, prefix, gzip);
	char *image = fx_printf("oci-archive:%s", path);
	free(path);
	return image;
}

static void test_archive_specific(void)
{
	fx f = {0};
	fx_img img;
	make_single(&f, &img, NULL);

	for (int gz = 0; gz < 2; gz++) {
		char *image = archive_image(&f, "./", gz);
		bg_source *s = open_source(image);
		char *data = NULL;
		size_t len;
		int rc = s ? read_blob(s, img.layer_digest, (int64_t)img.layer_size, &data, &len) : -1;
		ok(rc == 0 && len == img.layer_size,
		   "oci-archive: \"./\"-prefixed names%s are normalised and read", gz ? ", gzip" : "");
		free(data);
		bg_source_close(s);
		free(image);
	}

	/* The layer stored as a hard link to another entry with its bytes. */
	fx h = {0};
	fx_img himg;
	make_single(&h, &himg, NULL);
	char path[PATH_BUF];
	blob_path(himg.layer_digest, path);
	fx_file *layer = fx_find(&h, path);
	free(layer->name);
	layer->name = strdup("aaa-original");
	fx_add_link(&h, path, FX_HARDLINK, "aaa-original");
	char *image = archive_image(&h, "", false);
	bg_source *s = open_source(image);
	char *data = NULL;
	size_t len;
	int rc = s ? read_blob(s, himg.layer_digest, (int64_t)himg.layer_size, &data, &len) : -1;
	ok(rc == 0 && len == himg.layer_size, "oci-archive: a hard-linked blob is followed once");
	free(data);
	bg_source_close(s);
	free(image);
	fx_img_free(&himg);
	fx_free(&h);

	static const struct {
		const char *name;
		const char *needle;
		const char *what;
	} evil[] = {
		{"../evil", "\"..\"", "a ../ entry name"},
		{"blobs/../../evil", "\"..\"", "a ../ inside an entry name"},
		{"/etc/evil", "absolute", "an absolute entry name"},
		{"index.json", "appears twice", "a duplicate index.json"},
		{"./oci-layout", "appears twice", "a duplicate after normalisation"},
	};
	for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++) {
		fx g = {0};
		fx_img gi;
		make_single(&g, &gi, NULL);
		/* fx_add would replace a same-named file: append by hand. */
		fx_file *e = &g.files[g.n++];
		memset(e, 0, sizeof *e);
		e->name = strdup(evil[i].name);
		e->data = strdup("{}");
		e->len = 2;
		image = archive_image(&g, "", false);
		open_fails(image, evil[i].needle, evil[i].what);
		free(image);
		fx_img_free(&gi);
		fx_free(&g);
	}

	char *junk = fx_printf("%s/junk.tar", root);
	FILE *fp = fopen(junk, "w");
	fputs("this is not a tar archive at all, just text that goes on for a while......", fp);
	fclose(fp);
	image = fx_printf("oci-archive:%s", junk);
	open_fails(image, "tar", "oci-archive: not a tar");
	free(image);
	free(junk);

	/* A layout directory given as an archive. */
	image = fx_printf("oci-archive:%s", root);
	open_fails(image, "not a regular file", "oci-archive: a directory");
	free(image);

	fx_img_free(&img);
	fx_free(&f);
}

/* ---- docker-archive: ---- */

#define REPO_TAG "example.com/app:1"

/* A classic `docker save`: <config hex>.json, <id>/layer.tar, manifest.json. */
static void docker_classic(fx *f, const char *layer_text, const char *tags_json, fx_img *img,
			   const char *id)
{
	memset(img, 0, sizeof *img);
	img->layer = strdup(layer_text);
	img->layer_size = strlen(layer_text);
	fx_digest(img->layer, img->layer_size, img->layer_digest);
	img->config = fx_printf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
				"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
				img->layer_digest);
	img->config_size = strlen(img->config);
	fx_digest(img->config, img->config_size, img->config_digest);
	char *cname = fx_printf("%s.json", img->config_digest + 7);
	char *lname = fx_printf("%s/layer.tar", id);
	char *jname = fx_printf("%s/json", id);
	fx_add_str(f, cname, img->config);
	fx_add(f, lname, img->layer, img->layer_size);
	fx_add_str(f, jname, "{}");
	char *entry = fx_printf("{\"Config\":\"%s\",\"RepoTags\":%s,\"Layers\":[\"%s\"]}", cname,
				tags_json, lname);
	fx_file *mj = fx_find(f, "manifest.json");
	char *all = mj ? fx_printf("%.*s,%s]", (int)mj->len - 1, mj->data, entry)
		       : fx_printf("[%s]", entry);
	fx_add_str(f, "manifest.json", all);
	free(all);
	free(entry);
	free(cname);
	free(lname);
	free(jname);
}

static char *synthesised(const fx_img *img, const char *layer_media, const char *layer_digest,
			 size_t layer_size)
{
	return fx_printf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
			 "\"size\":%zu,\"digest\":\"%s\"},\"layers\":[{\"mediaType\":\"%s\",\"size\":%zu,"
			 "\"digest\":\"%s\"}]}",
			 BG_MEDIA_DOCKER_MANIFEST, BG_MEDIA_DOCKER_CONFIG, img->config_size,
			 img->config_digest, layer_media, layer_size, layer_digest);
}

static char *docker_image(const fx *f, const char *suffix)
{
	char *path = fx_printf("%s/%d-docker.tar", root, ++case_no);
	fx_write_tar(f, path, "", false);
	char *image = fx_printf("docker-archive:%s%s", path, suffix);
	free(path);
	return image;
}

static void expect_manifest(const char *image, const char *want, const char *name)
{
	bg_source *s = open_source(image);
	if (!ok(s != NULL, "%s: opens", name))
		tap_diag("%s", err.message);
	bg_manifest_bytes mb = {0};
	int rc = s ? bg_source_get_manifest(s, NULL, &mb, &err) : -1;
	if (!ok(rc == 0 && mb.len == strlen(want) && memcmp(mb.data, want, mb.len) == 0,
		"%s: the manifest is exactly the expected bytes", name))
		tap_diag("got:  %s\n#   want: %s", mb.data ? mb.data : err.message, want);
	bg_manifest_bytes_free(&mb);
	bg_source_close(s);
}

static void test_docker_classic(void)
{
	fx f = {0};
	fx_img img;
	docker_classic(&f, "plain layer tar bytes", "[\"" REPO_TAG "\"]", &img, "abc123");
	char *want = synthesised(&img, "application/vnd.docker.image.rootfs.diff.tar.gzip", img.layer_digest,
				 img.layer_size);

	char *image = docker_image(&f, "");
	expect_manifest(image, want, "docker-archive classic");
	bg_source *s = open_source(image);
	char *data = NULL;
	size_t len;
	int rc = s ? read_blob(s, img.layer_digest, (int64_t)img.layer_size, &data, &len) : -1;
	ok(rc == 0 && len == img.layer_size, "docker-archive: the layer reads by its diff_id, verified");
	free(data);
	rc = s ? read_blob(s, img.config_digest, (int64_t)img.config_size, &data, &len) : -1;
	ok(rc == 0 && len == img.config_size, "docker-archive: the config reads by its digest");
	free(data);
	bg_manifest_bytes mb;
	rc = s ? bg_source_get_manifest(s, img.config_digest, &mb, &err) : -1;
	ok(rc == BG_E_EVAL, "docker-archive: there is no manifest to fetch by digest");
	bg_source_close(s);
	free(image);

	image = docker_image(&f, ":" REPO_TAG);
	expect_manifest(image, want, "docker-archive with its tag");
	free(image);
	image = docker_image(&f, ":example.com/app:2");
	open_fails(image, "no image tagged example.com/app:2", "docker-archive: an absent tag");
	ok(strstr(err.message, REPO_TAG) != NULL, "docker-archive: the error lists the tags present");
	free(image);

	/* A second image whose layer is a symlink to the first one's tar. */
	fx_img two;
	docker_classic(&f, "plain layer tar bytes", "[\"example.com/other:2\"]", &two, "def456");
	fx_add_link(&f, "def456/layer.tar", FX_SYMLINK, "../abc123/layer.tar");
	image = docker_image(&f, "");
	open_fails(image, "lists 2 images", "docker-archive: two images, no tag");
	free(image);
	image = docker_image(&f, ":@1");
	expect_manifest(image, want, "docker-archive: @1 with a symlinked layer");
	free(image);
	image = docker_image(&f, ":example.com/other:2");
	expect_manifest(image, want, "docker-archive: chosen by its second tag");
	free(image);
	fx_img_free(&two);

	/* A tampered layer: its bytes no longer hash to the diff_id. */
	fx_add_str(&f, "abc123/layer.tar", "plain layer tar bytez");
	image = docker_image(&f, ":@0");
	s = open_source(image);
	rc = s ? read_blob(s, img.layer_digest, (int64_t)img.layer_size, &data, &len) : 0;
	ok(rc == BG_E_EVAL && strstr(err.message, "digest mismatch"),
	   "docker-archive: a tampered layer.tar fails its diff_id");
	bg_source_close(s);
	free(image);
	free(want);
	fx_img_free(&img);
	fx_free(&f);
}

static void test_docker_classic_bad(void)
{
	/* A gzip layer: described as stored. */
	fx f = {0};
	fx_img img;
	const char gz[] = "\x1f\x8b\x08\x00 pretend gzip";
	docker_classic(&f, "x", "null", &img, "abc");
	fx_add(&f, "abc/layer.tar", gz, sizeof gz - 1);
	char gzd[BG_DIGEST_STRING_MAX];
	fx_digest(gz, sizeof gz - 1, gzd);
	char *want = synthesised(&img, "application/vnd.docker.image.rootfs.diff.tar.gzip", gzd,
				 sizeof gz - 1);
	char *image = docker_image(&f, "");
	expect_manifest(image, want, "docker-archive: a gzip layer.tar (untagged image)");
	free(image);
	free(want);

	fx_add_str(&f, "abc/layer.tar", "\x28\xb5\x2f\xfd zstd");
	image = docker_image(&f, "");
	open_fails(image, "zstd", "docker-archive: a zstd layer is refused");
	free(image);

	fx_add_str(&f, "manifest.json", "[{\"Config\":\"../x.json\",\"RepoTags\":[],\"Layers\":[]}]");
	image = docker_image(&f, "");
	open_fails(image, "\"..\"", "docker-archive: a ../ config path");
	free(image);

	char *mj = fx_printf("[{\"Config\":\"%s.json\",\"RepoTags\":[],\"Layers\":[]}]",
			     img.config_digest + 7);
	fx_add_str(&f, "manifest.json", mj);
	free(mj);
	image = docker_image(&f, "");
	open_fails(image, "diff_ids", "docker-archive: fewer layers than diff_ids");
	free(image);

	fx_add_str(&f, "manifest.json", "[{\"Config\":\"a.json\",\"Config\":\"b.json\",\"Layers\":[]}]");
	image = docker_image(&f, "");
	open_fails(image, "manifest.json", "docker-archive: manifest.json with a duplicate key");
	free(image);

	fx g = {0};
	fx_add_str(&g, "something", "else");
	image = docker_image(&g, "");
	open_fails(image, "manifest.json is missing", "docker-archive: no manifest.json");
	free(image);
	fx_free(&g);
	fx_img_free(&img);
	fx_free(&f);
}

/* Docker ≥ 25: an OCI layout plus manifest.json pointing into blobs/. */
static void test_docker_oci(void)
{
	fx f = {0};
	fx_img img;
	make_single(&f, &img, "latest");
	char *mj = fx_printf("[{\"Config\":\"blobs/sha256/%s\",\"RepoTags\":[\"" REPO_TAG "\"],"
			     "\"Layers\":[\"blobs/sha256/%s\"]}]",
			     img.config_digest + 7, img.layer_digest + 7);
	fx_add_str(&f, "manifest.json", mj);
	free(mj);

	char *image = docker_image(&f, "");
	expect_manifest(image, img.manifest, "docker-archive (Docker 25): the stored OCI manifest");
	free(image);

	char *want = synthesised(&img, "application/vnd.docker.image.rootfs.diff.tar.gzip", img.layer_digest,
				 img.layer_size);
	image = docker_image(&f, ":" REPO_TAG);
	expect_manifest(image, want, "docker-archive (Docker 25) by tag: synthesised from manifest.json");
	free(image);
	free(want);
	fx_img_free(&img);
	fx_free(&f);
}

/* The generic layer over the transports: bad options and transports. */
static void test_open_errors(void)
{
	bg_source *s = NULL;
	bg_error_clear(&err);
	int rc = bg_source_open("dir:/tmp/x", NULL, &s, &err);
	ok(rc == BG_E_USAGE && !s, "an unsupported transport is a usage error");
	rc = bg_source_open("", NULL, &s, &err);
	ok(rc == BG_E_USAGE && !s, "an empty image name is a usage error");
	bg_source_close(NULL);
	bg_blob_close(NULL);
	bg_manifest_bytes_free(NULL);
	ok(1, "close/free functions accept NULL");
}

int main(void)
{
	root = fx_tmpdir();
	for (int t = T_DIR; t <= T_ARCHIVE; t++) {
		test_good((transport_kind)t);
		test_selection((transport_kind)t);
		test_bad_blobs((transport_kind)t);
		test_bad_manifest((transport_kind)t);
		test_bad_layouts((transport_kind)t);
	}
	test_dir_specific();
	test_archive_specific();
	test_docker_classic();
	test_docker_classic_bad();
	test_docker_oci();
	test_open_errors();
	fx_rm_rf(root);
	free(root);
	return tap_done();
}
