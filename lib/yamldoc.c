/* bootgate — strict YAML reading (see include/bootgate/yamldoc.h).
 *
 * libyaml 0.2.5's loader builds cyclic graphs from `&a [*a]`, keeps duplicate
 * keys, reads only the first document and has no nesting limit, so the tree
 * is built here from parser events instead, refusing each of those as soon as
 * its event arrives (a 1,000,000-deep input stops after BG_MAX_YAML_DEPTH
 * events). */
#include "bootgate/yamldoc.h"
#include "bootgate/limits.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_TAG_PREFIX "tag:yaml.org,2002:"

/* User text shown in messages: at most SHOWN_MAX bytes of it, control
 * characters replaced, so that a hostile file cannot write terminal escape
 * sequences into a CI log through an error message. */
#define SHOWN_MAX 60
_Static_assert(sizeof(bg_yaml_shown) >= SHOWN_MAX * 4 + 4, "room for escapes and ...");

bg_yaml_shown bg_yamldoc_shown(const char *s)
{
	bg_yaml_shown t;
	size_t o = 0, i = 0;
	for (; s[i] && i < SHOWN_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(t.s + o, sizeof t.s - o, "\\x%02x", c);
		else
			t.s[o++] = (char)c;
	}
	if (s[i]) {
		/* Cut before a UTF-8 character that does not fit whole
		 * (bytes >= 0x80 were copied one for one). */
		while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80) {
			i--;
			o--;
		}
		o += (size_t)snprintf(t.s + o, sizeof t.s - o, "...");
	}
	t.s[o] = '\0';
	return t;
}

/* ---- the tree ---------------------------------------------------------- */

static void node_free(bg_yaml_node *n)
{
	if (!n)
		return;
	free(n->scalar);
	for (size_t i = 0; i < n->n_pairs; i++) {
		node_free(n->pairs[i].key);
		node_free(n->pairs[i].value);
	}
	free(n->pairs);
	for (size_t i = 0; i < n->n_items; i++)
		node_free(n->items[i]);
	free(n->items);
	free(n);
}

void bg_yamldoc_free(bg_yamldoc *doc)
{
	if (!doc)
		return;
	node_free(doc->root);
	free(doc->name);
	free(doc);
}

const char *bg_yamldoc_kind_name(bg_yaml_kind kind)
{
	switch (kind) {
	case BG_YAML_SCALAR:
		return "scalar";
	case BG_YAML_MAPPING:
		return "mapping";
	case BG_YAML_SEQUENCE:
		return "sequence";
	}
	return "unknown";
}

/* Grow *v (of *cap elements of size elem) to hold n + 1. */
static bool grow(void *v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 4;
	void *nv = realloc(*(void **)v, ncap * elem);
	if (!nv)
		return false;
	*(void **)v = nv;
	*cap = ncap;
	return true;
}

/* ---- building from events --------------------------------------------- */

typedef struct builder {
	const char *name;
	const char *data; /* the input, for positions of reader errors */
	size_t len;
	bg_error *err;
	bg_yaml_node *root;
	bg_yaml_node *open[BG_MAX_YAML_DEPTH]; /* collections not yet closed */
	size_t depth;
	size_t pairs_cap[BG_MAX_YAML_DEPTH];   /* capacity of open[i]'s array */
	unsigned documents;
} builder;

