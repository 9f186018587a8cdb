/* bootgate — a gate policy evaluated against an image view (audit.h).
 *
 * Order of work: build the image context (arch, stat, passwd) → collect the
 * audit rule files → the effective rules as augenrules (or auditctl -R, when
 * the units say so) would load them → every requirement of the policy.
 *
 * Matching a required rule (reference/audit.md §1.7, §6.4) is done on the
 * kernel form of each rule (bg_auditnorm_kernel), per ABI:
 *   - a rule without arch= applies to both ABIs with the same syscall
 *     numbers, so it stands for an arch=b64 and an arch=b32 variant;
 *   - a required variant is covered when the loaded rules with the same
 *     list, action, fields and arch together name all its syscalls;
 *   - perm= of the loaded rule must include the required letters, and a
 *     dir= watch covers a required path= watch of the same path (it sees
 *     the directory and everything below it), never the other way round;
 *   - keys must match only when the policy says match-keys: true.
 * A rule that is written but never loads (after a refused line, after -e 2)
 * satisfies nothing. */
#include "bootgate/audit.h"
#include "bootgate/digest.h"
#include "audit_rules.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the rule table ------------------------------------------------------ */

#define AUDIT_CONTROLS {"AU-2", "AU-12"}

const bg_rule bg_rule_audit_rule_missing = {
	.id = "audit-rule-missing",
	.severity = BG_SEV_ERROR,
	.summary = "a rule the policy requires is not loaded by the image's audit configuration",
	.help = "Add the rule to a file in /etc/audit/rules.d/ (augenrules merges them at boot), "
		"before any -e 2 line and not after a line auditctl refuses. Both arch=b32 and "
		"arch=b64 forms are needed unless the rule is a watch without arch.",
	.controls = AUDIT_CONTROLS,
};

const bg_rule bg_rule_audit_rule_forbidden = {
	.id = "audit-rule-forbidden",
	.severity = BG_SEV_ERROR,
	.summary = "the image loads an audit rule or control line the policy forbids",
	.help = "Remove the line from /etc/audit/rules.d (or /etc/audit/audit.rules when the "
		"rules are loaded with auditctl -R).",
	.controls = {"AU-2", "AU-9", "AU-12"},
};

const bg_rule bg_rule_audit_rule_shadowed = {
	.id = "audit-rule-shadowed",
	.severity = BG_SEV_ERROR,
	.summary = "a never rule comes before a required rule and can suppress its events",
	.help = "The exit list is first match wins and -a never,task switches syscall auditing "
		"off for the task: move the never rule after the required rules, narrow it, or "
		"remove it.",
	.controls = AUDIT_CONTROLS,
};

const bg_rule bg_rule_audit_rules_not_immutable = {
	.id = "audit-rules-not-immutable",
	.severity = BG_SEV_ERROR,
	.summary = "the loaded rules do not end with -e 2, so they can be changed on the running host",
	.help = "Put -e 2 in the last rules.d file (e.g. 99-finalize.rules); augenrules moves the "
		"last -e line to the end. No later -e may follow it, and no earlier line may be "
		"refused by auditctl.",
	.controls = {"AU-9", "CM-5"},
};

const bg_rule bg_rule_audit_rules_unloadable = {
	.id = "audit-rules-unloadable",
	.severity = BG_SEV_ERROR,
	.summary = "auditctl refuses a line, so every later rule, including -e 2, never loads",
	.help = "Fix or remove the line; auditctl -R stops at the first error (unless -c or -i "
		"comes earlier), so nothing after it is loaded at boot.",
	.controls = {"AU-2", "AU-9", "AU-12"},
};

const bg_rule bg_rule_audit_rule_unreachable = {
	.id = "audit-rule-unreachable",
	.severity = BG_SEV_ERROR,
	.summary = "a required rule is only in /usr/lib/audit, which nothing loads",
	.help = "augenrules reads only /etc/audit/rules.d: symlink the file there "
		"(ln -s /usr/lib/audit/NAME.rules /etc/audit/rules.d/) or copy the rule.",
	.controls = AUDIT_CONTROLS,
};

const bg_rule bg_rule_audit_rules_stale = {
	.id = "audit-rules-stale",
	.severity = BG_SEV_INFO,
	.summary = "/etc/audit/audit.rules differs from what augenrules builds from rules.d",
	.help = "augenrules overwrites audit.rules at boot; edit rules.d, or run "
		"`augenrules` in the Containerfile so the shipped file matches.",
	.controls = {"CM-6"},
};

const bg_rule bg_rule_audit_file_missing = {
	.id = "audit-file-missing",
	.severity = BG_SEV_ERROR,
	.summary = "a file the policy requires is not in the image",
	.help = "Add the file to the image (COPY or the package that ships it).",
	.controls = {"CM-6", "AU-9"},
};

const bg_rule bg_rule_audit_file_type = {
	.id = "audit-file-type",
	.severity = BG_SEV_ERROR,
	.summary = "a file the policy names has the wrong type",
	.help = "Make the path the type the policy requires (file, directory or symlink).",
	.controls = {"CM-6", "AU-9"},
};

const bg_rule bg_rule_audit_file_mode = {
	.id = "audit-file-mode",
	.severity = BG_SEV_ERROR,
	.summary = "a file's permissions are wider than the policy allows",
	.help = "chmod the file in the Containerfile (e.g. RUN chmod 0600 /etc/audit/rules.d/*.rules).",
	.controls = {"AU-9", "AC-3", "CM-6"},
};

const bg_rule bg_rule_audit_file_owner = {
	.id = "audit-file-owner",
	.severity = BG_SEV_ERROR,
	.summary = "a file's owner or group is not the one the policy requires",
	.help = "chown the file in the Containerfile (COPY --chown=0:0 ...).",
	.controls = {"AU-9", "AC-3", "CM-6"},
};

const bg_rule bg_rule_audit_file_digest = {
	.id = "audit-file-digest",
	.severity = BG_SEV_ERROR,
	.summary = "a file's content does not have the sha256 the policy pins",
	.help = "Ship the reviewed file, or update the policy's sha256 after review.",
	.controls = {"SI-7", "CM-5"},
};

const bg_rule bg_rule_audit_file_too_large = {
	.id = "audit-file-too-large",
	.severity = BG_SEV_ERROR,
	.summary = "a file of interest is larger than 1 MiB, so it was not evaluated",
	.help = "Audit rule files, kargs.d files and units are small; a file over 1 MiB is "
		"refused rather than partly read. Split or shrink it.",
	.controls = {"SI-10", "AU-9"},
	.always_fails = true,
};

const bg_rule bg_rule_karg_forbidden = {
	.id = "karg-forbidden",
	.severity = BG_SEV_ERROR,
	.summary = "a kargs.d file adds a kernel argument the policy forbids",
	.help = "Remove the argument from /usr/lib/bootc/kargs.d; audit=0 stops auditd and its "
		"units (ConditionKernelCommandLine=!audit=0) and disables kernel auditing.",
	.controls = {"AU-12", "AU-14(1)", "CM-6"},
};

const bg_rule bg_rule_karg_file_invalid = {
	.id = "karg-file-invalid",
	.severity = BG_SEV_ERROR,
	.summary = "a /usr/lib/bootc/kargs.d file is not the TOML bootc reads",
	.help = "Write kargs = [\"arg\", ...] (and optionally match-architectures = [...]); bootc "
		"refuses the image otherwise.",
	.controls = {"CM-6", "SI-10"},
	.always_fails = true,
};

const bg_rule bg_rule_unit_not_enabled = {
	.id = "unit-not-enabled",
	.severity = BG_SEV_ERROR,
	.summary = "a unit the policy requires is not enabled (or is masked, or missing)",
	.help = "Enable it in the Containerfile (RUN systemctl enable auditd.service) or with a "
		"preset line (enable auditd.service) in /usr/lib/systemd/system-preset.",
	.controls = {"AU-12", "AU-14(1)", "CM-6"},
};

const bg_rule bg_rule_audit_rule_not_applicable = {
	.id = "audit-rule-not-applicable",
	.severity = BG_SEV_INFO,
	.summary = "a policy rule cannot be loaded on this image's architecture",
	.help = "The rule names a syscall the architecture does not have (e.g. open or chmod on "
		"aarch64); it is not required there. Write an arch-specific policy if another rule "
		"should stand in for it.",
	.controls = AUDIT_CONTROLS,
};

const bg_rule bg_rule_scan_error = {
	.id = "scan-error",
	.severity = BG_SEV_ERROR,
	.summary = "part of the image could not be evaluated",
	.help = "The message says what could not be read; the gate stays closed until it can be.",
	.controls = {"SI-10", "SR-11"},
	.always_fails = true,
};

static const bg_rule *const audit_rules[] = {
	&bg_rule_audit_rule_missing,
	&bg_rule_audit_rule_forbidden,
	&bg_rule_audit_rule_shadowed,
	&bg_rule_audit_rules_not_immutable,
	&bg_rule_audit_rules_unloadable,
	&bg_rule_audit_rule_unreachable,
	&bg_rule_audit_rules_stale,
	&bg_rule_audit_file_missing,
	&bg_rule_audit_file_type,
	&bg_rule_audit_file_mode,
	&bg_rule_audit_file_owner,
	&bg_rule_audit_file_digest,
	&bg_rule_audit_file_too_large,
	&bg_rule_karg_forbidden,
	&bg_rule_karg_file_invalid,
	&bg_rule_unit_not_enabled,
	&bg_rule_audit_rule_not_applicable,
	&bg_rule_scan_error,
};

const bg_rule *const *bg_audit_rules(size_t *n)
{
	*n = sizeof audit_rules / sizeof audit_rules[0];
	return audit_rules;
}

const bg_rule *bg_audit_rule_find(const char *id)
{
	for (size_t i = 0; i < sizeof audit_rules / sizeof audit_rules[0]; i++)
		if (strcmp(audit_rules[i]->id, id) == 0)
			return audit_rules[i];
	return NULL;
}

const char *bg_audit_verdict_name(bg_audit_verdict v)
{
	switch (v) {
	case BG_VERDICT_PASS: return "pass";
	case BG_VERDICT_FAIL: return "fail";
	case BG_VERDICT_NOT_APPLICABLE: return "n/a";
	case BG_VERDICT_UNKNOWN: return "unknown";
	}
	return "unknown";
}

