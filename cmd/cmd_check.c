/* bootgate check — the whole gate over the roles of bootgate.yaml: lint,
 * base image signatures, the built image's signature, scan and audit, one
 * report with a verdict per role; --record / --record-to write the passing
 * roles' evidence into the role manifest. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bg_config.h"
#include "bootgate/audit.h"
#include "bootgate/check.h"
#include "bootgate/lint.h"
#include "bootgate/roles.h"
#include "bootgate/roles_config.h"
#include "commands.h"
#include "options.h"
#include "util.h"

#define DEFAULT_EXPIRY_DAYS 30

static void check_usage(FILE *out)
{
	fputs("Usage: bootgate check [options]\n"
	      "\n"
	      "Run the whole gate for the host roles of bootgate.yaml (bootgate.yaml(5)).\n"
	      "For each role: lint its Containerfile; fetch every FROM image (through the\n"
	      "role's mirror of its repository, if any) and decide its signature under the\n"
	      "role's trust settings (policy.json, registries.d) with the FROM reference as\n"
	      "identity; fetch the built image, decide its signature when the trust policy\n"
	      "asks for one, scan its layers and audit them against the role's gate policy.\n"
	      "One report (every format) holds every finding with its NIST controls and a\n"
	      "verdict per role.  Roles run concurrently; results are in file order.\n"
	      "\n"
	      "Options:\n"
	      "  -c, --config FILE          the roles file (default ./bootgate.yaml)\n"
	      "  -r, --role R               check only role R (repeatable)\n"
	      "  -j, --jobs N               roles checked at once (default 2)\n"
	      "      --record               write every passing role's digests and evidence\n"
	      "                             into the role manifest (serial + 1); nothing is\n"
	      "                             recorded for a failing role\n"
	      "      --record-to FILE       write the one --role's entry as a fragment for\n"
	      "                             'bootgate manifest merge' (CI matrix jobs)\n"
	      "      --manifest FILE        the role manifest (default: 'manifest' of the\n"
	      "                             roles file, else roles.manifest.json beside it)\n"
	      "      --expires-in DAYS      expiry of the recorded manifest (default 30)\n"
	      "  -f, --format F             text, json, sarif, codeclimate, junit, github\n"
	      "                             (repeatable; default text)\n"
	      "  -o, --output FILE          write the preceding --format to FILE\n"
	      "  -t, --failure-threshold S  error, warning, info or none: overrides the\n"
	      "                             roles' failure-threshold\n"
	      "      --cache-dir DIR        layer scan cache (default ~/.cache/bootgate)\n"
	      "      --no-cache             neither read nor write the scan cache\n"
	      "      --authfile FILE        registry credentials (containers auth.json)\n"
	      "      --creds USER[:PASS]    registry credentials; without ':PASS' the password\n"
	      "                             is read from $BOOTGATE_REGISTRY_PASSWORD\n"
	      "      --cert-dir DIR         CA certificates (*.crt), client certificate\n"
	      "      --tls-verify=false     do not verify TLS (test registries only)\n"
	      "  -h, --help                 show this help\n"
	      "\n"
	      "The source revision recorded is $CI_COMMIT_SHA, else $GITHUB_SHA, else\n"
	      "'git rev-parse HEAD' in the roles file's directory, else \"unknown\".\n"
	      "\n"
	      "Exit status: 0 every role passes, 1 a role's gate is closed, 2 usage or\n"
	      "configuration error, 3 a role could not be evaluated (wins over 1).\n",
	      out);
}

enum {
	OPT_RECORD = 256,
	OPT_RECORD_TO,
	OPT_MANIFEST,
	OPT_EXPIRES_IN,
	OPT_CACHE_DIR,
	OPT_NO_CACHE,
};

static const struct option check_options[] = {
	{"config", required_argument, NULL, 'c'},
	{"role", required_argument, NULL, 'r'},
	{"jobs", required_argument, NULL, 'j'},
	{"record", no_argument, NULL, OPT_RECORD},
	{"record-to", required_argument, NULL, OPT_RECORD_TO},
	{"manifest", required_argument, NULL, OPT_MANIFEST},
	{"expires-in", required_argument, NULL, OPT_EXPIRES_IN},
	{"format", required_argument, NULL, 'f'},
	{"output", required_argument, NULL, 'o'},
	{"failure-threshold", required_argument, NULL, 't'},
	{"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
	{"no-cache", no_argument, NULL, OPT_NO_CACHE},
	CLI_REGISTRY_ACCESS_OPTIONS,
	{"help", no_argument, NULL, 'h'},
	{0},
};

/* Every rule findings can come from: lint, audit and the check's own. */
static const bg_rule **all_rules(size_t *n)
{
	size_t nl, na, nc;
	const bg_rule *const *l = bg_lint_rules(&nl);
	const bg_rule *const *a = bg_audit_rules(&na);
	const bg_rule *const *c = bg_check_rules(&nc);
	const bg_rule **v = calloc(nl + na + nc + 1, sizeof *v);
	if (!v)
		return NULL;
	*n = 0;
	for (size_t i = 0; i < nc; i++)
		v[(*n)++] = c[i];
	for (size_t i = 0; i < nl; i++)
		v[(*n)++] = l[i];
	for (size_t i = 0; i < na; i++)
		v[(*n)++] = a[i];
	return v;
}

