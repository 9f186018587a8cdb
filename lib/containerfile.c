/* bootgate — BuildKit-compatible Containerfile parser.
 *
 * parse: BuildKit's parser.Parse (frontend/dockerfile/parser/parser.go,
 * directives.go, split_command.go, line_parsers.go), followed line by line:
 * where BuildKit's behaviour comes from a Go library (unicode.IsSpace,
 * invalid UTF-8, strconv.Quote, encoding/json) gotext.h supplies the same.
 * validate: the checks of BuildKit's instructions.Parse.
 * The dump is Node.Dump(), compared with BuildKit's testfiles. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include "bootgate/containerfile.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bootgate/limits.h"
#include "bootgate/shellword.h"
#include "gotext.h"
#include "util.h"

/* An ONBUILD trigger is itself parsed as an instruction; BuildKit rejects
 * ONBUILD ONBUILD later anyway, this only bounds the recursion. */
#define MAX_ONBUILD_DEPTH 16

/* --- storage ----------------------------------------------------------------- */

/* A parsed file and the arena that holds every string and array of its
 * instructions (and their comments, heredocs, triggers and directives):
 * parsing allocates from large blocks, and freeing is a handful of calls.
 * The public struct comes first, so the caller's pointer is this one. */
typedef struct cf_owned {
	bg_containerfile cf;
	bg_arena arena;
} cf_owned;

static bool grow(void **v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return true;
	size_t c = *cap ? *cap * 2 : 4;
	while (c < need)
		c *= 2;
	void *nv = realloc(*v, c * size);
	if (!nv)
		return false;
	*v = nv;
	*cap = c;
	return true;
}

/* A scratch list of arguments (or flags) being collected for one
 * instruction; the strings are in the arena, the list itself is reused. */
typedef struct arglist {
	bg_arg *v;
	size_t n, cap;
} arglist;

static int arglist_push_arena(arglist *a, char *s, size_t len)
{
	if (!grow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v))
		return BG_E_NOMEM;
	a->v[a->n++] = (bg_arg){s, len};
	return 0;
}

/* --- parser state ------------------------------------------------------------ */

typedef struct parser {
	bg_containerfile *cf;
	bg_arena *arena;
	bg_error *err;
	char escape;
	bool directives_done;
	bool seen_syntax, seen_escape, seen_check;
	bg_comment *comments; /* pending comments for the next instruction (texts in the arena) */
	size_t n_comments, cap_comments;
	size_t cap_nodes, cap_directives, cap_empty;
	/* Scratch space reused from one instruction to the next. */
	bg_strbuf line;       /* the logical line */
	bg_strbuf word;       /* the word being built */
	arglist flags, args, words;
} parser;

