/* Fuzz target: containers-policy.json parsing, then scope resolution and the
 * identity rules of every parsed requirement for a few fixed identities.
 * Besides crashes and leaks it checks the promises of trust.h: a parsed
 * policy has non-empty requirement lists, an error is a usage error (or out
 * of memory) whose message starts with the document's name, and every
 * identity resolves to some list. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const identities[] = {
	"registry.redhat.io/rhel9/rhel-bootc:9.6",
	"quay.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	"127.0.0.1:5000/team/app:v1",
	"busybox",
};

static void check_list(const bg_trust_reqlist *l)
{
	if (!l || l->n == 0 || !l->v)
		abort();
	for (size_t i = 0; i < l->n; i++) {
		char *d = bg_trust_requirement_describe(&l->v[i]);
		if (!d)
			abort();
		free(d);
		for (size_t k = 0; k < sizeof identities / sizeof identities[0]; k++) {
			char why[256];
			(void)bg_trust_identity_matches(&l->v[i].identity, identities[k], identities[(k + 1) % 4], why,
							sizeof why);
			(void)bg_trust_identity_matches(&l->v[i].identity, NULL, identities[k], NULL, 0);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024)
		return 0;
	bg_trust_policy *p = NULL;
	bg_error err = {0};
	int rc = bg_trust_policy_parse((const char *)data, size, "fuzz", &p, &err);
	if (rc != 0) {
		if (p || (rc != BG_E_USAGE && rc != BG_E_NOMEM))
			abort();
		if (rc == BG_E_USAGE && strncmp(err.message, "fuzz", 4) != 0)
			abort();
		return 0;
	}
	check_list(&p->default_reqs);
	for (size_t i = 0; i < p->n_scopes; i++)
		check_list(&p->scopes[i].reqs);
	for (size_t k = 0; k < sizeof identities / sizeof identities[0]; k++) {
		bg_reference r;
		if (bg_reference_parse(identities[k], &r, &err) != 0)
			abort();
		const bg_trust_reqlist *reqs = NULL;
		if (bg_trust_policy_requirements(p, "docker", &r, &reqs, NULL, &err) != 0 || !reqs || reqs->n == 0)
			abort();
		bg_reference_free(&r);
	}
	bg_trust_policy_free(p);
	return 0;
}
