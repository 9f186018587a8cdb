/* Unit tests for strictjson: what RFC 8259 allows is read exactly, and
 * everything json-c would tolerate beyond it is refused with the offset. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/strictjson.h"
#include "util.h"
#include "tests/tap.h"

static int parse(const char *s, size_t len, json_object **out, bg_error *err)
{
	bg_error_clear(err);
	return bg_json_parse_strict(s, len, "test.json", out, err);
}

/* A test name for a document: control and non-ASCII bytes as \xNN, so the
 * TAP line stays one line. */
static const char *show(const char *doc, size_t len)
{
	static char buf[256];
	size_t o = 0;
	for (size_t i = 0; i < len && o + 5 < sizeof buf; i++) {
		unsigned char c = (unsigned char)doc[i];
		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

/* Accepted: parses, and serialises (plain json-c output) to `canonical`. */
static void accepts(const char *doc, const char *canonical)
{
	json_object *o = NULL;
	bg_error err;
	int rc = parse(doc, strlen(doc), &o, &err);
	if (!ok(rc == 0, "accepts %s", show(doc, strlen(doc)))) {
		tap_diag("error: %s", err.message);
		return;
	}
	is_str(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE),
	       canonical, "  and reads it as intended");
	json_object_put(o);
}

/* Refused with BG_E_EVAL, a message containing `reason` and the offset. */
static void refuses_len(const char *doc, size_t len, size_t offset, const char *reason,
			const char *name)
{
	json_object *o = (json_object *)1;
	bg_error err;
	int rc = parse(doc, len, &o, &err);
	char at[64];
	snprintf(at, sizeof at, "at byte %zu ", offset);
	bool good = rc == BG_E_EVAL && err.status == BG_E_EVAL && o == NULL &&
		    strstr(err.message, reason) && strstr(err.message, at) &&
		    strncmp(err.message, "test.json: ", 11) == 0;
	if (!ok(good, "refuses %s (%s at byte %zu)", name, reason, offset))
		tap_diag("rc %d, message: %s", rc, err.message);
	if (rc == 0)
		json_object_put(o);
}

static void refuses(const char *doc, size_t offset, const char *reason)
{
	refuses_len(doc, strlen(doc), offset, reason, show(doc, strlen(doc)));
}

static void test_accepts(void)
{
	accepts("{}", "{}");
	accepts(" \t\r\n[ ] \n", "[]");
	accepts("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
		"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}");
	accepts("\"top-level string\"", "\"top-level string\"");
	accepts("42", "42");
	accepts("-0", "0");
	accepts("1.5e3", "1.5e3");
	accepts("-9223372036854775808", "-9223372036854775808");
	accepts("9223372036854775807", "9223372036854775807");
	accepts("\"\\u0041\\u00e9\\ud83d\\ude00\\/\\\"\\\\\\b\\f\\n\\r\\t\"",
		"\"Aé😀/\\\"\\\\\\b\\f\\n\\r\\t\"");
	accepts("\"héllo 😀\"", "\"héllo 😀\"");
	accepts("{\"\":\"\"}", "{\"\":\"\"}");
	/* Keys that differ only after decoding are still different keys. */
	accepts("{\"a\":1,\"A\":2,\"a \":3}", "{\"a\":1,\"A\":2,\"a \":3}");
}

static void test_refuses(void)
{
	refuses("", 0, "empty document");
	refuses("  \n ", 4, "empty document");
	/* duplicates at any depth, after decoding */
	refuses("{\"a\":1,\"a\":2}", 7, "duplicate key \"a\"");
	refuses("{\"x\":{\"b\":1,\"c\":{},\"b\":2}}", 19, "duplicate key \"b\"");
	refuses("[{\"k\":[{\"z\":1,\"\\u007a\":2}]}]", 14, "duplicate key \"z\"");
	refuses("{\"a\":1,\"\\u0061\":2}", 7, "duplicate key \"a\"");
	/* trailing data */
	refuses("{} {}", 3, "trailing data");
	refuses("{}x", 2, "trailing data");
	refuses("truex", 4, "trailing data");
	refuses("[1]]", 3, "trailing data");
	/* NUL */
	refuses_len("{}\0", 3, 2, "NUL byte after the JSON document", "NUL after the document");
	refuses_len("{\"a\0\":1}", 8, 3, "NUL byte in a string", "raw NUL in a key");
	refuses_len("[\"a\0\"]", 6, 3, "NUL byte in a string", "raw NUL in a value");
	refuses_len("\0{}", 3, 0, "NUL byte where a value", "NUL before the document");
	refuses("{\"a\\u0000b\":1}", 3, "\\u0000");
	refuses("[\"x\\u0000\"]", 3, "\\u0000");
	/* non-RFC dialects json-c accepts */
	refuses("{\"a\":1,}", 7, "trailing comma before '}'");
	refuses("[1,2,]", 5, "trailing comma before ']'");
	refuses("[,1]", 1, "expected a value");
	refuses("{'a':1}", 1, "single quotes");
	refuses("['a']", 1, "single quotes");
	refuses("{/*c*/\"a\":1}", 1, "comments");
	refuses("[1] // c", 4, "trailing data");
	refuses("# c\n{}", 0, "comments");
	refuses("[NaN]", 1, "NaN");
	refuses("[Infinity]", 1, "NaN and Infinity");
	refuses("[-Infinity]", 2, "expected a digit after '-'");
	refuses("[01]", 1, "leading zeros");
	refuses("[-01]", 2, "leading zeros");
	refuses("[+1]", 1, "'+'");
	refuses("[.5]", 1, "digit before '.'");
	refuses("[1.]", 3, "digit after '.'");
	refuses("[1e]", 3, "exponent");
	refuses("[0x10]", 2, "expected ',' or ']'");
	refuses("[1e400]", 1, "out of range");
	refuses("[tru]", 1, "expected a value");
	refuses("[True]", 1, "expected a value");
	refuses("{a:1}", 1, "a string key");
	refuses("{\"a\" 1}", 5, "':'");
	refuses("{\"a\":1 \"b\":2}", 7, "',' or '}'");
	refuses("[1 2]", 3, "',' or ']'");
	refuses("{\"a\":1", 6, "end of data");
	refuses("[", 1, "end of data");
	refuses("\"abc", 4, "unterminated string");
	refuses("\"a\tb\"", 2, "control character 0x09");
	refuses("\"a\nb\"", 2, "control character 0x0a");
	refuses("\"\\x41\"", 1, "invalid escape \\x");
	refuses("\"\\u12G4\"", 1, "4 hex digits");
	refuses("\"\\u12\"", 1, "4 hex digits");
	refuses("\"\\ud800\"", 1, "unpaired UTF-16 high surrogate");
	refuses("\"\\ud800\\u0041\"", 1, "unpaired UTF-16 high surrogate");
	refuses("\"\\udc00\"", 1, "unpaired UTF-16 low surrogate");
	refuses("<html><body>502 Bad Gateway</body></html>", 0, "HTML");
	refuses("\xEF\xBB\xBF{}", 0, "byte order mark");
	/* invalid UTF-8 inside strings */
	refuses("\"\xC0\xAF\"", 1, "invalid UTF-8");         /* overlong '/' */
	refuses("\"\xE0\x80\xAF\"", 1, "invalid UTF-8");     /* overlong */
	refuses("\"\xED\xA0\x80\"", 1, "invalid UTF-8");     /* surrogate D800 */
	refuses("\"\xF4\x90\x80\x80\"", 1, "invalid UTF-8"); /* > U+10FFFF */
	refuses("\"\x80\"", 1, "invalid UTF-8");             /* stray continuation */
	refuses("\"ab\xE2\x82\"", 3, "invalid UTF-8");       /* truncated */
	refuses("\"\xFF\"", 1, "invalid UTF-8");
	refuses("[\xC3\xA9]", 1, "byte 0xc3");
}

static void test_depth(void)
{
	char doc[2 * (BG_JSON_MAX_DEPTH + 1) + 1];
	for (int depth = BG_JSON_MAX_DEPTH; depth <= BG_JSON_MAX_DEPTH + 1; depth++) {
		memset(doc, '[', (size_t)depth);
		memset(doc + depth, ']', (size_t)depth);
		doc[2 * depth] = '\0';
		json_object *o = NULL;
		bg_error err;
		int rc = parse(doc, strlen(doc), &o, &err);
		if (depth <= BG_JSON_MAX_DEPTH) {
			ok(rc == 0, "nesting of %d arrays is accepted", depth);
		} else {
			ok(rc == BG_E_EVAL && strstr(err.message, "nested deeper than 64") &&
				   strstr(err.message, "at byte 64 "),
			   "nesting of %d arrays is refused at the 65th '['", depth);
		}
		json_object_put(o);
	}
	/* Objects count as well as arrays. */
	bg_strbuf b = {0};
	for (int i = 0; i < 70; i++)
		bg_strbuf_puts(&b, "{\"a\":");
	bg_strbuf_puts(&b, "1");
	for (int i = 0; i < 70; i++)
		bg_strbuf_putc(&b, '}');
	json_object *o = NULL;
	bg_error err;
	ok(parse(b.s, b.len, &o, &err) == BG_E_EVAL && strstr(err.message, "nested deeper"),
	   "nesting of 70 objects is refused");
	bg_strbuf_free(&b);
}

static void test_numbers(void)
{
	json_object *o = NULL;
	bg_error err;
	const char *doc = "{\"int\":-12,\"max\":9223372036854775807,\"big\":9223372036854775808,"
			  "\"huge\":123456789012345678901234567890,\"frac\":1.0,\"exp\":1e3,"
			  "\"neg\":-9223372036854775809}";
	if (!ok(parse(doc, strlen(doc), &o, &err) == 0, "numbers document parses"))
		return;
	int64_t v = 0;
	bool present = false;
	ok(bg_json_get_int64(o, "int", true, "doc", &v, &present, &err) == 0 && v == -12 && present,
	   "int64 member reads exactly");
	ok(bg_json_get_int64(o, "max", true, "doc", &v, NULL, &err) == 0 && v == INT64_MAX,
	   "INT64_MAX reads exactly");
	const char *beyond[] = {"big", "huge", "frac", "exp", "neg"};
	for (size_t i = 0; i < sizeof beyond / sizeof *beyond; i++) {
		int rc = bg_json_get_int64(o, beyond[i], true, "doc", &v, NULL, &err);
		ok(rc == BG_E_EVAL && strstr(err.message, "must be an integer, not a number"),
		   "\"%s\" is not accepted as an integer (no clamping or rounding)", beyond[i]);
	}
	json_object *num = NULL;
	ok(bg_json_member(o, "frac", json_type_double, true, "doc", &num, &err) == 0 &&
		   json_object_get_double(num) == 1.0,
	   "a fraction reads as a number");
	ok(bg_json_member(o, "int", json_type_double, true, "doc", &num, &err) == 0 && num,
	   "an integer is also accepted where any number is wanted");
	json_object_put(o);
}

static void test_accessors(void)
{
	json_object *o = NULL;
	bg_error err;
	const char *doc = "{\"s\":\"v\",\"n\":null,\"i\":3,\"b\":true,\"o\":{},\"a\":[]}";
	if (!ok(parse(doc, strlen(doc), &o, &err) == 0, "accessor document parses"))
		return;
	const char *str = NULL;
	ok(bg_json_get_string(o, "s", true, "doc", &str, &err) == 0 && str && !strcmp(str, "v"),
	   "required string present");
	ok(bg_json_get_string(o, "missing", false, "doc", &str, &err) == 0 && str == NULL,
	   "optional string absent gives NULL");
	ok(bg_json_get_string(o, "n", false, "doc", &str, &err) == 0 && str == NULL,
	   "JSON null counts as absent");
	ok(bg_json_get_string(o, "missing", true, "manifest X", &str, &err) == BG_E_EVAL,
	   "required string absent fails");
	is_str(err.message, "manifest X: field \"missing\" is missing", "  message names field");
	ok(bg_json_get_string(o, "i", true, "doc", &str, &err) == BG_E_EVAL, "integer is not a string");
	is_str(err.message, "doc: field \"i\" must be a string, not an integer",
	       "  message names both types");
	bool b = false;
	ok(bg_json_get_bool(o, "b", true, "doc", &b, &err) == 0 && b, "boolean member");
	ok(bg_json_get_bool(o, "s", true, "doc", &b, &err) == BG_E_EVAL, "string is not a boolean");
	json_object *m = NULL;
	ok(bg_json_member(o, "o", json_type_object, true, "doc", &m, &err) == 0 && m, "object member");
	ok(bg_json_member(o, "a", json_type_object, true, "doc", &m, &err) == BG_E_EVAL && !m,
	   "array is not an object");
	is_str(err.message, "doc: field \"a\" must be an object, not an array", "  message");
	json_object *arr = json_object_new_array();
	ok(bg_json_member(arr, "x", json_type_string, false, "doc", &m, &err) == BG_E_EVAL,
	   "member lookup on a non-object fails");
	is_str(err.message, "doc: expected a JSON object, found an array", "  message");
	json_object_put(arr);
	ok(bg_json_member(NULL, "x", json_type_string, false, "doc", &m, &err) == BG_E_EVAL,
	   "member lookup on JSON null fails");
	json_object_put(o);

	ok(parse("null", 4, &o, &err) == 0 && o == NULL, "top-level null gives a NULL tree");
	ok(bg_json_parse_strict("{\"a\":", 5, NULL, &o, &err) == BG_E_EVAL &&
		   strncmp(err.message, "JSON document: ", 15) == 0,
	   "what defaults to \"JSON document\"");
	ok(parse("{\n  \"a\": 1,\n  \"a\": 2\n}", 22, &o, &err) == BG_E_EVAL && err.line == 3 &&
		   err.column == 3 && strstr(err.message, "(line 3, column 3)"),
	   "errors carry line and column");
}

/* Data is read by length, not up to a NUL: the byte after len is ignored
 * and an embedded NUL is caught. */
static void test_length(void)
{
	json_object *o = NULL;
	bg_error err;
	const char buf[] = "{\"a\":1}garbage";
	ok(parse(buf, 7, &o, &err) == 0, "only len bytes are read");
	json_object_put(o);
	ok(parse(buf, 6, &o, &err) == BG_E_EVAL, "a cut document is refused");
}

/* A large, manifest-shaped document parses quickly and completely. */
static void test_large(void)
{
	bg_strbuf b = {0};
	bg_strbuf_puts(&b, "{\"schemaVersion\":2,\"layers\":[");
	size_t n = 20000;
	for (size_t i = 0; i < n; i++)
		bg_strbuf_printf(&b,
				 "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
				 "\"digest\":\"sha256:%064zx\",\"size\":%zu}",
				 i ? "," : "", i, i);
	bg_strbuf_puts(&b, "]}");
	json_object *o = NULL;
	bg_error err;
	int rc = parse(b.s, b.len, &o, &err);
	json_object *layers = NULL;
	ok(rc == 0 && bg_json_member(o, "layers", json_type_array, true, "doc", &layers, &err) == 0 &&
		   json_object_array_length(layers) == n,
	   "a %zu-byte document with %zu layers parses", b.len, n);
	json_object_put(o);
	bg_strbuf_free(&b);
}

int main(void)
{
	test_accepts();
	test_refuses();
	test_depth();
	test_numbers();
	test_accessors();
	test_length();
	test_large();
	return tap_done();
}
