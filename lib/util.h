/* bootgate — private helpers shared by the library's modules:
 * growable strings, string vectors, file reading, ownership macros. */
#ifndef BOOTGATE_UTIL_H
#define BOOTGATE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bootgate/error.h"

/* Cleanup attribute for locals: `_cleanup_free_ char *s = NULL;` */
static inline void bg_freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ __attribute__((cleanup(bg_freep)))

/* Hand ownership out of a cleanup-managed local (systemd's TAKE_PTR). */
#define BG_TAKE_PTR(p) ({ __typeof__(p) _tp = (p); (p) = NULL; _tp; })

char *bg_strdup(const char *s);
char *bg_strndup(const char *s, size_t n);
/* s starts with prefix (inline: the rule checks call it per word). */
static inline bool bg_str_has_prefix(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (*s != *prefix)
			return false;
	return true;
}
bool bg_str_has_suffix(const char *s, const char *suffix);

/* Make *e an empty "no error" without clearing its 1 KiB message buffer
 * (as `= {0}` does): for errors on hot paths that are rarely filled. */
static inline void bg_error_init_quick(bg_error *e)
{
	e->status = BG_OK;
	e->message[0] = '\0';
	e->line = e->column = 0;
}

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
/* One byte: inline, since lexers append byte by byte; only a full buffer
 * takes the call to bg_strbuf_add. */
static inline void bg_strbuf_putc(bg_strbuf *b, char c)
{
	if (b->len + 2 <= b->cap && !b->oom) {
		b->s[b->len++] = c;
		b->s[b->len] = '\0';
		return;
	}
	bg_strbuf_add(b, &c, 1);
}
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

/* Bump allocator for data that is built once and freed all at once (a
 * parsed Containerfile): allocations are carved from large blocks, and
 * bg_arena_free releases every block, so thousands of small strings cost a
 * few mallocs and no per-string free.  Zero-initialise; nothing is ever
 * freed individually.  Under AddressSanitizer every allocation is followed
 * by a poisoned gap, so overflows are still caught. */
typedef struct bg_arena_block bg_arena_block;
typedef struct bg_arena {
	bg_arena_block *blocks; /* newest first */
	char *pos, *end;        /* free space in the newest block */
} bg_arena;

#if defined(__SANITIZE_ADDRESS__)
#define BG_ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BG_ARENA_ASAN 1
#endif
#endif

/* The slow path of bg_arena_alloc_aligned: a new block (or, under ASan, every
 * allocation).  NULL when out of memory. */
void *bg_arena_alloc_slow(bg_arena *a, size_t size, size_t align);

/* size bytes aligned to align (a power of two); NULL when out of memory.
 * The memory is not cleared. */
static inline void *bg_arena_alloc_aligned(bg_arena *a, size_t size, size_t align)
{
#ifndef BG_ARENA_ASAN
	uintptr_t p = ((uintptr_t)a->pos + (align - 1)) & ~(uintptr_t)(align - 1);
	if (a->pos && p <= (uintptr_t)a->end && size <= (uintptr_t)a->end - p) {
		a->pos = (char *)(p + size);
		return (void *)p;
	}
#endif
	return bg_arena_alloc_slow(a, size, align);
}

/* Memory for n objects of size `size` (any type: max_align_t alignment);
 * NULL when out of memory or n * size overflows. */
static inline void *bg_arena_array(bg_arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return bg_arena_alloc_aligned(a, n * size, _Alignof(max_align_t));
}

/* Copies of s[0..n) plus a NUL, and of size bytes at p; NULL when out of
 * memory. */
char *bg_arena_strndup(bg_arena *a, const char *s, size_t n);
void *bg_arena_memdup(bg_arena *a, const void *p, size_t size);

/* Frees every block; the arena is empty (and reusable) afterwards. */
void bg_arena_free(bg_arena *a);

/* Read a whole regular file (or stdin for "-") into memory, NUL-terminated,
 * refusing directories, non-regular files and anything over max bytes.
 * Errors are BG_E_USAGE (missing, unreadable, directory) with the path. */
int bg_read_file(const char *path, size_t max, char **data, size_t *len, bg_error *err);

#endif
