/* bootgate — the text report, for people at a terminal or reading a CI log:
 *
 *   Containerfile:3:6: error: base image ... is not pinned by digest [base-unpinned; CM-2,SR-11]
 *       3 | FROM quay.io/x:latest
 *         |      ^
 *     help: pin it: FROM quay.io/x@sha256:<digest>
 *   bootgate lint: 1 finding (1 error); threshold error: FAIL (1 at or above)
 *
 * Suppressed findings are only counted in the summary.  Text from the
 * user's files may hold terminal escape sequences, so control characters
 * (C0, DEL, C1) and bidirectional overrides are shown as \xNN / \uNNNN,
 * never sent to the terminal; invalid UTF-8 shows as U+FFFD. */
#include "bootgate/report.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A snippet longer than this is cut: a 64 KiB line helps no one. */
#define TEXT_SNIPPET_MAX 256

#define ANSI_RESET "\033[0m"
#define ANSI_BOLD "\033[1m"
#define ANSI_RED "\033[1;31m"
#define ANSI_GREEN "\033[1;32m"
#define ANSI_MAGENTA "\033[1;35m"
#define ANSI_CYAN "\033[1;36m"

static void color_on(bg_strbuf *b, const bg_report *r, const char *code)
{
	if (r->color)
		bg_strbuf_puts(b, code);
}

static void color_off(bg_strbuf *b, const bg_report *r)
{
	if (r->color)
		bg_strbuf_puts(b, ANSI_RESET);
}

static const char *severity_color(bg_severity sev)
{
	return sev >= BG_SEV_ERROR ? ANSI_RED : sev == BG_SEV_WARNING ? ANSI_MAGENTA : ANSI_CYAN;
}

/* Code points a terminal must not receive as-is: C1 controls and the
 * bidirectional embedding/override/isolate marks ("Trojan Source"). */
static bool is_unsafe_code_point(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

static unsigned decode(const unsigned char *s, size_t n)
{
	if (n == 2)
		return (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu);
	if (n == 3)
		return (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
	return (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
}

static size_t seq_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* Append at most max bytes of valid UTF-8 s, made safe for a terminal.
 * Tabs are kept when keep_tab (snippets, so the caret lines up). */
static void put_safe(bg_strbuf *b, const char *s, size_t max, bool keep_tab)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (p[i] && i < max) {
		size_t n = seq_len(p[i]);
		if (i + n > max)
			break; /* do not cut a character in half */
		if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f) && !(keep_tab && p[i] == '\t'))
			bg_strbuf_printf(b, "\\x%02x", p[i]);
		else if (n > 1 && is_unsafe_code_point(decode(p + i, n)))
			bg_strbuf_printf(b, "\\u%04x", decode(p + i, n));
		else
			bg_strbuf_add(b, (const char *)p + i, n);
		i += n;
	}
}

/* Same as put_safe, for text that may be invalid UTF-8. */
static void put_text(bg_strbuf *b, const char *s)
{
	_cleanup_free_ char *clean = bg_report_utf8(s);
	if (!clean) {
		b->oom = true;
		return;
	}
	put_safe(b, clean, strlen(clean), false);
}

static void put_location(bg_strbuf *b, const bg_finding *f)
{
	put_text(b, f->file);
	if (f->line) {
		bg_strbuf_printf(b, ":%u", f->line);
		if (f->column)
			bg_strbuf_printf(b, ":%u", f->column);
	}
}

/* "    3 | FROM x" and, with a column, "      |      ^" under byte
 * column-1 of the snippet: the caret line repeats the snippet's tabs and
 * gives every other displayed character one cell. */
