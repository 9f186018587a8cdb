/* bootgate — resolving an image: the verified manifest chain.
 *
 * bg_image_resolve asks a source for the manifest the reference names,
 * hashes the bytes (sha256 of exactly the bytes received; never a header),
 * compares the hash with the digest in the reference when there is one,
 * parses the document, and when it is an index selects the platform's
 * manifest, fetches it by digest and verifies that too.  Then it reads the
 * config blob (verified, at most 4 MiB).  Both the index digest and the
 * platform manifest digest are kept: skopeo reports the first, bootc status
 * the second. */
#ifndef BOOTGATE_IMAGE_H
#define BOOTGATE_IMAGE_H

#include "bootgate/manifest.h"
#include "bootgate/source.h"

typedef struct bg_image {
	char *index_digest;        /* NULL when the reference named a single manifest */
	char *index_media_type;
	char *manifest_digest;     /* the platform manifest's digest */
	char *manifest_media_type;
	char *manifest_data;       /* the verified manifest bytes (for --raw) */
	size_t manifest_len;
	char *index_data;          /* the verified index bytes, when there is one */
	size_t index_len;
	bg_manifest *manifest;     /* parsed platform manifest */
	bg_image_config *config;   /* parsed config */
	char *config_digest;
} bg_image;

/* platform: NULL = the host's platform. */
int bg_image_resolve(bg_source *src, const bg_platform *platform, bg_image **out, bg_error *err);
void bg_image_free(bg_image *img);

#endif