const char *bg_audit_req_kind_name(bg_audit_req_kind k)
{
	static const char *const names[] = {"immutable", "rule", "forbidden", "file", "karg", "unit"};
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

const char *bg_audit_machine_for(const char *oci_arch)
{
	static const char *const map[][2] = {
		{"amd64", "x86_64"}, {"arm64", "aarch64"}, {"ppc64le", "ppc64le"},
		{"s390x", "s390x"}, {"386", "i686"},
	};
	if (!oci_arch)
		return "x86_64";
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i][0], oci_arch) == 0)
			return map[i][1];
	return NULL;
}

/* ---- evaluation state ---------------------------------------------------- */

struct eval {
	const bg_policy *policy;
	const bg_audit_input *in;
	bg_audit_result *res;
	bg_error *err;
	bool oom;
	uint32_t arch64, arch32;  /* AUDIT_ARCH_* of the image's ABIs (arch32 0: none) */
	/* Per effective rule: its position in its kernel list (-A prepends). */
	size_t *kpos;
	/* Per effective rule: satisfies at least one required rule. */
	bool *satisfies;
	/* Per required rule: the parsed rule (kind BLANK when not applicable)
	 * and the effective rules that satisfy it. */
	bg_audit_rule *req_rules;
	size_t **req_by;
	size_t *n_req_by;
};

static bg_finding *add_finding(struct eval *e, const bg_rule *rule, bg_severity sev,
			       const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static bg_finding *add_finding(struct eval *e, const bg_rule *rule, bg_severity sev,
			       const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		e->oom = true;
		return NULL;
	}
	bg_finding *f = bg_findings_add(&e->res->findings, rule, sev, file, line, 0, "%s", msg);
	free(msg);
	if (!f)
		e->oom = true;
	return f;
}

static void add_requirement(struct eval *e, bg_audit_req_kind kind, const bg_policy_item *item,
			    bg_audit_verdict verdict, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add_requirement(struct eval *e, bg_audit_req_kind kind, const bg_policy_item *item,
			    bg_audit_verdict verdict, const char *fmt, ...)
{
	bg_audit_result *r = e->res;
	bg_audit_requirement *q = &r->requirements[r->n_requirements++];
	q->kind = kind;
	q->item = item;
	q->verdict = verdict;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&q->detail, fmt, ap) < 0) {
		q->detail = NULL;
		e->oom = true;
	}
	va_end(ap);
	if (verdict == BG_VERDICT_PASS)
		r->n_passed++;
	else if (verdict == BG_VERDICT_FAIL)
		r->n_failed++;
	else
		r->n_other++;
}

/* "RHEL-09-654010 (reference ...)" for messages. */
static void item_label(const bg_policy_item *it, char *buf, size_t size)
{
	if (it->reference && strcmp(it->reference, it->id) != 0)
		snprintf(buf, size, "'%s' (%s)", it->id, it->reference);
	else
		snprintf(buf, size, "'%s'", it->id);
}

/* file:line (layer N) of a rule, for details. */
static void rule_origin(const bg_audit_rule *r, char *buf, size_t size)
{
	if (r->layer)
		snprintf(buf, size, "%s:%u (layer %.19s)", r->file ? r->file : "?", r->line, r->layer);
	else
		snprintf(buf, size, "%s:%u", r->file ? r->file : "?", r->line);
}

/* ---- the image context ---------------------------------------------------- */

static bg_audit_path_type ctx_path_type(void *c, const char *path)
{
	const bg_audit_input *in = c;
	if (in->interest) {
		const char *rel = path;
		while (*rel == '/')
			rel++;
		/* A path the scan did not look for is unknown, not missing. */
		if (!bg_pathset_match(in->interest, rel) && !bg_pathset_is_ancestor(in->interest, rel))
			return BG_AUDIT_PATH_UNKNOWN;
	}
	const bg_file *f = NULL;
	bg_error err = {0};
	if (bg_imageview_stat(in->view, path, &f, &err) < 0 || !f)
		return BG_AUDIT_PATH_MISSING;
	return f->type == BG_ENTRY_DIR ? BG_AUDIT_PATH_DIR : BG_AUDIT_PATH_OTHER;
}

/* name:x:ID:... in /etc/<db>, then /usr/lib/<db> (nss-altfiles on image mode). */
static int lookup_id(const bg_audit_input *in, const char *db, const char *name, uint32_t *id)
{
	const char *dirs[] = {"/etc/", "/usr/lib/"};
	size_t nl = strlen(name);
	for (size_t d = 0; d < 2; d++) {
		char path[64];
		snprintf(path, sizeof path, "%s%s", dirs[d], db);
		const bg_file *f = NULL;
		bg_error err = {0};
		if (bg_imageview_stat(in->view, path, &f, &err) < 0 || !f || !f->content)
			continue;
		const char *p = (const char *)f->content, *end = p + f->content_len;
		while (p < end) {
			const char *e = memchr(p, '\n', (size_t)(end - p));
			if (!e)
				e = end;
			if ((size_t)(e - p) > nl + 1 && memcmp(p, name, nl) == 0 && p[nl] == ':') {
				const char *c = memchr(p + nl + 1, ':', (size_t)(e - p - nl - 1));
				if (c && c + 1 < e && '0' <= c[1] && c[1] <= '9') {
					char *stop;
					unsigned long v = strtoul(c + 1, &stop, 10);
					if (stop < e && *stop == ':' && v <= 0xffffffffUL) {
						*id = (uint32_t)v;
						return 0;
					}
				}
			}
			p = e + 1;
		}
	}
	return -1;
}

static int ctx_user_id(void *c, const char *name, uint32_t *id)
{
	return lookup_id(c, "passwd", name, id);
}

static int ctx_group_id(void *c, const char *name, uint32_t *id)
{
	return lookup_id(c, "group", name, id);
}

/* ---- collecting the rule files -------------------------------------------- */

struct audit_files {
	bg_audit_file *v;
	size_t n, cap;
	bg_strv owned;            /* resolved symlink targets */
};

static int collect_under(struct eval *e, const char *prefix, struct audit_files *af)
{
	const bg_file **list = NULL;
	size_t n = 0;
	bg_error err = {0};
	if (!bg_imageview_is_dir(e->in->view, prefix))
		return 0;
	if (bg_imageview_walk(e->in->view, prefix, &list, &n, &err) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const bg_file *f = list[i], *target = f;
		const char *resolved = NULL;
		if (f->type == BG_ENTRY_DIR)
			continue;
		if (f->type == BG_ENTRY_SYMLINK) {
			char *abs = NULL;
			if (bg_imageview_stat(e->in->view, f->path, &target, &err) < 0 || !target ||
			    bg_imageview_resolve(e->in->view, f->path, &abs, &err) < 0) {
				/* augenrules' cat would fail on a dangling link: only .rules
				 * files in rules.d matter, the merge ignores others. */
				if (bg_str_has_suffix(f->path, ".rules"))
					add_finding(e, &bg_rule_scan_error, BG_SEV_ERROR, f->path, 0,
						    "%s is a symbolic link to %s, which is not in the "
						    "image (or not among the scanned paths); augenrules "
						    "would fail to read it",
						    f->path, f->link_target ? f->link_target : "?");
				free(abs);
				continue;
			}
			if (bg_strv_push_take(&af->owned, abs) < 0) {
				e->oom = true;
				break;
			}
			resolved = af->owned.v[af->owned.n - 1];
		}
		if (target->type != BG_ENTRY_FILE)
			continue;
		if (target->too_large) {
			add_finding(e, &bg_rule_audit_file_too_large, BG_SEV_ERROR, f->path, 0,
				    "%s is larger than 1 MiB (%llu bytes); its rules were not read, so "
				    "the audit configuration cannot be evaluated",
				    f->path, (unsigned long long)target->size);
			continue;
		}
		if (af->n == af->cap) {
			size_t cap = af->cap ? af->cap * 2 : 16;
			bg_audit_file *v = realloc(af->v, cap * sizeof *v);
			if (!v) {
				e->oom = true;
				break;
			}
			af->v = v;
			af->cap = cap;
		}
		af->v[af->n++] = (bg_audit_file){
			.path = f->path,
			.content = (const char *)target->content,
			.len = target->content_len,
			.layer = f->layer_digest,
			.symlink_target = resolved,
		};
	}
	free(list);
	return e->oom ? BG_E_NOMEM : 0;
}

/* ---- which loader the units use -------------------------------------------- */

/* The text of a file in the view (following symlinks), or NULL. */
static const bg_file *view_file(const bg_imageview *v, const char *path)
{
	const bg_file *f = NULL;
	bg_error err = {0};
	if (bg_imageview_stat(v, path, &f, &err) < 0 || !f || f->type != BG_ENTRY_FILE ||
	    !f->content)
		return NULL;
	return f;
}

/* Look at ExecStart=/ExecStartPost= lines of one unit file. */
static void scan_exec_lines(const bg_file *f, bool *augenrules, bool *auditctl,
			    char *where, size_t size)
{
	const char *p = (const char *)f->content, *end = p + f->content_len;
	unsigned ln = 0;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		ln++;
		const char *s = p;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		size_t n = (size_t)(e - s);
		const char *v = NULL;
		if (n > 14 && memcmp(s, "ExecStartPost=", 14) == 0)
			v = s + 14;
		else if (n > 10 && memcmp(s, "ExecStart=", 10) == 0)
			v = s + 10;
		if (v) {
			char line[512];
			snprintf(line, sizeof line, "%.*s", (int)(e - v), v);
			if (strstr(line, "augenrules")) {
				*augenrules = true;
				snprintf(where, size, "%s:%u", f->path, ln);
			} else if (strstr(line, "auditctl") && strstr(line, " -R")) {
				*auditctl = true;
				if (!*augenrules)
					snprintf(where, size, "%s:%u", f->path, ln);
			}
		}
		p = e + 1;
	}
}

