/* bootgate — the rules of `bootgate check` itself: ids, severities, fixes
 * and NIST SP 800-53 controls.  check.c decides when they fire. */
#include "bootgate/check.h"

#include <stddef.h>

const bg_rule bg_rule_check_unevaluated = {
	.id = "check-unevaluated",
	.severity = BG_SEV_ERROR,
	.summary = "part of the role could not be evaluated (an image not fetched, signatures not read)",
	.help = "Fix what the message names (network, credentials, a mirror whose digest differs from the "
		"pinned one, a build argument without value) and run the check again. Nothing evaluated is "
		"never a pass.",
	.controls = {"CA-7", "SI-7", "SR-11"},
	.always_fails = true,
};

const bg_rule bg_rule_base_signature_rejected = {
	.id = "base-signature-rejected",
	.severity = BG_SEV_ERROR,
	.summary = "the base image's signature is not accepted by the role's trust policy",
	.help = "Build FROM an image signed by a key the trust policy (policy.json signedBy) accepts, with "
		"its signature where registries.d says, or fix the trust settings of the role in bootgate.yaml.",
	.controls = {"SI-7", "SI-7(15)", "SR-4", "SR-11", "CM-14"},
};

const bg_rule bg_rule_image_signature_rejected = {
	.id = "image-signature-rejected",
	.severity = BG_SEV_ERROR,
	.summary = "the built image's signature is not accepted by the role's trust policy",
	.help = "Sign the built image with a key the trust policy accepts (skopeo copy --sign-by, or "
		"cosign for sigstore) and publish the signature where registries.d says, or give the role the "
		"identity it is signed under.",
	.controls = {"SI-7", "SI-7(15)", "SR-4", "CM-14"},
};

static const bg_rule *const check_rules[] = {
	&bg_rule_check_unevaluated,
	&bg_rule_base_signature_rejected,
	&bg_rule_image_signature_rejected,
};

const bg_rule *const *bg_check_rules(size_t *n)
{
	*n = sizeof check_rules / sizeof check_rules[0];
	return check_rules;
}
