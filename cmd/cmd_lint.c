/* bootgate lint — check Containerfiles (stage 1 of the gate). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_config.h"
#include "bootgate/limits.h"
#include "bootgate/lint.h"
#include "bootgate/lintconfig.h"
#include "commands.h"
#include "options.h"
#include "util.h"

static void lint_usage(FILE *out)
{
	fputs("Usage: bootgate lint [options] FILE...\n"
	      "\n"
	      "Check Containerfiles before they are built: base and helper images pinned\n"
	      "by digest and from allowed registries, remote ADD sources verified, no COPY\n"
	      "of the whole build context, nothing written to /var. FILE '-' reads\n"
	      "standard input.\n"
	      "\n"
	      "Options:\n"
	      "  -c, --config FILE          lint settings (default: .bootgate.yaml, searched\n"
	      "                             upwards from the current directory)\n"
	      "      --no-config            ignore any .bootgate.yaml\n"
	      "      --build-arg K=V        value of a build argument, as given to the build\n"
	      "                             (repeatable; overrides the config's build-args)\n"
	      "      --platform OS/ARCH     target platform for $TARGETPLATFORM etc.\n"
	      "                             (default: config, else linux/amd64)\n"
	      "      --context DIR          build context, for .containerignore (default: the\n"
	      "                             directory of each Containerfile; '.' for stdin)\n"
	      "  -t, --failure-threshold S  error|warning|info|none: findings at or above S\n"
	      "                             close the gate (default: config, else error)\n"
	      "  -f, --format F             text|json|sarif|codeclimate|junit|github\n"
	      "                             (repeatable; default text)\n"
	      "  -o, --output FILE          write the preceding --format to FILE\n"
	      "      --list-rules           print every rule with its severity and controls\n"
	      "  -h, --help                 show this help\n"
	      "\n"
	      "Suppress a finding with a comment on the line above the instruction:\n"
	      "  # bootgate ignore=base-latest reason=\"why this is acceptable\"\n"
	      "\n"
	      "Exit status: 0 pass, 1 findings at or above the threshold or a file that\n"
	      "cannot be parsed, 2 usage or configuration error.\n", out);
}

enum { OPT_NO_CONFIG = 256, OPT_BUILD_ARG, OPT_PLATFORM, OPT_CONTEXT, OPT_LIST_RULES };

static const struct option lint_options[] = {
	{"config", required_argument, NULL, 'c'},
	{"no-config", no_argument, NULL, OPT_NO_CONFIG},
	{"build-arg", required_argument, NULL, OPT_BUILD_ARG},
	{"platform", required_argument, NULL, OPT_PLATFORM},
	{"context", required_argument, NULL, OPT_CONTEXT},
	{"failure-threshold", required_argument, NULL, 't'},
	{"format", required_argument, NULL, 'f'},
	{"output", required_argument, NULL, 'o'},
	{"list-rules", no_argument, NULL, OPT_LIST_RULES},
	{"help", no_argument, NULL, 'h'},
	{0},
};

static void list_rules(void)
{
	size_t n;
	const bg_rule *const *rules = bg_lint_rules(&n);
	for (size_t i = 0; i < n; i++) {
		printf("%-22s %-8s %s\n", rules[i]->id, bg_severity_name(rules[i]->severity), rules[i]->summary);
		printf("%-22s %-8s controls:", "", "");
		for (size_t c = 0; c < BG_RULE_MAX_CONTROLS && rules[i]->controls[c]; c++)
			printf(" %s", rules[i]->controls[c]);
		printf("\n%-22s %-8s fix: %s\n", "", "", rules[i]->help);
	}
}

/* The directory part of path ("." when it has none). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return bg_strdup(".");
	if (slash == path)
		return bg_strdup("/");
	return bg_strndup(path, (size_t)(slash - path));
}

/* Lint one file; a file that cannot be read becomes a usage error (exit 2). */
static int lint_one(const char *path, bg_lint_options *opts, const char *context, bg_findings *findings)
{
	bg_error err = {0};
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (bg_read_file(path, BG_MAX_CONTAINERFILE_BYTES, &data, &len, &err) != 0) {
		fprintf(stderr, "bootgate lint: %s\n", err.message);
		return err.status;
	}
	_cleanup_free_ char *dir = NULL;
	if (context)
		opts->context_dir = context;
	else
		opts->context_dir = strcmp(path, "-") == 0 ? "." : (dir = dir_of(path));
	int rc = bg_lint_containerfile(path, data, len, opts, findings, &err);
	if (rc != 0)
		fprintf(stderr, "bootgate lint: %s: %s\n", path, err.message);
	return rc;
}

