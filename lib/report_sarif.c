/* bootgate — SARIF 2.1.0 for GitHub code scanning (reference/ecosystem.md A1).
 *
 * One run per file, with automationDetails.id "bootgate/<command>/" so each
 * command uploads under its own category.  Choices GitHub cares about:
 * - every rule GitHub shows has a non-empty shortDescription, fullDescription
 *   (each cut to 1024 bytes) and help.text; name is cut to 255 bytes;
 * - results keep the caller's order; beyond 25,000 results (GitHub's limit
 *   per run) the most severe are kept and a tool notification says how many
 *   were left out;
 * - a whole-file finding (line 0) is placed on line 1, since GitHub needs a
 *   region to show an alert;
 * - paths become URI references: relative ones against %SRCROOT% with a
 *   leading "./" dropped, absolute ones as file:// URIs, every byte outside
 *   the RFC 3986 path set percent-encoded (':' included, so a first segment
 *   never reads as a scheme);
 * - partialFingerprints.primaryLocationLineHash is "<16 hex>:<occurrence>",
 *   from bg_report_fingerprints (rule, file, normalised snippet, message;
 *   no line number), the same shape as codeql-action's;
 * - suppressed findings are kept, with suppressions [{kind: inSource}]. */
#include "bootgate/report.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "bg_config.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define SARIF_MAX_RESULTS 25000
#define SARIF_MAX_DESCRIPTION 1024
#define SARIF_MAX_NAME 255
#define SARIF_CONTROL_TAG "NIST-SP-800-53/"

#define jstr bg_report_json_string
#define jset bg_report_json_set
#define jpush bg_report_json_push

static json_object *jint(size_t n)
{
	return json_object_new_int64((int64_t)n);
}

static const char *sarif_level(bg_severity sev)
{
	switch (sev) {
	case BG_SEV_ERROR:
		return "error";
	case BG_SEV_WARNING:
		return "warning";
	case BG_SEV_INFO:
		return "note";
	default:
		return "none";
	}
}

static const char *problem_severity(bg_severity sev)
{
	return sev >= BG_SEV_ERROR ? "error" : sev == BG_SEV_WARNING ? "warning" : "recommendation";
}

/* GitHub's bands: 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. */
static const char *security_severity(bg_severity sev)
{
	return sev >= BG_SEV_ERROR ? "7.5" : sev == BG_SEV_WARNING ? "5.0" : "2.0";
}

/* A json string of s cut to at most max bytes on a character boundary. */
static json_object *jstr_max(const char *s, size_t max)
{
	_cleanup_free_ char *clean = bg_report_utf8(s);
	if (!clean)
		return NULL;
	size_t len = strlen(clean);
	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)clean[len] & 0xc0) == 0x80)
			len--; /* clean[len] would start the cut: back to a lead byte */
	}
	return json_object_new_string_len(clean, (int)len);
}

