/* bootgate — BuildKit conformance: the parser against BuildKit's parser
 * testfiles and the shell lexer against BuildKit's lex test vectors.
 *
 *   conformance_buildkit parser      $BOOTGATE_CORPUS_DIR/buildkit-testfiles
 *   conformance_buildkit shell-lex   $BOOTGATE_CORPUS_DIR/buildkit-shell-lex
 *
 * One TAP point per case (named by the case), skip (77) without a corpus.
 * The drivers read the data as BuildKit's Go tests do (parser_test.go,
 * lex_test.go); see the PROVENANCE.md files next to the data. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/containerfile.h"
#include "bootgate/limits.h"
#include "bootgate/shellword.h"
#include "lib/util.h"
#include "tests/tap.h"

static char *read_all(const char *path, size_t *len)
{
	char *data = NULL;
	bg_error err = {0};
	if (bg_read_file(path, BG_MAX_CONTAINERFILE_BYTES, &data, len, &err) < 0)
		return NULL;
	return data;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted subdirectory names of dir. */
static bg_strv list_dir(const char *dir)
{
	bg_strv v = {0};
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			bg_strv_push(&v, e->d_name);
	if (d)
		closedir(d);
	if (v.n)
		qsort(v.v, v.n, sizeof *v.v, cmp_names);
	return v;
}

static int run_parser(const char *corpus)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/buildkit-testfiles/testfiles", corpus);
	bg_strv cases = list_dir(path);
	ok(cases.n == 33, "33 positive testfiles found (got %zu)", cases.n);
	for (size_t i = 0; i < cases.n; i++) {
		size_t len = 0, rlen = 0;
		snprintf(path, sizeof path, "%s/buildkit-testfiles/testfiles/%s/Dockerfile", corpus, cases.v[i]);
		char *src = read_all(path, &len);
		snprintf(path, sizeof path, "%s/buildkit-testfiles/testfiles/%s/result", corpus, cases.v[i]);
		char *want = read_all(path, &rlen);
		bg_containerfile *cf = NULL;
		bg_error err = {0};
		char *got = NULL;
		if (src && want && bg_containerfile_parse(src, len, cases.v[i], &cf, &err) == 0)
			got = bg_containerfile_dump(cf);
		bool same = got && want && strcmp(got, want) == 0;
		ok(same, "testfiles/%s: parses and dumps as BuildKit's result", cases.v[i]);
		if (!same)
			tap_diag("error: %s\n# got:\n%s\n# want:\n%s", err.message, got ? got : "(none)",
				 want ? want : "(none)");
		free(got);
		bg_containerfile_free(cf);
		free(src);
		free(want);
	}
	bg_strv_free(&cases);

	snprintf(path, sizeof path, "%s/buildkit-testfiles/testfiles-negative", corpus);
	cases = list_dir(path);
	ok(cases.n == 4, "4 negative testfiles found (got %zu)", cases.n);
	for (size_t i = 0; i < cases.n; i++) {
		size_t len = 0;
		snprintf(path, sizeof path, "%s/buildkit-testfiles/testfiles-negative/%s/Dockerfile", corpus,
			 cases.v[i]);
		char *src = read_all(path, &len);
		bg_containerfile *cf = NULL;
		bg_error err = {0};
		int rc = src ? bg_containerfile_parse(src, len, cases.v[i], &cf, &err) : 0;
		ok(src && rc == BG_E_INPUT && err.message[0], "testfiles-negative/%s: rejected (%s)", cases.v[i],
		   err.message);
		bg_containerfile_free(cf);
		free(src);
	}
	bg_strv_free(&cases);

	/* TestParseIncludesLineNumbers */
	size_t len = 0;
	snprintf(path, sizeof path, "%s/buildkit-testfiles/testfile-line/Dockerfile", corpus);
	char *src = read_all(path, &len);
	bg_containerfile *cf = NULL;
	bg_error err = {0};
	bool good = src && bg_containerfile_parse(src, len, "testfile-line", &cf, &err) == 0 && cf->n == 3 &&
		    cf->v[0].start_line == 5 && cf->v[0].end_line == 5 && cf->v[1].start_line == 11 &&
		    cf->v[1].end_line == 12 && cf->v[2].start_line == 17 && cf->v[2].end_line == 31;
	ok(good, "testfile-line: 3 instructions at lines {5,5},{11,12},{17,31}");
	bg_containerfile_free(cf);
	free(src);
	return tap_done();
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* lex_test.go TestShellParser4EnvVars: "PLATFORM|input|expected". */
static void run_env_var_test(const char *corpus)
{
	char path[4096], line[4096];
	snprintf(path, sizeof path, "%s/buildkit-shell-lex/envVarTest", corpus);
	FILE *f = fopen(path, "r");
	ok(f != NULL, "envVarTest readable");
	bg_shell_var vars[] = {{"PWD", "/home"}, {"SHELL", "bash"}, {"KOREAN", "한국어"}, {"NULL", ""}};
	bg_shell_env env = {vars, 4};
	unsigned lineno = 0;
	while (f && fgets(line, sizeof line, f)) {
		lineno++;
		if (line[0] == '#')
			continue;
		char *l = trim(line);
		if (!*l)
			continue;
		char *p1 = strchr(l, '|'), *p2 = p1 ? strchr(p1 + 1, '|') : NULL;
		if (!p2) {
			ok(false, "envVarTest:%u: malformed line", lineno);
			continue;
		}
		*p1 = *p2 = '\0';
		char *plat = trim(l), *src = trim(p1 + 1), *want = trim(p2 + 1);
		if (strcmp(plat, "A") != 0 && strcmp(plat, "U") != 0)
			continue; /* Windows-only vectors */
		char *got = NULL;
		bg_error err = {0};
		int rc = bg_shell_word(src, '\\', &env, &got, NULL, &err);
		if (strcmp(want, "error") == 0) {
			ok(rc == BG_E_INPUT, "envVarTest:%u: %s fails", lineno, src);
			if (rc == 0)
				tap_diag("got: %s", got);
		} else {
			is_str(rc == 0 ? got : err.message, want, "envVarTest:%u: %s -> %s", lineno, src, want);
		}
		free(got);
	}
	if (f)
		fclose(f);
}

