/* bootgate — BuildKit's shell word lexer (frontend/dockerfile/shell/lex.go).
 *
 * A faithful port: the same scanner walk (runes, with Go's handling of
 * invalid UTF-8), the same quote and escape rules, the same ${...} modifiers
 * and the same error conditions.  The ${V#p}, ${V%p} and ${V/p/r} patterns
 * are BuildKit's shell-glob-to-regexp conversion (only * and ?, matched
 * with Go regexp's leftmost-first rule, "." not matching a newline); they run
 * on a small Pike VM here instead of a regexp library. */
#include "bootgate/shellword.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gotext.h"
#include "util.h"

#define LEX_EOF (-1)
/* Nested ${...} deeper than this is refused rather than risking the stack. */
#define MAX_NESTING 1000

typedef struct lexer {
	const char *s;
	size_t n, pos;
	int32_t peeked; /* rune at pos, LEX_EOF at the end */
	size_t width;   /* its width in bytes */
	char escape;
	unsigned flags;
	bool raw_escapes; /* current setting; processStopOn switches it */
	const bg_shell_env *env;
	bg_strv unmatched;
	bg_strv unresolved; /* may hold duplicates; truncated when a default wins */
	unsigned depth;
	bool oom;
	char errmsg[512]; /* first error; non-empty means failed */
} lexer;

/* Words accumulated for ProcessWords (BuildKit's wordsStruct). */
typedef struct words {
	bg_strbuf word;
	bg_strv list;
	bool in_word;
	bool oom;
} words;

static void lex_load(lexer *lx)
{
	if (lx->pos >= lx->n) {
		lx->peeked = LEX_EOF;
		lx->width = 0;
		return;
	}
	lx->peeked = (int32_t)bg_utf8_decode(lx->s + lx->pos, lx->n - lx->pos, &lx->width);
}

static int32_t lex_peek(const lexer *lx)
{
	return lx->peeked;
}

static int32_t lex_next(lexer *lx)
{
	int32_t r = lx->peeked;
	if (r != LEX_EOF) {
		lx->pos += lx->width;
		lex_load(lx);
	}
	return r;
}

static bool failed(const lexer *lx)
{
	return lx->errmsg[0] != '\0' || lx->oom;
}

