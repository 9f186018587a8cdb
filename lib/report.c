/* bootgate — reports: the format table, dispatch, and what every format
 * shares (counts, verdict, summary line, fingerprints, UTF-8 repair, json-c
 * plumbing).  Each format lives in its own lib/report_<format>.c. */
#include "bootgate/report.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

typedef int (*report_writer)(FILE *out, const bg_report *r, bg_error *err);

static const struct {
	const char *name;
	report_writer write;
} formats[] = {
	[BG_FORMAT_TEXT] = {"text", bg_report_write_text},
	[BG_FORMAT_JSON] = {"json", bg_report_write_json},
	[BG_FORMAT_SARIF] = {"sarif", bg_report_write_sarif},
	[BG_FORMAT_CODECLIMATE] = {"codeclimate", bg_report_write_codeclimate},
	[BG_FORMAT_JUNIT] = {"junit", bg_report_write_junit},
	[BG_FORMAT_GITHUB] = {"github", bg_report_write_github},
};
#define NFORMATS (sizeof formats / sizeof formats[0])

int bg_format_parse(const char *name, bg_format *out)
{
	for (size_t i = 0; name && i < NFORMATS; i++) {
		if (strcmp(name, formats[i].name) == 0) {
			*out = (bg_format)i;
			return 0;
		}
	}
	return -1;
}

const char *bg_format_name(bg_format f)
{
	return (unsigned)f < NFORMATS ? formats[f].name : "unknown";
}

const char *bg_format_list(void)
{
	return "text, json, sarif, codeclimate, junit, github";
}

/* Catch caller mistakes here once, so the writers can rely on them. */
static int check_report(const bg_report *r, bg_error *err)
{
	if (!r || !r->command || !*r->command)
		return bg_error_set(err, BG_E_USAGE,
				    "report: no command name given (internal error: set bg_report.command)");
	if (r->nsubjects && !r->subjects)
		return bg_error_set(err, BG_E_USAGE, "report: %zu subjects but no subject list",
				    r->nsubjects);
	for (size_t i = 0; i < r->nsubjects; i++)
		if (!r->subjects[i])
			return bg_error_set(err, BG_E_USAGE, "report: subject %zu is NULL", i);
	if (r->nrules && !r->rules)
		return bg_error_set(err, BG_E_USAGE, "report: %zu rules but no rule list", r->nrules);
	for (size_t i = 0; i < r->nrules; i++)
		if (!r->rules[i] || !r->rules[i]->id || !*r->rules[i]->id)
			return bg_error_set(err, BG_E_USAGE, "report: active rule %zu has no id", i);
	for (size_t i = 0; r->findings && i < r->findings->n; i++) {
		const bg_finding *f = &r->findings->v[i];
		if (!f->rule || !f->rule->id || !*f->rule->id)
			return bg_error_set(err, BG_E_USAGE,
					    "report: finding %zu (%s:%u) has no rule id", i,
					    f->file ? f->file : "?", f->line);
		if (!f->file || !f->message)
			return bg_error_set(err, BG_E_USAGE,
					    "report: finding %zu (%s) has no file or message", i,
					    f->rule->id);
	}
	return 0;
}

int bg_report_write(FILE *out, bg_format fmt, const bg_report *r, bg_error *err)
{
	if ((unsigned)fmt >= NFORMATS)
		return bg_error_set(err, BG_E_USAGE, "report: unknown format %d (use one of: %s)",
				    (int)fmt, bg_format_list());
	if (!out)
		return bg_error_set(err, BG_E_USAGE, "report: no output stream given");
	int rc = check_report(r, err);
	if (rc < 0)
		return rc;
	rc = formats[fmt].write(out, r, err);
	if (rc < 0)
		return rc;
	if (fflush(out) != 0 || ferror(out))
		return bg_error_set(err, BG_E_EVAL, "writing the %s report failed: %s",
				    formats[fmt].name, strerror(errno));
	return 0;
}

/* ---- counts, verdict, summary ---- */