static int error_at_mark(builder *b, bg_status status, yaml_mark_t mark, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int error_at_mark(builder *b, bg_status status, yaml_mark_t mark, const char *fmt, ...)
{
	char msg[BG_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	unsigned line = (unsigned)mark.line + 1, column = (unsigned)mark.column + 1;
	return bg_error_at(b->err, status, line, column, "%s:%u:%u: %s", b->name, line, column, msg);
}

/* Position of a byte offset, for errors that libyaml reports as an offset. */
static yaml_mark_t mark_of_offset(const char *data, size_t len, size_t offset)
{
	yaml_mark_t m = {0};
	for (size_t i = 0; i < offset && i < len; i++) {
		if (data[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)data[i] & 0xc0) != 0x80) {
			m.column++; /* count characters, not UTF-8 continuation bytes */
		}
	}
	m.index = offset;
	return m;
}

static int check_anchor_and_tag(builder *b, const yaml_event_t *ev, const yaml_char_t *anchor,
				const yaml_char_t *tag, const char *allowed_tag)
{
	if (anchor)
		return error_at_mark(b, BG_E_USAGE, ev->start_mark,
				     "YAML anchors and aliases are not accepted (anchor '&%s'); "
				     "write the value out in full",
				     bg_yamldoc_shown((const char *)anchor).s);
	if (tag && strcmp((const char *)tag, allowed_tag) != 0) {
		/* Show standard tags as they are usually written: !!binary. */
		const char *t = (const char *)tag;
		bool standard = bg_str_has_prefix(t, YAML_TAG_PREFIX);
		return error_at_mark(b, BG_E_USAGE, ev->start_mark,
				     "YAML tag '%s%s' is not accepted here; remove it (only untagged "
				     "values, !!str on scalars, !!map and !!seq are read)",
				     standard ? "!!" : "",
				     bg_yamldoc_shown(standard ? t + strlen(YAML_TAG_PREFIX) : t).s);
	}
	return 0;
}

static bg_yaml_node *node_new(builder *b, bg_yaml_kind kind, yaml_mark_t mark)
{
	bg_yaml_node *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (unsigned)mark.line + 1;
	n->column = (unsigned)mark.column + 1;
	n->file = b->name;
	return n;
}

/* Attach n to the innermost open collection (or make it the root).  Takes
 * ownership of n: frees it on error. */
static int attach(builder *b, bg_yaml_node *n, yaml_mark_t mark)
{
	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	bg_yaml_node *parent = b->open[b->depth - 1];
	size_t *cap = &b->pairs_cap[b->depth - 1];
	if (parent->kind == BG_YAML_SEQUENCE) {
		if (!grow(&parent->items, cap, parent->n_items, sizeof *parent->items))
			goto nomem;
		parent->items[parent->n_items++] = n;
		return 0;
	}
	if (parent->n_pairs > 0 && !parent->pairs[parent->n_pairs - 1].value) {
		parent->pairs[parent->n_pairs - 1].value = n;
		return 0;
	}
	/* n is a key. */
	if (n->kind != BG_YAML_SCALAR) {
		int rc = error_at_mark(b, BG_E_USAGE, mark,
				       "a %s is used as a mapping key; keys must be scalars",
				       bg_yamldoc_kind_name(n->kind));
		node_free(n);
		return rc;
	}
	if (n->style == BG_YAML_PLAIN && !n->str_tag && strcmp(n->scalar, "<<") == 0) {
		node_free(n);
		return error_at_mark(b, BG_E_USAGE, mark,
				     "YAML merge keys ('<<') are not accepted; write the keys out");
	}
	if (!grow(&parent->pairs, cap, parent->n_pairs, sizeof *parent->pairs))
		goto nomem;
	parent->pairs[parent->n_pairs++] = (bg_yaml_pair){.key = n, .value = NULL};
	return 0;
nomem:
	node_free(n);
	return error_at_mark(b, BG_E_NOMEM, mark, "out of memory reading YAML");
}

static int on_scalar(builder *b, const yaml_event_t *ev)
{
	int rc = check_anchor_and_tag(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag,
				      YAML_TAG_PREFIX "str");
	if (rc < 0)
		return rc;
	const char *value = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	if (memchr(value, '\0', len))
		return error_at_mark(b, BG_E_USAGE, ev->start_mark,
				     "a NUL character (\\0 escape) in a scalar is not accepted");
	bg_yaml_node *n = node_new(b, BG_YAML_SCALAR, ev->start_mark);
	if (!n || !(n->scalar = bg_strndup(value, len))) {
		free(n);
		return error_at_mark(b, BG_E_NOMEM, ev->start_mark, "out of memory reading YAML");
	}
	n->str_tag = ev->data.scalar.tag != NULL;
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		n->style = BG_YAML_SINGLE_QUOTED;
		break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		n->style = BG_YAML_DOUBLE_QUOTED;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
		n->style = BG_YAML_LITERAL;
		break;
	case YAML_FOLDED_SCALAR_STYLE:
		n->style = BG_YAML_FOLDED;
		break;
	default:
		n->style = BG_YAML_PLAIN;
		break;
	}
	return attach(b, n, ev->start_mark);
}