/* lex_test.go TestShellParser4Words: "input | w1,w2" with ENV lines. */
static void run_words_test(const char *corpus)
{
	char path[4096], line[4096];
	snprintf(path, sizeof path, "%s/buildkit-shell-lex/wordsTest", corpus);
	FILE *f = fopen(path, "r");
	ok(f != NULL, "wordsTest readable");
	bg_shell_var vars[64];
	bg_strv store = {0};
	size_t nvars = 0;
	unsigned lineno = 0;
	while (f && fgets(line, sizeof line, f)) {
		lineno++;
		size_t n = strlen(line);
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (line[0] == '#')
			continue;
		if (strncmp(line, "ENV ", 4) == 0) {
			char *kv = line + 3;
			while (*kv == ' ')
				kv++;
			char *eq = strchr(kv, '=');
			if (eq && nvars < 64) {
				*eq = '\0';
				bg_strv_push(&store, kv);
				bg_strv_push(&store, eq + 1);
				nvars++;
			}
			continue;
		}
		char *bar = strchr(line, '|');
		if (!bar || strchr(bar + 1, '|')) {
			ok(false, "wordsTest:%u: malformed line", lineno);
			continue;
		}
		*bar = '\0';
		char *input = trim(line), *want = bar + 1;
		while (*want == ' ')
			want++;
		for (size_t i = 0; i < nvars; i++)
			vars[i] = (bg_shell_var){store.v[2 * i], store.v[2 * i + 1]};
		bg_shell_env env = {vars, nvars};
		bg_strv words = {0};
		bg_error err = {0};
		bg_strbuf got = {0};
		if (bg_shell_words(input, '\\', &env, &words, &err) < 0)
			bg_strbuf_puts(&got, "error");
		for (size_t i = 0; i < words.n; i++) {
			if (i)
				bg_strbuf_putc(&got, ',');
			bg_strbuf_puts(&got, words.v[i]);
		}
		bg_strbuf_add(&got, "", 0);
		is_str(got.s, want, "wordsTest:%u: %s -> %s", lineno, input, want);
		bg_strbuf_free(&got);
		bg_strv_free(&words);
	}
	bg_strv_free(&store);
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	const char *corpus = getenv("BOOTGATE_CORPUS_DIR");
	if (!corpus || !*corpus)
		return tap_skip_all("BOOTGATE_CORPUS_DIR is not set");
	if (argc > 1 && strcmp(argv[1], "parser") == 0)
		return run_parser(corpus);
	if (argc > 1 && strcmp(argv[1], "shell-lex") == 0) {
		run_env_var_test(corpus);
		run_words_test(corpus);
		return tap_done();
	}
	fprintf(stderr, "usage: %s parser|shell-lex\n", argv[0]);
	return 2;
}
