/* Unit tests for lib/yamldoc.c: strict YAML reading. */
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bootgate/limits.h"
#include "bootgate/yamldoc.h"

static bg_error err;

static bg_yamldoc *parse(const char *text)
{
	bg_yamldoc *doc = NULL;
	bg_error_clear(&err);
	int rc = bg_yamldoc_parse(text, strlen(text), "t.yaml", &doc, &err);
	if (rc != 0 && doc)
		return NULL; /* a failed parse must not hand out a document */
	return doc;
}

/* text must be refused as a usage error at line:column, with a message that
 * starts "t.yaml:LINE:COLUMN: " and contains needle. */
static void refused_n(const char *text, size_t len, unsigned line, unsigned column,
		      const char *needle, const char *name)
{
	bg_yamldoc *doc = NULL;
	bg_error_clear(&err);
	int rc = bg_yamldoc_parse(text, len, "t.yaml", &doc, &err);
	char prefix[64];
	snprintf(prefix, sizeof prefix, "t.yaml:%u:%u: ", line, column);
	bool good = rc == BG_E_USAGE && !doc && err.line == line && err.column == column &&
		    strncmp(err.message, prefix, strlen(prefix)) == 0 &&
		    strstr(err.message, needle) != NULL;
	if (!ok(good, "refused: %s", name))
		tap_diag("rc %d, doc %p, at %u:%u, message: %s", rc, (void *)doc, err.line,
			 err.column, err.message);
	bg_yamldoc_free(doc);
}

static void refused(const char *text, unsigned line, unsigned column, const char *needle,
		    const char *name)
{
	refused_n(text, strlen(text), line, column, needle, name);
}

static void accepted(const char *text, const char *name)
{
	bg_yamldoc *doc = parse(text);
	if (!ok(doc != NULL, "accepted: %s", name))
		tap_diag("message: %s", err.message);
	bg_yamldoc_free(doc);
}

static __attribute__((returns_nonnull)) void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		abort();
	return p;
}