static void detect_loader(struct eval *e)
{
	const bg_imageview *v = e->in->view;
	static const char *const units[] = {"auditd.service", "audit-rules.service"};
	bool augenrules = false, auditctl = false;
	char where[600] = "";
	for (size_t u = 0; u < 2; u++) {
		char path[128];
		/* /etc overrides /usr/lib for the unit file itself. */
		snprintf(path, sizeof path, "/etc/systemd/system/%s", units[u]);
		const bg_file *f = view_file(v, path);
		if (!f) {
			snprintf(path, sizeof path, "/usr/lib/systemd/system/%s", units[u]);
			f = view_file(v, path);
		}
		if (f)
			scan_exec_lines(f, &augenrules, &auditctl, where, sizeof where);
		static const char *const dropin_dirs[] = {"/usr/lib/systemd/system", "/etc/systemd/system"};
		for (size_t d = 0; d < 2; d++) {
			snprintf(path, sizeof path, "%s/%s.d", dropin_dirs[d], units[u]);
			const bg_file **list = NULL;
			size_t n = 0;
			bg_error err = {0};
			if (!bg_imageview_is_dir(v, path) || bg_imageview_list(v, path, &list, &n, &err) < 0)
				continue;
			for (size_t i = 0; i < n; i++) {
				if (!bg_str_has_suffix(list[i]->path, ".conf"))
					continue;
				const bg_file *df = view_file(v, list[i]->path);
				if (df)
					scan_exec_lines(df, &augenrules, &auditctl, where, sizeof where);
			}
			free(list);
		}
	}
	if (!augenrules && auditctl) {
		e->res->loader = BG_LOADER_AUDITCTL;
	} else {
		e->res->loader = BG_LOADER_AUGENRULES;
		if (!augenrules)
			snprintf(where, sizeof where, "default (no audit unit runs augenrules or auditctl -R)");
	}
	if (!(e->res->loader_detail = bg_strdup(where)))
		e->oom = true;
}

/* ---- kernel forms and coverage --------------------------------------------- */

/* One ABI's view of a rule: what a required rule needs, or what a loaded one
 * gives. */
struct variant {
	uint32_t arch;
	bool all;
	const int *sc;
	size_t nsc;
	char *sig;          /* list,action + sorted fields (no perm, no key) */
	char *dir_as_path;  /* sig with dir=P written as path=P, or NULL */
	unsigned perm;      /* perm bits, 15 when no perm field */
	bool has_perm;
	char *keys;         /* the key field's value ("" none) */
};

struct kform {
	bool ok;
	bg_audit_kernel_rule k;
	struct variant v[2];
	size_t nv;
};

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *field_text(const bg_audit_kfield *f)
{
	bg_strbuf b = {0};
	bg_strbuf_printf(&b, "%s%s", f->name, bg_audit_op_name(f->op));
	if (f->is_string || f->unresolved) {
		const char *s = f->sval ? f->sval : "";
		size_t n = strlen(s);
		/* dir=/x/ ≡ dir=/x; path= likewise for comparison. */
		if ((strcmp(f->name, "dir") == 0 || strcmp(f->name, "path") == 0))
			while (n > 1 && s[n - 1] == '/')
				n--;
		bg_strbuf_add(&b, s, n);
	} else {
		bg_strbuf_printf(&b, "%u", f->num);
	}
	return bg_strbuf_take(&b);
}

static char *signature(const bg_audit_kernel_rule *k, bool dir_as_path, bool *has_dir,
		       unsigned *perm, char **keys)
{
	bg_strv parts = {0};
	bool oom = false;
	*perm = 15 | 16; /* 16: no perm field */
	for (size_t i = 0; i < k->nfields; i++) {
		const bg_audit_kfield *f = &k->fields[i];
		if (strcmp(f->name, "key") == 0) {
			if (keys && !*keys)
				*keys = bg_strdup(f->sval ? f->sval : "");
			continue;
		}
		if (strcmp(f->name, "perm") == 0) {
			*perm = f->num;
			continue;
		}
		if (strcmp(f->name, "arch") == 0)
			continue; /* the variant's arch */
		if (strcmp(f->name, "dir") == 0 && has_dir)
			*has_dir = true;
		char *t = field_text(f);
		if (t && dir_as_path && bg_str_has_prefix(t, "dir=")) {
			char *p = NULL;
			if (asprintf(&p, "path=%s", t + 4) < 0)
				p = NULL;
			free(t);
			t = p;
		}
		oom |= bg_strv_push_take(&parts, t) < 0;
	}
	if (keys && !*keys)
		*keys = bg_strdup("");
	if (oom) {
		bg_strv_free(&parts);
		return NULL;
	}
	if (parts.n)
		qsort(parts.v, parts.n, sizeof *parts.v, cmp_cstr);
	bg_strbuf b = {0};
	bg_strbuf_printf(&b, "%s,%s%s", k->list, k->action, k->prepend ? ",prepend" : "");
	for (size_t i = 0; i < parts.n; i++)
		bg_strbuf_printf(&b, " %s", parts.v[i]);
	bg_strv_free(&parts);
	return bg_strbuf_take(&b);
}

static void kform_clear(struct kform *kf)
{
	for (size_t i = 0; i < kf->nv; i++) {
		free(kf->v[i].sig);
		free(kf->v[i].dir_as_path);
		free(kf->v[i].keys);
	}
	if (kf->ok)
		bg_audit_kernel_rule_clear(&kf->k);
	memset(kf, 0, sizeof *kf);
}

/* The ABI variants of a WATCH or SYSCALL rule (see the top of the file). */
static bool kform_build(struct eval *e, const bg_audit_rule *r, struct kform *kf)
{
	memset(kf, 0, sizeof *kf);
	if (r->kind != BG_AUDIT_WATCH && r->kind != BG_AUDIT_SYSCALL)
		return false;
	bg_error err = {0};
	if (bg_auditnorm_kernel(r, &e->res->ctx, &kf->k, &err) < 0)
		return false;
	kf->ok = true;
	uint32_t arches[2];
	size_t na = 0;
	if (kf->k.has_arch) {
		arches[na++] = kf->k.arch;
	} else {
		arches[na++] = e->arch64;
		if (e->arch32)
			arches[na++] = e->arch32;
	}
	bool has_dir = false;
	unsigned perm;
	char *keys = NULL;
	char *sig = signature(&kf->k, false, &has_dir, &perm, &keys);
	char *alt = has_dir ? signature(&kf->k, true, NULL, &perm, NULL) : NULL;
	if (!sig || !keys || (has_dir && !alt)) {
		free(sig);
		free(alt);
		free(keys);
		e->oom = true;
		kform_clear(kf);
		return false;
	}
	for (size_t i = 0; i < na; i++) {
		struct variant *v = &kf->v[kf->nv++];
		v->arch = arches[i];
		v->all = kf->k.all_syscalls;
		v->sc = kf->k.syscalls;
		v->nsc = kf->k.nsyscalls;
		v->perm = perm & 15;
		v->has_perm = !(perm & 16);
		v->sig = i ? bg_strdup(sig) : sig;
		v->dir_as_path = alt ? (i ? bg_strdup(alt) : alt) : NULL;
		v->keys = i ? bg_strdup(keys) : keys;
		if (!v->sig || !v->keys || (alt && !v->dir_as_path))
			e->oom = true;
	}
	if (na == 0) {
		free(sig);
		free(alt);
		free(keys);
	}
	return !e->oom;
}

static bool sc_contains(const struct variant *v, int nr)
{
	if (v->all)
		return true;
	for (size_t i = 0; i < v->nsc; i++)
		if (v->sc[i] == nr)
			return true;
	return false;
}

/* Do the required keys (\x01-separated) all appear among the given ones? */
static bool keys_cover(const char *have, const char *want)
{
	if (!*want)
		return true;
	char *w = bg_strdup(want);
	if (!w)
		return false;
	bool all = true;
	for (char *save = NULL, *t = strtok_r(w, "\x01", &save); t && all;
	     t = strtok_r(NULL, "\x01", &save)) {
		bool found = false;
		for (const char *h = have; *h && !found;) {
			const char *x = strchr(h, '\x01');
			size_t n = x ? (size_t)(x - h) : strlen(h);
			found = n == strlen(t) && memcmp(h, t, n) == 0;
			h = x ? x + 1 : h + n;
		}
		all = found;
	}
	free(w);
	return all;
}

/* Can loaded variant g stand (for these syscalls) for required variant want? */
static bool variant_compatible(const struct variant *want, const struct variant *g, bool match_keys)
{
	if (g->arch != want->arch)
		return false;
	if ((want->perm & ~g->perm) != 0)
		return false;
	if (strcmp(g->sig, want->sig) != 0 &&
	    !(g->dir_as_path && strcmp(g->dir_as_path, want->sig) == 0))
		return false;
	return !match_keys || keys_cover(g->keys, want->keys);
}

/* ---- kernel list order ------------------------------------------------------ */

/* Position of every loaded WATCH/SYSCALL rule in its kernel list: -a appends,
 * -A prepends (so it is matched before everything loaded earlier). */
static int kernel_positions(struct eval *e)
{
	const bg_audit_ruleset *set = e->res->effective;
	e->kpos = calloc(set->n + 1, sizeof *e->kpos);
	if (!e->kpos)
		return BG_E_NOMEM;
	/* Per list, a rule at index i gets: appended → count so far; prepended →
	 * before everything; computed as (prepends after it, in reverse) + ... */
	long long *key = calloc(set->n + 1, sizeof *key);
	if (!key)
		return BG_E_NOMEM;
	long long front = 0, back = 0;
	for (size_t i = 0; i < set->n; i++) {
		const bg_audit_rule *r = &set->v[i];
		if (!r->loads || (r->kind != BG_AUDIT_SYSCALL && r->kind != BG_AUDIT_WATCH))
			continue;
		key[i] = r->prepend ? --front : ++back;
	}
	/* Ordering by key gives the list order within every list (lists are
	 * independent; comparing keys across lists is never done). */
	for (size_t i = 0; i < set->n; i++)
		e->kpos[i] = (size_t)(key[i] + (long long)set->n + 1);
	free(key);
	return 0;
}

/* ---- requirements: rules ----------------------------------------------------- */

static bool rule_loads(const bg_audit_rule *r)
{
	return r->loads && !r->error;
}

/* Does the loaded control line s equal the control line want? */
static bool control_equal(const bg_audit_rule *want, const bg_audit_rule *s)
{
	if (s->kind != BG_AUDIT_CONTROL || s->control != want->control)
		return false;
	if (want->control == BG_AUDIT_CTL_DELETE_ALL) {
		if (want->nkeys == 0)
			return true;
		if (s->nkeys != want->nkeys)
			return false;
		for (size_t i = 0; i < want->nkeys; i++)
			if (strcmp(want->keys[i], s->keys[i]) != 0)
				return false;
		return true;
	}
	if (!want->control_value || !s->control_value)
		return want->control_value == s->control_value;
	return strcmp(want->control_value, s->control_value) == 0;
}

