/* bootgate — containers-policy.json(5): which images are trusted.
 *
 * A policy maps scopes to requirement lists:
 *
 *   {"default": [REQ...],
 *    "transports": {"docker": {"SCOPE": [REQ...], "": [REQ...]}, ...}}
 *
 * Parsing is as paranoid as containers/image's (signature/policy_config.go):
 * the JSON is read with bg_json_parse_strict (duplicate keys, trailing data
 * and NULs refused), every object must hold exactly the keys its type allows
 * (an unknown key — a typo such as "signedIdentty" — rejects the whole
 * policy), "default" is mandatory, and every requirement list must be
 * non-empty.  Scopes of the docker transport are not validated (as upstream:
 * a mistyped scope never matches); other transports' scopes are kept as
 * written and only their "" default is ever consulted by bootgate.
 *
 * Requirements:
 *   insecureAcceptAnything  {type}                          accepts the image
 *   reject                  {type}                          rejects it
 *   signedBy  {type, keyType, keyPath | keyPaths | keyData, signedIdentity?}
 *             keyType must be present; only "GPGKeys" is implemented: the
 *             other upstream values (signedByGPGKeys, X509Certificates,
 *             signedByX509CAs) parse and reject at evaluation.  Exactly one
 *             key source.  keyData is standard base64 of keyring bytes.
 *   sigstoreSigned          parsed by its key set and reported as
 *             unsupported: it always rejects (gate closed) until bootgate
 *             verifies sigstore signatures.
 *   signedBaseLayer {type, baseLayerIdentity}  always rejects (as upstream).
 *
 * signedIdentity (default matchRepoDigestOrExact), see
 * bg_trust_identity_matches below:
 *   {"type":"matchExact"} {"type":"matchRepoDigestOrExact"}
 *   {"type":"matchRepository"}
 *   {"type":"exactReference","dockerReference":REF}   REF has a tag or digest
 *   {"type":"exactRepository","dockerRepository":REPO}
 *   {"type":"remapIdentity","prefix":P,"signedPrefix":S}
 *
 * Scope resolution for an image of the docker transport with identity
 * host[:port]/ns1/ns2/repo:tag (bg_trust_scope_candidates): the FIRST of
 * these that the policy lists decides, alone:
 *   host[:port]/ns1/ns2/repo:tag (or ...repo@sha256:HEX), host[:port]/ns1/ns2/repo,
 *   host[:port]/ns1/ns2, host[:port]/ns1, host[:port],
 *   *.<host without port minus its first label>, ... (longest first),
 *   the transport's "" entry, then "default".
 *
 * Local transports (bootgate's mapping, doc/verify.md): an image read from
 * oci:, oci-archive: or docker-archive: is judged under the docker
 * transport's scopes of the identity the caller gives (bootgate verify
 * --identity); without one, under the transport's own "" entry
 * ("oci", "oci-archive", "docker-archive") and then "default" — and since
 * such an image has no identity, any signedBy of that list rejects it unless
 * its signedIdentity is exactReference or exactRepository.
 *
 * All requirements of the chosen list must accept (AND), in order; the first
 * that rejects decides.  A signedBy accepts when at least one of the image's
 * signatures is accepted by bg_sigctx_verify with its keys and identity rule. */
#ifndef BOOTGATE_TRUST_H
#define BOOTGATE_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bootgate/error.h"
#include "bootgate/reference.h"

#define BG_TRUST_DEFAULT_POLICY "/etc/containers/policy.json"
/* A policy file larger than this is refused. */
#define BG_TRUST_MAX_POLICY_BYTES (4UL * 1024 * 1024)

typedef enum bg_trust_req_type {
	BG_TRUST_INSECURE_ACCEPT_ANYTHING,
	BG_TRUST_REJECT,
	BG_TRUST_SIGNED_BY,
	BG_TRUST_SIGSTORE_SIGNED,
	BG_TRUST_SIGNED_BASE_LAYER,
} bg_trust_req_type;

