/* Fuzz target for roles.h: role manifests and fragments.
 *
 * The input is parsed as a manifest and as a fragment.  Beyond "no crash, no
 * leak", it checks the promises signing and verification build on and
 * aborts when one fails:
 *   - a refusal carries a message and returns nothing;
 *   - an accepted manifest serialises to canonical bytes that parse again
 *     and serialise to the very same bytes (so a signer signs a fixed point,
 *     and the same content always has the same bytes);
 *   - its roles are sorted, unique, and found by lookup;
 *   - an accepted fragment re-serialises to bytes that parse to the same
 *     fragment bytes, and merges into an empty manifest when its role is
 *     allowed, but not when it comes twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/roles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

static void manifest(const char *data, size_t size)
{
	bg_role_manifest *m = NULL;
	bg_error err = {0};
	if (bg_roles_parse(data, size, "fuzz", &m, &err) < 0) {
		CHECK(!m && err.message[0]);
		return;
	}
	for (size_t i = 0; i < m->n_roles; i++) {
		CHECK(bg_roles_find(m, m->roles[i].name) == &m->roles[i]);
		if (i)
			CHECK(strcmp(m->roles[i - 1].name, m->roles[i].name) < 0);
	}
	char *a = NULL, *b = NULL;
	size_t la = 0, lb = 0;
	CHECK(bg_roles_serialize(m, &a, &la, &err) == 0);
	bg_role_manifest *m2 = NULL;
	CHECK(bg_roles_parse(a, la, "again", &m2, &err) == 0);
	CHECK(bg_roles_serialize(m2, &b, &lb, &err) == 0);
	CHECK(la == lb && memcmp(a, b, la) == 0);
	free(a);
	free(b);
	bg_roles_free(m2);
	bg_roles_free(m);
}

static void fragment(const char *data, size_t size)
{
	bg_role_entry e;
	bg_error err = {0};
	if (bg_roles_fragment_parse(data, size, "fuzz", &e, &err) < 0) {
		CHECK(err.message[0] && e.name == NULL);
		return;
	}
	char *a = NULL, *b = NULL;
	size_t la = 0, lb = 0;
	CHECK(bg_roles_fragment_serialize(&e, &a, &la, &err) == 0);
	bg_role_entry e2;
	CHECK(bg_roles_fragment_parse(a, la, "again", &e2, &err) == 0);
	CHECK(bg_roles_fragment_serialize(&e2, &b, &lb, &err) == 0);
	CHECK(la == lb && memcmp(a, b, la) == 0);
	bg_role_manifest *m = NULL;
	CHECK(bg_roles_new(1, 4102444800, &m, &err) == 0);
	const char *allowed[] = {e.name};
	bg_role_entry twice[] = {e, e2};
	CHECK(bg_roles_merge(m, twice, 2, allowed, 1, &err) == BG_E_INPUT && m->n_roles == 0);
	CHECK(bg_roles_merge(m, &e, 1, allowed, 1, &err) == 0 && m->n_roles == 1);
	const char *others[] = {"zz-not-this-role-zz"};
	if (strcmp(e.name, others[0]) != 0)
		CHECK(bg_roles_merge(m, &e2, 1, others, 1, &err) == BG_E_INPUT);
	bg_roles_free(m);
	free(a);
	free(b);
	bg_role_entry_clear(&e);
	bg_role_entry_clear(&e2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	manifest((const char *)data, size);
	fragment((const char *)data, size);
	return 0;
}