static char *repeat(const char *open, size_t n, const char *close)
{
	size_t lo = strlen(open), lc = strlen(close);
	char *s = xmalloc(n * (lo + lc) + 1), *p = s;
	for (size_t i = 0; i < n; i++, p += lo)
		memcpy(p, open, lo);
	for (size_t i = 0; i < n; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

static void test_tree(void)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/yamldoc/valid.yaml", getenv("BOOTGATE_TESTDATA"));
	bg_yamldoc *doc = NULL;
	int rc = bg_yamldoc_read_file(path, BG_MAX_CONFIG_FILE_BYTES, &doc, &err);
	if (!ok(rc == 0 && doc && doc->root, "valid.yaml is read"))
		tap_diag("%s", err.message);
	if (!doc || !doc->root)
		return;
	const bg_yaml_node *root = doc->root;
	is_str(doc->name, path, "the document keeps its name");
	is_int(root->kind, BG_YAML_MAPPING, "root is a mapping");
	is_int(root->n_pairs, 9, "every top-level pair is kept");
	is_str(root->pairs[0].key->scalar, "name", "pairs keep file order (first)");
	is_str(root->pairs[8].key->scalar, "tagged", "pairs keep file order (last)");
	is_int(root->pairs[1].key->line, 3, "a key knows its line");
	is_int(root->pairs[1].value->column, 10, "a value knows its column");
	is_str(root->pairs[1].key->file, path, "a node knows its file");

	const bg_yaml_node *answer = bg_yamldoc_get(root, "answer");
	const bg_yaml_node *plain = bg_yamldoc_get(root, "plain-answer");
	ok(answer && answer->style == BG_YAML_DOUBLE_QUOTED && strcmp(answer->scalar, "yes") == 0,
	   "quoted \"yes\" is the text yes, double-quoted");
	ok(plain && plain->style == BG_YAML_PLAIN && strcmp(plain->scalar, "yes") == 0,
	   "plain yes stays the text yes, not a boolean");

	const bg_yaml_node *regs = bg_yamldoc_get(root, "registries");
	ok(regs && regs->kind == BG_YAML_SEQUENCE && regs->n_items == 2, "sequence of two items");
	if (regs && regs->n_items == 2) {
		is_str(regs->items[0]->scalar, "registry.redhat.io", "sequence item 1");
		is_str(regs->items[1]->scalar, "quay.io", "sequence item 2");
		is_int(regs->items[1]->style, BG_YAML_SINGLE_QUOTED, "single-quoted style kept");
		is_int(regs->items[1]->line, 9, "sequence item line");
	}
	const bg_yaml_node *notes = bg_yamldoc_get(root, "notes");
	ok(notes && notes->style == BG_YAML_LITERAL &&
		   strcmp(notes->scalar, "line one\nline two\n") == 0,
	   "literal block scalar text and style");
	const bg_yaml_node *empty = bg_yamldoc_get(root, "empty");
	ok(empty && bg_yamldoc_is_null(empty), "`key:` with nothing is a null scalar");
	const bg_yaml_node *tagged = bg_yamldoc_get(root, "tagged");
	ok(tagged && tagged->str_tag && strcmp(tagged->scalar, "42") == 0, "!!str scalar is marked");

	ok(bg_yamldoc_get(root, "missing") == NULL, "get: missing key is NULL");
	ok(bg_yamldoc_get(regs, "registry.redhat.io") == NULL, "get: on a sequence is NULL");
	ok(bg_yamldoc_get(NULL, "name") == NULL, "get: on NULL is NULL");
	bg_yamldoc_free(doc);
}

static void test_empty_streams(void)
{
	bg_yamldoc *doc = parse("");
	ok(doc && doc->root == NULL, "empty input: a document without root");
	bg_yamldoc_free(doc);
	doc = parse("# nothing but a comment\n\n");
	ok(doc && doc->root == NULL, "comment-only input: no root");
	bg_yamldoc_free(doc);
	doc = parse("---\n");
	ok(doc && doc->root && bg_yamldoc_is_null(doc->root), "`---` alone: a null root");
	bg_yamldoc_free(doc);
	doc = NULL;
	ok(bg_yamldoc_parse(NULL, 0, "t.yaml", &doc, &err) == 0 && doc && !doc->root,
	   "NULL data of length 0: an empty stream");
	bg_yamldoc_free(doc);
	accepted("---\na: 1\n...\n", "one document with explicit start and end markers");
	accepted("%YAML 1.2\n---\na: 1\n", "a %YAML directive");
}

static void test_depth(void)
{
	char *at_limit = repeat("[", BG_MAX_YAML_DEPTH, "]");
	accepted(at_limit, "flow nesting exactly at BG_MAX_YAML_DEPTH");
	free(at_limit);
	char *over = repeat("[", BG_MAX_YAML_DEPTH + 1, "]");
	refused(over, 1, BG_MAX_YAML_DEPTH + 1, "nested more than 64 levels",
		"flow nesting one past the limit, at the offending bracket");
	free(over);

	/* Block mappings nest too: "a:\n b:\n  c: ..." */
	size_t n = BG_MAX_YAML_DEPTH + 1, used = 0, size = n * (n + 8);
	char *block = xmalloc(size);
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(block + used, size - used, "%*sk:\n", (int)i, "");
	snprintf(block + used, size - used, "%*sv: 1\n", (int)n, "");
	refused(block, (unsigned)n, (unsigned)n, "nested more than 64 levels",
		"block mappings nested past the limit");
	free(block);

	/* libyaml 0.2.5 alone needs minutes for this; the depth check stops it
	 * after BG_MAX_YAML_DEPTH events. */
	char *huge = repeat("[", 1000000, "");
	clock_t t0 = clock();
	refused(huge, 1, BG_MAX_YAML_DEPTH + 1, "nested more than", "1,000,000 open brackets");
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0, "1,000,000 open brackets: refused fast");
	free(huge);
}

