/* Tests for bootgate check over the demo repository (testdata/demo): the
 * verdicts, the evidence recorded, mirrors, trust rejections, configuration
 * errors and the relative lookaside extension. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootgate/check.h"
#include "bootgate/imageverify.h"
#include "tap.h"

static char demo[1024];
static char tmpdir[] = "/tmp/bootgate-test-check-XXXXXX";

static bool has_rule(const bg_check_role *r, const char *id, const char *needle)
{
	for (size_t i = 0; i < r->findings.n; i++)
		if (strcmp(r->findings.v[i].rule->id, id) == 0 &&
		    (!needle || strstr(r->findings.v[i].message, needle)))
			return true;
	return false;
}

static void write_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A bootgate.yaml in the temporary directory over the demo's files. */
static bg_roles_config *config(const char *trust_policy, const char *mirror, bg_error *err)
{
	char yaml[8192], path[PATH_MAX];
	snprintf(yaml, sizeof yaml,
		 "defaults:\n"
		 "  platform: linux/amd64\n"
		 "  policy: %s/../../policies/image-mode-baseline.yaml\n"
		 "  trust: {policy: %s, registries.d: %s/trust/registries.d}\n"
		 "  mirrors: {registry.example.com/demo/bootc-base: 'oci:%s/images:%s'}\n"
		 "roles:\n"
		 "  web:\n"
		 "    containerfile: %s/roles/web/Containerfile\n"
		 "    image: oci:%s/images:web\n"
		 "    identity: registry.example.com/fleet/web:1.0\n",
		 demo, trust_policy, demo, demo, mirror, demo, demo);
	write_file("bootgate.yaml", yaml);
	snprintf(path, sizeof path, "%s/bootgate.yaml", tmpdir);
	bg_roles_config *cfg = NULL;
	if (bg_roles_config_load(path, &cfg, err) != 0)
		return NULL;
	return cfg;
}

static bg_check_options options(void)
{
	bg_check_options o = {.jobs = 2};
	o.layers.no_cache = true;
	return o;
}

static void test_demo(void)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/bootgate.yaml", demo);
	bg_roles_config *cfg = NULL;
	bg_error err = {0};
	if (!ok(bg_roles_config_load(path, &cfg, &err) == 0, "the demo's bootgate.yaml loads")) {
		tap_diag("%s", err.message);
		return;
	}
	bg_check_options o = options();
	bg_check_result res;
	int rc = bg_check_run(cfg, NULL, 0, &o, &res, &err);
	if (!ok(rc == 0 && res.n_roles == 2, "both roles are checked"))
		tap_diag("%d %s", rc, err.message);
	if (res.n_roles == 2) {
		const bg_check_role *web = &res.roles[0], *db = &res.roles[1];
		is_str(web->config->name, "web", "results in file order (web first) with two jobs");
		is_str(db->config->name, "db", "then db");
		is_str(bg_check_status_name(web->status), "pass", "web passes: lint, signed base, audit");
		if (web->status != BG_CHECK_PASS)
			for (size_t i = 0; i < web->findings.n; i++)
				tap_diag("web: %s", web->findings.v[i].message);
		is_str(bg_check_status_name(db->status), "fail", "db is refused");
		ok(has_rule(db, "karg-forbidden", "audit=0"), "db: the audit=0 kernel argument is a finding");
		ok(has_rule(db, "copy-broad-context", NULL), "db: lint findings are in the role's report");
		is_int(web->n_bases, 1, "web: one base image");
		if (web->n_bases == 1) {
			ok(web->bases[0].accepted, "web: the base signature is accepted");
			ok(web->bases[0].signer_fingerprint && strlen(web->bases[0].signer_fingerprint) == 40,
			   "web: the signer's fingerprint is kept");
			ok(web->bases[0].signer_uid && strstr(web->bases[0].signer_uid, "TEST ONLY"),
			   "web: the signer's user ID is kept");
			ok(web->bases[0].read_from && strstr(web->bases[0].read_from, "images:bootc-base-1.0"),
			   "web: the base was read from its mirror");
		}
		ok(web->policy_hash && strncmp(web->policy_hash, "sha256:", 7) == 0, "policy hash is a digest");
		is_int(bg_check_exit_code(&res), 1, "exit code 1: a role's gate is closed");

		bg_role_entry e;
		rc = bg_check_entry(web, "abc1234", 1700000000, &e, &err);
		if (!ok(rc == 0, "web's manifest entry is built"))
			tap_diag("%s", err.message);
		if (rc == 0) {
			is_str(e.repository, "registry.example.com/fleet/web", "entry: repository from the identity");
			is_str(e.manifest_digest, web->manifest_digest, "entry: the verified manifest digest");
			is_int(e.n_base_digests, 1, "entry: the base digest");
			is_str(e.evidence.source_revision, "abc1234", "entry: the source revision");
			is_str(e.evidence.signer_fingerprint, web->bases[0].signer_fingerprint, "entry: the base signer");
			is_str(e.evidence.verdict, "pass", "entry: verdict pass");
			bg_role_entry_clear(&e);
		}
		rc = bg_check_entry(db, "abc1234", 1700000000, &e, &err);
		ok(rc == BG_E_USAGE && strstr(err.message, "did not pass"), "nothing is recorded for a failing role");
		bg_role_entry_clear(&e);
	}
	bg_check_result_clear(&res);

	const char *names[] = {"db"};
	rc = bg_check_run(cfg, names, 1, &o, &res, &err);
	ok(rc == 0 && res.n_roles == 1 && strcmp(res.roles[0].config->name, "db") == 0, "--role db checks db only");
	bg_check_result_clear(&res);
	const char *bad[] = {"nope"};
	rc = bg_check_run(cfg, bad, 1, &o, &res, &err);
	ok(rc == BG_E_USAGE && strstr(err.message, "no role 'nope'"), "an unknown role is a usage error");
	bg_check_result_clear(&res);
	bg_roles_config_free(cfg);
}

