/* Unit tests: the Containerfile parser (parse, validate, dump, lookups) and
 * stage resolution.  Data-driven cases live in testdata/containerfile:
 *   parse/<case>.containerfile + <case>.dump    must parse and dump exactly so
 *   reject/<case>.containerfile + <case>.error  must fail (parse or validate);
 *                                               .error = "<line>\n<message part>\n" */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/containerfile.h"
#include "bootgate/limits.h"
#include "bootgate/stages.h"
#include "lib/util.h"
#include "tests/tap.h"

static const char *testdata(void)
{
	const char *d = getenv("BOOTGATE_TESTDATA");
	return d ? d : "testdata";
}

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	bg_error err = {0};
	size_t n = 0;
	if (bg_read_file(path, BG_MAX_CONTAINERFILE_BYTES, &data, &n, &err) < 0)
		return NULL;
	if (len)
		*len = n;
	return data;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Case names (files ending in suffix, suffix removed), sorted. */
static bg_strv cases(const char *dir, const char *suffix)
{
	bg_strv v = {0};
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t sl = strlen(suffix);
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > sl && strcmp(e->d_name + n - sl, suffix) == 0)
			bg_strv_push_take(&v, bg_strndup(e->d_name, n - sl));
	}
	if (d)
		closedir(d);
	if (v.n)
		qsort(v.v, v.n, sizeof *v.v, cmp_names);
	return v;
}

static bg_containerfile *parse_str(const char *src, bg_error *err)
{
	bg_containerfile *cf = NULL;
	bg_error local = {0};
	if (bg_containerfile_parse(src, strlen(src), "t", &cf, err ? err : &local) < 0)
		return NULL;
	return cf;
}

/* parse + validate; returns the status, err filled. */
static int load(const char *src, size_t len, bg_containerfile **out, bg_error *err)
{
	bg_containerfile *cf = NULL;
	int rc = bg_containerfile_parse(src, len, "t", &cf, err);
	if (rc == 0)
		rc = bg_containerfile_validate(cf, err);
	if (out && rc == 0)
		*out = cf;
	else
		bg_containerfile_free(cf);
	return rc;
}

static void test_parse_cases(void)
{
	char dir[1024], path[4096];
	snprintf(dir, sizeof dir, "%s/containerfile/parse", testdata());
	bg_strv names = cases(dir, ".containerfile");
	ok(names.n >= 9, "parse cases found in %s (%zu)", dir, names.n);
	for (size_t i = 0; i < names.n; i++) {
		size_t len = 0;
		snprintf(path, sizeof path, "%s/%s.containerfile", dir, names.v[i]);
		char *src = slurp(path, &len);
		snprintf(path, sizeof path, "%s/%s.dump", dir, names.v[i]);
		char *want = slurp(path, NULL);
		bg_containerfile *cf = NULL;
		bg_error err = {0};
		char *got = NULL;
		if (src && bg_containerfile_parse(src, len, names.v[i], &cf, &err) == 0)
			got = bg_containerfile_dump(cf);
		is_str(got ? got : err.message, want, "parse/%s dumps as expected", names.v[i]);
		free(got);
		free(src);
		free(want);
		bg_containerfile_free(cf);
	}
	bg_strv_free(&names);
}

static void test_reject_cases(void)
{
	char dir[1024], path[4096];
	snprintf(dir, sizeof dir, "%s/containerfile/reject", testdata());
	bg_strv names = cases(dir, ".containerfile");
	ok(names.n >= 30, "reject cases found in %s (%zu)", dir, names.n);
	for (size_t i = 0; i < names.n; i++) {
		size_t len = 0;
		snprintf(path, sizeof path, "%s/%s.containerfile", dir, names.v[i]);
		char *src = slurp(path, &len);
		snprintf(path, sizeof path, "%s/%s.error", dir, names.v[i]);
		char *want = slurp(path, NULL);
		unsigned line = 0;
		char *msg = want ? strchr(want, '\n') : NULL;
		if (msg) {
			line = (unsigned)strtoul(want, NULL, 10);
			msg++;
			msg[strcspn(msg, "\n")] = '\0';
		}
		bg_error err = {0};
		int rc = src ? load(src, len, NULL, &err) : 0;
		bool good = rc == BG_E_INPUT && msg && strstr(err.message, msg) && err.line == line;
		ok(good, "reject/%s fails at line %u with \"%s\"", names.v[i], line, msg ? msg : "?");
		if (!good)
			tap_diag("rc %d, line %u: %s", rc, err.line, err.message);
		free(src);
		free(want);
	}
	bg_strv_free(&names);
}

