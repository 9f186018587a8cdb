/* bootgate — private helpers shared by the library's modules:
 * growable strings, string vectors, file reading, ownership macros. */
#ifndef BOOTGATE_UTIL_H
#define BOOTGATE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "bootgate/error.h"

/* Cleanup attribute for locals: `_cleanup_free_ char *s = NULL;` */
static inline void bg_freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ __attribute__((cleanup(bg_freep)))

/* Hand ownership out of a cleanup-managed local (systemd's TAKE_PTR). */
#define BG_TAKE_PTR(p) ({ __typeof__(p) _tp = (p); (p) = NULL; _tp; })

char *bg_strdup(const char *s);
char *bg_strndup(const char *s, size_t n);
bool bg_str_has_prefix(const char *s, const char *prefix);
bool bg_str_has_suffix(const char *s, const char *suffix);

/* Growable, always NUL-terminated byte string.  On allocation failure the
 * buffer remembers it (oom) and later appends are no-ops, so callers check
 * once at the end. */
typedef struct bg_strbuf {
	char *s;
	size_t len, cap;
	bool oom;
} bg_strbuf;

void bg_strbuf_add(bg_strbuf *b, const char *s, size_t n);
void bg_strbuf_puts(bg_strbuf *b, const char *s);
void bg_strbuf_putc(bg_strbuf *b, char c);
void bg_strbuf_printf(bg_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the string (never NULL unless oom) and resets the buffer. */
char *bg_strbuf_take(bg_strbuf *b);
void bg_strbuf_free(bg_strbuf *b);

/* Growable vector of owned strings. */
typedef struct bg_strv {
	char **v;
	size_t n, cap;
} bg_strv;

int bg_strv_push(bg_strv *sv, const char *s);      /* copies s */
int bg_strv_push_take(bg_strv *sv, char *s);       /* takes s */
bool bg_strv_contains(const bg_strv *sv, const char *s);
void bg_strv_free(bg_strv *sv);

/* Read a whole regular file (or stdin for "-") into memory, NUL-terminated,
 * refusing directories, non-regular files and anything over max bytes.
 * Errors are BG_E_USAGE (missing, unreadable, directory) with the path. */
int bg_read_file(const char *path, size_t max, char **data, size_t *len, bg_error *err);

#endif