static void test_mirror_mismatch(void)
{
	char policy[PATH_MAX];
	snprintf(policy, sizeof policy, "%s/trust/policy.json", demo);
	bg_error err = {0};
	bg_roles_config *cfg = config(policy, "db", &err); /* the mirror holds another image */
	if (!ok(cfg != NULL, "config with a wrong mirror loads")) {
		tap_diag("%s", err.message);
		return;
	}
	bg_check_options o = options();
	bg_check_result res;
	int rc = bg_check_run(cfg, NULL, 0, &o, &res, &err);
	ok(rc == 0 && res.n_roles == 1, "the check runs");
	if (res.n_roles == 1) {
		is_str(bg_check_status_name(res.roles[0].status), "unevaluated",
		       "a mirror whose digest is not the pinned one: could not evaluate");
		ok(has_rule(&res.roles[0], "check-unevaluated", "not the pinned"), "the finding says why");
		is_int(bg_check_exit_code(&res), 3, "exit code 3");
	}
	bg_check_result_clear(&res);
	bg_roles_config_free(cfg);
}

static void test_rejected(void)
{
	char policy[PATH_MAX];
	snprintf(policy, sizeof policy, "%s/reject.json", tmpdir);
	write_file("reject.json", "{\"default\": [{\"type\": \"reject\"}]}\n");
	bg_error err = {0};
	bg_roles_config *cfg = config(policy, "bootc-base-1.0", &err);
	if (!ok(cfg != NULL, "config with a rejecting policy loads")) {
		tap_diag("%s", err.message);
		return;
	}
	bg_check_options o = options();
	bg_check_result res;
	int rc = bg_check_run(cfg, NULL, 0, &o, &res, &err);
	ok(rc == 0 && res.n_roles == 1, "the check runs");
	if (res.n_roles == 1) {
		const bg_check_role *r = &res.roles[0];
		is_str(bg_check_status_name(r->status), "fail", "a rejected signature closes the gate");
		ok(has_rule(r, "base-signature-rejected", "bootc-base"), "base-signature-rejected names the base");
		ok(has_rule(r, "image-signature-rejected", NULL),
		   "the built image is judged too when the policy asks (identity fleet/web: reject)");
	}
	bg_check_result_clear(&res);
	bg_roles_config_free(cfg);

	cfg = config("/nonexistent/policy.json", "bootc-base-1.0", &err);
	rc = cfg ? bg_check_run(cfg, NULL, 0, &o, &res, &err) : -1;
	ok(rc == BG_E_USAGE && strstr(err.message, "role 'web'"), "a missing trust policy is a usage error");
	bg_check_result_clear(&res);
	bg_roles_config_free(cfg);
}

/* Trust settings inline in bootgate.yaml: the demo's policy as a YAML
 * mapping and its signature store as trust.lookaside (a relative file: URL,
 * resolved against bootgate.yaml's directory). */
