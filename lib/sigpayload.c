/* bootgate — the containers-signature(5) JSON payload, parsed strictly.
 *
 * Mirrors containers/image signature/simple.go (strictUnmarshalJSON) and
 * signature/internal/json.go: exact key sets in every critical object,
 * duplicate keys and trailing data refused (bg_json_parse_strict does
 * both), `optional` an object whose unknown members are ignored.  Where Go
 * lets a JSON null through as "" (docker-reference, the digest), bootgate
 * refuses it outright.  See signature.h for the rules. */
#include <string.h>

#include <json-c/json.h>

#include "bootgate/digest.h"
#include "bootgate/signature.h"
#include "bootgate/strictjson.h"
#include "util.h"

#define WHAT "signature payload"

static const char *type_of(json_object *o)
{
	return bg_json_type_name(json_object_get_type(o));
}

/* obj must be a JSON object whose keys are exactly the n names given. */
static int exact_object(json_object *obj, const char *where, const char *const *keys, size_t n,
			bg_error *err)
{
	if (!json_object_is_type(obj, json_type_object))
		return bg_error_set(err, BG_E_INPUT, WHAT ": %s must be a JSON object, not %s", where,
				    obj ? type_of(obj) : "null");
	json_object_object_foreach(obj, key, val) {
		(void)val;
		bool known = false;
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(key, keys[i]) == 0;
		if (!known)
			return bg_error_set(err, BG_E_INPUT, WHAT ": %s: unknown key \"%s\"", where, key);
	}
	for (size_t i = 0; i < n; i++)
		if (!json_object_object_get_ex(obj, keys[i], NULL))
			return bg_error_set(err, BG_E_INPUT, WHAT ": %s: key \"%s\" is missing", where,
					    keys[i]);
	return 0;
}

static json_object *member(json_object *obj, const char *key)
{
	json_object *v = NULL;
	json_object_object_get_ex(obj, key, &v);
	return v;
}

/* A string member (present: exact_object checked) that must be a string. */
static int string_member(json_object *obj, const char *key, const char *where, char **out,
			 bg_error *err)
{
	json_object *v = member(obj, key);
	if (!json_object_is_type(v, json_type_string))
		return bg_error_set(err, BG_E_INPUT, WHAT ": %s.%s must be a string, not %s", where, key,
				    v ? type_of(v) : "null");
	*out = bg_strndup(json_object_get_string(v), (size_t)json_object_get_string_len(v));
	return *out ? 0 : bg_error_set(err, BG_E_NOMEM, "out of memory");
}

/* optional.timestamp: any JSON number with an integral value (Go decodes it
 * into a float64 and refuses a fraction, so 1e9 passes and 0.5 does not). */
static int timestamp_member(json_object *v, int64_t *out, bg_error *err)
{
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		/* In [-2^63, 2^63) (both bounds exact doubles; NaN fails both
		 * comparisons) the conversion is defined, and converting back
		 * tells whether there was a fraction.  No libm needed. */
		if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 &&
		    (double)(int64_t)d == d) {
			*out = (int64_t)d;
			return 0;
		}
		return bg_error_set(err, BG_E_INPUT,
				    WHAT ": optional.timestamp must be an integer number of seconds, not %s",
				    json_object_get_string(v));
	}
	return bg_error_set(err, BG_E_INPUT, WHAT ": optional.timestamp must be a number, not %s",
			    v ? type_of(v) : "null");
}

static int parse_tree(json_object *top, bg_sigpayload *out, bg_error *err)
{
	static const char *const top_keys[] = {"critical", "optional"};
	static const char *const critical_keys[] = {"type", "image", "identity"};
	static const char *const image_keys[] = {"docker-manifest-digest"};
	static const char *const identity_keys[] = {"docker-reference"};
	int rc;

	if ((rc = exact_object(top, "the document", top_keys, 2, err)) < 0)
		return rc;
	json_object *critical = member(top, "critical");
	if ((rc = exact_object(critical, "critical", critical_keys, 3, err)) < 0)
		return rc;

	json_object *type = member(critical, "type");
	if (!json_object_is_type(type, json_type_string) ||
	    strcmp(json_object_get_string(type), "atomic container signature") != 0 ||
	    (size_t)json_object_get_string_len(type) != strlen("atomic container signature"))
		return bg_error_set(err, BG_E_INPUT,
				    WHAT ": critical.type must be \"atomic container signature\", not %s",
				    json_object_to_json_string_ext(type, JSON_C_TO_STRING_PLAIN));

	json_object *image = member(critical, "image");
	if ((rc = exact_object(image, "critical.image", image_keys, 1, err)) < 0 ||
	    (rc = string_member(image, "docker-manifest-digest", "critical.image",
				&out->docker_manifest_digest, err)) < 0)
		return rc;
	bg_error derr = {0};
	if (bg_digest_parse(out->docker_manifest_digest, NULL, NULL, &derr) < 0)
		return bg_error_set(err, BG_E_INPUT, WHAT ": critical.image.docker-manifest-digest: %s",
				    derr.message);

	json_object *identity = member(critical, "identity");
	if ((rc = exact_object(identity, "critical.identity", identity_keys, 1, err)) < 0 ||
	    (rc = string_member(identity, "docker-reference", "critical.identity",
				&out->docker_reference, err)) < 0)
		return rc;
	if (!out->docker_reference[0])
		return bg_error_set(err, BG_E_INPUT,
				    WHAT ": critical.identity.docker-reference is empty");

	json_object *optional = member(top, "optional");
	if (!json_object_is_type(optional, json_type_object))
		return bg_error_set(err, BG_E_INPUT, WHAT ": optional must be a JSON object, not %s",
				    optional ? type_of(optional) : "null");
	/* Unknown optional members are allowed (containers-signature(5)). */
	if (json_object_object_get_ex(optional, "creator", NULL) &&
	    (rc = string_member(optional, "creator", "optional", &out->creator, err)) < 0)
		return rc;
	json_object *ts = NULL;
	if (json_object_object_get_ex(optional, "timestamp", &ts)) {
		if ((rc = timestamp_member(ts, &out->timestamp, err)) < 0)
			return rc;
		out->has_timestamp = true;
	}
	return 0;
}

int bg_sigpayload_parse(const char *data, size_t len, bg_sigpayload *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	json_object *top = NULL;
	int rc = bg_json_parse_strict(data, len, WHAT, &top, err);
	if (rc < 0) {
		if (rc == BG_E_EVAL) { /* the signer's data, not our I/O */
			rc = BG_E_INPUT;
			if (err)
				err->status = rc;
		}
		return rc;
	}
	rc = parse_tree(top, out, err);
	json_object_put(top);
	if (rc < 0)
		bg_sigpayload_free(out);
	return rc;
}

void bg_sigpayload_free(bg_sigpayload *p)
{
	if (!p)
		return;
	free(p->docker_manifest_digest);
	free(p->docker_reference);
	free(p->creator);
	memset(p, 0, sizeof *p);
}
