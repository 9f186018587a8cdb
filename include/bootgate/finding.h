/* bootgate — findings: what every stage reports, and the rules they come from.
 *
 * A rule is static metadata (stable kebab-case id, default severity, one-line
 * summary, help text with the fix, NIST SP 800-53 controls).  A finding is one
 * occurrence of a rule at a place in a file (or an image).  Reports
 * (report.h) turn a list of findings into every output format. */
#ifndef BOOTGATE_FINDING_H
#define BOOTGATE_FINDING_H

#include <stdbool.h>
#include <stddef.h>

typedef enum bg_severity {
	BG_SEV_NONE = 0, /* used only as a threshold: nothing fails */
	BG_SEV_INFO = 1,
	BG_SEV_WARNING = 2,
	BG_SEV_ERROR = 3,
} bg_severity;

/* "error", "warning", "info", "none". */
const char *bg_severity_name(bg_severity sev);
/* Parse a severity name; returns 0 or -1 when the name is unknown. */
int bg_severity_parse(const char *name, bg_severity *out);

#define BG_RULE_MAX_CONTROLS 8

typedef struct bg_rule {
	const char *id;         /* stable kebab-case name, e.g. "base-unpinned" */
	bg_severity severity;   /* default severity */
	const char *summary;    /* one line: what is wrong */
	const char *help;       /* how to fix it */
	const char *controls[BG_RULE_MAX_CONTROLS]; /* NIST SP 800-53 ids, NULL-terminated */
	/* The subject could not be evaluated (e.g. parse-error): an unsuppressed
	 * finding of this rule fails the run whatever the threshold, since
	 * nothing evaluated is never a pass. */
	bool always_fails;
} bg_rule;

typedef struct bg_finding {
	const bg_rule *rule;
	bg_severity severity;   /* after configuration overrides */
	char *message;          /* specific to this occurrence */
	char *file;             /* path as the user named it ("-" for stdin) */
	unsigned line, column;  /* 1-based; 0 = whole file */
	unsigned end_line, end_column;
	char *snippet;          /* the offending source line, or NULL */
	bool suppressed;        /* an inline ignore matched */
	char *suppress_reason;
} bg_finding;

typedef struct bg_findings {
	bg_finding *v;
	size_t n, cap;
} bg_findings;

/* Append a finding; strings are copied.  The message is printf-formatted.
 * Returns the new finding or NULL when out of memory. */
bg_finding *bg_findings_add(bg_findings *list, const bg_rule *rule, bg_severity severity,
			    const char *file, unsigned line, unsigned column,
			    const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void bg_finding_set_snippet(bg_finding *f, const char *text, size_t len);
/* Stable order for reports: file, line, column, rule id. */
void bg_findings_sort(bg_findings *list);
/* Highest severity among unsuppressed findings (BG_SEV_NONE when none). */
bg_severity bg_findings_max_severity(const bg_findings *list);
/* Does this finding fail a run with this threshold?  Unsuppressed, and at or
 * above the threshold (BG_SEV_NONE: nothing is), or of an always_fails rule. */
bool bg_finding_fails(const bg_finding *f, bg_severity threshold);
/* Number of findings for which bg_finding_fails is true. */
size_t bg_findings_count_failing(const bg_findings *list, bg_severity threshold);
void bg_findings_free(bg_findings *list);

#endif
