/* bootgate — the layer scan: every layer of an image streamed once, only the
 * entries of interest kept, merged into an image view (imageview.h).
 *
 * Per layer: bg_source_open_blob (digest and size verified at EOF) →
 * bg_inflate (gzip/zstd/none, media type and magic must agree, bomb caps) →
 * sha256 of the uncompressed stream (compared with the config's diff_id) →
 * libarchive's tar reader (tar format only, no filters) → the entries whose
 * normalised path matches the paths of interest are kept in memory with
 * their content (up to BG_MAX_FILE_OF_INTEREST; larger ones are kept as
 * "too large" without content).  The tar end marker is not the end: the
 * rest of the stream is read, so the digest and diff_id cover every byte.
 * Nothing is written to disk except the scan cache (scancache.h).
 *
 * Kept as well, because the view needs them to be right:
 *   - every directory, symlink and whiteout on the way to a path of interest
 *     (etc, etc/audit, etc/.wh.audit, etc/audit/.wh..wh..opq, ...);
 *   - the content of a hardlink target that a kept entry links to, even when
 *     the target itself is not of interest (rpm-ostree chunked layers, where
 *     etc/... are hardlinks to sysroot/ostree/repo/objects/...): the last few
 *     small entries are remembered while streaming, and a target that was not
 *     remembered is fetched by a second pass over that layer only; a target
 *     in a lower layer is fetched from that layer the same way.
 *   - the target of every kept symlink: when a symlink of interest points
 *     elsewhere (etc/audit/rules.d/x.rules -> /usr/share/...), the scan is
 *     repeated with the target added to the paths (a few rounds at most).
 *     Unit enablement links (.wants/, .requires/, .upholds/) and links into
 *     /dev (masks) do not widen: only their existence matters.
 *
 * Entry names are normalised: leading "/" and "./" removed, "//" collapsed,
 * a trailing "/" dropped.  A name with a ".." component, an empty name for a
 * non-directory, a name with a NUL or over BG_MAX_IMAGE_PATH bytes makes the
 * layer unusable (BG_E_INPUT): runtimes disagree on what such entries do
 * (umoci and containerd clamp at the root, containers/storage refuses), so
 * the gate refuses rather than guess. */
#ifndef BOOTGATE_LAYERS_H
#define BOOTGATE_LAYERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootgate/error.h"
#include "bootgate/image.h"
#include "bootgate/source.h"

typedef struct bg_imageview bg_imageview;

/* ---- paths of interest ---------------------------------------------- */

// Glob patterns over absolute image paths: "**" (a whole component) matches
// any number of components, including none; "*" and "?" and [...] match
// within one component (fnmatch without FNM_PERIOD).  "/etc/audit/**"
// matches /etc/audit itself and everything below it.
typedef struct bg_pathset bg_pathset;

// The default set: /usr/lib/audit/**, /etc/audit/**,
// /usr/lib/bootc/kargs.d/**, /usr/lib/systemd/system/auditd.service,
// /etc/systemd/system/**, /usr/lib/systemd/system-preset/**,
// /etc/systemd/system-preset/**.
extern const char *const bg_default_paths_of_interest[];

int bg_pathset_new(bg_pathset **out, bg_error *err);
/* Adds a pattern (absolute, or relative = from the root).  BG_E_USAGE for an
 * empty pattern, a ".." component or one longer than BG_MAX_IMAGE_PATH. */
int bg_pathset_add(bg_pathset *ps, const char *glob, bg_error *err);
/* Adds bg_default_paths_of_interest. */
int bg_pathset_add_defaults(bg_pathset *ps, bg_error *err);
/* path: normalised, without the leading "/" ("etc/audit/audit.rules"). */
bool bg_pathset_match(const bg_pathset *ps, const char *path);
/* True when a path below `path` could match (path is a possible ancestor). */
bool bg_pathset_is_ancestor(const bg_pathset *ps, const char *path);
/* "sha256:..." of the sorted, de-duplicated patterns: part of the cache key. */
const char *bg_pathset_digest(const bg_pathset *ps);
size_t bg_pathset_count(const bg_pathset *ps);
const char *bg_pathset_get(const bg_pathset *ps, size_t i);
void bg_pathset_free(bg_pathset *ps);

/* ---- one layer's kept entries ---------------------------------------- */

