/* bootgate — private helpers. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

bool bg_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
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

void bg_strbuf_putc(bg_strbuf *b, char c)
{
	bg_strbuf_add(b, &c, 1);
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
