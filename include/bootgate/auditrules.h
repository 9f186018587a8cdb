/* bootgate — Linux audit rules exactly as `auditctl -R` reads them, their
 * normalisation for comparison, and the rule set augenrules builds.
 *
 * Three layers (reference/audit.md §1, §2):
 *   parse      lib/auditrules.c  one rules file → bg_audit_ruleset: every line
 *                                 with its origin (file, line, layer), parsed
 *                                 and resolved as auditctl would, or refused
 *                                 with auditctl's reason.  auditctl stops at
 *                                 the first refused line (unless -c/-i came
 *                                 before), so later lines never load.
 *   normalise  lib/auditnorm.c   a rule → the struct auditctl would send
 *                                 (bg_audit_kernel_rule) → a canonical string;
 *                                 "A is equivalent to B".
 *   merge      lib/augenrules.c  /etc/audit/rules.d/NAME.rules → the file
 *                                 augenrules writes; audit.rules and
 *                                 /usr/lib/audit as separate sets.
 *   tables     lib/syscalls.c    syscall and errno names, generated at build
 *                                 time from the kernel headers.
 *
 * Nothing here touches the loading host: user names, the filesystem (stat of
 * watch paths) and the machine come from the caller (the image). */
#ifndef BOOTGATE_AUDITRULES_H
#define BOOTGATE_AUDITRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootgate/error.h"

/* auditctl's limits (reference/audit.md §1.8). */
#define BG_AUDIT_LINE_SIZE 6144     /* fgets buffer: longer lines are split */
#define BG_AUDIT_MAX_KEY_LEN 256    /* all keys of a rule incl. \x01 separators */
#define BG_AUDIT_MAX_FIELDS 63      /* -F/-C/key fields per rule */
#define BG_AUDIT_MAX_PATH 4096      /* string values (PATH_MAX) */

/* ---- what the caller knows about the image ---------------------------- */

typedef enum bg_audit_path_type {
	BG_AUDIT_PATH_UNKNOWN = 0, /* not known: no filesystem checks */
	BG_AUDIT_PATH_MISSING,
	BG_AUDIT_PATH_DIR,
	BG_AUDIT_PATH_OTHER,       /* exists, not a directory */
} bg_audit_path_type;

typedef struct bg_audit_context {
	/* `uname -m` of the image ("x86_64", "aarch64", "ppc64le", "s390x", …);
	 * NULL = "x86_64".  Gives b32/b64 and the syscall-name table. */
	const char *machine;
	/* stat() of a path in the image (after symlinks as the kernel would);
	 * NULL = unknown everywhere.  Decides -w → dir=/path=, and the kernel's
	 * refusals (dir= target missing, path= parent missing). */
	bg_audit_path_type (*path_type)(void *ctx, const char *path);
	/* getpwnam/getgrnam in the image: 0 and *id on success, -1 unknown.
	 * NULL = names are kept unresolved (compared by name). */
	int (*user_id)(void *ctx, const char *name, uint32_t *id);
	int (*group_id)(void *ctx, const char *name, uint32_t *id);
	void *ctx;
} bg_audit_context;

/* ---- parsed rules ------------------------------------------------------ */

typedef enum bg_audit_kind {
	BG_AUDIT_BLANK = 0,  /* blank or comment line (kept for line numbers) */
	BG_AUDIT_CONTROL,    /* -D -b -f -e -r --backlog_wait_time … -c -i */
	BG_AUDIT_WATCH,      /* -w PATH [-p PERM] [-k KEY] */
	BG_AUDIT_UNWATCH,    /* -W PATH … */
	BG_AUDIT_SYSCALL,    /* -a / -A LIST,ACTION … */
	BG_AUDIT_DELETE,     /* -d LIST,ACTION … (delete one rule) */
} bg_audit_kind;

typedef enum bg_audit_control {
	BG_AUDIT_CTL_NONE = 0,
	BG_AUDIT_CTL_DELETE_ALL,     /* -D [-k key] */
	BG_AUDIT_CTL_BACKLOG,        /* -b N */
	BG_AUDIT_CTL_BACKLOG_WAIT,   /* --backlog_wait_time N */
	BG_AUDIT_CTL_FAILURE,        /* -f 0|1|2 */
	BG_AUDIT_CTL_ENABLE,         /* -e 0|1|2 */
	BG_AUDIT_CTL_RATE,           /* -r N */
	BG_AUDIT_CTL_LOGINUID_IMMUTABLE,
	BG_AUDIT_CTL_RESET_LOST,     /* --reset-lost */
	BG_AUDIT_CTL_RESET_BACKLOG_WAIT_ACTUAL,
	BG_AUDIT_CTL_CONTINUE,       /* -c: errors no longer stop the load */
	BG_AUDIT_CTL_IGNORE,         /* -i: errors ignored */
	BG_AUDIT_CTL_RUNTIME,        /* -s -l -m -q -t -v --signal …: no effect on rules */
} bg_audit_control;

