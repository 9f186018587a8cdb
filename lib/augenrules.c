/* bootgate — the rule set augenrules builds from /etc/audit/rules.d, and the
 * other places rules live in an image (reference/audit.md §2.1, §2.3).
 *
 * augenrules: the names in rules.d ending in ".rules" (no dot files), in
 * `ls -v` / `sort -V` order (GNU filevercmp), concatenated; an awk pass
 * strips a trailing CR (audit >= 3.1.1), drops empty and comment lines, keeps
 * only the last -e, bare -D, -f and -b, and writes -D, -b, -f first, the other
 * lines in order, the -e line last.  auditctl -R then loads that file.
 *
 * Nothing reads /usr/lib/audit: those files are parsed on their own so the
 * policy can tell whether their rules are reachable from rules.d. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/auditrules.h"
#include "auditrules_private.h"
#include "util.h"

#define RULES_D "/etc/audit/rules.d/"
#define AUDIT_RULES "/etc/audit/audit.rules"
#define USR_LIB_AUDIT "/usr/lib/audit/"

/* ---- GNU filevercmp (gnulib filevercmp.c), which ls -v and sort -V use -- */

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

static int order(const char *s, size_t pos, size_t len)
{
	if (pos == len)
		return -1;
	unsigned char c = (unsigned char)s[pos];
	if (is_digit(c))
		return 0;
	if (is_alpha(c))
		return c;
	if (c == '~')
		return -2;
	return c + 256;
}

static int verrevcmp(const char *s1, size_t l1, const char *s2, size_t l2)
{
	size_t p1 = 0, p2 = 0;
	while (p1 < l1 || p2 < l2) {
		int first_diff = 0;
		while ((p1 < l1 && !is_digit((unsigned char)s1[p1])) ||
		       (p2 < l2 && !is_digit((unsigned char)s2[p2]))) {
			int c1 = order(s1, p1, l1), c2 = order(s2, p2, l2);
			if (c1 != c2)
				return c1 - c2;
			p1++;
			p2++;
		}
		while (p1 < l1 && s1[p1] == '0')
			p1++;
		while (p2 < l2 && s2[p2] == '0')
			p2++;
		while (p1 < l1 && p2 < l2 && is_digit((unsigned char)s1[p1]) &&
		       is_digit((unsigned char)s2[p2])) {
			if (!first_diff)
				first_diff = s1[p1] - s2[p2];
			p1++;
			p2++;
		}
		if (p1 < l1 && is_digit((unsigned char)s1[p1]))
			return 1;
		if (p2 < l2 && is_digit((unsigned char)s2[p2]))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

/* Length of s without its file suffix: (\.[A-Za-z~][A-Za-z0-9~]*)*$. */
static size_t file_prefixlen(const char *s, size_t n)
{
	size_t prefixlen = 0;
	for (size_t i = 0;;) {
		if (i == n)
			return prefixlen;
		i++;
		prefixlen = i;
		while (i + 1 < n && s[i] == '.' && (is_alpha((unsigned char)s[i + 1]) || s[i + 1] == '~'))
			for (i += 2; i < n && (is_alpha((unsigned char)s[i]) ||
					       is_digit((unsigned char)s[i]) || s[i] == '~'); i++)
				continue;
	}
}

static int filevercmp(const char *a, const char *b)
{
	if (!a[0])
		return -!!b[0];
	if (!b[0])
		return 1;
	if (a[0] == '.') {
		if (b[0] != '.')
			return -1;
		bool adot = !a[1], bdot = !b[1];
		if (adot)
			return -!bdot;
		if (bdot)
			return 1;
		bool add = a[1] == '.' && !a[2], bdd = b[1] == '.' && !b[2];
		if (add)
			return -!bdd;
		if (bdd)
			return 1;
	} else if (b[0] == '.') {
		return 1;
	}
	size_t al = strlen(a), bl = strlen(b);
	size_t ap = file_prefixlen(a, al), bp = file_prefixlen(b, bl);
	bool one_pass = ap == al && bp == bl;
	int r = verrevcmp(a, ap, b, bp);
	return r || one_pass ? r : verrevcmp(a, al, b, bl);
}

int bg_augenrules_vercmp(const char *a, const char *b)
{
	int r = filevercmp(a, b);
	return r ? r : strcmp(a, b); /* ls and sort fall back to bytes */
}

/* ---- the merge ---------------------------------------------------------- */

typedef struct src_line {
	const char *file, *layer;
	unsigned line;
	const char *text;
	size_t len;
} src_line;

typedef struct line_vec {
	src_line *v;
	size_t n, cap;
} line_vec;

static int line_push(line_vec *lv, src_line l)
{
	if (lv->n == lv->cap) {
		size_t cap = lv->cap ? lv->cap * 2 : 64;
		src_line *nv = realloc(lv->v, cap * sizeof *nv);
		if (!nv)
			return BG_E_NOMEM;
		lv->v = nv;
		lv->cap = cap;
	}
	lv->v[lv->n++] = l;
	return 0;
}

/* awk's ^[[:space:]]*X */
static const char *skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' || *s == '\v'))
		s++;
	return s;
}

static bool starts(const char *s, const char *end, const char *prefix)
{
	s = skip_ws(s, end);
	size_t n = strlen(prefix);
	return (size_t)(end - s) >= n && memcmp(s, prefix, n) == 0;
}

static bool bare_D(const char *s, const char *end)
{
	s = skip_ws(s, end);
	if (end - s < 2 || s[0] != '-' || s[1] != 'D')
		return false;
	return skip_ws(s + 2, end) == end;
}

static const bg_audit_file *rules_d_file(const bg_audit_file *f)
{
	if (!bg_str_has_prefix(f->path, RULES_D))
		return NULL;
	const char *name = f->path + strlen(RULES_D);
	if (!*name || name[0] == '.' || strchr(name, '/') || !bg_str_has_suffix(name, ".rules"))
		return NULL;
	return f;
}

static int cmp_files(const void *a, const void *b)
{
	const bg_audit_file *fa = *(const bg_audit_file *const *)a;
	const bg_audit_file *fb = *(const bg_audit_file *const *)b;
	return bg_augenrules_vercmp(fa->path + strlen(RULES_D), fb->path + strlen(RULES_D));
}

static int merge(const bg_audit_file *const *files, size_t n, bool strip_cr, line_vec *out,
		 src_line *hoisted /* D, b, f, e */)
{
	for (size_t i = 0; i < n; i++) {
		const bg_audit_file *f = files[i];
		const char *p = f->content ? f->content : "", *end = p + f->len;
		unsigned lineno = 1;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl ? nl : end;
			const char *te = le;
			if (strip_cr && te > p && te[-1] == '\r')
				te--;
			src_line l = { f->path, f->layer, lineno, p, (size_t)(te - p) };
			const char *s = skip_ws(p, te);
			if (te == p || (s < te && *s == '#')) {
				/* dropped: empty or comment */
			} else if (starts(p, te, "-e")) {
				hoisted[3] = l;
			} else if (bare_D(p, te)) {
				hoisted[0] = l;
			} else if (starts(p, te, "-f")) {
				hoisted[2] = l;
			} else if (starts(p, te, "-b")) {
				hoisted[1] = l;
			} else if (line_push(out, l) < 0) {
				return BG_E_NOMEM;
			}
			p = nl ? nl + 1 : end;
			lineno++;
		}
	}
	return 0;
}

