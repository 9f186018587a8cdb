/* Unit tests for lib/policy.c: the gate policy format, path globs, the
 * kargs.d TOML subset and systemd preset lookup. */
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/policy.h"

static bg_error err;

static char *testdata(const char *name)
{
	static char path[4096];
	snprintf(path, sizeof path, "%s/policy/%s", getenv("BOOTGATE_TESTDATA"), name);
	return path;
}

static bg_policy *parse(const char *text)
{
	bg_policy *p = NULL;
	bg_error_clear(&err);
	if (bg_policy_parse(text, strlen(text), "p.yaml", &p, &err) < 0)
		return NULL;
	return p;
}

/* text must be refused with a message that starts with want_prefix (which
 * carries the position) and contains want. */
static void refused(const char *text, const char *want_prefix, const char *want, const char *name)
{
	bg_policy *p = NULL;
	bg_error_clear(&err);
	int rc = bg_policy_parse(text, strlen(text), "p.yaml", &p, &err);
	if (!ok(rc == BG_E_USAGE && !p && err.line > 0, "refused: %s", name))
		tap_diag("rc %d, line %u: %s", rc, err.line, err.message);
	if (!ok(strncmp(err.message, want_prefix, strlen(want_prefix)) == 0 &&
		    strstr(err.message, want) != NULL,
		"message: %s", name))
		tap_diag("got: %s\n#   want: %s...%s", err.message, want_prefix, want);
	bg_policy_free(p);
}

static void test_full(void)
{
	bg_policy *p = NULL;
	int rc = bg_policy_load(testdata("full.yaml"), &p, &err);
	if (!ok(rc == 0 && p, "full.yaml loads"))
		tap_diag("%s", err.message);
	if (!p)
		return;
	is_str(p->name, "full", "name");
	is_str(p->description, "A policy that uses every key.\n", "description keeps the block text");
	ok(p->match_keys, "match-keys: true");
	ok(p->immutable, "immutable mapping implies true");
	is_str(p->immutable_item.id, "rules-immutable", "immutable id");
	is_int(p->immutable_item.severity, BG_SEV_WARNING, "immutable severity");
	is_int(p->immutable_item.n_controls, 2, "immutable controls");
	is_int(p->n_required, 3, "three required rules");
	is_str(p->required[0].item.id, "execpriv-b64", "rule id");
	is_str(p->required[0].item.controls[0], "AC-6(9)", "control with enhancement");
	is_str(p->required[0].item.reference, "RHEL-09-654010", "reference");
	is_str(p->required[0].rule,
	       "-a always,exit -F arch=b64 -S execve -C uid!=euid -F euid=0 -k execpriv",
	       "rule text kept as written");
	is_int(p->required[0].item.line, 14, "rule item line");
	is_int(p->required[1].item.severity, BG_SEV_ERROR, "severity defaults to error");
	is_int(p->required[2].item.severity, BG_SEV_INFO, "severity info");
	is_int(p->n_forbidden, 4, "four forbidden");
	is_int(p->forbidden[1].where, BG_POLICY_AFTER_REQUIRED, "where: after-required");
	is_int(p->forbidden[2].where, BG_POLICY_BEFORE_REQUIRED, "where: before-required");
	ok(p->forbidden[3].shadowing && !p->forbidden[3].rule, "shadowing entry");
	is_int(p->n_files, 3, "three files");
	is_str(p->files[0].item.id, "file:/etc/audit/auditd.conf", "file id generated from the path");
	ok(p->files[0].has_mode_max && p->files[0].mode_max == 0640, "mode-max \"0640\"");
	ok(p->files[0].has_owner && p->files[0].owner == 0, "owner root is 0");
	ok(p->files[0].has_group && p->files[0].group == 0, "group 0");
	is_str(p->files[0].sha256, "0000000000000000000000000000000000000000000000000000000000000000",
	       "sha256: prefix dropped");
	is_str(p->files[1].path, "/etc/audit/rules.d/*.rules", "path normalised (//, ./, trailing /)");
	ok(p->files[1].glob && p->files[1].optional, "glob, optional");
	ok(p->files[1].mode_max == 0600, "plain 600 is octal");
	is_int(p->files[2].type, BG_POLICY_TYPE_DIRECTORY, "type directory");
	is_int(p->n_kargs, 2, "two kargs");
	is_str(p->kargs[0].item.id, "karg-forbidden:audit=0", "short karg entry gets an id");
	is_str(p->kargs[1].arg, "audit", "karg name only");
	is_int(p->kargs[1].item.severity, BG_SEV_WARNING, "karg severity");
	is_int(p->n_units, 2, "two units");
	is_str(p->units[0].item.id, "unit-enabled:auditd.service", "short unit entry gets an id");
	is_str(p->units[1].item.id, "rules-unit", "unit id");
	is_int(p->n_paths, 2, "two extra paths");
	bg_policy_free(p);
}

