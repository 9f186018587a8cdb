/* bootgate — a progress line on stderr for slow network work.
 *
 * Drawn only when the stream is a terminal and the caller did not ask for
 * quiet, and only for transfers that have been running for more than a
 * second (fast work stays silent).  One line, rewritten in place at most
 * five times a second, erased when the work is done, so logs and pipes
 * never see it.  bg_progress_update has the signature of
 * bg_source_options.progress and may be called from several transfer
 * threads at once (a mutex serialises drawing):
 *
 *     bg_progress *p = bg_progress_new(stderr, quiet);
 *     opts.progress = bg_progress_update;
 *     opts.progress_ctx = p;
 *     ...
 *     bg_progress_free(p);        // erases the line
 *
 * This is the one module of the library that writes to a stream, and only
 * to the one the caller hands it. */
#ifndef BOOTGATE_PROGRESS_H
#define BOOTGATE_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct bg_progress bg_progress;

/* stream: where to draw (normally stderr).  quiet: never draw.  NULL only
 * when out of memory (then pass NULL on: every function accepts it). */
bg_progress *bg_progress_new(FILE *stream, bool quiet);

/* True when this progress will draw (a tty and not quiet). */
bool bg_progress_enabled(const bg_progress *p);

/* Report that `what` (a short name: a digest or a URL) has done bytes of
 * total (0: unknown).  done == total (or the call for another `what`)
 * ends the previous item.  ctx is a bg_progress (or NULL: nothing). */
void bg_progress_update(void *ctx, const char *what, uint64_t done, uint64_t total);

/* Erase the line if one is shown (call before printing results). */
void bg_progress_clear(bg_progress *p);

/* Formats the line into buf ("sha256:4f2a1c… 12.5 MiB / 300.0 MiB  4.2 MiB/s")
 * without drawing it; elapsed_ms is the item's running time.  For tests and
 * for callers that draw elsewhere. */
void bg_progress_format(char *buf, size_t size, const char *what, uint64_t done, uint64_t total,
			uint64_t elapsed_ms);

/* Erases the line and frees.  Accepts NULL. */
void bg_progress_free(bg_progress *p);

#endif