/* The effective value of a control (last loaded line of that kind). */
static const bg_audit_rule *last_control(const bg_audit_ruleset *set, bg_audit_control c)
{
	const bg_audit_rule *last = NULL;
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].kind == BG_AUDIT_CONTROL && set->v[i].control == c &&
		    rule_loads(&set->v[i]))
			last = &set->v[i];
	return last;
}

struct forms {
	struct kform *v;  /* per effective rule */
	size_t n;
};

/* Which rules of `set` cover required rule r?  Appends their indexes to
 * *by (loaded ones only when loaded_only).  Returns true when covered. */
static bool find_cover(struct eval *e, const bg_audit_rule *r, const bg_audit_ruleset *set,
		       const struct forms *forms, bool loaded_only, size_t **by, size_t *n_by)
{
	if (r->kind == BG_AUDIT_CONTROL) {
		const bg_audit_rule *found = NULL;
		if (r->control == BG_AUDIT_CTL_LOGINUID_IMMUTABLE ||
		    r->control == BG_AUDIT_CTL_DELETE_ALL) {
			for (size_t i = 0; i < set->n && !found; i++)
				if ((!loaded_only || rule_loads(&set->v[i])) &&
				    control_equal(r, &set->v[i]))
					found = &set->v[i];
		} else {
			/* Values (-f 2, -b 8192): the last loaded line decides. */
			const bg_audit_rule *last = NULL;
			for (size_t i = 0; i < set->n; i++)
				if (set->v[i].kind == BG_AUDIT_CONTROL && set->v[i].control == r->control &&
				    (!loaded_only || rule_loads(&set->v[i])))
					last = &set->v[i];
			if (last && control_equal(r, last))
				found = last;
		}
		if (found && by) {
			size_t *nv = realloc(*by, (*n_by + 1) * sizeof **by);
			if (!nv) {
				e->oom = true;
				return false;
			}
			*by = nv;
			(*by)[(*n_by)++] = (size_t)(found - set->v);
		}
		return found != NULL;
	}
	/* Exact equivalence first (the common case, and the normaliser's word). */
	for (size_t i = 0; i < set->n; i++) {
		const bg_audit_rule *s = &set->v[i];
		if ((loaded_only && !rule_loads(s)) ||
		    (s->kind != BG_AUDIT_WATCH && s->kind != BG_AUDIT_SYSCALL))
			continue;
		if (e->policy->match_keys && bg_auditnorm_equivalent(r, s, &e->res->ctx)) {
			if (by) {
				size_t *nv = realloc(*by, (*n_by + 1) * sizeof **by);
				if (!nv) {
					e->oom = true;
					return false;
				}
				*by = nv;
				(*by)[(*n_by)++] = i;
			}
			return true;
		}
	}
	struct kform want;
	if (!kform_build(e, r, &want))
		return false;
	bool covered = true;
	bool *used = calloc(set->n + 1, sizeof *used);
	if (!used) {
		e->oom = true;
		kform_clear(&want);
		return false;
	}
	for (size_t vi = 0; vi < want.nv && covered; vi++) {
		const struct variant *w = &want.v[vi];
		/* Candidates: loaded rules with a compatible variant. */
		bool all_seen = false;
		size_t nsc_needed = w->all ? 0 : w->nsc;
		bool *have = nsc_needed ? calloc(nsc_needed, sizeof *have) : NULL;
		if (nsc_needed && !have) {
			e->oom = true;
			covered = false;
			break;
		}
		for (size_t i = 0; i < set->n; i++) {
			const struct kform *g = &forms->v[i];
			if (!g->ok || (loaded_only && !rule_loads(&set->v[i])))
				continue;
			for (size_t gi = 0; gi < g->nv; gi++) {
				const struct variant *gv = &g->v[gi];
				if (!variant_compatible(w, gv, e->policy->match_keys))
					continue;
				bool contributes = false;
				if (gv->all) {
					all_seen = true;
					contributes = true;
				}
				for (size_t s = 0; s < nsc_needed; s++)
					if (!have[s] && sc_contains(gv, w->sc[s]))
						have[s] = contributes = true;
				if (contributes)
					used[i] = true;
			}
		}
		bool ok = w->all ? all_seen : true;
		for (size_t s = 0; s < nsc_needed && ok; s++)
			ok = have[s] || all_seen;
		free(have);
		covered = ok;
	}
	if (covered && by) {
		for (size_t i = 0; i < set->n; i++) {
			if (!used[i])
				continue;
			size_t *nv = realloc(*by, (*n_by + 1) * sizeof **by);
			if (!nv) {
				e->oom = true;
				break;
			}
			*by = nv;
			(*by)[(*n_by)++] = i;
		}
	}
	free(used);
	kform_clear(&want);
	return covered;
}

static int build_forms(struct eval *e, const bg_audit_ruleset *set, struct forms *f)
{
	f->n = set->n;
	f->v = calloc(set->n + 1, sizeof *f->v);
	if (!f->v)
		return BG_E_NOMEM;
	for (size_t i = 0; i < set->n; i++)
		(void)kform_build(e, &set->v[i], &f->v[i]);
	return e->oom ? BG_E_NOMEM : 0;
}

static void forms_free(struct forms *f)
{
	for (size_t i = 0; i < f->n; i++)
		kform_clear(&f->v[i]);
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

/* Parse a policy rule for the image.  *applicable is false when the rule
 * cannot exist on this architecture (a syscall its table lacks): that is
 * decided without the image's files, since a rule the image's files make
 * the kernel refuse (a missing parent directory) is applicable and simply
 * cannot be satisfied by this image. */
static int parse_policy_rule(struct eval *e, const char *text, bg_audit_rule *out,
			     bool *applicable)
{
	bg_audit_context arch_only = {.machine = e->res->machine};
	bg_audit_rule probe;
	memset(&probe, 0, sizeof probe);
	int rc = bg_auditrules_parse_line(text, &arch_only, &probe, e->err);
	if (rc < 0) {
		e->oom = true;
		return rc;
	}
	*applicable = probe.error == NULL;
	if (!*applicable) {
		*out = probe;
		return 0;
	}
	bg_audit_rule_clear(&probe);
	memset(out, 0, sizeof *out);
	rc = bg_auditrules_parse_line(text, &e->res->ctx, out, e->err);
	if (rc < 0)
		e->oom = true;
	return rc;
}

static void eval_required(struct eval *e, const struct forms *forms)
{
	const bg_policy *p = e->policy;
	const bg_audit_ruleset *set = e->res->effective;
	const bg_audit_sources *src = &e->res->sources;
	for (size_t i = 0; i < p->n_required && !e->oom; i++) {
		const bg_policy_required *req = &p->required[i];
		const bg_policy_item *it = &req->item;
		char label[300];
		item_label(it, label, sizeof label);
		bg_audit_rule *r = &e->req_rules[i];
		bool applicable;
		if (parse_policy_rule(e, req->rule, r, &applicable) < 0)
			return;
		if (applicable && r->error) {
			/* The image's files make the kernel refuse this rule, so no
			 * rule of the image can load it either. */
			add_requirement(e, BG_REQ_RULE, it, BG_VERDICT_FAIL,
					"cannot load in this image: %s", r->error);
			add_finding(e, &bg_rule_audit_rule_missing, it->severity, p->path,
				    req->rule_line, "required rule %s cannot load in this image (%s): %s",
				    label, r->error, req->rule);
			bg_audit_rule_clear(r);
			continue;
		}
		if (!applicable) {
			add_requirement(e, BG_REQ_RULE, it, BG_VERDICT_NOT_APPLICABLE,
					"cannot be loaded on %s: %s", e->res->machine, r->error);
			add_finding(e, &bg_rule_audit_rule_not_applicable, BG_SEV_INFO, p->path,
				    it->line, "required rule %s cannot be loaded on %s (%s): %s",
				    label, e->res->machine, r->error, req->rule);
			bg_audit_rule_clear(r);
			continue;
		}
		if (find_cover(e, r, set, forms, true, &e->req_by[i], &e->n_req_by[i])) {
			bg_strbuf b = {0};
			bg_strbuf_puts(&b, "satisfied by ");
			for (size_t k = 0; k < e->n_req_by[i] && k < 4; k++) {
				char o[600];
				rule_origin(&set->v[e->req_by[i][k]], o, sizeof o);
				bg_strbuf_printf(&b, "%s%s", k ? ", " : "", o);
				e->satisfies[e->req_by[i][k]] = true;
			}
			for (size_t k = 4; k < e->n_req_by[i]; k++)
				e->satisfies[e->req_by[i][k]] = true;
			if (e->n_req_by[i] > 4)
				bg_strbuf_printf(&b, " and %zu more", e->n_req_by[i] - 4);
			_cleanup_free_ char *d = bg_strbuf_take(&b);
			add_requirement(e, BG_REQ_RULE, it, BG_VERDICT_PASS, "%s", d ? d : "satisfied");
			continue;
		}
		/* Not loaded: say why, as precisely as the image allows. */
		size_t *by = NULL, n_by = 0;
		const char *why = NULL;
		char where[700] = "";
		const bg_audit_rule *where_rule = NULL;
		if (find_cover(e, r, set, forms, false, &by, &n_by) && n_by) {
			where_rule = &set->v[by[0]];
			rule_origin(where_rule, where, sizeof where);
			why = "is written but never loads";
		}
		free(by);
		bool unreachable = false;
		for (size_t u = 0; !why && u < src->nusr_lib; u++) {
			const bg_audit_ruleset *us = &src->usr_lib[u];
			for (size_t k = 0; k < us->n; k++) {
				const bg_audit_rule *ur = &us->v[k];
				if (ur->kind != BG_AUDIT_WATCH && ur->kind != BG_AUDIT_SYSCALL &&
				    ur->kind != BG_AUDIT_CONTROL)
					continue;
				struct forms one = {0};
				bg_audit_ruleset single = {.v = (bg_audit_rule *)ur, .n = 1};
				if (build_forms(e, &single, &one) < 0) {
					forms_free(&one);
					break;
				}
				bool hit = find_cover(e, r, &single, &one, false, NULL, NULL);
				forms_free(&one);
				if (hit && !bg_augenrules_reachable(src, ur, &e->res->ctx)) {
					unreachable = true;
					where_rule = ur;
					rule_origin(ur, where, sizeof where);
					break;
				}
			}
			if (unreachable)
				break;
		}
		if (unreachable) {
			add_requirement(e, BG_REQ_RULE, it, BG_VERDICT_FAIL,
					"only in %s, which augenrules does not load", where);
			add_finding(e, &bg_rule_audit_rule_unreachable, it->severity, where_rule->file,
				    where_rule->line,
				    "required rule %s is only in %s, which nothing loads (augenrules "
				    "reads /etc/audit/rules.d): %s",
				    label, where_rule->file, req->rule);
			continue;
		}
		if (!why && e->res->loader == BG_LOADER_AUGENRULES && src->has_audit_rules) {
			struct forms af = {0};
			if (build_forms(e, &src->audit_rules, &af) == 0 &&
			    find_cover(e, r, &src->audit_rules, &af, false, NULL, NULL))
				why = "is only in /etc/audit/audit.rules, which augenrules overwrites "
				      "from rules.d at boot";
			forms_free(&af);
		}
		char detail[1200];
		if (why && where_rule)
			snprintf(detail, sizeof detail, "%s at %s%s%s", why, where,
				 set->first_error ? " (auditctl stops at " : "",
				 set->first_error ? "an earlier refused line)" : "");
		else if (why)
			snprintf(detail, sizeof detail, "%s", why);
		else if (e->res->loader == BG_LOADER_AUGENRULES && !src->has_rules_d)
			snprintf(detail, sizeof detail,
				 "not loaded: the image has no /etc/audit/rules.d, so augenrules "
				 "loads nothing");
		else
			snprintf(detail, sizeof detail, "not loaded by any rule of the image");
		add_requirement(e, BG_REQ_RULE, it, BG_VERDICT_FAIL, "%s", detail);
		add_finding(e, &bg_rule_audit_rule_missing, it->severity,
			    where_rule ? where_rule->file : p->path,
			    where_rule ? where_rule->line : req->rule_line,
			    "required rule %s %s: %s", label, detail, req->rule);
	}
}

/* ---- forbidden rules and shadowing ------------------------------------------- */

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/' || n == 1);
}

