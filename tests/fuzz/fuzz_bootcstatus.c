/* Fuzz target for bootc.h: `bootc status --format json` documents.
 *
 * Beyond "no crash, no leak", it checks what drift relies on and aborts when
 * a promise fails:
 *   - a refusal carries a message and leaves the status empty;
 *   - every present image has a reference, a transport and a valid digest;
 *   - drift evaluation succeeds exactly for bootc hosts, and its verdict is
 *     consistent: in sync iff booted matches and a staged deployment (if
 *     any) matches; a role whose digest is the booted digest matches it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/bootc.h"
#include "bootgate/digest.h"
#include "bootgate/roles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

static void check_image(const bg_bootc_image *i)
{
	if (!i->present)
		return;
	CHECK(i->image && i->transport && i->digest && bg_digest_valid(i->digest));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bg_bootc_status st;
	bg_error err = {0};
	int rc = bg_bootc_status_parse((const char *)data, size, "fuzz", &st, &err);
	if (rc < 0) {
		CHECK(err.message[0] != '\0');
		CHECK(st.api_version == NULL && !st.booted.present && !st.staged.present);
		bg_bootc_status_free(&st);
		return 0;
	}
	CHECK(st.api_version);
	const bg_bootc_entry *entries[] = {&st.booted, &st.staged, &st.rollback};
	for (size_t i = 0; i < 3; i++) {
		check_image(&entries[i]->image);
		check_image(&entries[i]->cached_update);
	}
	const char *other = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
	bg_role_entry role = {.name = (char *)"r", .repository = (char *)"registry.example.com/r",
			      .manifest_digest = (char *)other, .evidence = {.verdict = (char *)"pass"}};
	bg_bootc_drift d;
	rc = bg_bootc_drift_eval(&st, &role, &d, &err);
	CHECK((rc == 0) == bg_bootc_is_bootc_host(&st));
	if (rc == 0) {
		CHECK(d.in_sync == (d.booted_matches && (!d.staged_present || d.staged_matches)));
		role.manifest_digest = st.booted.image.digest;
		CHECK(bg_bootc_drift_eval(&st, &role, &d, &err) == 0 && d.booted_matches);
	}
	bg_bootc_status_free(&st);
	return 0;
}