typedef enum bg_entry_type {
	BG_ENTRY_FILE = 0,
	BG_ENTRY_DIR = 1,
	BG_ENTRY_SYMLINK = 2,
	BG_ENTRY_HARDLINK = 3, /* only while unresolved; the view resolves it */
	BG_ENTRY_CHAR = 4,
	BG_ENTRY_BLOCK = 5,
	BG_ENTRY_FIFO = 6,
	BG_ENTRY_WHITEOUT = 7, /* .wh.<name>: path is the name it deletes */
	BG_ENTRY_OPAQUE = 8,   /* .wh..wh..opq: path is the directory made opaque */
} bg_entry_type;

/* "file", "directory", "symlink", ... */
const char *bg_entry_type_name(bg_entry_type t);

typedef struct bg_layer_entry {
	char *path;            /* normalised, no leading "/"; "" never */
	bg_entry_type type;
	uint32_t mode;         /* permission bits including setuid/setgid/sticky (07777) */
	uint32_t uid, gid;
	uint64_t size;         /* the tar entry's size (a hardlink: its target's) */
	char *link;            /* symlink: target as written; hardlink: normalised target path */
	unsigned char *data;   /* regular file content (NUL-terminated), NULL when too large */
	size_t len;
	bool too_large;        /* regular file over BG_MAX_FILE_OF_INTEREST: no content */
	bool was_hardlink;     /* a tar hardlink, resolved to its target's content */
	bool dangling;         /* hardlink whose target was not found */
	uint32_t seq;          /* position in the layer's tar (0-based) */
} bg_layer_entry;

typedef struct bg_layer_scan {
	char *digest;          /* the layer's (compressed) blob digest */
	char *diff_id;         /* sha256 of the uncompressed stream as computed */
	char *media_type;
	bg_layer_entry *entries; /* in tar order; duplicates kept (last wins when applied) */
	size_t n_entries;
	uint64_t bytes_in;     /* compressed bytes read */
	uint64_t bytes_out;    /* uncompressed bytes read */
	uint64_t tar_entries;  /* entries in the whole tar */
	bool from_cache;
} bg_layer_scan;

void bg_layer_scan_free(bg_layer_scan *s); /* frees the contents and s; accepts NULL */

/* Scans one layer (no cache).  d: the layer descriptor; expected_diff_id:
 * the config's diff_id for it (NULL: not checked).  extra[0..n_extra):
 * exact normalised paths whose content must be kept too (hardlink targets,
 * for the fallback pass).  max_out: uncompressed cap (0: default).  Errors: the blob's (BG_E_EVAL: digest, size, I/O), the
 * data's (BG_E_INPUT: corrupt or truncated stream or tar, compression
 * mismatch, bomb, diff_id mismatch, a refused name). */
int bg_layer_scan_blob(bg_source *src, const bg_descriptor *d, const char *expected_diff_id,
		       const bg_pathset *interest, const char *const *extra, size_t n_extra,
		       uint64_t max_out, bg_layer_scan **out, bg_error *err);

/* ---- the whole image ------------------------------------------------- */

typedef struct bg_layers_options {
	unsigned jobs;            /* layers scanned at once; 0: the number of online CPUs */
	const char *cache_dir;    /* NULL: $XDG_CACHE_HOME/bootgate or ~/.cache/bootgate */
	bool no_cache;            /* neither read nor write the cache */
	uint64_t max_layer_bytes; /* uncompressed cap per layer; 0: BG_MAX_LAYER_UNCOMPRESSED_BYTES */
} bg_layers_options;

typedef struct bg_layers_stats {
	unsigned layers;          /* layers in the image */
	unsigned scanned;         /* layers read from the source (all rounds, fallback passes) */
	unsigned from_cache;      /* layers answered by the cache */
	unsigned rounds;          /* scans of the image (>1 when symlinks widened the paths) */
	uint64_t bytes_in;        /* compressed bytes read from the source */
	uint64_t bytes_out;       /* uncompressed bytes inflated */
	uint64_t kept_entries;    /* entries in the final view */
} bg_layers_stats;

/* Scans every layer of a resolved image (bg_image_resolve) for the paths of
 * interest and builds the final view.  The first layer that fails fails the
 * scan, with the layer index and digest in the message.  stats may be NULL. */
int bg_layers_scan(bg_source *src, const bg_image *image, const bg_pathset *interest,
		   const bg_layers_options *opts, bg_imageview **view, bg_layers_stats *stats,
		   bg_error *err);

#endif