static bool num_cmp(uint32_t a, bg_audit_op op, uint32_t b, bool is_signed)
{
	long long x = is_signed ? (long long)(int32_t)a : (long long)a;
	long long y = is_signed ? (long long)(int32_t)b : (long long)b;
	switch (op) {
	case BG_AUDIT_OP_EQ: return x == y;
	case BG_AUDIT_OP_NE: return x != y;
	case BG_AUDIT_OP_LT: return x < y;
	case BG_AUDIT_OP_GT: return x > y;
	case BG_AUDIT_OP_LE: return x <= y;
	case BG_AUDIT_OP_GE: return x >= y;
	case BG_AUDIT_OP_BITMASK: return (a & b) != 0;
	case BG_AUDIT_OP_BITTEST: return (a & b) == b;
	}
	return true;
}

/* Can no event match both field conditions?  Conservative: true only when
 * they plainly contradict each other. */
static bool fields_disjoint(const bg_audit_kfield *a, const bg_audit_kfield *b)
{
	bool apath = strcmp(a->name, "path") == 0, adir = strcmp(a->name, "dir") == 0;
	bool bpath = strcmp(b->name, "path") == 0, bdir = strcmp(b->name, "dir") == 0;
	if ((apath || adir) && (bpath || bdir)) {
		if (a->op != BG_AUDIT_OP_EQ || b->op != BG_AUDIT_OP_EQ || !a->sval || !b->sval)
			return false;
		if (apath && bpath)
			return strcmp(a->sval, b->sval) != 0 && !(under(a->sval, b->sval) && under(b->sval, a->sval));
		if (adir && bpath)
			return !under(b->sval, a->sval);
		if (apath && bdir)
			return !under(a->sval, b->sval);
		return !under(a->sval, b->sval) && !under(b->sval, a->sval);
	}
	if (strcmp(a->name, b->name) != 0 || strcmp(a->name, "key") == 0 ||
	    strcmp(a->name, "field_compare") == 0 || strcmp(a->name, "perm") == 0 ||
	    strcmp(a->name, "arch") == 0)
		return false;
	if (a->is_string || b->is_string || a->unresolved || b->unresolved) {
		const char *x = a->sval ? a->sval : "", *y = b->sval ? b->sval : "";
		if (a->op == BG_AUDIT_OP_EQ && b->op == BG_AUDIT_OP_EQ)
			return strcmp(x, y) != 0;
		if ((a->op == BG_AUDIT_OP_EQ && b->op == BG_AUDIT_OP_NE) ||
		    (a->op == BG_AUDIT_OP_NE && b->op == BG_AUDIT_OP_EQ))
			return strcmp(x, y) == 0;
		return false;
	}
	bool sgn = strcmp(a->name, "exit") == 0;
	if (a->op == BG_AUDIT_OP_EQ)
		return !num_cmp(a->num, b->op, b->num, sgn);
	if (b->op == BG_AUDIT_OP_EQ)
		return !num_cmp(b->num, a->op, a->num, sgn);
	return false;
}

/* The syscalls of the kernel's perm classes (include/asm-generic/audit_*.h
 * and reference/audit.md §1.5): a watch with perm= matches only these. */
static const char *const perm_class_w[] = {
	"rename", "mkdir", "rmdir", "creat", "link", "unlink", "symlink", "mknod", "mkdirat",
	"mknodat", "unlinkat", "renameat", "linkat", "symlinkat", "renameat2", "acct", "swapon",
	"quotactl", "quotactl_fd", "truncate", "ftruncate", "bind", "fallocate", "open", "openat",
	"openat2", NULL};
static const char *const perm_class_a[] = {
	"chmod", "fchmod", "chown", "lchown", "fchown", "setxattr", "lsetxattr", "fsetxattr",
	"removexattr", "lremovexattr", "fremovexattr", "fchownat", "fchmodat", "fchmodat2", "link",
	"linkat", "setxattrat", "removexattrat", "file_setattr", NULL};
static const char *const perm_class_r[] = {
	"readlink", "quotactl", "listxattr", "llistxattr", "flistxattr", "getxattr", "lgetxattr",
	"fgetxattr", "readlinkat", "open", "openat", "openat2", "stat", "lstat", "fstat",
	"newfstatat", "statx", NULL};
static const char *const perm_class_x[] = {"execve", "execveat", NULL};

static bool perm_class_contains(unsigned perm, uint32_t arch, int nr)
{
	const char *const *classes[4] = {perm_class_x, perm_class_w, perm_class_r, perm_class_a};
	for (unsigned bit = 0; bit < 4; bit++) {
		if (!(perm & (1u << bit)))
			continue;
		for (const char *const *n = classes[bit]; *n; n++)
			if (bg_audit_syscall_number(arch, *n) == nr)
				return true;
	}
	return false;
}

/* Could the syscalls of never variant nv and recording variant sv overlap? */
static bool syscalls_overlap(const struct variant *nv, const struct variant *sv)
{
	bool n_class = nv->all && nv->has_perm, s_class = sv->all && sv->has_perm;
	if (n_class && s_class)
		return (nv->perm & sv->perm) != 0;
	if (s_class) {
		if (nv->all)
			return true;
		for (size_t k = 0; k < nv->nsc; k++)
			if (perm_class_contains(sv->perm, sv->arch, nv->sc[k]))
				return true;
		return false;
	}
	if (n_class) {
		if (sv->all)
			return true;
		for (size_t k = 0; k < sv->nsc; k++)
			if (perm_class_contains(nv->perm, nv->arch, sv->sc[k]))
				return true;
		return false;
	}
	if (nv->all || sv->all)
		return true;
	for (size_t k = 0; k < sv->nsc; k++)
		if (sc_contains(nv, sv->sc[k]))
			return true;
	return false;
}

/* Could never rule n match an event that loaded rule s records? */
static bool could_shadow(const struct kform *n, const struct kform *s)
{
	for (size_t ni = 0; ni < n->nv; ni++) {
		const struct variant *nv = &n->v[ni];
		for (size_t si = 0; si < s->nv; si++) {
			const struct variant *sv = &s->v[si];
			if (nv->arch != sv->arch || !syscalls_overlap(nv, sv))
				continue;
			bool disjoint = false;
			for (size_t a = 0; a < n->k.nfields && !disjoint; a++)
				for (size_t b = 0; b < s->k.nfields && !disjoint; b++)
					disjoint = fields_disjoint(&n->k.fields[a], &s->k.fields[b]);
			if (!disjoint)
				return true;
		}
	}
	return false;
}

/* Never rules on the task list match at fork whatever their position; on
 * the exit list only before the rule in list order. */
static void eval_shadowing(struct eval *e, const bg_policy_forbidden *fb, const struct forms *forms)
{
	const bg_policy *p = e->policy;
	const bg_audit_ruleset *set = e->res->effective;
	size_t hits = 0, rules_hit = 0;
	char first[1000] = "";
	for (size_t i = 0; i < set->n && !e->oom; i++) {
		const bg_audit_rule *nr = &set->v[i];
		if (!rule_loads(nr) || !forms->v[i].ok || strcmp(forms->v[i].k.action, "never") != 0)
			continue;
		bool task = strcmp(forms->v[i].k.list, "task") == 0;
		if (!task && strcmp(forms->v[i].k.list, "exit") != 0)
			continue;
		/* One finding per never rule, naming every requirement it hides. */
		bg_strbuf names = {0};
		size_t hidden_n = 0;
		char vo[600] = "";
		for (size_t q = 0; q < p->n_required; q++) {
			bool hidden = false;
			size_t victim = 0;
			for (size_t k = 0; k < e->n_req_by[q] && !hidden; k++) {
				size_t j = e->req_by[q][k];
				const struct kform *sf = &forms->v[j];
				if (!sf->ok || strcmp(sf->k.list, "exit") != 0)
					continue;
				if (!task && e->kpos[i] >= e->kpos[j])
					continue;
				if (task || could_shadow(&forms->v[i], sf)) {
					hidden = true;
					victim = j;
				}
			}
			if (!hidden)
				continue;
			char label[300];
			item_label(&p->required[q].item, label, sizeof label);
			if (!hidden_n++)
				rule_origin(&set->v[victim], vo, sizeof vo);
			if (hidden_n <= 8)
				bg_strbuf_printf(&names, "%s%s", hidden_n > 1 ? ", " : "", label);
		}
		if (!hidden_n) {
			bg_strbuf_free(&names);
			continue;
		}
		if (hidden_n > 8)
			bg_strbuf_printf(&names, " and %zu more", hidden_n - 8);
		_cleanup_free_ char *list = bg_strbuf_take(&names);
		char o[600];
		rule_origin(nr, o, sizeof o);
		if (!rules_hit++)
			snprintf(first, sizeof first, "%s", o);
		hits += hidden_n;
		bg_finding *f = add_finding(
			e, &bg_rule_audit_rule_shadowed, fb->item.severity, nr->file, nr->line,
			"%s: this never rule %s the events of %zu required rule(s): %s (first loaded at "
			"%s); forbidden by '%s'",
			nr->text ? nr->text : "",
			task ? "(task list) switches off auditing of" : "comes first and can swallow",
			hidden_n, list ? list : "?", vo, fb->item.id);
		if (f && nr->text)
			bg_finding_set_snippet(f, nr->text, strlen(nr->text));
	}
	if (rules_hit)
		add_requirement(e, BG_REQ_FORBIDDEN, &fb->item, BG_VERDICT_FAIL,
				"%zu never rule(s) hide %zu required rule(s); first at %s", rules_hit, hits,
				first);
	else
		add_requirement(e, BG_REQ_FORBIDDEN, &fb->item, BG_VERDICT_PASS,
				"no loaded never rule comes before a required rule it could match");
}

