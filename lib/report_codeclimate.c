/* bootgate — GitLab Code Quality report (CodeClimate subset,
 * reference/ecosystem.md A2): one JSON array, "[]" when there is nothing
 * to show.  Suppressed findings are left out.
 *
 * fingerprint: SHA-256 hex of "<key>:<occurrence>" from
 * bg_report_fingerprints (rule, file, normalised snippet, message; no line
 * number, as A2 advises, so the MR widget does not report every finding
 * below an edit as fixed and new again).  Unique per finding and stable.
 * severity: info → info, warning → minor, error → major.
 * location.lines.begin: the line, or 1 for a whole-file finding (line 0). */
#include "bootgate/report.h"
#include "util.h"

#include <stdio.h>

#include <json-c/json.h>

#define jstr bg_report_json_string
#define jset bg_report_json_set
#define jpush bg_report_json_push

static const char *cc_severity(bg_severity sev)
{
	return sev >= BG_SEV_ERROR ? "major" : sev == BG_SEV_WARNING ? "minor" : "info";
}

static json_object *issue_json(const bg_finding *f, const bg_report_fingerprint *fp)
{
	json_object *o = json_object_new_object();
	json_object *location = json_object_new_object();
	json_object *lines = json_object_new_object();
	char check[256], fingerprint[65];
	int rc = 0;

	snprintf(check, sizeof check, "bootgate/%s", f->rule->id);
	rc |= jset(o, "description", jstr(f->message));
	rc |= jset(o, "check_name", jstr(check));
	rc |= bg_report_fingerprint_hex(fp, fingerprint) < 0 ? -1
							 : jset(o, "fingerprint", jstr(fingerprint));
	rc |= jset(o, "severity", jstr(cc_severity(f->severity)));
	rc |= jset(location, "path", jstr(bg_report_path(f->file)));
	rc |= jset(lines, "begin", json_object_new_int64(f->line ? f->line : 1));
	rc |= jset(location, "lines", lines);
	rc |= jset(o, "location", location);
	if (rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int bg_report_write_codeclimate(FILE *out, const bg_report *r, bg_error *err)
{
	size_t nfindings = r->findings ? r->findings->n : 0, nfp = 0;
	_cleanup_free_ bg_report_fingerprint *fp = bg_report_fingerprints(r, &nfp);
	if (nfp != nfindings)
		return bg_error_set(err, BG_E_NOMEM, "report: out of memory computing fingerprints");

	json_object *doc = json_object_new_array();
	int rc = 0;
	for (size_t i = 0; i < nfindings; i++)
		if (!r->findings->v[i].suppressed)
			rc |= jpush(doc, issue_json(&r->findings->v[i], &fp[i]));
	if (rc) {
		json_object_put(doc);
		return bg_error_set(err, BG_E_NOMEM,
				    "report: out of memory building the Code Quality report");
	}
	return bg_report_json_write(out, doc, err);
}