static void fail(lexer *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(lexer *lx, const char *fmt, ...)
{
	if (failed(lx))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(lx->errmsg, sizeof lx->errmsg, fmt, ap);
	va_end(ap);
	if (!lx->errmsg[0])
		strcpy(lx->errmsg, "error");
}

static void put_rune(bg_strbuf *b, int32_t r)
{
	bg_utf8_append(b, r < 0 ? BG_RUNE_ERROR : (uint32_t)r);
}

/* Go's string(rune): EOF (-1) reads as U+FFFD. */
static void rune_str(int32_t r, char out[5])
{
	bg_strbuf b = {0};
	put_rune(&b, r);
	if (b.s && b.len < 5) {
		memcpy(out, b.s, b.len + 1);
	} else {
		out[0] = '?';
		out[1] = '\0';
	}
	bg_strbuf_free(&b);
}

/* --- wordsStruct ------------------------------------------------------------ */

static void words_push(words *w)
{
	if (bg_strv_push_take(&w->list, bg_strbuf_take(&w->word)) < 0)
		w->oom = true;
	w->in_word = false;
}

static void words_add_raw_char(words *w, int32_t r)
{
	if (!w)
		return;
	put_rune(&w->word, r);
	w->in_word = true;
}

static void words_add_char(words *w, int32_t r)
{
	if (!w)
		return;
	bool space = r >= 0 && bg_unicode_is_space((uint32_t)r);
	if (space && w->in_word) {
		if (w->word.len != 0)
			words_push(w);
	} else if (!space) {
		words_add_raw_char(w, r);
	}
}

static void words_add_string(words *w, const char *s, size_t n)
{
	if (!w)
		return;
	for (size_t i = 0, k; i < n; i += k) {
		/* A run of printable ASCII (no white space) joins the word as it is. */
		k = 0;
		while (i + k < n && (unsigned char)s[i + k] > ' ' && (unsigned char)s[i + k] < 0x7F)
			k++;
		if (k > 0) {
			bg_strbuf_add(&w->word, s + i, k);
			w->in_word = true;
			continue;
		}
		words_add_char(w, (int32_t)bg_utf8_decode(s + i, n - i, &k));
	}
}

static void words_add_raw_string(words *w, const char *s, size_t n)
{
	if (!w)
		return;
	bg_strbuf_add(&w->word, s, n);
	w->in_word = true;
}

static void words_finish(words *w)
{
	if (w->word.len > 0)
		words_push(w);
	bg_strbuf_free(&w->word);
}

/* --- environment ------------------------------------------------------------ */

static void note_name(lexer *lx, bg_strv *v, const char *name, bool dedup)
{
	if (dedup && bg_strv_contains(v, name))
		return;
	if (bg_strv_push(v, name) < 0)
		lx->oom = true;
}

/* getEnv: the last pair for name wins; a NULL value counts as not set. */
static const char *lookup(lexer *lx, const char *name)
{
	const bg_shell_env *env = lx->env;
	for (size_t i = env ? env->n : 0; i-- > 0;) {
		if (env->vars[i].name && strcmp(env->vars[i].name, name) == 0) {
			if (env->vars[i].value)
				return env->vars[i].value;
			break;
		}
	}
	note_name(lx, &lx->unmatched, name, true);
	return NULL;
}

static void mark_unresolved(lexer *lx, const char *name)
{
	note_name(lx, &lx->unresolved, name, false);
}

static void truncate_unresolved(bg_strv *v, size_t n)
{
	while (v->n > n) {
		free(v->v[--v->n]);
		v->v[v->n] = NULL;
	}
}

/* --- patterns (convertShellPatternToRegex + Go regexp) ----------------------- */

enum { PAT_LIT, PAT_ANY, PAT_STAR };

typedef struct pat_tok {
	int kind;
	uint32_t r;
} pat_tok;

typedef struct pattern {
	pat_tok *v;
	size_t n;
	bool greedy;
} pattern;

/* Runes of a string with the byte offset of each (off[n] = byte length). */
typedef struct runes {
	uint32_t *r;
	size_t *off;
	size_t n;
} runes;

static bool runes_decode(runes *out, const char *s, size_t len)
{
	out->r = malloc((len + 1) * sizeof *out->r);
	out->off = malloc((len + 1) * sizeof *out->off);
	out->n = 0;
	if (!out->r || !out->off)
		return false;
	size_t i = 0, w;
	while (i < len) {
		out->off[out->n] = i;
		out->r[out->n++] = bg_utf8_decode(s + i, len - i, &w);
		i += w;
	}
	out->off[out->n] = len;
	return true;
}

static void runes_free(runes *rs)
{
	free(rs->r);
	free(rs->off);
}

static char *runes_string(const uint32_t *r, size_t n)
{
	bg_strbuf b = {0};
	for (size_t i = 0; i < n; i++)
		bg_utf8_append(&b, r[i]);
	return bg_strbuf_take(&b);
}

/* Compile pattern text; fails with Go's "invalid escape" message. */
static bool pattern_compile(lexer *lx, const char *text, bool greedy, pattern *p)
{
	runes rs;
	size_t len = strlen(text);
	p->greedy = greedy;
	p->n = 0;
	p->v = malloc((len + 1) * sizeof *p->v);
	if (!p->v || !runes_decode(&rs, text, len)) {
		free(p->v);
		p->v = NULL;
		runes_free(&rs);
		lx->oom = true;
		return false;
	}
	size_t i = 0;
	if (rs.n > 0 && rs.r[0] == 0xFEFF) /* text/scanner skips a leading BOM */
		i = 1;
	for (; i < rs.n; i++) {
		uint32_t tok = rs.r[i];
		if (tok == '*') {
			/* A run of stars matches like one star (same greediness). */
			if (p->n == 0 || p->v[p->n - 1].kind != PAT_STAR)
				p->v[p->n++] = (pat_tok){PAT_STAR, 0};
			continue;
		}
		if (tok == '?') {
			p->v[p->n++] = (pat_tok){PAT_ANY, 0};
			continue;
		}
		if (tok == '\\') {
			/* \} and \/ are escapes for ${}, not part of the pattern. */
			if (i + 1 < rs.n && (rs.r[i + 1] == '}' || rs.r[i + 1] == '/'))
				continue;
			i++;
			if (i >= rs.n || (rs.r[i] != '*' && rs.r[i] != '?' && rs.r[i] != '\\')) {
				char c[5];
				rune_str(i >= rs.n ? LEX_EOF : (int32_t)rs.r[i], c);
				fail(lx, "invalid pattern (%s) in substitution: invalid escape '\\%s'", text, c);
				runes_free(&rs);
				return false;
			}
			tok = rs.r[i];
		}
		p->v[p->n++] = (pat_tok){PAT_LIT, tok};
	}
	runes_free(&rs);
	return true;
}

/* Pike VM over the pattern: threads in priority order, one per pattern
 * position and step; the first thread to reach the end wins (Go's
 * leftmost-first rule) and cuts the lower-priority ones. */
typedef struct vm {
	const pattern *p;
	size_t *clist_pc, *clist_start, *nlist_pc, *nlist_start;
	size_t nc, nn;
	size_t *mark;
	size_t gen;
} vm;

static void vm_add(vm *m, size_t *pcs, size_t *starts, size_t *count, size_t pc, size_t start)
{
	if (m->mark[pc] == m->gen)
		return;
	m->mark[pc] = m->gen;
	if (pc < m->p->n && m->p->v[pc].kind == PAT_STAR) {
		/* Greedy prefers another character; lazy prefers moving on. */
		if (!m->p->greedy)
			vm_add(m, pcs, starts, count, pc + 1, start);
		pcs[*count] = pc;
		starts[(*count)++] = start;
		if (m->p->greedy)
			vm_add(m, pcs, starts, count, pc + 1, start);
		return;
	}
	pcs[*count] = pc;
	starts[(*count)++] = start;
}

static bool tok_matches(const pat_tok *t, uint32_t r)
{
	switch (t->kind) {
	case PAT_LIT:
		return t->r == r;
	default: /* PAT_ANY and the character a star consumes: not a newline */
		return r != '\n';
	}
}

/* Search v from rune index `from`; anchored: only a match starting there.
 * Returns 1 with [*ms, *me) in rune indexes, 0 for no match, -1 on OOM. */
static int pattern_search(const pattern *p, const runes *v, size_t from, bool anchored, size_t *ms,
			  size_t *me)
{
	size_t slots = p->n + 1;
	vm m = {.p = p};
	m.clist_pc = malloc(slots * sizeof(size_t));
	m.clist_start = malloc(slots * sizeof(size_t));
	m.nlist_pc = malloc(slots * sizeof(size_t));
	m.nlist_start = malloc(slots * sizeof(size_t));
	m.mark = calloc(slots, sizeof(size_t));
	int found = 0;
	if (!m.clist_pc || !m.clist_start || !m.nlist_pc || !m.nlist_start || !m.mark) {
		found = -1;
		goto out;
	}
	m.gen = 1;
	vm_add(&m, m.clist_pc, m.clist_start, &m.nc, 0, from);
	for (size_t i = from;; i++) {
		m.gen++;
		m.nn = 0;
		for (size_t t = 0; t < m.nc; t++) {
			size_t pc = m.clist_pc[t];
			if (pc == p->n) {
				*ms = m.clist_start[t];
				*me = i;
				found = 1;
				break; /* lower-priority threads are cut */
			}
			if (i < v->n && tok_matches(&p->v[pc], v->r[i])) {
				size_t next = p->v[pc].kind == PAT_STAR ? pc : pc + 1;
				vm_add(&m, m.nlist_pc, m.nlist_start, &m.nn, next, m.clist_start[t]);
			}
		}
		if (i >= v->n)
			break;
		/* Unanchored: a new lowest-priority start at the next position,
		 * until something has matched. */
		if (!anchored && !found)
			vm_add(&m, m.nlist_pc, m.nlist_start, &m.nn, 0, i + 1);
		if (m.nn == 0)
			break;
		size_t *tp = m.clist_pc, *ts = m.clist_start;
		m.clist_pc = m.nlist_pc;
		m.clist_start = m.nlist_start;
		m.nlist_pc = tp;
		m.nlist_start = ts;
		m.nc = m.nn;
	}
out:
	free(m.clist_pc);
	free(m.clist_start);
	free(m.nlist_pc);
	free(m.nlist_start);
	free(m.mark);
	return found;
}

/* trimPrefix: cut the anchored match of pattern from the front of value. */
static char *trim_prefix(lexer *lx, const char *pat, const char *value, bool greedy)
{
	pattern p = {0};
	runes v = {0};
	char *res = NULL;
	if (!pattern_compile(lx, pat, greedy, &p))
		goto out;
	size_t len = strlen(value), ms, me;
	if (!runes_decode(&v, value, len)) {
		lx->oom = true;
		goto out;
	}
	int r = pattern_search(&p, &v, 0, true, &ms, &me);
	if (r < 0) {
		lx->oom = true;
		goto out;
	}
	res = bg_strdup(value + (r ? v.off[me] : 0));
	if (!res)
		lx->oom = true;
out:
	free(p.v);
	runes_free(&v);
	return res;
}

static void reverse_runes(uint32_t *r, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		uint32_t t = r[i];
		r[i] = r[n - 1 - i];
		r[n - 1 - i] = t;
	}
}

