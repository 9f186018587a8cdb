/* bootgate — the role manifest: which image digest each host role may run,
 * with the evidence it was recorded on, signed by release managers.
 *
 * File `roles.manifest.json` (doc/manifest.md).  The bytes are a pure
 * function of the content: keys sorted, two-space indentation, one member
 * per line, roles sorted by name, base digests sorted and unique, integers
 * only (no floats), times as RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ", a trailing
 * newline.  So the same content always gives the same bytes, a signature
 * covers exactly what a reviewer reads, and `git diff` shows real changes:
 *
 *   {
 *     "expires": "2025-07-01T00:00:00Z",
 *     "format_version": 1,
 *     "kind": "bootgate-role-manifest",
 *     "roles": {
 *       "web": {
 *         "base_digests": [
 *           "sha256:..."
 *         ],
 *         "evidence": {
 *           "policy_hash": "sha256:...",
 *           "signer_fingerprint": "0123...CDEF",
 *           "signer_uid": "Red Hat, Inc. (release key 2) <security@redhat.com>",
 *           "source_revision": "8f14e45f...",
 *           "verdict": "pass"
 *         },
 *         "index_digest": "sha256:...",
 *         "manifest_digest": "sha256:...",
 *         "recorded": "2025-06-01T12:00:00Z",
 *         "repository": "registry.example.com/fleet/web"
 *       }
 *     },
 *     "serial": 7
 *   }
 *
 * Optional strings (index_digest and the evidence except verdict) are
 * written as null when absent, so every entry has the same shape.
 *
 * A fragment (`bootgate check --role R --record-to FILE`) is one role's
 * entry with its own header, so a matrix job can hand it to the final merge
 * job:  {"entry": {...}, "format_version": 1, "kind":
 * "bootgate-role-fragment", "role": "web"}.
 *
 * Parsing is strict (bg_json_parse_strict: duplicate keys, trailing data,
 * invalid UTF-8 refused) and exact: unknown keys, wrong types, a wrong kind
 * or format_version, malformed digests or times are errors naming the field. */
#ifndef BOOTGATE_ROLES_H
#define BOOTGATE_ROLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bootgate/digest.h"
#include "bootgate/error.h"
#include "bootgate/limits.h"

#define BG_ROLES_FORMAT_VERSION 1
#define BG_ROLES_MAX_BYTES (8 * BG_MiB)   /* manifest, fragment, state file */
#define BG_ROLES_MAX_ROLES 4096
#define BG_ROLES_MAX_BASES 64             /* base digests per role */
#define BG_ROLES_MAX_NAME 63              /* role name: [A-Za-z0-9][A-Za-z0-9._-]* */
#define BG_ROLES_MAX_STRING 4096          /* any other string value */
#define BG_ROLES_MAX_SIGNATURES 64        /* signature files per manifest */
#define BG_ROLES_TIME_MAX 21              /* "YYYY-MM-DDTHH:MM:SSZ" + NUL */

/* ---- content (lib/roles.c) -------------------------------------------- */

typedef struct bg_role_evidence {
	char *policy_hash;        /* digest of the gate policy the image passed; NULL unknown */
	char *signer_fingerprint; /* base image signature's key (40 upper-case hex); NULL unsigned */
	char *signer_uid;         /* that key's user ID; NULL unknown */
	char *source_revision;    /* CI_COMMIT_SHA / GITHUB_SHA / git HEAD; NULL unknown */
	char *verdict;            /* required: summary of the gate's verdict, e.g. "pass" */
} bg_role_evidence;

typedef struct bg_role_entry {
	char *name;               /* role name */
	char *repository;         /* image repository without tag or digest (required) */
	char *index_digest;       /* image index digest; NULL for a single-manifest image */
	char *manifest_digest;    /* platform manifest digest (required) */
	char **base_digests;      /* sorted, unique */
	size_t n_base_digests;
	bg_role_evidence evidence;
	int64_t recorded;         /* Unix seconds (UTC) */
} bg_role_entry;

typedef struct bg_role_manifest {
	int64_t serial;           /* >= 1; every new revision increases it */
	int64_t expires;          /* Unix seconds (UTC): not valid at or after this */
	bg_role_entry *roles;     /* sorted by name, names unique */
	size_t n_roles;
} bg_role_manifest;