typedef enum bg_audit_op {
	BG_AUDIT_OP_EQ = 0, BG_AUDIT_OP_NE, BG_AUDIT_OP_LT, BG_AUDIT_OP_GT,
	BG_AUDIT_OP_LE, BG_AUDIT_OP_GE,
	BG_AUDIT_OP_BITMASK, /* & */
	BG_AUDIT_OP_BITTEST, /* &= */
} bg_audit_op;

/* "=", "!=", "<", ">", "<=", ">=", "&", "&=". */
const char *bg_audit_op_name(bg_audit_op op);

/* One -F (or -C) field, in written order.  Keys are not fields here: they
 * are in bg_audit_rule.keys (the kernel always stores the key last). */
typedef struct bg_audit_field {
	char *name;       /* canonical: "auid" for loginuid; "field_compare" for -C */
	bg_audit_op op;
	char *value;      /* as written (for -C: "uid!=euid" as written) */
	bool is_string;   /* path dir exe obj_* subj_*: compared as bytes (sval) */
	char *sval;       /* the string value stored (strings only) */
	uint32_t num;     /* the 32-bit value stored (numbers, -C constant) */
	bool unresolved;  /* a user/group name without resolver: num unknown, compare value */
} bg_audit_field;

typedef struct bg_audit_rule {
	bg_audit_kind kind;
	/* Origin. */
	char *file;
	unsigned line;
	char *layer;            /* NULL when not from an image layer */
	char *text;             /* the line as read, without the newline */
	/* Did this line load?  false for a refused line and for every line after
	 * the first refusal (unless -c/-i was in effect). */
	bool loads;
	char *error;            /* why auditctl (or the kernel) refuses it; NULL if ok */

	/* BG_AUDIT_CONTROL */
	bg_audit_control control;
	char *control_value;    /* "2" for -e 2, "8192" for -b 8192; NULL if none */

	/* BG_AUDIT_SYSCALL / DELETE / WATCH / UNWATCH */
	char *list;             /* "exit" "task" "user" "exclude" "filesystem" "io_uring" */
	char *action;           /* "always" "never" */
	bool prepend;           /* -A */
	bool all_syscalls;      /* -S all, or no -S (all on non-task lists) */
	int *syscalls;          /* sorted unique syscall numbers (when !all_syscalls) */
	size_t nsyscalls;
	/* -S names that could not be checked: no table for the rule's arch in
	 * this build (e.g. arm, io_uring ops).  Kept as written, sorted. */
	char **syscall_names;
	size_t nsyscall_names;
	char *arch;             /* the arch= value as written, NULL if none */
	uint32_t arch_id;       /* AUDIT_ARCH_* of arch= (0 if none) */
	bg_audit_field *fields; /* -F / -C in written order, without keys */
	size_t nfields;
	char **keys;            /* -k / -F key= in written order */
	size_t nkeys;
	/* Watches: the path (trailing '/' stripped as auditctl does) and perm
	 * letters as written (NULL = not given = "rwxa"). */
	char *watch_path;
	char *perm;
} bg_audit_rule;

typedef struct bg_audit_ruleset {
	bg_audit_rule *v;       /* every line of the input, in order (blank too) */
	size_t n, cap;
	/* The first refused line that stops the load (NULL when all loads, or
	 * when -c/-i made auditctl carry on).  Points into v. */
	const bg_audit_rule *first_error;
	/* Final state after loading this file (as far as the file decides). */
	int enable;             /* last effective -e value, -1 if none */
	bool locked;            /* -e 2 applied: later lines are refused by the kernel */
} bg_audit_ruleset;

/* Parse one rules file (content as read; NUL bytes end a line as with fgets).
 * file/layer are copied into every rule.  Returns 0 (refused lines are data:
 * rule->error, set->first_error), BG_E_NOMEM, or BG_E_INPUT for an input
 * over 16 MiB.  ctx may be NULL. */
int bg_auditrules_parse(const char *file, const char *layer, const char *data, size_t len,
			const bg_audit_context *ctx, bg_audit_ruleset *out, bg_error *err);

