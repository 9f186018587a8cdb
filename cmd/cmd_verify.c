/* bootgate verify — is this image trusted?  Resolves the image, finds its
 * simple-signing signatures (registry signatures extension, else the
 * registries.d lookaside store) and applies containers-policy.json(5) to the
 * per-platform manifest digest, as skopeo/podman do when they pull. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "bootgate/image.h"
#include "bootgate/lookaside.h"
#include "bootgate/registriesd.h"
#include "bootgate/source.h"
#include "bootgate/trust.h"
#include "commands.h"
#include "options.h"
#include "util.h"

#define MAX_PINS 64

static void verify_usage(FILE *out)
{
	fputs("Usage: bootgate verify [options] IMAGE\n"
	      "\n"
	      "Decide whether IMAGE is trusted under a containers-policy.json(5) policy,\n"
	      "the way podman and skopeo decide when they pull it: the image is resolved\n"
	      "and verified, its signatures are read (the registry's signatures extension\n"
	      "when it announces one, else the lookaside store registries.d names) and\n"
	      "checked with GnuPG on the digest of the platform's manifest.  Prints the\n"
	      "decision, the scope and requirement that decided, the signer's fingerprint\n"
	      "and user ID, and the signed identity and digest.\n"
	      "\n"
	      "IMAGE is docker://REF (or REF), oci:DIR[:NAME], oci-archive:FILE[:NAME] or\n"
	      "docker-archive:FILE[:REF].  A local image has no registry identity: give\n"
	      "one with --identity (e.g. registry.redhat.io/rhel9/rhel-bootc:9.6) to judge\n"
	      "it under that identity's docker scopes and signatures.\n"
	      "\n"
	      "Options:\n"
	      "      --policy FILE          containers-policy.json (default\n"
	      "                             /etc/containers/policy.json)\n"
	      "      --registries.d DIR     signature storage configuration (default\n"
	      "                             /etc/containers/registries.d)\n"
	      "      --identity REF         the registry identity of a local image\n"
	      "      --fingerprint FPR      accept only signatures by this key (40 hex\n"
	      "                             digits; repeatable), on top of policy.json\n"
	      "      --fingerprint-file FILE\n"
	      "                             the same, one fingerprint per line ('#' comments)\n"
	      "      --platform OS/ARCH[/VARIANT]\n"
	      "                             platform to select from an index (default: this\n"
	      "                             machine's); its manifest digest is what is verified\n"
	      "  -f, --format F             text|json (default text)\n"
	      "      --authfile FILE        registry credentials (containers auth.json format)\n"
	      "      --creds USER[:PASS]    registry credentials; without ':PASS' the password\n"
	      "                             is read from $BOOTGATE_REGISTRY_PASSWORD\n"
	      "      --cert-dir DIR         CA certificates (*.crt) for the registry and the\n"
	      "                             lookaside server, client certificate (*.cert, *.key)\n"
	      "      --tls-verify=false     do not verify TLS (test registries only)\n"
	      "      --max-attempts N       attempts per registry request (default 5)\n"
	      "      --deadline SECONDS     time for one request with its retries (default 300)\n"
	      "      --connect-timeout SECONDS\n"
	      "                             time to connect (default 30)\n"
	      "      --low-speed-time SECONDS\n"
	      "                             give up below 1 KiB/s for this long (default 60)\n"
	      "  -h, --help                 show this help\n"
	      "\n"
	      "Exit status: 0 accepted, 1 rejected, 2 usage or configuration error (an\n"
	      "invalid policy or registries.d file), 3 could not evaluate (network,\n"
	      "registry, a lookaside answer that is neither a signature nor 404, GnuPG).\n", out);
}

enum {
	OPT_POLICY = 256,
	OPT_REGISTRIES_D,
	OPT_IDENTITY,
	OPT_FINGERPRINT,
	OPT_FINGERPRINT_FILE,
	OPT_PLATFORM,
};

static const struct option verify_options[] = {
	{"policy", required_argument, NULL, OPT_POLICY},
	{"registries.d", required_argument, NULL, OPT_REGISTRIES_D},
	{"identity", required_argument, NULL, OPT_IDENTITY},
	{"fingerprint", required_argument, NULL, OPT_FINGERPRINT},
	{"fingerprint-file", required_argument, NULL, OPT_FINGERPRINT_FILE},
	{"platform", required_argument, NULL, OPT_PLATFORM},
	{"format", required_argument, NULL, 'f'},
	CLI_REGISTRY_ACCESS_OPTIONS,
	CLI_REGISTRY_TUNING_OPTIONS,
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

/* A fingerprint: 40 hex digits, spaces allowed (the signature layer
 * normalises and validates again). */
