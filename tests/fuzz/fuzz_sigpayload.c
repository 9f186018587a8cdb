/* Fuzz target for the containers-signature(5) payload parser
 * (bg_sigpayload_parse).
 *
 * Input: any bytes, as the plaintext of a verified signature.  Beyond "no
 * crash, no leak", it aborts when a property callers rely on fails:
 *   - a refusal is BG_E_INPUT or BG_E_NOMEM with a message, and leaves the
 *     result zeroed;
 *   - an accepted payload has a valid digest (bg_digest_valid), a non-empty
 *     reference, and strings without NUL bytes (their length is their
 *     strlen, so C code cannot see a shorter string than the signer wrote);
 *   - parsing is deterministic: the same bytes give the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/digest.h"
#include "bootgate/signature.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bg_sigpayload p, q;
	bg_error err = {0};
	int rc = bg_sigpayload_parse((const char *)data, size, &p, &err);
	if (rc < 0) {
		CHECK(rc == BG_E_INPUT || rc == BG_E_NOMEM);
		CHECK(err.message[0] != '\0');
		CHECK(!p.docker_manifest_digest && !p.docker_reference && !p.creator);
		return 0;
	}
	CHECK(bg_digest_valid(p.docker_manifest_digest));
	CHECK(p.docker_reference && p.docker_reference[0]);
	CHECK(memchr(data, '\0', size) == NULL);
	CHECK(bg_sigpayload_parse((const char *)data, size, &q, &err) == 0);
	CHECK(same(p.docker_manifest_digest, q.docker_manifest_digest));
	CHECK(same(p.docker_reference, q.docker_reference));
	CHECK(same(p.creator, q.creator));
	CHECK(p.has_timestamp == q.has_timestamp && p.timestamp == q.timestamp);
	bg_sigpayload_free(&p);
	bg_sigpayload_free(&q);
	return 0;
}