typedef enum bg_trust_identity_kind {
	BG_TRUST_MATCH_REPO_DIGEST_OR_EXACT = 0, /* the default */
	BG_TRUST_MATCH_EXACT,
	BG_TRUST_MATCH_REPOSITORY,
	BG_TRUST_EXACT_REFERENCE,
	BG_TRUST_EXACT_REPOSITORY,
	BG_TRUST_REMAP_IDENTITY,
} bg_trust_identity_kind;

typedef struct bg_trust_identity {
	bg_trust_identity_kind kind;
	char *value;          /* exactReference: dockerReference; exactRepository: dockerRepository */
	char *prefix;         /* remapIdentity */
	char *signed_prefix;  /* remapIdentity */
} bg_trust_identity;

typedef struct bg_trust_requirement {
	bg_trust_req_type type;
	char *key_type;             /* signedBy: keyType as written */
	char **key_paths;           /* signedBy: keyPath (1) or keyPaths (n) */
	size_t n_key_paths;
	unsigned char *key_data;    /* signedBy: keyData, base64-decoded */
	size_t key_data_len;
	bool has_key_data;
	bg_trust_identity identity; /* signedBy (and sigstoreSigned) */
} bg_trust_requirement;

typedef struct bg_trust_reqlist {
	bg_trust_requirement *v;
	size_t n;
} bg_trust_reqlist;

typedef struct bg_trust_scope {
	char *transport;  /* "docker", "oci", ... (as written) */
	char *scope;      /* "" = the transport's default */
	bg_trust_reqlist reqs;
} bg_trust_scope;

typedef struct bg_trust_policy {
	char *name;               /* path or name given, for messages */
	bg_trust_reqlist default_reqs;
	bg_trust_scope *scopes;   /* in file order */
	size_t n_scopes;
} bg_trust_policy;

/* Parse a policy.json document.  Errors are BG_E_USAGE (an invalid policy is
 * a configuration error, exit 2) with "NAME: <where>: <what>", e.g.
 * "policy.json: transports.docker[\"quay.io\"][0]: unknown key
 * \"signedIdentty\"", or BG_E_NOMEM. */
int bg_trust_policy_parse(const char *data, size_t len, const char *name, bg_trust_policy **out,
			  bg_error *err);
/* Read and parse path (NULL: BG_TRUST_DEFAULT_POLICY). */
int bg_trust_policy_load(const char *path, bg_trust_policy **out, bg_error *err);
void bg_trust_policy_free(bg_trust_policy *p);

/* The scopes tried for a docker identity, most specific first, without the
 * transport default and the global default: [identity, name, parent
 * namespaces..., host[:port], *.wildcards...].  Appended to out (which the
 * caller frees).  Used by registries.d section selection too. */
int bg_trust_scope_candidates(const bg_reference *identity, char ***out, size_t *n, bg_error *err);

/* The requirement list that applies.  transport: the policy transport name
 * ("docker", or a local transport's name when there is no identity);
 * identity: the docker identity (NULL when none).  *scope_out (may be NULL)
 * receives the key of the scope that applied, owned by the policy ("" = the
 * transport's default), or NULL when the top-level "default" applied. */
int bg_trust_policy_requirements(const bg_trust_policy *p, const char *transport,
				 const bg_reference *identity, const bg_trust_reqlist **reqs,
				 const char **scope_out, bg_error *err);

/* Does a signature's docker-reference satisfy rule for an image whose
 * identity is image (the full reference, ":latest" implied when it had
 * neither tag nor digest; NULL when the image has no identity)?  Exactly
 * containers/image signature/policy_reference_match.go.  When false and why
 * is non-NULL, a reason is written there (size bytes). */
bool bg_trust_identity_matches(const bg_trust_identity *rule, const char *image,
			       const char *signed_reference, char *why, size_t size);

/* remapIdentity's rewrite: when the name of image equals prefix or starts
 * with prefix + "/", the first occurrence of prefix in image is replaced by
 * signed_prefix and the result must be a fully qualified reference (no
 * docker.io or library/ defaulting); *out gets it (or a copy of image when
 * the prefix does not apply).  BG_E_INPUT when the result is not valid. */