/* An empty manifest.  Errors: BG_E_USAGE (serial < 1), BG_E_NOMEM. */
int bg_roles_new(int64_t serial, int64_t expires, bg_role_manifest **out, bg_error *err);
void bg_roles_free(bg_role_manifest *m);

/* Strict parse of manifest bytes (what names them in messages) / of a file
 * (at most BG_ROLES_MAX_BYTES).  Errors: BG_E_INPUT (not a valid manifest,
 * with the field), BG_E_USAGE (file missing/unreadable), BG_E_NOMEM. */
int bg_roles_parse(const char *data, size_t len, const char *what, bg_role_manifest **out,
		   bg_error *err);
int bg_roles_load(const char *path, bg_role_manifest **out, bg_error *err);

/* The canonical bytes (NUL-terminated, *len excludes the NUL).
 * Errors: BG_E_NOMEM. */
int bg_roles_serialize(const bg_role_manifest *m, char **out, size_t *len, bg_error *err);

/* Write the canonical bytes to path atomically: a temporary file in the same
 * directory, fsync, rename over path, fsync the directory.  A reader sees
 * the old file or the new one, never a mixture.  Errors: BG_E_EVAL. */
int bg_roles_write(const bg_role_manifest *m, const char *path, bg_error *err);

/* Check an entry (name, digests, times, strings) as the parser would:
 * BG_E_USAGE with the field when invalid. */
int bg_role_entry_validate(const bg_role_entry *e, bg_error *err);

/* Record (add or replace) a role: a validated deep copy of e goes into m,
 * base digests sorted and de-duplicated.  The serial is not touched (see
 * bg_roles_next_revision).  Errors: BG_E_USAGE (invalid entry, too many
 * roles), BG_E_NOMEM. */
int bg_roles_record(bg_role_manifest *m, const bg_role_entry *e, bg_error *err);

/* The role named name, or NULL. */
const bg_role_entry *bg_roles_find(const bg_role_manifest *m, const char *name);

/* True when digest is the entry's manifest digest or its index digest. */
bool bg_role_entry_matches(const bg_role_entry *e, const char *digest);

/* Deep copy / release of one entry (free accepts NULL and zeroes). */
int bg_role_entry_copy(const bg_role_entry *src, bg_role_entry *dst, bg_error *err);
void bg_role_entry_clear(bg_role_entry *e);

/* Turn m into its next revision: serial + 1, new expiry.  Errors:
 * BG_E_USAGE (serial overflow, expiry not after the recorded times). */
int bg_roles_next_revision(bg_role_manifest *m, int64_t expires, bg_error *err);

/* Fragments: one role's entry.  Serialize gives canonical bytes; write is
 * atomic as bg_roles_write; parse/load are strict (BG_E_INPUT). */
int bg_roles_fragment_serialize(const bg_role_entry *e, char **out, size_t *len, bg_error *err);
int bg_roles_fragment_write(const bg_role_entry *e, const char *path, bg_error *err);
int bg_roles_fragment_parse(const char *data, size_t len, const char *what, bg_role_entry *out,
			    bg_error *err);
int bg_roles_fragment_load(const char *path, bg_role_entry *out, bg_error *err);

/* Fold fragments into m, all or nothing: every fragment's role must be in
 * allowed (n_allowed names; the roles of bootgate.yaml) and no role may come
 * twice among the fragments; an existing entry of m for that role is
 * replaced.  Errors: BG_E_INPUT naming the fragment index and role (unknown
 * role, duplicate), BG_E_USAGE (n_allowed == 0), BG_E_NOMEM.  m is unchanged
 * on error. */
int bg_roles_merge(bg_role_manifest *m, const bg_role_entry *fragments, size_t n_fragments,
		   const char *const *allowed, size_t n_allowed, bg_error *err);

/* RFC 3339 UTC, exactly "YYYY-MM-DDTHH:MM:SSZ" (years 1970-9999).
 * parse: BG_E_INPUT when not that form or not a real date. */
int bg_roles_time_parse(const char *s, int64_t *out, bg_error *err);
void bg_roles_time_format(int64_t t, char out[BG_ROLES_TIME_MAX]);

/* A valid role name: 1..BG_ROLES_MAX_NAME of [A-Za-z0-9._-], starting with
 * a letter or digit. */
bool bg_roles_name_valid(const char *name);

/* ---- signatures (lib/rolesign.c) -------------------------------------- */

