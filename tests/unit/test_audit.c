/* Unit tests for lib/audit.c: a gate policy evaluated against image views
 * built by hand (two layers: a base system and the case under test). */
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/audit.h"
#include "bootgate/imageview.h"
#include "bootgate/layers.h"
#include "bootgate/policy.h"

typedef struct tfile {
	const char *path;          /* no leading '/' */
	bg_entry_type type;
	unsigned mode;
	const char *content;       /* files; symlinks: the target */
	unsigned uid, gid;
} tfile;

#define F(p, c) {p, BG_ENTRY_FILE, 0600, c, 0, 0}
#define D(p) {p, BG_ENTRY_DIR, 0755, NULL, 0, 0}
#define L(p, t) {p, BG_ENTRY_SYMLINK, 0777, t, 0, 0}
#define WH(p) {p, BG_ENTRY_WHITEOUT, 0, NULL, 0, 0}

/* A RHEL-like base: auditd installed and enabled, rules.d complete for the
 * test policy below, sudoers.d a directory. */
static const tfile base[] = {
	D("etc"), D("etc/audit"), D("etc/audit/rules.d"), D("etc/sudoers.d"),
	F("etc/audit/auditd.conf", "log_file = /var/log/audit/audit.log\n"),
	F("etc/audit/rules.d/10-base.rules", "-D\n-b 8192\n-f 2\n"),
	F("etc/audit/rules.d/30-site.rules",
	  "-w /etc/sudoers -p wa -k actions\n"
	  "-a always,exit -F arch=b64 -S chmod -F auid>=1000 -F auid!=unset -k perm_mod\n"
	  "-a always,exit -F arch=b64 -S fchmod -F auid!=unset -F auid>=1000 -k perm_mod\n"
	  "-a always,exit -F arch=b64 -F dir=/etc/sudoers.d/ -F perm=rwa -k identity\n"),
	F("etc/audit/rules.d/99-finalize.rules", "-e 2\n"),
	F("usr/lib/systemd/system/auditd.service",
	  "[Service]\nExecStart=/sbin/auditd\nExecStartPost=-/sbin/augenrules --load\n"),
	L("etc/systemd/system/multi-user.target.wants/auditd.service",
	  "/usr/lib/systemd/system/auditd.service"),
	F("usr/lib/bootc/kargs.d/10-audit.toml", "kargs = [\"audit=1\", \"audit_backlog_limit=8192\"]\n"),
	F("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/var/home/alice:/bin/bash\n"),
	{NULL, 0, 0, NULL, 0, 0},
};

static const char *policy_text =
	"version: 1\n"
	"immutable: true\n"
	"rules:\n"
	"  - {id: sudoers, rule: '-w /etc/sudoers -p wa -k actions'}\n"
	"  - {id: chmod-b64, rule: '-a always,exit -F arch=b64 -S chmod,fchmod -F auid>=1000 -F auid!=unset -k perm_mod'}\n"
	"  - {id: sudoers-d, rule: '-a always,exit -F arch=b64 -F path=/etc/sudoers.d -F perm=wa -k identity'}\n"
	"  - {id: failure-2, rule: '-f 2', controls: [AU-5]}\n"
	"forbidden:\n"
	"  - {id: no-disable, rule: '-e 0'}\n"
	"  - {id: no-shadow, shadowing: true}\n"
	"  - {id: no-late-delete, rule: '-D', where: after-required}\n"
	"files:\n"
	"  - {id: rules-mode, path: '/etc/audit/rules.d/*.rules', mode-max: '0640', owner: 0, optional: true}\n"
	"  - {id: auditd-conf, path: /etc/audit/auditd.conf, type: file}\n"
	"kargs: {forbidden: [audit=0]}\n"
	"units: {enabled: [auditd.service]}\n";

static bg_error err;

