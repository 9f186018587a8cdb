/* bootgate — private helpers. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef BG_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#endif

char *bg_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *bg_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

bool bg_str_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

static bool strbuf_reserve(bg_strbuf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		b->oom = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void bg_strbuf_add(bg_strbuf *b, const char *s, size_t n)
{
	if (!strbuf_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void bg_strbuf_puts(bg_strbuf *b, const char *s)
{
	bg_strbuf_add(b, s, strlen(s));
}

void bg_strbuf_printf(bg_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !strbuf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *bg_strbuf_take(bg_strbuf *b)
{
	if (b->oom) {
		bg_strbuf_free(b);
		return NULL;
	}
	if (!b->s) {
		if (!strbuf_reserve(b, 0))
			return NULL;
		b->s[0] = '\0';
	}
	char *s = b->s;
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void bg_strbuf_free(bg_strbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

int bg_strv_push_take(bg_strv *sv, char *s)
{
	if (!s)
		return -1;
	if (sv->n + 1 >= sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 8;
		char **v = realloc(sv->v, cap * sizeof *v);
		if (!v) {
			free(s);
			return -1;
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

int bg_strv_push(bg_strv *sv, const char *s)
{
	return bg_strv_push_take(sv, bg_strdup(s));
}

bool bg_strv_contains(const bg_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

void bg_strv_free(bg_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

/* --- arena ---------------------------------------------------------------- */

struct bg_arena_block {
	bg_arena_block *next;
	size_t size; /* bytes of data */
	max_align_t data[];
};

/* Blocks start at 16 KiB and double up to 1 MiB, so a small file costs one
 * small block and a big one a handful. */
#define ARENA_FIRST_BLOCK ((size_t)16 << 10)
#define ARENA_MAX_BLOCK ((size_t)1 << 20)

#ifdef BG_ARENA_ASAN
/* Poisoned bytes after each allocation. */
#define ARENA_REDZONE 16
#else
#define ARENA_REDZONE 0
#endif

/* Room for size bytes at align in the current block: the address, else 0. */
static uintptr_t arena_fit(const bg_arena *a, size_t size, size_t align)
{
	if (!a->pos)
		return 0;
	uintptr_t p = ((uintptr_t)a->pos + (align - 1)) & ~(uintptr_t)(align - 1);
	if (p > (uintptr_t)a->end || size > SIZE_MAX - ARENA_REDZONE ||
	    (uintptr_t)a->end - p < size + ARENA_REDZONE)
		return 0;
	return p;
}

void *bg_arena_alloc_slow(bg_arena *a, size_t size, size_t align)
{
	uintptr_t p = arena_fit(a, size, align);
	if (!p) {
		size_t want = a->blocks ? a->blocks->size * 2 : ARENA_FIRST_BLOCK;
		if (want > ARENA_MAX_BLOCK)
			want = ARENA_MAX_BLOCK;
		if (size > SIZE_MAX / 2 - align - ARENA_REDZONE - sizeof(bg_arena_block))
			return NULL;
		if (want < size + align + ARENA_REDZONE)
			want = size + align + ARENA_REDZONE; /* a big allocation gets its own block */
		bg_arena_block *blk = malloc(sizeof *blk + want);
		if (!blk)
			return NULL;
		blk->next = a->blocks;
		blk->size = want;
		a->blocks = blk;
		a->pos = (char *)blk->data;
		a->end = a->pos + want;
#ifdef BG_ARENA_ASAN
		ASAN_POISON_MEMORY_REGION(blk->data, want);
#endif
		p = arena_fit(a, size, align);
	}
	a->pos = (char *)(p + size + ARENA_REDZONE);
#ifdef BG_ARENA_ASAN
	ASAN_UNPOISON_MEMORY_REGION((void *)p, size);
#endif
	return (void *)p;
}

char *bg_arena_strndup(bg_arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *d = bg_arena_alloc_aligned(a, n + 1, 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void *bg_arena_memdup(bg_arena *a, const void *p, size_t size)
{
	void *d = bg_arena_alloc_aligned(a, size, _Alignof(max_align_t));
	if (d && size)
		memcpy(d, p, size);
	return d;
}

void bg_arena_free(bg_arena *a)
{
	while (a->blocks) {
		bg_arena_block *next = a->blocks->next;
#ifdef BG_ARENA_ASAN
		ASAN_UNPOISON_MEMORY_REGION(a->blocks->data, a->blocks->size);
#endif
		free(a->blocks);
		a->blocks = next;
	}
	a->pos = a->end = NULL;
}

int bg_read_file(const char *path, size_t max, char **data, size_t *len, bg_error *err)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return bg_error_set(err, BG_E_USAGE, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (!is_stdin)
			close(fd);
		return bg_error_set(err, BG_E_USAGE, "%s: is a directory, not a file", path);
	}
	bg_strbuf b = {0};
	char chunk[65536];
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			if (!is_stdin)
				close(fd);
			bg_strbuf_free(&b);
			return bg_error_set(err, BG_E_USAGE, "%s: cannot read: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		if (b.len + (size_t)r > max) {
			if (!is_stdin)
				close(fd);
			bg_strbuf_free(&b);
			return bg_error_set(err, BG_E_USAGE, "%s: larger than the %zu-byte limit", path, max);
		}
		bg_strbuf_add(&b, chunk, (size_t)r);
	}
	if (!is_stdin)
		close(fd);
	*len = b.len;
	*data = bg_strbuf_take(&b);
	if (!*data)
		return bg_error_set(err, BG_E_NOMEM, "%s: out of memory", path);
	return 0;
}
