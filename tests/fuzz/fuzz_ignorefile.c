/* Fuzz target: ignore-file parsing and allow-list detection on any bytes. */
#include <stddef.h>
#include <stdint.h>

#include "bootgate/ignorefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bg_ignorefile *f = NULL;
	bg_error err = {0};
	if (bg_ignorefile_parse("fuzz", (const char *)data, size, &f, &err) == 0)
		(void)bg_ignorefile_is_allowlist(f);
	bg_ignorefile_free(f);
	return 0;
}