static bool looks_like_fpr(const char *s)
{
	size_t hex = 0;
	for (; *s; s++) {
		if (*s == ' ')
			continue;
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
			return false;
		hex++;
	}
	return hex == 40;
}

static int add_pin(bg_strv *pins, const char *fpr, const char *where)
{
	if (!looks_like_fpr(fpr)) {
		fprintf(stderr, "bootgate verify: %s: '%s' is not a fingerprint (40 hex digits)\n", where, fpr);
		return -1;
	}
	if (pins->n >= MAX_PINS) {
		fprintf(stderr, "bootgate verify: more than %d fingerprints\n", MAX_PINS);
		return -1;
	}
	return bg_strv_push(pins, fpr) < 0 ? -1 : 0;
}

static int read_pin_file(bg_strv *pins, const char *path)
{
	char *data = NULL;
	size_t len = 0;
	bg_error err = {0};
	if (bg_read_file(path, 64 * 1024, &data, &len, &err) < 0) {
		fprintf(stderr, "bootgate verify: --fingerprint-file: %s\n", err.message);
		return -1;
	}
	int rc = 0;
	unsigned lineno = 0;
	for (char *save = NULL, *line = strtok_r(data, "\n", &save); line && rc == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = line, *e = line + strlen(line);
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			*--e = '\0';
		if (!*s)
			continue;
		char where[512];
		snprintf(where, sizeof where, "%s line %u", path, lineno);
		rc = add_pin(pins, s, where);
	}
	free(data);
	return rc;
}

/* Resolving the image and reading its signatures is network work; starting
 * GnuPG and importing the policy's keys is process work.  They run at the
 * same time: a worker thread resolves the image and (when the applicable
 * requirements include a signedBy) reads the signatures, while the
 * evaluation starts GnuPG; the evaluation's fetch callback then waits for
 * the worker.  Signatures read but not needed (an earlier requirement
 * rejected) are dropped, errors included, so decisions stay those of a lazy
 * reader as containers/image. */
typedef struct worker {
	pthread_t thread;
	bool started, joined;
	/* in */
	bg_source *src;
	const bg_platform *platform;
	const bg_reference *identity;   /* NULL: none, so no signatures can be found */
	bool is_registry;               /* docker transport: probe the extension */
	bool want_signatures;
	const bg_registriesd *regd;
	bg_lookaside_options lopts;
	/* out */
	int resolve_rc;
	bg_error resolve_err;
	bg_image *img;
	int fetch_rc;
	bg_error fetch_err;
	bg_trust_signatures sigs;
	char *source;                   /* where the signatures came from, for the report */
} worker;

static int read_signatures(worker *w, bg_trust_signatures *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	if (!w->identity) {
		w->source = bg_strdup("none (the image has no identity; give --identity)");
		return 0;
	}
	const char *digest = w->img->manifest_digest;
	if (w->is_registry) {
		bool ext = false;
		char *api = NULL;
		int rc = bg_sigext_probe(w->identity->domain, &w->lopts, &ext, &api, err);
		if (rc < 0)
			return rc;
		if (ext) {
			if (asprintf(&w->source, "registry signatures extension at %s", api) < 0)
				w->source = NULL;
			rc = bg_sigext_fetch(api, w->identity->path, digest, &w->lopts, out, err);
			free(api);
			return rc;
		}
	}
	bg_registriesd_choice c = {0};
	int rc = bg_registriesd_lookaside(w->regd, w->identity, &c, err);
	if (rc < 0)
		return rc;
	if (asprintf(&w->source, "lookaside %s (registries.d %s%s%s)", c.url, c.section, c.file ? " in " : "",
		     c.file ? c.file : "") < 0)
		w->source = NULL;
	rc = bg_lookaside_fetch(c.url, w->identity->path, digest, &w->lopts, out, err);
	bg_registriesd_choice_free(&c);
	return rc;
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	w->resolve_rc = bg_image_resolve(w->src, w->platform, &w->img, &w->resolve_err);
	if (w->resolve_rc == 0 && w->want_signatures)
		w->fetch_rc = read_signatures(w, &w->sigs, &w->fetch_err);
	return NULL;
}

static void worker_join(worker *w)
{
	if (w->started && !w->joined) {
		pthread_join(w->thread, NULL);
		w->joined = true;
	}
}

/* The evaluation's fetch callback: the worker's result, or a read now when
 * the worker did not prefetch. */
