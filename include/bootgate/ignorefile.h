/* bootgate — build-context ignore files (.containerignore / .dockerignore).
 *
 * The linter only needs to know whether a context's ignore file is an
 * allow-list: it first excludes everything (`*` or `**`) and then re-includes
 * named paths with `!path` lines.  With such a file, `COPY . /dst` copies only
 * what the file names, so the broad-context rule lets it pass.
 * Patterns are read as moby/patternmatcher's ReadAll reads them. */
#ifndef BOOTGATE_IGNOREFILE_H
#define BOOTGATE_IGNOREFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/error.h"

typedef struct bg_ignore_pattern {
	char *pattern;  /* cleaned: no leading '/', no "./", no trailing '/' */
	bool negated;   /* a `!pattern` line: re-include */
	unsigned line;
} bg_ignore_pattern;

typedef struct bg_ignorefile {
	char *path;
	bg_ignore_pattern *v;
	size_t n;
} bg_ignorefile;

/* The ignore file a build of `containerfile` with context `context_dir` would
 * use, in the builders' order: <Containerfile>.containerignore and
 * <Containerfile>.dockerignore next to the Containerfile (BuildKit), then
 * <context>/.containerignore, then <context>/.dockerignore (podman/buildah).
 * Sets *found to a new string, or NULL when there is none. Returns 0 or <0. */
int bg_ignorefile_locate(const char *context_dir, const char *containerfile, char **found, bg_error *err);

int bg_ignorefile_parse(const char *path, const char *data, size_t len, bg_ignorefile **out,
			bg_error *err);
int bg_ignorefile_load(const char *path, bg_ignorefile **out, bg_error *err);

/* True when the first pattern excludes everything and no later line
 * re-includes everything. */
bool bg_ignorefile_is_allowlist(const bg_ignorefile *f);

void bg_ignorefile_free(bg_ignorefile *f);

#endif
