/* bootgate — the JSON report: bootgate's own schema, versioned and
 * documented in doc/report-json.md.  Change that document with this file,
 * and bump BG_REPORT_JSON_VERSION on any incompatible change. */
#include "bootgate/report.h"
#include "util.h"

#include <stdlib.h>

#include <json-c/json.h>

#include "bg_config.h"

#define BG_REPORT_JSON_VERSION 1

#define jstr bg_report_json_string
#define jset bg_report_json_set
#define jpush bg_report_json_push

static json_object *jnum(size_t n)
{
	return json_object_new_int64((int64_t)n);
}

/* A string, or JSON null when s is NULL.  (json-c's null is the NULL
 * pointer, which jset would take for out of memory.) */
static int set_nullable(json_object *obj, const char *key, const char *s)
{
	if (!s)
		return obj && json_object_object_add(obj, key, NULL) == 0 ? 0 : -1;
	return jset(obj, key, jstr(s));
}

static json_object *finding_json(const bg_report *r, const bg_finding *f,
				 const bg_report_fingerprint *fp)
{
	json_object *o = json_object_new_object();
	json_object *controls = json_object_new_array();
	char fingerprint[80];
	int rc = 0;

	snprintf(fingerprint, sizeof fingerprint, "%s:%u", fp->key, fp->occurrence);
	rc |= jset(o, "rule", jstr(f->rule->id));
	rc |= jset(o, "severity", jstr(bg_severity_name(f->severity)));
	rc |= jset(o, "message", jstr(f->message));
	rc |= jset(o, "file", jstr(f->file));
	rc |= jset(o, "line", jnum(f->line));
	rc |= jset(o, "column", jnum(f->column));
	rc |= jset(o, "end_line", jnum(f->end_line));
	rc |= jset(o, "end_column", jnum(f->end_column));
	for (size_t i = 0; i < BG_RULE_MAX_CONTROLS && f->rule->controls[i]; i++)
		rc |= jpush(controls, jstr(f->rule->controls[i]));
	rc |= jset(o, "controls", controls);
	rc |= set_nullable(o, "help", f->rule->help);
	rc |= set_nullable(o, "snippet", f->snippet);
	rc |= jset(o, "suppressed", json_object_new_boolean(f->suppressed));
	rc |= set_nullable(o, "suppress_reason", f->suppressed ? f->suppress_reason : NULL);
	rc |= jset(o, "fails", json_object_new_boolean(bg_report_finding_fails(r, f)));
	rc |= jset(o, "fingerprint", jstr(fingerprint));
	if (rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *counts_json(const bg_report *r)
{
	bg_report_counts c;
	json_object *o = json_object_new_object();
	int rc = 0;

	bg_report_count(r, &c);
	rc |= jset(o, "subjects", jnum(r->nsubjects));
	rc |= jset(o, "findings", jnum(c.total));
	rc |= jset(o, "error", jnum(c.errors));
	rc |= jset(o, "warning", jnum(c.warnings));
	rc |= jset(o, "info", jnum(c.infos));
	rc |= jset(o, "suppressed", jnum(c.suppressed));
	rc |= jset(o, "failing", jnum(c.failing));
	if (rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int bg_report_write_json(FILE *out, const bg_report *r, bg_error *err)
{
	size_t nfp = 0;
	_cleanup_free_ bg_report_fingerprint *fp = bg_report_fingerprints(r, &nfp);
	size_t nfindings = r->findings ? r->findings->n : 0;
	if (nfp != nfindings)
		return bg_error_set(err, BG_E_NOMEM, "report: out of memory computing fingerprints");

	json_object *doc = json_object_new_object();
	json_object *subjects = json_object_new_array();
	json_object *findings = json_object_new_array();
	int rc = 0;

	rc |= jset(doc, "format", jstr("bootgate-report"));
	rc |= jset(doc, "format_version", json_object_new_int(BG_REPORT_JSON_VERSION));
	rc |= jset(doc, "tool", jstr("bootgate"));
	rc |= jset(doc, "version", jstr(r->tool_version ? r->tool_version : BG_VERSION));
	rc |= jset(doc, "command", jstr(r->command));
	rc |= jset(doc, "threshold", jstr(bg_severity_name(r->threshold)));
	rc |= jset(doc, "verdict", jstr(bg_report_passed(r) ? "pass" : "fail"));
	for (size_t i = 0; i < r->nsubjects; i++)
		rc |= jpush(subjects, jstr(r->subjects[i]));
	rc |= jset(doc, "subjects", subjects);
	for (size_t i = 0; i < nfindings; i++)
		rc |= jpush(findings, finding_json(r, &r->findings->v[i], &fp[i]));
	rc |= jset(doc, "findings", findings);
	rc |= jset(doc, "counts", counts_json(r));
	if (r->ngroups) {
		json_object *roles = json_object_new_array();
		for (size_t i = 0; i < r->ngroups; i++) {
			json_object *g = json_object_new_object();
			rc |= jset(g, "name", jstr(r->groups[i].name));
			rc |= jset(g, "verdict", jstr(r->groups[i].verdict));
			rc |= jset(g, "reason", jstr(r->groups[i].reason));
			rc |= jpush(roles, g);
		}
		rc |= jset(doc, "roles", roles);
	}
	if (rc) {
		json_object_put(doc);
		return bg_error_set(err, BG_E_NOMEM, "report: out of memory building the JSON report");
	}
	return bg_report_json_write(out, doc, err);
}