int bg_trust_remap(const char *prefix, const char *signed_prefix, const char *image, char **out,
		   bg_error *err);

/* "insecureAcceptAnything", "reject", "signedBy", "sigstoreSigned",
 * "signedBaseLayer". */
const char *bg_trust_req_type_name(bg_trust_req_type t);
/* "matchRepoDigestOrExact", ... */
const char *bg_trust_identity_kind_name(bg_trust_identity_kind k);
/* One-line description of a requirement: "signedBy GPGKeys keyPath=/x
 * signedIdentity=matchRepoDigestOrExact".  NULL on OOM. */
char *bg_trust_requirement_describe(const bg_trust_requirement *r);

/* ---- evaluation ------------------------------------------------------- */

/* The signatures of the image, fetched lazily (only when a signedBy needs
 * them).  The callback fills blobs/lens/locations with n entries the
 * evaluator then owns (frees with free()), or returns a negative bg_status
 * ("could not evaluate": a network error, an HTML answer, ...).  When
 * bg_trust_image.manifest_digest is NULL (the image is still being resolved
 * while GnuPG starts), the callback also sets manifest_digest. */
typedef struct bg_trust_signatures {
	char **blobs;
	size_t *lens;
	char **locations;   /* URL or path of each, for reports */
	size_t n;
	char *manifest_digest; /* see above; NULL otherwise */
} bg_trust_signatures;

typedef int (*bg_trust_fetch_fn)(void *ctx, bg_trust_signatures *out, bg_error *err);

void bg_trust_signatures_free(bg_trust_signatures *s);

typedef struct bg_trust_image {
	const char *transport;        /* policy transport: "docker" or the local one */
	const bg_reference *identity; /* docker identity, or NULL */
	const char *manifest_digest;  /* sha256 of the exact manifest bytes whose
					 signatures are checked (per-platform);
					 NULL: the fetch callback supplies it */
	bg_trust_fetch_fn fetch;
	void *fetch_ctx;
	/* Extra pins (bootgate option, not policy.json): when n_pins > 0 a
	 * signedBy accepts only signers whose fingerprint is one of these. */
	const char *const *pins;
	size_t n_pins;
	bool allow_subkeys;           /* accept a subkey signature when its primary is trusted */
} bg_trust_image;

/* What happened to one signature under the deciding signedBy. */
typedef struct bg_trust_sigreport {
	char *location;
	bool accepted;
	char *reason;            /* NULL when accepted */
	char *signer_fpr, *primary_fpr, *uid, *signed_identity, *signed_digest;
	bool has_timestamp;
	int64_t timestamp;
} bg_trust_sigreport;

typedef struct bg_trust_decision {
	bool accepted;
	const char *scope;       /* scope key that applied ("" = transport default,
				    NULL = top-level default); owned by the policy */
	size_t requirement;      /* index in that list of the deciding requirement
				    (accepted: the last one; rejected: the first that refused) */
	char *requirement_text;  /* bg_trust_requirement_describe of it */
	char *reason;            /* rejected: why; accepted: what accepted */
	bg_trust_sigreport *sigs;  /* signatures examined by the deciding signedBy */
	size_t n_sigs;
	ssize_t accepted_sig;    /* index of the accepted signature, or -1 */
	char **key_notes;        /* keys GnuPG could not import (bg_sigctx_import_notes) */
	size_t n_key_notes;
} bg_trust_decision;

/* Evaluate the image against the policy.  Returns 0 with *out telling the
 * decision (accepted or not), or a negative status when the image could not
 * be evaluated: BG_E_EVAL (signatures could not be fetched, GnuPG failed),
 * BG_E_USAGE (a key file of the policy is missing or unreadable),
 * BG_E_NOMEM. *out is zeroed first; free it with bg_trust_decision_free in
 * every case. */
int bg_trust_evaluate(const bg_trust_policy *p, const bg_trust_image *img, bg_trust_decision *out,
		      bg_error *err);
void bg_trust_decision_free(bg_trust_decision *d);

#endif