static int parse_error(parser *p, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int parse_error(parser *p, unsigned line, const char *fmt, ...)
{
	char msg[BG_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return bg_error_at(p->err, BG_E_INPUT, line, 0, "%s:%u: %s", p->cf->name, line, msg);
}

static int oom(parser *p)
{
	return bg_error_set(p->err, BG_E_NOMEM, "%s: out of memory while parsing", p->cf->name);
}

/* Copy s[0..len) to the arena and add it to a scratch list. */
static int arglist_push(parser *p, arglist *a, const char *s, size_t len)
{
	char *d = bg_arena_strndup(p->arena, s, len);
	if (!d)
		return BG_E_NOMEM;
	return arglist_push_arena(a, d, len);
}

/* Add the word built in p->word to a scratch list and empty p->word. */
static int push_word(parser *p, arglist *a)
{
	if (p->word.oom)
		return BG_E_NOMEM;
	int rc = arglist_push(p, a, p->word.s ? p->word.s : "", p->word.len);
	p->word.len = 0;
	return rc;
}

/* Physical line i (0-based) with its '\n', as bufio.Scanner + scanLines give it. */
static const char *raw_line(const bg_containerfile *cf, size_t i, size_t *len)
{
	size_t start = cf->line_start[i];
	size_t end = i + 1 < cf->n_lines ? cf->line_start[i + 1] : cf->source_len;
	*len = end - start;
	return cf->source + start;
}

/* trimNewline: drop every trailing '\r' and '\n'. */
static size_t trim_newline(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n;
}

/* isComment: first non-space character (unicode.IsSpace) is '#'. */
static bool is_comment(const char *s, size_t n)
{
	size_t k = bg_go_space_prefix(s, n);
	return k < n && s[k] == '#';
}

/* unicode.IsSpace(rune(b)) of a single byte, as BuildKit's byte loops do. */
static bool is_space_byte(unsigned char b)
{
	return (b >= '\t' && b <= '\r') || b == ' ' || b == 0x85 || b == 0xA0;
}

/* The [\t\v\f\r ] of BuildKit's reWhitespace. */
static bool is_ws_re(char c)
{
	return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ';
}

/* Go regexp \s: [\t\n\f\r ]. */
static bool is_re_s(char c)
{
	return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static void trim_space(const char **s, size_t *n)
{
	size_t k = bg_go_space_prefix(*s, *n);
	*s += k;
	*n -= k;
	*n -= bg_go_space_suffix(*s, *n);
}

/* --- parser directives ---------------------------------------------------------- */

static int add_directive(parser *p, const char *key, const char *v, size_t vn, unsigned line)
{
	bg_containerfile *cf = p->cf;
	if (!grow((void **)&cf->directives, &p->cap_directives, cf->n_directives + 1,
		  sizeof *cf->directives))
		return oom(p);
	bg_directive *d = &cf->directives[cf->n_directives];
	d->name = bg_arena_strndup(p->arena, key, strlen(key));
	d->value = bg_arena_strndup(p->arena, v, vn);
	d->line = line;
	if (!d->name || !d->value)
		return oom(p);
	cf->n_directives++;
	return 0;
}

/* DirectiveParser.ParseLine on a left-trimmed line without its newline:
 * ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$ with a known key.  Returns 1
 * for a directive, 0 when scanning ends here, <0 on error. */
static int directive_line(parser *p, const char *s, size_t n, unsigned line)
{
	if (p->directives_done)
		return 0;
	size_t i = 0;
	if (n == 0 || s[0] != '#')
		goto done;
	i = 1;
	while (i < n && is_re_s(s[i]))
		i++;
	size_t key = i;
	if (i >= n || !((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z'))
		goto done;
	while (i < n && (((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') || (s[i] >= '0' && s[i] <= '9')))
		i++;
	size_t key_len = i - key;
	while (i < n && is_re_s(s[i]))
		i++;
	if (i >= n || s[i] != '=')
		goto done;
	i++;
	/* Value: leading \s skipped, trailing \s dropped; an all-blank value of
	 * at least one character leaves its last character (the lazy (.+?)). */
	const char *v = s + i;
	size_t vn = n - i, lead = 0;
	if (vn == 0)
		goto done;
	while (lead < vn && is_re_s(v[lead]))
		lead++;
	if (lead == vn) {
		v += vn - 1;
		vn = 1;
	} else {
		v += lead;
		vn -= lead;
		while (vn > 0 && is_re_s(v[vn - 1]))
			vn--;
	}
	char k[16];
	if (key_len >= sizeof k)
		goto done;
	for (size_t j = 0; j < key_len; j++)
		k[j] = (char)((s[key + j] >= 'A' && s[key + j] <= 'Z') ? s[key + j] + 32 : s[key + j]);
	k[key_len] = '\0';
	bool *seen;
	if (strcmp(k, "syntax") == 0)
		seen = &p->seen_syntax;
	else if (strcmp(k, "escape") == 0)
		seen = &p->seen_escape;
	else if (strcmp(k, "check") == 0)
		seen = &p->seen_check;
	else
		goto done;
	if (*seen)
		return parse_error(p, line, "only one %s parser directive can be used (remove the repeated one)", k);
	*seen = true;
	if (strcmp(k, "escape") == 0) {
		if (vn != 1 || (v[0] != '\\' && v[0] != '`'))
			return parse_error(p, line, "invalid escape token '%.*s' does not match ` or \\", (int)vn, v);
		p->escape = v[0];
		p->cf->escape = v[0];
	}
	int rc = add_directive(p, k, v, vn, line);
	return rc < 0 ? rc : 1;
done:
	p->directives_done = true;
	return 0;
}

/* --- line continuation ------------------------------------------------------------ */

/* lineContinuationRegex: the escape as last non-blank character, not itself
 * escaped ("foo\\" does not continue).  Returns the length without it, or
 * SIZE_MAX when the line does not continue. */
static size_t continuation(const char *s, size_t n, char escape)
{
	size_t e = n;
	while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	if (e == 0 || s[e - 1] != escape)
		return SIZE_MAX;
	if (e >= 2 && s[e - 2] == escape)
		return SIZE_MAX;
	return e - 1;
}

/* --- splitting an instruction ------------------------------------------------------- */

typedef struct split {
	const char *cmd;
	size_t cmd_len;
	const char *args;
	size_t args_len;
} split;

/* extractBuilderFlags: leading "--" words, quotes and escapes processed,
 * byte by byte as BuildKit does (a byte >= 0x80 is taken as the rune of that
 * value).  A bare "--" ends the flags.  The flags go to p->flags. */
static int extract_flags(parser *p, const char *line, size_t len, char escape, split *out)
{
	enum { SPACES, WORD, QUOTE } phase = SPACES;
	bg_strbuf *word = &p->word;
	char quote = 0;
	bool blank_ok = false;
	unsigned char ch = 0;
	word->len = 0;
	out->args = line + len;
	out->args_len = 0;
	for (size_t pos = 0; pos <= len; pos++) {
		if (pos != len)
			ch = (unsigned char)line[pos];
		if (phase == SPACES) {
			if (pos == len)
				break;
			if (is_space_byte(ch))
				continue;
			if (ch != '-' || pos + 1 == len || line[pos + 1] != '-') {
				out->args = line + pos;
				out->args_len = len - pos;
				break;
			}
			phase = WORD;
		}
		bool is_dashdash = word->len == 2 && memcmp(word->s, "--", 2) == 0;
		if (pos == len) {
			if (!is_dashdash && (blank_ok || word->len > 0) && push_word(p, &p->flags) < 0)
				return BG_E_NOMEM;
			break;
		}
		if (phase == WORD) {
			if (is_space_byte(ch)) {
				phase = SPACES;
				if (is_dashdash) {
					out->args = line + pos;
					out->args_len = len - pos;
					break;
				}
				if ((blank_ok || word->len > 0) && push_word(p, &p->flags) < 0)
					return BG_E_NOMEM;
				word->len = 0;
				blank_ok = false;
				continue;
			}
			if (ch == '\'' || ch == '"') {
				quote = (char)ch;
				blank_ok = true;
				phase = QUOTE;
				continue;
			}
			if (ch < 0x80 && ch != (unsigned char)escape) {
				/* A run of ASCII without blanks, quotes or escapes
				 * is copied in one go. */
				size_t end = pos + 1;
				while (end < len && (unsigned char)line[end] < 0x80 && !is_space_byte((unsigned char)line[end]) &&
				       line[end] != '\'' && line[end] != '"' && line[end] != escape)
					end++;
				bg_strbuf_add(word, line + pos, end - pos);
				pos = end - 1;
				continue;
			}
			if (ch == (unsigned char)escape) {
				if (pos + 1 == len)
					continue;
				ch = (unsigned char)line[++pos];
			}
			bg_utf8_append(word, ch);
			continue;
		}
		/* QUOTE */
		if (ch == (unsigned char)quote) {
			phase = WORD;
			continue;
		}
		if (ch == (unsigned char)escape) {
			if (pos + 1 == len) {
				phase = WORD;
				continue;
			}
			ch = (unsigned char)line[++pos];
		}
		bg_utf8_append(word, ch);
	}
	return word->oom ? BG_E_NOMEM : 0;
}

/* splitCommand: keyword, flags (to p->flags), and the trimmed rest. */
static int split_command(parser *p, const char *line, size_t len, char escape, split *out)
{
	memset(out, 0, sizeof *out);
	trim_space(&line, &len);
	size_t k = 0;
	while (k < len && !is_ws_re(line[k]))
		k++;
	out->cmd = line;
	out->cmd_len = k;
	out->args = line + len;
	if (k == len)
		return 0;
	size_t j = k;
	while (j < len && is_ws_re(line[j]))
		j++;
	int rc = extract_flags(p, line + j, len - j, escape, out);
	if (rc < 0)
		return rc;
	trim_space(&out->args, &out->args_len);
	return 0;
}

/* --- argument parsers (line_parsers.go) ---------------------------------------------- */

/* An ASCII byte that parse_words copies as it is: not white space, not a
 * quote, not the escape. */
static bool plain_word_byte(unsigned char c, char escape)
{
	return c < 0x80 && c != ' ' && !(c >= '\t' && c <= '\r') && c != '\'' && c != '"' &&
	       c != (unsigned char)escape;
}

/* parseWords: words split on white space, quotes and escapes kept; each
 * word is added to out. */
static int parse_words(parser *p, const char *rest, size_t len, char escape, arglist *out)
{
	enum { SPACES, WORD, QUOTE } phase = SPACES;
	bg_strbuf *word = &p->word;
	uint32_t quote = 0, ch = 0;
	bool blank_ok = false;
	size_t w = 0;
	word->len = 0;
	for (size_t pos = 0; pos <= len; pos += w) {
		if (pos != len)
			ch = bg_utf8_decode(rest + pos, len - pos, &w);
		if (phase == SPACES) {
			if (pos == len)
				break;
			if (bg_unicode_is_space(ch))
				continue;
			phase = WORD;
		}
		if (pos == len) {
			if ((blank_ok || word->len > 0) && push_word(p, out) < 0)
				return BG_E_NOMEM;
			break;
		}
		if (phase == WORD) {
			if (plain_word_byte((unsigned char)rest[pos], escape)) {
				/* A run of ordinary characters is copied in one go. */
				size_t end = pos + 1;
				while (end < len && plain_word_byte((unsigned char)rest[end], escape))
					end++;
				bg_strbuf_add(word, rest + pos, end - pos);
				w = end - pos;
				continue;
			}
			if (bg_unicode_is_space(ch)) {
				phase = SPACES;
				if ((blank_ok || word->len > 0) && push_word(p, out) < 0)
					return BG_E_NOMEM;
				word->len = 0;
				blank_ok = false;
				continue;
			}
			if (ch == '\'' || ch == '"') {
				quote = ch;
				blank_ok = true;
				phase = QUOTE;
			}
			if (ch == (unsigned char)escape) {
				if (pos + w == len)
					continue; /* an escape at the very end is dropped */
				/* Unquoted: keep the escape and the next character. */
				bg_utf8_append(word, ch);
				pos += w;
				ch = bg_utf8_decode(rest + pos, len - pos, &w);
			}
			bg_utf8_append(word, ch);
			continue;
		}
		/* QUOTE */
		if (ch == quote)
			phase = WORD;
		if (ch == (unsigned char)escape && quote != '\'') {
			if (pos + w == len) {
				phase = WORD;
				continue;
			}
			pos += w;
			bg_utf8_append(word, ch);
			ch = bg_utf8_decode(rest + pos, len - pos, &w);
		}
		bg_utf8_append(word, ch);
	}
	return word->oom ? BG_E_NOMEM : 0;
}

/* Split on runs of [\t\v\f\r ] (rest is already trimmed). */
static int split_ws(parser *p, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && !is_ws_re(s[j]))
			j++;
		if (arglist_push(p, &p->args, s + i, j - i) < 0)
			return BG_E_NOMEM;
		while (j < n && is_ws_re(s[j]))
			j++;
		i = j;
	}
	return 0;
}

static int emit_arg(void *ctx, const char *s, size_t len)
{
	parser *p = ctx;
	return arglist_push(p, &p->args, s, len);
}

#define ERR_NOT_STRING_ARRAY "when using JSON array syntax, arrays must be comprised of strings only"

/* parseJSON: 1 = JSON form (elements added to p->args), 0 = not JSON, <0 = error. */
static int parse_json(parser *p, unsigned line, const char *rest, size_t len)
{
	size_t k = bg_go_space_prefix(rest, len);
	if (k >= len || rest[k] != '[')
		return 0;
	int r = bg_go_json_string_array(rest + k, len - k, emit_arg, p);
	if (r == -1)
		return parse_error(p, line, "%s", ERR_NOT_STRING_ARRAY);
	if (r < 0)
		return oom(p);
	return r; /* 0: nothing was emitted, the caller falls back */
}

/* --- instructions ---------------------------------------------------------------------- */

static void strip_dup(char *d, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	d[n] = '\0';
}

/* Move the collected flags to the instruction (NULL-terminated, as a
 * bg_strv; NULL when there are none). */
static int take_flags(parser *p, bg_instruction *ins)
{
	size_t n = p->flags.n;
	p->flags.n = 0;
	if (n == 0)
		return 0;
	char **v = bg_arena_array(p->arena, n + 1, sizeof *v);
	if (!v)
		return BG_E_NOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = p->flags.v[i].s;
	v[n] = NULL;
	ins->flags = v;
	ins->n_flags = n;
	return 0;
}

/* Move the collected arguments to the instruction (NULL when none). */
static int take_args(parser *p, bg_instruction *ins)
{
	size_t n = p->args.n;
	p->args.n = 0;
	if (n == 0)
		return 0;
	ins->args = bg_arena_memdup(p->arena, p->args.v, n * sizeof *p->args.v);
	if (!ins->args)
		return BG_E_NOMEM;
	ins->n_args = n;
	return 0;
}

/* The instructions BuildKit knows, and how their arguments are parsed. */
enum kw {
	KW_UNKNOWN, KW_ADD, KW_ARG, KW_CMD, KW_COPY, KW_ENTRYPOINT, KW_ENV, KW_EXPOSE, KW_FROM,
	KW_HEALTHCHECK, KW_LABEL, KW_MAINTAINER, KW_ONBUILD, KW_RUN, KW_SHELL, KW_STOPSIGNAL, KW_USER,
	KW_VOLUME, KW_WORKDIR,
};

/* Three lookups per instruction (parse, validate, the stage check): the
 * first byte picks the candidates. */
/* strcmp for the short keywords, inline. */
static bool same_str(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static enum kw keyword_id(const char *kw)
{
#define KW_IS(name, id) \
	if (same_str(kw, name)) \
		return id
	switch (kw[0]) {
	case 'a':
		KW_IS("add", KW_ADD);
		KW_IS("arg", KW_ARG);
		break;
	case 'c':
		KW_IS("cmd", KW_CMD);
		KW_IS("copy", KW_COPY);
		break;
	case 'e':
		KW_IS("entrypoint", KW_ENTRYPOINT);
		KW_IS("env", KW_ENV);
		KW_IS("expose", KW_EXPOSE);
		break;
	case 'f':
		KW_IS("from", KW_FROM);
		break;
	case 'h':
		KW_IS("healthcheck", KW_HEALTHCHECK);
		break;
	case 'l':
		KW_IS("label", KW_LABEL);
		break;
	case 'm':
		KW_IS("maintainer", KW_MAINTAINER);
		break;
	case 'o':
		KW_IS("onbuild", KW_ONBUILD);
		break;
	case 'r':
		KW_IS("run", KW_RUN);
		break;
	case 's':
		KW_IS("shell", KW_SHELL);
		KW_IS("stopsignal", KW_STOPSIGNAL);
		break;
	case 'u':
		KW_IS("user", KW_USER);
		break;
	case 'v':
		KW_IS("volume", KW_VOLUME);
		break;
	case 'w':
		KW_IS("workdir", KW_WORKDIR);
		break;
	}
#undef KW_IS
	return KW_UNKNOWN;
}

/* parseNameVal (ENV, LABEL): "KEY value" (legacy) or "k=v k2=v2"; triples
 * with the separator ("" or "=") as the third element. */
static int parse_name_val(parser *p, unsigned line, const char *kw, const char *rest, size_t rn)
{
	p->words.n = 0;
	if (parse_words(p, rest, rn, p->escape, &p->words) < 0)
		return oom(p);
	const char *upper_kw = !strcmp(kw, "env") ? "ENV" : "LABEL";
	if (p->words.n > 0 && !memchr(p->words.v[0].s, '=', p->words.v[0].len)) {
		size_t k = 0;
		while (k < rn && !is_ws_re(rest[k]))
			k++;
		size_t j = k;
		while (j < rn && is_ws_re(rest[j]))
			j++;
		if (k == rn)
			return parse_error(p, line, "%s must have two arguments (%s NAME VALUE, or better %s NAME=VALUE)",
					   upper_kw, upper_kw, upper_kw);
		if (arglist_push(p, &p->args, rest, k) < 0 || arglist_push(p, &p->args, rest + j, rn - j) < 0 ||
		    arglist_push(p, &p->args, "", 0) < 0)
			return oom(p);
		return 0;
	}
	for (size_t i = 0; i < p->words.n; i++) {
		char *word = p->words.v[i].s;
		size_t len = p->words.v[i].len;
		char *eq = memchr(word, '=', len);
		if (!eq) {
			bg_strbuf q = {0};
			bg_go_quote(&q, word, len);
			int rc = parse_error(p, line, "Syntax error - can't find = in %s. Must be of the form: name=value",
					     q.s ? q.s : "");
			bg_strbuf_free(&q);
			return rc;
		}
		/* The word is ours (in the arena): split it in place. */
		*eq = '\0';
		size_t kl = (size_t)(eq - word);
		if (arglist_push_arena(&p->args, word, kl) < 0 || arglist_push_arena(&p->args, eq + 1, len - kl - 1) < 0 ||
		    arglist_push(p, &p->args, "=", 1) < 0)
			return oom(p);
	}
	return 0;
}

/* newNodeFromLine: keyword, flags and arguments of one logical line. */
static int node_from_line(parser *p, unsigned line, const char *text, size_t len, unsigned depth,
			  bg_instruction *ins)
{
	split sp;
	p->flags.n = 0;
	p->args.n = 0;
	if (split_command(p, text, len, p->escape, &sp) < 0)
		return oom(p);
	ins->keyword = bg_arena_alloc_aligned(p->arena, sp.cmd_len + 1, 1);
	ins->original = bg_arena_strndup(p->arena, text, len);
	if (!ins->keyword || !ins->original || take_flags(p, ins) < 0)
		return oom(p);
	strip_dup(ins->keyword, sp.cmd, sp.cmd_len);

	const char *kw = ins->keyword, *rest = sp.args;
	size_t rn = sp.args_len;
	int rc = 0;
	enum kw id = keyword_id(kw);
	if (id == KW_ADD || id == KW_COPY || id == KW_VOLUME) {
		/* parseMaybeJSONToList */
		rc = parse_json(p, line, rest, rn);
		if (rc < 0)
			return rc;
		ins->json = rc == 1;
		if (rc == 0 && split_ws(p, rest, rn) < 0)
			return oom(p);
	} else if (id == KW_RUN || id == KW_CMD || id == KW_ENTRYPOINT || id == KW_SHELL) {
		/* parseMaybeJSON */
		if (rn > 0) {
			rc = parse_json(p, line, rest, rn);
			if (rc < 0)
				return rc;
			ins->json = rc == 1;
			if (rc == 0 && arglist_push(p, &p->args, rest, rn) < 0)
				return oom(p);
		}
	} else if (id == KW_FROM || id == KW_EXPOSE) {
		if (split_ws(p, rest, rn) < 0)
			return oom(p);
	} else if (id == KW_ARG) {
		/* parseNameOrNameVal */
		if (parse_words(p, rest, rn, p->escape, &p->args) < 0)
			return oom(p);
	} else if (id == KW_ENV || id == KW_LABEL) {
		rc = parse_name_val(p, line, kw, rest, rn);
		if (rc < 0)
			return rc;
	} else if (id == KW_MAINTAINER || id == KW_USER || id == KW_WORKDIR || id == KW_STOPSIGNAL) {
		if (rn > 0 && arglist_push(p, &p->args, rest, rn) < 0)
			return oom(p);
	} else if (id == KW_HEALTHCHECK) {
		/* parseHealthConfig: the type word, then parseMaybeJSON (byte-wise
		 * white space, as in BuildKit). */
		size_t sep = 0;
		while (sep < rn && !is_space_byte((unsigned char)rest[sep]))
			sep++;
		size_t next = sep;
		while (next < rn && is_space_byte((unsigned char)rest[next]))
			next++;
		if (sep > 0) {
			if (arglist_push(p, &p->args, rest, sep) < 0)
				return oom(p);
			if (next < rn) {
				rc = parse_json(p, line, rest + next, rn - next);
				if (rc < 0)
					return rc;
				ins->json = rc == 1;
				if (rc == 0 && arglist_push(p, &p->args, rest + next, rn - next) < 0)
					return oom(p);
			}
		}
	} else if (id == KW_ONBUILD) {
		/* parseSubCommand; ONBUILD itself has no arguments, so the
		 * scratch lists are free for the trigger. */
		if (rn > 0) {
			if (depth >= MAX_ONBUILD_DEPTH)
				return parse_error(p, line, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
			ins->trigger = bg_arena_array(p->arena, 1, sizeof *ins->trigger);
			if (!ins->trigger)
				return oom(p);
			memset(ins->trigger, 0, sizeof *ins->trigger);
			rc = node_from_line(p, line, rest, rn, depth + 1, ins->trigger);
			if (rc < 0)
				return rc;
		}
	} else {
		/* parseIgnore: unknown instruction, one empty argument */
		if (arglist_push(p, &p->args, "", 0) < 0)
			return oom(p);
	}
	return take_args(p, ins) < 0 ? oom(p) : 0;
}

/* --- heredocs ------------------------------------------------------------------------------- */

/* A heredoc name that the shell lexer would give back unchanged, as one
 * word, with no quotes: printable ASCII without white space, quotes, '$',
 * '\\' or '<'.  parse_heredoc_word skips the lexer for these. */
static bool plain_heredoc_name(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7F || strchr("$'\"\\<", *s))
			return false;
	return true;
}

/* ParseHeredoc on one word: ^(\d*)<<(-?)\s*([^<]*)$ and the two lexings that
 * decide the name and whether any part of it was quoted.  Returns 1 with *h
 * filled, 0 when the word is not a heredoc, <0 with err set.  h->name is
 * in the arena when one is given, else malloc'd. */
static int parse_heredoc_word(const char *src, bg_heredoc *h, bg_arena *arena, bg_error *err)
{
	size_t i = 0;
	unsigned long long fd = 0;
	while (src[i] >= '0' && src[i] <= '9') {
		fd = fd > (ULLONG_MAX - 9) / 10 ? ULLONG_MAX : fd * 10 + (unsigned)(src[i] - '0');
		i++;
	}
	if (src[i] != '<' || src[i + 1] != '<')
		return 0;
	i += 2;
	bool chomp = src[i] == '-';
	if (chomp)
		i++;
	while (is_re_s(src[i]))
		i++;
	const char *rest = src + i;
	if (strchr(rest, '<') || !rest[0])
		return 0;
	memset(h, 0, sizeof *h);
	h->fd = fd > UINT_MAX ? UINT_MAX : (unsigned)fd;
	h->chomp = chomp;
	if (plain_heredoc_name(rest)) {
		/* Both lexings give rest itself: one word, nothing quoted. */
		h->name = arena ? bg_arena_strndup(arena, rest, strlen(rest)) : bg_strdup(rest);
		h->expand = true;
		return h->name ? 1 : bg_error_set(err, BG_E_NOMEM, "out of memory parsing a heredoc");
	}
	bg_shell_result plain, raw;
	int rc = bg_shell_expand(rest, '\\', BG_SHELL_SKIP_UNSET, NULL, &plain, err);
	if (rc < 0)
		return rc;
	if (plain.n_words != 1) {
		bg_shell_result_free(&plain);
		return 0;
	}
	rc = bg_shell_expand(rest, '\\', BG_SHELL_SKIP_UNSET | BG_SHELL_RAW_QUOTES, NULL, &raw, err);
	if (rc < 0) {
		bg_shell_result_free(&plain);
		return rc;
	}
	if (raw.n_words != plain.n_words) {
		bg_shell_result_free(&plain);
		bg_shell_result_free(&raw);
		return bg_error_set(err, BG_E_INPUT, "internal lexing of heredoc produced inconsistent results: %s", rest);
	}
	size_t q1 = 0, q2 = 0;
	for (const char *c = plain.words[0]; *c; c++)
		q1 += *c == '\'' || *c == '"';
	for (const char *c = raw.words[0]; *c; c++)
		q2 += *c == '\'' || *c == '"';
	h->name = arena ? bg_arena_strndup(arena, plain.words[0], strlen(plain.words[0])) : BG_TAKE_PTR(plain.words[0]);
	h->expand = q1 == q2;
	bg_shell_result_free(&plain);
	bg_shell_result_free(&raw);
	if (!h->name)
		return bg_error_set(err, BG_E_NOMEM, "out of memory parsing a heredoc");
	return 1;
}

int bg_containerfile_heredoc_parse(const char *word, bg_heredoc *h, bg_error *err)
{
	memset(h, 0, sizeof *h);
	return parse_heredoc_word(word, h, NULL, err);
}

/* canContainHeredoc: RUN, COPY, ADD (also wrapped in ONBUILD), not JSON. */
static bool can_contain_heredoc(const bg_instruction *ins)
{
	enum kw id = keyword_id(ins->keyword);
	if (id == KW_ONBUILD && ins->trigger) {
		ins = ins->trigger;
		id = keyword_id(ins->keyword);
	}
	return (id == KW_RUN || id == KW_COPY || id == KW_ADD) && !ins->json;
}

/* "<<" occurs in s[0..n). */
static bool has_heredoc_marker(const char *s, size_t n)
{
	for (const char *p = memchr(s, '<', n); p; p = memchr(p + 1, '<', n - (size_t)(p + 1 - s)))
		if ((size_t)(p + 1 - s) < n && p[1] == '<')
			return true;
	return false;
}

/* heredocsFromLine + reading the bodies.  *i is the next physical line. */
static int read_heredocs(parser *p, bg_instruction *ins, const char *line, unsigned start_line, size_t *i)
{
	bg_shell_result words;
	bg_error ignored = {0};
	/* A line that does not lex (unbalanced quotes) has no heredocs. */
	if (bg_shell_expand(line, '\\', BG_SHELL_RAW_QUOTES | BG_SHELL_RAW_ESCAPES | BG_SHELL_SKIP_UNSET, NULL,
			    &words, &ignored) < 0)
		return ignored.status == BG_E_NOMEM ? oom(p) : 0;
	int rc = 0;
	for (size_t w = 0; w < words.n_words; w++) {
		if (!strstr(words.words[w], "<<"))
			continue; /* not a heredoc */
		bg_heredoc h;
		bg_error herr = {0};
		int r = parse_heredoc_word(words.words[w], &h, p->arena, &herr);
		if (r < 0) {
			rc = r == BG_E_NOMEM ? oom(p) : parse_error(p, start_line, "%s", herr.message);
			break;
		}
		if (r == 0)
			continue;
		/* At most one heredoc per word: room for all of them at once. */
		if (!ins->heredocs)
			ins->heredocs = bg_arena_array(p->arena, words.n_words, sizeof *ins->heredocs);
		if (!ins->heredocs) {
			rc = oom(p);
			break;
		}
		ins->heredocs[ins->n_heredocs++] = h;
	}
	bg_shell_result_free(&words);
	if (rc < 0)
		return rc;

	const bg_containerfile *cf = p->cf;
	for (size_t k = 0; k < ins->n_heredocs; k++) {
		bg_heredoc *h = &ins->heredocs[k];
		size_t name_len = strlen(h->name);
		/* The body is the physical lines up to the terminator, which
		 * are contiguous in the source. */
		const char *body = cf->source + (*i < cf->n_lines ? cf->line_start[*i] : cf->source_len);
		size_t body_len = 0;
		bool terminated = false;
		while (*i < cf->n_lines) {
			size_t len;
			const char *s = raw_line(cf, (*i)++, &len);
			size_t t = trim_newline(s, len), off = 0;
			if (h->chomp)
				while (off < t && s[off] == '\t')
					off++;
			if (t - off == name_len && memcmp(s + off, h->name, name_len) == 0) {
				terminated = true;
				break;
			}
			body_len += len;
		}
		h->content = bg_arena_strndup(p->arena, body, body_len);
		if (!h->content)
			return oom(p);
		if (!terminated)
			return parse_error(p, start_line,
					   "unterminated heredoc: no line \"%s\" closes the heredoc started here", h->name);
	}
	return 0;
}

/* --- the main loop ----------------------------------------------------------------------------- */

static int add_comment(parser *p, const char *s, size_t n, unsigned line)
{
	/* The text after '#', trimmed; a bare '#' resets the list. */
	size_t k = bg_go_space_prefix(s, n);
	s += k + 1;
	n -= k + 1;
	trim_space(&s, &n);
	if (n == 0) {
		p->n_comments = 0;
		return 0;
	}
	if (!grow((void **)&p->comments, &p->cap_comments, p->n_comments + 1, sizeof *p->comments))
		return oom(p);
	char *t = bg_arena_strndup(p->arena, s, n);
	if (!t)
		return oom(p);
	p->comments[p->n_comments++] = (bg_comment){t, line};
	return 0;
}

/* Hand the pending comments to ins. */
static int take_comments(parser *p, bg_instruction *ins)
{
	size_t n = p->n_comments;
	p->n_comments = 0;
	if (n == 0)
		return 0;
	ins->comments = bg_arena_memdup(p->arena, p->comments, n * sizeof *p->comments);
	if (!ins->comments)
		return oom(p);
	ins->n_comments = n;
	return 0;
}

static int index_lines(parser *p, const char *data, size_t len)
{
	bg_containerfile *cf = p->cf;
	size_t cap = 0, pos = 0;
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;
		if (!grow((void **)&cf->line_start, &cap, cf->n_lines + 1, sizeof *cf->line_start))
			return oom(p);
		cf->line_start[cf->n_lines++] = pos;
		if (end - pos > BG_MAX_CONTAINERFILE_LINE)
			return parse_error(p, (unsigned)cf->n_lines,
					   "dockerfile line greater than max allowed size of %d (split it with line continuations)",
					   BG_MAX_CONTAINERFILE_LINE);
		pos = nl ? end + 1 : len;
	}
	return 0;
}

/* The instructions, line by line (after the source is indexed). */
static int parse_lines(parser *p)
{
	bg_containerfile *cf = p->cf;
	bg_strbuf *buf = &p->line;
	size_t i = 0;
	while (i < cf->n_lines) {
		size_t rlen;
		const char *raw = raw_line(cf, i, &rlen);
		if (i == 0 && rlen >= 3 && memcmp(raw, "\xEF\xBB\xBF", 3) == 0) {
			raw += 3; /* discardBOM */
			rlen -= 3;
		}
		unsigned line = (unsigned)i + 1;
		int rc;
		if (is_comment(raw, rlen) && (rc = add_comment(p, raw, rlen, line)) < 0)
			return rc;
		/* processLine: trim the newline and leading space, look for a
		 * directive, drop comments. */
		const char *tok = raw;
		size_t tn = trim_newline(raw, rlen), k = bg_go_space_prefix(tok, tn);
		tok += k;
		tn -= k;
		int d = directive_line(p, tok, tn, line);
		if (d < 0)
			return d;
		if (d == 1)
			p->n_comments--; /* a directive is no comment */
		if (is_comment(tok, tn))
			tn = 0;
		i++;
		unsigned start_line = line;
		size_t c = continuation(tok, tn, p->escape);
		bool end = c == SIZE_MAX;
		if (!end)
			tn = c;
		if (end && tn == 0)
			continue;
		buf->len = 0;
		bg_strbuf_add(buf, tok, tn);
		while (!end && i < cf->n_lines) {
			const char *s = raw_line(cf, i, &rlen);
			size_t sn = trim_newline(s, rlen);
			i++;
			if (is_comment(s, rlen))
				continue; /* comments inside a continuation are dropped */
			if (bg_go_space_prefix(s, sn) == sn) {
				if (!grow((void **)&cf->empty_continuation_lines, &p->cap_empty,
					  cf->n_empty_continuation_lines + 1, sizeof *cf->empty_continuation_lines))
					return oom(p);
				cf->empty_continuation_lines[cf->n_empty_continuation_lines++] = (unsigned)i;
				continue;
			}
			c = continuation(s, sn, p->escape);
			end = c == SIZE_MAX;
			bg_strbuf_add(buf, s, end ? sn : c);
		}
		bg_strbuf_add(buf, "", 0);
		if (buf->oom)
			return oom(p);
		if (!grow((void **)&cf->v, &p->cap_nodes, cf->n + 1, sizeof *cf->v))
			return oom(p);
		bg_instruction *ins = &cf->v[cf->n];
		memset(ins, 0, sizeof *ins);
		rc = node_from_line(p, start_line, buf->s, buf->len, 0, ins);
		if (rc == 0 && has_heredoc_marker(buf->s, buf->len) && can_contain_heredoc(ins))
			rc = read_heredocs(p, ins, buf->s, start_line, &i);
		if (rc == 0)
			rc = take_comments(p, ins);
		if (rc < 0)
			return rc;
		cf->n++;
		ins->start_line = start_line;
		ins->end_line = (unsigned)i;
		for (bg_instruction *t = ins->trigger; t; t = t->trigger) {
			t->start_line = start_line;
			t->end_line = (unsigned)i;
		}
	}
	return 0;
}

int bg_containerfile_parse(const char *data, size_t len, const char *name, bg_containerfile **out,
			   bg_error *err)
{
	*out = NULL;
	if (!name)
		name = "Containerfile";
	if (len > BG_MAX_CONTAINERFILE_BYTES)
		return bg_error_set(err, BG_E_INPUT, "%s: larger than the %lu-byte limit for a Containerfile", name,
				    (unsigned long)BG_MAX_CONTAINERFILE_BYTES);
	cf_owned *owned = calloc(1, sizeof *owned);
	if (!owned)
		return bg_error_set(err, BG_E_NOMEM, "%s: out of memory while parsing", name);
	bg_containerfile *cf = &owned->cf;
	cf->escape = '\\';
	cf->name = bg_strdup(name);
	cf->source = malloc(len + 1);
	parser p = {.cf = cf, .arena = &owned->arena, .err = err, .escape = '\\'};
	int rc;
	if (!cf->name || !cf->source) {
		free(cf->name);
		cf->name = NULL;
		rc = bg_error_set(err, BG_E_NOMEM, "%s: out of memory while parsing", name);
		goto out;
	}
	memcpy(cf->source, data, len);
	cf->source[len] = '\0';
	cf->source_len = len;
	const char *nul = memchr(data, '\0', len);
	if (nul) {
		unsigned line = 1;
		for (const char *c = data; c < nul; c++)
			line += *c == '\n';
		rc = parse_error(&p, line, "NUL byte: this is not a text file (binary input?)");
		goto out;
	}
	rc = index_lines(&p, data, len);
	if (rc == 0)
		rc = parse_lines(&p);
	if (rc == 0 && cf->n == 0)
		rc = parse_error(&p, (unsigned)cf->n_lines,
				 "file with no instructions (a Containerfile needs at least a FROM)");
out:
	free(p.comments);
	bg_strbuf_free(&p.line);
	bg_strbuf_free(&p.word);
	free(p.flags.v);
	free(p.args.v);
	free(p.words.v);
	if (rc < 0) {
		bg_containerfile_free(cf);
		return rc;
	}
	*out = cf;
	return 0;
}

void bg_containerfile_free(bg_containerfile *cf)
{
	if (!cf)
		return;
	cf_owned *owned = (cf_owned *)cf;
	bg_arena_free(&owned->arena);
	free(cf->v);
	free(cf->directives);
	free(cf->empty_continuation_lines);
	free(cf->name);
	free(cf->source);
	free(cf->line_start);
	free(owned);
}

/* --- instructions.Parse checks ---------------------------------------------------------------------- */

typedef enum { F_BOOL, F_STRING, F_STRINGS } flag_type;

typedef struct flag_def {
	const char *name;
	flag_type type;
} flag_def;

static const flag_def from_flags[] = {{"platform", F_STRING}};
static const flag_def copy_flags[] = {{"from", F_STRING}, {"chown", F_STRING}, {"chmod", F_STRING},
				      {"link", F_BOOL}, {"exclude", F_STRINGS}, {"parents", F_BOOL}};
static const flag_def add_flags[] = {{"chown", F_STRING},     {"chmod", F_STRING},  {"link", F_BOOL},
				     {"keep-git-dir", F_BOOL}, {"checksum", F_STRING}, {"unpack", F_BOOL},
				     {"exclude", F_STRINGS}};
static const flag_def run_flags[] = {{"mount", F_STRINGS}, {"network", F_STRING}, {"security", F_STRING},
				     {"device", F_STRINGS}};
static const flag_def health_flags[] = {{"interval", F_STRING}, {"timeout", F_STRING},
					{"start-period", F_STRING}, {"start-interval", F_STRING},
					{"retries", F_STRING}};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int verr(const bg_containerfile *cf, const bg_instruction *ins, bg_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int verr(const bg_containerfile *cf, const bg_instruction *ins, bg_error *err, const char *fmt, ...)
{
	char msg[BG_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return bg_error_at(err, BG_E_INPUT, ins->start_line, 0, "%s:%u: %s", cf->name, ins->start_line, msg);
}

static void upper(char *d, size_t size, const char *s)
{
	size_t i = 0;
	for (; s[i] && i + 1 < size; i++)
		d[i] = (char)((s[i] >= 'a' && s[i] <= 'z') ? s[i] - 32 : s[i]);
	d[i] = '\0';
}

/* The keyword upper-cased into kw[32], for a message: only built when an
 * error is reported. */
static const char *upper_kw(char *kw, const bg_instruction *ins)
{
	upper(kw, 32, ins->keyword);
	return kw;
}

/* BFlags.Parse: known flags, types, no repeats except list flags. */
static int check_flags(const bg_containerfile *cf, const bg_instruction *ins, const flag_def *defs, size_t n,
		       bg_error *err)
{
	char kw[32];
	bool used[8] = {false};
	for (size_t i = 0; i < ins->n_flags; i++) {
		const char *a = ins->flags[i];
		if (strncmp(a, "--", 2) != 0)
			return verr(cf, ins, err, "arg should start with -- : %s", a);
		const char *eq = strchr(a + 2, '=');
		size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		const char *value = eq ? eq + 1 : "";
		size_t d = 0;
		while (d < n && !(strlen(defs[d].name) == nl && strncmp(defs[d].name, a + 2, nl) == 0))
			d++;
		if (d == n) {
			bg_strbuf known = {0};
			for (size_t k = 0; k < n; k++)
				bg_strbuf_printf(&known, "%s--%s", k ? ", " : "", defs[k].name);
			int rc = verr(cf, ins, err, "unknown flag: --%.*s (%s %s%s)", (int)nl, a + 2, upper_kw(kw, ins),
				      n ? "accepts " : "takes no flags", known.s ? known.s : "");
			bg_strbuf_free(&known);
			return rc;
		}
		if (used[d] && defs[d].type != F_STRINGS)
			return verr(cf, ins, err, "duplicate flag specified: --%s (give it once)", defs[d].name);
		used[d] = true;
		if (defs[d].type == F_BOOL) {
			if (eq && !*value)
				return verr(cf, ins, err, "missing a value on flag: --%s", defs[d].name);
			if (*value && strcasecmp(value, "true") != 0 && strcasecmp(value, "false") != 0)
				return verr(cf, ins, err, "expecting boolean value for flag %s, not: %s", defs[d].name,
					    value);
		} else if (!eq) {
			return verr(cf, ins, err, "missing a value on flag: --%s (write --%s=VALUE)", defs[d].name,
				    defs[d].name);
		}
	}
	return 0;
}

static bool is_stage_name(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* time.ParseDuration, in nanoseconds. */
static bool go_duration(const char *s, double *ns)
{
	bool neg = false;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return true;
	}
	if (!*s)
		return false;
	double total = 0;
	while (*s) {
		double v = 0, scale = 0.1;
		bool digits = false;
		for (; *s >= '0' && *s <= '9'; s++, digits = true)
			v = v * 10 + (*s - '0');
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++, digits = true, scale /= 10)
				v += (*s - '0') * scale;
		if (!digits)
			return false;
		const char *u = s;
		while (*s && *s != '.' && !(*s >= '0' && *s <= '9'))
			s++;
		size_t ul = (size_t)(s - u);
		static const struct {
			const char *name;
			double ns;
		} units[] = {{"ns", 1}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3},
			     {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
		size_t k = 0;
		while (k < N(units) && !(strlen(units[k].name) == ul && memcmp(units[k].name, u, ul) == 0))
			k++;
		if (k == N(units))
			return false;
		total += v * units[k].ns;
		if (total > 9.223372036854775807e18)
			return false;
	}
	*ns = neg ? -total : total;
	return true;
}

static int check_healthcheck(const bg_containerfile *cf, const bg_instruction *ins, bg_error *err)
{
	if (ins->n_args == 0)
		return verr(cf, ins, err, "HEALTHCHECK requires at least one argument");
	char typ[16];
	upper(typ, sizeof typ, ins->args[0].s);
	if (strcmp(typ, "NONE") == 0) {
		if (ins->n_args > 1)
			return verr(cf, ins, err, "HEALTHCHECK NONE takes no arguments");
		return 0;
	}
	int rc = check_flags(cf, ins, health_flags, N(health_flags), err);
	if (rc < 0)
		return rc;
	if (strcmp(typ, "CMD") != 0)
		return verr(cf, ins, err, "Unknown type \"%s\" in HEALTHCHECK (try CMD)", ins->args[0].s);
	if (ins->n_args < 2)
		return verr(cf, ins, err, "Missing command after HEALTHCHECK CMD");
	static const char *const intervals[] = {"interval", "timeout", "start-period", "start-interval"};
	for (size_t i = 0; i < N(intervals); i++) {
		const char *v = bg_containerfile_flag(ins, intervals[i]);
		double ns;
		if (!v || !*v)
			continue;
		if (!go_duration(v, &ns))
			return verr(cf, ins, err, "time: invalid duration \"%s\" (--%s takes e.g. 30s or 1m30s)", v,
				    intervals[i]);
		if (ns != 0 && ns < 1e6)
			return verr(cf, ins, err, "Interval \"%s\" cannot be less than 1ms", intervals[i]);
	}
	const char *r = bg_containerfile_flag(ins, "retries");
	if (r && *r) {
		char *end;
		errno = 0;
		long long v = strtoll(r, &end, 10);
		bool digits_only = (r[0] == '-' || r[0] == '+') ? r[1] >= '0' && r[1] <= '9' : r[0] >= '0' && r[0] <= '9';
		if (!digits_only || *end || errno || v < INT32_MIN || v > INT32_MAX)
			return verr(cf, ins, err, "strconv.ParseInt: parsing \"%s\": invalid --retries value", r);
		if (v < 0)
			return verr(cf, ins, err, "--retries cannot be negative (%lld)", v);
	}
	return 0;
}

static int need_args(const bg_containerfile *cf, const bg_instruction *ins, bg_error *err, size_t min,
		     bool exact)
{
	char kw[32];
	if (exact && ins->n_args != min)
		return verr(cf, ins, err, "%s requires exactly one argument", upper_kw(kw, ins));
	if (!exact && ins->n_args < min)
		return verr(cf, ins, err, "%s requires at least one argument", upper_kw(kw, ins));
	return 0;
}

static int check_kvps(const bg_containerfile *cf, const bg_instruction *ins, bg_error *err)
{
	char kw[32];
	int rc = check_flags(cf, ins, NULL, 0, err);
	if (rc < 0)
		return rc;
	if (ins->n_args == 0)
		return verr(cf, ins, err, "%s requires at least one argument", upper_kw(kw, ins));
	for (size_t i = 0; i + 2 < ins->n_args; i += 3)
		if (ins->args[i].len == 0)
			return verr(cf, ins, err, "%s names can not be blank", upper_kw(kw, ins));
	return 0;
}

static int check_sources(const bg_containerfile *cf, const bg_instruction *ins, bg_error *err,
			 const flag_def *defs, size_t n)
{
	char kw[32];
	if (ins->n_args < 2)
		return verr(cf, ins, err,
			    "%s requires at least two arguments, but only one was provided. Destination could not be determined.",
			    upper_kw(kw, ins));
	int rc = check_flags(cf, ins, defs, n, err);
	if (rc < 0)
		return rc;
	const char *dest = ins->args[ins->n_args - 1].s;
	if (!strstr(dest, "<<"))
		return 0; /* cannot be a heredoc */
	bg_heredoc h;
	bg_error ignored = {0};
	if (parse_heredoc_word(dest, &h, NULL, &ignored) == 1) {
		free(h.name);
		return verr(cf, ins, err, "%s cannot accept a heredoc as a destination", upper_kw(kw, ins));
	}
	return 0;
}

static int check_run(const bg_containerfile *cf, const bg_instruction *ins, bg_error *err)
{
	int rc = check_flags(cf, ins, run_flags, N(run_flags), err);
	size_t pos = 0;
	const char *v;
	while (rc == 0 && (v = bg_containerfile_flag_next(ins, "mount", &pos))) {
		bg_mount m;
		bg_error merr;
		bg_error_init_quick(&merr);
		if (bg_containerfile_mount_parse(v, &m, &merr) < 0)
			return merr.status == BG_E_NOMEM ? bg_error_set(err, BG_E_NOMEM, "%s", merr.message)
							 : verr(cf, ins, err, "--mount=%s: %s", v, merr.message);
		const char *type = bg_containerfile_mount_get(&m, "type");
		static const char *const types[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
		bool known = false;
		for (size_t i = 0; type && !known && i < N(types); i++)
			known = strcasecmp(type, types[i]) == 0;
		if (!known)
			rc = verr(cf, ins, err, "unsupported mount type \"%s\" (use bind, cache, tmpfs, secret or ssh)",
				  type ? type : "");
		bg_containerfile_mount_free(&m);
	}
	return rc;
}

/* ParseInstruction for one node. */
static int check_instruction(const bg_containerfile *cf, const bg_instruction *ins, enum kw id, bg_error *err)
{
	const char *kw = ins->keyword;
	int rc;
	if (id == KW_ENV || id == KW_LABEL)
		return check_kvps(cf, ins, err);
	if (id == KW_MAINTAINER || id == KW_WORKDIR || id == KW_USER) {
		rc = need_args(cf, ins, err, 1, true);
		return rc < 0 ? rc : check_flags(cf, ins, NULL, 0, err);
	}
	if (id == KW_ADD)
		return check_sources(cf, ins, err, add_flags, N(add_flags));
	if (id == KW_COPY)
		return check_sources(cf, ins, err, copy_flags, N(copy_flags));
	if (id == KW_FROM) {
		if (ins->n_args == 3 && strcasecmp(ins->args[1].s, "as") == 0) {
			char name[256];
			size_t l = ins->args[2].len;
			if (l >= sizeof name || (strip_dup(name, ins->args[2].s, l), !is_stage_name(name))) {
				bg_strbuf q = {0};
				bg_go_quote(&q, ins->args[2].s, ins->args[2].len);
				rc = verr(cf, ins, err,
					  "invalid name for build stage: %s, name can't start with a number or contain symbols",
					  q.s ? q.s : "");
				bg_strbuf_free(&q);
				return rc;
			}
		} else if (ins->n_args != 1) {
			return verr(cf, ins, err, "FROM requires either one or three arguments (FROM [--platform=P] IMAGE [AS NAME])");
		}
		return check_flags(cf, ins, from_flags, N(from_flags), err);
	}
	if (id == KW_ONBUILD) {
		if (!ins->trigger)
			return verr(cf, ins, err, "ONBUILD requires at least one argument");
		rc = check_flags(cf, ins, NULL, 0, err);
		if (rc < 0)
			return rc;
		char t[32];
		upper(t, sizeof t, ins->trigger->keyword);
		if (!strcmp(t, "ONBUILD"))
			return verr(cf, ins, err, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
		if (!strcmp(t, "MAINTAINER") || !strcmp(t, "FROM"))
			return verr(cf, ins, err, "%s isn't allowed as an ONBUILD trigger", t);
		return 0;
	}
	if (id == KW_RUN)
		return check_run(cf, ins, err);
	if (id == KW_CMD || id == KW_ENTRYPOINT)
		return check_flags(cf, ins, NULL, 0, err);
	if (id == KW_HEALTHCHECK)
		return check_healthcheck(cf, ins, err);
	if (id == KW_EXPOSE) {
		rc = need_args(cf, ins, err, 1, false);
		return rc < 0 ? rc : check_flags(cf, ins, NULL, 0, err);
	}
	if (id == KW_VOLUME) {
		rc = need_args(cf, ins, err, 1, false);
		if (rc == 0)
			rc = check_flags(cf, ins, NULL, 0, err);
		for (size_t i = 0; rc == 0 && i < ins->n_args; i++) {
			const char *s = ins->args[i].s;
			size_t n = ins->args[i].len;
			trim_space(&s, &n);
			if (n == 0)
				rc = verr(cf, ins, err, "VOLUME specified can not be an empty string");
		}
		return rc;
	}
	if (id == KW_STOPSIGNAL)
		return need_args(cf, ins, err, 1, true);
	if (id == KW_ARG) {
		rc = need_args(cf, ins, err, 1, false);
		for (size_t i = 0; rc == 0 && i < ins->n_args; i++)
			if (ins->args[i].s[0] == '=')
				rc = verr(cf, ins, err, "ARG names can not be blank");
		return rc;
	}
	if (id == KW_SHELL) {
		rc = check_flags(cf, ins, NULL, 0, err);
		if (rc < 0)
			return rc;
		if (ins->n_args == 0)
			return verr(cf, ins, err, "SHELL requires at least one argument");
		if (!ins->json)
			return verr(cf, ins, err, "SHELL requires the arguments to be in JSON form (SHELL [\"/bin/sh\", \"-c\"])");
		return 0;
	}
	char t[64];
	upper(t, sizeof t, kw);
	return verr(cf, ins, err,
		    "unknown instruction: %s (instructions are ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, "
		    "HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME, WORKDIR)",
		    t);
}

int bg_containerfile_validate(const bg_containerfile *cf, bg_error *err)
{
	bool in_stage = false;
	for (size_t i = 0; i < cf->n; i++) {
		const bg_instruction *ins = &cf->v[i];
		enum kw id = keyword_id(ins->keyword);
		int rc = check_instruction(cf, ins, id, err);
		if (rc < 0)
			return rc;
		if (id == KW_FROM)
			in_stage = true;
		else if (!in_stage && id != KW_ARG)
			return verr(cf, ins, err,
				    "no build stage in current context (only ARG may come before the first FROM)");
	}
	return 0;
}

/* --- Node.Dump() ----------------------------------------------------------------------------------- */

static void dump_node(bg_strbuf *b, const bg_instruction *ins)
{
	bg_strbuf s = {0};
	bg_strbuf_puts(&s, ins->keyword);
	if (ins->n_flags > 0) {
		bg_strbuf_puts(&s, " [");
		for (size_t i = 0; i < ins->n_flags; i++) {
			if (i)
				bg_strbuf_putc(&s, ' ');
			bg_go_quote(&s, ins->flags[i], strlen(ins->flags[i]));
		}
		bg_strbuf_putc(&s, ']');
	}
	if (ins->trigger) {
		bg_strbuf_puts(&s, " (");
		dump_node(&s, ins->trigger);
		bg_strbuf_putc(&s, ')');
	}
	for (size_t i = 0; i < ins->n_args; i++) {
		bg_strbuf_putc(&s, ' ');
		bg_go_quote(&s, ins->args[i].s, ins->args[i].len);
	}
	if (s.oom) {
		b->oom = true;
	} else if (s.s) {
		/* strings.TrimSpace */
		size_t k = bg_go_space_prefix(s.s, s.len);
		size_t n = s.len - k;
		n -= bg_go_space_suffix(s.s + k, n);
		bg_strbuf_add(b, s.s + k, n);
	}
	bg_strbuf_free(&s);
}

char *bg_containerfile_dump(const bg_containerfile *cf)
{
	bg_strbuf b = {0};
	for (size_t i = 0; i < cf->n; i++) {
		bg_strbuf_putc(&b, '(');
		dump_node(&b, &cf->v[i]);
		bg_strbuf_puts(&b, ")\n");
	}
	bg_strbuf_add(&b, "", 0);
	return bg_strbuf_take(&b);
}

/* --- lookups --------------------------------------------------------------------------------------- */

const char *bg_containerfile_flag_next(const bg_instruction *ins, const char *name, size_t *pos)
{
	size_t nl = strlen(name);
	for (; *pos < ins->n_flags; (*pos)++) {
		const char *f = ins->flags[*pos];
		if (f[0] != '-' || f[1] != '-' || strncmp(f + 2, name, nl) != 0)
			continue;
		const char *after = f + 2 + nl;
		if (*after == '=' || *after == '\0') {
			(*pos)++;
			return *after == '=' ? after + 1 : after;
		}
	}
	return NULL;
}

const char *bg_containerfile_flag(const bg_instruction *ins, const char *name)
{
	size_t pos = 0;
	return bg_containerfile_flag_next(ins, name, &pos);
}

const char *bg_containerfile_line(const bg_containerfile *cf, unsigned line, size_t *len)
{
	if (!cf || line == 0 || line > cf->n_lines)
		return NULL;
	size_t n;
	const char *s = raw_line(cf, line - 1, &n);
	if (line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		n -= 3;
	}
	*len = trim_newline(s, n);
	return s;
}

int bg_containerfile_locate(const bg_containerfile *cf, const bg_instruction *ins, const char *needle,
			    unsigned *line, unsigned *column)
{
	size_t nn = strlen(needle);
	*line = ins->start_line;
	*column = 1;
	for (unsigned l = ins->start_line; nn > 0 && l <= ins->end_line; l++) {
		size_t len;
		const char *s = bg_containerfile_line(cf, l, &len);
		if (!s)
			break;
		const char *hit = memmem(s, len, needle, nn);
		if (hit) {
			*line = l;
			*column = (unsigned)(hit - s) + 1;
			return 0;
		}
	}
	return -1;
}

/* --- RUN --mount values ----------------------------------------------------------------------------- */

#define CSV_ERR "failed to parse csv mounts: "

/* One record of Go's encoding/csv (comma ',', no lazy quotes), split into
 * key=value fields (keys lower-cased).  Everything lives in one block: the
 * field array, then the fields' text, which is never longer than the value
 * itself, so one malloc per --mount and one free. */
int bg_containerfile_mount_parse(const char *value, bg_mount *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	size_t n = strlen(value), i = 0, max_fields = 1;
	if (n == 0)
		return bg_error_set(err, BG_E_INPUT, CSV_ERR "EOF (--mount needs a value such as type=cache,target=/root/.cache)");
	for (const char *c = strchr(value, ','); c; c = strchr(c + 1, ','))
		max_fields++;
	bg_mount_field *v = malloc(max_fields * sizeof *v + n + 1);
	if (!v)
		return bg_error_set(err, BG_E_NOMEM, "out of memory parsing --mount");
	char *text = (char *)(v + max_fields);
	size_t nf = 0;
	for (;;) {
		char *field = text;
		if (i < n && value[i] == '"') {
			i++;
			for (;;) {
				if (i >= n) {
					free(v);
					return bg_error_set(err, BG_E_INPUT, CSV_ERR "extraneous or missing \" in quoted-field");
				}
				if (value[i] == '"') {
					if (i + 1 < n && value[i + 1] == '"') {
						*text++ = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				*text++ = value[i++];
			}
			if (i < n && value[i] != ',') {
				free(v);
				return bg_error_set(err, BG_E_INPUT, CSV_ERR "extraneous or missing \" in quoted-field");
			}
		} else {
			size_t j = i + strcspn(value + i, ",\n");
			if (memchr(value + i, '"', j - i)) {
				free(v);
				return bg_error_set(err, BG_E_INPUT, CSV_ERR "bare \" in non-quoted-field");
			}
			memcpy(text, value + i, j - i);
			text += j - i;
			i = j;
		}
		*text++ = '\0';
		/* key=value: the key lower-cased in place, the value after '='
		 * (NULL for a field without one, e.g. "ro"). */
		char *eq = strchr(field, '=');
		size_t kl = eq ? (size_t)(eq - field) : strlen(field);
		strip_dup(field, field, kl);
		v[nf++] = (bg_mount_field){field, eq ? eq + 1 : NULL};
		if (i < n && value[i] == ',') {
			i++;
			continue;
		}
		break;
	}
	out->v = v;
	out->n = nf;
	return 0;
}

const char *bg_containerfile_mount_get(const bg_mount *m, const char *key)
{
	for (size_t i = m->n; i-- > 0;)
		if (same_str(m->v[i].key, key))
			return m->v[i].value;
	return same_str(key, "type") ? "bind" : NULL;
}

void bg_containerfile_mount_free(bg_mount *m)
{
	if (!m)
		return;
	free(m->v); /* the fields' text is in the same block */
	memset(m, 0, sizeof *m);
}
