/* bootgate audit — check an image's audit configuration against a gate
 * policy (stage 4 of the gate): resolve the image, scan its layers for the
 * files of interest, build the effective audit rules and evaluate every
 * requirement of the policy (bootgate-policy(5)). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_config.h"
#include "bootgate/audit.h"
#include "bootgate/image.h"
#include "bootgate/imageview.h"
#include "bootgate/layers.h"
#include "bootgate/policy.h"
#include "bootgate/progress.h"
#include "bootgate/source.h"
#include "commands.h"
#include "options.h"
#include "util.h"

static void audit_usage(FILE *out)
{
	fputs("Usage: bootgate audit [options] --policy FILE IMAGE\n"
	      "\n"
	      "Read IMAGE's audit configuration from its layers (nothing is unpacked to\n"
	      "disk) and check it against a gate policy: the rules augenrules would load\n"
	      "at boot from /etc/audit/rules.d (or auditctl -R /etc/audit/audit.rules when\n"
	      "the audit units say so), whether they end immutable (-e 2), the files,\n"
	      "kernel arguments (/usr/lib/bootc/kargs.d) and units the policy names.\n"
	      "Prints the effective rules with their origin (file:line, layer), each\n"
	      "requirement's verdict and the findings. The policy format is\n"
	      "bootgate-policy(5); policies/ has image-mode-baseline.yaml and\n"
	      "rhel9-stig-audit.yaml.\n"
	      "\n"
	      "IMAGE is docker://REF (or REF), oci:DIR[:NAME], oci-archive:FILE[:NAME] or\n"
	      "docker-archive:FILE[:REF], as for 'bootgate inspect'.\n"
	      "\n"
	      "Options:\n"
	      "  -p, --policy FILE          the gate policy (required)\n"
	      "  -j, --jobs N               layers scanned at once (default: the number of CPUs)\n"
	      "      --cache-dir DIR        layer scan cache (default $XDG_CACHE_HOME/bootgate,\n"
	      "                             else ~/.cache/bootgate)\n"
	      "      --no-cache             neither read nor write the scan cache\n"
	      "      --show-files           print the files of interest as the image finally\n"
	      "                             has them (type, mode, owner, layer, content)\n"
	      "      --platform OS/ARCH[/VARIANT]\n"
	      "                             platform to select from an index (default: this\n"
	      "                             machine's)\n"
	      "  -t, --failure-threshold S  error|warning|info|none: findings at or above S\n"
	      "                             close the gate (default error)\n"
	      "  -f, --format F             text|json|sarif|codeclimate|junit|github for the\n"
	      "                             findings (repeatable; default text)\n"
	      "  -o, --output FILE          write the preceding --format to FILE\n"
	      "      --authfile FILE        registry credentials (containers auth.json format)\n"
	      "      --creds USER[:PASS]    registry credentials (password from\n"
	      "                             $BOOTGATE_REGISTRY_PASSWORD when not given)\n"
	      "      --cert-dir DIR         CA and client certificates for the registry\n"
	      "      --tls-verify=false     do not verify TLS and allow plain http (test\n"
	      "                             registries only)\n"
	      "      --max-attempts N       attempts per request (default 5)\n"
	      "      --deadline SECONDS     time for one request with its retries (default 300)\n"
	      "      --connect-timeout SECONDS  (default 30)\n"
	      "      --low-speed-time SECONDS   give up below 1 KiB/s for this long (default 60)\n"
	      "  -q, --quiet                no progress line\n"
	      "      --list-rules           print every finding rule with its severity and controls\n"
	      "  -h, --help                 show this help\n"
	      "\n"
	      "The listing (effective rules, verdicts) goes to standard output with the\n"
	      "text report, or to standard error when another format writes to standard\n"
	      "output.\n"
	      "\n"
	      "Exit status: 0 every requirement met (no finding at or above the threshold),\n"
	      "1 the gate is closed, 2 usage error or invalid policy, 3 the image could not\n"
	      "be read or scanned.\n", out);
}

enum {
	OPT_CACHE_DIR = 256,
	OPT_NO_CACHE,
	OPT_SHOW_FILES,
	OPT_PLATFORM,
	OPT_LIST_RULES,
};

static const struct option audit_options[] = {
	{"policy", required_argument, NULL, 'p'},
	{"jobs", required_argument, NULL, 'j'},
	{"cache-dir", required_argument, NULL, OPT_CACHE_DIR},
	{"no-cache", no_argument, NULL, OPT_NO_CACHE},
	{"show-files", no_argument, NULL, OPT_SHOW_FILES},
	{"platform", required_argument, NULL, OPT_PLATFORM},
	{"failure-threshold", required_argument, NULL, 't'},
	{"format", required_argument, NULL, 'f'},
	{"output", required_argument, NULL, 'o'},
	CLI_REGISTRY_ACCESS_OPTIONS,
	CLI_REGISTRY_TUNING_OPTIONS,
	{"quiet", no_argument, NULL, 'q'},
	{"list-rules", no_argument, NULL, OPT_LIST_RULES},
	{"help", no_argument, NULL, 'h'},
	{0},
};

/* Text from the image may hold anything: escape control bytes. */
static void put_safe(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

static void puts_safe(FILE *out, const char *s)
{
	put_safe(out, s ? s : "", s ? strlen(s) : 0);
}

static void list_rules(void)
{
	size_t n;
	const bg_rule *const *rules = bg_audit_rules(&n);
	for (size_t i = 0; i < n; i++) {
		printf("%-28s %-8s", rules[i]->id, bg_severity_name(rules[i]->severity));
		for (size_t c = 0; c < BG_RULE_MAX_CONTROLS && rules[i]->controls[c]; c++)
			printf("%s%s", c ? "," : " ", rules[i]->controls[c]);
		printf("\n    %s\n", rules[i]->summary);
	}
}

static const char *short_digest(const char *d, char buf[24])
{
	if (!d)
		return "-";
	snprintf(buf, 24, "%.19s", d);
	return buf;
}

static void print_rules(FILE *out, const bg_audit_result *res)
{
	const bg_audit_ruleset *set = res->effective;
	if (res->loader == BG_LOADER_AUDITCTL)
		fputs("\nEffective rules (auditctl -R /etc/audit/audit.rules):\n", out);
	else
		fputs("\nEffective rules (augenrules from /etc/audit/rules.d):\n", out);
	size_t shown = 0;
	for (size_t i = 0; i < set->n; i++) {
		const bg_audit_rule *r = &set->v[i];
		if (r->kind == BG_AUDIT_BLANK && !r->error)
			continue;
		char d[24];
		fprintf(out, "  %s ", r->loads && !r->error ? "   " : "NOT");
		puts_safe(out, r->file);
		fprintf(out, ":%u [%s] ", r->line, short_digest(r->layer, d));
		puts_safe(out, r->text);
		fputc('\n', out);
		if (r->error) {
			fputs("         ^ refused: ", out);
			puts_safe(out, r->error);
			fputc('\n', out);
		}
		shown++;
	}
	if (!shown)
		fputs("  (none)\n", out);
	for (size_t u = 0; u < res->sources.nusr_lib; u++) {
		const bg_audit_ruleset *us = &res->sources.usr_lib[u];
		for (size_t i = 0; i < us->n; i++) {
			const bg_audit_rule *r = &us->v[i];
			if (r->kind == BG_AUDIT_BLANK)
				continue;
			bool reach = bg_augenrules_reachable(&res->sources, r, &res->ctx);
			fprintf(out, "  %s ", reach ? "usr" : "---");
			puts_safe(out, r->file);
			fprintf(out, ":%u ", r->line);
			puts_safe(out, r->text);
			fputs(reach ? "  (reachable from rules.d)\n" : "  (not loaded: /usr/lib/audit)\n", out);
		}
	}
}

static void print_requirements(FILE *out, const bg_audit_result *res)
{
	fputs("\nRequirements:\n", out);
	for (size_t i = 0; i < res->n_requirements; i++) {
		const bg_audit_requirement *q = &res->requirements[i];
		fprintf(out, "  %-7s %-9s ", bg_audit_verdict_name(q->verdict),
			bg_audit_req_kind_name(q->kind));
		puts_safe(out, q->item->id);
		if (q->item->n_controls) {
			fputs(" [", out);
			for (size_t c = 0; c < q->item->n_controls; c++)
				fprintf(out, "%s%s", c ? " " : "", q->item->controls[c]);
			fputc(']', out);
		}
		fputs(": ", out);
		puts_safe(out, q->detail);
		fputc('\n', out);
	}
	fprintf(out, "  %zu passed, %zu failed, %zu not applicable or unknown\n", res->n_passed,
		res->n_failed, res->n_other);
}

static void print_files(FILE *out, const bg_imageview *view, const bg_pathset *ps)
{
	fputs("\nFiles of interest:\n", out);
	const bg_file **list = NULL;
	size_t n = 0;
	bg_error err = {0};
	if (bg_imageview_walk(view, "/", &list, &n, &err) < 0) {
		fprintf(stderr, "bootgate audit: listing the image view: %s\n", err.message);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const bg_file *f = list[i];
		const char *rel = f->path[0] == '/' ? f->path + 1 : f->path;
		if (f->implicit || !*rel || !bg_pathset_match(ps, rel))
			continue;
		char d[24];
		fprintf(out, "  %-9s %04o %u:%u %8llu [layer %d %s] ", bg_entry_type_name(f->type),
			f->mode & 07777, f->uid, f->gid, (unsigned long long)f->size, f->layer,
			short_digest(f->layer_digest, d));
		puts_safe(out, f->path);
		if (f->type == BG_ENTRY_SYMLINK) {
			fputs(" -> ", out);
			puts_safe(out, f->link_target);
		}
		fputc('\n', out);
		if (f->type == BG_ENTRY_FILE && f->too_large) {
			fputs("      (larger than 1 MiB: content not read)\n", out);
		} else if (f->type == BG_ENTRY_FILE && f->content) {
			const char *p = (const char *)f->content, *end = p + f->content_len;
			while (p < end) {
				const char *e = memchr(p, '\n', (size_t)(end - p));
				size_t len = e ? (size_t)(e - p) : (size_t)(end - p);
				fputs("      | ", out);
				put_safe(out, p, len);
				fputc('\n', out);
				p += len + (e ? 1 : 0);
			}
		}
	}
	free(list);
}

int cmd_audit(int argc, char **argv)
{
	const char *policy_path = NULL, *platform_arg = NULL, *threshold_arg = NULL;
	bool show_files = false, quiet = false;
	char *user = NULL, *pass = NULL;
	bg_source_options sopts = {0};
	bg_layers_options lopts = {0};
	bg_platform platform = {0};
	cli_outputs outputs = {0};
	bg_source *src = NULL;
	bg_image *img = NULL;
	bg_policy *policy = NULL;
	bg_pathset *ps = NULL;
	bg_imageview *view = NULL;
	bg_progress *progress = NULL;
	bg_audit_result res;
	bool have_res = false;
	bg_error err = {0};
	int rc = 2, opt;

	memset(&res, 0, sizeof res);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "p:j:t:f:o:qh", audit_options, NULL)) != -1) {
		int taken = cli_registry_option("audit", opt, optarg, &sopts, &user, &pass);
		if (taken < 0)
			goto out;
		if (taken > 0)
			continue;
		switch (opt) {
		case 'p':
			policy_path = optarg;
			break;
		case 'j':
			if (cli_parse_count("audit", "--jobs", optarg, 1024, &lopts.jobs) != 0)
				goto out;
			break;
		case OPT_CACHE_DIR:
			lopts.cache_dir = optarg;
			break;
		case OPT_NO_CACHE:
			lopts.no_cache = true;
			break;
		case OPT_SHOW_FILES:
			show_files = true;
			break;
		case OPT_PLATFORM:
			platform_arg = optarg;
			break;
		case 't':
			threshold_arg = optarg;
			break;
		case 'f':
			if (cli_outputs_add_format(&outputs, optarg) != 0)
				goto out;
			break;
		case 'o':
			if (cli_outputs_set_path(&outputs, optarg) != 0)
				goto out;
			break;
		case 'q':
			quiet = true;
			break;
		case OPT_LIST_RULES:
			list_rules();
			rc = 0;
			goto out;
		case 'h':
			audit_usage(stdout);
			rc = 0;
			goto out;
		default:
			fputs("Run 'bootgate audit --help' for usage.\n", stderr);
			goto out;
		}
	}
	if (optind >= argc) {
		fputs("bootgate audit: no image given\nRun 'bootgate audit --help' for usage.\n", stderr);
		goto out;
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "bootgate audit: one image at a time (got '%s' and '%s')\n", argv[optind],
			argv[optind + 1]);
		goto out;
	}
	if (!policy_path) {
		fputs("bootgate audit: --policy FILE is required (see policies/ and "
		      "bootgate-policy(5))\n", stderr);
		goto out;
	}
	if (cli_outputs_finish(&outputs) != 0)
		goto out;
	bg_severity threshold = BG_SEV_ERROR;
	if (threshold_arg && cli_parse_threshold(threshold_arg, &threshold) != 0)
		goto out;
	if (platform_arg && bg_platform_parse(platform_arg, &platform, &err) != 0) {
		fprintf(stderr, "bootgate audit: --platform: %s\n", err.message);
		goto out;
	}
	/* The policy first: a broken policy is a usage error before any I/O. */
	if (bg_policy_load(policy_path, &policy, &err) < 0 ||
	    bg_audit_policy_check(policy, &err) < 0 || bg_audit_pathset(policy, &ps, &err) < 0) {
		fprintf(stderr, "bootgate audit: %s\n", err.message);
		rc = err.status == BG_E_NOMEM ? 3 : 2;
		goto out;
	}

	const char *image = argv[optind];
	sopts.username = user;
	sopts.password = pass;
	progress = bg_progress_new(stderr, quiet);
	if (bg_progress_enabled(progress)) {
		sopts.progress = bg_progress_update;
		sopts.progress_ctx = progress;
	}
	bg_layers_stats stats = {0};
	if (bg_source_open(image, &sopts, &src, &err) != 0 ||
	    bg_image_resolve(src, platform_arg ? &platform : NULL, &img, &err) != 0 ||
	    bg_layers_scan(src, img, ps, &lopts, &view, &stats, &err) != 0) {
		bg_progress_clear(progress);
		if (strstr(err.message, image))
			fprintf(stderr, "bootgate audit: %s\n", err.message);
		else
			fprintf(stderr, "bootgate audit: %s: %s\n", image, err.message);
		rc = err.status == BG_E_USAGE ? 2 : 3;
		goto out;
	}
	bg_progress_clear(progress);

	bg_audit_input in = {
		.view = view,
		.interest = ps,
		.oci_arch = img->config->platform.architecture,
		.subject = image,
	};
	if (bg_audit_evaluate(policy, &in, &res, &err) < 0) {
		fprintf(stderr, "bootgate audit: %s: %s\n", image, err.message);
		rc = err.status == BG_E_USAGE ? 2 : 3;
		goto out;
	}
	have_res = true;

	/* The listing goes where the text report goes; with a machine format
	 * on standard output it moves to standard error. */
	bool machine_on_stdout = false;
	for (size_t i = 0; i < outputs.n; i++)
		if (!outputs.v[i].path && outputs.v[i].format != BG_FORMAT_TEXT)
			machine_on_stdout = true;
	FILE *listing = machine_on_stdout ? stderr : stdout;
	fputs("Image:     ", listing);
	puts_safe(listing, image);
	fprintf(listing, "\nManifest:  %s\n", img->manifest_digest);
	fprintf(listing, "Arch:      %s (%s)\n",
		img->config->platform.architecture ? img->config->platform.architecture : "?",
		res.machine);
	fputs("Policy:    ", listing);
	puts_safe(listing, policy->name ? policy->name : policy->path);
	fputs(" (", listing);
	puts_safe(listing, policy->path);
	fprintf(listing, ")\nScan:      %u layers, %u read, %u from cache, %llu bytes inflated\n",
		stats.layers, stats.scanned, stats.from_cache, (unsigned long long)stats.bytes_out);
	fprintf(listing, "Loader:    %s (",
		res.loader == BG_LOADER_AUDITCTL ? "auditctl -R /etc/audit/audit.rules" : "augenrules");
	puts_safe(listing, res.loader_detail);
	fputs(")\n", listing);
	for (size_t i = 0; i < bg_imageview_warning_count(view); i++) {
		fputs("Warning:   ", listing);
		puts_safe(listing, bg_imageview_warning(view, i));
		fputc('\n', listing);
	}
	print_rules(listing, &res);
	print_requirements(listing, &res);
	if (show_files)
		print_files(listing, view, ps);
	if (!machine_on_stdout)
		fputc('\n', listing);
	fflush(listing);

	size_t nrules;
	const bg_rule *const *rules = bg_audit_rules(&nrules);
	const char *subjects[] = {image};
	bg_report report = {
		.tool_version = BG_VERSION,
		.command = "audit",
		.findings = &res.findings,
		.subjects = subjects,
		.nsubjects = 1,
		.rules = rules,
		.nrules = nrules,
		.threshold = threshold,
		.color = cli_stdout_color(),
	};
	if (cli_outputs_write(&outputs, &report) != 0) {
		rc = 3;
		goto out;
	}
	rc = bg_findings_count_failing(&res.findings, threshold) > 0 ? 1 : 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bootgate audit: writing standard output: %s\n", strerror(errno));
		rc = 3;
	}
out:
	if (have_res)
		bg_audit_result_clear(&res);
	bg_imageview_free(view);
	bg_pathset_free(ps);
	bg_policy_free(policy);
	bg_image_free(img);
	bg_source_close(src);
	bg_platform_free(&platform);
	bg_progress_free(progress);
	cli_free_secret(user);
	cli_free_secret(pass);
	return rc;
}
