/* bootgate — reading an image's simple-signing signatures: from a lookaside
 * store (containers/image docs/signature-protocols.md) or through a
 * registry's signatures extension API.
 *
 * Lookaside: signature N (1-based) of the manifest with digest
 * sha256:HEX of repository PATH (the repository without its registry host)
 * lives at
 *
 *     BASE/PATH@sha256=HEX/signature-N
 *
 * BASE is the registries.d URL (file://, http:// or https://; no query or
 * fragment).  Signatures are read from N = 1 until the first one that does
 * not exist (http 404; file: a missing file) — a gap ends the list, so only
 * signature-2 means no signature — at most BG_MAX_SIGNATURES (more is an
 * error) and BG_MAX_SIGNATURE_BYTES each.  Any other HTTP status, a body
 * served as text/html (Red Hat's CDN has answered a missing signature with an
 * HTML page), a body that does not start like a binary OpenPGP message, a
 * TLS or network error: BG_E_EVAL, "could not evaluate" — never "unsigned".
 *
 * HTTP rules: TLS verified (system CAs plus the *.crt of cert_dir, as the
 * registry client) unless insecure; no credentials are sent (as upstream,
 * lookaside reads are anonymous); at most 10 redirects, never from https to
 * http; no .netrc; connect timeout and a total deadline per request; one
 * connection reused for the whole list.
 *
 * Extension API: a registry whose /v2/ answer carries
 * "X-Registry-Supports-Signatures: 1" (OpenShift's integrated registry) is
 * read with GET /extensions/v2/PATH/signatures/sha256:HEX → JSON
 * {"signatures":[{"schemaVersion":2,"type":"atomic","name":...,
 * "content":BASE64}]}; only schemaVersion 2 "atomic" entries are used, and
 * for such a registry registries.d is not consulted (as upstream).  Requests
 * are anonymous: a registry that demands authentication for the extension
 * gives BG_E_EVAL. */
#ifndef BOOTGATE_LOOKASIDE_H
#define BOOTGATE_LOOKASIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/error.h"
#include "bootgate/trust.h"

typedef struct bg_lookaside_options {
	const char *cert_dir;       /* extra CAs (*.crt); NULL: system CAs only */
	bool insecure;              /* no TLS verification (and http for the extension probe) */
	unsigned connect_timeout;   /* seconds, 0: 30 */
	unsigned deadline_seconds;  /* seconds per request, 0: 120 */
} bg_lookaside_options;

/* BASE/PATH@ALGO=HEX/signature-N.  Refuses (BG_E_EVAL) a digest that is not
 * valid (bg_digest_valid), a repository path outside the reference grammar,
 * a base with another scheme, a query or a fragment, and n == 0. */
int bg_lookaside_url(const char *base, const char *repo_path, const char *digest, unsigned n,
		     char **out, bg_error *err);

/* Read every signature of the manifest from the lookaside store; out gets
 * blobs with their URLs.  See above for what is an error. */
int bg_lookaside_fetch(const char *base, const char *repo_path, const char *digest,
		       const bg_lookaside_options *o, bg_trust_signatures *out, bg_error *err);

/* Whether a blob starts like a signature containers/image would read as
 * simple signing: a binary OpenPGP packet tag (compressed, one-pass
 * signature or signature packet), or c/image's "\0simple-signing\n" storage
 * prefix (*skip is then its length). */
bool bg_lookaside_blob_recognised(const unsigned char *data, size_t len, size_t *skip);

/* Does the registry (domain as in a reference) announce the extension?
 * GET /v2/ over https (then http when insecure and https fails); any
 * status counts, only the header matters.  *api_base (may be NULL) gets
 * "https://HOST[:PORT]" (or http) when supported, else NULL. */
int bg_sigext_probe(const char *domain, const bg_lookaside_options *o, bool *supported,
		    char **api_base, bg_error *err);
/* Parse an extension answer: the atomic entries' decoded contents. */
int bg_sigext_parse(const char *data, size_t len, const char *what, bg_trust_signatures *out,
		    bg_error *err);
/* GET API_BASE/extensions/v2/PATH/signatures/DIGEST and parse it; 404 means
 * no signatures. */
int bg_sigext_fetch(const char *api_base, const char *repo_path, const char *digest,
		    const bg_lookaside_options *o, bg_trust_signatures *out, bg_error *err);

#endif
