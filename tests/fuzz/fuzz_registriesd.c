/* Fuzz target: registries.d YAML, merged twice into one configuration (the
 * second time every namespace is a duplicate), then section selection for a
 * few identities.  Checks: errors are usage errors (or out of memory) with
 * the file's name, a selection always yields a URL and a section, and adding
 * the same non-empty document twice always fails. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/registriesd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const identities[] = {
	"registry.redhat.io/rhel9/rhel-bootc:9.6",
	"quay.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	"a.b.example.com:5000/x/y/z:1",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024)
		return 0;
	bg_registriesd *rd = NULL;
	bg_error err = {0};
	if (bg_registriesd_new(&rd, &err) != 0)
		return 0;
	int rc = bg_registriesd_add(rd, (const char *)data, size, "fuzz", &err);
	if (rc != 0) {
		if (rc != BG_E_USAGE && rc != BG_E_NOMEM)
			abort();
		if (rc == BG_E_USAGE && strncmp(err.message, "fuzz", 4) != 0)
			abort();
		bg_registriesd_free(rd);
		return 0;
	}
	size_t before = rd->n;
	for (size_t k = 0; k < sizeof identities / sizeof identities[0]; k++) {
		bg_reference r;
		if (bg_reference_parse(identities[k], &r, &err) != 0)
			abort();
		bg_registriesd_choice c;
		if (bg_registriesd_lookaside(rd, &r, &c, &err) == 0) {
			if (!c.url || !c.section)
				abort();
			bg_registriesd_choice_free(&c);
		}
		bg_reference_free(&r);
	}
	rc = bg_registriesd_add(rd, (const char *)data, size, "fuzz2", &err);
	if (before > 0 && rc == 0)
		abort(); /* every namespace of the second copy is a duplicate */
	bg_registriesd_free(rd);
	return 0;
}
