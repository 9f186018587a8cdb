/* bootgate — bootgate.yaml: the repository's host roles (doc/bootgate.yaml.5).
 *
 *   version: 1
 *   manifest: roles.manifest.json          # where --record writes
 *   defaults:                              # any role key except containerfile/image
 *     platform: linux/amd64
 *     failure-threshold: error
 *     policy: policies/image-mode-baseline.yaml
 *     trust:
 *       policy: policies/redhat/policy.json
 *       registries.d: policies/redhat/registries.d
 *   roles:
 *     web:
 *       containerfile: roles/web/Containerfile
 *       context: roles/web                 # default: the Containerfile's directory
 *       build-args: {BASE: "registry.redhat.io/rhel9/rhel-bootc@sha256:..."}
 *       image: oci:build/web:latest         # where CI put the built image
 *       identity: registry.example.com/fleet/web:1.0   # signed identity for local images
 *       platform: linux/amd64
 *       policy: policies/image-mode-baseline.yaml
 *       trust: {policy: ..., registries.d: ...}
 *       # or inline (mutually exclusive with policy / registries.d):
 *       # trust:
 *       #   policy-inline: {default: [{type: reject}], transports: {...}}
 *       #   lookaside: https://sigs.example.com/sigstore
 *       failure-threshold: warning
 *       mirrors:                          # also in defaults; the role's add to them
 *         registry.redhat.io/rhel9/rhel-bootc: oci:mirror/rhel-bootc:9.6
 *
 * Relative paths are relative to the directory of bootgate.yaml, and are
 * stored resolved.  Read strictly with yamldoc: unknown keys and bad values
 * are BG_E_USAGE with "FILE:LINE:COLUMN: ". */
#ifndef BOOTGATE_ROLES_CONFIG_H
#define BOOTGATE_ROLES_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/error.h"
#include "bootgate/finding.h"
#include "bootgate/registriesd.h"
#include "bootgate/trust.h"

#define BG_ROLES_CONFIG_FILENAME "bootgate.yaml"

/* A repository whose images are read from a local copy instead (offline CI,
 * air-gapped mirrors).  The image keeps its identity (the reference named in
 * FROM) for signature checks; a digest pinned in FROM must equal the copy's
 * manifest (or index) digest. */
typedef struct bg_role_mirror {
	char *repository;         /* normalised name: "registry.redhat.io/rhel9/rhel-bootc" */
	char *image;              /* any transport, local paths resolved: "oci:/x/mirror:9.6" */
} bg_role_mirror;

typedef struct bg_role_config {
	char *name;
	char *containerfile;      /* path, or NULL: no lint for this role */
	char *context;            /* build context directory */
	char **build_args;        /* "K=V", NULL-terminated */
	size_t n_build_args;
	char *image;              /* built image (any transport), or NULL: not checked */
	char *identity;           /* expected signed identity for local transports, or NULL */
	char *platform;           /* "os/arch[/variant]", or NULL: the host's */
	char *policy;             /* gate policy (audit), or NULL: no audit */
	char *trust_policy;       /* containers policy.json, or NULL: the system default */
	char *trust_registries_d; /* registries.d directory, or NULL: the system default */
	/* trust.policy-inline: the YAML mapping converted to policy.json text
	 * (already parsed once with bg_trust_policy_parse when the file was
	 * read, so it is valid), and its name in messages
	 * ("FILE:LINE:COLUMN: trust.policy-inline").  Excludes trust_policy. */
	char *trust_policy_inline;
	char *trust_policy_inline_name;
	/* trust.lookaside: the default-docker lookaside URL, or NULL; excludes
	 * trust_registries_d.  A relative "file:PATH" resolves against the
	 * directory of trust_lookaside_file (the bootgate.yaml it is in). */
	char *trust_lookaside;
	char *trust_lookaside_file;
	bg_severity threshold;
	bg_role_mirror *mirrors;  /* defaults' then the role's (a role's entry replaces a default's) */
	size_t n_mirrors;
	unsigned line;            /* where the role is defined */
} bg_role_config;

typedef struct bg_roles_config {
	char *path;               /* the file read */
	char *dir;                /* its directory (relative paths resolve here) */
	char *manifest;           /* role manifest path, or NULL */
	bg_role_config *roles;    /* in file order */
	size_t n_roles;
} bg_roles_config;

int bg_roles_config_load(const char *path, bg_roles_config **out, bg_error *err);
int bg_roles_config_parse(const char *data, size_t len, const char *path, bg_roles_config **out,
			  bg_error *err);
const bg_role_config *bg_roles_config_find(const bg_roles_config *cfg, const char *name);
/* The mirror of the repository of reference ref (a normalised name), or NULL. */
const bg_role_mirror *bg_role_config_mirror(const bg_role_config *role, const char *repository);
void bg_roles_config_free(bg_roles_config *cfg);

/* The trust settings of a role, loaded: the policy from trust_policy_inline
 * or the trust_policy file (NULL: the system default), the registries.d from
 * trust_lookaside (a configuration whose default-docker section has that
 * lookaside, named by the bootgate.yaml) or the trust_registries_d directory
 * (NULL: the system default).  Errors: bg_trust_policy_load's and
 * bg_registriesd_load's (BG_E_USAGE for an invalid file).  On error nothing
 * is returned. */
int bg_role_config_trust(const bg_role_config *role, bg_trust_policy **policy, bg_registriesd **regd,
			 bg_error *err);

#endif
