/* Unit tests: BuildKit shell word expansion (shell/lex.go semantics).
 * BuildKit's own vectors run in tests/conformance (buildkit-shell-lex); these
 * cover what they do not: the environment API (NULL values, last wins),
 * unmatched/unresolved reporting, the #/%/ / patterns, lexer switches,
 * Unicode names, invalid UTF-8 and the nesting limit. */
#include <stdlib.h>
#include <string.h>

#include "bootgate/shellword.h"
#include "lib/util.h"
#include "tests/tap.h"

static const bg_shell_var VARS[] = {
	{"A", "1"},
	{"EMPTY", ""},
	{"NOVAL", NULL},
	{"V", "foo/bar/baz.tar.gz"},
	{"X", "aXbXc"},
	{"NL", "a\nb"},
	{"SPACE", "x  y"},
	{"K\xC3\x96", "umlaut"},
	{"DUP", "first"},
	{"DUP", "second"},
	{"GONE", "set"},
	{"GONE", NULL},
};
static const bg_shell_env ENV = {VARS, sizeof VARS / sizeof VARS[0]};

/* Expand word with '\' and ENV; returns a static copy or "ERROR: msg". */
static const char *ex(const char *word)
{
	static char out[4096];
	char *got = NULL;
	bg_error err = {0};
	if (bg_shell_word(word, '\\', &ENV, &got, NULL, &err) < 0)
		snprintf(out, sizeof out, "ERROR: %s", err.message);
	else
		snprintf(out, sizeof out, "%s", got);
	free(got);
	return out;
}

static void expect(const char *word, const char *want)
{
	is_str(ex(word), want, "%s -> %s", word, want);
}

static void expect_error(const char *word, const char *part)
{
	const char *got = ex(word);
	ok(strncmp(got, "ERROR: ", 7) == 0 && strstr(got, part), "%s fails with \"%s\"", word, part);
	if (strncmp(got, "ERROR: ", 7) != 0 || !strstr(got, part))
		tap_diag("got: %s", got);
}

/* Join a result list with ',' into a static buffer. */
static const char *join(char **v, size_t n)
{
	static char buf[1024];
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(buf, ",");
		strncat(buf, v[i], sizeof buf - strlen(buf) - 2);
	}
	return buf;
}

static void test_environment(void)
{
	expect("$A${A}", "11");
	expect("$NOVAL.", ".");
	expect("${NOVAL-d}", "d");
	expect("${EMPTY-d}", "");
	expect("${EMPTY:-d}", "d");
	expect("${EMPTY+x}", "x");
	expect("${EMPTY:+x}", "");
	expect("$DUP", "second");      /* last pair wins */
	expect("${GONE:-none}", "none"); /* last pair has no value */
	expect_error("${NOVAL?}", "NOVAL: is not allowed to be unset");
	expect_error("${EMPTY:?must be set}", "EMPTY: must be set");
	expect("${EMPTY?}", "");
	expect("$K\xC3\x96!", "umlaut!");     /* a non-ASCII letter is part of a name */
	expect("$A\xE2\x82\xAC", "1\xE2\x82\xAC"); /* the euro sign is not */
	expect("$A\xD9\xA1", "");             /* an Arabic-Indic digit is */

	bg_shell_result res;
	bg_error err = {0};
	ok(bg_shell_expand("$B$NOVAL$B${A:-$C}", '\\', 0, &ENV, &res, &err) == 0, "expand with unset names");
	is_str(join(res.unmatched, res.n_unmatched), "B,NOVAL,C", "unmatched: first-use order, no duplicates");
	is_str(join(res.unresolved, res.n_unresolved), "B,NOVAL",
	       "unresolved: $C was only in the unused default of a set A");
	bg_shell_result_free(&res);
	ok(bg_shell_expand("${U:-$W}x${Q:+y}", '\\', 0, &ENV, &res, &err) == 0, "expand defaults");
	is_str(res.word, "x", "both expand to nothing");
	is_str(join(res.unmatched, res.n_unmatched), "W,U,Q", "unmatched lists the default's W too");
	is_str(join(res.unresolved, res.n_unresolved), "W,Q",
	       "unresolved: U was replaced by its default, whose W had no value; Q had none");
	bg_shell_result_free(&res);

	bg_strv unmatched = {0};
	char *out = NULL;
	ok(bg_shell_word("$M $M $A", '\\', NULL, &out, &unmatched, &err) == 0 && !strcmp(out, "  "),
	   "NULL env: everything is unset");
	ok(unmatched.n == 2 && !strcmp(unmatched.v[0], "M") && !strcmp(unmatched.v[1], "A"),
	   "bg_shell_word appends unmatched names once");
	free(out);
	bg_strv_free(&unmatched);
}