static void eval_forbidden(struct eval *e, const struct forms *forms)
{
	const bg_policy *p = e->policy;
	const bg_audit_ruleset *set = e->res->effective;
	/* Range of positions of rules that satisfy requirements (load order). */
	size_t first_sat = (size_t)-1, last_sat = 0;
	bool any_sat = false;
	for (size_t i = 0; i < set->n; i++)
		if (e->satisfies[i]) {
			if (!any_sat)
				first_sat = i;
			last_sat = i;
			any_sat = true;
		}
	for (size_t i = 0; i < p->n_forbidden && !e->oom; i++) {
		const bg_policy_forbidden *fb = &p->forbidden[i];
		if (fb->shadowing) {
			eval_shadowing(e, fb, forms);
			continue;
		}
		char label[300];
		item_label(&fb->item, label, sizeof label);
		bg_audit_rule r;
		bool applicable;
		if (parse_policy_rule(e, fb->rule, &r, &applicable) < 0)
			return;
		if (r.error) {
			add_requirement(e, BG_REQ_FORBIDDEN, &fb->item, BG_VERDICT_NOT_APPLICABLE,
					"cannot load %s: %s", applicable ? "in this image" : "on this arch",
					r.error);
			bg_audit_rule_clear(&r);
			continue;
		}
		struct kform fk;
		bool have_fk = kform_build(e, &r, &fk);
		size_t hits = 0;
		char first[700] = "";
		for (size_t k = 0; k < set->n; k++) {
			const bg_audit_rule *s = &set->v[k];
			if (!rule_loads(s))
				continue;
			if (fb->where == BG_POLICY_AFTER_REQUIRED && !(any_sat && k > first_sat))
				continue;
			if (fb->where == BG_POLICY_BEFORE_REQUIRED && !(any_sat && k < last_sat))
				continue;
			bool match = false;
			if (r.kind == BG_AUDIT_CONTROL) {
				match = control_equal(&r, s);
			} else if (s->kind == BG_AUDIT_WATCH || s->kind == BG_AUDIT_SYSCALL) {
				match = bg_auditnorm_equivalent(&r, s, &e->res->ctx);
				/* Same rule with overlapping syscalls (keys only when given). */
				for (size_t a = 0; !match && have_fk && a < fk.nv; a++)
					for (size_t b = 0; !match && b < forms->v[k].nv; b++) {
						const struct variant *fv = &fk.v[a], *sv = &forms->v[k].v[b];
						if (fv->arch != sv->arch || strcmp(fv->sig, sv->sig) != 0 ||
						    fv->perm != sv->perm)
							continue;
						if (r.nkeys && strcmp(fv->keys, sv->keys) != 0)
							continue;
						bool overlap = fv->all || sv->all;
						for (size_t x = 0; x < sv->nsc && !overlap; x++)
							overlap = sc_contains(fv, sv->sc[x]);
						match = overlap;
					}
			}
			if (!match)
				continue;
			char o[600];
			rule_origin(s, o, sizeof o);
			if (!hits++)
				snprintf(first, sizeof first, "%s", o);
			bg_finding *f = add_finding(
				e, &bg_rule_audit_rule_forbidden, fb->item.severity, s->file, s->line,
				"%s: forbidden by %s (%s)%s", s->text ? s->text : "", label, fb->rule,
				fb->where == BG_POLICY_AFTER_REQUIRED ? ", after a required rule"
				: fb->where == BG_POLICY_BEFORE_REQUIRED ? ", before a required rule"
									  : "");
			if (f && s->text)
				bg_finding_set_snippet(f, s->text, strlen(s->text));
		}
		if (have_fk)
			kform_clear(&fk);
		bg_audit_rule_clear(&r);
		if (hits)
			add_requirement(e, BG_REQ_FORBIDDEN, &fb->item, BG_VERDICT_FAIL,
					"loaded at %s%s", first, hits > 1 ? " and elsewhere" : "");
		else
			add_requirement(e, BG_REQ_FORBIDDEN, &fb->item, BG_VERDICT_PASS, "not loaded");
	}
}

/* ---- immutable, unloadable, stale -------------------------------------------- */

static void eval_load(struct eval *e)
{
	const bg_audit_ruleset *set = e->res->effective;
	if (set->first_error) {
		const bg_audit_rule *r = set->first_error;
		_cleanup_free_ char *msg = bg_auditrules_error_message(r);
		bg_finding *f = add_finding(e, &bg_rule_audit_rules_unloadable, BG_SEV_ERROR, r->file,
					    r->line, "%s",
					    msg ? msg : (r->error ? r->error : "auditctl refuses this line"));
		if (f && r->text)
			bg_finding_set_snippet(f, r->text, strlen(r->text));
	}
	const bg_audit_sources *src = &e->res->sources;
	if (e->res->loader == BG_LOADER_AUGENRULES && src->has_rules_d && src->has_audit_rules &&
	    src->audit_rules_stale)
		add_finding(e, &bg_rule_audit_rules_stale, BG_SEV_INFO, "/etc/audit/audit.rules", 0,
			    "/etc/audit/audit.rules differs from what augenrules builds from "
			    "/etc/audit/rules.d; it is replaced at boot, so only rules.d counts");
}

static void eval_immutable(struct eval *e)
{
	const bg_policy *p = e->policy;
	if (!p->immutable)
		return;
	const bg_audit_ruleset *set = e->res->effective;
	const bg_audit_rule *last = last_control(set, BG_AUDIT_CTL_ENABLE);
	const bg_audit_rule *written = NULL;
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].kind == BG_AUDIT_CONTROL && set->v[i].control == BG_AUDIT_CTL_ENABLE)
			written = &set->v[i];
	char label[300];
	item_label(&p->immutable_item, label, sizeof label);
	if (last && last->control_value && strcmp(last->control_value, "2") == 0) {
		char o[600];
		rule_origin(last, o, sizeof o);
		add_requirement(e, BG_REQ_IMMUTABLE, &p->immutable_item, BG_VERDICT_PASS,
				"-e 2 loads at %s", o);
		return;
	}
	char detail[800];
	const char *file = e->res->loader == BG_LOADER_AUDITCTL ? "/etc/audit/audit.rules"
								 : "/etc/audit/rules.d";
	unsigned line = 0;
	if (written && written->control_value && strcmp(written->control_value, "2") == 0) {
		char o[600];
		rule_origin(written, o, sizeof o);
		snprintf(detail, sizeof detail, "-e 2 at %s never loads (auditctl stops at an earlier "
			 "refused line)", o);
		file = written->file;
		line = written->line;
	} else if (last) {
		char o[600];
		rule_origin(last, o, sizeof o);
		snprintf(detail, sizeof detail, "the last -e is -e %s at %s, not -e 2",
			 last->control_value ? last->control_value : "?", o);
		file = last->file;
		line = last->line;
	} else {
		snprintf(detail, sizeof detail, "no -e 2 is loaded");
	}
	add_requirement(e, BG_REQ_IMMUTABLE, &p->immutable_item, BG_VERDICT_FAIL, "%s", detail);
	add_finding(e, &bg_rule_audit_rules_not_immutable, p->immutable_item.severity, file, line,
		    "immutable rules (%s) required: %s", label, detail);
}

/* ---- files -------------------------------------------------------------------- */

static const char *type_name(bg_policy_file_type t)
{
	switch (t) {
	case BG_POLICY_TYPE_FILE: return "file";
	case BG_POLICY_TYPE_DIRECTORY: return "directory";
	case BG_POLICY_TYPE_SYMLINK: return "symlink";
	case BG_POLICY_TYPE_ANY: return "any";
	}
	return "any";
}

static bool type_ok(bg_policy_file_type want, bg_entry_type have)
{
	switch (want) {
	case BG_POLICY_TYPE_ANY: return true;
	case BG_POLICY_TYPE_FILE: return have == BG_ENTRY_FILE;
	case BG_POLICY_TYPE_DIRECTORY: return have == BG_ENTRY_DIR;
	case BG_POLICY_TYPE_SYMLINK: return have == BG_ENTRY_SYMLINK;
	}
	return false;
}