static int add_line(bg_audit_sources *src, bg_strbuf *gen, const src_line *l,
		    const bg_audit_context *ctx, bg_error *err)
{
	if (l->text)
		bg_strbuf_add(gen, l->text, l->len);
	bg_strbuf_putc(gen, '\n'); /* a hoisted slot may be an empty line */
	if (!l->text)
		return 0;
	return bg_auditrules_parse_lines(&src->effective, l->file, l->layer, l->text, l->len,
					 l->line, false, ctx, err);
}

/* The rule lines of a file (not blank, not comments), for "is audit.rules
 * what augenrules would write". */
static int rule_lines(const bg_audit_ruleset *set, bg_strv *out)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].kind != BG_AUDIT_BLANK && bg_strv_push(out, set->v[i].text) < 0)
			return BG_E_NOMEM;
	return 0;
}

int bg_augenrules_build(const bg_audit_file *files, size_t n, const bg_audit_context *ctx,
			const bg_augenrules_options *opts, bg_audit_sources *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	out->effective.enable = -1;
	bool strip_cr = opts ? opts->strip_cr : true;
	int rc = 0;
	const bg_audit_file **sel = calloc(n ? n : 1, sizeof *sel);
	line_vec body = { 0 };
	bg_strbuf gen = { 0 };
	if (!sel)
		goto oom;
	size_t ns = 0;
	for (size_t i = 0; i < n; i++) {
		if (bg_str_has_prefix(files[i].path, RULES_D))
			out->has_rules_d = true;
		if (rules_d_file(&files[i]))
			sel[ns++] = &files[i];
	}
	qsort(sel, ns, sizeof *sel, cmp_files);
	if (ns) {
		out->rules_d_files = calloc(ns, sizeof(char *));
		out->rules_d_targets = calloc(ns, sizeof(char *));
		if (!out->rules_d_files || !out->rules_d_targets)
			goto oom;
		for (size_t i = 0; i < ns; i++) {
			out->nrules_d_files = i + 1;
			if (!(out->rules_d_files[i] = bg_strdup(sel[i]->path)) ||
			    (sel[i]->symlink_target &&
			     !(out->rules_d_targets[i] = bg_strdup(sel[i]->symlink_target))))
				goto oom;
		}
	}
	src_line hoisted[4] = { { 0 } };
	if (merge(sel, ns, strip_cr, &body, hoisted) < 0)
		goto oom;
	bg_strbuf_puts(&gen, "## This file is automatically generated from /etc/audit/rules.d\n");
	for (int h = 0; h < 3 && rc == 0; h++)
		rc = add_line(out, &gen, &hoisted[h], ctx, err);
	for (size_t i = 0; i < body.n && rc == 0; i++)
		rc = add_line(out, &gen, &body.v[i], ctx, err);
	if (rc == 0 && hoisted[3].text)
		rc = add_line(out, &gen, &hoisted[3], ctx, err);
	if (rc < 0)
		goto fail;
	if (gen.oom)
		goto oom;
	out->generated = bg_strbuf_take(&gen);
	if (!out->generated)
		goto oom;
	if ((rc = bg_audit_ruleset_load(&out->effective, ctx, err)) < 0)
		goto fail;

	/* /etc/audit/audit.rules as shipped, and /usr/lib/audit. */
	for (size_t i = 0; i < n; i++) {
		const bg_audit_file *f = &files[i];
		if (strcmp(f->path, AUDIT_RULES) == 0) {
			bg_audit_ruleset_free(&out->audit_rules);
			if ((rc = bg_auditrules_parse(f->path, f->layer, f->content ? f->content : "",
						      f->len, ctx, &out->audit_rules, err)) < 0)
				goto fail;
			out->has_audit_rules = true;
		} else if (bg_str_has_prefix(f->path, USR_LIB_AUDIT)) {
			bg_audit_ruleset *nv = realloc(out->usr_lib, (out->nusr_lib + 1) * sizeof *nv);
			if (!nv)
				goto oom;
			out->usr_lib = nv;
			if ((rc = bg_auditrules_parse(f->path, f->layer, f->content ? f->content : "",
						      f->len, ctx, &nv[out->nusr_lib], err)) < 0)
				goto fail;
			out->nusr_lib++;
		}
	}
	if (out->has_audit_rules) {
		bg_strv a = { 0 }, b = { 0 };
		if (rule_lines(&out->audit_rules, &a) < 0 || rule_lines(&out->effective, &b) < 0) {
			bg_strv_free(&a);
			bg_strv_free(&b);
			goto oom;
		}
		bool same = a.n == b.n;
		for (size_t i = 0; same && i < a.n; i++)
			same = strcmp(a.v[i], b.v[i]) == 0;
		out->audit_rules_stale = !same;
		bg_strv_free(&a);
		bg_strv_free(&b);
	}
	free(sel);
	free(body.v);
	return 0;
oom:
	rc = bg_error_set(err, BG_E_NOMEM, "out of memory building the augenrules rule set");
fail:
	free(sel);
	free(body.v);
	bg_strbuf_free(&gen);
	bg_audit_sources_free(out);
	return rc;
}