static void test_aliases(void)
{
	refused("a: &anchor 1\nb: 2\n", 1, 4, "anchors and aliases are not accepted (anchor '&anchor')",
		"an anchor on a scalar");
	refused("base: &b {x: 1}\n", 1, 7, "aliases are not accepted", "an anchor on a mapping");
	refused("- &s [1]\n", 1, 3, "aliases are not accepted", "an anchor on a sequence");
	refused("a: *nowhere\n", 1, 4, "YAML aliases are not accepted (alias '*nowhere')",
		"an alias");
	refused("&a [ *a ]\n", 1, 1, "aliases are not accepted", "a self-referential alias");

	char path[4096];
	snprintf(path, sizeof path, "%s/yamldoc/billion-laughs.yaml", getenv("BOOTGATE_TESTDATA"));
	bg_yamldoc *doc = NULL;
	int rc = bg_yamldoc_read_file(path, BG_MAX_CONFIG_FILE_BYTES, &doc, &err);
	ok(rc == BG_E_USAGE && !doc && err.line == 1 && strstr(err.message, "aliases are not accepted"),
	   "billion laughs: refused at its first anchor");
	ok(strncmp(err.message, path, strlen(path)) == 0, "billion laughs: message names the file");
}

static void test_duplicates(void)
{
	refused("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key 'a' (first on line 1)",
		"a duplicate key names both lines");
	refused("a: 1\n\"a\": 2\n", 2, 1, "duplicate key 'a'",
		"quoting does not make a key different");
	refused("x: 1\na: 1\nb: 2\na: 3\nb: 4\nb: 5\n", 4, 1, "duplicate key 'a' (first on line 2)",
		"the first repetition in the file is the one reported");
	refused("{a: 1, a: 2}\n", 1, 8, "duplicate key 'a' (first on line 1)",
		"duplicate keys in a flow mapping");
	accepted("a: {k: 1}\nb: {k: 2}\n", "the same key in two different mappings");

	char path[4096];
	snprintf(path, sizeof path, "%s/yamldoc/duplicate-keys.yaml", getenv("BOOTGATE_TESTDATA"));
	bg_yamldoc *doc = NULL;
	int rc = bg_yamldoc_read_file(path, BG_MAX_CONFIG_FILE_BYTES, &doc, &err);
	ok(rc == BG_E_USAGE && err.line == 4 && err.column == 3 &&
		   strstr(err.message, "duplicate key 'allow' (first on line 2)"),
	   "duplicate-keys.yaml: allow: false then allow: true is refused");

	/* Many keys: the check must not be quadratic. */
	bg_yamldoc *big = NULL;
	size_t n = 200000;
	size_t used = 0, size = n * 16;
	char *text = xmalloc(size);
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, size - used, "k%zu: 1\n", i);
	clock_t t0 = clock();
	rc = bg_yamldoc_parse(text, used, "big.yaml", &big, &err);
	ok(rc == 0 && big && big->root->n_pairs == n, "200,000 distinct keys are read");
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0, "200,000 keys: duplicate check is fast");
	bg_yamldoc_free(big);
	free(text);
}