static int on_collection_start(builder *b, const yaml_event_t *ev, bg_yaml_kind kind)
{
	const yaml_char_t *anchor, *tag;
	const char *allowed;
	if (kind == BG_YAML_MAPPING) {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		allowed = YAML_TAG_PREFIX "map";
	} else {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		allowed = YAML_TAG_PREFIX "seq";
	}
	int rc = check_anchor_and_tag(b, ev, anchor, tag, allowed);
	if (rc < 0)
		return rc;
	if (b->depth == BG_MAX_YAML_DEPTH)
		return error_at_mark(b, BG_E_USAGE, ev->start_mark,
				     "YAML nested more than %d levels deep; flatten the structure",
				     BG_MAX_YAML_DEPTH);
	bg_yaml_node *n = node_new(b, kind, ev->start_mark);
	if (!n)
		return error_at_mark(b, BG_E_NOMEM, ev->start_mark, "out of memory reading YAML");
	rc = attach(b, n, ev->start_mark);
	if (rc < 0)
		return rc;
	b->pairs_cap[b->depth] = 0;
	b->open[b->depth++] = n;
	return 0;
}

/* Keys sorted by text, then by position, to find duplicates in O(n log n):
 * a hostile file may hold a mapping with a million keys. */
static int compare_pairs(const void *a, const void *b)
{
	const bg_yaml_pair *pa = *(const bg_yaml_pair *const *)a;
	const bg_yaml_pair *pb = *(const bg_yaml_pair *const *)b;
	int c = strcmp(pa->key->scalar, pb->key->scalar);
	if (c)
		return c;
	return (pa > pb) - (pa < pb);
}

static int check_duplicate_keys(builder *b, const bg_yaml_node *map)
{
	if (map->n_pairs < 2)
		return 0;
	const bg_yaml_pair **sorted = malloc(map->n_pairs * sizeof *sorted);
	if (!sorted)
		return bg_yamldoc_error(map, b->err, BG_E_NOMEM, "out of memory reading YAML");
	for (size_t i = 0; i < map->n_pairs; i++)
		sorted[i] = &map->pairs[i];
	qsort(sorted, map->n_pairs, sizeof *sorted, compare_pairs);
	/* Report the repetition that comes first in the file. */
	const bg_yaml_pair *first = NULL, *again = NULL;
	for (size_t i = 1; i < map->n_pairs; i++) {
		if (strcmp(sorted[i - 1]->key->scalar, sorted[i]->key->scalar) != 0)
			continue;
		if (i >= 2 && strcmp(sorted[i - 2]->key->scalar, sorted[i]->key->scalar) == 0)
			continue; /* third or later of the same key */
		if (!again || sorted[i] < again) {
			first = sorted[i - 1];
			again = sorted[i];
		}
	}
	free(sorted);
	if (!again)
		return 0;
	return bg_yamldoc_error(again->key, b->err, BG_E_USAGE,
				"duplicate key '%s' (first on line %u); keep only one",
				bg_yamldoc_shown(again->key->scalar).s, first->key->line);
}

static int on_collection_end(builder *b, const yaml_event_t *ev)
{
	if (b->depth == 0) /* libyaml does not emit this; be safe anyway */
		return error_at_mark(b, BG_E_USAGE, ev->start_mark, "unbalanced YAML collection end");
	bg_yaml_node *n = b->open[--b->depth];
	if (n->kind == BG_YAML_MAPPING)
		return check_duplicate_keys(b, n);
	return 0;
}

