/* bootgate — reports: a run's findings rendered in every output format.
 *
 * One call, bg_report_write(), turns a bg_report (the findings of one
 * command plus what was evaluated and which rules were active) into:
 *
 *   text         file:line:col: severity: message [rule; controls], the line and a caret
 *   json         bootgate's own versioned schema (doc/report-json.md)
 *   sarif        SARIF 2.1.0 as GitHub code scanning accepts it
 *   codeclimate  GitLab Code Quality (a JSON array, CodeClimate subset)
 *   junit        JUnit XML as GitLab's test report reads it
 *   github       GitHub Actions workflow commands (::error file=...::message)
 *
 * Every format is deterministic: the same input gives the same bytes (no
 * timestamps, no hash-table order).  Machine formats are valid whatever
 * bytes the messages, snippets and paths contain: invalid UTF-8 becomes
 * U+FFFD, and each format escapes what it must.
 *
 * The verdict is the same in every format: the run fails when an
 * unsuppressed finding is at or above the threshold, or when nothing was
 * evaluated (zero subjects is never a pass, DESIGN.md "Exit codes"). */
#ifndef BOOTGATE_REPORT_H
#define BOOTGATE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bootgate/error.h"
#include "bootgate/finding.h"

typedef enum bg_format {
	BG_FORMAT_TEXT,
	BG_FORMAT_JSON,
	BG_FORMAT_SARIF,
	BG_FORMAT_CODECLIMATE,
	BG_FORMAT_JUNIT,
	BG_FORMAT_GITHUB,
} bg_format;

/* "text", "json", "sarif", "codeclimate", "junit", "github" → *out.
 * Returns 0, or -1 when the name is unknown (*out untouched). */
int bg_format_parse(const char *name, bg_format *out);
/* The name bg_format_parse accepts; "unknown" for an out-of-range value. */
const char *bg_format_name(bg_format f);
/* "text, json, sarif, codeclimate, junit, github": for usage messages. */
const char *bg_format_list(void);

/* A verdict over a group of subjects (bootgate check: one per role). */
typedef struct bg_report_group {
	const char *name;               /* "web" */
	const char *verdict;            /* "pass", "fail", "unevaluated" */
	const char *reason;             /* one line, may be NULL */
} bg_report_group;

typedef struct bg_report {
	const char *tool_version;       /* "0.1.0"; NULL = the version built in */
	const char *command;            /* "lint" (later "audit", "check") */
	const bg_findings *findings;    /* sorted by the caller; NULL = none */
	const char *const *subjects;    /* files (or images) evaluated, in order */
	size_t nsubjects;
	const bg_rule *const *rules;    /* every rule active in the run (SARIF driver.rules) */
	size_t nrules;
	bg_severity threshold;          /* unsuppressed findings at/above it fail the run */
	bool color;                     /* text only: ANSI colour (the caller checks isatty) */
	/* Optional per-group verdicts (NULL/0: none, and every format is as
	 * without them).  Rendered as a table (text), a "roles" array (JSON),
	 * run properties.roles (SARIF), a testsuite with one testcase per group
	 * (JUnit); a group whose verdict is not "pass" fails the run. */
	const bg_report_group *groups;
	size_t ngroups;
} bg_report;

/* Render r in format fmt to out.  Returns 0, BG_E_USAGE for an invalid
 * report (NULL command, a finding without a rule id, unknown format),
 * BG_E_NOMEM, or BG_E_EVAL when writing to out fails. */
int bg_report_write(FILE *out, bg_format fmt, const bg_report *r, bg_error *err);

/* ---- What every format agrees on (computed once here, not per format) ---- */

typedef struct bg_report_counts {
	size_t total;      /* every finding, suppressed or not */
	size_t errors, warnings, infos; /* unsuppressed, by severity */
	size_t suppressed;
	size_t failing;    /* unsuppressed and at/above the threshold */
} bg_report_counts;

void bg_report_count(const bg_report *r, bg_report_counts *out);
/* The verdict: no failing finding and at least one subject. */
bool bg_report_passed(const bg_report *r);
/* Does this finding fail the run (unsuppressed and at/above the threshold)? */
bool bg_report_finding_fails(const bg_report *r, const bg_finding *f);
/* One line, no newline, e.g.
 *   "bootgate lint: 3 findings (1 error, 2 warnings), 1 suppressed; threshold error: FAIL (1 at or above)"
 *   "bootgate lint: no findings; threshold error: PASS"
 *   "bootgate lint: nothing evaluated; threshold error: FAIL"
 * Malloc'd; NULL when out of memory. */
char *bg_report_summary(const bg_report *r);

/* Stable fingerprints (documented in doc/report-json.md "Fingerprints").
 * key is the SHA-256 (hex) of the rule id, the file, the snippet with its
 * whitespace collapsed and the message, each NUL-terminated; the line number
 * is left out on purpose so a finding keeps its fingerprint when lines are
 * added above it.  occurrence tells apart findings with the same key
 * (1 for the first in list order, 2 for the next...), suppressed ones
 * included, so suppressing one finding does not renumber the others. */
typedef struct bg_report_fingerprint {
	char key[65];
	unsigned occurrence;
} bg_report_fingerprint;

/* One fingerprint per finding of r, in list order; free() it.  Returns
 * NULL when out of memory, or when there are no findings (*n = 0). */
bg_report_fingerprint *bg_report_fingerprints(const bg_report *r, size_t *n);
/* One opaque string per finding: SHA-256 hex of "<key>:<occurrence>"
 * (GitLab Code Quality's fingerprint).  Returns 0 or -1. */
int bg_report_fingerprint_hex(const bg_report_fingerprint *fp, char hex[65]);

/* ---- Helpers shared by the format writers (lib/report_*.c) ---- */

/* A malloc'd copy of s (NULL = "") in which every byte that is not part of
 * a well-formed UTF-8 sequence (overlong forms, surrogates and code points
 * above U+10FFFF included) is replaced by U+FFFD.  NULL when out of memory. */
char *bg_report_utf8(const char *s);

/* The path as a report shows it: a leading "./" (repeated) removed. */
const char *bg_report_path(const char *file);

/* SARIF/JSON writers build json-c trees; these keep OOM checks short.
 * bg_report_json_string: a json string of bg_report_utf8(s) (NULL on OOM).
 * bg_report_json_set / _push: add val (taking it) to obj / array; -1 when
 *   obj or val is NULL or json-c fails, and val is released.
 * bg_report_json_write: serialise doc (pretty, no "\/" escaping), append a
 *   newline, write to out, release doc. */
struct json_object;
struct json_object *bg_report_json_string(const char *s);
int bg_report_json_set(struct json_object *obj, const char *key, struct json_object *val);
int bg_report_json_push(struct json_object *array, struct json_object *val);
int bg_report_json_write(FILE *out, struct json_object *doc, bg_error *err);

/* One writer per format, each in lib/report_<format>.c.  r is already
 * checked by bg_report_write; out errors are checked by the caller. */
int bg_report_write_text(FILE *out, const bg_report *r, bg_error *err);
int bg_report_write_json(FILE *out, const bg_report *r, bg_error *err);
int bg_report_write_sarif(FILE *out, const bg_report *r, bg_error *err);
int bg_report_write_codeclimate(FILE *out, const bg_report *r, bg_error *err);
int bg_report_write_junit(FILE *out, const bg_report *r, bg_error *err);
int bg_report_write_github(FILE *out, const bg_report *r, bg_error *err);

#endif