/* trimSuffix: BuildKit reverses pattern (keeping \x pairs) and value, trims
 * a prefix, and reverses back. */
static char *trim_suffix(lexer *lx, const char *pat, const char *value, bool greedy)
{
	runes pr = {0}, vr = {0};
	char *rpat = NULL, *rval = NULL, *trimmed = NULL, *res = NULL;
	if (!runes_decode(&pr, pat, strlen(pat)) || !runes_decode(&vr, value, strlen(value))) {
		lx->oom = true;
		goto out;
	}
	uint32_t *out = malloc((pr.n + 1) * sizeof *out);
	if (!out) {
		lx->oom = true;
		goto out;
	}
	size_t last = pr.n ? pr.n - 1 : 0;
	for (size_t i = 0; i < pr.n;) {
		size_t o = last - i;
		if (pr.r[i] == '\\' && i != last) {
			out[o - 1] = pr.r[i];
			out[o] = pr.r[i + 1];
			i += 2;
		} else {
			out[o] = pr.r[i];
			i++;
		}
	}
	rpat = runes_string(out, pr.n);
	free(out);
	reverse_runes(vr.r, vr.n);
	rval = runes_string(vr.r, vr.n);
	if (!rpat || !rval) {
		lx->oom = true;
		goto out;
	}
	trimmed = trim_prefix(lx, rpat, rval, greedy);
	if (!trimmed)
		goto out;
	runes tr;
	if (!runes_decode(&tr, trimmed, strlen(trimmed))) {
		runes_free(&tr);
		lx->oom = true;
		goto out;
	}
	reverse_runes(tr.r, tr.n);
	res = runes_string(tr.r, tr.n);
	runes_free(&tr);
	if (!res)
		lx->oom = true;
out:
	runes_free(&pr);
	runes_free(&vr);
	free(rpat);
	free(rval);
	free(trimmed);
	return res;
}