/* Record every passing role into the manifest (one new revision), or the
 * one role into a fragment.  Returns an exit code contribution (0 or 3/2). */
static int record(const bg_roles_config *cfg, const bg_check_result *res, const char *manifest,
		  const char *fragment, int64_t days)
{
	bg_error err = {0};
	int64_t now = (int64_t)time(NULL);
	_cleanup_free_ char *rev = bg_check_source_revision(cfg->dir);
	if (!rev)
		return 3;
	if (fragment) {
		const bg_check_role *r = &res->roles[0];
		if (r->status != BG_CHECK_PASS) {
			fprintf(stderr, "bootgate check: role '%s' did not pass: no fragment written\n",
				r->config->name);
			return 0;
		}
		bg_role_entry e = {0};
		int rc = bg_check_entry(r, rev, now, &e, &err);
		if (rc == 0)
			rc = bg_roles_fragment_write(&e, fragment, &err);
		bg_role_entry_clear(&e);
		if (rc < 0) {
			fprintf(stderr, "bootgate check: --record-to %s: %s\n", fragment, err.message);
			return rc == BG_E_USAGE ? 2 : 3;
		}
		fprintf(stderr, "bootgate check: role '%s' recorded in fragment %s\n", r->config->name, fragment);
		return 0;
	}
	size_t passing = 0;
	for (size_t i = 0; i < res->n_roles; i++)
		passing += res->roles[i].status == BG_CHECK_PASS;
	if (!passing) {
		fprintf(stderr, "bootgate check: no role passed: %s left unchanged\n", manifest);
		return 0;
	}
	bg_role_manifest *m = NULL;
	int64_t expires = now + days * 86400;
	FILE *probe = fopen(manifest, "r");
	int rc;
	if (probe) {
		fclose(probe);
		rc = bg_roles_load(manifest, &m, &err);
		if (rc == 0)
			rc = bg_roles_next_revision(m, expires, &err);
	} else {
		rc = bg_roles_new(1, expires, &m, &err);
	}
	for (size_t i = 0; i < res->n_roles && rc == 0; i++) {
		const bg_check_role *r = &res->roles[i];
		if (r->status != BG_CHECK_PASS)
			continue;
		bg_role_entry e = {0};
		rc = bg_check_entry(r, rev, now, &e, &err);
		if (rc == 0)
			rc = bg_roles_record(m, &e, &err);
		bg_role_entry_clear(&e);
	}
	if (rc == 0)
		rc = bg_roles_write(m, manifest, &err);
	if (rc < 0) {
		fprintf(stderr, "bootgate check: --record %s: %s\n", manifest, err.message);
		bg_roles_free(m);
		return rc == BG_E_USAGE ? 2 : 3;
	}
	fprintf(stderr, "bootgate check: recorded %zu passing role%s in %s (serial %lld)\n", passing,
		passing == 1 ? "" : "s", manifest, (long long)m->serial);
	bg_roles_free(m);
	return 0;
}