static void test_shipped(void)
{
	static const char *const names[] = {"image-mode-baseline.yaml", "rhel9-stig-audit.yaml"};
	for (size_t i = 0; i < 2; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/../policies/%s", getenv("BOOTGATE_TESTDATA"), names[i]);
		bg_policy *p = NULL;
		int rc = bg_policy_load(path, &p, &err);
		if (!ok(rc == 0 && p, "shipped %s loads", names[i]))
			tap_diag("%s", err.message);
		if (!p)
			continue;
		ok(p->immutable, "%s requires immutable rules", names[i]);
		ok(!p->match_keys, "%s does not compare keys", names[i]);
		ok(p->n_kargs == 2 && strcmp(p->kargs[0].arg, "audit=0") == 0,
		   "%s forbids audit=0", names[i]);
		ok(p->n_units == 1 && strcmp(p->units[0].unit, "auditd.service") == 0,
		   "%s requires auditd.service", names[i]);
		bool shadow = false;
		for (size_t k = 0; k < p->n_forbidden; k++)
			shadow |= p->forbidden[k].shadowing;
		ok(shadow, "%s forbids shadowing never rules", names[i]);
		if (i == 1) {
			is_int(p->n_required, 80, "STIG: 80 required lines from the DISA fixtext");
			bool all_cited = true;
			for (size_t k = 0; k < p->n_required; k++)
				all_cited &= p->required[k].item.reference &&
					     strncmp(p->required[k].item.reference, "RHEL-09-654", 11) == 0 &&
					     p->required[k].item.n_controls > 0;
			ok(all_cited, "STIG: every requirement cites its STIG id and NIST controls");
		} else {
			ok(p->n_required >= 15, "baseline: the persistence watches (%zu)", p->n_required);
		}
		bg_policy_free(p);
	}
}