static void test_structure(void)
{
	refused("a: 1\n---\nb: 2\n", 2, 1, "only one document", "a second document");
	char path[4096];
	snprintf(path, sizeof path, "%s/yamldoc/multi-document.yaml", getenv("BOOTGATE_TESTDATA"));
	bg_yamldoc *doc = NULL;
	int rc = bg_yamldoc_read_file(path, BG_MAX_CONFIG_FILE_BYTES, &doc, &err);
	ok(rc == BG_E_USAGE && err.line == 3 && strstr(err.message, "second YAML document"),
	   "multi-document.yaml: the second document is refused, not ignored");

	refused("? [a, b]\n: 1\n", 1, 3, "a sequence is used as a mapping key",
		"a sequence as a key");
	refused("{{a: 1}: 2}\n", 1, 2, "a mapping is used as a mapping key", "a mapping as a key");
	refused("<<: {a: 1}\nb: 2\n", 1, 1, "merge keys ('<<') are not accepted", "a merge key");
	accepted("\"<<\": 1\n", "a quoted \"<<\" is an ordinary key");

	refused("a: !!binary aGVsbG8=\n", 1, 4, "tag '!!binary' is not accepted", "!!binary");
	refused("a: !!python/object:os.system x\n", 1, 4, "is not accepted", "!!python/object");
	refused("a: !local x\n", 1, 4, "tag '!local' is not accepted", "a local tag");
	refused("a: !!int 3\n", 1, 4, "tag '!!int' is not accepted", "!!int (no coercion by tag)");
	refused("a: !!str {b: 1}\n", 1, 4, "tag '!!str' is not accepted", "!!str on a mapping");
	refused("%TAG !! tag:example.com,2000:\n---\na: !!str x\n", 3, 4, "is not accepted",
		"a %TAG directive cannot redefine !!str");
	accepted("a: !!map {b: !!seq [!!str c]}\n", "!!map, !!seq and !!str on matching nodes");

	refused_n("a: 1\nb: x\0y\n", 11, 2, 5, "NUL byte", "a NUL byte in the input");
	refused("a: \"x\\0y\"\n", 1, 4, "NUL character", "a \\0 escape");
	refused("a: \"x\\u0000\"\n", 1, 4, "NUL character", "a \\u0000 escape");
	refused("a:\n  b: [1, 2\n  c: 3\n", 3, 4, "invalid YAML: did not find expected",
		"a syntax error gives its position");
	refused("a: \xff\n", 1, 4, "invalid YAML", "invalid UTF-8");
	refused("\"\\e[31m\": 1\n\"\\e[31m\": 2\n", 2, 1, "duplicate key '\\x1b[31m'",
		"control characters are escaped in messages");
}

/* Parse "v: TEXT" and return the value node (doc kept in *doc). */
static const bg_yaml_node *value_of(const char *text, bg_yamldoc **doc)
{
	*doc = parse(text);
	return *doc ? bg_yamldoc_get((*doc)->root, "v") : NULL;
}

static void bool_case(const char *text, int want, const char *name)
{
	bg_yamldoc *doc;
	const bg_yaml_node *v = value_of(text, &doc);
	bool out = !want;
	bg_error_clear(&err);
	int rc = v ? bg_yamldoc_bool(v, "'v'", &out, &err) : -99;
	if (want >= 0)
		ok(rc == 0 && out == (bool)want, "bool: %s", name);
	else if (!ok(rc == BG_E_USAGE && err.line == 1 && out == !want &&
			     strstr(err.message, "'v' must be true or false (unquoted), not "),
		     "bool refused: %s", name))
		tap_diag("rc %d: %s", rc, err.message);
	bg_yamldoc_free(doc);
}

static void int_case(const char *text, long long want, bool good, const char *name)
{
	bg_yamldoc *doc;
	const bg_yaml_node *v = value_of(text, &doc);
	long long out = -12345;
	bg_error_clear(&err);
	int rc = v ? bg_yamldoc_int(v, "'v'", -100, 1000, &out, &err) : -99;
	if (good)
		ok(rc == 0 && out == want, "int: %s", name);
	else
		ok(rc == BG_E_USAGE && out == -12345 && err.line == 1 &&
			   strstr(err.message, "'v' must be a whole number from -100 to 1000"),
		   "int refused: %s", name);
	bg_yamldoc_free(doc);
}