static void test_error_format(void)
{
	bg_error err = {0};
	bg_containerfile *cf = NULL;
	const char *src = "FROM a\nFROMM b\n";
	ok(bg_containerfile_parse(src, strlen(src), "dir/Containerfile", &cf, &err) == 0, "misspelt instruction parses");
	ok(bg_containerfile_validate(cf, &err) == BG_E_INPUT, "misspelt instruction fails validation");
	ok(strncmp(err.message, "dir/Containerfile:2: unknown instruction: FROMM", 47) == 0,
	   "error names file and line: %s", err.message);
	bg_containerfile_free(cf);

	/* a physical line over 64 KiB is refused, one at the limit is not */
	size_t n = BG_MAX_CONTAINERFILE_LINE;
	char *big = malloc(n + 64);
	strcpy(big, "FROM a\nRUN ");
	size_t used = strlen(big);
	memset(big + used, 'x', n - 4);
	big[used + n - 4] = '\n';
	big[used + n - 3] = '\0';
	ok(load(big, strlen(big), NULL, &err) == 0, "a 65535-byte line is accepted");
	big[used + n - 4] = 'x';
	big[used + n - 3] = 'x';
	big[used + n - 2] = '\n';
	big[used + n - 1] = '\0';
	ok(load(big, strlen(big), NULL, &err) == BG_E_INPUT && err.line == 2 &&
		   strstr(err.message, "dockerfile line greater than max allowed size of 65535"),
	   "a 65536-byte line is refused at its line: %s", err.message);
	free(big);

	ok(load("\x7f" "ELF\x02\x01\x01\0\0\0", 10, NULL, &err) == BG_E_INPUT && strstr(err.message, "NUL byte"),
	   "binary input is refused: %s", err.message);
}

static void test_directives(void)
{
	bg_error err = {0};
	bg_containerfile *cf = parse_str("# syntax = docker/dockerfile:1.7@sha256:abc  \n#CHECK=skip=all\n"
					 "# escape=`\n\n# escape=\\\nFROM a\n",
					 &err);
	ok(cf && cf->n_directives == 3, "three directives recorded");
	if (cf && cf->n_directives == 3) {
		is_str(cf->directives[0].name, "syntax", "directive 1 name");
		is_str(cf->directives[0].value, "docker/dockerfile:1.7@sha256:abc", "directive value trimmed");
		is_int(cf->directives[0].line, 1, "directive 1 line");
		is_str(cf->directives[1].name, "check", "key is case-insensitive (CHECK)");
		is_str(cf->directives[1].value, "skip=all", "check value kept");
		is_int(cf->escape, '`', "escape directive sets the escape");
		/* a blank line ends directives: the later "# escape=\" is a comment */
		is_int(cf->v[0].n_comments, 1, "comment after the blank line belongs to FROM");
		is_str(cf->v[0].comments[0].text, "escape=\\", "and is the ended directive's text");
	}
	bg_containerfile_free(cf);

	cf = parse_str("FROM a\n# escape=`\nRUN x \\\n  y\n", NULL);
	ok(cf && cf->n_directives == 0 && cf->escape == '\\', "a directive after an instruction is a comment");
	bg_containerfile_free(cf);

	cf = parse_str("   # escape = `\nFROM a\n", NULL);
	ok(cf && cf->escape == '`', "leading white space before a directive is allowed");
	bg_containerfile_free(cf);

	cf = parse_str("#!/usr/bin/env docker\n# syntax=x\nFROM a\n", NULL);
	ok(cf && cf->n_directives == 0, "a shebang line ends directive scanning (parser.Parse)");
	bg_containerfile_free(cf);
}

