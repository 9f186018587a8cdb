/* bootgate — what a COPY/ADD source is, as BuildKit classifies it
 * (dockerfile2llb/convert_copy.go, dfgitutil/git_ref.go): a git repository,
 * an http(s) URL, or a path in the build context; and whether a git source or
 * an ADD --checksum pins it. */
#ifndef BOOTGATE_ADDSOURCE_H
#define BOOTGATE_ADDSOURCE_H

#include <stdbool.h>

typedef enum bg_source_kind {
	BG_SOURCE_LOCAL,
	BG_SOURCE_HTTP,
	BG_SOURCE_GIT,
} bg_source_kind;

bg_source_kind bg_source_classify(const char *src);

/* A local source that names the whole build context: ".", "./", "/", "..",
 * "*", "**", or "./" + "*" and the like (paths are cleaned first). */
bool bg_source_is_whole_context(const char *src);

/* A full commit id: 40 (SHA-1) or 64 (SHA-256 object format) lower-case hex. */
bool bg_is_commit_id(const char *s);

/* The commit a git source is pinned to by its own text — `#<commit>`
 * (optionally `#<commit>:subdir`), `?commit=<commit>` or
 * `?checksum=<commit>` — or false when it names a branch, tag or nothing. */
bool bg_git_source_pinned(const char *src);

#endif
