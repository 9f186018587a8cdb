/* bootgate — Red Hat "simple signing" (atomic container signature)
 * verification with gpgme, per containers-signature(5).
 *
 * A verification context owns an ephemeral GnuPG home (a fresh directory
 * under $TMPDIR or /tmp named "bootgate-gpg-XXXXXX") holding only the keys
 * the caller imported.  bg_sigctx_free stops every GnuPG daemon of that home
 * (gpgconf --kill all) and removes the directory; every error path of
 * bg_sigctx_new does the same.
 *
 *     bg_sigctx *ctx = NULL;
 *     bg_sigctx_new(&ctx, err);
 *     bg_sigctx_import_file(ctx, "/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release", err);
 *     bg_sigctx_allow_fingerprint(ctx, "567E347AD0044ADE55BA8A5F199E2F91FD431D51", err); // optional pin
 *     bg_sigidentity rule = { .kind = BG_SIGID_MATCH_REPO_DIGEST_OR_EXACT,
 *                             .image = "registry.redhat.io/rhel9/rhel-bootc:9.6" };
 *     bg_sigresult res = {0};
 *     rc = bg_sigctx_verify(ctx, blob, len, "sha256:<manifest digest>", &rule, &res, err);
 *     // rc < 0: could not evaluate (BG_E_EVAL/BG_E_NOMEM/BG_E_USAGE); else res.accepted
 *     bg_sigresult_free(&res);
 *     bg_sigctx_free(ctx);
 *
 * A blob is accepted only when, in this order (the order of containers/image):
 *  1. it is a binary OpenPGP message: the first byte is a compressed,
 *     one-pass-signature or signature packet tag (ASCII armor and cleartext
 *     signatures, which start with '-', are refused, as on c/image's
 *     registry/lookaside path), and it is at most BG_MAX_SIGNATURE_BYTES;
 *  2. gpgme finds exactly one signature, with status "good", validity not
 *     "never", no validity reason and no wrong-key-usage flag (this refuses
 *     bad, expired and unknown-key signatures, expired and revoked keys);
 *  3. the signer is allowed: its fingerprint (the key that made the signature,
 *     primary or subkey, 40 upper-case hex) is in the allow-list, or — only
 *     when bg_sigctx_allow_primary_key(ctx, true) — it is a signing subkey
 *     whose primary key's fingerprint is in the allow-list.  The allow-list is
 *     the fingerprints given to bg_sigctx_allow_fingerprint; when none were
 *     given, it is the primary fingerprints of every imported key (what
 *     containers/image trusts for a signedBy requirement);
 *  4. the signed plaintext (at most BG_MAX_SIGNATURE_BYTES after
 *     decompression) is a strict containers-signature(5) payload
 *     (bg_sigpayload_parse);
 *  5. its docker-manifest-digest equals the caller's manifest digest
 *     (bg_digest_equal; the caller hashes the exact manifest bytes with
 *     sha256, so a sha512 or upper-case signed digest never matches);
 *  6. its docker-reference satisfies the caller's identity rule.
 * A rejection is not an error: bg_sigctx_verify returns 0 with
 * accepted = false and a reason.  A negative return means the signature could
 * not be evaluated (GnuPG missing or failing, out of memory, bad arguments). */
#ifndef BOOTGATE_SIGNATURE_H
#define BOOTGATE_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootgate/error.h"

/* ---- payload (lib/sigpayload.c) -------------------------------------- */

/* The signed JSON document, parsed strictly:
 *   - bg_json_parse_strict: duplicate keys at any depth, trailing data,
 *     NUL, invalid UTF-8 refused;
 *   - top level exactly {critical, optional}; critical exactly
 *     {type, image, identity}; image exactly {docker-manifest-digest};
 *     identity exactly {docker-reference}; every one of them an object;
 *   - type == "atomic container signature" exactly;
 *   - docker-manifest-digest a string that is a valid digest
 *     (bg_digest_valid: sha256/sha512, lower-case hex);
 *   - docker-reference a non-empty string (it is parsed by the identity
 *     check, not here: an invalid reference fails there);
 *   - optional an object (null refused); unknown members ignored;
 *     creator, if present, a string; timestamp, if present, a number with an
 *     integral value that fits in int64 (1700000000 and 1e9 accepted, 0.5 and
 *     "1" refused).  Missing creator/timestamp are fine (Red Hat's payloads
 *     have no timestamp; their Python-style ", " / ": " spacing and key order
 *     are plain JSON). */
