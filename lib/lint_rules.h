/* bootgate — the lint rules, for lint.c (the table is in lint_rules.c). */
#ifndef BOOTGATE_LINT_RULES_H
#define BOOTGATE_LINT_RULES_H

#include "bootgate/finding.h"

extern const bg_rule bg_rule_parse_error;
extern const bg_rule bg_rule_base_unpinned;
extern const bg_rule bg_rule_base_latest;
extern const bg_rule bg_rule_base_unresolved;
extern const bg_rule bg_rule_digest_malformed;
extern const bg_rule bg_rule_image_invalid;
extern const bg_rule bg_rule_registry_untrusted;
extern const bg_rule bg_rule_copy_from_unpinned;
extern const bg_rule bg_rule_mount_from_unpinned;
extern const bg_rule bg_rule_syntax_unpinned;
extern const bg_rule bg_rule_copy_broad_context;
extern const bg_rule bg_rule_add_remote_unverified;
extern const bg_rule bg_rule_add_git_unpinned;
extern const bg_rule bg_rule_var_content;
extern const bg_rule bg_rule_suppression_invalid;

#endif
