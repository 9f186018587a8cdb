/* Tests for the auditctl-exact rule parser (lib/auditrules.c).
 *
 * Own cases: testdata/auditrules/lines.tsv (one line each, ok or refused),
 * the *.rules files (what a whole `auditctl -R` load does), limits built here.
 * Corpus ($BOOTGATE_CORPUS_DIR/audit): the go-libaudit golden vectors (the
 * struct the kernel returned after real auditctl loaded each line), the
 * go-libaudit flag and field tables, and the go-libaudit rules files. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/auditrules.h"
#include "bootgate/strictjson.h"
#include "tests/tap.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = realloc(buf, (cap *= 2) + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* ---- a fake image ------------------------------------------------------ */

static const char *const image_dirs[] = { "/", "/etc", "/etc/sudoers.d", "/etc/security",
					  "/var", "/var/log", "/var/roothome", NULL };
static const char *const image_files[] = { "/etc/passwd", "/etc/shadow", "/etc/group", NULL };

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
	if (strcmp(name, "root") == 0) {
		*id = 0;
		return 0;
	}
	return -1;
}

static int image_group(void *ctx, const char *name, uint32_t *id)
{
	(void)ctx;
	if (strcmp(name, "root") == 0 || strcmp(name, "wheel") == 0) {
		*id = strcmp(name, "root") == 0 ? 0 : 10;
		return 0;
	}
	return -1;
}

static const bg_audit_context image_ctx = {
	.machine = "x86_64", .path_type = image_path, .user_id = image_user,
	.group_id = image_group,
};

/* ---- own line cases ---------------------------------------------------- */

static void expand_placeholders(char *s)
{
	static const struct {
		const char *from;
		char to;
	} ph[] = { { "<TAB>", '\t' }, { "<CR>", '\r' } };
	for (size_t i = 0; i < 2; i++) {
		char *p;
		while ((p = strstr(s, ph[i].from))) {
			*p = ph[i].to;
			memmove(p + 1, p + strlen(ph[i].from), strlen(p + strlen(ph[i].from)) + 1);
		}
	}
}

static void check_line(const char *expect, const char *line, const char *what)
{
	bg_audit_rule r;
	bg_error err = { 0 };
	int rc = bg_auditrules_parse_line(line, &image_ctx, &r, &err);
	bool want_ok = strcmp(expect, "ok") == 0;
	if (!ok(rc == 0 && (r.error == NULL) == want_ok, "line %s: %s [%s]", expect, what, line))
		tap_diag("rc=%d error=%s", rc, r.error ? r.error : "(none)");
	bg_audit_rule_clear(&r);
}

static void test_lines(const char *testdata)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/auditrules/lines.tsv", testdata);
	char *data = slurp(path, NULL);
	if (!ok(data != NULL, "read %s", path))
		return;
	char *save = NULL;
	for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (l[0] == '#' || !l[0])
			continue;
		char *t1 = strchr(l, '\t');
		char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t1 || !t2)
			continue;
		*t1 = *t2 = '\0';
		expand_placeholders(t1 + 1);
		check_line(l, t1 + 1, t2 + 1);
	}
	free(data);
}