static void test_comments_and_lines(void)
{
	const char *src = "# syntax=x\n"
			  "# first\n"
			  "#\n"
			  "# bootgate ignore=base-unpinned reason=\"vendor\"\n"
			  "\n"
			  "FROM a\n"
			  "RUN one \\\n"
			  "# inside\n"
			  "\n"
			  "  two\n"
			  "  # trailing\n"
			  "RUN three\n";
	bg_containerfile *cf = parse_str(src, NULL);
	ok(cf && cf->n == 3, "three instructions");
	if (!cf || cf->n != 3) {
		bg_containerfile_free(cf);
		return;
	}
	is_int(cf->v[0].n_comments, 1, "a bare '#' resets the comments; directives are not comments");
	is_str(cf->v[0].comments[0].text, "bootgate ignore=base-unpinned reason=\"vendor\"", "comment text");
	is_int(cf->v[0].comments[0].line, 4, "comment line number");
	is_int(cf->v[1].start_line, 7, "continued RUN starts at 7");
	is_int(cf->v[1].end_line, 10, "and ends at 10");
	is_str(cf->v[1].args[0].s, "one   two", "comment and blank lines inside a continuation are dropped");
	is_int(cf->v[1].n_comments, 0, "comments inside a continuation are not PrevComment");
	is_int(cf->n_empty_continuation_lines, 1, "one empty continuation line");
	is_int(cf->empty_continuation_lines[0], 9, "at line 9");
	is_int(cf->v[2].n_comments, 1, "a comment after the continuation belongs to the next instruction");
	is_int(cf->v[2].start_line, 12, "RUN three at line 12");

	size_t len = 0;
	const char *l = bg_containerfile_line(cf, 10, &len);
	ok(l && len == 5 && memcmp(l, "  two", 5) == 0, "raw line 10 is '  two'");
	ok(bg_containerfile_line(cf, 13, &len) == NULL, "line past the end is NULL");
	bg_containerfile_free(cf);

	cf = parse_str("\xEF\xBB\xBF" "FROM  alpine:3 AS b\r\nCOPY --from=b \\\r\n   /x /y\r\n", NULL);
	unsigned line, col;
	ok(cf && bg_containerfile_line(cf, 1, &len) && len == 19, "line 1 without BOM and CR");
	ok(cf && bg_containerfile_locate(cf, &cf->v[0], "alpine:3", &line, &col) == 0 && line == 1 && col == 7,
	   "FROM image located at 1:7 (BOM not counted)");
	ok(cf && bg_containerfile_locate(cf, &cf->v[1], "/x", &line, &col) == 0 && line == 3 && col == 4,
	   "text on a continuation line located at 3:4");
	ok(cf && bg_containerfile_locate(cf, &cf->v[1], "nowhere", &line, &col) == -1 && line == 2 && col == 1,
	   "missing text gives -1 and the start line");
	bg_containerfile_free(cf);
}

static void test_corpus_lines(void)
{
	const char *corpus = getenv("BOOTGATE_CORPUS_DIR");
	char path[4096];
	if (!corpus || !*corpus) {
		printf("ok %d - # SKIP testfile-line: BOOTGATE_CORPUS_DIR not set\n", ++tap_count);
		return;
	}
	snprintf(path, sizeof path, "%s/buildkit-testfiles/testfile-line/Dockerfile", corpus);
	size_t len = 0;
	char *src = slurp(path, &len);
	bg_containerfile *cf = NULL;
	bg_error err = {0};
	bool good = src && bg_containerfile_parse(src, len, "testfile-line", &cf, &err) == 0 && cf->n == 3 &&
		    cf->v[0].start_line == 5 && cf->v[0].end_line == 5 && cf->v[1].start_line == 11 &&
		    cf->v[1].end_line == 12 && cf->v[2].start_line == 17 && cf->v[2].end_line == 31;
	ok(good, "corpus testfile-line: lines {5,5},{11,12},{17,31}");
	bg_containerfile_free(cf);
	free(src);
}

