/* bootgate — the rules audit findings come from (the table is in audit.c). */
#ifndef BOOTGATE_AUDIT_RULES_H
#define BOOTGATE_AUDIT_RULES_H

#include "bootgate/finding.h"

extern const bg_rule bg_rule_audit_rule_missing;
extern const bg_rule bg_rule_audit_rule_forbidden;
extern const bg_rule bg_rule_audit_rule_shadowed;
extern const bg_rule bg_rule_audit_rules_not_immutable;
extern const bg_rule bg_rule_audit_rules_unloadable;
extern const bg_rule bg_rule_audit_rule_unreachable;
extern const bg_rule bg_rule_audit_rules_stale;
extern const bg_rule bg_rule_audit_file_missing;
extern const bg_rule bg_rule_audit_file_type;
extern const bg_rule bg_rule_audit_file_mode;
extern const bg_rule bg_rule_audit_file_owner;
extern const bg_rule bg_rule_audit_file_digest;
extern const bg_rule bg_rule_audit_file_too_large;
extern const bg_rule bg_rule_karg_forbidden;
extern const bg_rule bg_rule_karg_file_invalid;
extern const bg_rule bg_rule_unit_not_enabled;
extern const bg_rule bg_rule_audit_rule_not_applicable;
extern const bg_rule bg_rule_scan_error;

#endif
