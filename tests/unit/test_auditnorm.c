/* Tests for audit rule normalisation (lib/auditnorm.c): canonical text,
 * equivalence, coverage, and the corpus equivalence table
 * ($BOOTGATE_CORPUS_DIR/audit/equivalence-vectors.tsv, one point per row). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/auditrules.h"
#include "tests/tap.h"

static const char *const image_dirs[] = { "/", "/etc", "/etc/sudoers.d", "/etc/selinux",
					  "/var", "/var/roothome", NULL };
static const char *const image_files[] = { "/etc/passwd", "/etc/shadow", NULL };

static bg_audit_path_type image_path(void *ctx, const char *path)
{
	(void)ctx;
	for (size_t i = 0; image_dirs[i]; i++)
		if (strcmp(image_dirs[i], path) == 0)
			return BG_AUDIT_PATH_DIR;
	for (size_t i = 0; image_files[i]; i++)
		if (strcmp(image_files[i], path) == 0)
			return BG_AUDIT_PATH_OTHER;
	return BG_AUDIT_PATH_MISSING;
}

static int image_user(void *ctx, const char *name, uint32_t *id)
{
	(void)ctx;
	if (strcmp(name, "root") != 0)
		return -1;
	*id = 0;
	return 0;
}

static const bg_audit_context ctx = { .machine = "x86_64", .path_type = image_path,
				      .user_id = image_user };

/* A vector's rule text may be a bare -F/-C fragment: put it on the exit list. */
static void parse(const char *text, bg_audit_rule *r)
{
	char line[2048];
	bg_error err = { 0 };
	if (text[0] == '-' && (text[1] == 'F' || text[1] == 'C') && text[2] == ' ')
		snprintf(line, sizeof line, "-a always,exit %s", text);
	else
		snprintf(line, sizeof line, "%s", text);
	bg_auditrules_parse_line(line, &ctx, r, &err);
}

/* Split "A + B" (a set of rules) into parsed rules. */
static size_t parse_set(char *text, bg_audit_rule *rules, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *p = strtok_r(text, "+", &save); p && n < max; p = strtok_r(NULL, "+", &save)) {
		while (*p == ' ')
			p++;
		size_t len = strlen(p);
		while (len && p[len - 1] == ' ')
			p[--len] = '\0';
		parse(p, &rules[n++]);
	}
	return n;
}

static void test_vectors(const char *corpus)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/audit/equivalence-vectors.tsv", corpus);
	FILE *f = fopen(path, "r");
	if (!ok(f != NULL, "read %s", path))
		return;
	char line[4096];
	int rows = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		char *rel = line, *a = strchr(rel, '\t');
		if (!a)
			continue;
		*a++ = '\0';
		char *b = strchr(a, '\t');
		if (!b)
			continue;
		*b++ = '\0';
		char *note = strchr(b, '\t');
		if (note)
			*note++ = '\0';
		/* "(dir missing at load)" style remarks after two spaces. */
		char *remark = strstr(a, "  (");
		if (remark)
			*remark = '\0';
		rows++;
		bg_audit_rule ra[4] = { 0 }, rb[4] = { 0 };
		const bg_audit_rule *pa[4], *pb[4];
		size_t na = parse_set(a, ra, 4), nb = 0;
		if (strcmp(rel, "error") == 0) {
			ok(na == 1 && ra[0].error != NULL, "vector error: %s refused (%s)", a,
			   ra[0].error ? ra[0].error : "accepted");
		} else {
			nb = parse_set(b, rb, 4);
			bool parsed = true;
			for (size_t i = 0; i < na; i++) {
				parsed = parsed && !ra[i].error;
				pa[i] = &ra[i];
			}
			for (size_t i = 0; i < nb; i++) {
				parsed = parsed && !rb[i].error;
				pb[i] = &rb[i];
			}
			bool eq = parsed && (na == 1 && nb == 1 ? bg_auditnorm_equivalent(&ra[0], &rb[0], &ctx)
						 : bg_auditnorm_set_equivalent(pa, na, pb, nb, &ctx));
			bool want = strcmp(rel, "different") != 0;
			char *ca = na ? bg_auditnorm_canonical(&ra[0], &ctx) : NULL;
			char *cb = nb ? bg_auditnorm_canonical(&rb[0], &ctx) : NULL;
			if (!ok(parsed && eq == want, "vector %s: %s | %s", rel, a, b))
				tap_diag("A: %s (%s)\n#   B: %s (%s)", ca ? ca : "-",
					 ra[0].error ? ra[0].error : "ok", cb ? cb : "-",
					 rb[0].error ? rb[0].error : "ok");
			free(ca);
			free(cb);
		}
		for (size_t i = 0; i < na; i++)
			bg_audit_rule_clear(&ra[i]);
		for (size_t i = 0; i < nb; i++)
			bg_audit_rule_clear(&rb[i]);
	}
	fclose(f);
	ok(rows == 34, "all 34 equivalence vectors were checked (%d)", rows);
}