static void test_heredocs(void)
{
	const char *src = "FROM a\n"
			  "RUN <<-'EOT' 3<<\"X\" cat\n"
			  "\tbody $NAME\n"
			  "\tEOT\n"
			  "x\n"
			  "X\n"
			  "COPY <<X <<Y /dest\nY\nX\nX\nY\n"
			  "RUN <<eo\\'f\nfoo\neo'f\n"
			  "RUN <<  EOF  > foo\nEOF\n"
			  "RUN << -EOF\n-EOF\n"
			  "RUN [\"<<EOF\"]\n";
	bg_containerfile *cf = parse_str(src, NULL);
	ok(cf && cf->n == 7, "heredoc file parses to 7 instructions");
	if (!cf || cf->n != 7) {
		bg_containerfile_free(cf);
		return;
	}
	bg_instruction *r = &cf->v[1];
	ok(r->n_heredocs == 2, "two heredocs on one RUN line");
	if (r->n_heredocs == 2) {
		is_str(r->heredocs[0].name, "EOT", "quoted name unquoted");
		ok(!r->heredocs[0].expand && r->heredocs[0].chomp, "quoted: no expansion; <<- chomps");
		is_str(r->heredocs[0].content, "\tbody $NAME\n", "content kept raw, tabs not removed");
		is_int(r->heredocs[1].fd, 3, "fd prefix 3<<");
		is_str(r->heredocs[1].content, "x\n", "second body read after the first");
	}
	is_int(r->end_line, 6, "heredoc bodies count in the instruction's lines");
	bg_instruction *c = &cf->v[2];
	ok(c->n_heredocs == 2 && !strcmp(c->heredocs[0].content, "Y\n") && !strcmp(c->heredocs[1].content, "X\n"),
	   "COPY <<X <<Y: X=\"Y\\n\", Y=\"X\\n\"");
	ok(cf->v[3].n_heredocs == 1 && !strcmp(cf->v[3].heredocs[0].name, "eo'f") && cf->v[3].heredocs[0].expand,
	   "<<eo\\'f: name eo'f, expanded");
	ok(cf->v[4].n_heredocs == 1 && !strcmp(cf->v[4].heredocs[0].name, "EOF"), "<<  EOF  > foo: name EOF");
	ok(cf->v[5].n_heredocs == 1 && !strcmp(cf->v[5].heredocs[0].name, "-EOF"), "<< -EOF: name -EOF");
	ok(cf->v[6].n_heredocs == 0 && cf->v[6].json, "JSON form has no heredocs");
	bg_containerfile_free(cf);

	/* ParseHeredoc table (parser_heredoc_test.go) */
	static const char *const valid[] = {"<<EOF",  "<<'EOF'", "<<\"EOF\"", "<<-EOF",  "<<-'EOF'",
					    "<<-\"EOF\"", "<<EO\"F\"", "<< EOF",  "<<- EOF"};
	static const char *const invalid[] = {"<<'EOF", "<<\"EOF", "<<EOF'", "<<EOF\""};
	static const char *const not_heredoc[] = {"", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh"};
	for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
		bg_heredoc h;
		bg_error err = {0};
		int rc = bg_containerfile_heredoc_parse(valid[i], &h, &err);
		ok(rc == 1 && !strcmp(h.name, "EOF"), "heredoc %s: name EOF", valid[i]);
		if (rc == 1)
			free(h.name);
	}
	for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
		bg_heredoc h;
		bg_error err = {0};
		int rc = bg_containerfile_heredoc_parse(invalid[i], &h, &err);
		ok(rc == BG_E_INPUT && strstr(err.message, "unexpected end of statement"), "heredoc %s: error (%s)",
		   invalid[i], err.message);
	}
	for (size_t i = 0; i < sizeof not_heredoc / sizeof *not_heredoc; i++) {
		bg_heredoc h;
		bg_error err = {0};
		ok(bg_containerfile_heredoc_parse(not_heredoc[i], &h, &err) == 0, "'%s' is not a heredoc",
		   not_heredoc[i]);
	}
	bg_heredoc h;
	bg_error err = {0};
	ok(bg_containerfile_heredoc_parse("<<'e'o\\'f", &h, &err) == 1 && !strcmp(h.name, "eo'f") && !h.expand,
	   "<<'e'o\\'f: name eo'f, not expanded");
	free(h.name);
	ok(bg_containerfile_heredoc_parse("<<$EOF", &h, &err) == 1 && !strcmp(h.name, "$EOF") && h.expand,
	   "<<$EOF: name $EOF");
	free(h.name);

	cf = parse_str("FROM a\nUSER <<X\nRUN x\n", NULL);
	ok(cf && cf->n == 3 && cf->v[1].n_heredocs == 0, "USER <<X is no heredoc: the next line is an instruction");
	bg_containerfile_free(cf);
	cf = parse_str("FROM a\nONBUILD COPY <<F /f\nhello\nF\n", NULL);
	ok(cf && cf->n == 2 && cf->v[1].n_heredocs == 1 && !strcmp(cf->v[1].heredocs[0].content, "hello\n"),
	   "ONBUILD COPY carries its heredoc");
	bg_containerfile_free(cf);
	cf = parse_str("FROM a\nRUN <<'EOF\nEOF\n", NULL);
	ok(cf && cf->n == 3 && cf->v[1].n_heredocs == 0, "a RUN line with unbalanced quotes has no heredoc");
	bg_containerfile_free(cf);
}