typedef struct bg_sigpayload {
	char *docker_manifest_digest;
	char *docker_reference;
	char *creator;      /* NULL when absent */
	bool has_timestamp;
	int64_t timestamp;  /* Unix seconds, when has_timestamp */
} bg_sigpayload;

/* Errors: BG_E_INPUT with a message naming the field ("signature payload:
 * critical: unknown key \"extra\""), BG_E_NOMEM.  *out is zeroed first and
 * left zeroed on error. */
int bg_sigpayload_parse(const char *data, size_t len, bg_sigpayload *out, bg_error *err);
/* Release and zero.  Accepts NULL. */
void bg_sigpayload_free(bg_sigpayload *p);

/* ---- identity rules --------------------------------------------------- */

/* How the signed docker-reference must relate to the image.  The first five
 * are containers-policy.json(5) signedIdentity kinds (remapIdentity is left to
 * the caller: compute the remapped image reference and use
 * MATCH_REPO_DIGEST_OR_EXACT, or use CALLBACK). */
typedef enum bg_sigidentity_kind {
	/* Default of signedBy: bg_reference_match_repo_digest_or_exact(image, signed). */
	BG_SIGID_MATCH_REPO_DIGEST_OR_EXACT = 0,
	BG_SIGID_MATCH_EXACT,        /* bg_reference_match_exact(image, signed) */
	BG_SIGID_MATCH_REPOSITORY,   /* bg_reference_match_repository(image, signed) */
	BG_SIGID_EXACT_REFERENCE,    /* bg_reference_match_exact(value, signed) */
	BG_SIGID_EXACT_REPOSITORY,   /* bg_reference_match_repository(value, signed) */
	/* Both normalised (bg_reference_parse) and equal in name, tag and digest,
	 * with no implicit ":latest": containers/image
	 * VerifyDockerManifestSignature, i.e. `skopeo standalone-verify`
	 * ("testing/manifest" == "docker.io/testing/manifest", but
	 * "x/y" != "x/y:1.0"). */
	BG_SIGID_SAME_REFERENCE,
	BG_SIGID_CALLBACK,           /* match(data, signed) decides */
} bg_sigidentity_kind;

typedef struct bg_sigidentity {
	bg_sigidentity_kind kind;
	const char *image;  /* the image's identity (MATCH_*, SAME_REFERENCE) */
	const char *value;  /* dockerReference / dockerRepository (EXACT_*) */
	/* CALLBACK: return true to accept; may write a reason into why (size
	 * bytes, NUL-terminated) when refusing. */
	bool (*match)(void *data, const char *signed_reference, char *why, size_t size);
	void *data;
} bg_sigidentity;

/* ---- verification context (lib/gpgctx.c, lib/signature.c) ------------ */

typedef struct bg_sigctx bg_sigctx;

/* Create the ephemeral GnuPG home and gpgme context.  Errors: BG_E_EVAL
 * (gpgme/GnuPG missing or too old, cannot create the directory), BG_E_NOMEM. */
int bg_sigctx_new(bg_sigctx **out, bg_error *err);

/* Import public keys: a key file (armored, possibly several armor blocks, or
 * binary, possibly several keys) or the same bytes in memory (keyData; what
 * names them in messages).  Each transferable key is imported on its own, so
 * a key GnuPG cannot read (e.g. Red Hat's OpenPGP v6 PQC key on GnuPG 2.2)
 * does not take the others down with it; such keys are listed by
 * bg_sigctx_import_notes.  Importing nothing from a file is not an error here
 * (containers/image: garbage yields 0 keys); check bg_sigctx_keys.
 * Errors: BG_E_USAGE (file missing/unreadable/too large, > 16 MiB),
 * BG_E_EVAL (gpgme failed), BG_E_NOMEM. */