static int fetch_signatures(void *ctx, bg_trust_signatures *out, bg_error *err)
{
	worker *w = ctx;
	memset(out, 0, sizeof *out);
	worker_join(w);
	if (w->resolve_rc < 0) {
		*err = w->resolve_err;
		return w->resolve_rc;
	}
	int rc;
	if (w->want_signatures) {
		rc = w->fetch_rc;
		if (rc < 0)
			*err = w->fetch_err;
		else
			*out = w->sigs;
		memset(&w->sigs, 0, sizeof w->sigs);
	} else {
		rc = read_signatures(w, out, err);
	}
	if (rc == 0 && !(out->manifest_digest = bg_strdup(w->img->manifest_digest)))
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
	return rc;
}

static bool needs_signatures(const bg_trust_reqlist *reqs)
{
	for (size_t i = 0; reqs && i < reqs->n; i++)
		if (reqs->v[i].type == BG_TRUST_SIGNED_BY)
			return true;
	return false;
}

/* Text from a registry, a signature or a file: control bytes escaped. */
static void put_safe(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
}

static void line(FILE *out, const char *label, const char *value)
{
	fprintf(out, "%-18s", label);
	put_safe(out, value);
	fputc('\n', out);
}

static char *scope_text(const char *transport, const char *scope)
{
	char *s = NULL;
	if (!scope)
		return bg_strdup("default");
	if (asprintf(&s, "transports.%s[\"%s\"]", transport, scope) < 0)
		return NULL;
	return s;
}

struct verify_result {
	const char *image;
	const char *transport;        /* policy transport used */
	const char *identity;
	const bg_image *img;
	const char *policy;
	const char *scope;
	const char *sig_source;
	const bg_trust_decision *d;
};

static void print_text(FILE *out, const struct verify_result *r)
{
	const bg_trust_decision *d = r->d;
	line(out, "Image:", r->image);
	line(out, "Identity:", r->identity ? r->identity : "(none)");
	if (r->img->index_digest)
		line(out, "Index digest:", r->img->index_digest);
	line(out, "Verified digest:", r->img->manifest_digest);
	line(out, "Policy:", r->policy);
	line(out, "Scope:", r->scope);
	char label[32];
	snprintf(label, sizeof label, "Requirement %zu:", d->requirement + 1);
	line(out, label, d->requirement_text);
	if (r->sig_source)
		line(out, "Signatures from:", r->sig_source);
	for (size_t i = 0; i < d->n_key_notes; i++)
		line(out, "Key note:", d->key_notes[i]);
	for (size_t i = 0; i < d->n_sigs; i++) {
		const bg_trust_sigreport *s = &d->sigs[i];
		snprintf(label, sizeof label, "Signature %zu:", i + 1);
		fprintf(out, "%-18s%s", label, s->accepted ? "accepted" : "rejected: ");
		if (!s->accepted)
			put_safe(out, s->reason);
		fputc('\n', out);
		if (s->location)
			line(out, "  Location:", s->location);
		if (s->signer_fpr) {
			fprintf(out, "%-18s", "  Signer:");
			put_safe(out, s->signer_fpr);
			if (s->primary_fpr && strcmp(s->primary_fpr, s->signer_fpr) != 0) {
				fputs(" (primary ", out);
				put_safe(out, s->primary_fpr);
				fputc(')', out);
			}
			fputc('\n', out);
		}
		if (s->uid)
			line(out, "  User ID:", s->uid);
		if (s->signed_identity)
			line(out, "  Signed identity:", s->signed_identity);
		if (s->signed_digest)
			line(out, "  Signed digest:", s->signed_digest);
		if (s->has_timestamp) {
			char ts[64];
			time_t t = (time_t)s->timestamp;
			struct tm tm;
			if (gmtime_r(&t, &tm) && strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm))
				line(out, "  Signed at:", ts);
		}
	}
	fprintf(out, "%-18s%s: ", "Decision:", d->accepted ? "accepted" : "rejected");
	put_safe(out, d->reason);
	fputc('\n', out);
}