/* Check one present entry; returns the number of failed checks. */
static int check_file(struct eval *e, const bg_policy_file *pf, const char *path,
		      const bg_file *f)
{
	char label[300];
	item_label(&pf->item, label, sizeof label);
	int failed = 0;
	bg_severity sev = pf->item.severity;
	if (!type_ok(pf->type, f->type)) {
		add_finding(e, &bg_rule_audit_file_type, sev, path, 0,
			    "%s is a %s, but %s requires a %s", path, bg_entry_type_name(f->type),
			    label, type_name(pf->type));
		return 1;
	}
	if (pf->has_mode_max && f->type != BG_ENTRY_SYMLINK && (f->mode & 07777 & ~pf->mode_max)) {
		add_finding(e, &bg_rule_audit_file_mode, sev, path, 0,
			    "%s has mode %04o; %s allows at most %04o (extra bits %04o)", path,
			    f->mode & 07777, label, pf->mode_max, f->mode & 07777 & ~pf->mode_max);
		failed++;
	}
	if ((pf->has_owner && f->uid != pf->owner) || (pf->has_group && f->gid != pf->group)) {
		add_finding(e, &bg_rule_audit_file_owner, sev, path, 0,
			    "%s is owned by %u:%u; %s requires %s%u:%s%u", path, f->uid, f->gid,
			    label, pf->has_owner ? "" : "any/", pf->has_owner ? pf->owner : f->uid,
			    pf->has_group ? "" : "any/", pf->has_group ? pf->group : f->gid);
		failed++;
	}
	if (pf->sha256) {
		if (f->too_large || !f->content) {
			add_finding(e, &bg_rule_audit_file_too_large, BG_SEV_ERROR, path, 0,
				    "%s is larger than 1 MiB; its sha256 (%s) cannot be checked", path,
				    label);
			failed++;
		} else {
			char d[BG_DIGEST_STRING_MAX];
			bg_error err = {0};
			if (bg_digest_buffer(BG_DIGEST_SHA256, f->content, f->content_len, d, &err) < 0) {
				e->oom = true;
				return failed + 1;
			}
			if (strcmp(d + 7, pf->sha256) != 0) {
				add_finding(e, &bg_rule_audit_file_digest, sev, path, 0,
					    "%s has %s; %s pins sha256:%s", path, d, label, pf->sha256);
				failed++;
			}
		}
	}
	return failed;
}

static void eval_files(struct eval *e)
{
	const bg_policy *p = e->policy;
	for (size_t i = 0; i < p->n_files && !e->oom; i++) {
		const bg_policy_file *pf = &p->files[i];
		char label[300];
		item_label(&pf->item, label, sizeof label);
		size_t present = 0;
		int failed = 0;
		if (!pf->glob) {
			const bg_file *f = NULL;
			bg_error err = {0};
			if (pf->type == BG_POLICY_TYPE_SYMLINK)
				f = bg_imageview_lstat(e->in->view, pf->path);
			else if (bg_imageview_stat(e->in->view, pf->path, &f, &err) < 0)
				f = NULL;
			if (f) {
				present = 1;
				failed = check_file(e, pf, pf->path, f);
			}
		} else {
			/* Walk from the directory before the first wildcard. */
			char base[4096];
			snprintf(base, sizeof base, "%s", pf->path);
			char *w = strpbrk(base, "*?");
			if (w) {
				*w = '\0';
				char *slash = strrchr(base, '/');
				if (slash == base)
					slash[1] = '\0';
				else if (slash)
					*slash = '\0';
			}
			const bg_file **list = NULL;
			size_t n = 0;
			bg_error err = {0};
			if (bg_imageview_is_dir(e->in->view, base) &&
			    bg_imageview_walk(e->in->view, base, &list, &n, &err) == 0) {
				for (size_t k = 0; k < n; k++) {
					if (!bg_policy_glob_match(pf->path, list[k]->path))
						continue;
					const bg_file *f = list[k];
					if (f->type == BG_ENTRY_SYMLINK && pf->type != BG_POLICY_TYPE_SYMLINK &&
					    bg_imageview_stat(e->in->view, f->path, &f, &err) < 0)
						f = list[k];
					present++;
					failed += check_file(e, pf, list[k]->path, f);
				}
			}
			free(list);
		}
		if (!present) {
			if (pf->optional) {
				add_requirement(e, BG_REQ_FILE, &pf->item, BG_VERDICT_PASS,
						"%s: absent (optional)", pf->path);
			} else {
				add_requirement(e, BG_REQ_FILE, &pf->item, BG_VERDICT_FAIL,
						"%s: not in the image", pf->path);
				add_finding(e, &bg_rule_audit_file_missing, pf->item.severity, pf->path, 0,
					    "%s is not in the image; %s requires it", pf->path, label);
			}
		} else if (failed) {
			add_requirement(e, BG_REQ_FILE, &pf->item, BG_VERDICT_FAIL,
					"%s: %d problem(s) in %zu file(s)", pf->path, failed, present);
		} else {
			add_requirement(e, BG_REQ_FILE, &pf->item, BG_VERDICT_PASS,
					"%s: %zu file(s) as required", pf->path, present);
		}
	}
}

/* ---- kargs.d ---------------------------------------------------------------------- */

static void eval_kargs(struct eval *e)
{
	const bg_policy *p = e->policy;
	const char *dir = "/usr/lib/bootc/kargs.d";
	const bg_file **list = NULL;
	size_t n = 0;
	bg_error err = {0};
	if (bg_imageview_is_dir(e->in->view, dir) &&
	    bg_imageview_list(e->in->view, dir, &list, &n, &err) < 0)
		n = 0;
	size_t *hits = calloc(p->n_kargs + 1, sizeof *hits);
	char (*first)[700] = calloc(p->n_kargs + 1, sizeof *first);
	if (!hits || !first) {
		e->oom = true;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const bg_file *f = list[i];
		/* bootc reads NAME.toml files, sorted, in this directory only. */
		if (!bg_str_has_suffix(f->path, ".toml"))
			continue;
		const bg_file *t = f;
		if (f->type == BG_ENTRY_SYMLINK && bg_imageview_stat(e->in->view, f->path, &t, &err) < 0)
			t = NULL;
		if (!t || t->type != BG_ENTRY_FILE)
			continue;
		if (t->too_large || !t->content) {
			add_finding(e, &bg_rule_audit_file_too_large, BG_SEV_ERROR, f->path, 0,
				    "%s is larger than 1 MiB; its kernel arguments were not read", f->path);
			continue;
		}
		bg_kargs_file kf;
		bg_error perr = {0};
		int rc = bg_kargs_parse((const char *)t->content, t->content_len, f->path, &kf, &perr);
		if (rc == BG_E_NOMEM) {
			e->oom = true;
			break;
		}
		if (rc < 0) {
			add_finding(e, &bg_rule_karg_file_invalid, BG_SEV_ERROR, f->path, perr.line, "%s",
				    perr.message);
			continue;
		}
		if (bg_kargs_applies(&kf, e->in->oci_arch ? e->in->oci_arch : "amd64")) {
			for (size_t a = 0; a < kf.n_kargs; a++)
				for (size_t k = 0; k < p->n_kargs; k++) {
					if (!bg_karg_matches(p->kargs[k].arg, kf.kargs[a]))
						continue;
					char label[300];
					item_label(&p->kargs[k].item, label, sizeof label);
					if (!hits[k]++)
						snprintf(first[k], sizeof first[k], "%s adds %s", f->path,
							 kf.kargs[a]);
					add_finding(e, &bg_rule_karg_forbidden, p->kargs[k].item.severity,
						    f->path, 0, "%s adds the kernel argument %s, forbidden by %s",
						    f->path, kf.kargs[a], label);
				}
		}
		bg_kargs_file_clear(&kf);
	}
	for (size_t k = 0; k < p->n_kargs; k++) {
		if (hits[k])
			add_requirement(e, BG_REQ_KARG, &p->kargs[k].item, BG_VERDICT_FAIL, "%s",
					first[k]);
		else
			add_requirement(e, BG_REQ_KARG, &p->kargs[k].item, BG_VERDICT_PASS,
					"no kargs.d file adds %s", p->kargs[k].arg);
	}
out:
	free(hits);
	free(first);
	free(list);
}

/* ---- units -------------------------------------------------------------------------- */

struct preset_src {
	const char *base;   /* file name */
	const bg_file *f;
};

static int cmp_preset(const void *a, const void *b)
{
	return strcmp(((const struct preset_src *)a)->base, ((const struct preset_src *)b)->base);
}

static bool is_masked(const bg_imageview *v, const char *path)
{
	const bg_file *f = bg_imageview_lstat(v, path);
	return f && f->type == BG_ENTRY_SYMLINK && f->link_target &&
	       strcmp(f->link_target, "/dev/null") == 0;
}

/* A .wants/ or .requires/ symlink named unit under dir; *where set. */
static bool find_wants(const bg_imageview *v, const char *dir, const char *unit, char *where,
		       size_t size)
{
	const bg_file **list = NULL;
	size_t n = 0;
	bg_error err = {0};
	bool found = false;
	if (!bg_imageview_is_dir(v, dir) || bg_imageview_list(v, dir, &list, &n, &err) < 0)
		return false;
	for (size_t i = 0; i < n && !found; i++) {
		const bg_file *d = list[i];
		if (!(bg_str_has_suffix(d->path, ".wants") || bg_str_has_suffix(d->path, ".requires")))
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", d->path, unit);
		const bg_file *l = bg_imageview_lstat(v, path);
		if (l) {
			found = true;
			snprintf(where, size, "%s", path);
		}
	}
	free(list);
	return found;
}

