/* bootgate — containers-registries.d(5): where an image's signatures live.
 *
 * Every *.yaml file of the directory (--registries.d DIR, default
 * /etc/containers/registries.d) is read with yamldoc (strict YAML) and merged:
 *
 *   default-docker:                 # used when no docker: entry applies
 *     lookaside: https://sigs.example.com/sigstore
 *   docker:
 *     registry.redhat.io:           # a scope, as in policy.json
 *       lookaside: https://registry.redhat.io/containers/sigstore
 *     quay.io/team:
 *       sigstore: file:///var/lib/sigs        # old name of lookaside
 *       lookaside-staging: file:///srv/sigs   # where signatures are written: ignored
 *       use-sigstore-attachments: true        # noted (bootgate reads no sigstore attachments)
 *
 * Keys allowed in a section: lookaside, lookaside-staging, sigstore,
 * sigstore-staging, use-sigstore-attachments (anything else is an error: a
 * typo would otherwise silently make every image "unsigned").  The same
 * docker: namespace or a second default-docker in two files is an error
 * naming both files, as containers/image.  A missing default directory is an
 * empty configuration; a missing --registries.d directory is an error.
 *
 * Section selection for an image (containers/image docker/registries_d.go):
 * the identity itself, then bg_trust_scope_candidates (repository, parent
 * namespaces, host[:port], *.domain wildcards) — the longest match first —
 * then default-docker; the first section that has a read URL (lookaside,
 * else sigstore) wins; a more specific section without one falls through.
 * With no URL anywhere, containers/image's built-in store is used:
 * file:///var/lib/containers/sigstore for root, else
 * file://$HOME/.local/share/containers/sigstore. */
#ifndef BOOTGATE_REGISTRIESD_H
#define BOOTGATE_REGISTRIESD_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/error.h"
#include "bootgate/reference.h"

#define BG_REGISTRIESD_DEFAULT_DIR "/etc/containers/registries.d"
#define BG_REGISTRIESD_MAX_FILE_BYTES (1UL * 1024 * 1024)
#define BG_REGISTRIESD_MAX_FILES 1024

typedef struct bg_registriesd_section {
	char *namespace;        /* the docker: key; NULL for default-docker */
	char *lookaside;        /* read URL: lookaside, else sigstore; NULL if neither */
	int use_sigstore_attachments; /* -1 not set, 0 false, 1 true */
	char *file;             /* where it was defined */
	unsigned line;
} bg_registriesd_section;

typedef struct bg_registriesd {
	bg_registriesd_section *sections; /* docker: entries and default-docker */
	size_t n;
} bg_registriesd;

/* An empty configuration (what a missing directory gives). */
int bg_registriesd_new(bg_registriesd **out, bg_error *err);
/* Merge one YAML document named name (a path, for messages).  Errors:
 * BG_E_USAGE with "NAME:LINE:COLUMN: ...", BG_E_NOMEM. */
int bg_registriesd_add(bg_registriesd *rd, const char *data, size_t len, const char *name,
		       bg_error *err);
/* Read every *.yaml of dir in name order (NULL: the default directory). */
int bg_registriesd_load(const char *dir, bg_registriesd **out, bg_error *err);
void bg_registriesd_free(bg_registriesd *rd);

typedef struct bg_registriesd_choice {
	char *url;              /* the lookaside base URL */
	char *section;          /* "docker: NAMESPACE", "default-docker" or "built-in default" */
	char *file;             /* file of that section; NULL for the built-in default */
	bool use_sigstore_attachments; /* first section setting it, as upstream */
} bg_registriesd_choice;

/* The lookaside base for identity (a docker reference).  Always succeeds
 * unless out of memory (the built-in default is the last resort). */
int bg_registriesd_lookaside(const bg_registriesd *rd, const bg_reference *identity,
			     bg_registriesd_choice *out, bg_error *err);
void bg_registriesd_choice_free(bg_registriesd_choice *c);

#endif