static void test_refusals(void)
{
	refused("name: x\nimmutable: true\n", "p.yaml:1:1: ", "no 'version'", "version missing");
	refused("version: 2\nimmutable: true\n", "p.yaml:1:10: ", "version 2 is not supported",
		"version 2");
	refused("version: 1\nimutable: true\n", "p.yaml:2:1: ", "unknown key 'imutable'",
		"misspelt top-level key");
	refused("version: 1\nname: x\n", "p.yaml:1:1: ", "requires nothing", "policy requiring nothing");
	refused("version: 1\nimmutable: yes\n", "p.yaml:2:12: ", "", "YAML 1.1 yes is not a boolean");
	refused("version: 1\nrules:\n  - rule: -e 2\n", "p.yaml:3:5: ", "has no 'id'", "rule without id");
	refused("version: 1\nrules:\n  - id: a\n", "p.yaml:3:5: ", "has no 'rule'", "rule without text");
	refused("version: 1\nrules:\n  - id: a\n    rule: -e 2\n    key: k\n", "p.yaml:5:5: ",
		"unknown key 'key' in entry 1 of 'rules'", "unknown key in a rule");
	refused("version: 1\nrules:\n  - {id: a, rule: '-e 2'}\n  - {id: a, rule: '-f 2'}\n",
		"p.yaml:4:5: ", "id 'a' is already used at line 3", "duplicate id");
	refused("version: 1\nrules:\n  - {id: a, rule: '-e 2'}\nkargs: {forbidden: [{arg: x, id: a}]}\n",
		"p.yaml:4:21: ", "already used", "duplicate id across sections");
	refused("version: 1\nrules:\n  - {id: a, rule: '-e 2', severity: fatal}\n", "p.yaml:3:37: ",
		"must be error, warning or info", "bad severity");
	refused("version: 1\nrules:\n  - {id: a, rule: '-e 2', severity: none}\n", "p.yaml:3:37: ",
		"must be error, warning or info", "severity none");
	refused("version: 1\nrules:\n  - {id: a, rule: '-e 2', controls: [au-2]}\n", "p.yaml:3:38: ",
		"not a NIST SP 800-53 control id", "lower-case control");
	refused("version: 1\nrules:\n  - {id: a, rule: '-e 2', controls: [AU-2(1]}\n", "p.yaml:3:38: ",
		"not a NIST", "unclosed enhancement");
	refused("version: 1\nrules:\n  - {id: a, rule: '-e 2', controls: [AU-2, AU-2]}\n",
		"p.yaml:3:44: ", "twice", "control twice");
	refused("version: 1\nrules:\n  - {id: 'a b', rule: '-e 2'}\n", "p.yaml:3:10: ",
		"not a valid requirement id", "id with a space");
	refused("version: 1\nrules:\n  - {id: a, rule: '   '}\n", "p.yaml:3:19: ", "is empty", "blank rule");
	refused("version: 1\nrules:\n  - {id: a, rule: '# -e 2'}\n", "p.yaml:3:19: ", "is a comment",
		"comment rule");
	refused("version: 1\nrules:\n  - id: a\n    rule: |\n      -e 2\n      -f 2\n", "p.yaml:4:11: ",
		"one line", "two lines in one rule");
	refused("version: 1\nforbidden:\n  - {id: a, rule: '-e 0', shadowing: true}\n", "p.yaml:3:5: ",
		"exactly one of", "rule and shadowing");
	refused("version: 1\nforbidden:\n  - {id: a}\n", "p.yaml:3:5: ", "exactly one of",
		"forbidden with neither");
	refused("version: 1\nforbidden:\n  - {id: a, shadowing: true, where: anywhere}\n",
		"p.yaml:3:37: ", "'where' applies to a forbidden 'rule'", "where with shadowing");
	refused("version: 1\nforbidden:\n  - {id: a, rule: '-D', where: later}\n", "p.yaml:3:32: ",
		"anywhere, after-required or before-required", "bad where");
	refused("version: 1\nfiles:\n  - {path: etc/audit}\n", "p.yaml:3:12: ", "absolute path",
		"relative file path");
	refused("version: 1\nfiles:\n  - {path: /etc/../shadow}\n", "p.yaml:3:12: ", "without '..'",
		"path with ..");
	refused("version: 1\nfiles:\n  - {path: /etc/a**}\n", "p.yaml:3:12: ", "whole path component",
		"** inside a component");
	refused("version: 1\nfiles:\n  - {path: '/etc/[ab]'}\n", "p.yaml:3:12: ", "not supported",
		"bracket glob");
	refused("version: 1\nfiles:\n  - {path: /x, mode-max: 0999}\n", "p.yaml:3:26: ",
		"octal permission bits", "mode with 9");
	refused("version: 1\nfiles:\n  - {path: /x, mode-max: 17777}\n", "p.yaml:3:26: ",
		"octal permission bits", "mode with five digits");
	refused("version: 1\nfiles:\n  - {path: /x, owner: audit}\n", "p.yaml:3:23: ",
		"numeric id", "owner by name");
	refused("version: 1\nfiles:\n  - {path: /x, owner: -1}\n", "p.yaml:3:23: ", "numeric id",
		"negative owner");
	refused("version: 1\nfiles:\n  - {path: /x, sha256: abc}\n", "p.yaml:3:24: ", "64 lower-case hex",
		"short sha256");
	refused("version: 1\nfiles:\n  - {path: '/x/*', sha256: "
		"0000000000000000000000000000000000000000000000000000000000000000}\n",
		"p.yaml:3:28: ", "cannot apply to the glob", "sha256 on a glob");
	refused("version: 1\nfiles:\n  - {path: /x, type: directory, sha256: "
		"0000000000000000000000000000000000000000000000000000000000000000}\n",
		"p.yaml:3:5: ", "needs a regular file", "sha256 on a directory");
	refused("version: 1\nfiles:\n  - {path: /x, type: fifo}\n", "p.yaml:3:22: ",
		"file, directory, symlink or any", "bad type");
	refused("version: 1\nkargs:\n  forbidden: ['audit=0 quiet']\n", "p.yaml:3:15: ",
		"not one kernel argument", "two kargs in one entry");
	refused("version: 1\nkargs:\n  allowed: [x]\n", "p.yaml:3:3: ", "unknown key 'allowed'",
		"unknown kargs key");
	refused("version: 1\nunits:\n  enabled: [auditd]\n", "p.yaml:3:13: ", "not a systemd unit name",
		"unit without suffix");
	refused("version: 1\nunits:\n  enabled: [[auditd.service]]\n", "p.yaml:3:13: ",
		"string or a mapping", "unit as a list");
	refused("version: 1\nimmutable: true\npaths: [relative/x]\n", "p.yaml:3:9: ", "absolute path",
		"relative extra path");
	refused("version: 1\nimmutable: true\nimmutable: false\n", "p.yaml:3:1: ", "duplicate",
		"duplicate key (yamldoc)");
	refused("", "p.yaml:1:1: ", "empty", "empty document");
	refused("- version: 1\n", "p.yaml:1:1: ", "must be a mapping", "top level a sequence");

	bg_policy *p = parse("version: 1\nimmutable: false\nunits: {enabled: [auditd.service]}\n");
	ok(p && !p->immutable && p->n_units == 1, "immutable: false with another requirement loads");
	bg_policy_free(p);
	p = parse("version: 1\nrules:\n  - id: long\n    rule: -a always,exit -F path=/x -F perm=wa\n");
	ok(p && p->n_required == 1, "a plain rule scalar with '=' and ',' loads");
	bg_policy_free(p);

	/* A rule at auditctl's line limit. */
	size_t n = 6200;
	char *text = malloc(n + 64);
	snprintf(text, n + 64, "version: 1\nrules:\n  - id: a\n    rule: -w /");
	size_t len = strlen(text);
	memset(text + len, 'x', n - len);
	text[n] = '\n';
	text[n + 1] = '\0';
	refused(text, "p.yaml:4:11: ", "6143-byte line", "rule over 6143 bytes");
	free(text);

	bg_policy *missing = NULL;
	int rc = bg_policy_load(testdata("does-not-exist.yaml"), &missing, &err);
	ok(rc == BG_E_USAGE && !missing && strstr(err.message, "does-not-exist.yaml"),
	   "a missing policy file is a usage error naming it");
}