static void eval_units(struct eval *e)
{
	const bg_policy *p = e->policy;
	const bg_imageview *v = e->in->view;
	/* Preset files: /etc hides /usr/lib of the same name; sorted by name. */
	struct preset_src ps[256];
	size_t nps = 0;
	static const char *const preset_dirs[] = {"/etc/systemd/system-preset",
						  "/usr/lib/systemd/system-preset"};
	const bg_file **lists[2] = {NULL, NULL};
	for (size_t d = 0; d < 2; d++) {
		size_t n = 0;
		bg_error err = {0};
		if (!bg_imageview_is_dir(v, preset_dirs[d]) ||
		    bg_imageview_list(v, preset_dirs[d], &lists[d], &n, &err) < 0)
			continue;
		for (size_t i = 0; i < n && nps < 256; i++) {
			const bg_file *f = lists[d][i];
			if (!bg_str_has_suffix(f->path, ".preset"))
				continue;
			const char *base = strrchr(f->path, '/') + 1;
			bool hidden = false;
			for (size_t k = 0; k < nps && !hidden; k++)
				hidden = strcmp(ps[k].base, base) == 0;
			if (hidden)
				continue;
			const bg_file *t = view_file(v, f->path);
			/* A preset masked with /dev/null or unreadable hides the name too. */
			ps[nps++] = (struct preset_src){.base = base, .f = t};
		}
	}
	qsort(ps, nps, sizeof ps[0], cmp_preset);
	bg_preset_file files[256];
	const char *names[256];
	size_t nf = 0;
	for (size_t i = 0; i < nps; i++) {
		if (!ps[i].f)
			continue;
		names[nf] = ps[i].f->path;
		files[nf] = (bg_preset_file){.name = ps[i].f->path,
					     .data = (const char *)ps[i].f->content,
					     .len = ps[i].f->content_len};
		nf++;
	}
	for (size_t u = 0; u < p->n_units && !e->oom; u++) {
		const bg_policy_unit *pu = &p->units[u];
		char label[300], etc_path[512], usr_path[512], where[4200];
		item_label(&pu->item, label, sizeof label);
		snprintf(etc_path, sizeof etc_path, "/etc/systemd/system/%s", pu->unit);
		snprintf(usr_path, sizeof usr_path, "/usr/lib/systemd/system/%s", pu->unit);
		const char *why = NULL;
		char detail[4400];
		if (is_masked(v, etc_path) || is_masked(v, usr_path)) {
			why = "masked (symlink to /dev/null)";
		} else if (!bg_imageview_lstat(v, etc_path) && !bg_imageview_lstat(v, usr_path)) {
			why = "not installed (no unit file in /etc/systemd/system or /usr/lib/systemd/system)";
		} else if (find_wants(v, "/etc/systemd/system", pu->unit, where, sizeof where) ||
			   find_wants(v, "/usr/lib/systemd/system", pu->unit, where, sizeof where)) {
			snprintf(detail, sizeof detail, "enabled by %s", where);
			add_requirement(e, BG_REQ_UNIT, &pu->item, BG_VERDICT_PASS, "%s", detail);
			continue;
		} else {
			size_t fi = 0;
			unsigned line = 0;
			bg_preset_verdict pv = bg_preset_lookup(files, nf, pu->unit, &fi, &line);
			if (pv == BG_PRESET_ENABLE) {
				snprintf(detail, sizeof detail, "enabled by preset %s:%u", names[fi], line);
				add_requirement(e, BG_REQ_UNIT, &pu->item, BG_VERDICT_PASS, "%s", detail);
				continue;
			}
			if (pv == BG_PRESET_DISABLE || pv == BG_PRESET_IGNORE) {
				snprintf(detail, sizeof detail, "no .wants symlink, and preset %s:%u says %s",
					 names[fi], line, pv == BG_PRESET_DISABLE ? "disable" : "ignore");
				why = detail;
			} else {
				why = "no .wants/.requires symlink and no preset line enables it";
			}
		}
		add_requirement(e, BG_REQ_UNIT, &pu->item, BG_VERDICT_FAIL, "%s", why);
		add_finding(e, &bg_rule_unit_not_enabled, pu->item.severity, usr_path, 0,
			    "%s is not enabled: %s (required by %s)", pu->unit, why, label);
	}
	free(lists[0]);
	free(lists[1]);
}

/* ---- the whole evaluation ------------------------------------------------------------ */

int bg_audit_policy_check(const bg_policy *policy, bg_error *err)
{
	bg_audit_context ctx = {.machine = "x86_64"};
	for (size_t i = 0; i < policy->n_required + policy->n_forbidden; i++) {
		bool req = i < policy->n_required;
		const char *text = req ? policy->required[i].rule
				       : policy->forbidden[i - policy->n_required].rule;
		const bg_policy_item *it = req ? &policy->required[i].item
					       : &policy->forbidden[i - policy->n_required].item;
		unsigned line = req ? policy->required[i].rule_line
				    : policy->forbidden[i - policy->n_required].rule_line;
		if (!text)
			continue;
		bg_audit_rule r;
		memset(&r, 0, sizeof r);
		int rc = bg_auditrules_parse_line(text, &ctx, &r, err);
		if (rc < 0)
			return rc;
		if (r.error) {
			rc = bg_error_at(err, BG_E_USAGE, line, 0,
					 "%s:%u: the rule of '%s' is not one auditctl accepts (on "
					 "x86_64): %s",
					 policy->path, line, it->id, r.error);
			bg_audit_rule_clear(&r);
			return rc;
		}
		bool ok = r.kind == BG_AUDIT_CONTROL || r.kind == BG_AUDIT_WATCH ||
			  r.kind == BG_AUDIT_SYSCALL;
		bg_audit_rule_clear(&r);
		if (!ok)
			return bg_error_at(err, BG_E_USAGE, line, 0,
					   "%s:%u: the rule of '%s' must be a watch (-w), a syscall "
					   "rule (-a/-A) or a control line, not -W or -d",
					   policy->path, line, it->id);
	}
	return 0;
}

static int collect_rule_files(struct eval *e)
{
	struct audit_files af = {0};
	int rc = collect_under(e, "/etc/audit", &af);
	if (rc == 0)
		rc = collect_under(e, "/usr/lib/audit", &af);
	if (rc == 0) {
		bg_augenrules_options o = {.strip_cr = true};
		rc = bg_augenrules_build(af.v, af.n, &e->res->ctx, &o, &e->res->sources, e->err);
	}
	free(af.v);
	bg_strv_free(&af.owned);
	return rc;
}

int bg_audit_evaluate(const bg_policy *policy, const bg_audit_input *in, bg_audit_result *out,
		      bg_error *err)
{
	memset(out, 0, sizeof *out);
	const char *machine = bg_audit_machine_for(in->oci_arch);
	if (!machine)
		return bg_error_set(err, BG_E_EVAL,
				    "the image's architecture '%s' is not one bootgate has audit "
				    "syscall tables for (amd64, arm64, ppc64le, s390x, 386)",
				    in->oci_arch);
	snprintf(out->machine, sizeof out->machine, "%s", machine);
	out->ctx = (bg_audit_context){
		.machine = out->machine,
		.path_type = ctx_path_type,
		.user_id = ctx_user_id,
		.group_id = ctx_group_id,
		.ctx = (void *)in,
	};
	struct eval e = {.policy = policy, .in = in, .res = out, .err = err};
	e.arch64 = bg_audit_arch_id("b64", machine);
	e.arch32 = bg_audit_arch_id("b32", machine);
	if (!e.arch64) {
		/* A 32-bit machine: its only ABI. */
		e.arch64 = e.arch32;
		e.arch32 = 0;
	}
	size_t nreq = 1 + policy->n_required + policy->n_forbidden + policy->n_files +
		      policy->n_kargs + policy->n_units;
	out->requirements = calloc(nreq, sizeof *out->requirements);
	e.req_rules = calloc(policy->n_required + 1, sizeof *e.req_rules);
	e.req_by = calloc(policy->n_required + 1, sizeof *e.req_by);
	e.n_req_by = calloc(policy->n_required + 1, sizeof *e.n_req_by);
	struct forms forms = {0};
	int rc = 0;
	if (!out->requirements || !e.req_rules || !e.req_by || !e.n_req_by) {
		rc = BG_E_NOMEM;
		goto done;
	}
	detect_loader(&e);
	if ((rc = collect_rule_files(&e)) < 0)
		goto done;
	out->effective = out->loader == BG_LOADER_AUDITCTL ? &out->sources.audit_rules
							    : &out->sources.effective;
	e.satisfies = calloc(out->effective->n + 1, sizeof *e.satisfies);
	if (!e.satisfies || kernel_positions(&e) < 0 ||
	    build_forms(&e, out->effective, &forms) < 0) {
		rc = BG_E_NOMEM;
		goto done;
	}
	eval_load(&e);
	eval_immutable(&e);
	eval_required(&e, &forms);
	eval_forbidden(&e, &forms);
	eval_files(&e);
	eval_kargs(&e);
	eval_units(&e);
	bg_findings_sort(&out->findings);
	if (e.oom)
		rc = BG_E_NOMEM;
done:
	forms_free(&forms);
	for (size_t i = 0; e.req_rules && i < policy->n_required; i++)
		bg_audit_rule_clear(&e.req_rules[i]);
	for (size_t i = 0; e.req_by && i < policy->n_required; i++)
		free(e.req_by[i]);
	free(e.req_rules);
	free(e.req_by);
	free(e.n_req_by);
	free(e.satisfies);
	free(e.kpos);
	if (rc == BG_E_NOMEM)
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory evaluating the gate policy");
	if (rc < 0)
		bg_audit_result_clear(out);
	return rc;
}

void bg_audit_result_clear(bg_audit_result *r)
{
	if (!r)
		return;
	bg_audit_sources_free(&r->sources);
	for (size_t i = 0; i < r->n_requirements; i++)
		free(r->requirements[i].detail);
	free(r->requirements);
	free(r->loader_detail);
	bg_findings_free(&r->findings);
	memset(r, 0, sizeof *r);
}

int bg_audit_pathset(const bg_policy *policy, bg_pathset **out, bg_error *err)
{
	bg_pathset *ps = NULL;
	int rc = bg_pathset_new(&ps, err);
	if (rc < 0)
		return rc;
	if ((rc = bg_pathset_add_defaults(ps, err)) < 0)
		goto fail;
	size_t n = 0;
	char **paths = bg_policy_paths_of_interest(policy, &n);
	if (!paths) {
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = bg_pathset_add(ps, paths[i], err);
	bg_policy_paths_free(paths);
	if (rc < 0)
		goto fail;
	for (size_t i = 0; i < policy->n_required + policy->n_forbidden; i++) {
		const char *text = i < policy->n_required ? policy->required[i].rule
							  : policy->forbidden[i - policy->n_required].rule;
		if (!text)
			continue;
		char **argv = NULL;
		int argc = 0;
		if (bg_auditrules_tokenize(text, strlen(text), &argv, &argc) < 0) {
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
			goto fail;
		}
		for (int a = 0; a + 1 < argc && rc == 0; a++) {
			const char *v = NULL;
			if (strcmp(argv[a], "-w") == 0)
				v = argv[a + 1];
			else if (strcmp(argv[a], "-F") == 0 && (bg_str_has_prefix(argv[a + 1], "dir=") ||
								 bg_str_has_prefix(argv[a + 1], "path=")))
				v = strchr(argv[a + 1], '=') + 1;
			if (v && v[0] == '/' && !strstr(v, "..") && !strpbrk(v, "*?["))
				rc = bg_pathset_add(ps, v, err);
		}
		bg_auditrules_argv_free(argv);
		if (rc < 0)
			goto fail;
	}
	*out = ps;
	return 0;
fail:
	bg_pathset_free(ps);
	return rc;
}
