/* bootgate — BuildKit-compatible Containerfile/Dockerfile parser.
 *
 * bg_containerfile_parse does what BuildKit's parser.Parse does (parser
 * directives, BOM, CRLF, the escape character, line continuation, comments,
 * heredocs, JSON vs shell form, instruction flags, the per-instruction
 * argument parsers, ONBUILD) and keeps what a linter needs on top: physical
 * line numbers, the comment lines above each instruction and the raw source
 * lines.  bg_containerfile_validate then applies the checks BuildKit's
 * instructions.Parse makes (known instructions, flags and their types,
 * argument counts, stage names, nothing but ARG before the first FROM), so
 * that whatever BuildKit refuses is refused here with a line number.
 *
 * bg_containerfile_dump prints the tree in BuildKit's Node.Dump() format,
 * which is how the parser is checked against BuildKit's own test corpus. */
#ifndef BOOTGATE_CONTAINERFILE_H
#define BOOTGATE_CONTAINERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/error.h"

/* An argument.  s is NUL-terminated; len is its real length, which differs
 * from strlen(s) only when a JSON-form argument contains "\u0000". */
typedef struct bg_arg {
	char *s;
	size_t len;
} bg_arg;

typedef struct bg_heredoc {
	char *name;     /* terminator word, quotes removed */
	char *content;  /* body lines as written, each with its newline; not chomped */
	unsigned fd;    /* the N of N<<EOF (0 when absent) */
	bool expand;    /* false when any part of the terminator word was quoted */
	bool chomp;     /* <<-EOF: leading tabs are stripped from the body when used */
} bg_heredoc;

typedef struct bg_comment {
	char *text;     /* the comment without '#' and surrounding white space */
	unsigned line;  /* 1-based physical line */
} bg_comment;

typedef struct bg_instruction bg_instruction;
struct bg_instruction {
	char *keyword;        /* lower-case: "from", "run", ... (unknown ones too) */
	char *original;       /* the logical line: continuations joined (Node.Original) */
	char **flags;         /* "--name=value" / "--name", quotes and escapes processed */
	size_t n_flags;
	bg_arg *args;         /* the arguments as Node.Dump shows them: ENV/LABEL as
				 key, value, "=" or "" triples; HEALTHCHECK type first;
				 JSON form decoded; ONBUILD has none (see trigger) */
	size_t n_args;
	bool json;            /* exec (JSON array) form */
	bg_heredoc *heredocs;
	size_t n_heredocs;
	bg_instruction *trigger; /* ONBUILD: the instruction it wraps, else NULL */
	unsigned start_line;  /* first and last physical line, 1-based (heredoc bodies */
	unsigned end_line;    /* included); a trigger has its ONBUILD's lines */
	bg_comment *comments; /* comment lines above it since the previous instruction
				 (BuildKit's PrevComment; a bare "#" line resets the list;
				 parser directives are not included) */
	size_t n_comments;
};

typedef struct bg_directive {
	char *name;     /* "syntax", "escape" or "check" (lower-case) */
	char *value;
	unsigned line;
} bg_directive;

typedef struct bg_containerfile {
	bg_instruction *v;    /* top-level instructions in order */
	size_t n;
	char escape;          /* '\\' or '`' */
	bg_directive *directives;
	size_t n_directives;
	unsigned *empty_continuation_lines; /* blank lines inside a continuation
					       (BuildKit warns: NoEmptyContinuation) */
	size_t n_empty_continuation_lines;
	/* Private: the source and where each physical line starts. */
	char *name;
	char *source;
	size_t source_len;
	size_t *line_start;
	size_t n_lines;
} bg_containerfile;

/* Parse len bytes (no NUL bytes; at most BG_MAX_CONTAINERFILE_BYTES).  name
 * is used in error messages ("Containerfile" when NULL).  On error
 * (BG_E_INPUT, or BG_E_NOMEM) err has the message and line; *out is NULL. */
int bg_containerfile_parse(const char *data, size_t len, const char *name, bg_containerfile **out,
			   bg_error *err);

/* BuildKit's instructions.Parse checks.  BG_E_INPUT with the line on failure. */
int bg_containerfile_validate(const bg_containerfile *cf, bg_error *err);

void bg_containerfile_free(bg_containerfile *cf);

/* Node.Dump() of the whole file plus "\n" — BuildKit's testfiles "result"
 * format.  Caller frees; NULL when out of memory. */
char *bg_containerfile_dump(const bg_containerfile *cf);

/* The value of flag --name on ins: the text after '=' ("" for a bare --name),
 * or NULL when absent; with several, the first. */
const char *bg_containerfile_flag(const bg_instruction *ins, const char *name);

/* Every value of --name in order: set *pos = 0, call until NULL. */
const char *bg_containerfile_flag_next(const bg_instruction *ins, const char *name, size_t *pos);

/* Where needle (e.g. the raw image text of a FROM) first occurs within the
 * physical lines of ins: 1-based line and byte column.  Returns 0, or -1 when
 * it does not occur on any single line (then line = start_line, column = 1). */
int bg_containerfile_locate(const bg_containerfile *cf, const bg_instruction *ins,
			    const char *needle, unsigned *line, unsigned *column);

/* Physical line number `line` (1-based) as written, without its line ending;
 * NULL when out of range. */
const char *bg_containerfile_line(const bg_containerfile *cf, unsigned line, size_t *len);

/* BuildKit's ParseHeredoc on one word (a COPY/ADD source or destination, or
 * a word of a RUN line): ^(\d*)<<(-?)\s*([^<]*)$ plus its quote rules.
 * Returns 1 with *h filled (only h->name is allocated; content is NULL),
 * 0 when the word is not a heredoc, BG_E_INPUT for a malformed one such as
 * <<'EOF (unbalanced quotes). */
int bg_containerfile_heredoc_parse(const char *word, bg_heredoc *h, bg_error *err);

/* RUN --mount=<value>: Go CSV fields "key=value" (BuildKit parseMount). */
typedef struct bg_mount_field {
	char *key;      /* lower-cased */
	char *value;    /* NULL for a field without '=' (e.g. "ro") */
} bg_mount_field;

typedef struct bg_mount {
	bg_mount_field *v;
	size_t n;
} bg_mount;

int bg_containerfile_mount_parse(const char *value, bg_mount *out, bg_error *err);
/* The last value given for key (lower-case); for "type" the default "bind"
 * when absent; NULL when absent or given without a value. */
const char *bg_containerfile_mount_get(const bg_mount *m, const char *key);
void bg_containerfile_mount_free(bg_mount *m);

#endif
