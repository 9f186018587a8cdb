/* bootgate — one image's signature decision, as a library call: "is image X
 * (an opened source, its resolved manifest chain and the identity it is
 * judged under) trusted by containers-policy.json P with the signature
 * storage of registries.d D?"  The same steps as `bootgate verify`
 * (cmd/cmd_verify.c), without its concurrency: the signatures come from the
 * registry's signatures extension when the image is read from a registry
 * that announces it, else from the registries.d lookaside store of the
 * identity, and bg_trust_evaluate decides on the platform manifest digest.
 *
 * Bootgate extension (doc/bootgate.yaml.5): a registries.d lookaside of the
 * form "file:RELATIVE/PATH" (no "//") is resolved against the directory of
 * the registries.d file that names it, so a repository can carry its own
 * signature store.  containers/image accepts only file:///absolute. */
#ifndef BOOTGATE_IMAGEVERIFY_H
#define BOOTGATE_IMAGEVERIFY_H

#include <stdbool.h>

#include "bootgate/error.h"
#include "bootgate/image.h"
#include "bootgate/lookaside.h"
#include "bootgate/reference.h"
#include "bootgate/registriesd.h"
#include "bootgate/source.h"
#include "bootgate/trust.h"

typedef struct bg_imageverify_input {
	const bg_trust_policy *policy;
	const bg_registriesd *registries_d;
	const bg_source *source;        /* where the image was read (registry: probe the extension) */
	const bg_image *image;          /* bg_image_resolve of source */
	/* The docker identity the image is judged under (a FROM reference, a
	 * role's identity, the registry reference); NULL: none, so the local
	 * transport's own policy entries apply and no signature can be found. */
	const bg_reference *identity;
	bg_lookaside_options lookaside;
} bg_imageverify_input;

/* The policy transport for the input: "docker" with an identity, else the
 * source's transport name. */
const char *bg_imageverify_transport(const bg_imageverify_input *in);

/* Does the policy ask anything of this image, i.e. is the requirement list
 * that applies something other than insecureAcceptAnything only?  Errors:
 * bg_trust_policy_requirements'. */
int bg_imageverify_required(const bg_imageverify_input *in, bool *required, bg_error *err);

/* Decide.  Returns 0 with *out telling accepted or rejected (free it with
 * bg_trust_decision_free in every case), or a negative status when the image
 * could not be evaluated (signatures unreadable, GnuPG failing: BG_E_EVAL; a
 * key file missing: BG_E_USAGE).  *sig_source (may be NULL) gets where the
 * signatures were read from, for reports. */
int bg_imageverify_decide(const bg_imageverify_input *in, bg_trust_decision *out, char **sig_source,
			  bg_error *err);

/* The lookaside base URL of a registries.d choice with the relative file:
 * extension applied (a copy of c->url otherwise). */
int bg_imageverify_lookaside_url(const bg_registriesd_choice *c, char **out, bg_error *err);

#endif
