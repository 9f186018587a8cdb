/* bootgate — the scan cache: one file per (layer digest, paths-of-interest
 * digest) holding a layer's kept entries (layers.h), so a rebuilt image on
 * the same base only scans its new layers.
 *
 * Location: the directory given (--cache-dir), else $XDG_CACHE_HOME/bootgate,
 * else $HOME/.cache/bootgate; created 0700.  A file is
 *   <dir>/layers/<layer hex>-<paths hex first 32>.scan
 * written to a temporary file in the same directory and renamed into place,
 * so a reader sees a whole file or none.  The format is versioned
 * ("BGSCAN" + version) and ends with a SHA-256 of everything before it: a
 * file that is short, corrupt, of another version, or about another layer
 * or path set is ignored (a miss), never trusted.  The cache holds only
 * what was verified (digest and diff_id matched) when it was written. */
#ifndef BOOTGATE_SCANCACHE_H
#define BOOTGATE_SCANCACHE_H

#include <stdbool.h>

#include "bootgate/error.h"
#include "bootgate/layers.h"

#define BG_SCANCACHE_VERSION 1

/* The cache directory to use (newly allocated): dir when not NULL, else the
 * XDG location.  BG_E_USAGE when neither XDG_CACHE_HOME nor HOME is set. */
int bg_scancache_dir(const char *dir, char **out, bg_error *err);

/* Looks a layer up.  0 with *out NULL on a miss (including an unreadable or
 * corrupt file); 0 with *out set (from_cache true) on a hit. */
int bg_scancache_load(const char *dir, const char *layer_digest, const char *paths_digest,
		      bg_layer_scan **out, bg_error *err);

/* Stores a layer's scan atomically.  Errors are BG_E_EVAL (the caller may
 * ignore them: the cache is an optimisation). */
int bg_scancache_store(const char *dir, const char *paths_digest, const bg_layer_scan *scan,
		       bg_error *err);

#endif
