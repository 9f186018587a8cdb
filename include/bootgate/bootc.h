/* bootgate — `bootc status --format json` of a host → its booted, staged
 * and rollback deployments (image reference and digest) and a pending
 * cached update.
 *
 * The document is a Kubernetes-style resource (bootc docs/src/host-v1.schema.json):
 * apiVersion "org.containers.bootc/v1" (older hosts: "v1alpha1"), kind
 * "BootcHost", status.{booted,staged,rollback} each a BootEntry or null;
 * a BootEntry's image and cachedUpdate are ImageStatus
 * {image: {image, transport, signature?}, imageDigest, architecture,
 * version?, timestamp?} or null.
 *
 * Parsing is strict JSON (bg_json_parse_strict: duplicates, trailing data,
 * invalid UTF-8 refused) and strict in the fields it reads (types; apiVersion
 * and kind; imageDigest a valid digest), while members it does not read
 * are ignored, since bootc adds fields over time (otherDeployments,
 * usrOverlay, composefs, ...). */
#ifndef BOOTGATE_BOOTC_H
#define BOOTGATE_BOOTC_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/error.h"
#include "bootgate/limits.h"
#include "bootgate/roles.h"

#define BG_BOOTC_MAX_STATUS_BYTES (4 * BG_MiB)

typedef struct bg_bootc_image {
	bool present;        /* false: null or absent */
	char *image;         /* image.image: the reference the deployment tracks */
	char *transport;     /* image.transport ("registry", "oci", ...) */
	char *digest;        /* imageDigest (the platform manifest digest) */
	char *architecture;
	char *version;       /* NULL when absent */
	char *timestamp;     /* NULL when absent */
} bg_bootc_image;

typedef struct bg_bootc_entry {
	bool present;        /* false: the slot is null */
	bg_bootc_image image;
	bg_bootc_image cached_update; /* set after `bootc upgrade --check` */
	bool incompatible;   /* rpm-ostree layering present */
	bool pinned;
} bg_bootc_entry;

typedef struct bg_bootc_status {
	char *api_version;
	char *spec_image;    /* spec.image.image: what `bootc upgrade` follows; NULL when absent */
	bg_bootc_entry booted, staged, rollback;
	bool rollback_queued;
} bg_bootc_status;

/* Parse len bytes (what names them in messages).  *out is zeroed first.
 * A status whose booted slot is null parses (booted.present == false): the
 * host is not deployed via bootc, bg_bootc_is_bootc_host says so.
 * Errors: BG_E_INPUT (not JSON, wrong apiVersion/kind, a field of the wrong
 * type, a missing required field of a present entry, a malformed digest),
 * BG_E_NOMEM. */
int bg_bootc_status_parse(const char *data, size_t len, const char *what, bg_bootc_status *out,
			  bg_error *err);
/* Release and zero.  Accepts NULL. */
void bg_bootc_status_free(bg_bootc_status *s);

/* status.booted != null with an image: the host runs a bootc image. */
bool bg_bootc_is_bootc_host(const bg_bootc_status *s);

/* ---- drift: a host's status against its role's manifest entry ---------- */

typedef struct bg_bootc_drift {
	/* In sync: the booted image is the role's (manifest or index digest),
	 * and a staged deployment, if any, is too — a staged image is what
	 * the host boots next, so an unapproved one is drift already. */
	bool in_sync;
	bool booted_matches;
	bool staged_present, staged_matches;
	bool rollback_present, rollback_matches;     /* reported, not drift */
	/* booted.cachedUpdate (from `bootc upgrade --check`): reported, and
	 * flagged when not the role's image, before it is applied. */
	bool cached_update_present, cached_update_matches;
	/* The reference the booted deployment follows, compared by repository
	 * with the role's repository when both parse as registry references
	 * (repository_checked); a mismatch is reported, not drift. */
	bool repository_checked, repository_matches;
} bg_bootc_drift;

/* Compare.  Errors: BG_E_EVAL when the host is not a bootc host (booted
 * null or without an image): drift cannot be evaluated. */
int bg_bootc_drift_eval(const bg_bootc_status *s, const bg_role_entry *role, bg_bootc_drift *out,
			bg_error *err);

#endif