static json_object *jstr(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static int print_json(FILE *out, const struct verify_result *r)
{
	const bg_trust_decision *d = r->d;
	json_object *doc = json_object_new_object();
	if (!doc)
		return -1;
	json_object_object_add(doc, "image", jstr(r->image));
	json_object_object_add(doc, "decision", jstr(d->accepted ? "accepted" : "rejected"));
	json_object_object_add(doc, "accepted", json_object_new_boolean(d->accepted));
	json_object_object_add(doc, "reason", jstr(d->reason));
	json_object_object_add(doc, "identity", jstr(r->identity));
	json_object_object_add(doc, "index_digest", jstr(r->img->index_digest));
	json_object_object_add(doc, "verified_digest", jstr(r->img->manifest_digest));
	json_object_object_add(doc, "policy", jstr(r->policy));
	json_object_object_add(doc, "transport", jstr(r->transport));
	json_object_object_add(doc, "scope", jstr(r->scope));
	json_object_object_add(doc, "requirement_index", json_object_new_int64((int64_t)d->requirement));
	json_object_object_add(doc, "requirement", jstr(d->requirement_text));
	json_object_object_add(doc, "signature_source", jstr(r->sig_source));
	json_object *notes = json_object_new_array();
	for (size_t i = 0; notes && i < d->n_key_notes; i++)
		json_object_array_add(notes, jstr(d->key_notes[i]));
	json_object_object_add(doc, "key_notes", notes);
	json_object *sigs = json_object_new_array();
	for (size_t i = 0; sigs && i < d->n_sigs; i++) {
		const bg_trust_sigreport *s = &d->sigs[i];
		json_object *o = json_object_new_object();
		if (!o)
			break;
		json_object_object_add(o, "location", jstr(s->location));
		json_object_object_add(o, "accepted", json_object_new_boolean(s->accepted));
		json_object_object_add(o, "reason", jstr(s->reason));
		json_object_object_add(o, "signer_fingerprint", jstr(s->signer_fpr));
		json_object_object_add(o, "primary_fingerprint", jstr(s->primary_fpr));
		json_object_object_add(o, "uid", jstr(s->uid));
		json_object_object_add(o, "signed_identity", jstr(s->signed_identity));
		json_object_object_add(o, "signed_digest", jstr(s->signed_digest));
		json_object_object_add(o, "timestamp", s->has_timestamp ? json_object_new_int64(s->timestamp) : NULL);
		json_object_array_add(sigs, o);
	}
	json_object_object_add(doc, "signatures", sigs);
	const char *text = json_object_to_json_string_ext(
		doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc = text ? 0 : -1;
	if (text)
		fprintf(out, "%s\n", text);
	json_object_put(doc);
	return rc;
}

static int exit_for(const bg_error *err)
{
	return err->status == BG_E_USAGE ? 2 : 3;
}

int cmd_verify(int argc, char **argv)
{
	const char *policy_path = NULL, *regd_dir = NULL, *identity_arg = NULL, *platform_arg = NULL;
	bool json = false;
	char *user = NULL, *pass = NULL;
	bg_strv pins = {0};
	bg_source_options sopts = {0};
	bg_platform platform = {0};
	bg_trust_policy *policy = NULL;
	bg_registriesd *regd = NULL;
	bg_source *src = NULL;
	bg_image *img = NULL;
	bg_reference identity = {0};
	bool have_identity = false;
	bg_trust_decision d = {0};
	worker w = {0};
	char *scope = NULL;
	int rc = 2, opt;
	bg_error err = {0};

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:qh", verify_options, NULL)) != -1) {
		int taken = cli_registry_option("verify", opt, optarg, &sopts, &user, &pass);
		if (taken < 0)
			goto out;
		if (taken > 0)
			continue;
		switch (opt) {
		case OPT_POLICY: policy_path = optarg; break;
		case OPT_REGISTRIES_D: regd_dir = optarg; break;
		case OPT_IDENTITY: identity_arg = optarg; break;
		case OPT_PLATFORM: platform_arg = optarg; break;
		case OPT_FINGERPRINT:
			if (add_pin(&pins, optarg, "--fingerprint") < 0)
				goto out;
			break;
		case OPT_FINGERPRINT_FILE:
			if (read_pin_file(&pins, optarg) < 0)
				goto out;
			break;
		case 'f':
			if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0) {
				fprintf(stderr, "bootgate verify: --format must be text or json, got '%s'\n", optarg);
				goto out;
			}
			json = strcmp(optarg, "json") == 0;
			break;
		case 'q': break; /* nothing is drawn; accepted for symmetry with inspect */
		case 'h':
			verify_usage(stdout);
			rc = 0;
			goto out;
		default:
			fputs("Run 'bootgate verify --help' for usage.\n", stderr);
			goto out;
		}
	}
	if (optind >= argc) {
		fputs("bootgate verify: no image given\nRun 'bootgate verify --help' for usage.\n", stderr);
		goto out;
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "bootgate verify: one image at a time (got '%s' and '%s')\n", argv[optind],
			argv[optind + 1]);
		goto out;
	}
	const char *image = argv[optind];
	if (platform_arg && bg_platform_parse(platform_arg, &platform, &err) != 0) {
		fprintf(stderr, "bootgate verify: --platform: %s\n", err.message);
		goto out;
	}
	if (identity_arg) {
		if (bg_reference_parse(identity_arg, &identity, &err) != 0) {
			fprintf(stderr, "bootgate verify: --identity: %s\n", err.message);
			goto out;
		}
		have_identity = true;
	}
	if (bg_trust_policy_load(policy_path, &policy, &err) != 0 ||
	    bg_registriesd_load(regd_dir, &regd, &err) != 0) {
		fprintf(stderr, "bootgate verify: %s\n", err.message);
		rc = exit_for(&err);
		goto out;
	}

	sopts.username = user;
	sopts.password = pass;
	if (bg_source_open(image, &sopts, &src, &err) != 0) {
		fprintf(stderr, "bootgate verify: %s\n", err.message);
		rc = exit_for(&err);
		goto out;
	}
	bool is_registry = src->ref.transport == BG_TRANSPORT_DOCKER;
	if (is_registry && have_identity) {
		fputs("bootgate verify: --identity is for local images (oci:, oci-archive:, docker-archive:); "
		      "a registry image is judged under its own reference (use remapIdentity in the policy "
		      "for mirrors)\n", stderr);
		goto out;
	}
	const bg_reference *id = is_registry ? &src->ref.reference : have_identity ? &identity : NULL;
	const char *transport = id ? "docker" : bg_transport_name(src->ref.transport);
	const bg_trust_reqlist *reqs = NULL;
	if (bg_trust_policy_requirements(policy, transport, id, &reqs, NULL, &err) != 0) {
		fprintf(stderr, "bootgate verify: %s\n", err.message);
		rc = exit_for(&err);
		goto out;
	}
	w = (worker){.src = src, .platform = platform_arg ? &platform : NULL, .identity = id,
		     .is_registry = is_registry, .want_signatures = id && needs_signatures(reqs), .regd = regd,
		     .lopts = {.cert_dir = sopts.cert_dir, .insecure = sopts.insecure,
			       .connect_timeout = sopts.connect_timeout}};
	if (pthread_create(&w.thread, NULL, worker_main, &w) != 0) {
		worker_main(&w); /* no thread: do it here, one after the other */
		w.joined = true;
	}
	w.started = true;
	bg_trust_image ti = {
		.transport = transport,
		.identity = id,
		.manifest_digest = NULL, /* known once the worker has resolved the image */
		.fetch = fetch_signatures,
		.fetch_ctx = &w,
		.pins = (const char *const *)pins.v,
		.n_pins = pins.n,
	};
	int erc = bg_trust_evaluate(policy, &ti, &d, &err);
	worker_join(&w);
	img = BG_TAKE_PTR(w.img);
	if (w.resolve_rc < 0) {
		/* Whatever the policy says, an image that does not resolve and
		 * verify is not evaluated. */
		if (strstr(w.resolve_err.message, image))
			fprintf(stderr, "bootgate verify: %s\n", w.resolve_err.message);
		else
			fprintf(stderr, "bootgate verify: %s: %s\n", image, w.resolve_err.message);
		rc = exit_for(&w.resolve_err);
		goto out;
	}
	if (erc != 0) {
		fprintf(stderr, "bootgate verify: %s: could not evaluate: %s\n", image, err.message);
		rc = exit_for(&err);
		goto out;
	}
	scope = scope_text(transport, d.scope);
	struct verify_result res = {
		.image = image,
		.transport = transport,
		.identity = id ? id->full : NULL,
		.img = img,
		.policy = policy->name,
		.scope = scope ? scope : "?",
		.sig_source = w.source,
		.d = &d,
	};
	rc = d.accepted ? 0 : 1;
	if (json) {
		if (print_json(stdout, &res) != 0)
			rc = 3;
	} else {
		print_text(stdout, &res);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bootgate verify: writing standard output: %s\n", strerror(errno));
		rc = 3;
	}
out:
	free(scope);
	worker_join(&w);
	bg_trust_signatures_free(&w.sigs);
	bg_image_free(w.img);
	free(w.source);
	bg_trust_decision_free(&d);
	bg_image_free(img);
	bg_source_close(src);
	bg_registriesd_free(regd);
	bg_trust_policy_free(policy);
	if (have_identity)
		bg_reference_free(&identity);
	bg_platform_free(&platform);
	bg_strv_free(&pins);
	cli_free_secret(user);
	cli_free_secret(pass);
	return rc;
}