int cmd_check(int argc, char **argv)
{
	const char *config_path = BG_ROLES_CONFIG_FILENAME, *threshold_arg = NULL;
	const char *manifest_arg = NULL, *record_to = NULL;
	bool do_record = false;
	unsigned expires_days = DEFAULT_EXPIRY_DAYS;
	bg_strv names = {0};
	char *user = NULL, *pass = NULL;
	bg_check_options co = {.jobs = 2};
	cli_outputs outputs = {0};
	bg_roles_config *cfg = NULL;
	bg_check_result res = {0};
	bg_findings all = {0};
	bg_report_group *groups = NULL;
	const char **subjects = NULL;
	const bg_rule **rules = NULL;
	char *manifest_default = NULL;
	bg_error err = {0};
	int rc = 2, opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:r:j:f:o:t:h", check_options, NULL)) != -1) {
		int taken = cli_registry_option("check", opt, optarg, &co.source, &user, &pass);
		if (taken < 0)
			goto out;
		if (taken > 0)
			continue;
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'r':
			if (bg_strv_push(&names, optarg) < 0)
				goto out;
			break;
		case 'j':
			if (cli_parse_count("check", "--jobs", optarg, 256, &co.jobs) != 0)
				goto out;
			break;
		case OPT_RECORD: do_record = true; break;
		case OPT_RECORD_TO: record_to = optarg; break;
		case OPT_MANIFEST: manifest_arg = optarg; break;
		case OPT_EXPIRES_IN:
			if (cli_parse_count("check", "--expires-in", optarg, 3660, &expires_days) != 0)
				goto out;
			break;
		case 'f':
			if (cli_outputs_add_format(&outputs, optarg) != 0)
				goto out;
			break;
		case 'o':
			if (cli_outputs_set_path(&outputs, optarg) != 0)
				goto out;
			break;
		case 't': threshold_arg = optarg; break;
		case OPT_CACHE_DIR: co.layers.cache_dir = optarg; break;
		case OPT_NO_CACHE: co.layers.no_cache = true; break;
		case 'h':
			check_usage(stdout);
			rc = 0;
			goto out;
		default:
			fputs("Run 'bootgate check --help' for usage.\n", stderr);
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bootgate check: unexpected argument '%s' (roles come from --config)\n", argv[optind]);
		goto out;
	}
	if (do_record && record_to) {
		fputs("bootgate check: give --record or --record-to, not both\n", stderr);
		goto out;
	}
	if (record_to && names.n != 1) {
		fputs("bootgate check: --record-to writes one role's fragment: give exactly one --role\n", stderr);
		goto out;
	}
	if (cli_outputs_finish(&outputs) != 0)
		goto out;
	if (threshold_arg) {
		if (cli_parse_threshold(threshold_arg, &co.threshold) != 0)
			goto out;
		co.threshold_set = true;
	}
	co.source.username = user;
	co.source.password = pass;
	if (bg_roles_config_load(config_path, &cfg, &err) < 0) {
		fprintf(stderr, "bootgate check: %s\n", err.message);
		goto out;
	}
	const char *manifest = manifest_arg ? manifest_arg : cfg->manifest;
	if (!manifest) {
		if (asprintf(&manifest_default, "%s/roles.manifest.json", cfg->dir) < 0) {
			manifest_default = NULL;
			rc = 3;
			goto out;
		}
		manifest = manifest_default;
	}
	int erc = bg_check_run(cfg, (const char *const *)names.v, names.n, &co, &res, &err);
	if (erc < 0) {
		fprintf(stderr, "bootgate check: %s\n", err.message);
		rc = erc == BG_E_USAGE ? 2 : 3;
		goto out;
	}

	/* One report: every role's findings, the strictest role threshold. */
	groups = calloc(res.n_roles + 1, sizeof *groups);
	subjects = calloc(2 * res.n_roles + 1, sizeof *subjects);
	size_t nrules = 0, nsubjects = 0;
	rules = all_rules(&nrules);
	if (!groups || !subjects || !rules) {
		rc = 3;
		goto out;
	}
	bg_severity threshold = BG_SEV_NONE;
	for (size_t i = 0; i < res.n_roles; i++) {
		const bg_check_role *r = &res.roles[i];
		groups[i] = (bg_report_group){r->config->name, bg_check_status_name(r->status), r->reason};
		if (r->config->containerfile)
			subjects[nsubjects++] = r->config->containerfile;
		if (r->config->image)
			subjects[nsubjects++] = r->config->image;
		if (r->threshold != BG_SEV_NONE && (threshold == BG_SEV_NONE || r->threshold < threshold))
			threshold = r->threshold;
		for (size_t f = 0; f < r->findings.n; f++) {
			const bg_finding *src = &r->findings.v[f];
			bg_finding *c = bg_findings_add(&all, src->rule, src->severity, src->file, src->line,
							src->column, "%s", src->message ? src->message : "");
			if (!c) {
				rc = 3;
				goto out;
			}
			c->end_line = src->end_line;
			c->end_column = src->end_column;
			if (src->snippet)
				bg_finding_set_snippet(c, src->snippet, strlen(src->snippet));
			c->suppressed = src->suppressed;
			if (src->suppress_reason)
				c->suppress_reason = bg_strdup(src->suppress_reason);
		}
	}
	if (co.threshold_set)
		threshold = co.threshold;
	bg_report report = {
		.tool_version = BG_VERSION,
		.command = "check",
		.findings = &all,
		.subjects = subjects,
		.nsubjects = nsubjects,
		.rules = rules,
		.nrules = nrules,
		.threshold = threshold,
		.color = cli_stdout_color(),
		.groups = groups,
		.ngroups = res.n_roles,
	};
	if (cli_outputs_write(&outputs, &report) != 0) {
		rc = 3;
		goto out;
	}
	rc = bg_check_exit_code(&res);
	if (do_record || record_to) {
		int rrc = record(cfg, &res, manifest, record_to, expires_days);
		if (rrc > rc)
			rc = rrc;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bootgate check: writing standard output: %s\n", strerror(errno));
		rc = 3;
	}
out:
	free(manifest_default);
	free(rules);
	free(subjects);
	free(groups);
	bg_findings_free(&all);
	bg_check_result_clear(&res);
	bg_roles_config_free(cfg);
	bg_strv_free(&names);
	cli_free_secret(user);
	cli_free_secret(pass);
	return rc;
}
