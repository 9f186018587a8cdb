/* bootgate — the gate policy: what an image's audit configuration must hold
 * (doc/bootgate-policy.5 is the reference for the format).
 *
 *   version: 1
 *   name: rhel9-stig-audit
 *   description: RHEL 9 STIG V2R9 audit requirements
 *   match-keys: false             # required rules match whatever their -k key
 *   immutable: {reference: RHEL-09-654275, controls: [AU-9]}   # or: true
 *   rules:                        # required audit rules
 *     - id: stig-execpriv-suid-b64
 *       rule: -a always,exit -F arch=b64 -S execve -C uid!=euid -F euid=0 -k execpriv
 *       severity: error           # default error
 *       controls: [AC-6(9), AU-2] # NIST SP 800-53
 *       reference: RHEL-09-654010
 *   forbidden:
 *     - {id: audit-disabled, rule: "-e 0"}
 *     - {id: delete-after-required, rule: "-D", where: after-required}
 *     - {id: never-hides-required, shadowing: true}
 *   files:
 *     - {path: /etc/audit/auditd.conf, type: file, mode-max: "0640", owner: 0, group: 0}
 *   kargs:
 *     forbidden: [audit=0, audit=off]
 *   units:
 *     enabled: [auditd.service]
 *   paths: [/etc/sudoers]         # more files (globs) of interest, shown by --show-files
 *
 * Read strictly with yamldoc: unknown keys, wrong types, duplicate ids,
 * malformed modes or digests are usage errors (BG_E_USAGE, exit 2) whose
 * message starts with "FILE:LINE:COLUMN: ".  The audit rule text of `rule:`
 * is kept as written; the audit module parses it (with the image's
 * architecture) when it evaluates the policy.
 *
 * Also here, because they are small formats the policy checks read: the
 * bootc kargs.d TOML subset and systemd preset files. */
#ifndef BOOTGATE_POLICY_H
#define BOOTGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/error.h"
#include "bootgate/finding.h"

#define BG_POLICY_VERSION 1
/* A policy file larger than this is refused (it is hand-written YAML). */
#define BG_MAX_POLICY_BYTES (4UL * 1024UL * 1024UL)
#define BG_POLICY_MAX_CONTROLS 16

/* What every requirement carries.  id is unique within the policy (the
 * loader generates one for the short forms, e.g. "karg-forbidden:audit=0"). */
typedef struct bg_policy_item {
	char *id;
	bg_severity severity;         /* error unless set; never BG_SEV_NONE */
	char *controls[BG_POLICY_MAX_CONTROLS + 1]; /* NIST SP 800-53 ids, NULL-terminated */
	size_t n_controls;
	char *reference;              /* e.g. "RHEL-09-654010"; NULL when not given */
	char *description;            /* NULL when not given */
	unsigned line, column;        /* where the requirement is in the policy file */
} bg_policy_item;

/* rules: an audit rule that must be loaded, matched after normalisation. */
typedef struct bg_policy_required {
	bg_policy_item item;
	char *rule;                   /* one line of auditctl syntax */
	unsigned rule_line, rule_column;
} bg_policy_required;

typedef enum bg_policy_where {
	BG_POLICY_ANYWHERE = 0,        /* wherever it is in the effective rules */
	BG_POLICY_AFTER_REQUIRED,      /* only after a rule that satisfies a requirement */
	BG_POLICY_BEFORE_REQUIRED,     /* only before such a rule */
} bg_policy_where;

/* forbidden: a rule (or control line) that must not be loaded. */
typedef struct bg_policy_forbidden {
	bg_policy_item item;
	/* Exactly one of: */
	char *rule;                   /* a line equal to this after normalisation */
	bool shadowing;               /* any `never` rule (exit or task list) loaded
				       * before a required rule whose events it could match */
	bg_policy_where where;        /* with rule */
	unsigned rule_line, rule_column;
} bg_policy_forbidden;

typedef enum bg_policy_file_type {
	BG_POLICY_TYPE_ANY = 0,
	BG_POLICY_TYPE_FILE,          /* a regular file (a hardlink to one counts) */
	BG_POLICY_TYPE_DIRECTORY,
	BG_POLICY_TYPE_SYMLINK,
} bg_policy_file_type;

/* files: a path (or glob: `*` within one component, `**` any depth) in the
 * image, as the final layer leaves it. */
typedef struct bg_policy_file {
	bg_policy_item item;
	char *path;                   /* absolute, normalised (no //, ./, trailing /) */
	bool glob;                    /* path holds * (every match is checked) */
	bool optional;                /* absent is fine; the other checks apply when present */
	bg_policy_file_type type;
	bool has_mode_max;
	unsigned mode_max;            /* permission bits (07777) the file may have at most */
	bool has_owner, has_group;
	unsigned owner, group;        /* numeric uid / gid ("root" is read as 0) */
	char *sha256;                 /* 64 lower-case hex digits, or NULL */
} bg_policy_file;

