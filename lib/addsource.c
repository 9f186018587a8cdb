/* bootgate — COPY/ADD source classification. */
#include "addsource.h"

#include <string.h>

#include "util.h"

static bool is_hex_lower(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool bg_is_commit_id(const char *s)
{
	size_t n = strlen(s);
	return (n == 40 || n == 64) && is_hex_lower(s, n);
}

/* scp-style "user@host:path" (BuildKit's regex
 * ^([a-zA-Z0-9-_]+)@([a-zA-Z0-9-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?$). */
static bool is_scp_style(const char *s)
{
	const char *p = s;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '-' || *p == '_')
		p++;
	if (p == s || *p != '@')
		return false;
	const char *host = ++p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '-' || *p == '.')
		p++;
	return p > host && *p == ':';
}

/* An http(s) URL whose path (before ?query and #fragment) ends in ".git". */
static bool http_path_ends_git(const char *s)
{
	size_t end = strcspn(s, "?#");
	return end >= 4 && memcmp(s + end - 4, ".git", 4) == 0;
}

bg_source_kind bg_source_classify(const char *src)
{
	if (bg_str_has_prefix(src, "./") || bg_str_has_prefix(src, "../"))
		return BG_SOURCE_LOCAL;
	if (bg_str_has_prefix(src, "git://") || bg_str_has_prefix(src, "ssh://") ||
	    bg_str_has_prefix(src, "git@") || is_scp_style(src))
		return BG_SOURCE_GIT;
	if (bg_str_has_prefix(src, "http://") || bg_str_has_prefix(src, "https://"))
		return http_path_ends_git(src) ? BG_SOURCE_GIT : BG_SOURCE_HTTP;
	return BG_SOURCE_LOCAL;
}

bool bg_source_is_whole_context(const char *src)
{
	/* Clean the path as BuildKit does before it reads the context: "." and
	 * empty elements vanish, ".." removes the element before it and cannot
	 * climb above the root (a leading "/" or "../" is clamped to it).  What
	 * is left must be nothing (the root) or elements made only of '*'
	 * ("*", "**", "**" "/" "*"), which match every entry of the context. */
	enum { MAX_ELEMENTS = 256 };
	bool star_only[MAX_ELEMENTS];
	size_t depth = 0;
	for (const char *p = src; *p;) {
		while (*p == '/')
			p++;
		const char *start = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - start);
		if (len == 0 || (len == 1 && *start == '.'))
			continue;
		if (len == 2 && start[0] == '.' && start[1] == '.') {
			if (depth)
				depth--;
			continue;
		}
		if (depth == MAX_ELEMENTS)
			return false;
		bool stars = true;
		for (size_t i = 0; i < len; i++)
			stars &= start[i] == '*';
		star_only[depth++] = stars;
	}
	for (size_t i = 0; i < depth; i++)
		if (!star_only[i])
			return false;
	return true;
}

static bool query_pins(const char *query, size_t len)
{
	/* key=value pairs separated by '&'; commit= or checksum= with a full id. */
	const char *p = query, *end = query + len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pair_end = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pair_end - p));
		if (eq) {
			size_t klen = (size_t)(eq - p), vlen = (size_t)(pair_end - eq - 1);
			bool key = (klen == 6 && memcmp(p, "commit", 6) == 0) ||
				   (klen == 8 && memcmp(p, "checksum", 8) == 0);
			if (key && (vlen == 40 || vlen == 64) && is_hex_lower(eq + 1, vlen))
				return true;
		}
		p = pair_end + 1;
	}
	return false;
}

bool bg_git_source_pinned(const char *src)
{
	const char *hash = strchr(src, '#');
	const char *q = strchr(src, '?');
	if (q && (!hash || q < hash)) {
		size_t qlen = hash ? (size_t)(hash - q - 1) : strlen(q + 1);
		if (query_pins(q + 1, qlen))
			return true;
	}
	if (hash) {
		const char *ref = hash + 1;
		size_t n = strcspn(ref, ":");
		if ((n == 40 || n == 64) && is_hex_lower(ref, n))
			return true;
	}
	return false;
}
