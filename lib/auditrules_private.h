/* bootgate — helpers shared by auditrules.c, auditnorm.c, augenrules.c and
 * syscalls.c (not public API). */
#ifndef BOOTGATE_AUDITRULES_PRIVATE_H
#define BOOTGATE_AUDITRULES_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "bootgate/auditrules.h"

/* libaudit.h: keys of one rule are joined with this byte. */
#define AUDIT_KEY_SEPARATOR 0x01

/* Names of lists, fields (canonical: "auid"), file types, -C pairs. */
const char *bg_audit_list_name(int id);
int bg_audit_field_id(const char *name);
const char *bg_audit_field_name(int id);
bool bg_audit_field_is_string(int id);
const char *bg_audit_filetype_name(uint32_t mode);
const char *bg_audit_compare_text(uint32_t cmp, bool ne, char buf[40]);
int bg_audit_strcmp_p(const void *a, const void *b);

/* Is arch one of the AUDIT_ARCH_* ids auditctl knows (audit_elf_to_machine)? */
bool bg_audit_arch_known(uint32_t arch);

/* The identity the kernel compares rules by (audit_compare_rule): list,
 * action, prepend, syscall mask, fields in stored order with values, key.
 * malloc'd; NULL on oom. */
char *bg_auditnorm_kernel_id(const bg_audit_rule *rule, const bg_audit_context *ctx);

/* Append the lines of data to set (no load simulation): fgets emulation,
 * line numbers from first_line, optional CR strip. */
int bg_auditrules_parse_lines(bg_audit_ruleset *set, const char *file, const char *layer,
			      const char *data, size_t len, unsigned first_line, bool strip_cr,
			      const bg_audit_context *ctx, bg_error *err);

/* Simulate auditctl -R over set->v in order: kernel refusals (EEXIST,
 * ENOENT on delete, EPERM after -e 2), -c/-i, first_error, loads, enable. */
int bg_audit_ruleset_load(bg_audit_ruleset *set, const bg_audit_context *ctx, bg_error *err);

#endif