static void canon(const char *text, const char *want)
{
	bg_audit_rule r;
	parse(text, &r);
	char *c = bg_auditnorm_canonical(&r, &ctx);
	is_str(c, want, "canonical: %s", text);
	free(c);
	bg_audit_rule_clear(&r);
}

static void equal(const char *a, const char *b, bool want, const char *why)
{
	bg_audit_rule ra, rb;
	parse(a, &ra);
	parse(b, &rb);
	ok(bg_auditnorm_equivalent(&ra, &rb, &ctx) == want, "%s: %s %s %s", why, a,
	   want ? "==" : "!=", b);
	bg_audit_rule_clear(&ra);
	bg_audit_rule_clear(&rb);
}

static void test_own(void)
{
	canon("-w /etc/passwd -p aw -k identity",
	      "-a always,exit -S all -F path=/etc/passwd -F perm=wa -F key=identity");
	canon("-w /etc/sudoers.d/ -k actions",
	      "-a always,exit -S all -F dir=/etc/sudoers.d -F perm=rwxa -F key=actions");
	canon("-a exit,always -F arch=b64 -S fchmod,chmod -F auid>=0x3e8 -F loginuid!=-1 -k perm_mod",
	      "-a always,exit -F arch=b64 -S chmod,fchmod -F auid!=unset -F auid>=1000 -F key=perm_mod");
	canon("-a always,exit -F arch=b32 -S 15 -F exit=-13 -k x",
	      "-a always,exit -F arch=b32 -S chmod -F exit=-EACCES -F key=x");
	canon("-a always,exit -F arch=x86_64 -S execve -C euid!=uid -F euid=0 -k execpriv",
	      "-a always,exit -F arch=b64 -S execve -C uid!=euid -F euid=0 -F key=execpriv");
	canon("-A never,exit -F arch=b64 -S clone -F a0&0x7C020000",
	      "-A never,exit -F arch=b64 -S clone -F a0&0x7c020000");
	canon("-a always,exclude -F msgtype=CRYPTO_KEY_USER", "-a always,exclude -F msgtype=2404");
	canon("-a never,task", "-a never,task");
	canon("-a always,exit -F arch=b64 -S all -F uid=root -k k",
	      "-a always,exit -F arch=b64 -S all -F uid=0 -F key=k");
	equal("-a always,exit -F arch=b64 -S chmod -k a -k b",
	      "-a always,exit -F arch=b64 -S chmod -k b -k a", false, "key order is part of the key");
	equal("-a always,exit -F arch=b64 -S chmod -k a", "-a never,exit -F arch=b64 -S chmod -k a",
	      false, "never is not always");
	equal("-A always,exit -F arch=b64 -S chmod -k a", "-a always,exit -F arch=b64 -S chmod -k a",
	      false, "prepend is not append");
	equal("-a always,exit -F arch=b64 -F dir=/etc/selinux/ -F perm=wa",
	      "-a always,exit -F arch=b64 -F dir=/etc/selinux -F perm=wa", true,
	      "dir= trailing slash");
	equal("-a always,exit -F arch=b64 -S all -F exit=EACCES",
	      "-a always,exit -F arch=b64 -S all -F exit=13", true, "bare errno name is +N");

	/* Coverage: a no-arch rule applies to both ABIs. */
	bg_audit_rule w;
	parse("-w /etc/shadow -p wa -k k", &w);
	char **texts = NULL;
	size_t n = 0;
	bg_auditnorm_coverage(&w, &ctx, &texts, &n);
	ok(n == 2 && strstr(texts[0], "arch=b64") && strstr(texts[1], "arch=b32"),
	   "coverage: a watch expands to the b64 and b32 forms");
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	bg_audit_context ppc = ctx;
	ppc.machine = "ppc64le";
	texts = NULL;
	n = 0;
	bg_auditnorm_coverage(&w, &ppc, &texts, &n);
	ok(n == 1, "coverage: ppc64le has no 32-bit ABI");
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	bg_audit_rule_clear(&w);

	/* The kernel form keeps stored order and puts the key last. */
	bg_audit_rule r;
	bg_audit_kernel_rule k;
	bg_error err = { 0 };
	parse("-a always,exit -F arch=b64 -F key=x -S chmod -F auid>=1000", &r);
	ok(bg_auditnorm_kernel(&r, &ctx, &k, &err) == 0 && k.nfields == 3 &&
	   strcmp(k.fields[0].name, "arch") == 0 && strcmp(k.fields[2].name, "key") == 0 &&
	   k.nsyscalls == 1 && k.syscalls[0] == 90, "kernel form: key last, chmod is 90");
	bg_audit_kernel_rule_clear(&k);
	bg_audit_rule_clear(&r);
}

int main(void)
{
	test_own();
	const char *corpus = getenv("BOOTGATE_CORPUS_DIR");
	if (!corpus || !*corpus) {
		printf("ok %d - # SKIP corpus: BOOTGATE_CORPUS_DIR not set\n", ++tap_count);
		return tap_done();
	}
	test_vectors(corpus);
	return tap_done();
}
