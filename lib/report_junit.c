/* bootgate — JUnit XML as GitLab's unit test report reads it
 * (reference/ecosystem.md A3).
 *
 * One <testsuite name="bootgate <command>"> holding, for each subject (in
 * the caller's order, then any file that only findings name, by path):
 * - one <testcase classname="<subject>" name="<rule id>" file="<subject>">
 *   per rule with findings in that subject, by rule id:
 *     <failure> when a finding in it fails the run (at/above the threshold),
 *       message = the first such finding's message, body = every finding;
 *     passing, findings listed in <system-out>, when all are below it;
 *     <skipped> when all its findings are suppressed;
 * - or, when the subject has no findings at all, one passing testcase
 *   name="no findings".
 * With no subject at all, one failing testcase "nothing evaluated", since
 * zero subjects is never a pass.
 * (classname, name) pairs are unique, as GitLab needs.  No time attributes:
 * the output is deterministic.  Text is XML-escaped; characters XML 1.0
 * forbids (C0 controls other than tab, LF, CR; U+FFFE, U+FFFF) and invalid
 * UTF-8 become U+FFFD. */
#include "bootgate/report.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLACEMENT "\xef\xbf\xbd"

/* Append s XML-escaped; in an attribute, also keep tab/LF/CR from being
 * normalised to spaces by the parser. */
static void put_xml(bg_strbuf *b, const char *s, bool attribute)
{
	_cleanup_free_ char *clean = bg_report_utf8(s);
	if (!clean) {
		b->oom = true;
		return;
	}
	for (const char *p = clean; *p; p++) {
		unsigned char c = (unsigned char)*p;
		switch (c) {
		case '&':
			bg_strbuf_puts(b, "&amp;");
			break;
		case '<':
			bg_strbuf_puts(b, "&lt;");
			break;
		case '>':
			bg_strbuf_puts(b, "&gt;");
			break;
		case '"':
			bg_strbuf_puts(b, attribute ? "&quot;" : "\"");
			break;
		case '\'':
			bg_strbuf_puts(b, attribute ? "&apos;" : "'");
			break;
		case '\t':
		case '\n':
			if (attribute)
				bg_strbuf_printf(b, "&#%d;", c);
			else
				bg_strbuf_putc(b, (char)c);
			break;
		case '\r':
			bg_strbuf_puts(b, "&#13;"); /* a raw CR would be read back as LF */
			break;
		default:
			if (c < 0x20)
				bg_strbuf_puts(b, REPLACEMENT);
			else if (c == 0xef && (unsigned char)p[1] == 0xbf &&
				 ((unsigned char)p[2] == 0xbe || (unsigned char)p[2] == 0xbf)) {
				bg_strbuf_puts(b, REPLACEMENT); /* U+FFFE, U+FFFF */
				p += 2;
			} else
				bg_strbuf_putc(b, (char)c);
		}
	}
}

/* ---- grouping findings by (subject, rule) ---- */

typedef struct entry {
	const char *path; /* bg_report_path(finding->file) */
	const bg_finding *f;
	size_t index;
} entry;