/* Parse one line (no newline) as auditctl -R would run it; the result is a
 * rule whose error is set when auditctl refuses it.  Used for policy rule
 * texts.  Returns 0 or BG_E_NOMEM. */
int bg_auditrules_parse_line(const char *text, const bg_audit_context *ctx,
			     bg_audit_rule *out, bg_error *err);

/* Parse an argv (already split, e.g. policy YAML or go-libaudit flags):
 * as above without the tokenizer. */
int bg_auditrules_parse_argv(int argc, char *const *argv, const bg_audit_context *ctx,
			     bg_audit_rule *out, bg_error *err);

/* Split a line with auditctl's tokenizer: spaces only, `\ ` and `\\`
 * escapes, no quotes; like auditctl, the first token is not unescaped and
 * tokens beyond strlen/3 + 1 are dropped.  *argv is a NULL-terminated vector (free with
 * bg_auditrules_argv_free).  Returns 0 or BG_E_NOMEM. */
int bg_auditrules_tokenize(const char *line, size_t len, char ***argv, int *argc);
void bg_auditrules_argv_free(char **argv);

/* The error object for a refused rule: "FILE:LINE: auditctl refuses this
 * line: REASON; every later rule in the load, including -e 2, would never
 * load".  Returns a malloc'd string or NULL (no error / oom). */
char *bg_auditrules_error_message(const bg_audit_rule *rule);

void bg_audit_rule_clear(bg_audit_rule *rule);
void bg_audit_ruleset_free(bg_audit_ruleset *set);

/* ---- normalisation (lib/auditnorm.c) ----------------------------------- */

/* The struct audit_rule_data auditctl would send: a watch becomes exit/always
 * with all syscalls and fields path|dir, perm; keys joined last. */
typedef struct bg_audit_kfield {
	char *name;             /* canonical field name, "key" for the key */
	bg_audit_op op;
	bool is_string;
	char *sval;             /* strings (key: keys joined with \x01) */
	uint32_t num;
	bool unresolved;        /* name not resolved: sval holds the name */
} bg_audit_kfield;

typedef struct bg_audit_kernel_rule {
	char list[16];
	char action[8];
	bool prepend;
	bool all_syscalls;
	int *syscalls;          /* sorted unique */
	size_t nsyscalls;
	bool has_arch;
	uint32_t arch;          /* AUDIT_ARCH_* */
	bg_audit_kfield *fields; /* stored order, key last */
	size_t nfields;
} bg_audit_kernel_rule;

/* Build the kernel form of a parsed WATCH or SYSCALL rule (others:
 * BG_E_USAGE).  ctx->path_type decides -w P → dir=P vs path=P. */
int bg_auditnorm_kernel(const bg_audit_rule *rule, const bg_audit_context *ctx,
			bg_audit_kernel_rule *out, bg_error *err);
void bg_audit_kernel_rule_clear(bg_audit_kernel_rule *k);

/* Canonical text of a rule for comparison and display, auditctl -l style:
 *   -a always,exit -F arch=b64 -S chmod,fchmod -F auid!=unset -F auid>=1000 -F key=perm_mod
 * list,action order fixed; -A for prepend; -S names ascending by number for
 * the rule's arch (numbers when unknown), "-S all" on exit/io_uring;
 * fields sorted (fields are ANDed); -C in canonical direction; uid values
 * `unset`; exit as -ENAME; arch as b64/b32; perm as r,w,x,a; dir= without a
 * trailing '/'; keys last as -F key=K in written order.  Watches come out in
 * syscall form (-w P -p wa -k K ≡ -a always,exit -F path=P -F perm=wa -F key=K).
 * Returns a malloc'd string or NULL on oom / non-rule kinds. */
char *bg_auditnorm_canonical(const bg_audit_rule *rule, const bg_audit_context *ctx);

/* Semantic equivalence of two rules (same canonical text). */
bool bg_auditnorm_equivalent(const bg_audit_rule *a, const bg_audit_rule *b,
			     const bg_audit_context *ctx);

/* Coverage form: a rule without arch= on the exit list applies to both ABIs,
 * so it expands to two canonical texts (arch=b64 …, arch=b32 … with the same
 * syscall numbers, as the kernel matches them); with arch=, one text.
 * Machines without a 32-bit ABI (ppc64le) expand to one.  Appends malloc'd
 * strings to *out (n entries).  Returns 0 or BG_E_NOMEM. */
int bg_auditnorm_coverage(const bg_audit_rule *rule, const bg_audit_context *ctx,
			  char ***out, size_t *n);

/* Do the rules a[0..na) cover exactly what b[0..nb) cover (same set of
 * coverage texts)?  `-w P -k K` ≡ {arch=b32 form, arch=b64 form}. */