bool bg_augenrules_reachable(const bg_audit_sources *src, const bg_audit_rule *rule,
			     const bg_audit_context *ctx)
{
	if (!src || !rule)
		return false;
	for (size_t i = 0; rule->file && i < src->nrules_d_files; i++)
		if (src->rules_d_targets[i] && strcmp(src->rules_d_targets[i], rule->file) == 0)
			return true;
	if (rule->kind != BG_AUDIT_SYSCALL && rule->kind != BG_AUDIT_WATCH)
		return false;
	for (size_t i = 0; i < src->effective.n; i++) {
		const bg_audit_rule *e = &src->effective.v[i];
		if (e->loads && (e->kind == BG_AUDIT_SYSCALL || e->kind == BG_AUDIT_WATCH) &&
		    bg_auditnorm_equivalent(e, rule, ctx))
			return true;
	}
	return false;
}

void bg_audit_sources_free(bg_audit_sources *src)
{
	if (!src)
		return;
	bg_audit_ruleset_free(&src->effective);
	free(src->generated);
	for (size_t i = 0; i < src->nrules_d_files; i++) {
		free(src->rules_d_files[i]);
		if (src->rules_d_targets)
			free(src->rules_d_targets[i]);
	}
	free(src->rules_d_files);
	free(src->rules_d_targets);
	bg_audit_ruleset_free(&src->audit_rules);
	for (size_t i = 0; i < src->nusr_lib; i++)
		bg_audit_ruleset_free(&src->usr_lib[i]);
	free(src->usr_lib);
	memset(src, 0, sizeof *src);
}