/* Limits built here: key length, field count, the 6144-byte line. */
static void test_limits(void)
{
	char line[16384];
	char key[300];
	bg_audit_rule r;
	bg_error err = { 0 };

	memset(key, 'x', 256);
	key[256] = '\0';
	snprintf(line, sizeof line, "-a always,exit -F arch=b64 -S all -F key=%s", key);
	bg_auditrules_parse_line(line, &image_ctx, &r, &err);
	ok(r.error == NULL, "a 256-byte key loads");
	bg_audit_rule_clear(&r);
	key[256] = 'x';
	key[257] = '\0';
	snprintf(line, sizeof line, "-a always,exit -F arch=b64 -S all -F key=%s", key);
	bg_auditrules_parse_line(line, &image_ctx, &r, &err);
	ok(r.error != NULL && strstr(r.error, "size limit"), "a 257-byte key is refused");
	bg_audit_rule_clear(&r);
	/* Two keys: 128 + \x01 + 127 = 256 bytes is the limit. */
	char k1[200], k2[200];
	memset(k1, 'a', 128);
	k1[128] = '\0';
	memset(k2, 'b', 127);
	k2[127] = '\0';
	snprintf(line, sizeof line, "-w /etc/passwd -k %s -k %s", k1, k2);
	bg_auditrules_parse_line(line, &image_ctx, &r, &err);
	ok(r.error == NULL && r.nkeys == 2, "keys joined with \\x01 may total 256 bytes");
	bg_audit_rule_clear(&r);
	k2[127] = 'b';
	k2[128] = '\0';
	snprintf(line, sizeof line, "-w /etc/passwd -k %s -k %s", k1, k2);
	bg_auditrules_parse_line(line, &image_ctx, &r, &err);
	ok(r.error != NULL, "keys joined with \\x01 may not total 257 bytes");
	bg_audit_rule_clear(&r);

	/* 63 fields is the most a rule holds (the key is one of them). */
	size_t n = (size_t)snprintf(line, sizeof line, "-a always,exit");
	for (int i = 0; i < 63; i++)
		n += (size_t)snprintf(line + n, sizeof line - n, " -F uid=%d", i);
	bg_auditrules_parse_line(line, &image_ctx, &r, &err);
	ok(r.error == NULL && r.nfields == 63, "63 fields load");
	bg_audit_rule_clear(&r);
	snprintf(line + n, sizeof line - n, " -F uid=64");
	bg_auditrules_parse_line(line, &image_ctx, &r, &err);
	ok(r.error != NULL, "a 64th field is refused");
	bg_audit_rule_clear(&r);
	snprintf(line + n, sizeof line - n, " -S all -k k");
	bg_auditrules_parse_line(line, &image_ctx, &r, &err);
	ok(r.error != NULL, "63 fields plus a key are refused");
	bg_audit_rule_clear(&r);

	/* Lines: fgets reads 6143 bytes at a time. */
	static char big[8192];
	n = (size_t)snprintf(big, sizeof big, "-a always,exit -F arch=b64 -S read");
	while (n + 5 <= 6143)
		n += (size_t)snprintf(big + n, sizeof big - n, ",read");
	while (n < 6143)
		big[n++] = ' '; /* trailing spaces are not tokens */
	big[n] = '\n';
	bg_audit_ruleset set;
	bg_auditrules_parse("long.rules", NULL, big, n + 1, &image_ctx, &set, &err);
	ok(set.first_error == NULL && set.n >= 1 && set.v[0].kind == BG_AUDIT_SYSCALL,
	   "a 6143-byte line loads");
	bg_audit_ruleset_free(&set);
	n = (size_t)snprintf(big, sizeof big, "-a always,exit -F arch=b64 -S read");
	while (n + 5 <= 6300)
		n += (size_t)snprintf(big + n, sizeof big - n, ",read");
	big[n] = '\n';
	bg_auditrules_parse("long.rules", NULL, big, n + 1, &image_ctx, &set, &err);
	ok(set.first_error && strstr(set.first_error->error, "6144"),
	   "a longer line is read as two lines by auditctl and refused");
	ok(set.n == 2 && set.v[0].line == 1 && set.v[1].line == 1,
	   "both pieces keep the physical line number");
	bg_audit_ruleset_free(&set);

	/* A NUL byte ends the line as far as auditctl sees it. */
	static const char nul[] = "-w /etc/passwd -p wa\0 garbage\n-w /etc/shadow\n";
	bg_auditrules_parse("nul.rules", NULL, nul, sizeof nul - 1, &image_ctx, &set, &err);
	ok(set.first_error == NULL && set.n == 2 && set.v[0].kind == BG_AUDIT_WATCH &&
	   set.v[1].line == 2, "a NUL byte ends the line");
	bg_audit_ruleset_free(&set);

	/* The tokenizer on its own. */
	char **argv = NULL;
	int argc = 0;
	bg_auditrules_tokenize("-w /a\\ b\\\\c  -k  x", 19, &argv, &argc);
	ok(argc == 4 && strcmp(argv[1], "/a b\\c") == 0 && strcmp(argv[3], "x") == 0,
	   "tokenizer: escapes and runs of spaces");
	bg_auditrules_argv_free(argv);
}

