/* Fuzz target: parse any bytes as a Containerfile, then dump, validate,
 * resolve stages, look up --from values and --mount fields, and locate
 * arguments, then free everything.  Crashes, leaks and UB are the findings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/containerfile.h"
#include "bootgate/stages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bg_containerfile *cf = NULL;
	bg_error err = {0};
	if (bg_containerfile_parse((const char *)data, size, "fuzz", &cf, &err) < 0)
		return 0;
	free(bg_containerfile_dump(cf));
	(void)bg_containerfile_validate(cf, &err);

	static const char *const args[] = {"TAG=1", "IMAGE=alpine"};
	bg_stages st = {0};
	(void)bg_stages_resolve(cf, "linux/arm/v7", args, 2, &st, &err);
	for (size_t i = 0; i < cf->n; i++) {
		const bg_instruction *ins = &cf->v[i];
		unsigned line, col;
		size_t len, idx, pos = 0;
		if (ins->n_args > 0)
			(void)bg_containerfile_locate(cf, ins, ins->args[0].s, &line, &col);
		(void)bg_containerfile_line(cf, ins->start_line, &len);
		const char *from = bg_containerfile_flag(ins, "from");
		if (from)
			(void)bg_stages_find(&st, from, &idx, &err);
		const char *m;
		while ((m = bg_containerfile_flag_next(ins, "mount", &pos))) {
			bg_mount mount;
			if (bg_containerfile_mount_parse(m, &mount, &err) == 0) {
				const char *mf = bg_containerfile_mount_get(&mount, "from");
				if (mf)
					(void)bg_stages_find(&st, mf, &idx, &err);
				bg_containerfile_mount_free(&mount);
			}
		}
		for (size_t a = 0; a < ins->n_args; a++) {
			bg_heredoc h;
			if (bg_containerfile_heredoc_parse(ins->args[a].s, &h, &err) == 1)
				free(h.name);
		}
	}
	bg_stages_free(&st);
	bg_containerfile_free(cf);
	return 0;
}