static bg_roles_config *inline_config(const char *requirement, bg_error *err)
{
	char yaml[8192], path[PATH_MAX], link[PATH_MAX];
	snprintf(link, sizeof link, "%s/sigs", tmpdir);
	snprintf(path, sizeof path, "%s/sigstore", demo);
	if (symlink(path, link) != 0 && errno != EEXIST)
		tap_diag("symlink %s failed", link);
	snprintf(yaml, sizeof yaml,
		 "defaults:\n"
		 "  platform: linux/amd64\n"
		 "  policy: %s/../../policies/image-mode-baseline.yaml\n"
		 "  trust:\n"
		 "    policy-inline:\n"
		 "      default: [{type: reject}]\n"
		 "      transports:\n"
		 "        docker:\n"
		 "          registry.example.com/demo/bootc-base:\n"
		 "            - %s\n"
		 "          registry.example.com/fleet: [{type: insecureAcceptAnything}]\n"
		 "    lookaside: file:sigs\n"
		 "  mirrors: {registry.example.com/demo/bootc-base: 'oci:%s/images:bootc-base-1.0'}\n"
		 "roles:\n"
		 "  web:\n"
		 "    containerfile: %s/roles/web/Containerfile\n"
		 "    image: oci:%s/images:web\n"
		 "    identity: registry.example.com/fleet/web:1.0\n",
		 demo, requirement, demo, demo, demo);
	write_file("inline.yaml", yaml);
	snprintf(path, sizeof path, "%s/inline.yaml", tmpdir);
	bg_roles_config *cfg = NULL;
	if (bg_roles_config_load(path, &cfg, err) != 0)
		return NULL;
	return cfg;
}

static void test_inline_trust(void)
{
	/* The demo's key, as keyData, taken from its policy.json. */
	char req[2048] = "{type: reject}", path[PATH_MAX], text[4096] = "";
	snprintf(path, sizeof path, "%s/trust/policy.json", demo);
	FILE *f = fopen(path, "r");
	size_t got = f ? fread(text, 1, sizeof text - 1, f) : 0;
	if (f)
		fclose(f);
	text[got] = '\0';
	const char *kd = strstr(text, "\"keyData\": \"");
	const char *end = kd ? strchr(kd + 12, '"') : NULL;
	if (kd && end)
		snprintf(req, sizeof req, "{type: signedBy, keyType: GPGKeys, keyData: '%.*s'}", (int)(end - kd - 12),
			 kd + 12);
	bg_error err = {0};
	bg_roles_config *cfg = inline_config(req, &err);
	if (!ok(cfg != NULL, "inline trust: bootgate.yaml with policy-inline and lookaside loads")) {
		tap_diag("%s", err.message);
		return;
	}
	bg_check_options o = options();
	bg_check_result res;
	int rc = bg_check_run(cfg, NULL, 0, &o, &res, &err);
	if (!ok(rc == 0 && res.n_roles == 1, "inline trust: the check runs"))
		tap_diag("%s", err.message);
	if (res.n_roles == 1) {
		const bg_check_role *web = &res.roles[0];
		is_str(bg_check_status_name(web->status), "pass",
		       "inline trust: the base is accepted under the inline policy and lookaside");
		for (size_t i = 0; web->status != BG_CHECK_PASS && i < web->findings.n; i++)
			tap_diag("web: %s", web->findings.v[i].message);
		ok(web->n_bases == 1 && web->bases[0].accepted && web->bases[0].signer_fingerprint,
		   "inline trust: the base signer is kept");
	}
	bg_check_result_clear(&res);
	bg_roles_config_free(cfg);

	/* The same key, but the inline policy rejects: the decision follows the
	 * inline text, and the finding names it. */
	cfg = inline_config("{type: reject}", &err);
	rc = cfg ? bg_check_run(cfg, NULL, 0, &o, &res, &err) : -1;
	ok(rc == 0 && res.n_roles == 1, "inline trust (reject): the check runs");
	if (rc == 0 && res.n_roles == 1) {
		is_str(bg_check_status_name(res.roles[0].status), "fail", "inline reject: gate closed");
		ok(has_rule(&res.roles[0], "base-signature-rejected", "trust.policy-inline"),
		   "inline reject: base-signature-rejected names the inline policy");
	}
	bg_check_result_clear(&res);
	bg_roles_config_free(cfg);

	/* A key file that does not exist: a usage error before anything runs,
	 * like a policy.json naming one.  (Or could-not-evaluate, as bootgate
	 * verify; what matters is that the gate does not pass.) */
	cfg = inline_config("{type: signedBy, keyType: GPGKeys, keyPath: /nonexistent/key.gpg}", &err);
	rc = cfg ? bg_check_run(cfg, NULL, 0, &o, &res, &err) : -1;
	ok(rc == BG_E_USAGE || (rc == 0 && res.n_roles == 1 && res.roles[0].status != BG_CHECK_PASS),
	   "inline trust with a missing key file never passes");
	bg_check_result_clear(&res);
	bg_roles_config_free(cfg);
}