static void fill_layer(bg_layer_scan *s, const tfile *files, const char *digest)
{
	size_t n = 0;
	while (files && files[n].path)
		n++;
	s->digest = (char *)digest;
	s->entries = calloc(n + 1, sizeof *s->entries);
	s->n_entries = n;
	for (size_t i = 0; i < n; i++) {
		bg_layer_entry *e = &s->entries[i];
		e->path = (char *)files[i].path;
		e->type = files[i].type;
		e->mode = files[i].mode;
		e->uid = files[i].uid;
		e->gid = files[i].gid;
		e->seq = (uint32_t)i;
		if (files[i].type == BG_ENTRY_FILE) {
			e->data = (unsigned char *)files[i].content;
			e->len = strlen(files[i].content);
			e->size = e->len;
		} else if (files[i].type == BG_ENTRY_SYMLINK) {
			e->link = (char *)files[i].content;
		}
	}
}

static bg_imageview *make_view(const tfile *top)
{
	bg_imageview *v = NULL;
	if (bg_imageview_new(&v, &err) < 0)
		return NULL;
	bg_layer_scan l0 = {0}, l1 = {0};
	fill_layer(&l0, base, "sha256:0000000000000000000000000000000000000000000000000000000000000000");
	fill_layer(&l1, top, "sha256:1111111111111111111111111111111111111111111111111111111111111111");
	if (bg_imageview_apply(v, 0, &l0, &err) < 0 || bg_imageview_apply(v, 1, &l1, &err) < 0) {
		tap_diag("apply: %s", err.message);
		bg_imageview_free(v);
		v = NULL;
	}
	free(l0.entries);
	free(l1.entries);
	return v;
}

static bg_policy *load_policy(const char *text)
{
	bg_policy *p = NULL;
	if (bg_policy_parse(text, strlen(text), "policy.yaml", &p, &err) < 0) {
		tap_diag("policy: %s", err.message);
		return NULL;
	}
	return p;
}

struct run {
	bg_policy *policy;
	bg_imageview *view;
	bg_audit_result res;
	bool ok;
};

static void run_case(struct run *r, const char *policy, const tfile *top, const char *arch)
{
	memset(r, 0, sizeof *r);
	r->policy = load_policy(policy);
	r->view = make_view(top);
	if (!r->policy || !r->view)
		return;
	bg_audit_input in = {.view = r->view, .oci_arch = arch, .subject = "test"};
	bg_error_clear(&err);
	int rc = bg_audit_evaluate(r->policy, &in, &r->res, &err);
	if (rc < 0)
		tap_diag("evaluate: %s", err.message);
	r->ok = rc == 0;
}

static void run_free(struct run *r)
{
	if (r->ok)
		bg_audit_result_clear(&r->res);
	bg_imageview_free(r->view);
	bg_policy_free(r->policy);
}

static size_t count(const struct run *r, const char *rule_id)
{
	size_t n = 0;
	for (size_t i = 0; i < r->res.findings.n; i++)
		if (strcmp(r->res.findings.v[i].rule->id, rule_id) == 0)
			n++;
	return n;
}

static const bg_finding *find(const struct run *r, const char *rule_id)
{
	for (size_t i = 0; i < r->res.findings.n; i++)
		if (strcmp(r->res.findings.v[i].rule->id, rule_id) == 0)
			return &r->res.findings.v[i];
	return NULL;
}

static bg_audit_verdict verdict(const struct run *r, const char *req_id)
{
	for (size_t i = 0; i < r->res.n_requirements; i++)
		if (strcmp(r->res.requirements[i].item->id, req_id) == 0)
			return r->res.requirements[i].verdict;
	return (bg_audit_verdict)-1;
}

static void dump(const struct run *r)
{
	for (size_t i = 0; i < r->res.findings.n; i++)
		tap_diag("finding %s %s:%u %s", r->res.findings.v[i].rule->id, r->res.findings.v[i].file,
			 r->res.findings.v[i].line, r->res.findings.v[i].message);
	for (size_t i = 0; i < r->res.n_requirements; i++)
		tap_diag("req %s %s: %s", bg_audit_verdict_name(r->res.requirements[i].verdict),
			 r->res.requirements[i].item->id, r->res.requirements[i].detail);
}

