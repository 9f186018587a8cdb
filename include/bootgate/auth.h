/* bootgate — registry credentials: command line, environment and the
 * containers/docker auth files.
 *
 * Where credentials come from, first hit wins:
 *   1. --creds USER:PASS (bg_auth_options.username/password);
 *   2. $BOOTGATE_REGISTRY_USERNAME with $BOOTGATE_REGISTRY_PASSWORD (both
 *      set: for CI, where a secret is an environment variable);
 *   3. auth files, in this order, the first that has an entry for the image:
 *        --authfile FILE          (must exist: a missing file is an error)
 *        $REGISTRY_AUTH_FILE
 *        $XDG_RUNTIME_DIR/containers/auth.json
 *                                 (/run/containers/<uid>/auth.json when unset)
 *        ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json
 *        ${DOCKER_CONFIG:-~/.docker}/config.json
 *      Missing files (other than --authfile) are skipped; a file that exists
 *      but is unreadable or malformed is an error (BG_E_USAGE naming the file),
 *      never silently skipped.  Note: containers/image reads ONLY the
 *      --authfile when one is given; bootgate continues down the list when it
 *      has no entry for the registry.
 *   4. none: anonymous.
 *
 * Inside a file ({"auths": {KEY: {"auth": base64("user:pass")}}}), keys are
 * matched as containers/image does: exact keys most specific first
 * (host/ns/repo, host/ns, host), then keys normalised (a URL-style key,
 * "https://index.docker.io/v1/", loses scheme and path; docker.io,
 * index.docker.io and registry-1.docker.io are one registry) against the
 * host.  A namespace key without a scheme only ever matches exactly.  Entries without
 * credentials ({} — a credential-helper marker — or "auth": "") are skipped.
 * credHelpers/credsStore helpers and identity tokens are not used (a file
 * that only has them gives no credentials).  JSON is read strictly.
 *
 * Secrets are never put in error messages; bg_credentials_free wipes them. */
#ifndef BOOTGATE_AUTH_H
#define BOOTGATE_AUTH_H

#include <stdbool.h>

#include "bootgate/error.h"

typedef struct bg_auth_options {
	const char *authfile;   /* --authfile, or NULL */
	const char *username;   /* --creds, split at the first ':' (both or neither) */
	const char *password;
} bg_auth_options;

typedef struct bg_credentials {
	char *username;
	char *password;
	char *source;   /* where they came from: "--creds", "environment", or the file path */
	char *key;      /* the auth file key that matched, or NULL */
} bg_credentials;

/* Credentials for repository `name` ("quay.io/team/app": domain "/" path,
 * as bg_reference.name).  Returns 0 with *found false when there are none.
 * Errors: BG_E_USAGE (missing --authfile, unreadable or malformed file,
 * half-given environment pair), BG_E_NOMEM. */
int bg_auth_lookup(const char *name, const bg_auth_options *opts, bg_credentials *out, bool *found,
		   bg_error *err);

/* Look in one auth file's bytes only (the parser behind bg_auth_lookup;
 * exposed for tests and fuzzing).  path is for messages. */
int bg_auth_lookup_in_data(const char *data, size_t len, const char *path, const char *name,
			   bg_credentials *out, bool *found, bg_error *err);

/* Split "user:pass" at the first ':' (BG_E_USAGE when there is none or the
 * user is empty). */
int bg_auth_split_creds(const char *creds, char **username, char **password, bg_error *err);

/* A key or domain normalised as containers/image normalizeAuthFileKey: with
 * an http(s):// prefix, scheme and path are removed; then the docker.io
 * aliases become "index.docker.io".  Newly allocated (NULL on OOM). */
char *bg_auth_normalize_key(const char *key);

/* Wipes and frees the strings and zeroes the struct.  Accepts NULL. */
void bg_credentials_free(bg_credentials *c);

#endif