/* regexp.Expand for ReplaceAllString: $0 / ${0} is the match, any other
 * group is empty (the pattern has none), $$ is $, a malformed $ is kept. */
static void expand_template(bg_strbuf *b, const char *tpl, const char *match, size_t match_len)
{
	size_t n = strlen(tpl);
	for (size_t i = 0; i < n;) {
		if (tpl[i] != '$') {
			bg_strbuf_putc(b, tpl[i++]);
			continue;
		}
		i++;
		if (i < n && tpl[i] == '$') {
			bg_strbuf_putc(b, '$');
			i++;
			continue;
		}
		size_t j = i;
		bool brace = j < n && tpl[j] == '{';
		if (brace)
			j++;
		size_t name = j, w;
		while (j < n) {
			uint32_t r = bg_utf8_decode(tpl + j, n - j, &w);
			if (!bg_unicode_is_letter(r) && !bg_unicode_is_digit(r) && r != '_')
				break;
			j += w;
		}
		size_t name_len = j - name;
		if (name_len == 0 || (brace && (j >= n || tpl[j] != '}'))) {
			bg_strbuf_putc(b, '$'); /* malformed: the $ is literal */
			continue;
		}
		if (brace)
			j++;
		/* Only group 0 exists; "0" exactly (no leading zeros). */
		if (name_len == 1 && tpl[name] == '0')
			bg_strbuf_add(b, match, match_len);
		i = j;
	}
}

/* ${V/p/r} and ${V//p/r}: Go's FindStringIndex / ReplaceAllString. */
static char *replace(lexer *lx, const char *value, const char *pat, const char *repl, bool all)
{
	pattern p = {0};
	runes v = {0};
	bg_strbuf b = {0};
	char *res = NULL;
	if (!pattern_compile(lx, pat, true, &p))
		goto out;
	size_t len = strlen(value), ms, me;
	if (!runes_decode(&v, value, len)) {
		lx->oom = true;
		goto out;
	}
	if (!all) {
		int r = pattern_search(&p, &v, 0, false, &ms, &me);
		if (r < 0) {
			lx->oom = true;
			goto out;
		}
		if (r == 0) {
			bg_strbuf_puts(&b, value);
		} else {
			bg_strbuf_add(&b, value, v.off[ms]);
			bg_strbuf_puts(&b, repl);
			bg_strbuf_puts(&b, value + v.off[me]);
		}
	} else {
		size_t last_end = 0, search = 0;
		while (search <= v.n) {
			int r = pattern_search(&p, &v, search, false, &ms, &me);
			if (r < 0) {
				lx->oom = true;
				goto out;
			}
			if (r == 0)
				break;
			bg_strbuf_add(&b, value + v.off[last_end], v.off[ms] - v.off[last_end]);
			/* No replacement for an empty match right after a match. */
			if (me > last_end || ms == 0)
				expand_template(&b, repl, value + v.off[ms], v.off[me] - v.off[ms]);
			last_end = me;
			size_t width = search < v.n ? 1 : 0;
			if (search + width > me)
				search += width;
			else if (search + 1 > me)
				search++;
			else
				search = me;
		}
		bg_strbuf_puts(&b, value + v.off[last_end]);
	}
	res = bg_strbuf_take(&b);
	if (!res)
		lx->oom = true;
out:
	bg_strbuf_free(&b);
	free(p.v);
	runes_free(&v);
	return res;
}

/* --- the lexer proper --------------------------------------------------------- */

