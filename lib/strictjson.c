/* bootgate — strict JSON (see strictjson.h for what is refused and why).
 *
 * A recursive-descent scanner over the bytes that validates and builds the
 * json-c tree in one pass.  Recursion is bounded by BG_JSON_MAX_DEPTH.
 * Duplicate keys are found with json-c's own hash table (the object being
 * built), so the check costs one lookup per member; keys are compared after
 * decoding and never contain NUL, so C-string lookups are exact. */
#include "bootgate/strictjson.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Longest key quoted back in a duplicate-key message. */
#define QUOTE_MAX 64

typedef struct scanner {
	const unsigned char *p;
	size_t len;
	size_t pos;
	const char *what;
	bg_error *err;
	bg_strbuf str; /* decoded bytes of the string being read */
} scanner;

static int scan_value(scanner *s, unsigned depth, json_object **out);

/* Report an error at byte offset `at`, with line and column (1-based,
 * columns counted in bytes) for users editing the file by hand. */
static int __attribute__((format(printf, 3, 4))) fail_at(scanner *s, size_t at, const char *fmt, ...)
{
	char reason[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	unsigned line = 1, column = 1;
	for (size_t i = 0; i < at && i < s->len; i++) {
		if (s->p[i] == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	return bg_error_at(s->err, BG_E_EVAL, line, column,
			   "%s: invalid JSON at byte %zu (line %u, column %u): %s", s->what, at, line,
			   column, reason);
}

static int fail_nomem(scanner *s)
{
	return bg_error_set(s->err, BG_E_NOMEM, "%s: out of memory parsing JSON", s->what);
}

static void skip_ws(scanner *s)
{
	while (s->pos < s->len) {
		unsigned char c = s->p[s->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		s->pos++;
	}
}

/* Explain a byte that cannot start a value, naming the common non-JSON
 * dialects so the user knows what to change. */
static int fail_unexpected(scanner *s, const char *expected)
{
	if (s->pos >= s->len)
		return fail_at(s, s->pos, "unexpected end of data, expected %s", expected);
	unsigned char c = s->p[s->pos];
	const char *hint = NULL;
	switch (c) {
	case '\0':
		return fail_at(s, s->pos, "NUL byte where %s was expected", expected);
	case '\'':
		hint = "single quotes are not JSON; use double quotes";
		break;
	case '/':
		hint = "comments are not allowed in JSON";
		break;
	case '#':
		hint = "comments are not allowed in JSON";
		break;
	case 'N':
	case 'I':
		hint = "NaN and Infinity are not JSON numbers";
		break;
	case '+':
		hint = "a JSON number cannot start with '+'";
		break;
	case '.':
		hint = "a JSON number needs a digit before '.'";
		break;
	case '<':
		hint = "this looks like HTML or XML, not JSON";
		break;
	default:
		break;
	}
	if (hint)
		return fail_at(s, s->pos, "unexpected '%c', expected %s (%s)", c, expected, hint);
	if (c >= 0x21 && c < 0x7f)
		return fail_at(s, s->pos, "unexpected '%c', expected %s", c, expected);
	return fail_at(s, s->pos, "unexpected byte 0x%02x, expected %s", c, expected);
}

/* Length of the valid UTF-8 sequence at p[0..n), 0 when invalid (overlong,
 * surrogate, above U+10FFFF, truncated or a stray continuation byte). */
static size_t utf8_sequence(const unsigned char *p, size_t n)
{
	unsigned char b0 = p[0], lo = 0x80, hi = 0xBF;
	size_t len;
	if (b0 >= 0xC2 && b0 <= 0xDF) {
		len = 2;
	} else if (b0 >= 0xE0 && b0 <= 0xEF) {
		len = 3;
		if (b0 == 0xE0)
			lo = 0xA0;
		else if (b0 == 0xED)
			hi = 0x9F;
	} else if (b0 >= 0xF0 && b0 <= 0xF4) {
		len = 4;
		if (b0 == 0xF0)
			lo = 0x90;
		else if (b0 == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return len;
}

static void put_utf8(bg_strbuf *b, uint32_t cp)
{
	char buf[4];
	size_t n;
	if (cp < 0x80) {
		buf[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		buf[0] = (char)(0xC0 | (cp >> 6));
		buf[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		buf[0] = (char)(0xE0 | (cp >> 12));
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		buf[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		buf[0] = (char)(0xF0 | (cp >> 18));
		buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		buf[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	bg_strbuf_add(b, buf, n);
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The 4 hex digits after "\u" at s->pos (which points at the 'u'). */
static int scan_u_escape(scanner *s, uint32_t *out)
{
	uint32_t v = 0;
	for (size_t i = 1; i <= 4; i++) {
		int h = s->pos + i < s->len ? hex_value(s->p[s->pos + i]) : -1;
		if (h < 0)
			return fail_at(s, s->pos - 1, "\\u must be followed by 4 hex digits");
		v = (v << 4) | (uint32_t)h;
	}
	s->pos += 5;
	*out = v;
	return 0;
}

/* A string starting at the opening quote; the decoded bytes end up in
 * s->str (NUL-terminated, never containing NUL). */
static int scan_string(scanner *s)
{
	s->str.len = 0;
	if (s->str.s)
		s->str.s[0] = '\0';
	s->pos++; /* opening quote */
	for (;;) {
		/* Copy a run of plain ASCII in one go (the common case). */
		size_t run = s->pos;
		while (run < s->len) {
			unsigned char c = s->p[run];
			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				break;
			run++;
		}
		bg_strbuf_add(&s->str, (const char *)s->p + s->pos, run - s->pos);
		s->pos = run;
		if (s->pos >= s->len)
			return fail_at(s, s->pos, "unterminated string");
		unsigned char c = s->p[s->pos];
		if (c == '"') {
			s->pos++;
			break;
		}
		if (c == '\0')
			return fail_at(s, s->pos, "NUL byte in a string");
		if (c < 0x20)
			return fail_at(s, s->pos,
				       "unescaped control character 0x%02x in a string (write it as \\u%04x)",
				       c, c);
		if (c >= 0x80) {
			size_t n = utf8_sequence(s->p + s->pos, s->len - s->pos);
			if (n == 0)
				return fail_at(s, s->pos, "invalid UTF-8 (byte 0x%02x) in a string", c);
			bg_strbuf_add(&s->str, (const char *)s->p + s->pos, n);
			s->pos += n;
			continue;
		}
		/* backslash */
		size_t esc = s->pos;
		s->pos++;
		if (s->pos >= s->len)
			return fail_at(s, esc, "unterminated string");
		char simple = 0;
		switch (s->p[s->pos]) {
		case '"': simple = '"'; break;
		case '\\': simple = '\\'; break;
		case '/': simple = '/'; break;
		case 'b': simple = '\b'; break;
		case 'f': simple = '\f'; break;
		case 'n': simple = '\n'; break;
		case 'r': simple = '\r'; break;
		case 't': simple = '\t'; break;
		case 'u': break;
		default:
			if (s->p[s->pos] >= 0x21 && s->p[s->pos] < 0x7f)
				return fail_at(s, esc, "invalid escape \\%c in a string", s->p[s->pos]);
			return fail_at(s, esc, "invalid escape in a string");
		}
		if (simple) {
			bg_strbuf_putc(&s->str, simple);
			s->pos++;
			continue;
		}
		uint32_t cp = 0;
		int rc = scan_u_escape(s, &cp);
		if (rc < 0)
			return rc;
		if (cp == 0)
			return fail_at(s, esc, "\\u0000 (NUL) is not allowed in a string");
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return fail_at(s, esc, "unpaired UTF-16 low surrogate \\u%04x", cp);
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			uint32_t lo = 0;
			if (s->len - s->pos < 2 || s->p[s->pos] != '\\' || s->p[s->pos + 1] != 'u')
				return fail_at(s, esc, "unpaired UTF-16 high surrogate \\u%04x", cp);
			s->pos++;
			rc = scan_u_escape(s, &lo);
			if (rc < 0)
				return rc;
			if (lo < 0xDC00 || lo > 0xDFFF)
				return fail_at(s, esc, "unpaired UTF-16 high surrogate \\u%04x", cp);
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		}
		put_utf8(&s->str, cp);
	}
	if (!s->str.s) /* nothing appended yet: make it "" */
		bg_strbuf_add(&s->str, "", 0);
	return s->str.oom ? fail_nomem(s) : 0;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int scan_number(scanner *s, json_object **out)
{
	size_t start = s->pos;
	bool neg = false, integral = true;
	if (s->p[s->pos] == '-') {
		neg = true;
		s->pos++;
	}
	if (s->pos >= s->len || !is_digit(s->p[s->pos]))
		return fail_at(s, s->pos, "expected a digit after '-'");
	if (s->p[s->pos] == '0' && s->pos + 1 < s->len && is_digit(s->p[s->pos + 1]))
		return fail_at(s, s->pos, "numbers cannot have leading zeros");
	while (s->pos < s->len && is_digit(s->p[s->pos]))
		s->pos++;
	if (s->pos < s->len && s->p[s->pos] == '.') {
		integral = false;
		s->pos++;
		if (s->pos >= s->len || !is_digit(s->p[s->pos]))
			return fail_at(s, s->pos, "expected a digit after '.'");
		while (s->pos < s->len && is_digit(s->p[s->pos]))
			s->pos++;
	}
	if (s->pos < s->len && (s->p[s->pos] == 'e' || s->p[s->pos] == 'E')) {
		integral = false;
		s->pos++;
		if (s->pos < s->len && (s->p[s->pos] == '+' || s->p[s->pos] == '-'))
			s->pos++;
		if (s->pos >= s->len || !is_digit(s->p[s->pos]))
			return fail_at(s, s->pos, "expected a digit in the exponent");
		while (s->pos < s->len && is_digit(s->p[s->pos]))
			s->pos++;
	}

	if (integral) {
		/* Exact int64 when it fits; magnitude limit 2^63 for negatives. */
		uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
		bool fits = true;
		for (size_t i = start + (neg ? 1 : 0); i < s->pos; i++) {
			unsigned d = s->p[i] - '0';
			if (v > (limit - d) / 10) {
				fits = false;
				break;
			}
			v = v * 10 + d;
		}
		if (fits) {
			int64_t iv = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v)
					 : (int64_t)v;
			*out = json_object_new_int64(iv);
			return *out ? 0 : fail_nomem(s);
		}
	}
	/* Everything else is a double; json-c keeps the text for output. */
	_cleanup_free_ char *text = bg_strndup((const char *)s->p + start, s->pos - start);
	if (!text)
		return fail_nomem(s);
	double d = strtod(text, NULL);
	if (!isfinite(d))
		return fail_at(s, start, "number out of range");
	*out = json_object_new_double_s(d, text);
	return *out ? 0 : fail_nomem(s);
}

static int scan_literal(scanner *s, const char *word, json_object **out)
{
	size_t n = strlen(word);
	if (s->len - s->pos < n || memcmp(s->p + s->pos, word, n) != 0)
		return fail_unexpected(s, "a value");
	s->pos += n;
	if (word[0] == 'n') {
		*out = NULL;
		return 0;
	}
	*out = json_object_new_boolean(word[0] == 't');
	return *out ? 0 : fail_nomem(s);
}

/* Quote a key for a message: printable ASCII as is, other bytes as '?',
 * cut at QUOTE_MAX. */
static void quote_key(const char *key, char out[QUOTE_MAX + 4])
{
	size_t i = 0;
	for (; key[i] && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)key[i];
		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (key[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

static int scan_object(scanner *s, unsigned depth, json_object **out)
{
	json_object *obj = json_object_new_object();
	if (!obj)
		return fail_nomem(s);
	int rc;
	s->pos++; /* '{' */
	skip_ws(s);
	if (s->pos < s->len && s->p[s->pos] == '}') {
		s->pos++;
		*out = obj;
		return 0;
	}
	for (;;) {
		skip_ws(s);
		if (s->pos >= s->len || s->p[s->pos] != '"') {
			if (s->pos < s->len && s->p[s->pos] == '}')
				rc = fail_at(s, s->pos, "trailing comma before '}'");
			else
				rc = fail_unexpected(s, "a string key in double quotes");
			goto fail;
		}
		size_t key_at = s->pos;
		rc = scan_string(s);
		if (rc < 0)
			goto fail;
		if (json_object_object_get_ex(obj, s->str.s, NULL)) {
			char q[QUOTE_MAX + 4];
			quote_key(s->str.s, q);
			rc = fail_at(s, key_at, "duplicate key \"%s\"", q);
			goto fail;
		}
		_cleanup_free_ char *key = bg_strndup(s->str.s, s->str.len);
		if (!key) {
			rc = fail_nomem(s);
			goto fail;
		}
		skip_ws(s);
		if (s->pos >= s->len || s->p[s->pos] != ':') {
			rc = fail_unexpected(s, "':' after the key");
			goto fail;
		}
		s->pos++;
		json_object *val = NULL;
		rc = scan_value(s, depth, &val);
		if (rc < 0)
			goto fail;
		if (json_object_object_add_ex(obj, key, val, JSON_C_OBJECT_ADD_KEY_IS_NEW) != 0) {
			json_object_put(val);
			rc = fail_nomem(s);
			goto fail;
		}
		skip_ws(s);
		if (s->pos < s->len && s->p[s->pos] == ',') {
			s->pos++;
			continue;
		}
		if (s->pos < s->len && s->p[s->pos] == '}') {
			s->pos++;
			break;
		}
		rc = fail_unexpected(s, "',' or '}'");
		goto fail;
	}
	*out = obj;
	return 0;
fail:
	json_object_put(obj);
	return rc;
}

static int scan_array(scanner *s, unsigned depth, json_object **out)
{
	json_object *arr = json_object_new_array();
	if (!arr)
		return fail_nomem(s);
	int rc;
	s->pos++; /* '[' */
	skip_ws(s);
	if (s->pos < s->len && s->p[s->pos] == ']') {
		s->pos++;
		*out = arr;
		return 0;
	}
	for (;;) {
		skip_ws(s);
		if (s->pos < s->len && s->p[s->pos] == ']') {
			rc = fail_at(s, s->pos, "trailing comma before ']'");
			goto fail;
		}
		json_object *val = NULL;
		rc = scan_value(s, depth, &val);
		if (rc < 0)
			goto fail;
		if (json_object_array_add(arr, val) != 0) {
			json_object_put(val);
			rc = fail_nomem(s);
			goto fail;
		}
		skip_ws(s);
		if (s->pos < s->len && s->p[s->pos] == ',') {
			s->pos++;
			continue;
		}
		if (s->pos < s->len && s->p[s->pos] == ']') {
			s->pos++;
			break;
		}
		rc = fail_unexpected(s, "',' or ']'");
		goto fail;
	}
	*out = arr;
	return 0;
fail:
	json_object_put(arr);
	return rc;
}

/* depth: how many arrays/objects enclose this value. */
static int scan_value(scanner *s, unsigned depth, json_object **out)
{
	*out = NULL;
	skip_ws(s);
	if (s->pos >= s->len)
		return fail_unexpected(s, "a value");
	unsigned char c = s->p[s->pos];
	if ((c == '{' || c == '[') && depth >= BG_JSON_MAX_DEPTH)
		return fail_at(s, s->pos, "nested deeper than %d arrays/objects", BG_JSON_MAX_DEPTH);
	switch (c) {
	case '{':
		return scan_object(s, depth + 1, out);
	case '[':
		return scan_array(s, depth + 1, out);
	case '"': {
		int rc = scan_string(s);
		if (rc < 0)
			return rc;
		*out = json_object_new_string_len(s->str.s, (int)s->str.len);
		return *out ? 0 : fail_nomem(s);
	}
	case 't':
		return scan_literal(s, "true", out);
	case 'f':
		return scan_literal(s, "false", out);
	case 'n':
		return scan_literal(s, "null", out);
	default:
		if (c == '-' || is_digit(c))
			return scan_number(s, out);
		return fail_unexpected(s, "a value");
	}
}

int bg_json_parse_strict(const char *data, size_t len, const char *what, json_object **out,
			 bg_error *err)
{
	scanner s = {
		.p = (const unsigned char *)data,
		.len = data ? len : 0,
		.what = what ? what : "JSON document",
		.err = err,
	};
	*out = NULL;
	/* json_object_new_string_len takes an int length. */
	if (len > (size_t)INT32_MAX)
		return bg_error_set(err, BG_E_EVAL, "%s: JSON document too large (%zu bytes)",
				    s.what, len);
	if (s.len >= 3 && memcmp(s.p, "\xEF\xBB\xBF", 3) == 0)
		return fail_at(&s, 0, "byte order mark at the start (save the file as UTF-8 without BOM)");
	skip_ws(&s);
	if (s.pos >= s.len)
		return fail_at(&s, s.pos, "empty document, expected a JSON value");
	json_object *root = NULL;
	int rc = scan_value(&s, 0, &root);
	bg_strbuf_free(&s.str);
	if (rc < 0)
		return rc;
	skip_ws(&s);
	if (s.pos < s.len) {
		json_object_put(root);
		if (s.p[s.pos] == '\0')
			return fail_at(&s, s.pos, "NUL byte after the JSON document");
		return fail_at(&s, s.pos, "trailing data after the JSON document");
	}
	*out = root;
	return 0;
}

const char *bg_json_type_name(json_type type)
{
	switch (type) {
	case json_type_object:
		return "object";
	case json_type_array:
		return "array";
	case json_type_string:
		return "string";
	case json_type_int:
		return "integer";
	case json_type_double:
		return "number";
	case json_type_boolean:
		return "boolean";
	case json_type_null:
		return "null";
	}
	return "unknown";
}

/* The article for a type name in "must be a/an ...". */
static const char *article(json_type type)
{
	return (type == json_type_object || type == json_type_array || type == json_type_int) ? "an"
											       : "a";
}

int bg_json_member(json_object *obj, const char *key, json_type type, bool required,
		   const char *what, json_object **out, bg_error *err)
{
	*out = NULL;
	if (!what)
		what = "JSON document";
	if (!json_object_is_type(obj, json_type_object))
		return bg_error_set(err, BG_E_EVAL, "%s: expected a JSON object, found %s %s", what,
				    article(json_object_get_type(obj)),
				    bg_json_type_name(json_object_get_type(obj)));
	json_object *v = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || !v) {
		if (required)
			return bg_error_set(err, BG_E_EVAL, "%s: field \"%s\" is missing", what, key);
		return 0;
	}
	json_type got = json_object_get_type(v);
	if (got != type && !(type == json_type_double && got == json_type_int))
		return bg_error_set(err, BG_E_EVAL, "%s: field \"%s\" must be %s %s, not %s %s", what,
				    key, article(type), bg_json_type_name(type), article(got),
				    bg_json_type_name(got));
	*out = v;
	return 0;
}

int bg_json_get_string(json_object *obj, const char *key, bool required, const char *what,
		       const char **out, bg_error *err)
{
	json_object *v;
	*out = NULL;
	int rc = bg_json_member(obj, key, json_type_string, required, what, &v, err);
	if (rc < 0)
		return rc;
	if (v)
		*out = json_object_get_string(v);
	return 0;
}

int bg_json_get_int64(json_object *obj, const char *key, bool required, const char *what,
		      int64_t *out, bool *present, bg_error *err)
{
	json_object *v;
	if (present)
		*present = false;
	int rc = bg_json_member(obj, key, json_type_int, required, what, &v, err);
	if (rc < 0)
		return rc;
	if (v) {
		*out = json_object_get_int64(v);
		if (present)
			*present = true;
	}
	return 0;
}

int bg_json_get_bool(json_object *obj, const char *key, bool required, const char *what,
		     bool *out, bg_error *err)
{
	json_object *v;
	int rc = bg_json_member(obj, key, json_type_boolean, required, what, &v, err);
	if (rc < 0)
		return rc;
	if (v)
		*out = json_object_get_boolean(v);
	return 0;
}
