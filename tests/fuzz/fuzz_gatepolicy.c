/* Fuzz target: the gate policy (YAML), the kargs.d TOML subset and preset
 * lookup on any bytes.  Besides crashes and leaks it checks what the
 * parsers promise: a policy error is a usage error with a line and the
 * "NAME:" prefix, a loaded policy has unique ids, valid severities and
 * absolute normalised paths; a kargs.d error is an input error with a line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/audit.h"
#include "bootgate/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_item(const bg_policy_item *it)
{
	if (!it->id || !*it->id || it->severity < BG_SEV_INFO || it->severity > BG_SEV_ERROR ||
	    it->n_controls > BG_POLICY_MAX_CONTROLS || it->controls[it->n_controls])
		abort();
}

static void check_policy(const bg_policy *p)
{
	if (p->immutable)
		check_item(&p->immutable_item);
	for (size_t i = 0; i < p->n_required; i++) {
		check_item(&p->required[i].item);
		if (!p->required[i].rule || strchr(p->required[i].rule, '\n'))
			abort();
	}
	for (size_t i = 0; i < p->n_forbidden; i++) {
		check_item(&p->forbidden[i].item);
		if ((p->forbidden[i].rule != NULL) == p->forbidden[i].shadowing)
			abort();
	}
	for (size_t i = 0; i < p->n_files; i++) {
		check_item(&p->files[i].item);
		const char *path = p->files[i].path;
		if (path[0] != '/' || strstr(path, "//") || strstr(path, "/./") ||
		    (strlen(path) > 1 && path[strlen(path) - 1] == '/'))
			abort();
		if (p->files[i].has_mode_max && p->files[i].mode_max > 07777)
			abort();
	}
	for (size_t i = 0; i < p->n_kargs; i++)
		check_item(&p->kargs[i].item);
	for (size_t i = 0; i < p->n_units; i++)
		check_item(&p->units[i].item);
	size_t n = 0;
	char **paths = bg_policy_paths_of_interest(p, &n);
	if (!paths)
		return;
	for (size_t i = 0; i < n; i++) {
		if (paths[i][0] != '/')
			abort();
		(void)bg_policy_glob_match(paths[i], "/etc/audit/rules.d/10-base.rules");
	}
	bg_policy_paths_free(paths);
	bg_error err = {0};
	(void)bg_audit_policy_check(p, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024)
		return 0;
	bg_policy *p = NULL;
	bg_error err = {0};
	int rc = bg_policy_parse((const char *)data, size, "fuzz", &p, &err);
	if (rc == 0) {
		if (!p)
			abort();
		check_policy(p);
	} else if (rc != BG_E_NOMEM && (rc != BG_E_USAGE || p || strncmp(err.message, "fuzz", 4) != 0)) {
		abort();
	}
	bg_policy_free(p);

	bg_kargs_file kf;
	rc = bg_kargs_parse((const char *)data, size, "k.toml", &kf, &err);
	if (rc == 0) {
		for (size_t i = 0; i < kf.n_kargs; i++)
			if (!kf.kargs[i][0] || strpbrk(kf.kargs[i], " \t\n"))
				abort();
		(void)bg_kargs_applies(&kf, "arm64");
		bg_kargs_file_clear(&kf);
	} else if (rc != BG_E_NOMEM && (rc != BG_E_INPUT || err.line == 0)) {
		abort();
	}

	bg_preset_file f = {"fuzz.preset", (const char *)data, size};
	(void)bg_preset_lookup(&f, 1, "auditd.service", NULL, NULL);
	return 0;
}
