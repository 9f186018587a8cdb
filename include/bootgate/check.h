/* bootgate — `bootgate check`: the whole gate over the roles of
 * bootgate.yaml (roles_config.h).  For each role, in this order:
 *
 *  1. lint of its Containerfile (build args, platform and context of the
 *     role; the .bootgate.yaml lint configuration found from the
 *     Containerfile's directory) → lint findings;
 *  2. every FROM that names an image (not a stage, not scratch): fetch it
 *     (through the role's mirror of its repository when there is one; the
 *     pinned digest must then be the copy's) and decide its signature under
 *     the role's trust settings with the FROM reference as identity →
 *     base-signature-rejected, or check-unevaluated when it cannot be done;
 *  3. the built image: fetch; decide its signature when the trust policy
 *     asks anything of its identity (the role's identity, else its registry
 *     reference) → image-signature-rejected; scan its layers and audit them
 *     against the role's gate policy → the audit findings;
 *  4. verdict: pass when everything was evaluated and no finding fails at
 *     the role's threshold; "could not evaluate" (status 3) when a
 *     check-unevaluated finding was made; else gate closed (status 1).
 *
 * Roles run concurrently (at most jobs at a time); results are in the
 * order of the configuration whatever finishes first.  Findings name the
 * Containerfile (lint) or the image string (everything else) as their file. */
#ifndef BOOTGATE_CHECK_H
#define BOOTGATE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootgate/error.h"
#include "bootgate/finding.h"
#include "bootgate/layers.h"
#include "bootgate/roles.h"
#include "bootgate/roles_config.h"
#include "bootgate/source.h"

typedef struct bg_check_options {
	bg_source_options source;      /* registry options for every fetch */
	bg_layers_options layers;      /* scan options (cache, jobs per image) */
	unsigned jobs;                 /* roles at once; 0: 1 */
	bool threshold_set;            /* threshold overrides every role's */
	bg_severity threshold;
} bg_check_options;

typedef enum bg_check_status {
	BG_CHECK_PASS = 0,
	BG_CHECK_FAIL = 1,          /* a finding at or above the threshold */
	BG_CHECK_UNEVALUATED = 3,   /* something could not be evaluated */
} bg_check_status;

/* "pass", "fail", "unevaluated". */
const char *bg_check_status_name(bg_check_status s);

typedef struct bg_check_base {
	char *reference;            /* the FROM image as expanded */
	char *read_from;            /* the image string read (the mirror, or the reference) */
	char *index_digest;         /* verified digests, NULL when not fetched */
	char *manifest_digest;
	bool accepted;              /* the signature decision accepted it */
	char *signer_fingerprint;   /* of the accepted signature, NULL when none */
	char *signer_uid;
} bg_check_base;

typedef struct bg_check_role {
	const bg_role_config *config;   /* points into the configuration */
	bg_severity threshold;
	bg_check_status status;
	char *reason;                   /* one line: why this verdict */
	bg_findings findings;           /* sorted */
	bg_check_base *bases;           /* in FROM order, each reference once */
	size_t n_bases;
	char *index_digest;             /* the built image's verified digests */
	char *manifest_digest;
	char *repository;               /* its identity's repository, NULL when unknown */
	char *policy_hash;              /* sha256 of the gate policy file's bytes */
	char *image_signer_fingerprint; /* when its signature was checked and accepted */
} bg_check_role;

typedef struct bg_check_result {
	bg_check_role *roles;           /* in configuration order */
	size_t n_roles;
} bg_check_result;

/* Check the roles named (n_names; 0 = every role).  Configuration errors
 * found before anything is fetched — an unknown role name, a trust policy,
 * registries.d, gate policy or lint configuration that does not load — are
 * BG_E_USAGE (exit 2) and nothing runs.  Everything else is a role's
 * verdict.  *out is zeroed first; clear it in every case. */
int bg_check_run(const bg_roles_config *cfg, const char *const *names, size_t n_names,
		 const bg_check_options *o, bg_check_result *out, bg_error *err);
void bg_check_result_clear(bg_check_result *r);

/* The process exit code for a result: 3 when a role could not be
 * evaluated, else 1 when a role failed, else 0 (and 3 for no role). */
int bg_check_exit_code(const bg_check_result *r);

/* The role manifest entry for a passing role (BG_E_USAGE for another, or
 * when the image has no repository: give the role an identity). */
int bg_check_entry(const bg_check_role *r, const char *source_revision, int64_t now, bg_role_entry *out,
		   bg_error *err);

/* The source revision for the record: $CI_COMMIT_SHA, $GITHUB_SHA, else
 * `git rev-parse HEAD` in dir, else "unknown".  Malloc'd (NULL on OOM). */
char *bg_check_source_revision(const char *dir);

/* Every rule of the check stage itself (lint and audit rules are theirs). */
const bg_rule *const *bg_check_rules(size_t *n);
extern const bg_rule bg_rule_check_unevaluated;
extern const bg_rule bg_rule_base_signature_rejected;
extern const bg_rule bg_rule_image_signature_rejected;

#endif