static void test_flags_and_args(void)
{
	bg_containerfile *cf = parse_str("FROM a\n"
					 "RUN --mount=type=cache,target=/c --mount=\"type=bind,from=Build,\"\"target\"\"=/s\" "
					 "--network=none make\n"
					 "COPY --link --from=0 --chmod=644 a b\n"
					 "CMD --doit [ \"a\", \"b\" ]\n",
					 NULL);
	ok(cf && cf->n == 4, "flags file parses");
	if (!cf || cf->n != 4) {
		bg_containerfile_free(cf);
		return;
	}
	bg_instruction *run = &cf->v[1];
	size_t pos = 0;
	const char *m1 = bg_containerfile_flag_next(run, "mount", &pos);
	const char *m2 = bg_containerfile_flag_next(run, "mount", &pos);
	ok(m1 && !strcmp(m1, "type=cache,target=/c"), "first --mount");
	ok(m2 && !strcmp(m2, "type=bind,from=Build,target=/s"), "second --mount, shell quotes removed: %s",
	   m2 ? m2 : "");
	ok(bg_containerfile_flag_next(run, "mount", &pos) == NULL, "no third --mount");
	is_str(bg_containerfile_flag(run, "network"), "none", "--network value");
	ok(bg_containerfile_flag(run, "net") == NULL, "a prefix of a flag name does not match");
	is_str(bg_containerfile_flag(&cf->v[2], "link"), "", "bare --link gives \"\"");
	is_str(bg_containerfile_flag(&cf->v[2], "from"), "0", "--from=0");
	ok(cf->v[3].json && cf->v[3].n_args == 2 && cf->v[3].n_flags == 1, "CMD --doit [..]: flag then JSON args");

	bg_mount m;
	bg_error err = {0};
	ok(bg_containerfile_mount_parse(m2, &m, &err) == 0, "mount CSV parses");
	is_str(bg_containerfile_mount_get(&m, "from"), "Build", "mount from=");
	is_str(bg_containerfile_mount_get(&m, "target"), "/s", "mount target=");
	bg_containerfile_mount_free(&m);
	ok(bg_containerfile_mount_parse("type=bind,\"target=/a,b\",\"x=\"\"q\"\"\"", &m, &err) == 0 && m.n == 3,
	   "CSV quoted fields keep commas");
	is_str(bg_containerfile_mount_get(&m, "target"), "/a,b", "quoted field target=/a,b");
	is_str(bg_containerfile_mount_get(&m, "x"), "\"q\"", "doubled quotes in a quoted field");
	bg_containerfile_mount_free(&m);
	ok(bg_containerfile_mount_parse("target=/x,ro,FROM=img", &m, &err) == 0, "mount without type parses");
	is_str(bg_containerfile_mount_get(&m, "type"), "bind", "type defaults to bind");
	is_str(bg_containerfile_mount_get(&m, "from"), "img", "keys are lower-cased");
	ok(m.n == 3 && m.v[1].value == NULL, "a field without '=' has no value");
	bg_containerfile_mount_free(&m);
	ok(bg_containerfile_mount_parse("", &m, &err) == BG_E_INPUT, "empty --mount is an error");
	ok(bg_containerfile_mount_parse("\"type=bind", &m, &err) == BG_E_INPUT, "unterminated CSV quote is an error");
	bg_containerfile_free(cf);

	/* validation accepts what BuildKit accepts */
	const char *good = "ARG BASE=alpine\n"
			   "FROM --platform=$BUILDPLATFORM ${BASE} AS build\n"
			   "COPY --from=build --chown=1:1 --chmod=755 --link --parents --exclude=*.md --exclude=*.txt a b\n"
			   "ADD --checksum=sha256:abc --keep-git-dir=false --unpack=TRUE https://x/y /z\n"
			   "RUN --mount=type=secret,id=t --network=host --security=insecure --device=a true\n"
			   "HEALTHCHECK --interval=1m30s --timeout=0s --start-period=1.5s --start-interval=5s --retries=0 CMD true\n"
			   "ONBUILD RUN make\n"
			   "SHELL [\"/bin/sh\", \"-c\"]\n"
			   "ENTRYPOINT []\n";
	ok(load(good, strlen(good), NULL, &err) == 0, "every accepted flag validates (%s)", err.message);
}

