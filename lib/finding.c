/* bootgate — findings list. */
#include "bootgate/finding.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const severity_names[] = {"none", "info", "warning", "error"};

const char *bg_severity_name(bg_severity sev)
{
	return (unsigned)sev <= BG_SEV_ERROR ? severity_names[sev] : "unknown";
}

int bg_severity_parse(const char *name, bg_severity *out)
{
	for (int i = BG_SEV_NONE; i <= BG_SEV_ERROR; i++) {
		if (strcmp(name, severity_names[i]) == 0) {
			*out = (bg_severity)i;
			return 0;
		}
	}
	return -1;
}

bg_finding *bg_findings_add(bg_findings *list, const bg_rule *rule, bg_severity severity,
			    const char *file, unsigned line, unsigned column, const char *fmt, ...)
{
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		bg_finding *v = realloc(list->v, cap * sizeof *v);
		if (!v)
			return NULL;
		list->v = v;
		list->cap = cap;
	}
	bg_finding *f = &list->v[list->n];
	memset(f, 0, sizeof *f);
	va_list ap;
	va_start(ap, fmt);
	int len = vasprintf(&f->message, fmt, ap);
	va_end(ap);
	if (len < 0)
		return NULL;
	f->file = bg_strdup(file ? file : "");
	if (!f->file) {
		free(f->message);
		return NULL;
	}
	f->rule = rule;
	f->severity = severity;
	f->line = f->end_line = line;
	f->column = column;
	list->n++;
	return f;
}

void bg_finding_set_snippet(bg_finding *f, const char *text, size_t len)
{
	free(f->snippet);
	f->snippet = text ? bg_strndup(text, len) : NULL;
}

static int finding_cmp(const void *a, const void *b)
{
	const bg_finding *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return strcmp(x->rule->id, y->rule->id);
}

void bg_findings_sort(bg_findings *list)
{
	/* qsort is not stable; ties (same rule, same place) keep distinct
	 * messages, whose relative order then does not matter to any report. */
	if (list->n > 1)
		qsort(list->v, list->n, sizeof *list->v, finding_cmp);
}

bg_severity bg_findings_max_severity(const bg_findings *list)
{
	bg_severity max = BG_SEV_NONE;
	for (size_t i = 0; i < list->n; i++)
		if (!list->v[i].suppressed && list->v[i].severity > max)
			max = list->v[i].severity;
	return max;
}

bool bg_finding_fails(const bg_finding *f, bg_severity threshold)
{
	if (f->suppressed)
		return false;
	if (f->rule && f->rule->always_fails)
		return true;
	return threshold != BG_SEV_NONE && f->severity >= threshold;
}

size_t bg_findings_count_failing(const bg_findings *list, bg_severity threshold)
{
	size_t n = 0;
	for (size_t i = 0; i < list->n; i++)
		n += bg_finding_fails(&list->v[i], threshold);
	return n;
}

void bg_findings_free(bg_findings *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++) {
		free(list->v[i].message);
		free(list->v[i].file);
		free(list->v[i].snippet);
		free(list->v[i].suppress_reason);
	}
	free(list->v);
	memset(list, 0, sizeof *list);
}