static void test_good(void)
{
	struct run r;
	static const tfile top[] = {{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, top, "amd64");
	ok(r.ok, "good image evaluates");
	if (!ok(r.ok && r.res.findings.n == 0 && r.res.n_failed == 0,
		"good image: no findings, nothing failed"))
		dump(&r);
	is_int(r.res.n_passed, r.res.n_requirements, "every requirement passes");
	is_int(r.res.n_requirements, 12, "12 requirements evaluated (1+4+3+2+1+1)");
	is_str(r.res.machine, "x86_64", "amd64 is read as x86_64");
	is_int(r.res.loader, BG_LOADER_AUGENRULES, "loader: augenrules (ExecStartPost)");
	ok(r.res.loader_detail && strstr(r.res.loader_detail, "auditd.service:3"),
	   "loader detail names the unit line");
	ok(r.res.requirements[2].detail && strstr(r.res.requirements[2].detail, "30-site.rules:2") &&
		   strstr(r.res.requirements[2].detail, "30-site.rules:3"),
	   "chmod,fchmod is covered by two lines together, both named");
	run_free(&r);
}

static void test_not_immutable(void)
{
	struct run r;
	static const tfile top[] = {F("etc/audit/rules.d/99-zz.rules", "-e 1\n"), {NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, top, "amd64");
	const bg_finding *f = find(&r, "audit-rules-not-immutable");
	ok(f && strstr(f->message, "-e 1") && strstr(f->file, "99-zz.rules"),
	   "a later -e 1 wins over -e 2 (augenrules keeps the last -e)");
	is_int(verdict(&r, "immutable"), BG_VERDICT_FAIL, "immutable verdict fail");
	is_int(count(&r, "audit-rule-missing"), 0, "the rules themselves still load");
	run_free(&r);

	static const tfile none[] = {WH("etc/audit/rules.d/99-finalize.rules"), {NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, none, "amd64");
	f = find(&r, "audit-rules-not-immutable");
	ok(f && strstr(f->message, "no -e 2"), "no -e at all: not immutable");
	run_free(&r);
}

static void test_unloadable(void)
{
	struct run r;
	static const tfile top[] = {
		F("etc/audit/rules.d/20-bad.rules", "-w /etc/shadow -p wa # trailing comment\n"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, top, "amd64");
	const bg_finding *f = find(&r, "audit-rules-unloadable");
	ok(f && strstr(f->file, "20-bad.rules") && f->line == 1, "refused line named with file:line");
	ok(f && strstr(f->message, "-e 2"), "message says -e 2 never loads");
	ok(f && f->snippet && strstr(f->snippet, "# trailing comment"), "snippet is the line");
	is_int(verdict(&r, "sudoers"), BG_VERDICT_FAIL, "rules after the refused line do not count");
	const bg_finding *m = find(&r, "audit-rule-missing");
	ok(m && strstr(m->message, "never loads") && strstr(m->file, "30-site.rules"),
	   "missing finding points at the written but unloaded rule");
	is_int(count(&r, "audit-rules-not-immutable"), 1, "and -e 2 does not load either");
	is_int(verdict(&r, "failure-2"), BG_VERDICT_PASS, "-f 2 is hoisted before the error and loads");
	run_free(&r);
}

static void test_shadowing(void)
{
	struct run r;
	static const tfile top[] = {
		F("etc/audit/rules.d/05-quiet.rules", "-a never,exit -F arch=b64 -S chmod -F auid=1000\n"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, top, "amd64");
	const bg_finding *f = find(&r, "audit-rule-shadowed");
	ok(f && strstr(f->file, "05-quiet.rules"), "never rule before a required rule it can match is reported");
	is_int(count(&r, "audit-rule-shadowed"), 1, "one finding per never rule");
	if (!ok(f && strstr(f->message, "3 required rule(s)") && strstr(f->message, "'chmod-b64'") &&
		    strstr(f->message, "'sudoers'") && strstr(f->message, "'sudoers-d'"),
		"chmod by auid 1000 hides chmod-b64 and both watches (chmod is in the attr class of perm=wa)"))
		dump(&r);
	is_int(verdict(&r, "no-shadow"), BG_VERDICT_FAIL, "shadowing requirement fails");
	run_free(&r);

	static const tfile disjoint[] = {
		F("etc/audit/rules.d/05-quiet.rules",
		  "-a never,exit -F arch=b64 -S chmod -F auid=unset -F path=/tmp/x\n"
		  "-a never,exit -F arch=b64 -S mount\n"
		  "-a never,exit -F arch=b64 -S read -F path=/etc/sudoers\n"),
		F("etc/audit/rules.d/98-late.rules", "-a never,exit -F arch=b64 -S chmod\n"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, disjoint, "amd64");
	if (!ok(count(&r, "audit-rule-shadowed") == 0,
		"disjoint never rules (auid=unset vs auid!=unset, other path, syscall outside perm class, later) pass"))
		dump(&r);
	run_free(&r);

	static const tfile task[] = {F("etc/audit/rules.d/99-zz.rules", "-a task,never\n"),
				     {NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, task, "amd64");
	f = find(&r, "audit-rule-shadowed");
	ok(f && strstr(f->message, "3 required rule(s)") && strstr(f->message, "task list"),
	   "-a task,never (even last) hides every exit-list requirement (3)");
	run_free(&r);

	static const tfile b32[] = {F("etc/audit/rules.d/05-no32.rules", "-a never,exit -F arch=b32 -S all\n"),
				    {NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, b32, "amd64");
	f = find(&r, "audit-rule-shadowed");
	if (!ok(f && strstr(f->message, "1 required rule(s): 'sudoers'"),
		"a b32 never rule hides the 32-bit half of the no-arch -w watch, not the arch=b64 rules"))
		dump(&r);
	run_free(&r);

	static const tfile prepend[] = {
		F("etc/audit/rules.d/98-late.rules", "-A never,exit -F arch=b64 -S fchmod\n"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, prepend, "amd64");
	f = find(&r, "audit-rule-shadowed");
	if (!ok(f && strstr(f->message, "3 required rule(s)"), "-A (prepend) puts a later never rule first"))
		dump(&r);
	run_free(&r);
}

static void test_forbidden(void)
{
	struct run r;
	static const tfile top[] = {
		F("etc/audit/rules.d/99-finalize.rules", "-e 0\n"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, top, "amd64");
	const bg_finding *f = find(&r, "audit-rule-forbidden");
	ok(f && strstr(f->message, "no-disable"), "-e 0 is forbidden");
	is_int(verdict(&r, "no-disable"), BG_VERDICT_FAIL, "no-disable fails");
	run_free(&r);

	/* auditctl -R mode: a -D after the rules is not hoisted. */
	static const tfile ctl[] = {
		F("etc/systemd/system/auditd.service",
		  "[Service]\nExecStart=/sbin/auditd\nExecStartPost=-/sbin/auditctl -R /etc/audit/audit.rules\n"),
		F("etc/audit/audit.rules",
		  "-f 2\n-w /etc/sudoers -p wa -k actions\n"
		  "-a always,exit -F arch=b64 -S chmod,fchmod -F auid>=1000 -F auid!=unset -k perm_mod\n"
		  "-w /etc/sudoers.d/ -p wa -k identity\n-D\n-e 2\n"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, ctl, "amd64");
	is_int(r.res.loader, BG_LOADER_AUDITCTL, "an /etc override running auditctl -R switches the loader");
	f = find(&r, "audit-rule-forbidden");
	ok(f && strstr(f->message, "no-late-delete") && strstr(f->file, "audit.rules") && f->line == 5,
	   "-D after the required rules is forbidden (audit.rules:5)");
	is_int(verdict(&r, "sudoers-d"), BG_VERDICT_PASS, "-w on a directory is a dir= watch and covers path=");
	run_free(&r);
}

static void test_unreachable(void)
{
	struct run r;
	static const tfile top[] = {
		F("etc/audit/rules.d/30-site.rules",
		  "-a always,exit -F arch=b64 -S chmod,fchmod -F auid>=1000 -F auid!=unset -k perm_mod\n"
		  "-w /etc/sudoers.d -p wa -k identity\n"),
		D("usr/lib/audit"),
		F("usr/lib/audit/sudo.rules", "-w /etc/sudoers -p wa -k actions\n"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, top, "amd64");
	const bg_finding *f = find(&r, "audit-rule-unreachable");
	ok(f && strstr(f->file, "/usr/lib/audit/sudo.rules") && strstr(f->message, "sudoers"),
	   "required rule only under /usr/lib/audit is unreachable");
	is_int(count(&r, "audit-rule-missing"), 0, "reported as unreachable, not missing");
	run_free(&r);

	static const tfile linked[] = {
		F("etc/audit/rules.d/30-site.rules",
		  "-a always,exit -F arch=b64 -S chmod,fchmod -F auid>=1000 -F auid!=unset -k perm_mod\n"
		  "-w /etc/sudoers.d -p wa -k identity\n"),
		D("usr/lib/audit"),
		F("usr/lib/audit/sudo.rules", "-w /etc/sudoers -p wa -k actions\n"),
		L("etc/audit/rules.d/40-sudo.rules", "/usr/lib/audit/sudo.rules"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, linked, "amd64");
	if (!ok(r.ok && r.res.n_failed == 0, "a rules.d symlink to /usr/lib/audit makes it load"))
		dump(&r);
	run_free(&r);
}

static void test_keys_and_arch(void)
{
	struct run r;
	static const tfile top[] = {
		F("etc/audit/rules.d/30-site.rules",
		  "-w /etc/sudoers -p wa -k other\n"
		  "-a always,exit -F arch=b64 -S chmod,fchmod -F auid>=1000 -F auid!=unset -k perm_mod\n"
		  "-w /etc/sudoers.d -p wa -k identity\n"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, top, "amd64");
	is_int(verdict(&r, "sudoers"), BG_VERDICT_FAIL, "match-keys (default true): another key fails");
	run_free(&r);

	char *loose = NULL;
	if (asprintf(&loose, "%smatch-keys: false\n", policy_text) < 0)
		return;
	run_case(&r, loose, top, "amd64");
	is_int(verdict(&r, "sudoers"), BG_VERDICT_PASS, "match-keys: false ignores the key");
	run_free(&r);

	static const tfile narrow[] = {
		F("etc/audit/rules.d/30-site.rules",
		  "-w /etc/sudoers -p w -k actions\n"
		  "-a always,exit -F arch=b32 -S chmod,fchmod -F auid>=1000 -F auid!=unset -k perm_mod\n"
		  "-a always,exit -F arch=b64 -F path=/etc/sudoers.d -F perm=wa -k identity\n"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, loose, narrow, "amd64");
	is_int(verdict(&r, "sudoers"), BG_VERDICT_FAIL, "perm=w does not cover a required perm=wa");
	is_int(verdict(&r, "chmod-b64"), BG_VERDICT_FAIL, "an arch=b32 rule does not cover arch=b64");
	is_int(verdict(&r, "sudoers-d"), BG_VERDICT_PASS, "the exact path= form passes");
	run_free(&r);
	free(loose);

	static const tfile none[] = {{NULL, 0, 0, NULL, 0, 0}};
	const char *arm_policy = "version: 1\nrules:\n"
				 "  - {id: chmod, rule: '-a always,exit -F arch=b64 -S chmod -k perm_mod'}\n"
				 "  - {id: fchmod, rule: '-a always,exit -F arch=b64 -S fchmod -F auid>=1000 -F auid!=unset -k perm_mod'}\n";
	run_case(&r, arm_policy, none, "arm64");
	is_str(r.res.machine, "aarch64", "arm64 is read as aarch64");
	is_int(verdict(&r, "chmod"), BG_VERDICT_NOT_APPLICABLE, "aarch64 has no chmod: not applicable");
	is_int(count(&r, "audit-rule-not-applicable"), 1, "an info finding says so");
	is_int(verdict(&r, "fchmod"), BG_VERDICT_FAIL, "fchmod exists on aarch64 and is missing");
	run_free(&r);

	const char *fs_policy = "version: 1\nrules:\n"
				"  - {id: tool, rule: '-a always,exit -F path=/opt/tool/bin/x -F perm=x'}\n";
	run_case(&r, fs_policy, none, "amd64");
	is_int(verdict(&r, "tool"), BG_VERDICT_FAIL,
	       "a rule whose parent directory the image lacks fails (not n/a): the kernel would refuse it");
	const bg_finding *f = find(&r, "audit-rule-missing");
	ok(f && strstr(f->message, "cannot load in this image"), "and says why");
	run_free(&r);
}

static void test_files(void)
{
	struct run r;
	static const tfile top[] = {
		{"etc/audit/rules.d/30-site.rules", BG_ENTRY_FILE, 0644,
		 "-w /etc/sudoers -p wa -k actions\n"
		 "-a always,exit -F arch=b64 -S chmod,fchmod -F auid>=1000 -F auid!=unset -k perm_mod\n"
		 "-w /etc/sudoers.d -p wa -k identity\n", 1000, 0},
		WH("etc/audit/auditd.conf"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, top, "amd64");
	const bg_finding *f = find(&r, "audit-file-mode");
	ok(f && strstr(f->message, "0644") && strstr(f->message, "0004"), "mode 0644 over 0640 (extra 0004)");
	f = find(&r, "audit-file-owner");
	ok(f && strstr(f->message, "1000:0"), "owner 1000 where 0 is required");
	f = find(&r, "audit-file-missing");
	ok(f && strstr(f->file, "/etc/audit/auditd.conf"), "a whited-out required file is missing");
	is_int(verdict(&r, "rules-mode"), BG_VERDICT_FAIL, "glob requirement fails");
	run_free(&r);

	const char *digest_policy =
		"version: 1\nfiles:\n"
		"  - {id: pinned, path: /etc/audit/auditd.conf, sha256: "
		"0000000000000000000000000000000000000000000000000000000000000000}\n"
		"  - {id: dir, path: /etc/audit, type: file}\n";
	static const tfile none[] = {{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, digest_policy, none, "amd64");
	ok(count(&r, "audit-file-digest") == 1, "a different sha256 is a finding");
	ok(count(&r, "audit-file-type") == 1, "a directory where a file is required");
	run_free(&r);
}

static void test_kargs_units(void)
{
	struct run r;
	static const tfile top[] = {
		F("usr/lib/bootc/kargs.d/20-debug.toml", "kargs = [\"quiet audit=0\"]\n"),
		F("usr/lib/bootc/kargs.d/30-bad.toml", "kargs = [\"x\"]\nkargs = [\"y\"]\n"),
		F("usr/lib/bootc/kargs.d/40-s390.toml",
		  "kargs = [\"audit=0\"]\nmatch-architectures = [\"s390x\"]\n"),
		F("usr/lib/bootc/kargs.d/README", "audit=0\n"),
		L("etc/systemd/system/auditd.service", "/dev/null"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, top, "amd64");
	const bg_finding *f = find(&r, "karg-forbidden");
	ok(f && strstr(f->file, "20-debug.toml") && strstr(f->message, "audit=0"),
	   "audit=0 inside a multi-argument entry is found");
	is_int(count(&r, "karg-forbidden"), 1, "the s390x-only file and the README do not count on amd64");
	f = find(&r, "karg-file-invalid");
	ok(f && strstr(f->file, "30-bad.toml") && f->line == 2, "invalid kargs.d TOML is a finding with the line");
	f = find(&r, "unit-not-enabled");
	ok(f && strstr(f->message, "masked"), "a unit masked in /etc is not enabled");
	run_free(&r);

	static const tfile preset_on[] = {
		WH("etc/systemd/system/multi-user.target.wants"),
		F("usr/lib/systemd/system-preset/90-default.preset", "enable auditd.service\ndisable *\n"),
		F("usr/lib/systemd/system-preset/99-default-disable.preset", "disable *\n"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, preset_on, "amd64");
	if (!ok(verdict(&r, "unit-enabled:auditd.service") == BG_VERDICT_PASS,
		"enabled by a preset line when no .wants symlink exists"))
		dump(&r);
	run_free(&r);

	static const tfile preset_off[] = {
		WH("etc/systemd/system/multi-user.target.wants"),
		F("usr/lib/systemd/system-preset/90-default.preset", "enable auditd.service\n"),
		F("etc/systemd/system-preset/10-local.preset", "disable auditd.service\n"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, preset_off, "amd64");
	f = find(&r, "unit-not-enabled");
	ok(f && strstr(f->message, "10-local.preset:1"), "an earlier preset file's disable wins");
	run_free(&r);

	static const tfile gone[] = {
		WH("etc/systemd/system/multi-user.target.wants"),
		{NULL, 0, 0, NULL, 0, 0}};
	run_case(&r, policy_text, gone, "amd64");
	f = find(&r, "unit-not-enabled");
	ok(f && strstr(f->message, "no preset line"), "no symlink and no preset: not enabled (fail closed)");
	run_free(&r);
}

static void test_rule_table(void)
{
	size_t n;
	const bg_rule *const *rules = bg_audit_rules(&n);
	bool ids_ok = true;
	for (size_t i = 0; i < n; i++) {
		for (const char *c = rules[i]->id; *c; c++)
			ids_ok &= ('a' <= *c && *c <= 'z') || *c == '-';
		ids_ok &= rules[i]->summary && rules[i]->help && rules[i]->controls[0];
		ids_ok &= bg_audit_rule_find(rules[i]->id) == rules[i];
		for (size_t k = 0; k < i; k++)
			ids_ok &= strcmp(rules[k]->id, rules[i]->id) != 0;
	}
	ok(ids_ok && n >= 16, "rule table: %zu unique kebab-case ids with summary, help and controls", n);
	ok(bg_audit_rule_find("audit-rule-missing") && !bg_audit_rule_find("nope"), "rule lookup");
	is_str(bg_audit_machine_for("ppc64le"), "ppc64le", "machine for ppc64le");
	ok(bg_audit_machine_for("mips") == NULL, "unknown arch");

	bg_policy *p = load_policy("version: 1\nrules:\n  - {id: bad, rule: '-a always,exit -S nosuchcall'}\n");
	ok(p && bg_audit_policy_check(p, &err) == BG_E_USAGE && strstr(err.message, "policy.yaml:3:") &&
		   strstr(err.message, "'bad'"),
	   "policy check: a rule auditctl refuses is a usage error with the line");
	bg_policy_free(p);
	p = load_policy("version: 1\nrules:\n  - {id: w, rule: '-W /etc/x'}\n");
	ok(p && bg_audit_policy_check(p, &err) == BG_E_USAGE, "policy check: -W is not a requirement");
	bg_policy_free(p);
}

int main(void)
{
	test_good();
	test_not_immutable();
	test_unloadable();
	test_shadowing();
	test_forbidden();
	test_unreachable();
	test_keys_and_arch();
	test_files();
	test_kargs_units();
	test_rule_table();
	return tap_done();
}
