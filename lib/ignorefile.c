/* bootgate — .containerignore / .dockerignore reading. */
#include "bootgate/ignorefile.h"
#include "bootgate/limits.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static bool is_regular_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int bg_ignorefile_locate(const char *context_dir, const char *containerfile, char **found, bg_error *err)
{
	*found = NULL;
	char *candidates[4] = {0};
	int n = 0;
	if (containerfile && strcmp(containerfile, "-") != 0) {
		if (asprintf(&candidates[n++], "%s.containerignore", containerfile) < 0 ||
		    asprintf(&candidates[n++], "%s.dockerignore", containerfile) < 0)
			goto oom;
	}
	const char *dir = context_dir && *context_dir ? context_dir : ".";
	if (asprintf(&candidates[n++], "%s/.containerignore", dir) < 0 ||
	    asprintf(&candidates[n++], "%s/.dockerignore", dir) < 0)
		goto oom;
	for (int i = 0; i < n; i++) {
		if (!*found && is_regular_file(candidates[i]))
			*found = BG_TAKE_PTR(candidates[i]);
		free(candidates[i]);
	}
	return 0;
oom:
	for (int i = 0; i < 4; i++)
		free(candidates[i]);
	return bg_error_set(err, BG_E_NOMEM, "out of memory");
}

/* filepath.Clean for the slash-separated patterns of an ignore file, then
 * without a leading '/' (patterns are relative to the context root). */
static char *clean_pattern(const char *p, size_t len)
{
	bg_strbuf out = {0};
	size_t i = 0;
	while (i < len) {
		while (i < len && p[i] == '/')
			i++;
		size_t start = i;
		while (i < len && p[i] != '/')
			i++;
		size_t seg = i - start;
		if (seg == 0 || (seg == 1 && p[start] == '.'))
			continue;
		if (seg == 2 && p[start] == '.' && p[start + 1] == '.') {
			/* ".." at the root stays at the root: the context has no parent. */
			char *slash = out.len ? strrchr(out.s, '/') : NULL;
			out.len = slash ? (size_t)(slash - out.s) : 0;
			if (out.s)
				out.s[out.len] = '\0';
			continue;
		}
		if (out.len)
			bg_strbuf_putc(&out, '/');
		bg_strbuf_add(&out, p + start, seg);
	}
	if (out.len == 0)
		bg_strbuf_putc(&out, '.');
	return bg_strbuf_take(&out);
}

int bg_ignorefile_parse(const char *path, const char *data, size_t len, bg_ignorefile **out,
			bg_error *err)
{
	bg_ignorefile *f = calloc(1, sizeof *f);
	if (!f || !(f->path = bg_strdup(path)))
		goto oom;
	size_t cap = 0;
	unsigned line = 0;
	for (size_t pos = 0; pos < len;) {
		const char *eol = memchr(data + pos, '\n', len - pos);
		size_t end = eol ? (size_t)(eol - data) : len;
		const char *s = data + pos;
		size_t n = end - pos;
		pos = end + 1;
		line++;
		if (memchr(s, '\0', n)) {
			bg_ignorefile_free(f);
			return bg_error_at(err, BG_E_INPUT, line, 0, "%s:%u: NUL byte in ignore file", path, line);
		}
		/* Comments are whole lines starting with '#' (before trimming, as moby). */
		if (n && s[0] == '#')
			continue;
		while (n && strchr(" \t\r\f\v", s[0]))
			s++, n--;
		while (n && strchr(" \t\r\f\v", s[n - 1]))
			n--;
		if (n == 0)
			continue;
		bool negated = s[0] == '!';
		if (negated) {
			s++, n--;
			while (n && strchr(" \t", s[0]))
				s++, n--;
			if (n == 0)
				continue;
		}
		if (f->n == cap) {
			cap = cap ? cap * 2 : 16;
			bg_ignore_pattern *v = realloc(f->v, cap * sizeof *v);
			if (!v)
				goto oom;
			f->v = v;
		}
		char *pattern = clean_pattern(s, n);
		if (!pattern)
			goto oom;
		f->v[f->n++] = (bg_ignore_pattern){.pattern = pattern, .negated = negated, .line = line};
	}
	*out = f;
	return 0;
oom:
	bg_ignorefile_free(f);
	return bg_error_set(err, BG_E_NOMEM, "out of memory");
}

int bg_ignorefile_load(const char *path, bg_ignorefile **out, bg_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int rc = bg_read_file(path, BG_MAX_CONFIG_FILE_BYTES, &data, &len, err);
	if (rc)
		return rc;
	return bg_ignorefile_parse(path, data, len, out, err);
}

/* A pattern that matches every path of the context. */
static bool matches_everything(const char *p)
{
	return strcmp(p, "*") == 0 || strcmp(p, "**") == 0 || strcmp(p, "**/*") == 0;
}

bool bg_ignorefile_is_allowlist(const bg_ignorefile *f)
{
	if (!f || f->n == 0 || f->v[0].negated || !matches_everything(f->v[0].pattern))
		return false;
	/* A later `!*` (or `!.`, the context root itself) undoes the allow-list;
	 * when in doubt the file does not count as one. */
	for (size_t i = 1; i < f->n; i++)
		if (f->v[i].negated &&
		    (matches_everything(f->v[i].pattern) || strcmp(f->v[i].pattern, ".") == 0))
			return false;
	return true;
}

void bg_ignorefile_free(bg_ignorefile *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].pattern);
	free(f->v);
	free(f->path);
	free(f);
}
