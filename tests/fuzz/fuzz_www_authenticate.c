/* Fuzz target for registry.h's header and answer parsers: the input (NUL
 * bytes cut it short, as a C header value would be) is parsed as a
 * WWW-Authenticate value, as a Retry-After value and as a token server's
 * JSON answer.  Beyond "no crash, no leak" it checks what the client relies
 * on and aborts when it fails:
 *   - schemes and parameter names are non-empty, lower-case tokens;
 *   - no parameter name repeats within a challenge; limits hold;
 *   - a failed parse leaves the list as it was (here: still one challenge);
 *   - the picked challenge is Basic or Bearer;
 *   - a parsed token is non-empty printable ASCII without spaces, and its
 *     lifetime is within [60 s, 1 day]. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

static void check_name(const char *s)
{
	CHECK(s && *s);
	for (const char *p = s; *p; p++)
		CHECK(!(*p >= 'A' && *p <= 'Z') && (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	bg_registry_challenges list = {0};
	bg_error err = {0};
	CHECK(bg_registry_parse_challenges("Basic realm=seed", &list, &err) == 0 && list.n == 1);
	int rc = bg_registry_parse_challenges(s, &list, &err);
	if (rc < 0) {
		CHECK(list.n == 1 && err.message[0]);
	} else {
		CHECK(list.n >= 1 && list.n <= BG_REGISTRY_MAX_CHALLENGES);
		for (size_t i = 0; i < list.n; i++) {
			const bg_registry_challenge *c = &list.v[i];
			check_name(c->scheme);
			CHECK(c->n_params <= BG_REGISTRY_MAX_PARAMS);
			CHECK(!(c->token68 && c->n_params));
			for (size_t k = 0; k < c->n_params; k++) {
				check_name(c->params[k].name);
				CHECK(c->params[k].value);
				for (size_t j = 0; j < k; j++)
					CHECK(strcmp(c->params[j].name, c->params[k].name) != 0);
				CHECK(bg_registry_challenge_param(c, c->params[k].name) == c->params[k].value);
			}
		}
		const bg_registry_challenge *p = bg_registry_pick_challenge(&list);
		CHECK(p && (strcmp(p->scheme, "basic") == 0 || strcmp(p->scheme, "bearer") == 0));
	}
	bg_registry_challenges_free(&list);

	unsigned secs = 0;
	(void)bg_registry_parse_retry_after(s, 1700000000, &secs);

	char *tok = NULL;
	int64_t exp = 0;
	if (bg_registry_parse_token((const char *)data, size, "fuzz", &tok, &exp, &err) == 0) {
		CHECK(tok && *tok);
		for (const char *p = tok; *p; p++)
			CHECK((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f);
		CHECK(exp >= BG_REGISTRY_MIN_TOKEN_LIFETIME && exp <= 86400);
		free(tok);
	} else {
		CHECK(tok == NULL && err.message[0]);
	}

	/* The URL builder must never accept what it cannot put in a URL. */
	char *url = NULL;
	if (bg_registry_url("r.example", false, s, "manifests", "latest", &url, &err) == 0) {
		CHECK(strcspn(s, "?#%@ \\\"<>") == strlen(s));
		free(url);
	}
	free(s);
	return 0;
}