/* ---- whole files -------------------------------------------------------- */

static bg_audit_ruleset load_file(const char *testdata, const char *name)
{
	char path[4096];
	size_t len = 0;
	bg_audit_ruleset set = { 0 };
	bg_error err = { 0 };
	snprintf(path, sizeof path, "%s/auditrules/%s", testdata, name);
	char *data = slurp(path, &len);
	if (data)
		bg_auditrules_parse(name, "sha256:layer", data, len, &image_ctx, &set, &err);
	free(data);
	return set;
}

static void test_files(const char *testdata)
{
	bg_audit_ruleset s = load_file(testdata, "stop.rules");
	ok(s.first_error && s.first_error->line == 4, "stop.rules: the load stops at line 4");
	ok(s.n == 6 && s.v[2].loads && !s.v[4].loads && !s.v[5].loads && s.enable == -1,
	   "stop.rules: earlier lines load, later ones and -e 2 do not");
	char *msg = bg_auditrules_error_message(s.first_error);
	ok(msg && strstr(msg, "stop.rules:4:") && strstr(msg, "-e 2") &&
	   strstr(msg, "Syscall name unknown"), "stop.rules: the error names file, line and -e 2");
	free(msg);
	ok(s.v[2].layer && strcmp(s.v[2].layer, "sha256:layer") == 0 && s.v[2].line == 3,
	   "every rule keeps its layer and line");
	bg_audit_ruleset_free(&s);

	s = load_file(testdata, "continue.rules");
	ok(s.first_error == NULL && s.v[1].error && !s.v[1].loads && s.v[2].loads &&
	   s.enable == 2 && s.locked, "continue.rules: -c carries on past an error");
	bg_audit_ruleset_free(&s);

	s = load_file(testdata, "immutable.rules");
	ok(s.first_error && s.first_error->line == 3 && strstr(s.first_error->error, "immutable"),
	   "immutable.rules: after -e 2 the kernel refuses changes");
	bg_audit_ruleset_free(&s);

	s = load_file(testdata, "duplicate.rules");
	ok(s.first_error && s.first_error->line == 2 && strstr(s.first_error->error, "exists"),
	   "duplicate.rules: -w and its syscall form are the same rule (Rule exists)");
	bg_audit_ruleset_free(&s);

	s = load_file(testdata, "delete.rules");
	ok(s.first_error && s.first_error->line == 5 && s.v[1].loads && s.v[2].loads &&
	   s.v[3].loads, "delete.rules: -W removes, -D clears, -d of a missing rule fails");
	bg_audit_ruleset_free(&s);
}

/* ---- corpus: go-libaudit golden vectors -------------------------------- */

/* Split go-libaudit's flags like a POSIX shell (quotes only). */
static int shell_split(const char *s, char **argv, int max, char *store)
{
	int n = 0;
	char *o = store;
	while (*s && n < max) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		argv[n++] = o;
		while (*s && *s != ' ') {
			if (*s == '\'' || *s == '"') {
				char q = *s++;
				while (*s && *s != q)
					*o++ = *s++;
				if (*s)
					s++;
			} else {
				*o++ = *s++;
			}
		}
		*o++ = '\0';
	}
	return n;
}

/* Directories of the golden run: watches written with a trailing '/'. */
static char golden_dirs[64][256];
static size_t ngolden_dirs;

static bg_audit_path_type golden_path(void *ctx, const char *path)
{
	(void)ctx;
	for (size_t i = 0; i < ngolden_dirs; i++)
		if (strcmp(golden_dirs[i], path) == 0)
			return BG_AUDIT_PATH_DIR;
	return BG_AUDIT_PATH_UNKNOWN;
}

static const bg_audit_context golden_ctx = { .machine = "x86_64", .path_type = golden_path };