static int entry_cmp(const void *a, const void *b)
{
	const entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (!c)
		c = strcmp(x->f->rule->id, y->f->rule->id);
	if (!c)
		c = x->index < y->index ? -1 : x->index > y->index;
	return c;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* First entry with this path in the sorted entries (n when none). */
static size_t lower_bound(const entry *e, size_t n, const char *path)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(e[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

typedef struct suite {
	bg_strbuf body;
	size_t tests, failures, skipped;
} suite;

static void put_finding_text(bg_strbuf *b, const bg_finding *f)
{
	put_xml(b, f->file, false);
	if (f->line) {
		bg_strbuf_printf(b, ":%u", f->line);
		if (f->column)
			bg_strbuf_printf(b, ":%u", f->column);
	}
	bg_strbuf_printf(b, ": %s: ", bg_severity_name(f->severity));
	put_xml(b, f->message, false);
	bg_strbuf_putc(b, '\n');
	if (f->line && f->snippet && *f->snippet) {
		bg_strbuf_puts(b, "    ");
		put_xml(b, f->snippet, false);
		bg_strbuf_putc(b, '\n');
	}
}

static void put_rule_text(bg_strbuf *b, const bg_rule *rule)
{
	if (rule->help && *rule->help) {
		bg_strbuf_puts(b, "help: ");
		put_xml(b, rule->help, false);
		bg_strbuf_putc(b, '\n');
	}
	for (size_t i = 0; i < BG_RULE_MAX_CONTROLS && rule->controls[i]; i++) {
		bg_strbuf_puts(b, i ? ", " : "NIST SP 800-53: ");
		put_xml(b, rule->controls[i], false);
	}
	if (rule->controls[0])
		bg_strbuf_putc(b, '\n');
}

static void open_testcase(suite *s, const char *subject, const char *name)
{
	bg_strbuf *b = &s->body;
	bg_strbuf_puts(b, "    <testcase classname=\"");
	put_xml(b, subject, true);
	bg_strbuf_puts(b, "\" name=\"");
	put_xml(b, name, true);
	bg_strbuf_puts(b, "\" file=\"");
	put_xml(b, subject, true);
	bg_strbuf_putc(b, '"');
	s->tests++;
}

/* One testcase for the findings e[0..n) (same subject, same rule). */
static void put_rule_testcase(suite *s, const bg_report *r, const char *subject,
			      const entry *e, size_t n)
{
	bg_strbuf *b = &s->body;
	const bg_finding *first_failing = NULL;
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (!e[i].f->suppressed)
			shown++;
		if (!first_failing && bg_report_finding_fails(r, e[i].f))
			first_failing = e[i].f;
	}

	open_testcase(s, subject, e[0].f->rule->id);
	if (shown == 0) {
		const char *reason = e[0].f->suppress_reason;
		bg_strbuf_puts(b, ">\n      <skipped message=\"suppressed");
		if (reason && *reason) {
			bg_strbuf_puts(b, ": ");
			put_xml(b, reason, true);
		}
		bg_strbuf_puts(b, "\"/>\n    </testcase>\n");
		s->skipped++;
		return;
	}
	if (first_failing) {
		bg_strbuf_puts(b, ">\n      <failure message=\"");
		put_xml(b, first_failing->message, true);
		bg_strbuf_puts(b, "\" type=\"");
		put_xml(b, first_failing->rule->id, true);
		bg_strbuf_puts(b, "\">");
		s->failures++;
	} else {
		bg_strbuf_puts(b, ">\n      <system-out>");
	}
	for (size_t i = 0; i < n; i++)
		if (!e[i].f->suppressed)
			put_finding_text(b, e[i].f);
	put_rule_text(b, e[0].f->rule);
	bg_strbuf_puts(b, first_failing ? "</failure>\n" : "</system-out>\n");
	bg_strbuf_puts(b, "    </testcase>\n");
}

/* Every testcase of one subject: its entries are e[0..n) (maybe none). */
static void put_subject(suite *s, const bg_report *r, const char *subject, const entry *e,
			size_t n)
{
	if (n == 0) {
		open_testcase(s, subject, "no findings");
		bg_strbuf_puts(&s->body, "/>\n");
		return;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && strcmp(e[j].f->rule->id, e[i].f->rule->id) == 0)
			j++;
		put_rule_testcase(s, r, subject, e + i, j - i);
		i = j;
	}
}

static int build_suite(suite *s, const bg_report *r)
{
	size_t n = r->findings ? r->findings->n : 0;
	_cleanup_free_ entry *e = calloc(n + 1, sizeof *e);
	_cleanup_free_ const char **paths = calloc(r->nsubjects + 1, sizeof *paths);
	if (!e || !paths)
		return -1;
	for (size_t i = 0; i < n; i++)
		e[i] = (entry){bg_report_path(r->findings->v[i].file), &r->findings->v[i], i};
	qsort(e, n, sizeof *e, entry_cmp);
	for (size_t i = 0; i < r->nsubjects; i++)
		paths[i] = bg_report_path(r->subjects[i]);
	qsort(paths, r->nsubjects, sizeof *paths, path_cmp);

	/* Zero subjects is never a pass: say so where CI looks. */
	if (r->nsubjects == 0) {
		open_testcase(s, "bootgate", "nothing evaluated");
		bg_strbuf_puts(&s->body, ">\n      <failure message=\"no file or image was evaluated\" "
					 "type=\"nothing-evaluated\"/>\n    </testcase>\n");
		s->failures++;
	}
	/* The caller's subjects, in order, each once. */
	for (size_t i = 0; i < r->nsubjects; i++) {
		const char *path = bg_report_path(r->subjects[i]);
		bool repeated = false;
		for (size_t k = 0; k < i && !repeated; k++)
			repeated = strcmp(bg_report_path(r->subjects[k]), path) == 0;
		if (repeated)
			continue;
		size_t lo = lower_bound(e, n, path), hi = lo;
		while (hi < n && strcmp(e[hi].path, path) == 0)
			hi++;
		put_subject(s, r, r->subjects[i], e + lo, hi - lo);
	}
	/* Files only findings name (the caller should have listed them). */
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && strcmp(e[j].path, e[i].path) == 0)
			j++;
		if (!bsearch(&e[i].path, paths, r->nsubjects, sizeof *paths, path_cmp))
			put_subject(s, r, e[i].f->file, e + i, j - i);
		i = j;
	}
	return s->body.oom ? -1 : 0;
}