static int parser_error(builder *b, const yaml_parser_t *p)
{
	if (p->error == YAML_MEMORY_ERROR)
		return bg_error_set(b->err, BG_E_NOMEM, "%s: out of memory reading YAML", b->name);
	yaml_mark_t mark = p->problem_mark;
	if (p->error == YAML_READER_ERROR)
		mark = mark_of_offset(b->data, b->len, p->problem_offset);
	const char *problem = p->problem ? p->problem : "syntax error";
	if (p->context)
		return error_at_mark(b, BG_E_USAGE, mark, "invalid YAML: %s (%s, started on line %zu)",
				     problem, p->context, p->context_mark.line + 1);
	return error_at_mark(b, BG_E_USAGE, mark, "invalid YAML: %s", problem);
}

static int on_event(builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1)
			return error_at_mark(b, BG_E_USAGE, ev->start_mark,
					     "a second YAML document starts here; only one "
					     "document per file is read, remove the others");
		return 0;
	case YAML_ALIAS_EVENT:
		return error_at_mark(b, BG_E_USAGE, ev->start_mark,
				     "YAML aliases are not accepted (alias '*%s'); write the "
				     "value out in full",
				     bg_yamldoc_shown((const char *)ev->data.alias.anchor).s);
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_collection_start(b, ev, BG_YAML_SEQUENCE);
	case YAML_MAPPING_START_EVENT:
		return on_collection_start(b, ev, BG_YAML_MAPPING);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_collection_end(b, ev);
	default: /* stream start/end, document end */
		return 0;
	}
}

int bg_yamldoc_parse(const char *data, size_t len, const char *name, bg_yamldoc **out,
		     bg_error *err)
{
	*out = NULL;
	if (len == 0)
		data = ""; /* libyaml asserts a non-NULL input */
	builder b = {.name = name, .data = data, .len = len, .err = err};
	const char *nul = memchr(data, '\0', len);
	if (nul)
		return error_at_mark(&b, BG_E_USAGE, mark_of_offset(data, len, (size_t)(nul - data)),
				     "a NUL byte in YAML is not accepted (is this a binary or "
				     "UTF-16 file?)");

	bg_yamldoc *doc = calloc(1, sizeof *doc);
	if (!doc || !(doc->name = bg_strdup(name))) {
		free(doc);
		return bg_error_set(err, BG_E_NOMEM, "%s: out of memory reading YAML", name);
	}
	b.name = doc->name; /* nodes point at the document's own copy */

	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		bg_yamldoc_free(doc);
		return bg_error_set(err, BG_E_NOMEM, "%s: out of memory reading YAML", name);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);

	int rc = 0;
	for (bool done = false; !done && rc == 0;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = parser_error(&b, &parser);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);

	if (rc < 0) {
		/* Every node is already linked below b.root (attach frees what it
		 * could not link), so freeing the root frees everything. */
		node_free(b.root);
		bg_yamldoc_free(doc);
		return rc;
	}
	doc->root = b.root;
	*out = doc;
	return 0;
}

int bg_yamldoc_read_file(const char *path, size_t max_bytes, bg_yamldoc **out, bg_error *err)
{
	*out = NULL;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int rc = bg_read_file(path, max_bytes, &data, &len, err);
	if (rc < 0)
		return rc;
	return bg_yamldoc_parse(data, len, path, out, err);
}

/* ---- access ----------------------------------------------------------- */

const bg_yaml_node *bg_yamldoc_get(const bg_yaml_node *map, const char *key)
{
	if (!map || map->kind != BG_YAML_MAPPING)
		return NULL;
	for (size_t i = 0; i < map->n_pairs; i++)
		if (strcmp(map->pairs[i].key->scalar, key) == 0)
			return map->pairs[i].value;
	return NULL;
}

bool bg_yamldoc_is_null(const bg_yaml_node *node)
{
	if (!node || node->kind != BG_YAML_SCALAR || node->style != BG_YAML_PLAIN || node->str_tag)
		return false;
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
		if (strcmp(node->scalar, nulls[i]) == 0)
			return true;
	return false;
}

