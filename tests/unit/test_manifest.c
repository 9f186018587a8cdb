/* Unit tests for manifest.h: the four accepted kinds parse into the fields the
 * gate reports, everything else (schema1, ambiguous or mislabelled documents,
 * non-strict JSON, bad sizes and digests) is refused with a message that says
 * what is wrong; platform parsing and selection follow containers/image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "bootgate/limits.h"
#include "bootgate/manifest.h"
#include "tests/tap.h"
#include "util.h"

static char testdata[4096];

static bool load(const char *name, char **data, size_t *len)
{
	char path[8192];
	bg_error err = {0};
	snprintf(path, sizeof path, "%s/manifest/%s", testdata, name);
	if (bg_read_file(path, 16 * BG_MiB, data, len, &err) < 0) {
		tap_diag("%s", err.message);
		return false;
	}
	return true;
}

static const char *kind_name(bg_manifest_kind k)
{
	switch (k) {
	case BG_MANIFEST_OCI:
		return "oci";
	case BG_MANIFEST_OCI_INDEX:
		return "oci-index";
	case BG_MANIFEST_DOCKER:
		return "docker";
	case BG_MANIFEST_DOCKER_LIST:
		return "docker-list";
	}
	return "?";
}

/* Parse a testdata file; NULL on failure (message in err). */
static bg_manifest *parse_file(const char *name, const char *ct, bg_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	bg_manifest *m = NULL;
	bg_error_clear(err);
	if (!load(name, &data, &len))
		return NULL;
	if (bg_manifest_parse(data, len, ct, name, &m, err) < 0)
		return NULL;
	return m;
}

