/* bootgate — where images come from: one interface over the registry
 * (docker://), OCI layout directories (oci:), OCI archives (oci-archive:) and
 * docker-save archives (docker-archive:).
 *
 * A source hands out raw bytes; it never decides they are good.  Every
 * manifest it returns is hashed by the caller (image.h) and every blob is
 * read through a bg_blob stream that hashes all bytes, counts them against
 * the descriptor's size, and fails at EOF (or as soon as the size is
 * exceeded) when they do not match.  Implementations live in
 * lib/source_registry.c, lib/source_oci.c, lib/source_ociarchive.c and
 * lib/source_dockerarchive.c. */
#ifndef BOOTGATE_SOURCE_H
#define BOOTGATE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bootgate/error.h"
#include "bootgate/manifest.h"
#include "bootgate/reference.h"

typedef struct bg_source bg_source;

/* Options for opening a source (registry ones are ignored by local ones). */
typedef struct bg_source_options {
	const char *authfile;        /* --authfile; NULL: the containers search order */
	const char *username;        /* --creds user:pass, split; never printed */
	const char *password;
	const char *cert_dir;        /* --cert-dir: CA .crt files, client .cert/.key */
	bool insecure;               /* --tls-verify=false: no TLS verification, http allowed */
	unsigned max_attempts;       /* retries per request (0: default 5) */
	unsigned deadline_seconds;   /* total time for one request with retries (0: default 300) */
	unsigned connect_timeout;    /* seconds (0: default 30) */
	unsigned low_speed_seconds;  /* abort when below 1 KiB/s for this long (0: default 60) */
	/* Progress for slow network work; NULL: silent.  Called from the
	 * thread doing the transfer. */
	void (*progress)(void *ctx, const char *what, uint64_t done, uint64_t total);
	void *progress_ctx;
} bg_source_options;

/* Raw bytes of a manifest as the source stored or served them. */
typedef struct bg_manifest_bytes {
	char *data;
	size_t len;
	char *content_type;     /* Content-Type (registry) or descriptor mediaType; may be NULL */
	char *location;         /* URL or path, for messages */
} bg_manifest_bytes;

void bg_manifest_bytes_free(bg_manifest_bytes *m);

/* A blob being read.  bg_blob_read returns bytes read (0 at the verified
 * end), or a negative bg_status with err filled: BG_E_EVAL for a digest
 * mismatch, a truncated or oversized body, or an I/O/network error.  The
 * stream reaches 0 only after every byte of the blob was read and its digest
 * and size matched. */
typedef struct bg_blob bg_blob;
ssize_t bg_blob_read(bg_blob *b, void *buf, size_t len, bg_error *err);
/* Reads the rest of the blob and verifies it (for callers that stopped early,
 * e.g. at a tar end-of-archive marker). */
int bg_blob_drain(bg_blob *b, bg_error *err);
/* Reads a whole small blob (at most max bytes), verified. */
int bg_blob_read_all(bg_blob *b, size_t max, char **data, size_t *len, bg_error *err);
void bg_blob_close(bg_blob *b);

/* What an implementation provides. */
typedef struct bg_source_ops {
	const char *name; /* "docker", "oci", "oci-archive", "docker-archive" */
	/* The manifest the image reference names (ref == NULL) or, by digest,
	 * a child manifest of an index (ref = "sha256:..."). */
	int (*get_manifest)(bg_source *s, const char *digest, bg_manifest_bytes *out, bg_error *err);
	/* Raw reader for a blob; the generic layer wraps it in digest and size
	 * checks.  `read` returns bytes, 0 at EOF, or a negative bg_status. */
	int (*open_blob)(bg_source *s, const bg_descriptor *d, void **handle, bg_error *err);
	ssize_t (*read_blob)(void *handle, void *buf, size_t len, bg_error *err);
	void (*close_blob)(void *handle);
	/* Optional: where the blob is read from (a URL, a path), for messages;
	 * NULL falls back to the image name. */
	char *(*describe_blob)(bg_source *s, const bg_descriptor *d);
	void (*close)(bg_source *s);
} bg_source_ops;

struct bg_source {
	const bg_source_ops *ops;
	bg_image_ref ref;        /* what the user asked for (parsed) */
	void *impl;              /* implementation state */
};

/* Opens the right implementation for an image string the user typed
 * ("docker://...", "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]",
 * "docker-archive:FILE", or a bare reference = docker://). */
int bg_source_open(const char *image, const bg_source_options *opts, bg_source **out, bg_error *err);
void bg_source_close(bg_source *s);

int bg_source_get_manifest(bg_source *s, const char *digest, bg_manifest_bytes *out, bg_error *err);
/* A verified stream over the blob the descriptor names. */
int bg_source_open_blob(bg_source *s, const bg_descriptor *d, bg_blob **out, bg_error *err);

/* Constructors, called by bg_source_open. */
int bg_source_registry_open(const bg_image_ref *ref, const bg_source_options *opts, bg_source **out,
			    bg_error *err);
int bg_source_oci_open(const bg_image_ref *ref, const bg_source_options *opts, bg_source **out,
		       bg_error *err);
int bg_source_ociarchive_open(const bg_image_ref *ref, const bg_source_options *opts, bg_source **out,
			      bg_error *err);
int bg_source_dockerarchive_open(const bg_image_ref *ref, const bg_source_options *opts,
				 bg_source **out, bg_error *err);

#endif