/* kargs.forbidden: a kernel argument that no /usr/lib/bootc/kargs.d file may add. */
typedef struct bg_policy_karg {
	bg_policy_item item;
	char *arg;                    /* "audit=0": matches that argument exactly;
				       * "audit": matches audit with any value or none */
} bg_policy_karg;

/* units.enabled: a unit that must be enabled (by a .wants/.requires symlink
 * or by the preset files) and not masked. */
typedef struct bg_policy_unit {
	bg_policy_item item;
	char *unit;                   /* "auditd.service" */
} bg_policy_unit;

typedef struct bg_policy {
	char *path;                   /* the name it was loaded under */
	char *name;                   /* NULL when not given */
	char *description;
	bool match_keys;              /* true (default): a required rule's keys must match too */

	bool immutable;               /* the effective rules must end with -e 2 */
	bg_policy_item immutable_item;

	bg_policy_required *required;
	size_t n_required;
	bg_policy_forbidden *forbidden;
	size_t n_forbidden;
	bg_policy_file *files;
	size_t n_files;
	bg_policy_karg *kargs;
	size_t n_kargs;
	bg_policy_unit *units;
	size_t n_units;
	char **paths;                 /* extra globs of interest, NULL-terminated (NULL when none) */
	size_t n_paths;
} bg_policy;

/* Read and check a policy.  Errors: BG_E_USAGE (with line/column), BG_E_NOMEM. */
int bg_policy_load(const char *path, bg_policy **out, bg_error *err);
/* The same from memory; name is used in messages and becomes policy->path. */
int bg_policy_parse(const char *data, size_t len, const char *name, bg_policy **out,
		    bg_error *err);
void bg_policy_free(bg_policy *p);

/* The globs of every path the policy needs from an image: the default set
 * (audit rules, kargs.d, systemd units and presets), the unit files of
 * units.enabled, /etc/passwd and /etc/group (and their /usr/lib copies),
 * the files requirements and `paths`.  Sorted, without
 * duplicates, NULL-terminated; free with bg_policy_paths_free. */
char **bg_policy_paths_of_interest(const bg_policy *p, size_t *n);
void bg_policy_paths_free(char **paths);

/* Does glob (`*`: any run of characters but '/', `**` as a whole component:
 * any number of components, `?`: one character but '/') match path?  Both
 * absolute and normalised. */
bool bg_policy_glob_match(const char *glob, const char *path);

/* ---- /usr/lib/bootc/kargs.d: NAME.toml files -----------------------------
 * The subset bootc reads: `kargs = ["a", "b=c"]` and optional
 * `match-architectures = ["x86_64"]`, arrays over several lines, trailing
 * commas, basic ("..." with TOML escapes) and literal ('...') strings,
 * comments and blank lines.  Anything else (another key, a table, a key
 * given twice, a string that is not closed) is an error with the line. */
typedef struct bg_kargs_file {
	char **kargs;                 /* each whitespace-separated argument, in order */
	size_t n_kargs;
	char **arches;                /* match-architectures; NULL/0 when absent */
	size_t n_arches;
	bool has_arches;
} bg_kargs_file;

int bg_kargs_parse(const char *data, size_t len, const char *name, bg_kargs_file *out,
		   bg_error *err);
void bg_kargs_file_clear(bg_kargs_file *f);
/* Whether the file applies to an image of this OCI architecture ("amd64",
 * "arm64", "ppc64le", "s390x"; bootc compares Rust's names x86_64, aarch64,
 * powerpc64, s390x). */
bool bg_kargs_applies(const bg_kargs_file *f, const char *oci_arch);
/* Does karg match the policy's pattern (see bg_policy_karg.arg)? */
bool bg_karg_matches(const char *pattern, const char *karg);

/* ---- systemd presets ---------------------------------------------------
 * One preset file's lines, for bg_preset_lookup. */
typedef enum bg_preset_verdict {
	BG_PRESET_NONE = 0,           /* no line matched */
	BG_PRESET_ENABLE,
	BG_PRESET_DISABLE,
	BG_PRESET_IGNORE,
} bg_preset_verdict;

typedef struct bg_preset_file {
	const char *name;             /* path, for messages */
	const char *data;
	size_t len;
} bg_preset_file;

/* systemd's rule: the files (already in the order systemd reads them:
 * sorted by file name, an /etc file hiding a /usr/lib one of the same name)
 * are read line by line and the first `enable|disable|ignore PATTERN` whose
 * glob matches unit wins.  *file and *line (optional) tell which line. */
bg_preset_verdict bg_preset_lookup(const bg_preset_file *files, size_t n, const char *unit,
				   size_t *file, unsigned *line);

#endif