static void test_onbuild_and_json(void)
{
	bg_containerfile *cf = parse_str("FROM a\nONBUILD --x RUN y\nonbuild copy --from=b / /\n", NULL);
	ok(cf && cf->v[1].trigger && !strcmp(cf->v[1].trigger->keyword, "run"), "ONBUILD keeps its trigger");
	ok(cf && cf->v[1].n_flags == 1, "flags before the trigger belong to ONBUILD");
	ok(cf && cf->v[2].trigger && !strcmp(bg_containerfile_flag(cf->v[2].trigger, "from"), "b"),
	   "the trigger's own flags are parsed (ONBUILD COPY --from=b)");
	bg_error err = {0};
	ok(cf && bg_containerfile_validate(cf, &err) == BG_E_INPUT && strstr(err.message, "unknown flag: --x"),
	   "ONBUILD's own flags are validated: %s", err.message);
	bg_containerfile_free(cf);

	cf = parse_str("FROM a\nCMD [\"a\", 1, \"b\"\nCMD [\"a\" \"b\"]\nRUN [\"a\\u0000b\"]\n", NULL);
	ok(cf && !cf->v[1].json && !cf->v[2].json, "invalid JSON falls back to shell form");
	ok(cf && cf->v[3].json && cf->v[3].args[0].len == 3 && cf->v[3].args[0].s[1] == '\0',
	   "\\u0000 decodes to a NUL inside the argument (len 3)");
	char *d = cf ? bg_containerfile_dump(cf) : NULL;
	ok(d && strstr(d, "(run \"a\\x00b\")"), "and dumps as \\x00");
	free(d);
	bg_containerfile_free(cf);
	ok(parse_str("FROM a\nRUN [\"a\", {\"k\": 1}]\n", &err) == NULL &&
		   strstr(err.message, "arrays must be comprised of strings only") && err.line == 2,
	   "valid JSON with a non-string is an error");
}

/* Parse src and resolve its stages; *cfp keeps the file the stages point into. */
static bg_stages resolve(const char *src, const char *const *args, size_t n, bg_containerfile **cfp,
			 bg_error *err, int *rc)
{
	bg_stages st = {0};
	*cfp = NULL;
	*rc = bg_containerfile_parse(src, strlen(src), "t", cfp, err);
	if (*rc == 0)
		*rc = bg_stages_resolve(*cfp, "linux/arm64/v8", args, n, &st, err);
	return st;
}

