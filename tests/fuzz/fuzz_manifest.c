/* Fuzz target for manifest.h.
 *
 * Input: a first line with the Content-Type ("-" for none), then the
 * document; the document is parsed as a manifest and as an image config.
 * Beyond "no crash, no leak", it checks the promises the rest of bootgate
 * builds on and aborts when one fails:
 *   - a refusal carries a message naming the document and returns no object;
 *   - every accepted descriptor has a media type, a valid digest (so blob
 *     paths built from it cannot escape) and a size >= 0;
 *   - an index has entries and no layers/config; an image manifest the
 *     opposite; the recorded media type is the one of the parsed kind;
 *   - platform selection returns an entry of the index, never an
 *     attestation, matching the wanted os/architecture when it has a
 *     platform;
 *   - config labels are sorted and found by lookup, diff_ids are valid. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/digest.h"
#include "bootgate/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                 \
	do {                        \
		if (!(cond))        \
			abort();    \
	} while (0)

static void check_descriptor(const bg_descriptor *d)
{
	CHECK(d->media_type && d->media_type[0]);
	CHECK(bg_digest_valid(d->digest));
	CHECK(d->size >= 0);
	if (d->has_platform)
		CHECK(d->platform.os && d->platform.architecture);
}

static const char *kind_media_type(bg_manifest_kind k)
{
	switch (k) {
	case BG_MANIFEST_OCI:
		return BG_MEDIA_OCI_MANIFEST;
	case BG_MANIFEST_OCI_INDEX:
		return BG_MEDIA_OCI_INDEX;
	case BG_MANIFEST_DOCKER:
		return BG_MEDIA_DOCKER_MANIFEST;
	case BG_MANIFEST_DOCKER_LIST:
		return BG_MEDIA_DOCKER_LIST;
	}
	abort();
}

static void check_select(const bg_manifest *m, const char *platform)
{
	bg_platform want;
	bg_error err = {0};
	const bg_descriptor *d = NULL;
	CHECK(bg_platform_parse(platform, &want, &err) == 0);
	if (bg_manifest_select_platform(m, &want, &d, &err) == 0) {
		CHECK(d >= m->manifests && d < m->manifests + m->n_manifests);
		CHECK(!d->is_attestation);
		if (d->has_platform)
			CHECK(!strcmp(d->platform.os, want.os) &&
			      !strcmp(d->platform.architecture, want.architecture));
	} else {
		CHECK(d == NULL && err.message[0]);
	}
	bg_platform_free(&want);
}

static void check_manifest(const char *doc, size_t len, const char *ct)
{
	bg_manifest *m = (bg_manifest *)1;
	bg_error err = {0};
	if (bg_manifest_parse(doc, len, ct, "fuzz", &m, &err) < 0) {
		CHECK(m == NULL);
		CHECK(strncmp(err.message, "fuzz: ", 6) == 0);
		return;
	}
	CHECK(m && m->media_type);
	CHECK(strcmp(m->media_type, kind_media_type(m->kind)) == 0);
	if (bg_manifest_is_index(m)) {
		CHECK(m->n_layers == 0 && m->config.digest == NULL);
		for (size_t i = 0; i < m->n_manifests; i++)
			check_descriptor(&m->manifests[i]);
		check_select(m, "linux/amd64");
		check_select(m, "linux/arm/v7");
		check_select(m, "linux/arm64");
	} else {
		CHECK(m->n_manifests == 0);
		check_descriptor(&m->config);
		for (size_t i = 0; i < m->n_layers; i++)
			check_descriptor(&m->layers[i]);
	}
	bg_manifest_free(m);
}

static void check_config(const char *doc, size_t len)
{
	bg_image_config *c = (bg_image_config *)1;
	bg_error err = {0};
	if (bg_image_config_parse(doc, len, "fuzz", &c, &err) < 0) {
		CHECK(c == NULL);
		CHECK(strncmp(err.message, "fuzz: ", 6) == 0);
		return;
	}
	CHECK(c->platform.os && c->platform.architecture);
	for (size_t i = 0; i < c->n_labels; i++) {
		if (i > 0)
			CHECK(strcmp(c->label_keys[i - 1], c->label_keys[i]) < 0);
		CHECK(bg_image_config_label(c, c->label_keys[i]) == c->label_values[i]);
	}
	for (size_t i = 0; i < c->n_diff_ids; i++)
		CHECK(bg_digest_valid(c->diff_ids[i]));
	bg_image_config_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *nl = memchr(p, '\n', size < 256 ? size : 256);
	char ct[256] = "";
	const char *doc = p;
	size_t len = size;
	if (nl) {
		size_t n = (size_t)(nl - p);
		memcpy(ct, p, n);
		ct[n] = '\0';
		doc = nl + 1;
		len = size - n - 1;
	}
	/* A NUL inside the Content-Type line just ends it early. */
	check_manifest(doc, len, strcmp(ct, "-") == 0 ? NULL : ct);
	check_config(doc, len);
	return 0;
}
