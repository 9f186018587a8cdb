/* Unit tests for bootc: `bootc status --format json` documents of real shape
 * (testdata/bootc/, written from bootc's host-v1 schema) parse into the
 * booted/staged/rollback digests, malformed ones are refused, and drift
 * against a role's manifest entry is judged as a host operator expects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/bootc.h"
#include "bootgate/roles.h"
#include "util.h"
#include "tests/tap.h"

/* Digests used by the documents in testdata/bootc/. */
#define D_V2 "sha256:1739e79cd73b2c291b8f4158ca3df01c2e63e56826c69f1c82d1df3541e7abf2" /* booted */
#define D_V3 "sha256:f64cfe04a7c59fae391b2308ee0d4a5808c90d8e1b2253b76a76fc340be7c6b0" /* staged */
#define D_V1 "sha256:29ed7c856b266021b35ba7681cec682d12b7b71ebb1d545c63cb35ab831c698a" /* rollback */
#define D_V4 "sha256:967381e79308dcbde5c82c153146ab11ccecbe5c2a65a1ab7cf98fd072efc0c1" /* cachedUpdate */
#define D_INDEX "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const char *testdata;

static int load(const char *name, bg_bootc_status *st, bg_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/bootc/%s", testdata, name);
	char *data = NULL;
	size_t len = 0;
	bg_error_clear(err);
	int rc = bg_read_file(path, BG_BOOTC_MAX_STATUS_BYTES, &data, &len, err);
	if (rc < 0)
		return rc;
	rc = bg_bootc_status_parse(data, len, name, st, err);
	free(data);
	return rc;
}

static bg_role_entry role(const char *manifest_digest, const char *index_digest)
{
	bg_role_entry e = {
		.name = (char *)"web",
		.repository = (char *)"registry.example.com/fleet/web",
		.manifest_digest = (char *)manifest_digest,
		.index_digest = (char *)index_digest,
		.evidence = {.verdict = (char *)"pass"},
		.recorded = 1748764800,
	};
	return e;
}

static void test_booted_only(void)
{
	bg_bootc_status st;
	bg_error err;
	int rc = load("booted-only.json", &st, &err);
	is_int(rc, 0, "booted-only: parses (%s)", err.message);
	ok(bg_bootc_is_bootc_host(&st), "booted-only: a bootc host");
	is_str(st.api_version, "org.containers.bootc/v1", "booted-only: apiVersion");
	is_str(st.booted.image.digest, D_V2, "booted-only: status.booted.image.imageDigest");
	is_str(st.booted.image.image, "registry.example.com/fleet/web:prod", "booted-only: image.image.image");
	is_str(st.booted.image.transport, "registry", "booted-only: transport");
	is_str(st.booted.image.architecture, "amd64", "booted-only: architecture");
	is_str(st.booted.image.version, "9.6.20250601.0", "booted-only: version");
	is_str(st.spec_image, "registry.example.com/fleet/web:prod", "booted-only: spec.image.image");
	ok(!st.staged.present && !st.rollback.present && !st.booted.cached_update.present,
	   "booted-only: no staged, rollback or cached update");

	bg_role_entry e = role(D_V2, NULL);
	bg_bootc_drift d;
	rc = bg_bootc_drift_eval(&st, &e, &d, &err);
	ok(rc == 0 && d.in_sync && d.booted_matches, "booted-only: in sync with the role's manifest digest");
	ok(d.repository_checked && d.repository_matches, "booted-only: tracks the role's repository");

	e = role(D_V1, D_V2);
	rc = bg_bootc_drift_eval(&st, &e, &d, &err);
	ok(rc == 0 && d.in_sync, "booted-only: booted digest equal to the recorded index digest also matches");

	e = role(D_V1, NULL);
	rc = bg_bootc_drift_eval(&st, &e, &d, &err);
	ok(rc == 0 && !d.in_sync && !d.booted_matches, "booted-only: another expected digest is drift");

	e = role(D_V2, NULL);
	e.repository = (char *)"registry.example.com/fleet/db";
	rc = bg_bootc_drift_eval(&st, &e, &d, &err);
	ok(rc == 0 && d.in_sync && d.repository_checked && !d.repository_matches,
	   "booted-only: tracking another repository is reported (digest still decides)");
	bg_bootc_status_free(&st);
}

static void test_staged(void)
{
	bg_bootc_status st;
	bg_error err;
	int rc = load("staged.json", &st, &err);
	is_int(rc, 0, "staged: parses (%s)", err.message);
	ok(st.staged.present, "staged: staged deployment present");
	is_str(st.staged.image.digest, D_V3, "staged: staged digest");
	is_str(st.booted.image.digest, D_V2, "staged: booted digest");

	bg_role_entry e = role(D_V2, NULL);
	bg_bootc_drift d;
	rc = bg_bootc_drift_eval(&st, &e, &d, &err);
	ok(rc == 0 && d.booted_matches && d.staged_present && !d.staged_matches && !d.in_sync,
	   "staged: an unapproved staged image (boots next) is drift even when booted matches");

	e = role(D_V3, NULL);
	rc = bg_bootc_drift_eval(&st, &e, &d, &err);
	ok(rc == 0 && !d.booted_matches && d.staged_matches && !d.in_sync,
	   "staged: the approved image staged but not booted yet is drift until reboot");
	bg_bootc_status_free(&st);
}

