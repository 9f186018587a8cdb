/* bootgate — strict JSON: RFC 8259 and nothing more, into json-c objects.
 *
 * json-c on its own accepts things a gate must not: duplicate object keys
 * (the last one silently wins, so two readers of the same bytes can see
 * different documents), data after the document, NUL bytes, comments,
 * single quotes, NaN, trailing commas, leading zeros, invalid UTF-8.
 * bg_json_parse_strict() reads the bytes with its own scanner, refuses all of
 * that, and builds the json-c tree itself.
 *
 * Refused, with the byte offset in the message:
 *   - anything outside the RFC 8259 grammar (comments, single quotes, NaN,
 *     Infinity, hex, '+1', '.5', '1.', leading zeros, trailing commas, bare
 *     words, unescaped control characters in strings, a byte order mark);
 *   - duplicate keys in an object, at any depth, compared after decoding
 *     escapes ("a" and "\u0061" are the same key);
 *   - NUL: a raw NUL byte anywhere, and the escape \u0000 in any string
 *     (keys and values: C strings would silently truncate at it);
 *   - invalid UTF-8 (overlong forms, surrogates, > U+10FFFF, truncated
 *     sequences) and unpaired UTF-16 surrogate escapes;
 *   - nesting deeper than BG_JSON_MAX_DEPTH arrays/objects;
 *   - non-whitespace after the document; an empty document;
 *   - numbers too large for a double (1e400).
 *
 * Numbers: an integer that fits in int64 becomes json_type_int; any other
 * number (fraction, exponent, or an integer beyond int64) becomes
 * json_type_double, so bg_json_get_int64() refuses 1.0, 1e3 and
 * 99999999999999999999 rather than rounding or clamping them. */
#ifndef BOOTGATE_STRICTJSON_H
#define BOOTGATE_STRICTJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "bootgate/error.h"

/* Deepest nesting of arrays and objects accepted ("[[1]]" has depth 2). */
#define BG_JSON_MAX_DEPTH 64

/* Parse len bytes (no NUL terminator needed) as one strict JSON document.
 * what names the document in messages (a URL or path; NULL: "JSON
 * document").  On success *out owns the tree (release with json_object_put;
 * a top-level `null` gives *out == NULL).  Errors: BG_E_EVAL with "<what>:
 * invalid JSON at byte N (line L, column C): <reason>" and err->line/column
 * set, or BG_E_NOMEM.  Callers that read a user's configuration file and want
 * BG_E_USAGE set err->status and return that instead. */
int bg_json_parse_strict(const char *data, size_t len, const char *what, json_object **out,
			 bg_error *err);

/* "object", "array", "string", "integer", "number", "boolean", "null". */
const char *bg_json_type_name(json_type type);

/* Member key of object obj, required to have the given type.  A missing
 * member or a JSON null counts as absent: then *out = NULL and 0 when
 * !required, BG_E_EVAL ("<what>: field \"key\" is missing") when required.
 * A member of another type, or obj not being an object, is BG_E_EVAL naming
 * both types.  json_type_double accepts integers too (any number). */
int bg_json_member(json_object *obj, const char *key, json_type type, bool required,
		   const char *what, json_object **out, bg_error *err);

/* String member: *out points into the tree (valid while obj lives), NULL
 * when optional and absent.  Strings never contain NUL (see above). */
int bg_json_get_string(json_object *obj, const char *key, bool required, const char *what,
		       const char **out, bg_error *err);

/* Integer member (json_type_int only: 1.0 and 1e3 are refused).  *present
 * (may be NULL) tells whether it was there; *out is left alone when not. */
int bg_json_get_int64(json_object *obj, const char *key, bool required, const char *what,
		      int64_t *out, bool *present, bg_error *err);

/* Boolean member; *out is left alone when optional and absent. */
int bg_json_get_bool(json_object *obj, const char *key, bool required, const char *what,
		     bool *out, bg_error *err);

#endif