static void test_getters(void)
{
	bool_case("v: true", 1, "plain true");
	bool_case("v: false", 0, "plain false");
	bool_case("v: yes", -1, "yes (YAML 1.1)");
	bool_case("v: no", -1, "no (YAML 1.1)");
	bool_case("v: on", -1, "on (YAML 1.1)");
	bool_case("v: off", -1, "off (YAML 1.1)");
	bool_case("v: y", -1, "y (YAML 1.1)");
	bool_case("v: True", -1, "True");
	bool_case("v: 1", -1, "1");
	bool_case("v: \"true\"", -1, "quoted \"true\"");
	bool_case("v: !!str true", -1, "!!str true");
	bool_case("v:", -1, "empty");
	bool_case("v: [true]", -1, "a sequence");

	bg_yamldoc *doc;
	const bg_yaml_node *v = value_of("\n\nv: on\n", &doc);
	bool b;
	bg_yamldoc_bool(v, "'enabled' of rule 'x'", &b, &err);
	is_str(err.message,
	       "t.yaml:3:4: 'enabled' of rule 'x' must be true or false (unquoted), not 'on'; "
	       "YAML 1.1 spellings such as yes, no, on, off are not accepted",
	       "bool: the whole message for `on`");
	bg_yamldoc_free(doc);

	int_case("v: 0", 0, true, "0");
	int_case("v: 42", 42, true, "42");
	int_case("v: -7", -7, true, "-7");
	int_case("v: 1000", 1000, true, "the maximum");
	int_case("v: 1001", 0, false, "above the maximum");
	int_case("v: -101", 0, false, "below the minimum");
	int_case("v: 99999999999999999999999", 0, false, "overflows long long");
	int_case("v: 010", 0, false, "leading zero (YAML 1.1 octal)");
	int_case("v: 0x1f", 0, false, "hexadecimal");
	int_case("v: 1_000", 0, false, "underscore");
	int_case("v: +5", 0, false, "plus sign");
	int_case("v: 1.5", 0, false, "a fraction");
	int_case("v: '5'", 0, false, "quoted");
	int_case("v: --1", 0, false, "two minus signs");
	int_case("v:", 0, false, "empty");

	const char *s = NULL;
	v = value_of("v: linux/amd64", &doc);
	ok(v && bg_yamldoc_string(v, "'v'", &s, &err) == 0 && strcmp(s, "linux/amd64") == 0,
	   "string: plain text");
	bg_yamldoc_free(doc);
	v = value_of("v: \"\"", &doc);
	ok(v && bg_yamldoc_string(v, "'v'", &s, &err) == 0 && strcmp(s, "") == 0,
	   "string: quoted empty string");
	bg_yamldoc_free(doc);
	v = value_of("v: 'null'", &doc);
	ok(v && bg_yamldoc_string(v, "'v'", &s, &err) == 0 && strcmp(s, "null") == 0,
	   "string: quoted 'null' is text");
	bg_yamldoc_free(doc);
	v = value_of("v: ~", &doc);
	s = NULL;
	ok(v && bg_yamldoc_string(v, "'v'", &s, &err) == BG_E_USAGE && !s &&
		   strstr(err.message, "'v' must be a string, not empty (null)"),
	   "string refused: ~");
	bg_yamldoc_free(doc);
	v = value_of("v: {a: 1}", &doc);
	ok(v && bg_yamldoc_string(v, "'v'", &s, &err) == BG_E_USAGE &&
		   strstr(err.message, "must be a string, not a mapping"),
	   "string refused: a mapping");
	bg_yamldoc_free(doc);

	v = value_of("v: [1]", &doc);
	ok(v && bg_yamldoc_expect(v, BG_YAML_SEQUENCE, "'v'", &err) == 0, "expect: right kind");
	ok(v && bg_yamldoc_expect(v, BG_YAML_MAPPING, "'v'", &err) == BG_E_USAGE &&
		   strcmp(err.message, "t.yaml:1:4: 'v' must be a mapping, not a sequence") == 0,
	   "expect: wrong kind, message names both");
	bg_yamldoc_free(doc);

	doc = parse("a: ''\nb: null\nc: Null\nd: NULL\ne: ~\nf: nil\ng: \"\"\n");
	const bg_yaml_node *r = doc ? doc->root : NULL;
	ok(r && !bg_yamldoc_is_null(bg_yamldoc_get(r, "a")), "is_null: '' is not null");
	ok(r && bg_yamldoc_is_null(bg_yamldoc_get(r, "b")) &&
		   bg_yamldoc_is_null(bg_yamldoc_get(r, "c")) &&
		   bg_yamldoc_is_null(bg_yamldoc_get(r, "d")) &&
		   bg_yamldoc_is_null(bg_yamldoc_get(r, "e")),
	   "is_null: null, Null, NULL, ~");
	ok(r && !bg_yamldoc_is_null(bg_yamldoc_get(r, "f")) &&
		   !bg_yamldoc_is_null(bg_yamldoc_get(r, "g")) && !bg_yamldoc_is_null(NULL),
	   "is_null: nil, \"\" and NULL are not null");
	bg_yamldoc_free(doc);
}