static void test_lookaside_url(void)
{
	char file[PATH_MAX], want[PATH_MAX + 16];
	snprintf(file, sizeof file, "%s/trust/registries.d/demo.yaml", demo);
	bg_registriesd_choice c = {.url = (char *)"file:../../sigstore", .file = file};
	char *url = NULL;
	bg_error err = {0};
	char real[PATH_MAX];
	snprintf(want, sizeof want, "%s/sigstore", demo);
	if (!realpath(want, real))
		real[0] = '\0';
	snprintf(want, sizeof want, "file://%s", real);
	ok(bg_imageverify_lookaside_url(&c, &url, &err) == 0, "relative file: lookaside resolves");
	is_str(url, want, "relative to the registries.d file's directory");
	free(url);
	c.url = (char *)"file:///var/lib/sigs";
	bg_imageverify_lookaside_url(&c, &url, &err);
	is_str(url, "file:///var/lib/sigs", "an absolute file:// URL is unchanged");
	free(url);
	c.url = (char *)"https://sigs.example.com/store";
	bg_imageverify_lookaside_url(&c, &url, &err);
	is_str(url, "https://sigs.example.com/store", "an https URL is unchanged");
	free(url);
	c.url = (char *)"file:sigs";
	c.file = NULL;
	ok(bg_imageverify_lookaside_url(&c, &url, &err) == BG_E_USAGE, "relative without a file: refused");
	free(url);
}

static void test_exit_codes(void)
{
	bg_check_role roles[2] = {{.status = BG_CHECK_FAIL}, {.status = BG_CHECK_UNEVALUATED}};
	bg_check_result r = {.roles = roles, .n_roles = 2};
	is_int(bg_check_exit_code(&r), 3, "could not evaluate wins over gate closed");
	roles[1].status = BG_CHECK_PASS;
	is_int(bg_check_exit_code(&r), 1, "one failing role: 1");
	roles[0].status = BG_CHECK_PASS;
	is_int(bg_check_exit_code(&r), 0, "all pass: 0");
	r.n_roles = 0;
	is_int(bg_check_exit_code(&r), 3, "no role evaluated is never a pass");

	setenv("CI_COMMIT_SHA", "0123456789abcdef", 1);
	char *rev = bg_check_source_revision(".");
	is_str(rev, "0123456789abcdef", "source revision from $CI_COMMIT_SHA");
	free(rev);
	unsetenv("CI_COMMIT_SHA");
	setenv("GITHUB_SHA", "fedcba9876543210", 1);
	rev = bg_check_source_revision(".");
	is_str(rev, "fedcba9876543210", "then $GITHUB_SHA");
	free(rev);
	unsetenv("GITHUB_SHA");
	rev = bg_check_source_revision("/");
	ok(rev && strcmp(rev, "unknown") == 0, "outside a git repository: unknown");
	free(rev);
}

int main(void)
{
	const char *td = getenv("BOOTGATE_TESTDATA");
	if (!td)
		return tap_skip_all("BOOTGATE_TESTDATA is not set");
	char p[PATH_MAX], real_demo[PATH_MAX];
	snprintf(p, sizeof p, "%s/demo", td);
	if (!realpath(p, real_demo) || strlen(real_demo) >= sizeof demo || !mkdtemp(tmpdir))
		return tap_skip_all("no demo data or no temporary directory");
	memcpy(demo, real_demo, strlen(real_demo) + 1);
	unsetenv("CI_COMMIT_SHA");
	unsetenv("GITHUB_SHA");
	test_demo();
	test_mirror_mismatch();
	test_rejected();
	test_inline_trust();
	test_lookaside_url();
	test_exit_codes();
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmpdir);
	return tap_done();
}