int cmd_lint(int argc, char **argv)
{
	const char *config_path = NULL, *platform = NULL, *context = NULL, *threshold_arg = NULL;
	bool no_config = false;
	_cleanup_free_ char *found = NULL;
	bg_strv build_args = {0};
	cli_outputs outputs = {0};
	int rc = 2, opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:t:f:o:h", lint_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case OPT_NO_CONFIG:
			no_config = true;
			break;
		case OPT_BUILD_ARG:
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				fprintf(stderr, "bootgate lint: --build-arg needs NAME=VALUE, got '%s'\n", optarg);
				goto out;
			}
			bg_strv_push(&build_args, optarg);
			break;
		case OPT_PLATFORM:
			platform = optarg;
			break;
		case OPT_CONTEXT:
			context = optarg;
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
		case OPT_LIST_RULES:
			list_rules();
			rc = 0;
			goto out;
		case 'h':
			lint_usage(stdout);
			rc = 0;
			goto out;
		default:
			fputs("Run 'bootgate lint --help' for usage.\n", stderr);
			goto out;
		}
	}
	if (optind >= argc) {
		fputs("bootgate lint: no Containerfile given (use '-' for standard input)\n"
		      "Run 'bootgate lint --help' for usage.\n", stderr);
		goto out;
	}
	if (cli_outputs_finish(&outputs) != 0)
		goto out;

	size_t nrules;
	const bg_rule *const *rules = bg_lint_rules(&nrules);
	bg_lintconfig *config = NULL;
	bg_error err = {0};
	if (!no_config && !config_path) {
		if (bg_lintconfig_find(".", &found, &err) != 0) {
			fprintf(stderr, "bootgate lint: looking for %s: %s\n", BG_LINTCONFIG_FILENAME, err.message);
			goto out;
		}
		config_path = found;
	}
	if (config_path && bg_lintconfig_load(config_path, rules, nrules, &config, &err) != 0) {
		fprintf(stderr, "bootgate lint: %s\n", err.message);
		rc = bg_status_exit_code(err.status) == 3 ? 3 : 2;
		goto out;
	}

	bg_severity threshold = config && config->threshold_set ? config->threshold : BG_SEV_ERROR;
	if (threshold_arg && cli_parse_threshold(threshold_arg, &threshold) != 0) {
		bg_lintconfig_free(config);
		goto out;
	}

	bg_lint_options opts = {
		.config = config,
		.build_args = (const char *const *)build_args.v,
		.nbuild_args = build_args.n,
		.platform = platform,
	};
	bg_findings findings = {0};
	int worst = 0;
	for (int i = optind; i < argc; i++) {
		int r = lint_one(argv[i], &opts, context, &findings);
		if (r != 0 && (worst == 0 || bg_status_exit_code(r) > bg_status_exit_code(worst)))
			worst = r;
	}
	bg_findings_sort(&findings);

	bg_report report = {
		.tool_version = BG_VERSION,
		.command = "lint",
		.findings = &findings,
		.subjects = (const char *const *)(argv + optind),
		.nsubjects = (size_t)(argc - optind),
		.rules = rules,
		.nrules = nrules,
		.threshold = threshold,
		.color = cli_stdout_color(),
	};
	int write_rc = cli_outputs_write(&outputs, &report);

	/* A file that cannot be parsed closes the gate whatever the threshold
	 * (parse-error is an always_fails rule): nothing in it was checked. */
	if (worst != 0)
		rc = bg_status_exit_code(worst);
	else if (write_rc != 0)
		rc = 3;
	else
		rc = bg_findings_count_failing(&findings, threshold) > 0 ? 1 : 0;
	bg_findings_free(&findings);
	bg_lintconfig_free(config);
out:
	bg_strv_free(&build_args);
	return rc;
}
