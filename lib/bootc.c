/* bootgate — `bootc status --format json` parsing (include/bootgate/bootc.h).
 * Field names and shapes: bootc crates/lib/src/spec.rs, host-v1.schema.json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/bootc.h"
#include "bootgate/digest.h"
#include "bootgate/reference.h"
#include "bootgate/strictjson.h"
#include "util.h"

static void image_free(bg_bootc_image *i)
{
	free(i->image);
	free(i->transport);
	free(i->digest);
	free(i->architecture);
	free(i->version);
	free(i->timestamp);
	memset(i, 0, sizeof *i);
}

void bg_bootc_status_free(bg_bootc_status *s)
{
	if (!s)
		return;
	free(s->api_version);
	free(s->spec_image);
	bg_bootc_entry *entries[] = {&s->booted, &s->staged, &s->rollback};
	for (size_t i = 0; i < 3; i++) {
		image_free(&entries[i]->image);
		image_free(&entries[i]->cached_update);
	}
	memset(s, 0, sizeof *s);
}

bool bg_bootc_is_bootc_host(const bg_bootc_status *s)
{
	return s && s->booted.present && s->booted.image.present && s->booted.image.digest;
}

/* The json accessors report BG_E_EVAL; a status document that does not fit
 * the schema is bad input. */
static int input_error(int rc, bg_error *err)
{
	if (rc == BG_E_EVAL) {
		err->status = BG_E_INPUT;
		return BG_E_INPUT;
	}
	return rc;
}

static int copy_string(json_object *obj, const char *key, bool required, const char *what,
		       char **out, bg_error *err)
{
	const char *s = NULL;
	int rc = bg_json_get_string(obj, key, required, what, &s, err);
	if (rc < 0)
		return input_error(rc, err);
	if (!s)
		return 0;
	*out = bg_strdup(s);
	return *out ? 0 : bg_error_set(err, BG_E_NOMEM, "out of memory");
}

/* ImageStatus {image: ImageReference, imageDigest, architecture, version?, timestamp?} */
static int parse_image(json_object *parent, const char *key, const char *what, bg_bootc_image *out,
		       bg_error *err)
{
	char ctx[96];
	snprintf(ctx, sizeof ctx, "%s.%s", what, key);
	json_object *obj = NULL;
	int rc = bg_json_member(parent, key, json_type_object, false, what, &obj, err);
	if (rc < 0)
		return input_error(rc, err);
	if (!obj)
		return 0;
	out->present = true;
	json_object *ref = NULL;
	char rctx[112];
	snprintf(rctx, sizeof rctx, "%s.image", ctx);
	if ((rc = bg_json_member(obj, "image", json_type_object, true, ctx, &ref, err)) < 0)
		return input_error(rc, err);
	if ((rc = copy_string(ref, "image", true, rctx, &out->image, err)) < 0 ||
	    (rc = copy_string(ref, "transport", true, rctx, &out->transport, err)) < 0 ||
	    (rc = copy_string(obj, "imageDigest", true, ctx, &out->digest, err)) < 0 ||
	    (rc = copy_string(obj, "architecture", false, ctx, &out->architecture, err)) < 0 ||
	    (rc = copy_string(obj, "version", false, ctx, &out->version, err)) < 0 ||
	    (rc = copy_string(obj, "timestamp", false, ctx, &out->timestamp, err)) < 0)
		return rc;
	if (!bg_digest_valid(out->digest))
		return bg_error_set(err, BG_E_INPUT,
				    "%s.imageDigest \"%.80s\" is not a digest (sha256:<64 lower-case hex>)",
				    ctx, out->digest);
	return 0;
}

/* BootEntry or null. */
static int parse_entry(json_object *status, const char *key, const char *what, bg_bootc_entry *out,
		       bg_error *err)
{
	char ctx[64];
	snprintf(ctx, sizeof ctx, "%s.%s", what, key);
	json_object *obj = NULL;
	int rc = bg_json_member(status, key, json_type_object, false, what, &obj, err);
	if (rc < 0)
		return input_error(rc, err);
	if (!obj)
		return 0;
	out->present = true;
	if ((rc = parse_image(obj, "image", ctx, &out->image, err)) < 0 ||
	    (rc = parse_image(obj, "cachedUpdate", ctx, &out->cached_update, err)) < 0)
		return rc;
	if ((rc = bg_json_get_bool(obj, "incompatible", false, ctx, &out->incompatible, err)) < 0 ||
	    (rc = bg_json_get_bool(obj, "pinned", false, ctx, &out->pinned, err)) < 0)
		return input_error(rc, err);
	return 0;
}

