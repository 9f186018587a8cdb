/* bootgate — evaluating a gate policy (policy.h) against an image: the
 * effective audit rules, the files, kargs.d and unit enablement the image
 * carries, as the image view (imageview.h) holds them.
 *
 * The result is one verdict per requirement of the policy and a list of
 * findings (finding.h) from the rule table below, so that every report
 * format shows them.  Nothing here reads the network or the host: the image
 * view is built by the layer scan (layers.h) or, in tests, by hand. */
#ifndef BOOTGATE_AUDIT_H
#define BOOTGATE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/auditrules.h"
#include "bootgate/error.h"
#include "bootgate/finding.h"
#include "bootgate/imageview.h"
#include "bootgate/layers.h"
#include "bootgate/policy.h"

/* What is known about the image besides its files. */
typedef struct bg_audit_input {
	const bg_imageview *view;
	/* The paths the view was scanned for: a path outside them is "unknown",
	 * not "missing" (NULL: everything is assumed scanned). */
	const bg_pathset *interest;
	const char *oci_arch;       /* "amd64", "arm64", ...; NULL = amd64 */
	const char *subject;        /* the image as named on the command line, for messages */
} bg_audit_input;

typedef enum bg_audit_verdict {
	BG_VERDICT_PASS = 0,
	BG_VERDICT_FAIL,
	BG_VERDICT_NOT_APPLICABLE,  /* e.g. a rule naming a syscall this arch does not have */
	BG_VERDICT_UNKNOWN,         /* could not be evaluated (a file too large, ...) */
} bg_audit_verdict;

/* "pass", "fail", "n/a", "unknown". */
const char *bg_audit_verdict_name(bg_audit_verdict v);

typedef enum bg_audit_req_kind {
	BG_REQ_IMMUTABLE,
	BG_REQ_RULE,
	BG_REQ_FORBIDDEN,
	BG_REQ_FILE,
	BG_REQ_KARG,
	BG_REQ_UNIT,
} bg_audit_req_kind;

/* "immutable", "rule", "forbidden", "file", "karg", "unit". */
const char *bg_audit_req_kind_name(bg_audit_req_kind k);

/* One requirement of the policy and what the image says about it. */
typedef struct bg_audit_requirement {
	bg_audit_req_kind kind;
	const bg_policy_item *item; /* points into the policy */
	bg_audit_verdict verdict;
	char *detail;               /* "satisfied by /etc/audit/rules.d/10.rules:3 (layer 2)" */
} bg_audit_requirement;

/* How the rules are loaded at boot (from the audit units in the image). */
typedef enum bg_audit_loader {
	BG_LOADER_AUGENRULES = 0,   /* augenrules --load: /etc/audit/rules.d (default) */
	BG_LOADER_AUDITCTL,         /* auditctl -R /etc/audit/audit.rules */
} bg_audit_loader;

typedef struct bg_audit_result {
	char machine[16];           /* uname -m the rules were read for ("x86_64") */
	bg_audit_context ctx;       /* the image context used (valid while the input is) */
	bg_audit_loader loader;
	char *loader_detail;        /* which unit line decided it, or "default" */
	bg_audit_sources sources;   /* rules.d merge, audit.rules, /usr/lib/audit */
	/* The rules that load at boot: sources.effective (augenrules) or
	 * sources.audit_rules (auditctl -R).  Points into sources. */
	const bg_audit_ruleset *effective;
	bg_audit_requirement *requirements; /* in policy order */
	size_t n_requirements;
	bg_findings findings;       /* sorted */
	size_t n_passed, n_failed, n_other;
} bg_audit_result;

/* Evaluate.  Returns 0 (violations are findings, not errors), BG_E_NOMEM,
 * or BG_E_USAGE when a policy rule cannot be read at all (it is checked
 * against the image's arch: a rule naming a syscall the arch lacks is a
 * not-applicable verdict, not an error). */
/* The paths a scan for this policy needs: the default paths of interest, the
 * policy's own, and every path a required or forbidden rule watches (whether
 * it is a directory in the image decides -w -> dir=/path= and whether the
 * kernel accepts the rule).  Free with bg_pathset_free. */
int bg_audit_pathset(const bg_policy *policy, bg_pathset **out, bg_error *err);

int bg_audit_evaluate(const bg_policy *policy, const bg_audit_input *in, bg_audit_result *out,
		      bg_error *err);
void bg_audit_result_clear(bg_audit_result *r);

/* Check every rule text of a policy with auditctl's parser for x86_64, so a
 * typo is a configuration error (exit 2) before any image is read. */
int bg_audit_policy_check(const bg_policy *policy, bg_error *err);

/* `uname -m` for an OCI architecture: amd64 → x86_64, arm64 → aarch64,
 * ppc64le, s390x, 386 → i686; NULL when unknown. */
const char *bg_audit_machine_for(const char *oci_arch);

/* Every rule audit findings come from, in a stable order. */
const bg_rule *const *bg_audit_rules(size_t *n);
const bg_rule *bg_audit_rule_find(const char *id);

#endif
