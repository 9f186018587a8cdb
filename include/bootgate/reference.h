/* bootgate — image references: the docker reference grammar, normalisation,
 * registry allow-lists, user-typed transports and signature identity matching.
 *
 * Grammar (github.com/distribution/reference, regexp.go), scanned by hand:
 *
 *   reference      := name [ ":" tag ] [ "@" digest ]
 *   name           := [ domain "/" ] path                       (≤ 255 bytes)
 *   domain         := host [ ":" port ]
 *   host           := domain-name | "[" [0-9A-Fa-f:]+ "]"       (IPv6, no zone)
 *   domain-name    := component ( "." component )*,
 *                     component = [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
 *   port           := [0-9]+
 *   path           := path-component ( "/" path-component )*
 *   path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag            := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest         := reference grammar [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*
 *                     ":" [0-9A-Fa-f]{32,}, then go-digest's check, which bootgate
 *                     narrows to bg_digest_valid(): sha256:<64> or sha512:<128>
 *                     lower-case hex (anything else is an error).
 *
 * `name:tag@digest` is legal; both parts are kept (a puller uses the digest).
 *
 * Normalisation (bg_reference_parse) is ParseNormalizedNamed as podman,
 * buildah and skopeo use it (containers/image docker/reference): the first
 * "/"-component is the registry iff it contains '.' or ':' or is "localhost";
 * otherwise the registry is docker.io, and a one-component docker.io path
 * gets "library/".  "index.docker.io" becomes "docker.io".  The repository
 * path must be lower-case ("repository name must be lowercase"), and a bare
 * 64-hex string is refused (it is an image ID, not a name).
 *
 * Difference from current github.com/distribution/reference (BuildKit):
 * that fork also takes an upper-case first component as a registry
 * ("Foo/bar" → host "Foo"); bootgate follows containers/image, where it is a
 * repository path and therefore an error.  Both builders fail on such a FROM.
 *
 * Fidelity note: for a first component with a '.' that is not a valid host
 * but is a valid path component ("my_reg.local/x"), upstream keeps the whole
 * string as the path with an empty domain; bootgate does the same (domain "").
 * Such a reference cannot be pulled from any registry, and an allow-list only
 * accepts it through "*". */
#ifndef BOOTGATE_REFERENCE_H
#define BOOTGATE_REFERENCE_H

#include <stdbool.h>

#include "bootgate/error.h"

/* Longest repository name (domain + "/" + path), as upstream. */
#define BG_REFERENCE_NAME_MAX 255

typedef struct bg_reference {
	/* name[:tag][@digest]; after bg_reference_parse with neither tag nor
	 * digest, name + ":latest" (what a pull uses). */
	char *full;
	char *name;        /* domain "/" path, or just path when domain is "" */
	char *domain;      /* "docker.io", "localhost:5000", "[::1]:5000"; "" if none */
	char *path;        /* "library/rhel" */
	char *tag;         /* as written; NULL when no tag was written */
	char *digest;      /* "sha256:<hex>" as written (validated); NULL if none */
	bool tag_implicit; /* neither tag nor digest written: ":latest" assumed */
} bg_reference;

/* Parse a reference as a user or a Containerfile writes it (familiar form
 * allowed) and normalise it.  On error *out is left zeroed and err
 * (BG_E_INPUT) names the offending part.  Free with bg_reference_free. */
int bg_reference_parse(const char *s, bg_reference *out, bg_error *err);

/* The grammar alone (upstream reference.Parse): no default registry, no
 * "library/", no implicit tag; domain is "" unless the first component is a
 * valid host followed by "/".  "foo/bar" gives domain "foo".  For text that
 * must already be fully qualified. */
int bg_reference_parse_raw(const char *s, bg_reference *out, bg_error *err);

/* Release the strings and zero the struct.  Accepts NULL. */
void bg_reference_free(bg_reference *ref);

/* Registry allow-list match for the linter.
 *   "*"              matches every registry (including an empty domain);
 *   "*.example.com"  matches any subdomain at any depth ("a.example.com",
 *                    "a.b.example.com") with or without a port, but NOT
 *                    "example.com" itself — list that separately;
 *   anything else    matches the domain exactly, port included
 *                    ("localhost:5000" does not match "localhost").
 * Comparison ignores ASCII case.  docker.io, index.docker.io,
 * registry-1.docker.io and hub.docker.com are one registry: either side
 * naming any of them matches the others.  NULL or empty pattern: false. */
