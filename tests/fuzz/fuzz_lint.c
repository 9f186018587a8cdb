/* Fuzz target: the whole lint of one Containerfile (parser, stage and ARG
 * resolution, suppression comments, every rule) on any bytes.  The context
 * directory does not exist, so no file outside the input is read. */
#include <stddef.h>
#include <stdint.h>

#include "bootgate/lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const args[] = {"BASE=quay.io/x/y:1", "TAG=9.4"};
	bg_lint_options opts = {.build_args = args, .nbuild_args = 2, .context_dir = "/nonexistent"};
	bg_findings findings = {0};
	bg_error err = {0};
	bg_lint_containerfile("fuzz", (const char *)data, size, &opts, &findings, &err);
	bg_findings_free(&findings);
	return 0;
}
