/* Fuzz target for reference.h and digest.h string parsing.
 *
 * Input: up to two lines.  The first is parsed as a reference (normalised
 * and raw), as a user-typed image name and as a digest; the second, when
 * present, is used as an allow-list pattern and as a signature identity.
 * Beyond "no crash, no leak", it checks properties the rest of bootgate
 * relies on and aborts when one fails:
 *   - a parsed reference re-parses from its full form to the same result;
 *   - the name is at most 255 bytes, any digest passes bg_digest_valid;
 *   - a reference always matches itself (exact, repository, default rule);
 *   - bg_digest_valid agrees with bg_digest_parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/digest.h"
#include "bootgate/reference.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                 \
	do {                        \
		if (!(cond))        \
			abort();    \
	} while (0)

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_reference(const char *s, const char *other)
{
	bg_reference r, again;
	bg_error err = {0};
	if (bg_reference_parse(s, &r, &err) < 0) {
		CHECK(err.message[0] != '\0');
		CHECK(r.full == NULL);
		return;
	}
	CHECK(r.full && r.name && r.domain && r.path);
	CHECK(strlen(r.name) <= BG_REFERENCE_NAME_MAX);
	CHECK(!r.digest || bg_digest_valid(r.digest));
	CHECK(!r.tag || (strlen(r.tag) >= 1 && strlen(r.tag) <= 128));
	CHECK(r.tag_implicit == (!r.tag && !r.digest));

	/* Normalisation is idempotent. */
	CHECK(bg_reference_parse(r.full, &again, &err) == 0);
	CHECK(same(again.full, r.full) && same(again.name, r.name) && same(again.domain, r.domain) &&
	      same(again.path, r.path) && same(again.digest, r.digest));
	bg_reference_free(&again);

	/* The fully qualified form also passes the bare grammar unchanged. */
	CHECK(bg_reference_parse_raw(r.full, &again, &err) == 0);
	CHECK(same(again.full, r.full) && same(again.name, r.name) && same(again.domain, r.domain));
	bg_reference_free(&again);

	CHECK(bg_reference_match_exact(r.full, r.full));
	CHECK(bg_reference_match_repository(s, r.full));
	CHECK(bg_reference_match_repo_digest_or_exact(r.full, r.full));
	CHECK(bg_reference_registry_matches(r.domain, "*"));
	CHECK(bg_reference_registry_matches(r.domain, r.domain) || r.domain[0] == '\0');

	if (other) {
		(void)bg_reference_registry_matches(r.domain, other);
		(void)bg_reference_match_exact(r.full, other);
		(void)bg_reference_match_repo_digest_or_exact(r.full, other);
		(void)bg_reference_match_repository(r.full, other);
	}
	bg_reference_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	char *other = strchr(buf, '\n');
	if (other)
		*other++ = '\0';

	check_reference(buf, other);

	bg_reference raw;
	bg_error err = {0};
	if (bg_reference_parse_raw(buf, &raw, &err) == 0) {
		CHECK(strcmp(raw.full, buf) == 0);
		CHECK(!raw.digest || bg_digest_valid(raw.digest));
		bg_reference_free(&raw);
	}

	bg_image_ref img;
	if (bg_image_ref_parse(buf, &img, &err) == 0) {
		CHECK(img.has_reference == (img.reference.full != NULL));
		CHECK((img.transport == BG_TRANSPORT_DOCKER) == (img.path == NULL));
		bg_image_ref_free(&img);
	} else {
		CHECK(err.status == BG_E_USAGE || err.status == BG_E_NOMEM);
	}

	bg_digest_algorithm alg;
	const char *hex = NULL;
	bool valid = bg_digest_valid(buf);
	CHECK(valid == (bg_digest_parse(buf, &alg, &hex, &err) == 0));
	if (valid)
		CHECK(strlen(hex) == bg_digest_hex_length(alg) && bg_digest_equal(buf, buf));
	if (other)
		CHECK(bg_digest_equal(buf, other) == (valid && strcmp(buf, other) == 0));

	free(buf);
	return 0;
}
