/* bootgate — private pieces shared by the local transports (oci:,
 * oci-archive:, docker-archive:).  Not a public interface.
 *
 *  - source.c:             reading a small blob (a manifest) through a
 *                          source's raw ops, capped and digest-verified;
 *  - source_oci.c:         the OCI layout rules (oci-layout file, index.json,
 *                          choosing the image by name, by @N or as the only
 *                          one), used by the directory and archive readers;
 *  - source_ociarchive.c:  an index of a tar file's entries (names
 *                          normalised, traversal refused) and streams over
 *                          single entries, read with libarchive without
 *                          unpacking anything to disk. */
#ifndef BOOTGATE_SOURCE_LOCAL_H
#define BOOTGATE_SOURCE_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bootgate/source.h"

/* ---- source.c ---- */

/* Allocates a bg_source with ops and impl set (ref left zeroed:
 * bg_source_open moves the parsed reference in). */
bg_source *bg_source_new(const bg_source_ops *ops, void *impl);

/* Reads the blob `digest` through s->ops into out (NUL-terminated), at most
 * BG_MAX_MANIFEST_BYTES, and checks its digest, and its size when
 * size >= 0.  media_type becomes out->content_type (may be NULL); location
 * names the blob in messages. */
int bg_source_read_manifest_blob(bg_source *s, const char *digest, int64_t size,
				 const char *media_type, const char *location, bg_manifest_bytes *out,
				 bg_error *err);

/* ---- source_oci.c ---- */

/* The part of a descriptor a local source keeps after choosing an image. */
typedef struct bg_oci_choice {
	char *digest;
	char *media_type;
	int64_t size;
} bg_oci_choice;

void bg_oci_choice_free(bg_oci_choice *c);

/* Checks the `oci-layout` file: a JSON object whose imageLayoutVersion is
 * "1.x.y".  where names the layout in messages. */
int bg_oci_check_layout_file(const char *data, size_t len, const char *where, bg_error *err);

/* Parses index.json and chooses the image: by name (the
 * org.opencontainers.image.ref.name annotation; the first match wins, as
 * containers/image), by position (source_index >= 0), or — with neither —
 * the only entry, else an error listing the names.  name may be NULL. */
int bg_oci_choose(const char *index_data, size_t index_len, const char *name, int source_index,
		  const char *where, bg_oci_choice *out, bg_error *err);

/* "blobs/<alg>/<hex>" for a validated digest; NULL (err set) otherwise.
 * This is the only way a local source turns a digest into a path. */
char *bg_oci_blob_path(const char *digest, const char *where, bg_error *err);

/* ---- source_ociarchive.c ---- */

typedef enum bg_tar_type {
	BG_TAR_FILE,
	BG_TAR_SYMLINK,
	BG_TAR_HARDLINK,
	BG_TAR_OTHER, /* device, fifo, ... (directories are not recorded) */
} bg_tar_type;

typedef struct bg_tar_entry {
	char *name;        /* normalised: no "./", no "//", no trailing '/' */
	bg_tar_type type;
	char *link;        /* symlink target as written / hardlink target normalised */
	int64_t size;
	size_t ordinal;    /* position among all headers, for the second pass */
	unsigned char magic[4]; /* first bytes of a regular file (compression sniffing) */
	size_t magic_len;
	char *data;        /* whole content when cached by the first pass, NUL-terminated */
	size_t data_len;
} bg_tar_entry;

typedef struct bg_tar_index bg_tar_index;

/* Decides which regular entries the first pass keeps in memory: those it
 * accepts of at most max_cache bytes each, while the index holds less than
 * BG_TAR_CACHE_BUDGET bytes in all (the rest are streamed when asked for). */
typedef bool (*bg_tar_cache_fn)(const char *name, int64_t size);
#define BG_TAR_CACHE_BUDGET (32 * 1024 * 1024)

/* Walks the archive once: records every entry (regular files, links) with
 * its normalised name, refuses absolute names, ".." components and
 * duplicate names, and caches the small files `cache` asks for.  The file
 * stays open (as an fd) for bg_tar_entry_open.  where names the archive in
 * messages. */
int bg_tar_index_open(const char *path, const char *where, bg_tar_cache_fn cache, size_t max_cache,
		      bg_tar_index **out, bg_error *err);
void bg_tar_index_free(bg_tar_index *t);
const char *bg_tar_index_where(const bg_tar_index *t);

/* The entry with this normalised name, or NULL. */
const bg_tar_entry *bg_tar_index_find(const bg_tar_index *t, const char *name);
/* Follows a symlink or hardlink entry once (as containers/image does) to a
 * regular file; errors name the entry. */
int bg_tar_index_resolve(const bg_tar_index *t, const bg_tar_entry *e, const bg_tar_entry **out,
			 bg_error *err);
size_t bg_tar_index_count(const bg_tar_index *t);
const bg_tar_entry *bg_tar_index_at(const bg_tar_index *t, size_t i);

/* Normalises a path written inside an archive or an archive's manifest
 * ("./a//b/" → "a/b").  Returns NULL for absolute paths, ".." components and
 * empty results (err says which). */
char *bg_tar_normalise(const char *name, const char *where, bg_error *err);

/* A stream over one regular entry's bytes: the second pass re-reads the
 * archive from the start (skipping, i.e. seeking, over other entries on an
 * uncompressed tar) up to the entry.  Several streams may be open at once. */
int bg_tar_entry_open(bg_tar_index *t, const bg_tar_entry *e, void **handle, bg_error *err);
ssize_t bg_tar_entry_read(void *handle, void *buf, size_t len, bg_error *err);
void bg_tar_entry_close(void *handle);

/* Reads a whole entry (cached or streamed), at most max bytes, NUL-terminated. */
int bg_tar_entry_read_all(bg_tar_index *t, const bg_tar_entry *e, size_t max, char **data,
			  size_t *len, bg_error *err);

#endif