static char *process_stop_on(lexer *lx, int32_t stop, bool raw_escapes, words *w);

static bool is_special_param(int32_t r)
{
	return r >= 0 && strchr("@*#?-$!0", (int)r) && r != 0;
}

static bool is_letter(int32_t r)
{
	return r >= 0 && bg_unicode_is_letter((uint32_t)r);
}

static bool is_digit(int32_t r)
{
	return r >= 0 && bg_unicode_is_digit((uint32_t)r);
}

static char *process_name(lexer *lx)
{
	bg_strbuf name = {0};
	while (lex_peek(lx) != LEX_EOF) {
		int32_t ch = lex_peek(lx);
		if (name.len == 0 && is_digit(ch)) {
			/* $1, $999: positional parameters, read to the last digit */
			while (is_digit(lex_peek(lx)))
				put_rune(&name, lex_next(lx));
			break;
		}
		if (name.len == 0 && is_special_param(ch)) {
			put_rune(&name, lex_next(lx));
			break;
		}
		if (!is_letter(ch) && !is_digit(ch) && ch != '_')
			break;
		put_rune(&name, lex_next(lx));
	}
	if (!name.s && !name.oom)
		bg_strbuf_add(&name, "", 0);
	char *s = bg_strbuf_take(&name);
	if (!s)
		lx->oom = true;
	return s;
}

static char *dup_or_oom(lexer *lx, const char *s)
{
	char *d = bg_strdup(s);
	if (!d)
		lx->oom = true;
	return d;
}

static char *process_dollar(lexer *lx)
{
	lex_next(lx); /* $ */
	if (lex_peek(lx) != '{') {
		_cleanup_free_ char *name = process_name(lx);
		if (!name)
			return NULL;
		if (!name[0])
			return dup_or_oom(lx, "$");
		const char *value = lookup(lx, name);
		if (!value && (lx->flags & BG_SHELL_SKIP_UNSET)) {
			bg_strbuf b = {0};
			bg_strbuf_printf(&b, "$%s", name);
			return bg_strbuf_take(&b);
		}
		if (!value)
			mark_unresolved(lx, name);
		return dup_or_oom(lx, value ? value : "");
	}

	lex_next(lx); /* { */
	switch (lex_peek(lx)) {
	case LEX_EOF:
		fail(lx, "syntax error: missing '}'");
		return NULL;
	case '{':
	case '}':
	case ':':
		fail(lx, "syntax error: bad substitution");
		return NULL;
	}
	_cleanup_free_ char *name = process_name(lx);
	if (!name)
		return NULL;
	int32_t ch = lex_next(lx);
	char chs[12];
	rune_str(ch, chs);
	bool null_is_unset = false;

	if (ch == '}') {
		const char *value = lookup(lx, name);
		if (!value && (lx->flags & BG_SHELL_SKIP_UNSET)) {
			bg_strbuf b = {0};
			bg_strbuf_printf(&b, "${%s}", name);
			return bg_strbuf_take(&b);
		}
		if (!value)
			mark_unresolved(lx, name);
		return dup_or_oom(lx, value ? value : "");
	}

	if (ch == ':' || ch == '+' || ch == '-' || ch == '?' || ch == '#' || ch == '%') {
		if (ch == ':') {
			/* ${V:x...}: whatever follows is the modifier; only - + ? are
			 * valid, the rest fail after the word is read (as in Go). */
			null_is_unset = true;
			ch = lex_next(lx);
			char c2[5];
			rune_str(ch, c2);
			strcat(chs, c2);
		}
		bool raw = ch == '#' || ch == '%';
		if (null_is_unset && raw) {
			fail(lx, "unsupported modifier (%s) in substitution", chs);
			return NULL;
		}
		size_t mark = lx->unresolved.n;
		_cleanup_free_ char *word = process_stop_on(lx, '}', raw, NULL);
		if (!word) {
			if (!lx->oom && lex_peek(lx) == LEX_EOF) {
				lx->errmsg[0] = '\0';
				fail(lx, "syntax error: missing '}'");
			}
			return NULL;
		}
		const char *value = lookup(lx, name);
		bool set = value != NULL;
		if (!set && (lx->flags & BG_SHELL_SKIP_UNSET)) {
			bg_strbuf b = {0};
			bg_strbuf_printf(&b, "${%s%s%s}", name, chs, word);
			return bg_strbuf_take(&b);
		}
		bool empty = !set || (null_is_unset && value[0] == '\0');
		switch (ch) {
		case '-':
			if (empty)
				return BG_TAKE_PTR(word);
			truncate_unresolved(&lx->unresolved, mark);
			return dup_or_oom(lx, value);
		case '+':
			if (empty) {
				truncate_unresolved(&lx->unresolved, mark);
				if (!set)
					mark_unresolved(lx, name);
				return dup_or_oom(lx, "");
			}
			return BG_TAKE_PTR(word);
		case '?':
			if (!set) {
				fail(lx, "%s: %s", name, word[0] ? word : "is not allowed to be unset");
				return NULL;
			}
			if (null_is_unset && value[0] == '\0') {
				fail(lx, "%s: %s", name, word[0] ? word : "is not allowed to be empty");
				return NULL;
			}
			truncate_unresolved(&lx->unresolved, mark);
			return dup_or_oom(lx, value);
		case '%':
		case '#': {
			/* %/# trim the shortest match, %%/## the longest. */
			const char *pat = word;
			bool greedy = false;
			if (pat[0] == (char)ch) {
				greedy = true;
				pat++;
			}
			if (!set)
				mark_unresolved(lx, name);
			const char *v = set ? value : "";
			return ch == '%' ? trim_suffix(lx, pat, v, greedy) : trim_prefix(lx, pat, v, greedy);
		}
		default:
			fail(lx, "unsupported modifier (%s) in substitution", chs);
			return NULL;
		}
	}

	if (ch == '/') {
		bool all = lex_peek(lx) == '/';
		if (all)
			lex_next(lx);
		_cleanup_free_ char *pat = process_stop_on(lx, '/', true, NULL);
		if (!pat) {
			if (!lx->oom && lex_peek(lx) == LEX_EOF) {
				lx->errmsg[0] = '\0';
				fail(lx, "syntax error: missing '/' in ${}");
			}
			return NULL;
		}
		_cleanup_free_ char *repl = process_stop_on(lx, '}', true, NULL);
		if (!repl) {
			if (!lx->oom && lex_peek(lx) == LEX_EOF) {
				lx->errmsg[0] = '\0';
				fail(lx, "syntax error: missing '}'");
			}
			return NULL;
		}
		const char *value = lookup(lx, name);
		if (!value && (lx->flags & BG_SHELL_SKIP_UNSET)) {
			bg_strbuf b = {0};
			bg_strbuf_printf(&b, "${%s/%s/%s}", name, pat, repl);
			return bg_strbuf_take(&b);
		}
		if (!value)
			mark_unresolved(lx, name);
		return replace(lx, value ? value : "", pat, repl, all);
	}

	/* Go says "unsupported modifier (\uFFFD)" for "${NAME" at the end of
	 * the word; the same failure, said plainly. */
	if (ch == LEX_EOF)
		fail(lx, "syntax error: missing '}'");
	else
		fail(lx, "unsupported modifier (%s) in substitution", chs);
	return NULL;
}

