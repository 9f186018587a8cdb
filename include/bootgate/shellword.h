/* bootgate — BuildKit's shell word lexer (frontend/dockerfile/shell/lex.go).
 *
 * One Containerfile word goes in; quotes are removed and $VAR, ${VAR} and
 * every ${VAR<modifier>...} form BuildKit knows are expanded, exactly as
 * BuildKit's shell.Lex.ProcessWord / ProcessWords do (same results, same
 * failures: unbalanced quotes, "${}", "${V:?msg}" on an unset V, ...).
 *
 * The environment is a list of name/value pairs; the last pair for a name
 * wins.  A NULL value means "declared without a value" (an ARG without a
 * default), which expands like an unset variable.  Names are case-sensitive.
 *
 * Besides the result, the lexer reports which names it looked up and did not
 * find (BuildKit's "unmatched"), so a caller knows that a FROM line depends on
 * an ARG that has no value. */
#ifndef BOOTGATE_SHELLWORD_H
#define BOOTGATE_SHELLWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/error.h"

struct bg_strv; /* lib/util.h */

typedef struct bg_shell_var {
	const char *name;
	const char *value; /* NULL: declared, no value */
} bg_shell_var;

typedef struct bg_shell_env {
	const bg_shell_var *vars;
	size_t n;
} bg_shell_env;

/* Lexer switches, as the fields of BuildKit's shell.Lex. */
enum {
	BG_SHELL_RAW_QUOTES = 1 << 0,  /* keep quote characters in the result (RawQuotes) */
	BG_SHELL_RAW_ESCAPES = 1 << 1, /* keep escape characters in the result (RawEscapes) */
	BG_SHELL_SKIP_UNSET = 1 << 2,  /* leave $V / ${V...} of an unset V as written (SkipUnsetEnv) */
	BG_SHELL_SKIP_QUOTES = 1 << 3, /* quotes are ordinary characters (SkipProcessQuotes) */
};

typedef struct bg_shell_result {
	char *word;               /* ProcessWord: the expanded word */
	char **words;             /* ProcessWords: split on unquoted white space */
	size_t n_words;
	char **unmatched;         /* names looked up without a value (BuildKit's Unmatched),
				     in first-use order, no duplicates; includes V of ${V:-w} */
	size_t n_unmatched;
	char **unresolved;        /* the subset of unmatched names whose missing value reached
				     the result (not replaced by a ${V-w}/${V:-w} default) */
	size_t n_unresolved;
} bg_shell_result;

/* Process one word.  escape is '\\' or '`'.  env may be NULL (empty).
 * On failure (BG_E_INPUT) err says what is wrong with the word; res is left
 * empty.  Free res with bg_shell_result_free. */
int bg_shell_expand(const char *word, char escape, unsigned flags, const bg_shell_env *env,
		    bg_shell_result *res, bg_error *err);
void bg_shell_result_free(bg_shell_result *res);

/* ProcessWord: *out gets the expanded word (caller frees); unmatched, when not
 * NULL, gets the names looked up without a value appended (no duplicates). */
int bg_shell_word(const char *word, char escape, const bg_shell_env *env, char **out,
		  struct bg_strv *unmatched, bg_error *err);

/* ProcessWords: the expanded word split into words, appended to out. */
int bg_shell_words(const char *word, char escape, const bg_shell_env *env, struct bg_strv *out,
		   bg_error *err);

#endif