/* testdata/manifest/cases.tsv: one line per (file, Content-Type) outcome. */
static void test_cases(void)
{
	_cleanup_free_ char *table = NULL;
	size_t len;
	if (!ok(load("cases.tsv", &table, &len), "cases.tsv is readable"))
		return;
	int cases = 0;
	for (char *line = strtok(table, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#' || !line[0])
			continue;
		char *file = line, *ct = strchr(file, '\t'), *expect;
		if (!ct || !(expect = strchr(ct + 1, '\t'))) {
			ok(false, "malformed cases.tsv line: %s", line);
			continue;
		}
		*ct++ = '\0';
		*expect++ = '\0';
		const char *content_type = strcmp(ct, "-") == 0 ? NULL : ct;
		bg_error err;
		bg_manifest *m = parse_file(file, content_type, &err);
		cases++;
		if (strncmp(expect, "ok ", 3) == 0) {
			char kind[32];
			size_t count = 0;
			sscanf(expect + 3, "%31s %zu", kind, &count);
			size_t got = m ? (bg_manifest_is_index(m) ? m->n_manifests : m->n_layers) : 0;
			if (!ok(m && strcmp(kind_name(m->kind), kind) == 0 && got == count,
				"%s as %s: %s", file, ct, expect))
				tap_diag("%s", m ? kind_name(m->kind) : err.message);
		} else {
			const char *text = expect + 6; /* "error " */
			bool good = !m && err.status == BG_E_EVAL && strstr(err.message, text) &&
				    strncmp(err.message, file, strlen(file)) == 0;
			if (!ok(good, "%s as %s: refused (%s)", file, ct, text))
				tap_diag("message: %s", m ? "(accepted)" : err.message);
		}
		bg_manifest_free(m);
	}
	ok(cases >= 60, "cases.tsv has %d cases", cases);
}

static void test_oci_manifest_fields(void)
{
	bg_error err;
	bg_manifest *m = parse_file("oci-manifest.json", BG_MEDIA_OCI_MANIFEST, &err);
	if (!ok(m != NULL, "OCI manifest parses"))
		return;
	ok(!bg_manifest_is_index(m), "  an image manifest is not an index");
	is_str(m->media_type, BG_MEDIA_OCI_MANIFEST, "  media type");
	is_str(m->config.media_type, BG_MEDIA_OCI_CONFIG, "  config media type");
	is_str(m->config.digest, "sha256:23f25f195315e1491be8cfbc1aabd13024ab94388f117e88805f5273bb50a42f",
	       "  config digest kept as written");
	ok(bg_str_has_prefix(m->config.digest, "sha256:") && strlen(m->config.digest) == 71,
	   "  config digest is a sha256 digest");
	is_int(m->config.size, 7623, "  config size");
	is_int(m->n_layers, 3, "  three layers");
	is_int(m->layers[0].size, 79214862, "  layer sizes in order (0)");
	is_int(m->layers[1].size, 23451, "  layer sizes in order (1)");
	is_str(m->layers[2].media_type, "application/vnd.oci.image.layer.v1.tar+zstd",
	       "  layer media types kept (zstd)");
	ok(!m->layers[0].has_urls && !m->layers[0].has_platform && !m->layers[0].ref_name,
	   "  plain layers have no urls, platform or ref name");
	bg_manifest_free(m);

	m = parse_file("oci-manifest-no-mediatype.json", NULL, &err);
	ok(m && m->kind == BG_MANIFEST_OCI && !strcmp(m->media_type, BG_MEDIA_OCI_MANIFEST),
	   "without mediaType or Content-Type, an OCI config makes an OCI manifest");
	bg_manifest_free(m);
	m = parse_file("docker-v2s2.json", "application/vnd.docker.distribution.manifest.v2+json; x=y",
		       &err);
	ok(m && m->kind == BG_MANIFEST_DOCKER && !strcmp(m->media_type, BG_MEDIA_DOCKER_MANIFEST) &&
		   !strcmp(m->config.media_type, BG_MEDIA_DOCKER_CONFIG) && m->layers[0].size == 3408729,
	   "Docker schema2 manifest fields");
	bg_manifest_free(m);
	m = parse_file("docker-foreign-layer.json", NULL, &err);
	ok(m && m->layers[0].has_urls && !m->layers[1].has_urls,
	   "a foreign layer with urls is flagged (the gate refuses it)");
	ok(m && m->layers[0].size == 1718332879, "  large sizes read exactly");
	bg_manifest_free(m);
}

static void test_index_fields(void)
{
	bg_error err;
	bg_manifest *m = parse_file("oci-index-attestations.json", NULL, &err);
	if (!ok(m != NULL, "OCI index with attestations parses"))
		return;
	ok(bg_manifest_is_index(m) && m->n_layers == 0, "  it is an index");
	is_str(m->manifests[1].platform.architecture, "arm64", "  entry platform architecture");
	is_str(m->manifests[1].platform.variant, "v8", "  entry platform variant");
	ok(m->manifests[0].platform.variant == NULL, "  no variant is NULL");
	ok(!m->manifests[0].is_attestation && !m->manifests[2].is_attestation &&
		   m->manifests[3].is_attestation && m->manifests[4].is_attestation,
	   "  attestation manifests are flagged by their annotation");
	bg_manifest_free(m);

	m = parse_file("oci-index-nested.json", NULL, &err);
	ok(m && m->n_manifests == 1 && !m->manifests[0].has_platform &&
		   !strcmp(m->manifests[0].media_type, BG_MEDIA_OCI_INDEX) &&
		   m->manifests[0].ref_name && !strcmp(m->manifests[0].ref_name, "latest"),
	   "nested index entry: index media type, ref name, no platform");
	bg_manifest_free(m);

	m = parse_file("docker-list.json", NULL, &err);
	ok(m && m->kind == BG_MANIFEST_DOCKER_LIST && m->n_manifests == 7 &&
		   !strcmp(m->manifests[6].platform.architecture, "s390x"),
	   "Docker manifest list fields");
	bg_manifest_free(m);
}

static void test_limits(void)
{
	size_t len = BG_MAX_MANIFEST_BYTES + 1;
	char *big = malloc(len);
	bg_manifest *m = NULL;
	bg_error err;
	if (!big)
		return;
	memset(big, ' ', len);
	memcpy(big, "{}", 2);
	ok(bg_manifest_parse(big, len, NULL, "https://r/v2/x/manifests/y", &m, &err) == BG_E_EVAL &&
		   !m && strstr(err.message, "more than the 4 MiB limit") &&
		   strstr(err.message, "https://r/v2/x/manifests/y"),
	   "a manifest over 4 MiB is refused, naming the URL");
	bg_image_config *c = NULL;
	ok(bg_image_config_parse(big, len, "cfg", &c, &err) == BG_E_EVAL && !c &&
		   strstr(err.message, "limit"),
	   "a config over 4 MiB is refused");
	free(big);
	ok(bg_manifest_parse("", 0, NULL, NULL, &m, &err) == BG_E_EVAL &&
		   strncmp(err.message, "manifest: ", 10) == 0,
	   "an empty body is refused; what defaults to \"manifest\"");
	bg_manifest_free(NULL);
	bg_image_config_free(NULL);
	bg_platform_free(NULL);
	ok(!bg_manifest_is_index(NULL), "_free functions accept NULL; NULL is not an index");
}

/* ---- platforms --------------------------------------------------------- */

static void platform_case(const char *in, const char *want)
{
	bg_platform p;
	bg_error err = {0};
	int rc = bg_platform_parse(in, &p, &err);
	if (want) {
		char *f = rc == 0 ? bg_platform_format(&p) : NULL;
		is_str(f, want, "platform \"%s\" parses as %s", in, want);
		free(f);
		bg_platform_free(&p);
	} else {
		if (!ok(rc == BG_E_USAGE && strstr(err.message, "OS/ARCH[/VARIANT]") && !p.os,
			"platform \"%s\" is refused as a usage error", in))
			tap_diag("rc %d: %s", rc, err.message);
	}
}

static void test_platform_parse(void)
{
	platform_case("linux/amd64", "linux/amd64");
	platform_case("linux/arm64/v8", "linux/arm64/v8");
	platform_case("linux/arm/v7", "linux/arm/v7");
	platform_case("LINUX/AMD64", "linux/amd64");
	platform_case("linux/x86_64", "linux/amd64");
	platform_case("linux/aarch64", "linux/arm64");
	platform_case("linux/armhf", "linux/arm/v7");
	platform_case("linux/i686", "linux/386");
	platform_case("linux/ppc64le", "linux/ppc64le");
	platform_case("linux/s390x", "linux/s390x");
	platform_case("linux", NULL);
	platform_case("", NULL);
	platform_case("linux/", NULL);
	platform_case("/amd64", NULL);
	platform_case("linux//v8", NULL);
	platform_case("linux/amd64/", NULL);
	platform_case("linux/arm64/v8/extra", NULL);
	platform_case("linux/am d64", NULL);
	platform_case("linux/amd64 ", NULL);
	platform_case("linux/amd64/v8/", NULL);
	bg_platform p = {0};
	bg_error err;
	ok(bg_platform_parse(NULL, &p, &err) == BG_E_USAGE, "a NULL platform is refused");

	bg_platform q = {.os = (char *)"linux", .architecture = (char *)"arm64", .variant = (char *)"v8"};
	char *f = bg_platform_format(&q);
	is_str(f, "linux/arm64/v8", "format with variant");
	free(f);
	q.variant = NULL;
	f = bg_platform_format(&q);
	is_str(f, "linux/arm64", "format without variant");
	free(f);
}

static void test_platform_host(void)
{
	bg_platform p;
	bg_error err;
	struct utsname u;
	if (!ok(bg_platform_host(&p, &err) == 0, "host platform is known"))
		return;
	is_str(p.os, "linux", "  host OS is linux");
	uname(&u);
	const char *expect = !strcmp(u.machine, "x86_64")	 ? "amd64"
			     : !strcmp(u.machine, "aarch64") ? "arm64"
							     : u.machine;
	is_str(p.architecture, expect, "  uname machine %s maps to the OCI name", u.machine);
	if (!strcmp(u.machine, "aarch64"))
		is_str(p.variant, "v8", "  arm64 host has variant v8");
	bg_platform_free(&p);
	ok(p.os == NULL && p.architecture == NULL, "bg_platform_free clears the fields");
}

/* Select `want` from testdata file; returns the chosen digest's seed index
 * position, or -1 with the message in err. */
static long select_from(const bg_manifest *m, const char *want, bg_error *err)
{
	bg_platform p;
	const bg_descriptor *d = NULL;
	if (bg_platform_parse(want, &p, err) < 0)
		return -2;
	int rc = bg_manifest_select_platform(m, &p, &d, err);
	bg_platform_free(&p);
	return rc == 0 && d ? (long)(d - m->manifests) : -1;
}

static void test_select(void)
{
	bg_error err;
	bg_manifest *list = parse_file("docker-list.json", NULL, &err);
	bg_manifest *idx = parse_file("oci-index-attestations.json", NULL, &err);
	bg_manifest *nested = parse_file("oci-index-nested.json", NULL, &err);
	bg_manifest *image = parse_file("oci-manifest.json", NULL, &err);
	if (!ok(list && idx && nested && image, "selection fixtures parse"))
		goto out;
	/* docker-list.json: 0 amd64, 1 arm/v6, 2 arm/v7, 3 arm64/v8, 4 386, 5 ppc64le, 6 s390x */
	static const struct {
		const char *want;
		long index;
	} list_cases[] = {
		{"linux/amd64", 0},  {"linux/arm/v6", 1}, {"linux/arm/v7", 2},
		{"linux/arm/v8", 2}, /* v8 accepts v7 > v6 > v5 */
		{"linux/arm", 2},    /* no variant: "", v8, v7, ... */
		{"linux/arm64", 3},  {"linux/arm64/v8", 3}, {"linux/386", 4},
		{"linux/ppc64le", 5}, {"linux/s390x", 6},
	};
	for (size_t i = 0; i < sizeof list_cases / sizeof *list_cases; i++)
		is_int(select_from(list, list_cases[i].want, &err), list_cases[i].index,
		       "Docker list: %s selects entry %ld", list_cases[i].want, list_cases[i].index);

	ok(select_from(list, "linux/arm/v5", &err) == -1 &&
		   strstr(err.message, "no image for linux/arm/v5") &&
		   strstr(err.message, "linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8, "
				       "linux/386, linux/ppc64le, linux/s390x") &&
		   err.status == BG_E_EVAL,
	   "arm/v5 does not take v6 or v7; the message lists what the index offers");
	ok(select_from(list, "windows/amd64", &err) == -1 && strstr(err.message, "--platform"),
	   "another OS does not match");
	ok(select_from(list, "linux/riscv64", &err) == -1, "another architecture does not match");
	ok(select_from(list, "linux/amd64/v3", &err) == 0,
	   "a requested variant also accepts an entry without variant");

	/* oci-index-attestations.json: 0 amd64, 1 arm64/v8, 2 arm/v7, 3-4 attestations */
	is_int(select_from(idx, "linux/amd64", &err), 0, "OCI index: amd64");
	is_int(select_from(idx, "linux/arm64", &err), 1, "OCI index: arm64 takes arm64/v8");
	is_int(select_from(idx, "linux/arm/v7", &err), 2, "OCI index: arm/v7");
	ok(select_from(idx, "unknown/unknown", &err) == -1 &&
		   strstr(err.message, "linux/amd64, linux/arm64/v8, linux/arm/v7 ("),
	   "attestation manifests are never selected nor offered");

	is_int(select_from(nested, "linux/s390x", &err), 0,
	       "an OCI index entry without platform is a candidate (nested index)");
	ok(select_from(image, "linux/amd64", &err) == -1 && strstr(err.message, "needs an index"),
	   "selecting from an image manifest is an error");

	/* Built in memory: ranking and "first best match wins". */
	bg_manifest m = {.kind = BG_MANIFEST_OCI_INDEX};
	bg_descriptor d[5] = {0};
	char *archs[] = {"amd64", "arm64", "arm64", "amd64", NULL};
	char *variants[] = {NULL, NULL, "v8", NULL, NULL};
	for (int i = 0; i < 5; i++) {
		d[i].has_platform = archs[i] != NULL;
		d[i].platform.os = "linux";
		d[i].platform.architecture = archs[i];
		d[i].platform.variant = variants[i];
	}
	m.manifests = d;
	m.n_manifests = 5;
	is_int(select_from(&m, "linux/amd64", &err), 0, "the first of equal matches wins");
	is_int(select_from(&m, "linux/arm64", &err), 1, "arm64 without variant prefers \"\" over v8");
	is_int(select_from(&m, "linux/arm64/v8", &err), 2, "arm64/v8 prefers v8 over \"\"");
	is_int(select_from(&m, "linux/s390x", &err), 4,
	       "no platform match: the entry without a platform");
	m.kind = BG_MANIFEST_DOCKER_LIST;
	is_int(select_from(&m, "linux/s390x", &err), -1,
	       "Docker lists never pick an entry without a platform");
	m.n_manifests = 0;
	ok(select_from(&m, "linux/amd64", &err) == -1 && strstr(err.message, "offers no platforms"),
	   "an empty index offers no platforms");
out:
	bg_manifest_free(list);
	bg_manifest_free(idx);
	bg_manifest_free(nested);
	bg_manifest_free(image);
}

/* ---- image configs ----------------------------------------------------- */

static bg_image_config *parse_config(const char *name, bg_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	bg_image_config *c = NULL;
	bg_error_clear(err);
	if (!load(name, &data, &len))
		return NULL;
	if (bg_image_config_parse(data, len, name, &c, err) < 0)
		return NULL;
	return c;
}

static void test_config(void)
{
	bg_error err;
	bg_image_config *c = parse_config("config-oci.json", &err);
	if (!ok(c != NULL, "OCI image config parses"))
		tap_diag("%s", err.message);
	if (c) {
		is_str(c->created, "2024-05-21T10:32:07.123456789Z", "  created as written");
		is_str(c->platform.os, "linux", "  os");
		is_str(c->platform.architecture, "amd64", "  architecture");
		ok(c->platform.variant == NULL, "  no variant");
		is_int(c->n_labels, 7, "  seven labels");
		bool sorted = true;
		for (size_t i = 1; i < c->n_labels; i++)
			sorted &= strcmp(c->label_keys[i - 1], c->label_keys[i]) < 0;
		ok(sorted, "  labels sorted by key");
		is_str(bg_image_config_label(c, "containers.bootc"), "1", "  containers.bootc label");
		is_str(bg_image_config_label(c, "ostree.bootable"), "true", "  ostree.bootable label");
		is_str(bg_image_config_label(c, "architecture"), "x86_64", "  first label");
		is_str(bg_image_config_label(c, "version"), "9.4", "  last label");
		ok(bg_image_config_label(c, "missing") == NULL, "  missing label is NULL");
		is_int(c->n_diff_ids, 3, "  three diff_ids");
		ok(bg_str_has_prefix(c->diff_ids[2], "sha256:"), "  diff_ids are digests");
	}
	bg_image_config_free(c);

	c = parse_config("config-docker.json", &err);
	ok(c && c->n_labels == 0 && !bg_image_config_label(c, "x") && c->platform.variant &&
		   !strcmp(c->platform.variant, "v8") && c->n_diff_ids == 1 &&
		   !strcmp(c->platform.architecture, "arm64"),
	   "Docker config with \"Labels\": null and a variant");
	bg_image_config_free(c);

	static const struct {
		const char *file, *text;
	} bad[] = {
		{"config-bad-diffid.json", "rootfs: diff_ids[1]: digest \"sha256:../../etc/passwd\" has a character"},
		{"config-label-not-string.json", "Labels: \"containers.bootc\" must be a string, not integer"},
		{"config-no-architecture.json", "field \"architecture\" is missing"},
		{"config-rootfs-type.json", "rootfs: type is \"tarsum\", expected \"layers\""},
		{"config-duplicate-label.json", "duplicate key \"containers.bootc\""},
		{"oci-manifest.json", "field \"os\" is missing"},
		{"html-page.html", "this looks like HTML"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		c = parse_config(bad[i].file, &err);
		if (!ok(!c && err.status == BG_E_EVAL && strstr(err.message, bad[i].text) &&
				strncmp(err.message, bad[i].file, strlen(bad[i].file)) == 0,
			"config %s is refused (%s)", bad[i].file, bad[i].text))
			tap_diag("message: %s", c ? "(accepted)" : err.message);
		bg_image_config_free(c);
	}
}

/* Manifests from the conformance corpus, when it is available. */
static void test_corpus(void)
{
	const char *dir = getenv("BOOTGATE_CORPUS_DIR");
	if (!dir || !*dir) {
		tap_diag("BOOTGATE_CORPUS_DIR unset: corpus manifests not checked");
		return;
	}
	static const struct {
		const char *path;
		int kind; /* -1: refused as schema1 */
	} files[] = {
		{"containers-image-fixtures/fixtures/image.manifest.json", BG_MANIFEST_DOCKER},
		{"containers-image-fixtures/fixtures/dir-img-valid/manifest.json", BG_MANIFEST_DOCKER},
		{"containers-image-fixtures/fixtures/dir-img-cosign-pki-valid/manifest.json", BG_MANIFEST_OCI},
		{"containers-image-fixtures/fixtures/v2s1-invalid-signatures.manifest.json", -1},
		{"generated-skopeo-1.9.3/manifest.json", BG_MANIFEST_DOCKER},
	};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		char path[8192];
		_cleanup_free_ char *data = NULL;
		size_t len;
		bg_error err = {0};
		bg_manifest *m = NULL;
		snprintf(path, sizeof path, "%s/%s", dir, files[i].path);
		if (bg_read_file(path, BG_MAX_MANIFEST_BYTES, &data, &len, &err) < 0) {
			ok(false, "corpus %s is readable: %s", files[i].path, err.message);
			continue;
		}
		int rc = bg_manifest_parse(data, len, NULL, path, &m, &err);
		if (files[i].kind < 0)
			ok(rc == BG_E_EVAL && strstr(err.message, "schema1"), "corpus %s refused as schema1",
			   files[i].path);
		else if (!ok(rc == 0 && (int)m->kind == files[i].kind, "corpus %s parses as %s",
			     files[i].path, kind_name((bg_manifest_kind)files[i].kind)))
			tap_diag("%s", err.message);
		bg_manifest_free(m);
	}
}

int main(void)
{
	const char *td = getenv("BOOTGATE_TESTDATA");
	snprintf(testdata, sizeof testdata, "%s", td && *td ? td : "testdata");
	test_cases();
	test_oci_manifest_fields();
	test_index_fields();
	test_limits();
	test_platform_parse();
	test_platform_host();
	test_select();
	test_config();
	test_corpus();
	return tap_done();
}