static json_object *text_object(json_object *text)
{
	json_object *o = json_object_new_object();
	if (jset(o, "text", text) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- artifact locations ---- */

static bool uri_path_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~/!$&'()*+,;=@", c));
}

static json_object *artifact_location(const char *file, long index)
{
	const char *path = bg_report_path(file);
	bool absolute = path[0] == '/';
	bg_strbuf uri = {0};

	bg_strbuf_add(&uri, "", 0); /* an empty path still gives a string */
	if (absolute)
		bg_strbuf_puts(&uri, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (uri_path_char(*p))
			bg_strbuf_putc(&uri, (char)*p);
		else
			bg_strbuf_printf(&uri, "%%%02X", *p);
	}
	_cleanup_free_ char *s = bg_strbuf_take(&uri);
	json_object *o = json_object_new_object();
	int rc = s ? jset(o, "uri", jstr(s)) : -1;
	if (!absolute)
		rc |= jset(o, "uriBaseId", jstr("%SRCROOT%"));
	if (index >= 0)
		rc |= jset(o, "index", jint((size_t)index));
	if (rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static long subject_index(const bg_report *r, const char *file)
{
	const char *path = bg_report_path(file);
	for (size_t i = 0; i < r->nsubjects; i++)
		if (strcmp(bg_report_path(r->subjects[i]), path) == 0)
			return (long)i;
	return -1;
}

static json_object *artifacts_json(const bg_report *r)
{
	json_object *a = json_object_new_array();
	int rc = 0;
	for (size_t i = 0; i < r->nsubjects; i++) {
		json_object *art = json_object_new_object();
		json_object *roles = json_object_new_array();
		rc |= jset(art, "location", artifact_location(r->subjects[i], -1));
		rc |= jpush(roles, jstr("analysisTarget"));
		rc |= jset(art, "roles", roles);
		rc |= jpush(a, art);
	}
	if (rc) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

/* ---- rules ---- */

/* driver.rules: the active rules in the caller's order, then any rule a
 * finding uses that the caller did not list, so every ruleIndex is valid. */
typedef struct rule_table {
	const bg_rule **v;
	size_t n;
} rule_table;

static long rule_find(const rule_table *t, const bg_rule *rule)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i] == rule || strcmp(t->v[i]->id, rule->id) == 0)
			return (long)i;
	return -1;
}

static int rule_table_build(const bg_report *r, rule_table *t)
{
	size_t nfindings = r->findings ? r->findings->n : 0;
	t->n = 0;
	t->v = calloc(r->nrules + nfindings + 1, sizeof *t->v);
	if (!t->v)
		return -1;
	for (size_t i = 0; i < r->nrules; i++)
		if (rule_find(t, r->rules[i]) < 0)
			t->v[t->n++] = r->rules[i];
	for (size_t i = 0; i < nfindings; i++)
		if (rule_find(t, r->findings->v[i].rule) < 0)
			t->v[t->n++] = r->findings->v[i].rule;
	return 0;
}

static void put_markdown(bg_strbuf *b, const char *s)
{
	/* Rule help is our own text, but "<digest>" would vanish as an HTML tag. */
	for (; *s; s++) {
		if (*s == '<' || *s == '>' || *s == '\\')
			bg_strbuf_putc(b, '\\');
		bg_strbuf_putc(b, *s);
	}
}

static json_object *rule_help(const bg_rule *rule)
{
	const char *help = rule->help && *rule->help ? rule->help
			 : rule->summary && *rule->summary ? rule->summary
							    : rule->id;
	bg_strbuf text = {0}, md = {0};
	bg_strbuf_puts(&text, help);
	put_markdown(&md, help);
	for (size_t i = 0; i < BG_RULE_MAX_CONTROLS && rule->controls[i]; i++) {
		bg_strbuf_printf(&text, "%s%s", i ? ", " : "\n\nNIST SP 800-53 controls: ",
				 rule->controls[i]);
		bg_strbuf_printf(&md, "%s`%s`", i ? ", " : "\n\nNIST SP 800-53 controls: ",
				 rule->controls[i]);
	}
	_cleanup_free_ char *t = bg_strbuf_take(&text);
	_cleanup_free_ char *m = bg_strbuf_take(&md);
	json_object *o = json_object_new_object();
	if (!t || !m || jset(o, "text", jstr(t)) < 0 || jset(o, "markdown", jstr(m)) < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *rule_json(const bg_rule *rule)
{
	const char *summary = rule->summary && *rule->summary ? rule->summary : rule->id;
	json_object *o = json_object_new_object();
	json_object *config = json_object_new_object();
	json_object *props = json_object_new_object();
	json_object *tags = json_object_new_array();
	int rc = 0;

	rc |= jset(o, "id", jstr(rule->id));
	rc |= jset(o, "name", jstr_max(rule->id, SARIF_MAX_NAME));
	rc |= jset(o, "shortDescription", text_object(jstr_max(summary, SARIF_MAX_DESCRIPTION)));
	rc |= jset(o, "fullDescription", text_object(jstr_max(summary, SARIF_MAX_DESCRIPTION)));
	rc |= jset(o, "help", rule_help(rule));
	rc |= jset(config, "level", jstr(sarif_level(rule->severity)));
	rc |= jset(o, "defaultConfiguration", config);
	/* At most 1 + BG_RULE_MAX_CONTROLS = 9 tags: under GitHub's 10 shown. */
	rc |= jpush(tags, jstr("security"));
	for (size_t i = 0; i < BG_RULE_MAX_CONTROLS && rule->controls[i]; i++) {
		_cleanup_free_ char *tag = NULL;
		if (asprintf(&tag, SARIF_CONTROL_TAG "%s", rule->controls[i]) < 0)
			tag = NULL;
		rc |= tag ? jpush(tags, jstr(tag)) : -1;
	}
	rc |= jset(props, "tags", tags);
	rc |= jset(props, "precision", jstr("high"));
	rc |= jset(props, "problem.severity", jstr(problem_severity(rule->severity)));
	rc |= jset(props, "security-severity", jstr(security_severity(rule->severity)));
	rc |= jset(o, "properties", props);
	if (rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *driver_json(const bg_report *r, const rule_table *t)
{
	json_object *d = json_object_new_object();
	json_object *rules = json_object_new_array();
	int rc = 0;

	rc |= jset(d, "name", jstr("bootgate"));
	rc |= jset(d, "semanticVersion", jstr(r->tool_version ? r->tool_version : BG_VERSION));
#ifdef BG_HOMEPAGE
	rc |= jset(d, "informationUri", jstr(BG_HOMEPAGE));
#endif
	for (size_t i = 0; i < t->n; i++)
		rc |= jpush(rules, rule_json(t->v[i]));
	rc |= jset(d, "rules", rules);
	if (rc) {
		json_object_put(d);
		return NULL;
	}
	return d;
}

/* ---- results ---- */

static json_object *region_json(const bg_finding *f)
{
	json_object *o = json_object_new_object();
	int rc = jset(o, "startLine", jint(f->line ? f->line : 1));
	if (f->line && f->column)
		rc |= jset(o, "startColumn", jint(f->column));
	if (f->line && f->end_line > f->line)
		rc |= jset(o, "endLine", jint(f->end_line));
	if (f->line && f->column && f->end_column &&
	    (f->end_line > f->line || (f->end_line == f->line && f->end_column > f->column)))
		rc |= jset(o, "endColumn", jint(f->end_column));
	if (rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *result_json(const bg_report *r, const bg_finding *f, long rule_index,
				const bg_report_fingerprint *fp)
{
	json_object *o = json_object_new_object();
	json_object *locations = json_object_new_array();
	json_object *loc = json_object_new_object();
	json_object *phys = json_object_new_object();
	json_object *fingerprints = json_object_new_object();
	char hash[40];
	int rc = 0;

	rc |= jset(o, "ruleId", jstr(f->rule->id));
	rc |= jset(o, "ruleIndex", jint((size_t)rule_index));
	rc |= jset(o, "level", jstr(sarif_level(f->severity)));
	/* message.text must not be empty. */
	rc |= jset(o, "message",
		   text_object(jstr(*f->message ? f->message
				    : f->rule->summary && *f->rule->summary ? f->rule->summary
									  : f->rule->id)));
	rc |= jset(phys, "artifactLocation", artifact_location(f->file, subject_index(r, f->file)));
	rc |= jset(phys, "region", region_json(f));
	rc |= jset(loc, "physicalLocation", phys);
	rc |= jpush(locations, loc);
	rc |= jset(o, "locations", locations);
	snprintf(hash, sizeof hash, "%.16s:%u", fp->key, fp->occurrence);
	rc |= jset(fingerprints, "primaryLocationLineHash", jstr(hash));
	rc |= jset(o, "partialFingerprints", fingerprints);
	if (f->suppressed) {
		json_object *supps = json_object_new_array();
		json_object *s = json_object_new_object();
		rc |= jset(s, "kind", jstr("inSource"));
		if (f->suppress_reason && *f->suppress_reason)
			rc |= jset(s, "justification", jstr(f->suppress_reason));
		rc |= jpush(supps, s);
		rc |= jset(o, "suppressions", supps);
	}
	if (rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Which findings fit in SARIF_MAX_RESULTS: all of the most severe levels,
 * then the first ones (in list order) of the level that overflows. */
static size_t choose_results(const bg_report *r, bool *keep)
{
	size_t n = r->findings ? r->findings->n : 0, kept = 0;
	for (int sev = BG_SEV_ERROR; sev >= BG_SEV_NONE; sev--) {
		for (size_t i = 0; i < n; i++) {
			bg_severity s = r->findings->v[i].severity;
			if ((s > BG_SEV_ERROR ? BG_SEV_ERROR : (int)s) != sev)
				continue;
			keep[i] = kept < SARIF_MAX_RESULTS;
			kept += keep[i];
		}
	}
	return n - kept;
}

static json_object *omitted_invocation(size_t omitted)
{
	char text[160];
	snprintf(text, sizeof text,
		 "%zu less severe results were left out: GitHub accepts at most %d results per run.",
		 omitted, SARIF_MAX_RESULTS);
	json_object *inv = json_object_new_object();
	json_object *notes = json_object_new_array();
	json_object *note = json_object_new_object();
	int rc = 0;
	rc |= jset(note, "level", jstr("warning"));
	rc |= jset(note, "message", text_object(jstr(text)));
	rc |= jpush(notes, note);
	rc |= jset(inv, "executionSuccessful", json_object_new_boolean(1));
	rc |= jset(inv, "toolExecutionNotifications", notes);
	json_object *invocations = json_object_new_array();
	rc |= jpush(invocations, inv);
	if (rc) {
		json_object_put(invocations);
		return NULL;
	}
	return invocations;
}

int bg_report_write_sarif(FILE *out, const bg_report *r, bg_error *err)
{
	size_t nfindings = r->findings ? r->findings->n : 0, nfp = 0;
	_cleanup_free_ bg_report_fingerprint *fp = bg_report_fingerprints(r, &nfp);
	_cleanup_free_ bool *keep = calloc(nfindings + 1, sizeof *keep);
	rule_table rules = {0};
	if (nfp != nfindings || !keep || rule_table_build(r, &rules) < 0) {
		free(rules.v);
		return bg_error_set(err, BG_E_NOMEM, "report: out of memory building the SARIF report");
	}
	size_t omitted = choose_results(r, keep);

	json_object *doc = json_object_new_object();
	json_object *runs = json_object_new_array();
	json_object *run = json_object_new_object();
	json_object *tool = json_object_new_object();
	json_object *automation = json_object_new_object();
	json_object *results = json_object_new_array();
	char category[256];
	int rc = 0;

	rc |= jset(doc, "$schema", jstr(SARIF_SCHEMA));
	rc |= jset(doc, "version", jstr("2.1.0"));
	rc |= jset(tool, "driver", driver_json(r, &rules));
	rc |= jset(run, "tool", tool);
	snprintf(category, sizeof category, "bootgate/%s/", r->command);
	rc |= jset(automation, "id", jstr(category));
	rc |= jset(run, "automationDetails", automation);
	rc |= jset(run, "artifacts", artifacts_json(r));
	if (omitted)
		rc |= jset(run, "invocations", omitted_invocation(omitted));
	for (size_t i = 0; i < nfindings; i++) {
		const bg_finding *f = &r->findings->v[i];
		if (keep[i])
			rc |= jpush(results, result_json(r, f, rule_find(&rules, f->rule), &fp[i]));
	}
	rc |= jset(run, "results", results);
	if (r->ngroups) {
		json_object *props = json_object_new_object();
		json_object *roles = json_object_new_array();
		for (size_t i = 0; i < r->ngroups; i++) {
			json_object *g = json_object_new_object();
			rc |= jset(g, "name", jstr(r->groups[i].name));
			rc |= jset(g, "verdict", jstr(r->groups[i].verdict));
			rc |= jset(g, "reason", jstr(r->groups[i].reason));
			rc |= jpush(roles, g);
		}
		rc |= jset(props, "roles", roles);
		rc |= jset(run, "properties", props);
	}
	rc |= jpush(runs, run);
	rc |= jset(doc, "runs", runs);
	free(rules.v);
	if (rc) {
		json_object_put(doc);
		return bg_error_set(err, BG_E_NOMEM, "report: out of memory building the SARIF report");
	}
	return bg_report_json_write(out, doc, err);
}