static void test_glob(void)
{
	struct { const char *glob, *path; bool match; } cases[] = {
		{"/etc/audit/**", "/etc/audit", true},
		{"/etc/audit/**", "/etc/audit/rules.d/x.rules", true},
		{"/etc/audit/**", "/etc/auditx", false},
		{"/etc/audit/rules.d/*.rules", "/etc/audit/rules.d/10-base.rules", true},
		{"/etc/audit/rules.d/*.rules", "/etc/audit/rules.d/sub/x.rules", false},
		{"/etc/audit/rules.d/*.rules", "/etc/audit/rules.d/.rules", true},
		{"/etc/audit/rules.d/*.rules", "/etc/audit/rules.d/x.rules.bak", false},
		{"/usr/lib/systemd/system/*.wants/**", "/usr/lib/systemd/system/multi-user.target.wants/auditd.service", true},
		{"/**/x", "/x", true},
		{"/**/x", "/a/b/x", true},
		{"/a/**/b/**", "/a/q/b", true},
		{"/a/**/b/**", "/a/q/c", false},
		{"/a/?", "/a/b", true},
		{"/a/?", "/a/bc", false},
		{"/a/*", "/a/", false},
		{"/a", "/a", true},
		{"a", "/a", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ok(bg_policy_glob_match(cases[i].glob, cases[i].path) == cases[i].match,
		   "glob %s %s %s", cases[i].glob, cases[i].match ? "matches" : "does not match",
		   cases[i].path);
}

static void test_paths(void)
{
	bg_policy *p = NULL;
	if (bg_policy_load(testdata("full.yaml"), &p, &err) < 0)
		return;
	size_t n = 0;
	char **paths = bg_policy_paths_of_interest(p, &n);
	ok(paths && paths[n] == NULL, "paths of interest NULL-terminated");
	bool sorted = true, defaults = false, unit = false, extra = false, file = false;
	for (size_t i = 0; paths && i < n; i++) {
		if (i && strcmp(paths[i - 1], paths[i]) >= 0)
			sorted = false;
		defaults |= strcmp(paths[i], "/etc/audit/**") == 0;
		unit |= strcmp(paths[i], "/usr/lib/systemd/system/audit-rules.service") == 0;
		extra |= strcmp(paths[i], "/etc/sudoers.d/**") == 0;
		file |= strcmp(paths[i], "/etc/audit/rules.d/*.rules") == 0;
	}
	ok(sorted, "sorted without duplicates (/etc/audit/** is both default and a file glob)");
	ok(defaults, "the default set is included");
	ok(unit, "unit files of units.enabled are included");
	ok(extra, "extra paths are included");
	ok(file, "files requirements are included");
	bg_policy_paths_free(paths);
	bg_policy_free(p);
	paths = bg_policy_paths_of_interest(NULL, &n);
	ok(paths && n >= 7, "no policy: the default set (%zu)", n);
	bg_policy_paths_free(paths);
}

static int kargs(const char *text, bg_kargs_file *kf)
{
	bg_error_clear(&err);
	return bg_kargs_parse(text, strlen(text), "k.toml", kf, &err);
}

static void kargs_refused(const char *text, unsigned line, const char *want, const char *name)
{
	bg_kargs_file kf;
	int rc = kargs(text, &kf);
	if (!ok(rc == BG_E_INPUT && err.line == line && strstr(err.message, want), "kargs refused: %s",
		name))
		tap_diag("rc %d line %u: %s", rc, err.line, err.message);
	if (rc == 0)
		bg_kargs_file_clear(&kf);
}

static void test_kargs(void)
{
	bg_kargs_file kf;
	int rc = kargs("# comment\nkargs = [\"audit=1\", 'audit_backlog_limit=8192',\n"
		       "  \"quiet  splash\", # trailing comment\n]\n"
		       "match-architectures = [\"x86_64\", \"aarch64\"]\n", &kf);
	if (!ok(rc == 0, "kargs: multi-line array, literal string, comments, trailing comma"))
		tap_diag("%s", err.message);
	if (rc == 0) {
		is_int(kf.n_kargs, 4, "kargs split on whitespace");
		is_str(kf.kargs[0], "audit=1", "first karg");
		is_str(kf.kargs[3], "splash", "split karg");
		ok(kf.has_arches && kf.n_arches == 2, "match-architectures");
		ok(bg_kargs_applies(&kf, "amd64"), "amd64 is x86_64");
		ok(bg_kargs_applies(&kf, "arm64"), "arm64 is aarch64");
		ok(!bg_kargs_applies(&kf, "s390x"), "s390x not listed");
		bg_kargs_file_clear(&kf);
	}
	rc = kargs("kargs = [\"a\\u0041\\\"b\"]", &kf);
	ok(rc == 0 && kf.n_kargs == 1 && strcmp(kf.kargs[0], "aA\"b") == 0, "basic string escapes");
	if (rc == 0) {
		ok(bg_kargs_applies(&kf, "ppc64le"), "no match-architectures: applies everywhere");
		bg_kargs_file_clear(&kf);
	}
	rc = kargs("kargs = []\n", &kf);
	ok(rc == 0 && kf.n_kargs == 0, "empty array");
	if (rc == 0)
		bg_kargs_file_clear(&kf);
	kargs_refused("kargs = [\"a\"]\nkargs = [\"b\"]\n", 2, "given twice", "duplicate key");
	kargs_refused("kargs = [\"a\"]\nextra = [\"b\"]\n", 2, "unknown key 'extra'", "unknown key");
	kargs_refused("[section]\nkargs = [\"a\"]\n", 1, "expected a key", "table header");
	kargs_refused("kargs = \"audit=0\"\n", 1, "array of strings", "string, not array");
	kargs_refused("kargs = [1]\n", 1, "string in quotes", "number entry");
	kargs_refused("kargs = [\"a\n\"]\n", 1, "not closed", "string across lines");
	kargs_refused("kargs = [\"a\" \"b\"]\n", 1, "expected ','", "missing comma");
	kargs_refused("kargs = [\"a\"] x\n", 1, "unexpected text", "text after the array");
	kargs_refused("kargs = [\"a\",\n", 2, "not closed", "unclosed array");
	kargs_refused("match-architectures = [\"x86_64\"]\n", 2, "no kargs", "no kargs key");
	kargs_refused("kargs [\"a\"]\n", 1, "expected '='", "no =");
	kargs_refused("kargs = [\"\\q\"]\n", 1, "invalid escape", "bad escape");
	kargs_refused("kargs = [\"\\ud800\"]\n", 1, "not a valid character", "surrogate escape");

	ok(bg_karg_matches("audit=0", "audit=0"), "karg exact match");
	ok(!bg_karg_matches("audit=0", "audit=00"), "karg exact only");
	ok(bg_karg_matches("audit", "audit=1") && bg_karg_matches("audit", "audit"),
	   "karg name matches any value");
	ok(!bg_karg_matches("audit", "audit_backlog_limit=8192"), "karg name is not a prefix match");
}

static void test_presets(void)
{
	const char *vendor = "# comment\n; also a comment\nenable sshd.service\ndisable audit*\n"
			     "enable auditd.service\n";
	const char *local = "\n  enable   auditd.service  \n";
	const char *deflt = "disable *\n";
	const char *ign = "ignore auditd.service\n";
	bg_preset_file files[] = {
		{"/usr/lib/systemd/system-preset/50-vendor.preset", vendor, strlen(vendor)},
		{"/usr/lib/systemd/system-preset/99-default.preset", deflt, strlen(deflt)},
	};
	size_t fi = 9;
	unsigned line = 0;
	is_int(bg_preset_lookup(files, 2, "auditd.service", &fi, &line), BG_PRESET_DISABLE,
	       "first matching line wins (disable audit* before enable auditd.service)");
	ok(fi == 0 && line == 4, "the line that decided (file 0, line 4)");
	is_int(bg_preset_lookup(files, 2, "sshd.service", NULL, NULL), BG_PRESET_ENABLE, "enable");
	is_int(bg_preset_lookup(files, 2, "cups.service", &fi, &line), BG_PRESET_DISABLE,
	       "later file's disable *");
	ok(fi == 1 && line == 1, "disable * in file 1");
	bg_preset_file two[] = {
		{"/etc/systemd/system-preset/10-local.preset", local, strlen(local)},
		{"/usr/lib/systemd/system-preset/50-vendor.preset", vendor, strlen(vendor)},
	};
	is_int(bg_preset_lookup(two, 2, "auditd.service", &fi, &line), BG_PRESET_ENABLE,
	       "an earlier file (by name) wins, whitespace stripped");
	ok(fi == 0 && line == 2, "local file line 2");
	bg_preset_file three[] = {{"i.preset", ign, strlen(ign)}};
	is_int(bg_preset_lookup(three, 1, "auditd.service", NULL, NULL), BG_PRESET_IGNORE, "ignore");
	is_int(bg_preset_lookup(three, 1, "other.service", NULL, NULL), BG_PRESET_NONE, "no match");
	is_int(bg_preset_lookup(NULL, 0, "auditd.service", NULL, NULL), BG_PRESET_NONE, "no files");
}

int main(void)
{
	if (!getenv("BOOTGATE_TESTDATA"))
		return tap_skip_all("BOOTGATE_TESTDATA is not set");
	test_full();
	test_shipped();
	test_refusals();
	test_glob();
	test_paths();
	test_kargs();
	test_presets();
	return tap_done();
}
