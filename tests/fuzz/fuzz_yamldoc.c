/* Fuzz target: strict YAML reading (and the lint configuration on top of it)
 * on any bytes.  Besides crashes and leaks it checks what yamldoc promises:
 * a tree no deeper than BG_MAX_YAML_DEPTH, scalar keys that are unique, and
 * errors that are usage errors starting with "NAME:LINE:COLUMN: ". */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/limits.h"
#include "bootgate/lintconfig.h"
#include "bootgate/yamldoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const bg_rule fuzz_rule_a = {.id = "base-latest", .severity = BG_SEV_WARNING};
static const bg_rule fuzz_rule_b = {.id = "var-content", .severity = BG_SEV_INFO};
static const bg_rule *const fuzz_rules[] = {&fuzz_rule_a, &fuzz_rule_b};

static void walk(const bg_yaml_node *n, unsigned depth)
{
	static const char *const allowed[] = {"a", "lint", NULL};
	bg_error err;
	bool b;
	long long i;
	const char *s;
	switch (n->kind) {
	case BG_YAML_SCALAR:
		if (!n->scalar)
			abort();
		(void)bg_yamldoc_bool(n, "v", &b, &err);
		(void)bg_yamldoc_int(n, "v", -1000, 1000, &i, &err);
		(void)bg_yamldoc_string(n, "v", &s, &err);
		(void)bg_yamldoc_is_null(n);
		break;
	case BG_YAML_SEQUENCE:
		if (depth >= BG_MAX_YAML_DEPTH)
			abort();
		for (size_t k = 0; k < n->n_items; k++)
			walk(n->items[k], depth + 1);
		break;
	case BG_YAML_MAPPING:
		if (depth >= BG_MAX_YAML_DEPTH)
			abort();
		(void)bg_yamldoc_check_keys(n, "m", allowed, &err);
		for (size_t k = 0; k < n->n_pairs; k++) {
			const bg_yaml_node *key = n->pairs[k].key;
			if (key->kind != BG_YAML_SCALAR || !n->pairs[k].value)
				abort();
			/* Keys are unique, so lookup finds this very pair. */
			if (bg_yamldoc_get(n, key->scalar) != n->pairs[k].value)
				abort();
			walk(n->pairs[k].value, depth + 1);
		}
		break;
	}
}

static void check_error(int rc, const bg_error *err)
{
	if (rc == BG_E_NOMEM)
		return;
	if (rc != BG_E_USAGE || strncmp(err->message, "fuzz", 4) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > BG_MAX_CONFIG_FILE_BYTES)
		return 0;
	bg_yamldoc *doc = NULL;
	bg_error err = {0};
	int rc = bg_yamldoc_parse((const char *)data, size, "fuzz", &doc, &err);
	if (rc == 0) {
		if (!doc)
			abort();
		if (doc->root)
			walk(doc->root, 0);
	} else {
		if (doc)
			abort();
		check_error(rc, &err);
	}
	bg_yamldoc_free(doc);

	bg_lintconfig *cfg = NULL;
	rc = bg_lintconfig_parse((const char *)data, size, "fuzz", fuzz_rules, 2, &cfg, &err);
	if (rc == 0) {
		bg_severity sev;
		(void)bg_lintconfig_rule_severity(cfg, &fuzz_rule_b, &sev);
	} else {
		check_error(rc, &err);
	}
	bg_lintconfig_free(cfg);
	return 0;
}