static void test_patterns(void)
{
	expect("${V#*/}", "bar/baz.tar.gz");
	expect("${V##*/}", "baz.tar.gz");
	expect("${V%.*}", "foo/bar/baz.tar");
	expect("${V%%.*}", "foo/bar/baz");
	expect("${X#*X}", "bXc");
	expect("${X##*X}", "c");
	expect("${X%X*}", "aXb");
	expect("${X%%X*}", "a");
	expect("${X#nomatch}", "aXbXc");
	expect("${V#\\*}", "foo/bar/baz.tar.gz");
	expect("${V/a/A}", "foo/bAr/baz.tar.gz");
	expect("${V//a/A}", "foo/bAr/bAz.tAr.gz");
	expect("${V//\\//-}", "foo-bar-baz.tar.gz");
	expect("${V/?/_}", "_oo/bar/baz.tar.gz");
	expect("${V/#/X}", "foo/bar/baz.tar.gz"); /* no anchors: # is literal */
	expect("${A//}", "ERROR: failed to process \"${A//}\": syntax error: missing '/' in ${}");
	expect("${A///x}", "x1x");          /* the empty pattern matches between characters */
	expect("${X//X/[\\$0]}", "a[\\X]b[\\X]c"); /* ReplaceAllString expands $0 to the match */
	is_str(ex("${NL/a*/Z}"), "Z\nb", "${NL/a*/Z}: * does not cross a newline (Go regexp)");
	expect("${UNSET#x}", "");
	expect("${V:#x}", "ERROR: failed to process \"${V:#x}\": unsupported modifier (:#) in substitution");
	expect_error("${V#\\a}", "invalid escape");
	expect_error("${V:=x}", "unsupported modifier (:=)");
	expect_error("${V^x}", "unsupported modifier (^)");
}

static void test_quotes_and_errors(void)
{
	expect("'$A'\"$A\"", "$A1");
	expect("a\\ b", "a b");
	expect("abc\\", "abc");
	expect("\"a\\b\\\"\"", "a\\b\"");
	expect("\xEF\xBB\xBF" "bom", "bom");             /* text/scanner skips a leading BOM */
	expect("a\xFF" "b", "a\xEF\xBF\xBD" "b");       /* invalid UTF-8 reads as U+FFFD */
	expect_error("'open", "matching single-quote");
	expect_error("\"open", "matching double-quote");
	expect_error("${}", "bad substitution");
	expect_error("${:}", "bad substitution");
	expect_error("${A", "missing '}'");
	expect_error("${A:-${B}", "missing '}'");

	/* Nesting is bounded instead of recursing without limit. */
	size_t depth = 1100;
	char *deep = malloc(depth * 6 + 8);
	char *p = deep;
	for (size_t i = 0; i < depth; i++)
		p += sprintf(p, "${a:-");
	strcpy(p, "x");
	p += 1;
	for (size_t i = 0; i < depth; i++)
		*p++ = '}';
	*p = '\0';
	char *got = NULL;
	bg_error err = {0};
	ok(bg_shell_word(deep, '\\', NULL, &got, NULL, &err) == BG_E_INPUT && strstr(err.message, "nested"),
	   "1100 nested ${...} are refused: %.80s", err.message);
	free(deep);

	/* Backtick as the escape: backslash is an ordinary character. */
	got = NULL;
	ok(bg_shell_word("C:\\dir`$A `\"q`\"", '`', &ENV, &got, NULL, &err) == 0 &&
		   !strcmp(got, "C:\\dir$A \"q\""),
	   "escape `: backslash is ordinary, `$ and `\" escape");
	free(got);
}

static void test_switches_and_words(void)
{
	struct {
		const char *word;
		unsigned flags;
		const char *want;
	} cases[] = {
		{"'a'\"$A\"", BG_SHELL_RAW_QUOTES, "'a'\"1\""},
		{"a\\ b\\$A", BG_SHELL_RAW_ESCAPES, "a\\ b\\$A"},
		{"$U ${U} ${U:-d} ${U/a/b} $A", BG_SHELL_SKIP_UNSET, "$U ${U} ${U:-d} ${U/a/b} 1"},
		{"'$A' \"x\"", BG_SHELL_SKIP_QUOTES, "'1' \"x\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bg_shell_result res;
		bg_error err = {0};
		int rc = bg_shell_expand(cases[i].word, '\\', cases[i].flags, &ENV, &res, &err);
		is_str(rc == 0 ? res.word : err.message, cases[i].want, "flags %#x: %s -> %s", cases[i].flags,
		       cases[i].word, cases[i].want);
		bg_shell_result_free(&res);
	}

	bg_strv w = {0};
	bg_error err = {0};
	bg_strv_push(&w, "kept");
	ok(bg_shell_words("a \"b  c\" $SPACE '' d", '\\', &ENV, &w, &err) == 0, "words split");
	is_str(join(w.v, w.n), "kept,a,b  c,x,y,d", "quoted spaces kept, expanded spaces split, empty quotes dropped");
	bg_strv_free(&w);
	ok(bg_shell_words("RUN <<  EOF > f", '\\', NULL, &w, &err) == 0, "heredoc words");
	is_str(join(w.v, w.n), "RUN,<<  EOF,>,f", "\"<<\" keeps the blanks after it in its word");
	bg_strv_free(&w);
	ok(bg_shell_words("'open", '\\', NULL, &w, &err) == BG_E_INPUT && w.n == 0, "a failing word adds nothing");
}

int main(void)
{
	test_environment();
	test_patterns();
	test_quotes_and_errors();
	test_switches_and_words();
	return tap_done();
}