static char *process_single_quote(lexer *lx)
{
	bg_strbuf b = {0};
	int32_t ch = lex_next(lx);
	if (lx->flags & BG_SHELL_RAW_QUOTES)
		put_rune(&b, ch);
	for (;;) {
		ch = lex_next(lx);
		if (ch == LEX_EOF) {
			bg_strbuf_free(&b);
			fail(lx, "unexpected end of statement while looking for matching single-quote");
			return NULL;
		}
		if (ch == '\'') {
			if (lx->flags & BG_SHELL_RAW_QUOTES)
				put_rune(&b, ch);
			break;
		}
		put_rune(&b, ch);
	}
	bg_strbuf_add(&b, "", 0);
	char *s = bg_strbuf_take(&b);
	if (!s)
		lx->oom = true;
	return s;
}

static char *process_double_quote(lexer *lx)
{
	bg_strbuf b = {0};
	int32_t ch = lex_next(lx);
	if (lx->flags & BG_SHELL_RAW_QUOTES)
		put_rune(&b, ch);
	for (;;) {
		int32_t p = lex_peek(lx);
		if (p == LEX_EOF) {
			bg_strbuf_free(&b);
			fail(lx, "unexpected end of statement while looking for matching double-quote");
			return NULL;
		}
		if (p == '"') {
			ch = lex_next(lx);
			if (lx->flags & BG_SHELL_RAW_QUOTES)
				put_rune(&b, ch);
			break;
		}
		if (p == '$') {
			char *v = process_dollar(lx);
			if (!v) {
				bg_strbuf_free(&b);
				return NULL;
			}
			bg_strbuf_puts(&b, v);
			free(v);
			continue;
		}
		if (p >= ' ' && p < 0x7F && p != lx->escape) {
			/* A run of printable ASCII other than '"', '$' and the
			 * escape is copied as it is. */
			size_t end = lx->pos + 1;
			while (end < lx->n && (unsigned char)lx->s[end] >= ' ' && (unsigned char)lx->s[end] < 0x7F &&
			       lx->s[end] != '"' && lx->s[end] != '$' && lx->s[end] != lx->escape)
				end++;
			bg_strbuf_add(&b, lx->s + lx->pos, end - lx->pos);
			lx->pos = end;
			lex_load(lx);
			continue;
		}
		ch = lex_next(lx);
		if (ch == lx->escape) {
			if (lx->raw_escapes)
				put_rune(&b, ch);
			int32_t e = lex_peek(lx);
			if (e == LEX_EOF)
				continue; /* a trailing escape is dropped */
			/* Only ", $ and the escape itself can be escaped here. */
			if (e == '"' || e == '$' || e == lx->escape)
				ch = lex_next(lx);
		}
		put_rune(&b, ch);
	}
	bg_strbuf_add(&b, "", 0);
	char *s = bg_strbuf_take(&b);
	if (!s)
		lx->oom = true;
	return s;
}