int bg_report_write_junit(FILE *out, const bg_report *r, bg_error *err)
{
	suite s = {0};
	bg_strbuf doc = {0};

	if (build_suite(&s, r) < 0) {
		bg_strbuf_free(&s.body);
		return bg_error_set(err, BG_E_NOMEM, "report: out of memory building the JUnit report");
	}
	/* Per-group verdicts: a testsuite of their own, one testcase each. */
	bg_strbuf groups = {0};
	size_t gfail = 0;
	for (size_t i = 0; i < r->ngroups; i++) {
		const bg_report_group *g = &r->groups[i];
		bool pass = g->verdict && strcmp(g->verdict, "pass") == 0;
		bg_strbuf_puts(&groups, "    <testcase classname=\"roles\" name=\"");
		put_xml(&groups, g->name, true);
		bg_strbuf_puts(&groups, pass ? "\"/>\n" : "\">\n      <failure message=\"");
		if (!pass) {
			gfail++;
			put_xml(&groups, g->reason ? g->reason : g->verdict, true);
			bg_strbuf_puts(&groups, "\" type=\"");
			put_xml(&groups, g->verdict ? g->verdict : "fail", true);
			bg_strbuf_puts(&groups, "\"/>\n    </testcase>\n");
		}
	}
	bg_strbuf_puts(&doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	bg_strbuf_printf(&doc,
			 "<testsuites name=\"bootgate\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
			 "skipped=\"%zu\">\n",
			 s.tests + r->ngroups, s.failures + gfail, s.skipped);
	if (r->ngroups) {
		bg_strbuf_puts(&doc, "  <testsuite name=\"bootgate ");
		put_xml(&doc, r->command, true);
		bg_strbuf_printf(&doc, " roles\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n",
				 r->ngroups, gfail);
		if (groups.s)
			bg_strbuf_add(&doc, groups.s, groups.len);
		bg_strbuf_puts(&doc, "  </testsuite>\n");
	}
	bool goom = groups.oom;
	bg_strbuf_free(&groups);
	if (goom)
		doc.oom = true;
	bg_strbuf_puts(&doc, "  <testsuite name=\"bootgate ");
	put_xml(&doc, r->command, true);
	bg_strbuf_printf(&doc, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n",
			 s.tests, s.failures, s.skipped);
	if (s.body.s)
		bg_strbuf_add(&doc, s.body.s, s.body.len);
	bg_strbuf_puts(&doc, "  </testsuite>\n</testsuites>\n");
	bg_strbuf_free(&s.body);

	_cleanup_free_ char *text = bg_strbuf_take(&doc);
	if (!text)
		return bg_error_set(err, BG_E_NOMEM, "report: out of memory building the JUnit report");
	if (fputs(text, out) == EOF)
		return bg_error_set(err, BG_E_EVAL, "writing the JUnit report failed: %s",
				    strerror(errno));
	return 0;
}