int bg_yamldoc_error(const bg_yaml_node *node, bg_error *err, bg_status status, const char *fmt,
		     ...)
{
	char msg[BG_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return bg_error_at(err, status, node->line, node->column, "%s:%u:%u: %s", node->file,
			   node->line, node->column, msg);
}

/* "a mapping", "null", "the string 'x'" — what the user wrote instead. */
static const char *describe(const bg_yaml_node *node, char *buf, size_t size)
{
	if (node->kind == BG_YAML_MAPPING)
		return "a mapping";
	if (node->kind == BG_YAML_SEQUENCE)
		return "a sequence";
	if (bg_yamldoc_is_null(node))
		return "empty (null)";
	snprintf(buf, size, "%s'%s'", node->style == BG_YAML_PLAIN ? "" : "the quoted string ",
		 bg_yamldoc_shown(node->scalar).s);
	return buf;
}

int bg_yamldoc_expect(const bg_yaml_node *node, bg_yaml_kind kind, const char *what,
		      bg_error *err)
{
	if (node->kind == kind)
		return 0;
	char buf[512];
	return bg_yamldoc_error(node, err, BG_E_USAGE, "%s must be a %s, not %s", what,
				bg_yamldoc_kind_name(kind), describe(node, buf, sizeof buf));
}

static bool is_plain(const bg_yaml_node *node)
{
	return node->kind == BG_YAML_SCALAR && node->style == BG_YAML_PLAIN && !node->str_tag;
}

int bg_yamldoc_bool(const bg_yaml_node *node, const char *what, bool *out, bg_error *err)
{
	if (is_plain(node) && strcmp(node->scalar, "true") == 0) {
		*out = true;
		return 0;
	}
	if (is_plain(node) && strcmp(node->scalar, "false") == 0) {
		*out = false;
		return 0;
	}
	char buf[512];
	return bg_yamldoc_error(node, err, BG_E_USAGE,
				"%s must be true or false (unquoted), not %s; YAML 1.1 spellings "
				"such as yes, no, on, off are not accepted",
				what, describe(node, buf, sizeof buf));
}

int bg_yamldoc_int(const bg_yaml_node *node, const char *what, long long min, long long max,
		   long long *out, bg_error *err)
{
	if (is_plain(node)) {
		const char *s = node->scalar;
		const char *digits = s[0] == '-' ? s + 1 : s;
		bool well_formed = digits[0] >= '0' && digits[0] <= '9' &&
				   strspn(digits, "0123456789") == strlen(digits) &&
				   !(digits[0] == '0' && digits[1]);
		if (well_formed) {
			errno = 0;
			long long v = strtoll(s, NULL, 10);
			if (errno == 0 && v >= min && v <= max) {
				*out = v;
				return 0;
			}
		}
	}
	char buf[512];
	return bg_yamldoc_error(node, err, BG_E_USAGE,
				"%s must be a whole number from %lld to %lld (unquoted, decimal), "
				"not %s",
				what, min, max, describe(node, buf, sizeof buf));
}

int bg_yamldoc_string(const bg_yaml_node *node, const char *what, const char **out,
		      bg_error *err)
{
	if (node->kind == BG_YAML_SCALAR && !bg_yamldoc_is_null(node)) {
		*out = node->scalar;
		return 0;
	}
	char buf[512];
	return bg_yamldoc_error(node, err, BG_E_USAGE,
				"%s must be a string, not %s (write \"\" for an empty string)", what,
				describe(node, buf, sizeof buf));
}

int bg_yamldoc_check_keys(const bg_yaml_node *map, const char *what,
			  const char *const *allowed, bg_error *err)
{
	int rc = bg_yamldoc_expect(map, BG_YAML_MAPPING, what, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < map->n_pairs; i++) {
		const bg_yaml_node *key = map->pairs[i].key;
		bool known = false;
		for (size_t k = 0; allowed[k] && !known; k++)
			known = strcmp(key->scalar, allowed[k]) == 0;
		if (known)
			continue;
		bg_strbuf list = {0};
		for (size_t k = 0; allowed[k]; k++)
			bg_strbuf_printf(&list, "%s%s", k ? ", " : "", allowed[k]);
		_cleanup_free_ char *names = bg_strbuf_take(&list);
		return bg_yamldoc_error(key, err, BG_E_USAGE, "unknown key '%s' in %s; allowed: %s",
					bg_yamldoc_shown(key->scalar).s, what, names ? names : "(none)");
	}
	return 0;
}
