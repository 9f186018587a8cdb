/* Fuzz target for auth.h's auth-file reader.  The input is an auth file;
 * it is looked up for several repository names (host only, namespaced,
 * docker.io, IPv6).  Beyond "no crash, no leak" it checks:
 *   - an error has a message and is a usage error (or out of memory), and
 *     returns nothing;
 *   - found credentials have a non-empty user name, a password, the source
 *     path and the key that matched;
 *   - "not found" returns nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"quay.io/team/app", "docker.io/library/rhel", "localhost:5000/a/b/c", "[::1]:5000/x",
	};
	if (size > 1 << 20)
		return 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		bg_credentials c;
		bool found = true;
		bg_error err = {0};
		int rc = bg_auth_lookup_in_data((const char *)data, size, "fuzz.json", names[i], &c, &found,
						&err);
		if (rc < 0) {
			CHECK(rc == BG_E_USAGE || rc == BG_E_NOMEM);
			CHECK(err.message[0] && !found && !c.username && !c.password);
		} else if (found) {
			CHECK(c.username && *c.username && c.password && c.source && c.key);
			CHECK(strcmp(c.source, "fuzz.json") == 0);
		} else {
			CHECK(!c.username && !c.password);
		}
		bg_credentials_free(&c);
	}
	char *n = bg_auth_normalize_key((const char *)"https://index.docker.io/v1/");
	CHECK(n && strcmp(n, "index.docker.io") == 0);
	free(n);
	return 0;
}