/* Sign the manifest file with the secret key fpr (40 hex digits, the file
 * name uses its upper-case form) from the GnuPG home homedir (NULL: the
 * user's default, $GNUPGHOME or ~/.gnupg), writing a binary detached OpenPGP
 * signature to "<manifest>.<FPR>.sig" (atomically).  The manifest must parse,
 * be in canonical form (what a reviewer saw is what is signed) and be
 * unexpired at now (0: the current time).  *sig_path (may be NULL) gets the
 * path written.  Errors: BG_E_USAGE (bad fingerprint, no such secret key,
 * not canonical, expired), BG_E_INPUT (manifest invalid), BG_E_EVAL (GnuPG
 * failed). */
int bg_roles_sign(const char *manifest_path, const char *fpr, const char *homedir, int64_t now,
		  char **sig_path, bg_error *err);

typedef struct bg_roles_verify_options {
	const char *keyring;      /* required: file with the release managers' public keys */
	/* Allowed signers: when n_allowed > 0 only these primary fingerprints
	 * count; otherwise every primary key in the keyring does. */
	const char *const *allowed;
	size_t n_allowed;
	/* Signature files; when n_signatures == 0, every "<manifest>.<40 hex>.sig"
	 * next to the manifest. */
	const char *const *signatures;
	size_t n_signatures;
	unsigned threshold;       /* >= 1 distinct allowed signers */
	int64_t min_serial;       /* refuse a lower serial (0: no minimum) */
	/* State file: holds the highest serial accepted and its manifest's
	 * sha256.  A lower serial, or the same serial with other bytes, is
	 * refused; on acceptance of a higher serial the file is rewritten
	 * atomically.  A missing file counts as serial 0.  NULL: no state. */
	const char *state_path;
	int64_t now;              /* 0: the current time */
} bg_roles_verify_options;

typedef struct bg_roles_verify_result {
	bool accepted;
	char *reason;             /* why not accepted (NULL when accepted) */
	bg_role_manifest *manifest; /* parsed, once the signatures passed (even if expired / replayed) */
	char manifest_sha256[BG_DIGEST_STRING_MAX]; /* "sha256:<hex>" of the exact bytes */
	char **signers;           /* distinct allowed primary fingerprints with a good signature */
	size_t n_signers;
	char **notes;             /* one line per signature file not counted, and why */
	size_t n_notes;
	bool state_updated;       /* the state file was rewritten */
} bg_roles_verify_result;

/* Verify, in this order: signatures over the exact bytes (each file must
 * hold exactly one good signature — not bad, expired, revoked, unknown key,
 * wrong key usage — by a key whose primary fingerprint is allowed; the same
 * key counts once however many files it signed), at least threshold distinct
 * signers; then parse the manifest strictly; then expires > now; then serial
 * >= min_serial and the state.  GnuPG runs in an ephemeral home
 * ($TMPDIR/bootgate-roles-XXXXXX) holding only the keyring's keys; its
 * daemons are stopped and the directory removed before returning.
 * Returns 0 with res->accepted, or a negative bg_status when verification
 * could not run (keyring unreadable or without keys: BG_E_USAGE; GnuPG
 * failing, state file unreadable/corrupt: BG_E_EVAL).  *res is zeroed first;
 * free it in every case. */
int bg_roles_verify(const char *manifest_path, const bg_roles_verify_options *o,
		    bg_roles_verify_result *res, bg_error *err);
void bg_roles_verify_result_free(bg_roles_verify_result *res);

/* ---- diff (lib/rolediff.c) --------------------------------------------- */

typedef enum bg_roles_diff_format {
	BG_ROLES_DIFF_TEXT = 0,
	BG_ROLES_DIFF_MARKDOWN,   /* for a merge-request comment */
} bg_roles_diff_format;

/* What changed from old to new: serial and expiry, added and removed roles,
 * and per role the repository, index and manifest digest, base digests,
 * policy hash, signer, source revision and verdict.  *out is the report
 * (NUL-terminated); *changed tells whether any role changed.  Values that
 * come from the files are escaped (control bytes; Markdown code spans).
 * Errors: BG_E_NOMEM. */
int bg_roles_diff(const bg_role_manifest *old_m, const bg_role_manifest *new_m,
		  bg_roles_diff_format format, char **out, bool *changed, bg_error *err);

#endif
