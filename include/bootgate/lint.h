/* bootgate — Containerfile lint rules (stage 1 of the gate).
 *
 * bg_lint_containerfile parses one Containerfile with the BuildKit-compatible
 * parser, resolves its stages and ARGs, and appends a finding for every rule
 * it breaks.  A file that cannot be parsed gets a `parse-error` finding (the
 * gate stays closed); the return value is negative only when the lint itself
 * could not run (out of memory, unreadable ignore file). */
#ifndef BOOTGATE_LINT_H
#define BOOTGATE_LINT_H

#include <stddef.h>

#include "bootgate/error.h"
#include "bootgate/finding.h"
#include "bootgate/lintconfig.h"

typedef struct bg_lint_options {
	const bg_lintconfig *config;      /* NULL: defaults */
	const char *const *build_args;    /* "K=V", override the config's build-args */
	size_t nbuild_args;
	const char *platform;             /* "os/arch[/variant]"; NULL: config, else linux/amd64 */
	const char *context_dir;          /* build context; NULL: the Containerfile's directory */
} bg_lint_options;

/* Lint `data` (the contents of `path`; "-" for standard input). */
int bg_lint_containerfile(const char *path, const char *data, size_t len,
			  const bg_lint_options *opts, bg_findings *out, bg_error *err);

/* Every lint rule, in a stable order. */
const bg_rule *const *bg_lint_rules(size_t *n);
const bg_rule *bg_lint_rule_find(const char *id);

/* The rule for input that cannot be evaluated at all (also used by the CLI
 * for unreadable files). */
extern const bg_rule bg_rule_parse_error;

#endif