/* "<<" keeps the blanks after it, so "<< EOF" stays one word (heredocs). */
static char *process_possible_heredoc(lexer *lx)
{
	bg_strbuf b = {0};
	lex_next(lx);
	bg_strbuf_putc(&b, '<');
	if (lex_peek(lx) == '<') {
		lex_next(lx);
		bg_strbuf_putc(&b, '<');
		while (lex_peek(lx) == ' ' || lex_peek(lx) == '\t' || lex_peek(lx) == '\r')
			put_rune(&b, lex_next(lx));
	}
	char *s = bg_strbuf_take(&b);
	if (!s)
		lx->oom = true;
	return s;
}

/* A character process_stop_on copies unchanged: printable ASCII other than
 * white space, '$', '<', quotes (when they count), the escape and stop. */
static bool ordinary(const lexer *lx, int32_t ch, int32_t stop)
{
	if (ch <= ' ' || ch >= 0x7F || ch == '$' || ch == '<' || ch == lx->escape || ch == stop)
		return false;
	return (ch != '\'' && ch != '"') || (lx->flags & BG_SHELL_SKIP_QUOTES);
}

static char *process_stop_on(lexer *lx, int32_t stop, bool raw_escapes, words *w)
{
	if (++lx->depth > MAX_NESTING) {
		fail(lx, "substitutions nested more than %d deep", MAX_NESTING);
		lx->depth--;
		return NULL;
	}
	bool saved = lx->raw_escapes;
	lx->raw_escapes = raw_escapes;
	bg_strbuf result = {0};
	bool quotes = !(lx->flags & BG_SHELL_SKIP_QUOTES);
	bool done = false;

	while (!failed(lx) && lex_peek(lx) != LEX_EOF) {
		int32_t ch = lex_peek(lx);
		if (stop != LEX_EOF && ch == stop) {
			lex_next(lx);
			done = true;
			break;
		}
		if (ordinary(lx, ch, stop)) {
			/* A run of ordinary characters goes to the result (and
			 * the current word) as it is, without the rune loop. */
			size_t end = lx->pos + 1;
			while (end < lx->n && ordinary(lx, (unsigned char)lx->s[end], stop))
				end++;
			bg_strbuf_add(&result, lx->s + lx->pos, end - lx->pos);
			words_add_raw_string(w, lx->s + lx->pos, end - lx->pos);
			lx->pos = end;
			lex_load(lx);
			continue;
		}
		char *tmp = NULL;
		if (ch == '$')
			tmp = process_dollar(lx);
		else if (ch == '<')
			tmp = process_possible_heredoc(lx);
		else if (quotes && ch == '\'')
			tmp = process_single_quote(lx);
		else if (quotes && ch == '"')
			tmp = process_double_quote(lx);
		else {
			ch = lex_next(lx);
			if (ch == lx->escape) {
				if (lx->raw_escapes) {
					words_add_raw_char(w, ch);
					put_rune(&result, ch);
				}
				ch = lex_next(lx);
				if (ch == LEX_EOF)
					break; /* a trailing escape is dropped */
				words_add_raw_char(w, ch);
			} else {
				words_add_char(w, ch);
			}
			put_rune(&result, ch);
			continue;
		}
		if (!tmp)
			break;
		bg_strbuf_puts(&result, tmp);
		if (ch == '$')
			words_add_string(w, tmp, strlen(tmp));
		else
			words_add_raw_string(w, tmp, strlen(tmp));
		free(tmp);
	}
	lx->raw_escapes = saved;
	lx->depth--;
	if (!failed(lx) && stop != LEX_EOF && !done) {
		char c[5];
		rune_str(stop, c);
		fail(lx, "unexpected end of statement while looking for matching %s", c);
	}
	if (failed(lx) || result.oom || (w && w->oom)) {
		if (result.oom || (w && w->oom))
			lx->oom = true;
		bg_strbuf_free(&result);
		return NULL;
	}
	bg_strbuf_add(&result, "", 0);
	return bg_strbuf_take(&result);
}

/* --- public API ------------------------------------------------------------------ */