bool bg_auditnorm_set_equivalent(const bg_audit_rule *const *a, size_t na,
				 const bg_audit_rule *const *b, size_t nb,
				 const bg_audit_context *ctx);

/* ---- tables (lib/syscalls.c, generated from the kernel headers) -------- */

/* AUDIT_ARCH_* for a machine name ("x86_64", "i686", "aarch64", "b64"/"b32"
 * resolved against machine); 0 when unknown or not supported (ppc64le b32). */
uint32_t bg_audit_arch_id(const char *name, const char *machine);
/* "b64"/"b32" when arch is machine's 64/32-bit ABI, else "0x…" in buf. */
const char *bg_audit_arch_name(uint32_t arch, const char *machine, char buf[16]);
/* Syscall number for a name in the table of arch (AUDIT_ARCH_*), -1 when the
 * table has no such name or there is no table for arch. */
int bg_audit_syscall_number(uint32_t arch, const char *name);
/* Name for a number, NULL when unknown. */
const char *bg_audit_syscall_name(uint32_t arch, int nr);
/* Is there a generated table for arch? */
bool bg_audit_syscall_table_known(uint32_t arch);
/* errno value for "EACCES" (positive), -1 when unknown; and back. */
int bg_audit_errno_number(const char *name);
const char *bg_audit_errno_name(int nr);
/* Record type number for msgtype= ("EXECVE" → 1309), -1 when unknown. */
int bg_audit_msgtype_number(const char *name);

/* ---- augenrules and the other places rules live (lib/augenrules.c) ----- */

/* One file of the image, as the layer scanner has it. */
typedef struct bg_audit_file {
	const char *path;           /* absolute path in the image */
	const char *content;        /* file content (a symlink's target content) */
	size_t len;
	const char *layer;          /* layer digest or NULL */
	const char *symlink_target; /* resolved absolute target when path is a
				     * symlink (augenrules' cat follows it), else NULL */
} bg_audit_file;

typedef struct bg_audit_sources {
	/* The rules augenrules loads: /etc/audit/rules.d/NAME.rules (not dot
	 * files) in `sort -V` order, merged as augenrules does (blank and #
	 * lines dropped, last bare -D, -b, -f hoisted to the top in that order,
	 * last -e moved to the end, earlier ones dropped), then parsed as
	 * `auditctl -R` reads the generated file.  Every rule keeps the file,
	 * line and layer it came from in rules.d. */
	bool has_rules_d;           /* false: augenrules says "No rules directory" */
	bg_audit_ruleset effective;
	char *generated;            /* the audit.rules text augenrules would write */
	char **rules_d_files;       /* the merged files in order */
	char **rules_d_targets;     /* their symlink targets (NULL entries: regular) */
	size_t nrules_d_files;
	/* /etc/audit/audit.rules as shipped (what auditctl -R would load
	 * without augenrules); has_audit_rules false when absent. */
	bool has_audit_rules;
	bg_audit_ruleset audit_rules;
	/* Does the shipped audit.rules differ from what augenrules generates
	 * (it is overwritten at boot when it does)? */
	bool audit_rules_stale;
	/* files under /usr/lib/audit, each parsed on its own (nothing loads
	 * them: augenrules reads only rules.d). */
	bg_audit_ruleset *usr_lib;
	size_t nusr_lib;
} bg_audit_sources;

typedef struct bg_augenrules_options {
	/* Strip a trailing \r from each line (augenrules >= 3.1.1 does). */
	bool strip_cr;
} bg_augenrules_options;

/* Build all three sets from the image's files of interest (other paths are
 * ignored).  Returns 0 or BG_E_NOMEM. */
int bg_augenrules_build(const bg_audit_file *files, size_t n, const bg_audit_context *ctx,
			const bg_augenrules_options *opts, bg_audit_sources *out, bg_error *err);

/* Is a rule of a /usr/lib/audit file reachable from rules.d: the rules.d file
 * it is loaded through is a symlink to that file, or an equivalent rule
 * (bg_auditnorm_equivalent) is in the effective set and loads?  Rules under
 * /usr/lib/audit that are not are never loaded. */
bool bg_augenrules_reachable(const bg_audit_sources *src, const bg_audit_rule *rule,
			     const bg_audit_context *ctx);

/* The `sort -V` comparison augenrules uses for file names (GNU filevercmp). */
int bg_augenrules_vercmp(const char *a, const char *b);

void bg_audit_sources_free(bg_audit_sources *src);

#endif
