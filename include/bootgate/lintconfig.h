/* bootgate — the linter's configuration file, `.bootgate.yaml`
 * (doc/bootgate-lint-config.md):
 *
 *   lint:
 *     failure-threshold: error          # error|warning|info|none
 *     allowed-registries: [registry.redhat.io, "*.example.com"]
 *     rules:
 *       base-latest: {severity: error}
 *       var-content: {enabled: false}
 *     build-args: {BASE: "registry.redhat.io/rhel9/rhel-bootc@sha256:..."}
 *     platform: linux/amd64
 *
 * Read strictly (yamldoc.h): unknown keys, unknown rule ids and bad values
 * are usage errors (BG_E_USAGE, exit 2) whose message starts with
 * "FILE:LINE:COLUMN: ".  The loader gets the known rules from its caller, so
 * that it does not depend on the lint module. */
#ifndef BOOTGATE_LINTCONFIG_H
#define BOOTGATE_LINTCONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/error.h"
#include "bootgate/finding.h"

#define BG_LINTCONFIG_FILENAME ".bootgate.yaml"

/* One entry of `rules:`. */
typedef struct bg_lintconfig_rule {
	const bg_rule *rule;   /* from the caller's table */
	bool enabled;          /* false only with `enabled: false` */
	bool severity_set;     /* false: the severity is left unchanged */
	bg_severity severity;  /* when severity_set: info, warning or error */
} bg_lintconfig_rule;

typedef struct bg_lintconfig {
	char *path;                 /* the file it came from; NULL for defaults */
	bg_severity threshold;      /* BG_SEV_ERROR unless set */
	bool threshold_set;
	/* Registry patterns (exact host[:port], "*.domain" or "*"), NULL-
	 * terminated (the array is NULL when there are none); none = no
	 * registry check. */
	char **allowed_registries;
	size_t n_allowed_registries;
	bg_lintconfig_rule *rules;  /* in file order, each rule at most once */
	size_t n_rules;
	/* "NAME=VALUE", in file order, NULL-terminated (NULL when none). */
	char **build_args;
	size_t n_build_args;
	char *platform;             /* "os/arch[/variant]"; NULL when unset */
} bg_lintconfig;

/* The defaults (as if an empty file had been read, path NULL). */
bg_lintconfig *bg_lintconfig_new(void);

/* Read and check the configuration in path.  known (n_known entries) is
 * every rule the caller has; `rules:` may name only those. */
int bg_lintconfig_load(const char *path, const bg_rule *const *known, size_t n_known,
		       bg_lintconfig **out, bg_error *err);

/* The same from memory; name is used in messages and becomes cfg->path. */
int bg_lintconfig_parse(const char *data, size_t len, const char *name,
			const bg_rule *const *known, size_t n_known, bg_lintconfig **out,
			bg_error *err);

/* Look for .bootgate.yaml in start_dir (NULL: the current directory) and
 * then in each parent, stopping after the filesystem root or after a
 * directory that contains `.git` (the top of the repository).  Sets *path to
 * the file's path (malloc'd, absolute: start_dir resolved with realpath, so
 * ".." and symbolic links are followed physically, as git does) or NULL when
 * there is none.  Errors only when a directory cannot be examined. */
int bg_lintconfig_find(const char *start_dir, char **path, bg_error *err);

void bg_lintconfig_free(bg_lintconfig *cfg);

/* Whether rule is enabled, and its effective severity in *sev (the
 * configured one, else the rule's default).  cfg may be NULL (defaults). */
bool bg_lintconfig_rule_severity(const bg_lintconfig *cfg, const bg_rule *rule,
				 bg_severity *sev);

#endif