static void put_snippet(bg_strbuf *b, const bg_report *r, const bg_finding *f)
{
	size_t len = strcspn(f->snippet, "\r\n");
	bool cut = len > TEXT_SNIPPET_MAX;
	if (cut)
		len = TEXT_SNIPPET_MAX;
	if (len == 0)
		return;
	_cleanup_free_ char *raw = bg_strndup(f->snippet, len);
	_cleanup_free_ char *clean = raw ? bg_report_utf8(raw) : NULL;
	if (!clean) {
		b->oom = true;
		return;
	}

	int width = snprintf(NULL, 0, "%u", f->line);
	bg_strbuf_printf(b, "    %u | ", f->line);
	put_safe(b, clean, strlen(clean), true);
	if (cut)
		bg_strbuf_puts(b, "...");
	bg_strbuf_putc(b, '\n');

	/* The column is a 1-based byte offset into the snippet as read, so the
	 * caret's prefix is cut from the raw bytes before any repair.  A column
	 * past the shown text gets no caret. */
	if (f->column == 0 || f->column - 1 > len)
		return;
	_cleanup_free_ char *raw_prefix = bg_strndup(f->snippet, f->column - 1);
	_cleanup_free_ char *clean_prefix = raw_prefix ? bg_report_utf8(raw_prefix) : NULL;
	if (!clean_prefix) {
		b->oom = true;
		return;
	}
	bg_strbuf prefix = {0};
	put_safe(&prefix, clean_prefix, strlen(clean_prefix), true);
	bg_strbuf_printf(b, "    %*s | ", width, "");
	for (size_t i = 0; i < prefix.len; i++) {
		unsigned char c = (unsigned char)prefix.s[i];
		if (c == '\t')
			bg_strbuf_putc(b, '\t');
		else if ((c & 0xc0) != 0x80) /* one cell per character, not per byte */
			bg_strbuf_putc(b, ' ');
	}
	if (prefix.oom)
		b->oom = true;
	bg_strbuf_free(&prefix);
	color_on(b, r, ANSI_GREEN);
	bg_strbuf_putc(b, '^');
	color_off(b, r);
	bg_strbuf_putc(b, '\n');
}

static void put_finding(bg_strbuf *b, const bg_report *r, const bg_finding *f)
{
	const bg_rule *rule = f->rule;

	color_on(b, r, ANSI_BOLD);
	put_location(b, f);
	bg_strbuf_putc(b, ':');
	color_off(b, r);
	bg_strbuf_putc(b, ' ');
	color_on(b, r, severity_color(f->severity));
	bg_strbuf_puts(b, bg_severity_name(f->severity));
	bg_strbuf_putc(b, ':');
	color_off(b, r);
	bg_strbuf_putc(b, ' ');
	put_text(b, f->message);
	bg_strbuf_puts(b, " [");
	put_text(b, rule->id);
	for (size_t i = 0; i < BG_RULE_MAX_CONTROLS && rule->controls[i]; i++) {
		bg_strbuf_puts(b, i == 0 ? "; " : ",");
		put_text(b, rule->controls[i]);
	}
	bg_strbuf_puts(b, "]\n");
	if (f->line && f->snippet)
		put_snippet(b, r, f);
	if (rule->help && *rule->help) {
		bg_strbuf_puts(b, "  help: ");
		put_text(b, rule->help);
		bg_strbuf_putc(b, '\n');
	}
}

int bg_report_write_text(FILE *out, const bg_report *r, bg_error *err)
{
	bg_strbuf b = {0};
	for (size_t i = 0; r->findings && i < r->findings->n; i++)
		if (!r->findings->v[i].suppressed)
			put_finding(&b, r, &r->findings->v[i]);

	if (r->ngroups) {
		size_t w = 4;
		for (size_t i = 0; i < r->ngroups; i++)
			if (r->groups[i].name && strlen(r->groups[i].name) > w)
				w = strlen(r->groups[i].name);
		bg_strbuf_printf(&b, "\n%-*s  %-11s  %s\n", (int)w, "ROLE", "VERDICT", "REASON");
		for (size_t i = 0; i < r->ngroups; i++) {
			const bg_report_group *g = &r->groups[i];
			bool pass = g->verdict && strcmp(g->verdict, "pass") == 0;
			size_t pad = g->name && strlen(g->name) < w ? w - strlen(g->name) : 0;
			put_text(&b, g->name ? g->name : "");
			bg_strbuf_printf(&b, "%*s  ", (int)pad, "");
			color_on(&b, r, pass ? ANSI_GREEN : ANSI_RED);
			bg_strbuf_printf(&b, "%-11s", g->verdict ? g->verdict : "?");
			color_off(&b, r);
			bg_strbuf_puts(&b, "  ");
			put_text(&b, g->reason ? g->reason : "");
			bg_strbuf_putc(&b, '\n');
		}
		bg_strbuf_putc(&b, '\n');
	}
	_cleanup_free_ char *summary = bg_report_summary(r);
	if (!summary)
		b.oom = true;
	else {
		color_on(&b, r, bg_report_passed(r) ? ANSI_GREEN : ANSI_RED);
		put_text(&b, summary);
		color_off(&b, r);
		bg_strbuf_putc(&b, '\n');
	}
	_cleanup_free_ char *text = bg_strbuf_take(&b);
	if (!text)
		return bg_error_set(err, BG_E_NOMEM, "report: out of memory building the text report");
	if (fputs(text, out) == EOF)
		return bg_error_set(err, BG_E_EVAL, "writing the text report failed: %s",
				    strerror(errno));
	return 0;
}