static void test_check_keys(void)
{
	static const char *const allowed[] = {"a", "b", "c", NULL};
	bg_yamldoc *doc = parse("lint:\n  a: 1\n  c: 2\n");
	const bg_yaml_node *lint = doc ? bg_yamldoc_get(doc->root, "lint") : NULL;
	ok(lint && bg_yamldoc_check_keys(lint, "'lint'", allowed, &err) == 0,
	   "check_keys: only allowed keys");
	bg_yamldoc_free(doc);

	doc = parse("lint:\n  a: 1\n  colour: 2\n");
	lint = doc ? bg_yamldoc_get(doc->root, "lint") : NULL;
	ok(lint && bg_yamldoc_check_keys(lint, "'lint'", allowed, &err) == BG_E_USAGE,
	   "check_keys: an unknown key is an error");
	is_str(err.message, "t.yaml:3:3: unknown key 'colour' in 'lint'; allowed: a, b, c",
	       "check_keys: message names the key, its line and the allowed keys");
	is_int(err.line, 3, "check_keys: error line");
	bg_yamldoc_free(doc);

	doc = parse("lint: [a]\n");
	lint = doc ? bg_yamldoc_get(doc->root, "lint") : NULL;
	ok(lint && bg_yamldoc_check_keys(lint, "'lint'", allowed, &err) == BG_E_USAGE &&
		   strstr(err.message, "'lint' must be a mapping, not a sequence"),
	   "check_keys: not a mapping");
	bg_yamldoc_free(doc);
}

static void test_shown(void)
{
	is_str(bg_yamldoc_shown("ok\x1b[2J\n").s, "ok\\x1b[2J\\x0a",
	       "shown: control characters become \\xNN");
	char long_text[80];
	memset(long_text, 'a', 59);
	strcpy(long_text + 59, "\xc3\xa9tail"); /* é straddles the 60-byte cut */
	char want[80];
	memset(want, 'a', 59);
	strcpy(want + 59, "...");
	is_str(bg_yamldoc_shown(long_text).s, want,
	       "shown: long text is cut before a split UTF-8 character");
	is_str(bg_yamldoc_shown("r\xc3\xa9sum\xc3\xa9").s, "r\xc3\xa9sum\xc3\xa9",
	       "shown: short UTF-8 text is kept");
}

static void test_files(void)
{
	bg_yamldoc *doc = NULL;
	char path[4096];
	snprintf(path, sizeof path, "%s/yamldoc/valid.yaml", getenv("BOOTGATE_TESTDATA"));
	ok(bg_yamldoc_read_file(path, 16, &doc, &err) == BG_E_USAGE && !doc &&
		   strstr(err.message, "limit"),
	   "read_file: the caller's size cap is enforced");
	ok(bg_yamldoc_read_file("testdata/yamldoc/no-such-file.yaml", 1024, &doc, &err) ==
			   BG_E_USAGE &&
		   strstr(err.message, "no-such-file.yaml"),
	   "read_file: a missing file is a usage error naming it");
	bg_yamldoc_free(NULL); /* must not crash */
	is_str(bg_yamldoc_kind_name(BG_YAML_SEQUENCE), "sequence", "kind_name");
}

int main(void)
{
	if (!getenv("BOOTGATE_TESTDATA"))
		return tap_skip_all("BOOTGATE_TESTDATA is not set");
	test_tree();
	test_empty_streams();
	test_depth();
	test_aliases();
	test_duplicates();
	test_structure();
	test_getters();
	test_check_keys();
	test_shown();
	test_files();
	return tap_done();
}
