/* bootgate — strict YAML reading for every configuration file bootgate reads
 * (.bootgate.yaml, gate policies, registries.d, bootgate.yaml roles).
 *
 * The text is read with libyaml's event API into a small read-only tree of
 * mappings, sequences and scalars.  Whatever YAML could make ambiguous or
 * expensive is refused instead of interpreted (see
 * /work/shared/reference/security.md §1.10):
 *   - anchors and aliases (cyclic graphs, "billion laughs"),
 *   - merge keys (`<<`),
 *   - nesting deeper than BG_MAX_YAML_DEPTH,
 *   - duplicate mapping keys (the error names both lines),
 *   - mapping keys that are not scalars,
 *   - more than one document in the stream,
 *   - tags other than !!str, !!map and !!seq on the matching node,
 *   - NUL bytes, in the input or produced by a "\0" escape.
 * No YAML 1.1 type coercion happens: every scalar stays text, with its style,
 * and the typed getters below accept only unambiguous spellings (a boolean is
 * plain `true` or `false`; `yes`, `no`, `on`, `off` are errors).
 *
 * Every error is BG_E_USAGE (invalid configuration, exit 2) or BG_E_NOMEM,
 * sets bg_error's line and column, and its message starts with
 * "NAME:LINE:COLUMN: " where NAME is the name given to bg_yamldoc_parse. */
#ifndef BOOTGATE_YAMLDOC_H
#define BOOTGATE_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/error.h"

typedef enum bg_yaml_kind {
	BG_YAML_SCALAR,
	BG_YAML_MAPPING,
	BG_YAML_SEQUENCE,
} bg_yaml_kind;

/* How a scalar was written, so that a caller can tell `"yes"` from `yes`. */
typedef enum bg_yaml_style {
	BG_YAML_PLAIN,
	BG_YAML_SINGLE_QUOTED,
	BG_YAML_DOUBLE_QUOTED,
	BG_YAML_LITERAL, /* | block */
	BG_YAML_FOLDED,  /* > block */
} bg_yaml_style;

typedef struct bg_yaml_node bg_yaml_node;

typedef struct bg_yaml_pair {
	bg_yaml_node *key; /* always a scalar */
	bg_yaml_node *value;
} bg_yaml_pair;

/* A node of the tree.  Read-only for callers; iterate with the fields:
 *   for (size_t i = 0; i < map->n_pairs; i++) map->pairs[i].key->scalar ...
 *   for (size_t i = 0; i < seq->n_items; i++) seq->items[i] ... */
struct bg_yaml_node {
	bg_yaml_kind kind;
	unsigned line, column;   /* 1-based position where the node starts */
	const char *file;        /* the document's name, for messages */

	/* BG_YAML_SCALAR: the text (never NULL, NUL-free), its style, and
	 * whether it carried an explicit !!str tag (which makes it a string
	 * even when plain). */
	char *scalar;
	bg_yaml_style style;
	bool str_tag;

	/* BG_YAML_MAPPING: pairs in file order, keys unique. */
	bg_yaml_pair *pairs;
	size_t n_pairs;

	/* BG_YAML_SEQUENCE: items in file order. */
	bg_yaml_node **items;
	size_t n_items;
};

typedef struct bg_yamldoc {
	char *name;          /* as given to bg_yamldoc_parse */
	bg_yaml_node *root;  /* NULL when the stream holds no document at all */
} bg_yamldoc;

/* Parse len bytes of YAML.  The caller caps len (read with a size limit).
 * name (a path, usually) prefixes every message. */
int bg_yamldoc_parse(const char *data, size_t len, const char *name, bg_yamldoc **out,
		     bg_error *err);

/* Read path (max_bytes at most, "-" = stdin) and parse it, named by path. */
int bg_yamldoc_read_file(const char *path, size_t max_bytes, bg_yamldoc **out, bg_error *err);

void bg_yamldoc_free(bg_yamldoc *doc);

/* "scalar", "mapping", "sequence". */
const char *bg_yamldoc_kind_name(bg_yaml_kind kind);

/* The value for key in a mapping, or NULL when node is NULL, not a mapping,
 * or has no such key. */
const bg_yaml_node *bg_yamldoc_get(const bg_yaml_node *map, const char *key);

/* A plain scalar spelled as YAML null: empty, `~`, `null`, `Null`, `NULL`.
 * `key:` with nothing after it is such a node. */
bool bg_yamldoc_is_null(const bg_yaml_node *node);

/* Record an error at node: "NAME:LINE:COLUMN: <formatted message>".
 * Returns status, for `return bg_yamldoc_error(...)`. */
int bg_yamldoc_error(const bg_yaml_node *node, bg_error *err, bg_status status,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Text from the file made safe to quote in a message: at most 60
 * characters, control characters written as \xNN (so a hostile file cannot
 * put terminal escapes into a CI log).  Use within one expression:
 *   bg_yamldoc_error(n, err, BG_E_USAGE, "bad '%s'", bg_yamldoc_shown(s).s) */
typedef struct bg_yaml_shown {
	char s[256];
} bg_yaml_shown;
bg_yaml_shown bg_yamldoc_shown(const char *s);

/* Checked access.  `what` names the value in messages, e.g. "'enabled' in
 * rule 'base-latest'".  On error *out is left unchanged. */

/* node must be of this kind: "... WHAT must be a mapping, not a sequence". */
int bg_yamldoc_expect(const bg_yaml_node *node, bg_yaml_kind kind, const char *what,
		      bg_error *err);

/* A plain (untagged) `true` or `false`; anything else, including quoted
 * "true" and YAML 1.1 yes/no/on/off/y/n, is an error. */
int bg_yamldoc_bool(const bg_yaml_node *node, const char *what, bool *out, bg_error *err);

/* A plain decimal integer in [min, max]: optional '-', digits, no leading
 * zeros (YAML 1.1 would read 010 as octal), no 0x/0o, '_' or '+'. */
int bg_yamldoc_int(const bg_yaml_node *node, const char *what, long long min, long long max,
		   long long *out, bg_error *err);

/* Any scalar except a plain null (see bg_yamldoc_is_null); quote "" for an
 * empty string.  *out points into the document. */
int bg_yamldoc_string(const bg_yaml_node *node, const char *what, const char **out,
		      bg_error *err);

/* map must be a mapping whose keys are all in allowed (NULL-terminated);
 * otherwise "NAME:LINE:COLUMN: unknown key 'x' in WHAT; allowed: a, b, c". */
int bg_yamldoc_check_keys(const bg_yaml_node *map, const char *what,
			  const char *const *allowed, bg_error *err);

#endif