bool bg_report_finding_fails(const bg_report *r, const bg_finding *f)
{
	return bg_finding_fails(f, r->threshold);
}

void bg_report_count(const bg_report *r, bg_report_counts *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; r->findings && i < r->findings->n; i++) {
		const bg_finding *f = &r->findings->v[i];
		out->total++;
		if (f->suppressed) {
			out->suppressed++;
			continue;
		}
		if (f->severity >= BG_SEV_ERROR)
			out->errors++;
		else if (f->severity == BG_SEV_WARNING)
			out->warnings++;
		else
			out->infos++;
		if (bg_report_finding_fails(r, f))
			out->failing++;
	}
}

bool bg_report_passed(const bg_report *r)
{
	bg_report_counts c;
	bg_report_count(r, &c);
	for (size_t i = 0; i < r->ngroups; i++)
		if (!r->groups[i].verdict || strcmp(r->groups[i].verdict, "pass") != 0)
			return false;
	return c.failing == 0 && r->nsubjects > 0;
}

static void add_count(bg_strbuf *b, bool *first, size_t n, const char *one, const char *many)
{
	if (!n)
		return;
	bg_strbuf_printf(b, "%s%zu %s", *first ? "" : ", ", n, n == 1 ? one : many);
	*first = false;
}

char *bg_report_summary(const bg_report *r)
{
	bg_report_counts c;
	bg_strbuf b = {0};

	bg_report_count(r, &c);
	bg_strbuf_printf(&b, "bootgate %s: ", r->command);
	size_t shown = c.total - c.suppressed;
	if (r->nsubjects == 0)
		bg_strbuf_puts(&b, "nothing evaluated");
	else if (shown == 0)
		bg_strbuf_puts(&b, "no findings");
	else {
		bool first = true;
		bg_strbuf_printf(&b, "%zu finding%s (", shown, shown == 1 ? "" : "s");
		add_count(&b, &first, c.errors, "error", "errors");
		add_count(&b, &first, c.warnings, "warning", "warnings");
		add_count(&b, &first, c.infos, "info", "infos");
		bg_strbuf_putc(&b, ')');
	}
	if (c.suppressed)
		bg_strbuf_printf(&b, ", %zu suppressed", c.suppressed);
	bg_strbuf_printf(&b, "; threshold %s: %s", bg_severity_name(r->threshold),
			 bg_report_passed(r) ? "PASS" : "FAIL");
	if (c.failing)
		bg_strbuf_printf(&b, " (%zu at or above)", c.failing);
	return bg_strbuf_take(&b); /* NULL when out of memory */
}

/* ---- UTF-8 repair ---- */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 table 3-7), or 0. */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlongs */
		unsigned char hi = c == 0xed ? 0x9f : 0xbf; /* no surrogates */
		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80; /* no overlongs */
		unsigned char hi = c == 0xf4 ? 0x8f : 0xbf; /* nothing above U+10FFFF */
		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

char *bg_report_utf8(const char *s)
{
	bg_strbuf b = {0};
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	bg_strbuf_add(&b, "", 0); /* so that "" gives "", not an unset buffer */
	while (*p) {
		/* The checks above stop at a NUL byte (it fails every
		 * continuation test), so they never read past the string. */
		size_t n = utf8_seq_len(p);
		if (n == 0) {
			bg_strbuf_puts(&b, "\xef\xbf\xbd");
			p++;
		} else {
			bg_strbuf_add(&b, (const char *)p, n);
			p += n;
		}
	}
	return bg_strbuf_take(&b); /* NULL when out of memory */
}

const char *bg_report_path(const char *file)
{
	while (file[0] == '.' && file[1] == '/') {
		file += 2;
		while (*file == '/')
			file++;
	}
	return file;
}

/* ---- fingerprints ---- */

/* Collapse runs of whitespace to one space and trim both ends, so that
 * re-indenting a line does not change its findings' fingerprints. */