static void test_stages(void)
{
	bg_error err = {0};
	bg_containerfile *cf;
	int rc;
	const char *src = "ARG REG=registry.example.com\n"
			  "ARG IMG=$REG/base\n"
			  "ARG TAG\n"
			  "ARG DEF=${TAG:-9}\n"
			  "FROM ${IMG}:${TAG} AS Build\n"
			  "FROM --platform=$BUILDPLATFORM ${IMG}:${DEF}\n"
			  "FROM build\n"
			  "FROM Build\n"
			  "FROM scratch AS final\n"
			  "FROM $UNDECLARED\n"
			  "FROM ${TARGETOS}/${TARGETARCH}${TARGETVARIANT:+/}${TARGETVARIANT}\n"
			  "FROM busy${IMG#*/}\n";
	bg_stages st = resolve(src, NULL, 0, &cf, &err, &rc);
	ok(rc == 0 && st.n == 8, "eight stages (%s)", err.message);
	if (st.n == 8) {
		is_str(st.v[0].image, "registry.example.com/base:", "meta ARG defaults expand with earlier ones");
		is_str(st.v[0].name, "build", "AS name lower-cased");
		ok(st.v[0].n_unresolved == 1 && !strcmp(st.v[0].unresolved[0], "TAG"),
		   "ARG without default and no build arg is unresolved");
		is_str(st.v[1].image, "registry.example.com/base:9", "${TAG:-9} takes the default");
		is_int(st.v[1].n_unresolved, 0, "a default used is not unresolved");
		is_str(st.v[1].platform, "linux/arm64/v8", "--platform=$BUILDPLATFORM expands");
		ok(st.v[2].kind == BG_BASE_STAGE && st.v[2].base_stage == 0, "FROM build refers to stage 0");
		ok(st.v[3].kind == BG_BASE_IMAGE, "FROM Build (upper case) is not a stage");
		ok(st.v[4].kind == BG_BASE_SCRATCH, "FROM scratch");
		ok(!strcmp(st.v[5].image, "") && st.v[5].n_unresolved == 1 && !strcmp(st.v[5].unresolved[0], "UNDECLARED"),
		   "undeclared variable: empty image, unresolved");
		is_str(st.v[6].image, "linux/arm64/v8", "built-in TARGET* args");
		is_str(st.v[7].image, "busybase", "${IMG#*/} trims the shortest prefix");

		size_t idx = 99;
		ok(bg_stages_find(&st, "0", &idx, &err) == 1 && idx == 0, "--from=0 is stage 0");
		ok(bg_stages_find(&st, "BUILD", &idx, &err) == 1 && idx == 0, "--from=BUILD matches case-insensitively");
		ok(bg_stages_find(&st, "final", &idx, &err) == 1 && idx == 4, "--from=final (a later stage too)");
		ok(bg_stages_find(&st, "nginx:1.25", &idx, &err) == 0, "--from=nginx:1.25 is an image");
		ok(bg_stages_find(&st, "8", &idx, &err) == BG_E_INPUT && strstr(err.message, "invalid stage index 8"),
		   "--from=8 is out of range: %s", err.message);
		ok(bg_stages_find(&st, "-1", &idx, &err) == BG_E_INPUT, "--from=-1 is out of range");
	}
	bg_stages_free(&st);
	bg_containerfile_free(cf);

	const char *const args[] = {"TAG=1.2", "REG=mirror.local"};
	st = resolve(src, args, 2, &cf, &err, &rc);
	ok(rc == 0 && st.n == 8 && !strcmp(st.v[0].image, "mirror.local/base:1.2") && st.v[0].n_unresolved == 0,
	   "build args override defaults and give values");
	ok(rc == 0 && st.n == 8 && !strcmp(st.v[1].image, "mirror.local/base:1.2"),
	   "the overridden value flows into later defaults");
	bg_stages_free(&st);
	bg_containerfile_free(cf);

	st = resolve("FROM \"alpine\n", NULL, 0, &cf, &err, &rc);
	ok(rc == BG_E_INPUT && err.line == 1 && strstr(err.message, "double-quote"),
	   "unbalanced quote in FROM fails with its line: %s", err.message);
	bg_stages_free(&st);
	bg_containerfile_free(cf);
	st = resolve("ARG X=1\nRUN true\nFROM a\nFROM ${X\n", NULL, 0, &cf, &err, &rc);
	ok(rc == BG_E_INPUT && err.line == 4 && strstr(err.message, "missing '}'"),
	   "unterminated ${ in FROM fails with its line: %s", err.message);
	bg_stages_free(&st);
	bg_containerfile_free(cf);
	st = resolve("ARG X=${\nFROM a\n", NULL, 0, &cf, &err, &rc);
	ok(rc == BG_E_INPUT && err.line == 1, "a bad meta ARG default fails with its line: %s", err.message);
	bg_stages_free(&st);
	bg_containerfile_free(cf);
	const char *const bad[] = {"NOEQUALS"};
	st = resolve("FROM a\n", bad, 1, &cf, &err, &rc);
	ok(rc == BG_E_USAGE, "a build arg without '=' is a usage error");
	bg_stages_free(&st);
	bg_containerfile_free(cf);
}

int main(void)
{
	test_parse_cases();
	test_reject_cases();
	test_error_format();
	test_directives();
	test_comments_and_lines();
	test_corpus_lines();
	test_heredocs();
	test_flags_and_args();
	test_onbuild_and_json();
	test_stages();
	return tap_done();
}
