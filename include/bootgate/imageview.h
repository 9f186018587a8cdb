/* bootgate — the image view: the files of interest as the image finally has
 * them, built in memory by applying layers in order with OCI semantics
 * (image-spec layer.md "Applying Changesets"):
 *
 *   - an entry replaces what was at its path; a directory over a directory
 *     only updates its attributes; anything else over a directory removes
 *     the directory's subtree;
 *   - `.wh.<name>` deletes <name> (and its subtree) from LOWER layers only;
 *     entries of the same layer are not affected, whatever their order;
 *   - `<dir>/.wh..wh..opq` hides every child of <dir> from lower layers,
 *     applied before that layer's own entries whatever its position;
 *   - duplicate entries in one layer: the last one wins;
 *   - hardlinks take their target's content, type and metadata as the merged
 *     state has it at that moment (chains followed; a hardlink to a symlink
 *     is a symlink);
 *   - missing parent directories are created implicitly (0755, root);
 *   - the parent path of an entry is resolved through symlinks inside the
 *     view, as umoci (securejoin) and the kernel would when unpacking:
 *     a file written below a symlinked directory lands at its target.
 *
 * Lookups resolve symlinks inside the view only (the host is never looked
 * at): absolute targets start at the image root, ".." at the root stays at
 * the root (as in a chroot), at most BG_MAX_SYMLINK_HOPS symlinks per lookup.
 *
 * Paths given to lookups may be "/etc/x" or "etc/x"; "./", "//" and a
 * trailing "/" are normalised, ".." components are resolved lexically
 * after symlinks (as the kernel does, one component at a time). */
#ifndef BOOTGATE_IMAGEVIEW_H
#define BOOTGATE_IMAGEVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootgate/error.h"
#include "bootgate/layers.h"

typedef struct bg_file {
	const char *path;            /* absolute: "/etc/audit/audit.rules" */
	bg_entry_type type;          /* FILE, DIR, SYMLINK, CHAR, BLOCK, FIFO */
	uint32_t mode;               /* permission bits (07777) */
	uint32_t uid, gid;
	uint64_t size;
	const char *link_target;     /* symlinks: the target as written */
	const unsigned char *content; /* regular files: NUL-terminated; NULL when too_large */
	size_t content_len;
	bool too_large;              /* over BG_MAX_FILE_OF_INTEREST: content not kept */
	bool implicit;               /* a parent directory no layer wrote */
	bool was_hardlink;           /* written by a tar hardlink */
	int layer;                   /* index in the manifest of the layer that wrote it; -1 implicit */
	const char *layer_digest;    /* that layer's digest; NULL for implicit directories */
} bg_file;

typedef struct bg_imageview bg_imageview;

int bg_imageview_new(bg_imageview **out, bg_error *err);
/* Applies one scanned layer on top (layers must be applied in order:
 * index 0 first).  Errors: BG_E_INPUT when an entry would replace the root
 * with a non-directory, BG_E_NOMEM. */
int bg_imageview_apply(bg_imageview *v, int layer_index, const bg_layer_scan *layer,
		       bg_error *err);
void bg_imageview_free(bg_imageview *v);

/* The entry at path, final symlink NOT followed (intermediate ones are).
 * NULL when there is none (or resolution failed). */
const bg_file *bg_imageview_lstat(const bg_imageview *v, const char *path);
/* The entry at path with every symlink followed.  0 and *out set; or
 * BG_E_INPUT: not found, a loop (more than BG_MAX_SYMLINK_HOPS), or a
 * component that is not a directory — the message says which. */
int bg_imageview_stat(const bg_imageview *v, const char *path, const bg_file **out, bg_error *err);
/* The absolute path `path` resolves to (every symlink followed), newly
 * allocated; the target need not exist (its parent must resolve). */
int bg_imageview_resolve(const bg_imageview *v, const char *path, char **out, bg_error *err);
/* True when path resolves to a directory (implicit or written). */
bool bg_imageview_is_dir(const bg_imageview *v, const char *path);

/* The entries directly in directory `dir` (symlinks in dir followed),
 * sorted by name; *out is a malloc'd array of pointers into the view (free
 * it with free()).  BG_E_INPUT when dir is not a directory. */
int bg_imageview_list(const bg_imageview *v, const char *dir, const bg_file ***out, size_t *n,
		      bg_error *err);
/* Every entry under prefix (recursively, not following symlinks below it),
 * prefix itself included when it exists, sorted by path.  Same ownership. */
int bg_imageview_walk(const bg_imageview *v, const char *prefix, const bg_file ***out, size_t *n,
		      bg_error *err);
/* Every entry in the view, sorted by path. */
size_t bg_imageview_count(const bg_imageview *v);

/* Problems met while applying layers that do not stop the scan (a hardlink
 * whose target is missing, a whiteout of nothing is NOT one): text lines
 * "layer N (sha256:...): message".  Valid until the view is freed. */
size_t bg_imageview_warning_count(const bg_imageview *v);
const char *bg_imageview_warning(const bg_imageview *v, size_t i);

#endif