static void add_normalised(bg_strbuf *b, const char *s)
{
	bool pending_space = false, started = false;
	for (; s && *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '\v' || *s == '\f') {
			pending_space = started;
			continue;
		}
		if (pending_space)
			bg_strbuf_putc(b, ' ');
		bg_strbuf_putc(b, *s);
		pending_space = false;
		started = true;
	}
}

static int sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != sizeof md)
		return -1;
	for (size_t i = 0; i < sizeof md; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static int fingerprint_key(const bg_finding *f, char hex[65])
{
	bg_strbuf b = {0};
	/* Each field is NUL-terminated so that ("ab","c") and ("a","bc") differ. */
	bg_strbuf_puts(&b, f->rule->id);
	bg_strbuf_putc(&b, '\0');
	bg_strbuf_puts(&b, bg_report_path(f->file));
	bg_strbuf_putc(&b, '\0');
	add_normalised(&b, f->snippet);
	bg_strbuf_putc(&b, '\0');
	bg_strbuf_puts(&b, f->message);
	bg_strbuf_putc(&b, '\0');
	int rc = b.oom ? -1 : sha256_hex(b.s, b.len, hex);
	bg_strbuf_free(&b);
	return rc;
}

struct key_index {
	const char *key;
	size_t index;
};

static int key_index_cmp(const void *a, const void *b)
{
	const struct key_index *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

bg_report_fingerprint *bg_report_fingerprints(const bg_report *r, size_t *n)
{
	size_t count = r->findings ? r->findings->n : 0;
	*n = 0;
	if (count == 0)
		return NULL;
	bg_report_fingerprint *fp = calloc(count, sizeof *fp);
	_cleanup_free_ struct key_index *order = calloc(count, sizeof *order);
	if (!fp || !order) {
		free(fp);
		return NULL;
	}
	for (size_t i = 0; i < count; i++) {
		if (fingerprint_key(&r->findings->v[i], fp[i].key) < 0) {
			free(fp);
			return NULL;
		}
		order[i] = (struct key_index){fp[i].key, i};
	}
	/* Sorting by (key, list position) puts equal keys next to each other
	 * in list order: number them 1, 2, ... in O(n log n). */
	qsort(order, count, sizeof *order, key_index_cmp);
	for (size_t i = 0; i < count; i++) {
		bool same = i > 0 && strcmp(order[i].key, order[i - 1].key) == 0;
		fp[order[i].index].occurrence = same ? fp[order[i - 1].index].occurrence + 1 : 1;
	}
	*n = count;
	return fp;
}

int bg_report_fingerprint_hex(const bg_report_fingerprint *fp, char hex[65])
{
	char input[80];
	int n = snprintf(input, sizeof input, "%s:%u", fp->key, fp->occurrence);
	if (n < 0 || (size_t)n >= sizeof input)
		return -1;
	return sha256_hex(input, (size_t)n, hex);
}

/* ---- json-c plumbing ---- */

struct json_object *bg_report_json_string(const char *s)
{
	_cleanup_free_ char *clean = bg_report_utf8(s);
	return clean ? json_object_new_string(clean) : NULL;
}

int bg_report_json_set(struct json_object *obj, const char *key, struct json_object *val)
{
	if (!obj || !val || json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

int bg_report_json_push(struct json_object *array, struct json_object *val)
{
	if (!array || !val || json_object_array_add(array, val) < 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

int bg_report_json_write(FILE *out, struct json_object *doc, bg_error *err)
{
	if (!doc)
		return bg_error_set(err, BG_E_NOMEM, "report: out of memory building JSON");
	/* Two-space indentation, "key": value; json-c keeps insertion order, so
	 * the bytes are deterministic. */
	const char *text = json_object_to_json_string_ext(
		doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc = 0;
	if (!text)
		rc = bg_error_set(err, BG_E_NOMEM, "report: out of memory serialising JSON");
	else if (fputs(text, out) == EOF || fputc('\n', out) == EOF)
		rc = bg_error_set(err, BG_E_EVAL, "writing the report failed: %s", strerror(errno));
	json_object_put(doc);
	return rc;
}
