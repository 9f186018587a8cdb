/* bootgate — OCI / Docker manifests, indexes and image configs: strict
 * parsing of the verified bytes, and platform selection from an index.
 *
 * Only the four kinds the gate accepts are parsed: OCI image manifest, OCI
 * image index, Docker schema2 manifest, Docker manifest list.  Docker schema1
 * is recognised and refused with a clear message.  A document whose
 * `mediaType` disagrees with the Content-Type it was served with, or that has
 * both `manifests` and `layers`/`config` (CVE-2021-41190), is refused.  JSON
 * is read strictly (strictjson.h): duplicate keys, trailing data and NUL
 * bytes are errors. */
#ifndef BOOTGATE_MANIFEST_H
#define BOOTGATE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootgate/error.h"

#define BG_MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define BG_MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define BG_MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define BG_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define BG_MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define BG_MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define BG_MEDIA_DOCKER_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define BG_MEDIA_DOCKER_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

/* The Accept header value a registry client sends for manifests. */
#define BG_MANIFEST_ACCEPT \
	BG_MEDIA_OCI_MANIFEST ", " BG_MEDIA_OCI_INDEX ", " BG_MEDIA_DOCKER_MANIFEST ", " BG_MEDIA_DOCKER_LIST

typedef enum bg_manifest_kind {
	BG_MANIFEST_OCI,          /* single-platform OCI image manifest */
	BG_MANIFEST_OCI_INDEX,    /* OCI image index */
	BG_MANIFEST_DOCKER,       /* Docker schema2 manifest */
	BG_MANIFEST_DOCKER_LIST,  /* Docker manifest list */
} bg_manifest_kind;

typedef struct bg_platform {
	char *os;           /* "linux" */
	char *architecture; /* "amd64" */
	char *variant;      /* "v8" or NULL */
} bg_platform;

typedef struct bg_descriptor {
	char *media_type;
	char *digest;       /* validated "sha256:<64 hex>" or "sha512:<128 hex>" */
	int64_t size;       /* >= 0 */
	bool has_platform;
	bg_platform platform;   /* index entries */
	char *ref_name;         /* annotation org.opencontainers.image.ref.name, or NULL */
	bool is_attestation;    /* annotation vnd.docker.reference.type=attestation-manifest */
	bool has_urls;          /* foreign/non-distributable layer: refused by the gate */
} bg_descriptor;

typedef struct bg_manifest {
	bg_manifest_kind kind;
	char *media_type;         /* as declared by the document (or inferred) */
	/* Single-platform manifests: */
	bg_descriptor config;
	bg_descriptor *layers;
	size_t n_layers;
	/* Indexes / lists: */
	bg_descriptor *manifests;
	size_t n_manifests;
} bg_manifest;

/* content_type: the Content-Type the bytes came with (parameters ignored),
 * or NULL when the transport has none (then the document's mediaType and
 * shape decide, as containers/image GuessMIMEType does).  Errors are
 * BG_E_EVAL ("could not evaluate": the source served something unusable)
 * with a message naming `what` (a URL or path). */
int bg_manifest_parse(const char *data, size_t len, const char *content_type, const char *what,
		      bg_manifest **out, bg_error *err);
void bg_manifest_free(bg_manifest *m);
bool bg_manifest_is_index(const bg_manifest *m);

/* "os/arch[/variant]"; BG_E_USAGE on a malformed string. */
int bg_platform_parse(const char *s, bg_platform *out, bg_error *err);
/* The machine's own platform (uname mapped to OCI names: x86_64 → amd64,
 * aarch64 → arm64 (variant v8), ...). */
int bg_platform_host(bg_platform *out, bg_error *err);
/* "linux/arm64/v8" (newly allocated). */
char *bg_platform_format(const bg_platform *p);
void bg_platform_free(bg_platform *p);

/* Picks the entry of an index for `want`, as containers/image does: exact
 * os/architecture, variant equal (arm64 treats "" and "v8" alike; arm
 * accepts lower variants v7 > v6 > v5 in that order), attestation manifests
 * skipped; the first best match wins.  BG_E_EVAL when nothing matches, with
 * the platforms the index offers in the message. */
int bg_manifest_select_platform(const bg_manifest *index, const bg_platform *want,
				const bg_descriptor **out, bg_error *err);

/* The parts of an image config the gate reports and uses. */
typedef struct bg_image_config {
	char *created;              /* RFC 3339 as written, or NULL */
	bg_platform platform;       /* os/architecture/variant */
	char **label_keys;          /* config.Labels, sorted by key */
	char **label_values;
	size_t n_labels;
	char **diff_ids;            /* rootfs.diff_ids, validated digests */
	size_t n_diff_ids;
} bg_image_config;

int bg_image_config_parse(const char *data, size_t len, const char *what, bg_image_config **out,
			  bg_error *err);
const char *bg_image_config_label(const bg_image_config *c, const char *key);
void bg_image_config_free(bg_image_config *c);

#endif