int bg_sigctx_import_file(bg_sigctx *ctx, const char *path, bg_error *err);
int bg_sigctx_import_data(bg_sigctx *ctx, const void *data, size_t len, const char *what,
			  bg_error *err);

/* Primary fingerprints imported so far (40 upper-case hex, import order,
 * each once) and their count. */
const char *const *bg_sigctx_keys(const bg_sigctx *ctx, size_t *n);
/* Human-readable notes on key blocks that were not imported ("FILE: key
 * block 3 (OpenPGP v6 key) not imported: ..."). */
const char *const *bg_sigctx_import_notes(const bg_sigctx *ctx, size_t *n);

/* Pin a fingerprint: 40 hex digits (spaces allowed, any case; stored upper
 * case).  Once any is pinned, only pinned fingerprints are trusted.
 * Errors: BG_E_USAGE for a malformed fingerprint. */
int bg_sigctx_allow_fingerprint(bg_sigctx *ctx, const char *fpr, bg_error *err);
/* Accept a signature made by a subkey when its primary key is allowed
 * (containers/image after 2025-08; off by default, as in c/image 5.23.1). */
void bg_sigctx_allow_primary_key(bg_sigctx *ctx, bool allow);

/* Why a signature was refused (coarse, for reports and aggregation). */
typedef enum bg_sigreject {
	BG_SIGREJ_NONE = 0,   /* accepted */
	BG_SIGREJ_FORMAT,     /* not a binary OpenPGP message, empty, too large */
	BG_SIGREJ_CRYPTO,     /* gpgme: not exactly one good signature (bad, expired, revoked, unknown key, unsigned) */
	BG_SIGREJ_SIGNER,     /* good signature by a key not on the allow-list */
	BG_SIGREJ_PAYLOAD,    /* payload not a strict containers-signature(5) document */
	BG_SIGREJ_DIGEST,     /* signed digest is not the manifest's */
	BG_SIGREJ_IDENTITY,   /* signed reference fails the identity rule */
} bg_sigreject;

typedef struct bg_sigresult {
	bool accepted;
	bg_sigreject rejected_by;
	char *reason;          /* why not accepted (NULL when accepted) */
	/* Whatever is known when verification got that far (else NULL): */
	char *signer_fpr;      /* fingerprint of the key that signed (may be a subkey) */
	char *primary_fpr;     /* its primary key */
	char *uid;             /* primary user ID of that key */
	char *signed_digest;   /* payload docker-manifest-digest */
	char *signed_identity; /* payload docker-reference */
	char *creator;         /* payload optional.creator, NULL when absent */
	bool has_timestamp;
	int64_t timestamp;     /* payload optional.timestamp */
} bg_sigresult;

/* Verify one signature blob against the manifest digest ("sha256:<64 hex>",
 * validated: BG_E_USAGE otherwise) and the identity rule (NULL rule or a rule
 * missing its strings: BG_E_USAGE).  *res is zeroed first.  Returns 0 with
 * res->accepted telling the verdict, or a negative bg_status when the
 * signature could not be evaluated (then res may be partly filled; free it
 * anyway).  A context can verify any number of blobs; it is not thread-safe
 * (use one per thread). */
int bg_sigctx_verify(bg_sigctx *ctx, const void *blob, size_t len, const char *manifest_digest,
		     const bg_sigidentity *rule, bg_sigresult *res, bg_error *err);

void bg_sigresult_free(bg_sigresult *res);

/* Stop the home's GnuPG daemons, remove the directory, free.  Accepts NULL. */
void bg_sigctx_free(bg_sigctx *ctx);

/* Directory of the context's GnuPG home (for tests and diagnostics). */
const char *bg_sigctx_home(const bg_sigctx *ctx);

#endif
