/* bootgate — the docker:// source: a bg_source over the registry client.
 *
 * Credentials are looked up once per source (auth.h: --creds, environment,
 * auth files) for the image's repository, then handed to a bg_registry for
 * the image's registry.  The source serves raw bytes only; the generic layer
 * (source.c, image.c) hashes and verifies them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/auth.h"
#include "bootgate/registry.h"
#include "bootgate/source.h"
#include "util.h"

typedef struct registry_source {
	bg_registry *reg;
	char *repository;   /* "library/rhel" */
	char *reference;    /* what the image string names: its digest, else its tag */
} registry_source;

static int registry_get_manifest(bg_source *s, const char *digest, bg_manifest_bytes *out,
				 bg_error *err)
{
	registry_source *rs = s->impl;
	memset(out, 0, sizeof *out);
	bg_registry_manifest m = {0};
	int rc = bg_registry_get_manifest(rs->reg, rs->repository, digest ? digest : rs->reference, &m,
					  err);
	if (rc < 0)
		return rc;
	out->data = BG_TAKE_PTR(m.data);
	out->len = m.len;
	out->content_type = BG_TAKE_PTR(m.content_type);
	out->location = BG_TAKE_PTR(m.url);
	bg_registry_manifest_free(&m);
	return 0;
}

static int registry_open_blob(bg_source *s, const bg_descriptor *d, void **handle, bg_error *err)
{
	registry_source *rs = s->impl;
	bg_registry_blob *b = NULL;
	int rc = bg_registry_blob_open(rs->reg, rs->repository, d->digest, d->size, &b, err);
	if (rc < 0)
		return rc;
	*handle = b;
	return 0;
}

static ssize_t registry_read_blob(void *handle, void *buf, size_t len, bg_error *err)
{
	return bg_registry_blob_read(handle, buf, len, err);
}

static void registry_close_blob(void *handle)
{
	bg_registry_blob_close(handle);
}

static void registry_source_free(registry_source *rs)
{
	if (!rs)
		return;
	bg_registry_free(rs->reg);
	free(rs->repository);
	free(rs->reference);
	free(rs);
}

/* Releases the implementation only; the generic bg_source_close frees the
 * bg_source and its ref. */
static void registry_close(bg_source *s)
{
	registry_source_free(s->impl);
	s->impl = NULL;
}

static char *registry_describe_blob(bg_source *s, const bg_descriptor *d)
{
	registry_source *rs = s->impl;
	return bg_registry_describe_url(rs->reg, rs->repository, "blobs", d->digest);
}

static const bg_source_ops registry_ops = {
	.describe_blob = registry_describe_blob,
	.name = "docker",
	.get_manifest = registry_get_manifest,
	.open_blob = registry_open_blob,
	.read_blob = registry_read_blob,
	.close_blob = registry_close_blob,
	.close = registry_close,
};

int bg_source_registry_open(const bg_image_ref *ref, const bg_source_options *opts, bg_source **out,
			    bg_error *err)
{
	static const bg_source_options no_opts = {0};
	if (!opts)
		opts = &no_opts;
	*out = NULL;
	if (!ref || ref->transport != BG_TRANSPORT_DOCKER || !ref->has_reference || !ref->reference.full)
		return bg_error_set(err, BG_E_USAGE, "the registry source needs a docker:// reference");
	const bg_reference *r = &ref->reference;
	if (!r->domain || !*r->domain)
		return bg_error_set(err, BG_E_USAGE,
				    "%s: the reference names no registry host; write it fully "
				    "qualified (e.g. registry.example.com/%s)",
				    r->full, r->path);

	bg_auth_options ao = {.authfile = opts->authfile, .username = opts->username,
			      .password = opts->password};
	bg_credentials creds = {0};
	bool found = false;
	char *text = NULL;
	int rc = bg_auth_lookup(r->name, &ao, &creds, &found, err);
	if (rc < 0)
		return rc;

	registry_source *rs = calloc(1, sizeof *rs);
	bg_source *s = calloc(1, sizeof *s);
	if (!rs || !s)
		goto oom;
	rs->repository = bg_strdup(r->path);
	/* A digest wins over a tag (name:tag@digest pulls the digest). */
	rs->reference = bg_strdup(r->digest ? r->digest : (r->tag ? r->tag : "latest"));
	if (!rs->repository || !rs->reference)
		goto oom;

	bg_registry_options ro = {
		.username = found ? creds.username : NULL,
		.password = found ? creds.password : NULL,
		.cert_dir = opts->cert_dir,
		.insecure = opts->insecure,
		.max_attempts = opts->max_attempts,
		.deadline_seconds = opts->deadline_seconds,
		.connect_timeout = opts->connect_timeout,
		.low_speed_seconds = opts->low_speed_seconds,
		.progress = opts->progress,
		.progress_ctx = opts->progress_ctx,
	};
	rc = bg_registry_new(r->domain, &ro, &rs->reg, err);
	bg_credentials_free(&creds);
	if (rc < 0) {
		registry_source_free(rs);
		free(s);
		return rc;
	}
	/* s->ref is the source's own copy: re-parse the normalised reference. */
	if (asprintf(&text, "docker://%s", r->full) < 0) {
		text = NULL;
		goto oom;
	}
	rc = bg_image_ref_parse(text, &s->ref, err);
	free(text);
	if (rc < 0) {
		registry_source_free(rs);
		free(s);
		return rc;
	}
	s->ops = &registry_ops;
	s->impl = rs;
	*out = s;
	return 0;
oom:
	bg_credentials_free(&creds);
	registry_source_free(rs);
	free(s);
	return bg_error_set(err, BG_E_NOMEM, "out of memory opening %s", r->full);
}