/* "filter action prepend | syscalls | name op value; …" from our kernel form. */
static void kernel_text(const bg_audit_kernel_rule *k, char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "%s %s %d |", k->list, k->action, k->prepend);
	if (k->all_syscalls)
		n += (size_t)snprintf(out + n, cap - n, " all");
	for (size_t i = 0; i < k->nsyscalls && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, " %d", k->syscalls[i]);
	n += (size_t)snprintf(out + n, cap - n, " |");
	for (size_t i = 0; i < k->nfields && n < cap; i++) {
		const bg_audit_kfield *f = &k->fields[i];
		n += (size_t)snprintf(out + n, cap - n, " %s %s ", f->name, bg_audit_op_name(f->op));
		if (strcmp(f->name, "key") == 0) {
			for (const char *p = f->sval; *p && n < cap; p++)
				out[n++] = *p == 0x01 ? ',' : *p;
			out[n] = '\0';
		} else if (f->is_string) {
			n += (size_t)snprintf(out + n, cap - n, "%s", f->sval);
		} else if (strcmp(f->name, "arch") == 0) {
			n += (size_t)snprintf(out + n, cap - n, "0x%x", (unsigned)f->num);
		} else if (strcmp(f->name, "perm") == 0) {
			static const char letters[] = "xwra"; /* bits 1 2 4 8 */
			char p[5];
			size_t pn = 0;
			const int order[] = { 2, 1, 0, 3 };  /* r w x a */
			for (int j = 0; j < 4; j++)
				if (f->num & (1u << order[j]))
					p[pn++] = letters[order[j]];
			p[pn] = '\0';
			n += (size_t)snprintf(out + n, cap - n, "%s", p);
		} else {
			n += (size_t)snprintf(out + n, cap - n, "%d", (int)f->num);
		}
		n += (size_t)snprintf(out + n, cap - n, ";");
	}
}

static void decoded_text(json_object *d, char *out, size_t cap)
{
	json_object *v;
	size_t n = 0;
	json_object_object_get_ex(d, "filter", &v);
	n += (size_t)snprintf(out + n, cap - n, "%s ", json_object_get_string(v));
	json_object_object_get_ex(d, "action", &v);
	n += (size_t)snprintf(out + n, cap - n, "%s ", json_object_get_string(v));
	json_object_object_get_ex(d, "prepend", &v);
	n += (size_t)snprintf(out + n, cap - n, "%d |", json_object_get_boolean(v));
	json_object_object_get_ex(d, "syscalls", &v);
	if (json_object_is_type(v, json_type_string))
		n += (size_t)snprintf(out + n, cap - n, " all");
	else
		for (size_t i = 0; i < json_object_array_length(v); i++)
			n += (size_t)snprintf(out + n, cap - n, " %d",
					      json_object_get_int(json_object_array_get_idx(v, i)));
	n += (size_t)snprintf(out + n, cap - n, " |");
	json_object_object_get_ex(d, "fields", &v);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *f = json_object_array_get_idx(v, i);
		json_object *val = json_object_array_get_idx(f, 2);
		n += (size_t)snprintf(out + n, cap - n, " %s %s ",
				      json_object_get_string(json_object_array_get_idx(f, 0)),
				      json_object_get_string(json_object_array_get_idx(f, 1)));
		if (json_object_is_type(val, json_type_array)) {
			for (size_t j = 0; j < json_object_array_length(val); j++)
				n += (size_t)snprintf(out + n, cap - n, "%s%s", j ? "," : "",
						      json_object_get_string(
							      json_object_array_get_idx(val, j)));
		} else if (json_object_is_type(val, json_type_int)) {
			n += (size_t)snprintf(out + n, cap - n, "%d",
					      (int)(uint32_t)json_object_get_int64(val));
		} else {
			n += (size_t)snprintf(out + n, cap - n, "%s", json_object_get_string(val));
		}
		n += (size_t)snprintf(out + n, cap - n, ";");
	}
}

