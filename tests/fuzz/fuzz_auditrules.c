/* Fuzz target: any bytes as audit rules.  The input is read as one rules file
 * the way `auditctl -R` reads it (parse + load simulation), every rule is
 * normalised (canonical text, coverage), and the same bytes are merged by the
 * augenrules model as two rules.d files plus a /usr/lib/audit file.  The
 * first byte picks the machine and whether CRs are stripped. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/auditrules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A pretend image: paths ending in "d" are directories, "/missing…" does
 * not exist, everything else is a file. */
static bg_audit_path_type fake_path(void *ctx, const char *path)
{
	(void)ctx;
	size_t n = strlen(path);
	if (strncmp(path, "/missing", 8) == 0)
		return BG_AUDIT_PATH_MISSING;
	return n && path[n - 1] == 'd' ? BG_AUDIT_PATH_DIR : BG_AUDIT_PATH_OTHER;
}

static int fake_id(void *ctx, const char *name, uint32_t *id)
{
	(void)ctx;
	if (strcmp(name, "root") != 0)
		return -1;
	*id = 0;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const machines[] = { "x86_64", "aarch64", "ppc64le", "s390x", "i686" };
	if (size == 0 || size > 256 * 1024)
		return 0;
	bg_audit_context ctx = { .machine = machines[data[0] % 5], .path_type = fake_path,
				 .user_id = fake_id, .group_id = fake_id };
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	bg_error err = { 0 };

	bg_audit_ruleset set;
	if (bg_auditrules_parse("fuzz.rules", "layer", text, len, &ctx, &set, &err) == 0) {
		for (size_t i = 0; i < set.n; i++) {
			char *c = bg_auditnorm_canonical(&set.v[i], &ctx);
			free(c);
			char **texts = NULL;
			size_t n = 0;
			bg_auditnorm_coverage(&set.v[i], &ctx, &texts, &n);
			for (size_t j = 0; j < n; j++)
				free(texts[j]);
			free(texts);
			if (i)
				(void)bg_auditnorm_equivalent(&set.v[i - 1], &set.v[i], &ctx);
			char *m = bg_auditrules_error_message(&set.v[i]);
			free(m);
		}
		bg_audit_ruleset_free(&set);
	}

	size_t half = len / 2;
	bg_audit_file files[3] = {
		{ .path = "/etc/audit/rules.d/10-a.rules", .content = text, .len = half },
		{ .path = "/etc/audit/rules.d/9-b.rules", .content = text + half, .len = len - half },
		{ .path = "/usr/lib/audit/vendor.rules", .content = text, .len = len },
	};
	bg_audit_sources src;
	bg_augenrules_options opts = { .strip_cr = data[0] & 0x80 };
	if (bg_augenrules_build(files, 3, &ctx, &opts, &src, &err) == 0) {
		for (size_t i = 0; i < src.nusr_lib; i++)
			for (size_t j = 0; j < src.usr_lib[i].n && j < 64; j++)
				(void)bg_augenrules_reachable(&src, &src.usr_lib[i].v[j], &ctx);
		bg_audit_sources_free(&src);
	}
	return 0;
}
