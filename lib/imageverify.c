/* bootgate — one image's signature decision (imageverify.h). */
#include "bootgate/imageverify.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *bg_imageverify_transport(const bg_imageverify_input *in)
{
	return in->identity ? "docker" : bg_transport_name(in->source->ref.transport);
}

int bg_imageverify_required(const bg_imageverify_input *in, bool *required, bg_error *err)
{
	const bg_trust_reqlist *reqs = NULL;
	int rc = bg_trust_policy_requirements(in->policy, bg_imageverify_transport(in), in->identity, &reqs,
					      NULL, err);
	if (rc < 0)
		return rc;
	*required = false;
	for (size_t i = 0; i < reqs->n; i++)
		if (reqs->v[i].type != BG_TRUST_INSECURE_ACCEPT_ANYTHING)
			*required = true;
	return 0;
}

int bg_imageverify_lookaside_url(const bg_registriesd_choice *c, char **out, bg_error *err)
{
	const char *url = c->url;
	*out = NULL;
	if (!bg_str_has_prefix(url, "file:") || bg_str_has_prefix(url, "file://")) {
		if (!(*out = bg_strdup(url)))
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		return 0;
	}
	const char *rel = url + strlen("file:");
	char *joined = NULL;
	if (rel[0] == '/') {
		joined = bg_strdup(rel);
	} else {
		if (!c->file)
			return bg_error_set(err, BG_E_USAGE,
					    "lookaside %s: a relative file: URL needs the registries.d file it is in",
					    url);
		const char *slash = strrchr(c->file, '/');
		_cleanup_free_ char *dir = slash ? bg_strndup(c->file, (size_t)(slash - c->file)) : bg_strdup(".");
		char real[PATH_MAX];
		if (!dir)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		if (!realpath(*dir ? dir : "/", real))
			return bg_error_set(err, BG_E_EVAL, "lookaside %s: cannot resolve the directory of %s",
					    url, c->file);
		if (asprintf(&joined, "%s/%s", real, rel) < 0)
			joined = NULL;
	}
	if (!joined)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	/* Collapse ".." when the store exists; a missing store stays as written
	 * (then there are no signatures, which the policy decides on). */
	char real[PATH_MAX];
	const char *path = realpath(joined, real) ? real : joined;
	int n = asprintf(out, "file://%s", path);
	free(joined);
	if (n < 0) {
		*out = NULL;
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	return 0;
}

typedef struct fetch_ctx {
	const bg_imageverify_input *in;
	char *source;
} fetch_ctx;

static int fetch_signatures(void *data, bg_trust_signatures *out, bg_error *err)
{
	fetch_ctx *fc = data;
	const bg_imageverify_input *in = fc->in;
	const bg_reference *id = in->identity;
	const char *digest = in->image->manifest_digest;
	memset(out, 0, sizeof *out);
	if (!id) {
		fc->source = bg_strdup("none (the image has no identity)");
		return 0;
	}
	if (in->source->ref.transport == BG_TRANSPORT_DOCKER) {
		bool ext = false;
		char *api = NULL;
		int rc = bg_sigext_probe(id->domain, &in->lookaside, &ext, &api, err);
		if (rc < 0)
			return rc;
		if (ext) {
			if (asprintf(&fc->source, "registry signatures extension at %s", api) < 0)
				fc->source = NULL;
			rc = bg_sigext_fetch(api, id->path, digest, &in->lookaside, out, err);
			free(api);
			return rc;
		}
	}
	bg_registriesd_choice c = {0};
	int rc = bg_registriesd_lookaside(in->registries_d, id, &c, err);
	if (rc < 0)
		return rc;
	char *url = NULL;
	rc = bg_imageverify_lookaside_url(&c, &url, err);
	if (rc == 0) {
		if (asprintf(&fc->source, "lookaside %s (registries.d %s%s%s)", url, c.section,
			     c.file ? " in " : "", c.file ? c.file : "") < 0)
			fc->source = NULL;
		rc = bg_lookaside_fetch(url, id->path, digest, &in->lookaside, out, err);
	}
	free(url);
	bg_registriesd_choice_free(&c);
	return rc;
}

int bg_imageverify_decide(const bg_imageverify_input *in, bg_trust_decision *out, char **sig_source,
			  bg_error *err)
{
	memset(out, 0, sizeof *out);
	if (sig_source)
		*sig_source = NULL;
	if (!in->policy || !in->registries_d || !in->source || !in->image || !in->image->manifest_digest)
		return bg_error_set(err, BG_E_USAGE, "bg_imageverify_decide: incomplete input");
	fetch_ctx fc = {.in = in};
	bg_trust_image ti = {
		.transport = bg_imageverify_transport(in),
		.identity = in->identity,
		.manifest_digest = in->image->manifest_digest,
		.fetch = fetch_signatures,
		.fetch_ctx = &fc,
	};
	int rc = bg_trust_evaluate(in->policy, &ti, out, err);
	if (sig_source)
		*sig_source = fc.source;
	else
		free(fc.source);
	return rc;
}