static void test_golden(const char *corpus)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/audit/go-libaudit-golden-decoded.jsonl", corpus);
	char *data = slurp(path, NULL);
	if (!ok(data != NULL, "read %s", path))
		return;
	/* First pass: the directories the golden run created. */
	for (char *p = data; (p = strstr(p, "\"flags\": \"-w ")); p++) {
		char *s = p + 13, *e = strchr(s, ' ');
		if (e && e[-1] == '/' && ngolden_dirs < 64 && (size_t)(e - s) < 256) {
			memcpy(golden_dirs[ngolden_dirs], s, (size_t)(e - s - 1));
			golden_dirs[ngolden_dirs++][e - s - 1] = '\0';
		}
	}
	char *save = NULL;
	int count = 0;
	for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_object *obj = NULL, *flags, *d, *file;
		bg_error err = { 0 };
		if (bg_json_parse_strict(l, strlen(l), "golden", &obj, &err) < 0)
			continue;
		json_object_object_get_ex(obj, "flags", &flags);
		json_object_object_get_ex(obj, "decoded", &d);
		json_object_object_get_ex(obj, "file", &file);
		const char *fl = json_object_get_string(flags);
		char store[8192], *argv[128];
		int argc = shell_split(fl, argv, 127, store);
		argv[argc] = NULL;
		bg_audit_rule r = { 0 };
		bg_auditrules_parse_argv(argc, argv, &golden_ctx, &r, &err);
		char got[8192] = "", want[8192] = "";
		bg_audit_kernel_rule k;
		if (!r.error && bg_auditnorm_kernel(&r, &golden_ctx, &k, &err) == 0) {
			kernel_text(&k, got, sizeof got);
			bg_audit_kernel_rule_clear(&k);
		} else {
			snprintf(got, sizeof got, "refused: %s", r.error ? r.error : err.message);
		}
		decoded_text(d, want, sizeof want);
		if (!ok(strcmp(got, want) == 0, "golden %s: %s", json_object_get_string(file), fl))
			tap_diag("got:  %s\n#   want: %s", got, want);
		count++;
		bg_audit_rule_clear(&r);
		json_object_put(obj);
	}
	ok(count == 126, "all 126 golden vectors were checked (%d)", count);
	free(data);
}

/* go-libaudit's rules files, read as `auditctl -R` would. */
static void test_corpus_rule_files(const char *corpus)
{
	static const char *const files[] = {
		"01-file-watch-spaces", "20-dont-audit", "22-ignore-chrony", "30-nispom",
		"30-pci-dss-v31", "30-stig", "32-power-abuse", "41-containers", "42-injection",
		"43-module-load", "70-einval", "71-networking",
	};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[4096];
		size_t len = 0;
		snprintf(path, sizeof path, "%s/audit/go-libaudit-testdata/%s.rules", corpus, files[i]);
		char *data = slurp(path, &len);
		bg_audit_ruleset set = { 0 };
		bg_error err = { 0 };
		int rc = data ? bg_auditrules_parse(path, NULL, data, len, NULL, &set, &err) : -1;
		size_t rules = 0;
		for (size_t j = 0; j < set.n; j++)
			rules += set.v[j].kind != BG_AUDIT_BLANK;
		if (i == 0) {
			/* Quoted paths: auditctl -R has no quotes, so line 1 fails. */
			ok(rc == 0 && set.first_error && set.first_error->line == 1,
			   "corpus %s.rules: quotes make auditctl -R refuse line 1", files[i]);
		} else {
			bool ok_all = rc == 0 && set.first_error == NULL;
			if (!ok(ok_all && rules > 0, "corpus %s.rules loads as auditctl -R (%zu rules)",
				files[i], rules) && set.first_error)
				tap_diag("%s:%u: %s", files[i], set.first_error->line,
					 set.first_error->error);
		}
		bg_audit_ruleset_free(&set);
		free(data);
	}
}

/* go-libaudit flag table: auditctl's verdict where the two differ. */
static void test_flag_vectors(const char *corpus)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/audit/go-libaudit-flags-parse-vectors.tsv", corpus);
	char *data = slurp(path, NULL);
	if (!ok(data != NULL, "read %s", path))
		return;
	char *save = NULL;
	for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (l[0] == '#')
			continue;
		char *t1 = strchr(l, '\t');
		if (!t1)
			continue;
		*t1 = '\0';
		char *expect = t1 + 1, *t2 = strchr(expect, '\t');
		if (t2)
			*t2 = '\0';
		/* go-libaudit tolerates "-D -D"; auditctl: "Wrong number of
		 * options for Delete all request". */
		const char *want = strcmp(l, "-D -D") == 0 ? "error" : expect;
		bg_audit_rule r;
		bg_error err = { 0 };
		bg_auditrules_parse_line(l, &image_ctx, &r, &err);
		if (!ok((r.error == NULL) == (strcmp(want, "ok") == 0), "flags vector %s: %s%s", want, l,
			strcmp(want, expect) ? " (go-libaudit says ok; auditctl refuses)" : ""))
			tap_diag("error: %s", r.error ? r.error : "(none)");
		bg_audit_rule_clear(&r);
	}
	free(data);
}