bool bg_reference_registry_matches(const char *domain, const char *pattern);

/* Signature identity matching, exactly as containers/image
 * signature/policy_reference_match.go.  Both arguments are reference strings
 * parsed with bg_reference_parse (ParseNormalizedNamed); a string that does
 * not parse never matches.  "Name-only" means neither tag nor digest.
 *
 * image is the identity the image was asked for.  The docker transport
 * gives a name-only reference an implicit ":latest" before matching, so for a
 * docker image pass bg_reference.full (which has it); pass the original text
 * only where no such default applies.
 *
 *   matchExact:              neither side name-only, and full strings equal
 *                            (tag+digest references must match in both).
 *   matchRepoDigestOrExact:  (the default) signature not name-only; if the
 *                            image has a tag (with or without digest): full
 *                            strings equal; if it has only a digest: names
 *                            equal (the digest is checked against the manifest
 *                            elsewhere); name-only image: no match.
 *   matchRepository:         names equal; tags and digests ignored.
 *
 * The policy requirements exactReference {dockerReference} and
 * exactRepository {dockerRepository} are bg_reference_match_exact and
 * bg_reference_match_repository with the configured value as the first
 * argument.  remapIdentity is not implemented here. */
bool bg_reference_match_exact(const char *image, const char *signed_identity);
bool bg_reference_match_repo_digest_or_exact(const char *image, const char *signed_identity);
bool bg_reference_match_repository(const char *image, const char *signed_identity);

/* Transports a user types to name an image (parse only; nothing is opened).
 *
 *   docker://REF         a registry image; REF as bg_reference_parse.
 *   REF                  a bare reference means docker://REF.
 *   oci:DIR[:NAME]       an OCI layout directory; oci-archive:FILE[:NAME]
 *                        a tar of one.  As containers/image on Linux, the
 *                        string is split at the FIRST ':' — DIR/FILE cannot
 *                        contain ':' — and NAME, the
 *                        org.opencontainers.image.ref.name to select, must
 *                        match the OCI ref-name grammar (components of
 *                        [A-Za-z0-9]+ joined by one of - . _ : @ + or "--",
 *                        separated by "/").  NAME "@N" selects the N-th
 *                        manifest of index.json instead (N ≥ 0).
 *   docker-archive:FILE[:REF]  a `docker save` tar; split at the first ':';
 *                        REF is a tagged reference (":latest" implied; a
 *                        digest is refused) or "@N" (N-th image).
 *
 * A known transport prefix wins over reading the text as a reference
 * ("oci:foo" is an OCI layout, not docker.io/library/oci:foo).  Transports
 * containers/image has but bootgate does not read (dir:, containers-storage:,
 * docker-daemon:, ostree:, sif:, tarball:) are refused by name.  Text that is
 * neither a known transport nor a valid reference is an error, as are empty
 * paths, an empty NAME/REF after ':', and "docker:" without "//".
 *
 * Unlike containers/image's docker transport, docker://name:tag@digest is
 * accepted (the digest is what will be fetched), matching FROM semantics.
 * Errors are BG_E_USAGE: these strings come from the command line or
 * configuration. */
typedef enum bg_transport {
	BG_TRANSPORT_DOCKER = 0,
	BG_TRANSPORT_OCI,
	BG_TRANSPORT_OCI_ARCHIVE,
	BG_TRANSPORT_DOCKER_ARCHIVE,
} bg_transport;

typedef struct bg_image_ref {
	bg_transport transport;
	char *path;          /* oci/oci-archive/docker-archive: DIR or FILE; NULL for docker */
	char *image_name;    /* oci/oci-archive: NAME; NULL when absent or "@N" */
	int source_index;    /* "@N" for oci/oci-archive/docker-archive; -1 when not given */
	bool has_reference;  /* docker: always; docker-archive: when ":REF" was given */
	bg_reference reference;
} bg_image_ref;

int bg_image_ref_parse(const char *s, bg_image_ref *out, bg_error *err);
/* Release and zero.  Accepts NULL. */
void bg_image_ref_free(bg_image_ref *ref);
/* "docker", "oci", "oci-archive", "docker-archive". */
const char *bg_transport_name(bg_transport t);

#endif