int bg_bootc_status_parse(const char *data, size_t len, const char *what, bg_bootc_status *out,
			  bg_error *err)
{
	memset(out, 0, sizeof *out);
	if (!what)
		what = "bootc status";
	if (len > BG_BOOTC_MAX_STATUS_BYTES)
		return bg_error_set(err, BG_E_INPUT, "%s: larger than %lu bytes", what,
				    (unsigned long)BG_BOOTC_MAX_STATUS_BYTES);
	json_object *root = NULL;
	int rc = bg_json_parse_strict(data, len, what, &root, err);
	if (rc < 0)
		return input_error(rc, err);
	if (!root || !json_object_is_type(root, json_type_object)) {
		rc = bg_error_set(err, BG_E_INPUT, "%s: not a JSON object (is this 'bootc status --format json'?)", what);
		goto out;
	}
	const char *kind = NULL;
	if ((rc = copy_string(root, "apiVersion", true, what, &out->api_version, err)) < 0 ||
	    (rc = input_error(bg_json_get_string(root, "kind", true, what, &kind, err), err)) < 0)
		goto out;
	if (strcmp(out->api_version, "org.containers.bootc/v1") != 0 &&
	    strcmp(out->api_version, "org.containers.bootc/v1alpha1") != 0) {
		rc = bg_error_set(err, BG_E_INPUT,
				  "%s: apiVersion \"%.80s\" is not org.containers.bootc/v1 (or v1alpha1)", what,
				  out->api_version);
		goto out;
	}
	if (strcmp(kind, "BootcHost") != 0) {
		rc = bg_error_set(err, BG_E_INPUT, "%s: kind \"%.80s\" is not BootcHost", what, kind);
		goto out;
	}
	json_object *spec = NULL, *spec_image = NULL, *status = NULL;
	if ((rc = input_error(bg_json_member(root, "spec", json_type_object, false, what, &spec, err), err)) < 0)
		goto out;
	if (spec && (rc = input_error(bg_json_member(spec, "image", json_type_object, false, "spec", &spec_image, err), err)) < 0)
		goto out;
	if (spec_image && (rc = copy_string(spec_image, "image", false, "spec.image", &out->spec_image, err)) < 0)
		goto out;
	if ((rc = input_error(bg_json_member(root, "status", json_type_object, true, what, &status, err), err)) < 0)
		goto out;
	if ((rc = parse_entry(status, "booted", "status", &out->booted, err)) < 0 ||
	    (rc = parse_entry(status, "staged", "status", &out->staged, err)) < 0 ||
	    (rc = parse_entry(status, "rollback", "status", &out->rollback, err)) < 0)
		goto out;
	if ((rc = input_error(bg_json_get_bool(status, "rollbackQueued", false, "status", &out->rollback_queued, err), err)) < 0)
		goto out;
	rc = 0;
out:
	json_object_put(root);
	if (rc < 0) {
		if (!strstr(err->message, what))
			bg_error_prefix(err, "%s", what);
		bg_bootc_status_free(out);
	}
	return rc;
}

int bg_bootc_drift_eval(const bg_bootc_status *s, const bg_role_entry *role, bg_bootc_drift *out,
			bg_error *err)
{
	memset(out, 0, sizeof *out);
	if (!bg_bootc_is_bootc_host(s))
		return bg_error_set(err, BG_E_EVAL,
				    "this host is not deployed with bootc (status.booted is null or has no "
				    "image): drift cannot be evaluated");
	out->booted_matches = bg_role_entry_matches(role, s->booted.image.digest);
	if (s->staged.present && s->staged.image.present) {
		out->staged_present = true;
		out->staged_matches = bg_role_entry_matches(role, s->staged.image.digest);
	}
	if (s->rollback.present && s->rollback.image.present) {
		out->rollback_present = true;
		out->rollback_matches = bg_role_entry_matches(role, s->rollback.image.digest);
	}
	if (s->booted.cached_update.present) {
		out->cached_update_present = true;
		out->cached_update_matches = bg_role_entry_matches(role, s->booted.cached_update.digest);
	}
	if (s->booted.image.transport && strcmp(s->booted.image.transport, "registry") == 0) {
		bg_reference a = {0}, b = {0};
		bg_error ignored = {0};
		if (bg_reference_parse(s->booted.image.image, &a, &ignored) == 0 &&
		    bg_reference_parse(role->repository, &b, &ignored) == 0) {
			out->repository_checked = true;
			out->repository_matches = strcmp(a.name, b.name) == 0;
		}
		bg_reference_free(&a);
		bg_reference_free(&b);
	}
	out->in_sync = out->booted_matches && (!out->staged_present || out->staged_matches);
	return 0;
}