static char **strv_steal(bg_strv *v, size_t *n)
{
	*n = v->n;
	char **out = v->v;
	v->v = NULL;
	v->n = v->cap = 0;
	return out;
}

static void strv_dedup(bg_strv *v)
{
	size_t k = 0;
	for (size_t i = 0; i < v->n; i++) {
		bool seen = false;
		for (size_t j = 0; j < k && !seen; j++)
			seen = strcmp(v->v[j], v->v[i]) == 0;
		if (seen)
			free(v->v[i]);
		else
			v->v[k++] = v->v[i];
	}
	v->n = k;
	if (v->v)
		v->v[k] = NULL;
}

/* How much of a long word an error message quotes (whole characters). */
static size_t shown(const char *s)
{
	size_t n = strlen(s);
	if (n <= 120)
		return n;
	n = 120;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* bg_shell_expand; without split, res->words stays NULL (ProcessWord needs
 * no word list, and building it costs as much as the expansion). */
static int shell_expand(const char *word, char escape, unsigned flags, const bg_shell_env *env, bool split,
			bg_shell_result *res, bg_error *err)
{
	memset(res, 0, sizeof *res);
	lexer lx = {
		.s = word ? word : "",
		.escape = escape,
		.flags = flags,
		.raw_escapes = flags & BG_SHELL_RAW_ESCAPES,
		.env = env,
	};
	lx.n = strlen(lx.s);
	lex_load(&lx);
	if (lx.peeked == 0xFEFF) /* text/scanner skips a leading BOM */
		lex_next(&lx);
	words w = {0};
	char *out = process_stop_on(&lx, LEX_EOF, lx.raw_escapes, split ? &w : NULL);
	words_finish(&w);
	int rc = 0;
	if (!out || w.oom) {
		rc = lx.oom || w.oom
			     ? bg_error_set(err, BG_E_NOMEM, "out of memory expanding a word")
			     : bg_error_set(err, BG_E_INPUT, "failed to process \"%.*s%s\": %s", (int)shown(lx.s),
					    lx.s, lx.s[shown(lx.s)] ? "..." : "", lx.errmsg);
		free(out);
		bg_strv_free(&w.list);
	} else {
		strv_dedup(&lx.unresolved);
		res->word = out;
		res->words = strv_steal(&w.list, &res->n_words);
		if (!res->words && split) {
			res->words = calloc(1, sizeof *res->words);
			if (!res->words)
				rc = bg_error_set(err, BG_E_NOMEM, "out of memory expanding a word");
		}
		res->unmatched = strv_steal(&lx.unmatched, &res->n_unmatched);
		res->unresolved = strv_steal(&lx.unresolved, &res->n_unresolved);
	}
	bg_strv_free(&lx.unmatched);
	bg_strv_free(&lx.unresolved);
	if (rc < 0)
		bg_shell_result_free(res);
	return rc;
}

int bg_shell_expand(const char *word, char escape, unsigned flags, const bg_shell_env *env,
		    bg_shell_result *res, bg_error *err)
{
	return shell_expand(word, escape, flags, env, true, res, err);
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void bg_shell_result_free(bg_shell_result *res)
{
	if (!res)
		return;
	free(res->word);
	free_list(res->words, res->n_words);
	free_list(res->unmatched, res->n_unmatched);
	free_list(res->unresolved, res->n_unresolved);
	memset(res, 0, sizeof *res);
}

int bg_shell_word(const char *word, char escape, const bg_shell_env *env, char **out,
		  struct bg_strv *unmatched, bg_error *err)
{
	bg_shell_result res;
	*out = NULL;
	int rc = shell_expand(word, escape, 0, env, false, &res, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; unmatched && i < res.n_unmatched; i++) {
		if (!bg_strv_contains(unmatched, res.unmatched[i]) &&
		    bg_strv_push(unmatched, res.unmatched[i]) < 0) {
			bg_shell_result_free(&res);
			return bg_error_set(err, BG_E_NOMEM, "out of memory expanding a word");
		}
	}
	*out = BG_TAKE_PTR(res.word);
	bg_shell_result_free(&res);
	return 0;
}

int bg_shell_words(const char *word, char escape, const bg_shell_env *env, struct bg_strv *out,
		   bg_error *err)
{
	bg_shell_result res;
	int rc = bg_shell_expand(word, escape, 0, env, &res, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < res.n_words; i++) {
		if (bg_strv_push_take(out, res.words[i]) < 0) {
			res.words[i] = NULL;
			for (size_t j = i + 1; j < res.n_words; j++)
				free(res.words[j]);
			res.n_words = 0;
			bg_shell_result_free(&res);
			return bg_error_set(err, BG_E_NOMEM, "out of memory expanding a word");
		}
		res.words[i] = NULL;
	}
	bg_shell_result_free(&res);
	return 0;
}