/* go-libaudit field table: list, field, op, value → ok/error and the value. */
static void test_field_vectors(const char *corpus)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/audit/go-libaudit-field-vectors.tsv", corpus);
	char *data = slurp(path, NULL);
	if (!ok(data != NULL, "read %s", path))
		return;
	char *save = NULL;
	for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (l[0] == '#')
			continue;
		char *col[6] = { 0 };
		int nc = 0;
		for (char *p = l; nc < 6; nc++) {
			col[nc] = p;
			char *t = strchr(p, '\t');
			if (!t) {
				nc++;
				break;
			}
			*t = '\0';
			p = t + 1;
		}
		if (nc < 5)
			continue;
		const char *list = strcmp(col[0], "any") == 0 ? "exit" : col[0];
		char value[400];
		if (strcmp(col[3], "<256 x's>") == 0 || strcmp(col[3], "<257 x's>") == 0) {
			size_t n = strcmp(col[3], "<256 x's>") == 0 ? 256 : 257;
			memset(value, 'x', n);
			value[n] = '\0';
		} else if (strcmp(col[3], "<name of gid 0>") == 0) {
			snprintf(value, sizeof value, "root");
		} else {
			snprintf(value, sizeof value, "%s", col[3]);
		}
		char line[1024];
		if (strncmp(col[1], "-C ", 3) == 0)
			snprintf(line, sizeof line, "-a always,%s %s", list, col[1]);
		else if (strcmp(col[1], "key") == 0)
			snprintf(line, sizeof line, "-a always,%s -S all -F %s%s%s", list, col[1], col[2],
				 value);
		else
			snprintf(line, sizeof line, "-a always,%s -F %s%s%s", list, col[1], col[2], value);
		bg_audit_rule r;
		bg_error err = { 0 };
		bg_auditrules_parse_line(line, &image_ctx, &r, &err);
		bool want_ok = strcmp(col[4], "ok") == 0;
		bool pass = (r.error == NULL) == want_ok;
		/* The stored value, when the note gives one. */
		const char *note = col[5] ? col[5] : "";
		const char *num = NULL;
		if (strncmp(note, "0x", 2) == 0)
			num = note;
		else if (strstr(note, "-> "))
			num = strstr(note, "-> ") + 3;
		else if (strstr(note, " = "))
			num = strstr(note, " = ") + 3;
		else if (strstr(note, "S_IFDIR "))
			num = strstr(note, "S_IFDIR ") + 8;
		else if (strstr(note, "value "))
			num = strstr(note, "value ") + 6;
		if (pass && want_ok && num && r.nfields &&
		    ((num[0] >= '0' && num[0] <= '9') || num[0] == '-' || num[0] == '+')) {
			uint32_t want = (uint32_t)strtoll(num, NULL, 0);
			pass = r.fields[r.nfields - 1].num == want;
			if (!pass)
				tap_diag("stored %u, want %u", (unsigned)r.fields[r.nfields - 1].num,
					 (unsigned)want);
		}
		if (!ok(pass, "field vector %s: %s", col[4], line))
			tap_diag("error: %s", r.error ? r.error : "(none)");
		bg_audit_rule_clear(&r);
	}
	free(data);
}

int main(void)
{
	const char *testdata = getenv("BOOTGATE_TESTDATA");
	const char *corpus = getenv("BOOTGATE_CORPUS_DIR");
	if (!testdata)
		testdata = "testdata";
	test_lines(testdata);
	test_limits();
	test_files(testdata);
	if (!corpus || !*corpus) {
		printf("ok %d - # SKIP corpus: BOOTGATE_CORPUS_DIR not set\n", ++tap_count);
		return tap_done();
	}
	test_golden(corpus);
	test_corpus_rule_files(corpus);
	test_flag_vectors(corpus);
	test_field_vectors(corpus);
	return tap_done();
}