static void test_rollback(void)
{
	bg_bootc_status st;
	bg_error err;
	int rc = load("rollback.json", &st, &err);
	is_int(rc, 0, "rollback: parses (%s)", err.message);
	is_str(st.rollback.image.digest, D_V1, "rollback: rollback digest");
	bg_role_entry e = role(D_V2, NULL);
	bg_bootc_drift d;
	rc = bg_bootc_drift_eval(&st, &e, &d, &err);
	ok(rc == 0 && d.in_sync && d.rollback_present && !d.rollback_matches,
	   "rollback: an older rollback deployment is reported, not drift");
	bg_bootc_status_free(&st);
}

static void test_cached_update(void)
{
	bg_bootc_status st;
	bg_error err;
	int rc = load("cached-update.json", &st, &err);
	is_int(rc, 0, "cachedUpdate: parses (%s)", err.message);
	ok(st.booted.cached_update.present, "cachedUpdate: present");
	is_str(st.booted.cached_update.digest, D_V4, "cachedUpdate: digest");
	is_str(st.booted.cached_update.version, "9.6.20250701.0", "cachedUpdate: version");
	bg_role_entry e = role(D_V2, NULL);
	bg_bootc_drift d;
	rc = bg_bootc_drift_eval(&st, &e, &d, &err);
	ok(rc == 0 && d.in_sync && d.cached_update_present && !d.cached_update_matches,
	   "cachedUpdate: an update not in the manifest is flagged, the host stays in sync");
	e = role(D_V4, NULL);
	rc = bg_bootc_drift_eval(&st, &e, &d, &err);
	ok(rc == 0 && !d.in_sync && d.cached_update_matches,
	   "cachedUpdate: the approved update downloaded but not applied: drift, update matches");
	bg_bootc_status_free(&st);
}

static void test_not_bootc_host(void)
{
	bg_bootc_status st;
	bg_error err;
	int rc = load("null-booted.json", &st, &err);
	is_int(rc, 0, "null booted: still a valid status document (%s)", err.message);
	ok(!bg_bootc_is_bootc_host(&st), "null booted: not a bootc host");
	bg_role_entry e = role(D_V2, NULL);
	bg_bootc_drift d;
	bg_error_clear(&err);
	rc = bg_bootc_drift_eval(&st, &e, &d, &err);
	is_int(rc, BG_E_EVAL, "null booted: drift cannot be evaluated (exit 3)");
	ok(strstr(err.message, "not deployed with bootc") != NULL, "null booted: message says why");
	bg_bootc_status_free(&st);
}

static void test_tolerant(void)
{
	bg_bootc_status st;
	bg_error err;
	int rc = load("v1alpha1-unknown-fields.json", &st, &err);
	is_int(rc, 0, "v1alpha1 with unknown fields and no version/timestamp parses (%s)", err.message);
	ok(st.booted.image.version == NULL && st.booted.image.timestamp == NULL,
	   "v1alpha1: optional version and timestamp absent");
	bg_bootc_status_free(&st);
	rc = load("drifted.json", &st, &err);
	bg_role_entry e = role(D_V2, NULL);
	bg_bootc_drift d;
	ok(rc == 0 && bg_bootc_drift_eval(&st, &e, &d, &err) == 0 && !d.in_sync,
	   "drifted.json: booted an old image: drift");
	bg_bootc_status_free(&st);
}

static void refused(const char *file, const char *needle)
{
	bg_bootc_status st;
	bg_error err;
	int rc = load(file, &st, &err);
	ok(rc == BG_E_INPUT && strstr(err.message, needle) != NULL, "%s refused: %s", file, err.message);
	ok(st.api_version == NULL && !st.booted.present, "%s: output left empty", file);
	bg_bootc_status_free(&st);
}

static void refused_text(const char *doc, const char *needle, const char *name)
{
	bg_bootc_status st;
	bg_error err;
	bg_error_clear(&err);
	int rc = bg_bootc_status_parse(doc, strlen(doc), "inline", &st, &err);
	ok(rc == BG_E_INPUT && strstr(err.message, needle) != NULL, "%s refused: %s", name, err.message);
	bg_bootc_status_free(&st);
}

static void test_malformed(void)
{
	refused("malformed-truncated.json", "invalid JSON");
	refused("malformed-duplicate-key.json", "duplicate");
	refused("malformed-digest.json", "imageDigest");
	refused("malformed-type.json", "imageDigest");
	refused("wrong-kind.json", "kind");
	refused_text("", "invalid JSON", "empty input");
	refused_text("[]", "not a JSON object", "array");
	refused_text("booted: null\n", "invalid JSON", "YAML output (bootc's non-tty default)");
	refused_text("{\"apiVersion\":\"org.containers.bootc/v2\",\"kind\":\"BootcHost\",\"status\":{}}",
		     "apiVersion", "unknown apiVersion");
	refused_text("{\"apiVersion\":\"org.containers.bootc/v1\",\"kind\":\"BootcHost\"}", "status",
		     "missing status");
	refused_text("{\"apiVersion\":\"org.containers.bootc/v1\",\"kind\":\"BootcHost\",\"status\":"
		     "{\"booted\":{\"image\":{\"imageDigest\":\"" D_V2 "\"}}}}",
		     "image", "booted image without its reference");
	refused_text("{\"apiVersion\":\"org.containers.bootc/v1\",\"kind\":\"BootcHost\",\"status\":"
		     "{\"booted\":\"yes\"}}",
		     "booted", "booted of the wrong type");
}

int main(void)
{
	testdata = getenv("BOOTGATE_TESTDATA");
	if (!testdata)
		return tap_skip_all("BOOTGATE_TESTDATA not set");
	test_booted_only();
	test_staged();
	test_rollback();
	test_cached_update();
	test_not_bootc_host();
	test_tolerant();
	test_malformed();
	return tap_done();
}
