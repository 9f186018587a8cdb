/* bootgate inspect — show what an image reference resolves to: the verified
 * manifest chain (index digest, platform manifest digest), the config and
 * the layers, from a registry or a local OCI layout / archive. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bootgate/image.h"
#include "bootgate/manifest.h"
#include "bootgate/progress.h"
#include "bootgate/source.h"
#include "commands.h"
#include "options.h"
#include "util.h"

static void inspect_usage(FILE *out)
{
	fputs("Usage: bootgate inspect [options] IMAGE\n"
	      "\n"
	      "Resolve IMAGE to its verified manifest and print the reference, transport,\n"
	      "index digest (when the reference names an index), platform manifest digest,\n"
	      "media type, platform, config digest, creation time, labels (with whether\n"
	      "the image is a bootc image) and the layers. Every manifest and blob read is\n"
	      "hashed and compared with the digest that names it.\n"
	      "\n"
	      "IMAGE is one of:\n"
	      "  docker://REF | REF           a registry image (name[:tag][@digest])\n"
	      "  oci:DIR[:NAME]               an OCI layout directory\n"
	      "  oci-archive:FILE[:NAME]      a tar of an OCI layout\n"
	      "  docker-archive:FILE[:REF]    a 'docker save' / 'podman save' tar\n"
	      "\n"
	      "Options:\n"
	      "  -f, --format F             text|json (default text)\n"
	      "      --raw                  print the verified bytes of the manifest IMAGE\n"
	      "                             names, exactly as received (an index stays an\n"
	      "                             index, as 'skopeo inspect --raw')\n"
	      "      --platform OS/ARCH[/VARIANT]\n"
	      "                             platform to select from an index (default: this\n"
	      "                             machine's)\n"
	      "      --fetch-blobs          also read every layer blob and verify its digest\n"
	      "                             and size (the bytes are discarded)\n"
	      "      --authfile FILE        registry credentials (containers auth.json format),\n"
	      "                             searched first; then $REGISTRY_AUTH_FILE,\n"
	      "                             $XDG_RUNTIME_DIR/containers/auth.json,\n"
	      "                             ~/.config/containers/auth.json, ~/.docker/config.json\n"
	      "                             (the first file with an entry for the registry wins)\n"
	      "      --creds USER[:PASS]    registry credentials; without ':PASS' the password\n"
	      "                             is read from $BOOTGATE_REGISTRY_PASSWORD (without\n"
	      "                             --creds, $BOOTGATE_REGISTRY_USERNAME and\n"
	      "                             $BOOTGATE_REGISTRY_PASSWORD together are used\n"
	      "                             before any auth file)\n"
	      "      --cert-dir DIR         CA certificates (*.crt) and client certificate\n"
	      "                             (*.cert, *.key) for the registry\n"
	      "      --tls-verify=false     do not verify TLS and allow plain http (only for\n"
	      "                             a test registry you control)\n"
	      "      --max-attempts N       attempts per request, retries included (default 5)\n"
	      "      --deadline SECONDS     time for one request with its retries; for a blob,\n"
	      "                             until its body starts to arrive (default 300)\n"
	      "      --connect-timeout SECONDS\n"
	      "                             time to connect (default 30)\n"
	      "      --low-speed-time SECONDS\n"
	      "                             give up on a transfer slower than 1 KiB/s for this\n"
	      "                             long (default 60)\n"
	      "  -q, --quiet                no progress line (otherwise one is drawn on\n"
	      "                             standard error when it is a terminal)\n"
	      "  -h, --help                 show this help\n"
	      "\n"
	      "Exit status: 0 the image was resolved and verified, 2 usage error,\n"
	      "3 could not evaluate (network, registry, authentication, I/O, a digest or\n"
	      "size that does not match, a manifest that is not valid).\n", out);
}

enum {
	OPT_RAW = 256,
	OPT_PLATFORM,
	OPT_FETCH_BLOBS,
};

static const struct option inspect_options[] = {
	{"format", required_argument, NULL, 'f'},
	{"raw", no_argument, NULL, OPT_RAW},
	{"platform", required_argument, NULL, OPT_PLATFORM},
	{"fetch-blobs", no_argument, NULL, OPT_FETCH_BLOBS},
	CLI_REGISTRY_ACCESS_OPTIONS,
	CLI_REGISTRY_TUNING_OPTIONS,
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

/* Text from an image (labels, created) may hold anything: escape control
 * bytes so a label cannot move the cursor or rewrite the terminal. */
static void put_safe(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else if (*p == '\\')
			fputs("\\\\", out);
		else
			fputc(*p, out);
	}
}

static bool is_bootc(const bg_image_config *c)
{
	const char *bootc = bg_image_config_label(c, "containers.bootc");
	const char *bootable = bg_image_config_label(c, "ostree.bootable");
	return (bootc && strcmp(bootc, "1") == 0) ||
	       (bootable && (strcmp(bootable, "true") == 0 || strcmp(bootable, "1") == 0));
}

/* The reference as bootgate understood it: the normalised name for a
 * registry, PATH[:NAME|@N] for local transports. */
static char *reference_text(const bg_image_ref *r)
{
	bg_strbuf b = {0};
	if (r->transport == BG_TRANSPORT_DOCKER) {
		bg_strbuf_puts(&b, r->reference.full);
	} else {
		bg_strbuf_puts(&b, r->path);
		if (r->image_name)
			bg_strbuf_printf(&b, ":%s", r->image_name);
		else if (r->has_reference)
			bg_strbuf_printf(&b, ":%s", r->reference.full);
		else if (r->source_index >= 0)
			bg_strbuf_printf(&b, ":@%d", r->source_index);
	}
	return bg_strbuf_take(&b);
}

struct inspect_result {
	const char *reference;
	const char *transport;
	const bg_image *img;
	bool fetched;           /* --fetch-blobs ran */
	uint64_t fetched_bytes;
};

static void print_text(FILE *out, const struct inspect_result *r)
{
	const bg_image *img = r->img;
	const bg_image_config *c = img->config;
	fputs("Reference:        ", out);
	put_safe(out, r->reference);
	fprintf(out, "\nTransport:        %s\n", r->transport);
	if (img->index_digest) {
		fprintf(out, "Index digest:     %s\n", img->index_digest);
		fputs("Index media type: ", out);
		put_safe(out, img->index_media_type ? img->index_media_type : "");
		fputc('\n', out);
	}
	fprintf(out, "Manifest digest:  %s\n", img->manifest_digest);
	fputs("Media type:       ", out);
	put_safe(out, img->manifest_media_type ? img->manifest_media_type : "");
	fputc('\n', out);
	_cleanup_free_ char *platform = bg_platform_format(&c->platform);
	fputs("Platform:         ", out);
	put_safe(out, platform ? platform : "");
	fprintf(out, "\nConfig digest:    %s\n", img->config_digest);
	fputs("Created:          ", out);
	put_safe(out, c->created ? c->created : "(not set)");
	fprintf(out, "\nBootc image:      %s\n", is_bootc(c) ? "yes" : "no");
	fputs(c->n_labels ? "Labels:\n" : "Labels:           (none)\n", out);
	for (size_t i = 0; i < c->n_labels; i++) {
		fputs("  ", out);
		put_safe(out, c->label_keys[i]);
		fputc('=', out);
		put_safe(out, c->label_values[i]);
		fputc('\n', out);
	}
	const bg_manifest *m = img->manifest;
	fprintf(out, "Layers:           %zu\n", m->n_layers);
	for (size_t i = 0; i < m->n_layers; i++) {
		fprintf(out, "  %s %12lld ", m->layers[i].digest, (long long)m->layers[i].size);
		put_safe(out, m->layers[i].media_type ? m->layers[i].media_type : "");
		fputc('\n', out);
	}
	if (r->fetched)
		fprintf(out, "Blobs verified:   %zu layers, %llu bytes\n", m->n_layers,
			(unsigned long long)r->fetched_bytes);
}

static json_object *json_str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static int print_json(FILE *out, const struct inspect_result *r)
{
	const bg_image *img = r->img;
	const bg_image_config *c = img->config;
	const bg_manifest *m = img->manifest;
	json_object *doc = json_object_new_object();
	if (!doc)
		return -1;
	_cleanup_free_ char *platform = bg_platform_format(&c->platform);
	json_object_object_add(doc, "reference", json_object_new_string(r->reference));
	json_object_object_add(doc, "transport", json_object_new_string(r->transport));
	json_object_object_add(doc, "index_digest", json_str_or_null(img->index_digest));
	json_object_object_add(doc, "index_media_type", json_str_or_null(img->index_media_type));
	json_object_object_add(doc, "manifest_digest", json_str_or_null(img->manifest_digest));
	json_object_object_add(doc, "media_type", json_str_or_null(img->manifest_media_type));
	json_object_object_add(doc, "platform", json_str_or_null(platform));
	json_object_object_add(doc, "config_digest", json_str_or_null(img->config_digest));
	json_object_object_add(doc, "created", json_str_or_null(c->created));
	json_object_object_add(doc, "bootc", json_object_new_boolean(is_bootc(c)));
	json_object *labels = json_object_new_object();
	for (size_t i = 0; labels && i < c->n_labels; i++)
		json_object_object_add(labels, c->label_keys[i], json_object_new_string(c->label_values[i]));
	json_object_object_add(doc, "labels", labels);
	json_object *layers = json_object_new_array();
	for (size_t i = 0; layers && i < m->n_layers; i++) {
		json_object *l = json_object_new_object();
		if (!l)
			break;
		json_object_object_add(l, "media_type", json_str_or_null(m->layers[i].media_type));
		json_object_object_add(l, "size", json_object_new_int64(m->layers[i].size));
		json_object_object_add(l, "digest", json_object_new_string(m->layers[i].digest));
		json_object_array_add(layers, l);
	}
	json_object_object_add(doc, "layers", layers);
	if (r->fetched)
		json_object_object_add(doc, "blobs_verified", json_object_new_boolean(true));
	const char *text = json_object_to_json_string_ext(
		doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc = text ? 0 : -1;
	if (text)
		fprintf(out, "%s\n", text);
	json_object_put(doc);
	return rc;
}

/* --fetch-blobs: stream every layer through the verifying reader. */
static int fetch_layers(bg_source *src, const bg_manifest *m, uint64_t *total, bg_error *err)
{
	const size_t bufsize = 256 * 1024;
	_cleanup_free_ char *buf = malloc(bufsize);
	if (!buf)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	for (size_t i = 0; i < m->n_layers; i++) {
		bg_blob *b = NULL;
		int rc = bg_source_open_blob(src, &m->layers[i], &b, err);
		if (rc < 0)
			return rc;
		ssize_t n;
		while ((n = bg_blob_read(b, buf, bufsize, err)) > 0)
			*total += (uint64_t)n;
		bg_blob_close(b);
		if (n < 0)
			return (int)n;
	}
	return 0;
}

/* The library's messages usually name the source already; say which image
 * only when they do not. */
static void report_error(const char *image, const bg_error *err)
{
	if (strstr(err->message, image))
		fprintf(stderr, "bootgate inspect: %s\n", err->message);
	else
		fprintf(stderr, "bootgate inspect: %s: %s\n", image, err->message);
}

int cmd_inspect(int argc, char **argv)
{
	const char *format = NULL, *platform_arg = NULL;
	bool raw = false, fetch_blobs = false, quiet = false;
	char *user = NULL, *pass = NULL;
	bg_source_options sopts = {0};
	bg_platform platform = {0};
	bg_source *src = NULL;
	bg_image *img = NULL;
	bg_progress *progress = NULL;
	int rc = 2, opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:qh", inspect_options, NULL)) != -1) {
		int taken = cli_registry_option("inspect", opt, optarg, &sopts, &user, &pass);
		if (taken < 0)
			goto out;
		if (taken > 0)
			continue;
		switch (opt) {
		case 'f':
			if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0) {
				fprintf(stderr, "bootgate inspect: --format must be text or json, got '%s'\n", optarg);
				goto out;
			}
			format = optarg;
			break;
		case OPT_RAW:
			raw = true;
			break;
		case OPT_PLATFORM:
			platform_arg = optarg;
			break;
		case OPT_FETCH_BLOBS:
			fetch_blobs = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			inspect_usage(stdout);
			rc = 0;
			goto out;
		default:
			fputs("Run 'bootgate inspect --help' for usage.\n", stderr);
			goto out;
		}
	}
	if (optind >= argc) {
		fputs("bootgate inspect: no image given\n"
		      "Run 'bootgate inspect --help' for usage.\n", stderr);
		goto out;
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "bootgate inspect: one image at a time (got '%s' and '%s')\n", argv[optind],
			argv[optind + 1]);
		goto out;
	}
	if (raw && (format || fetch_blobs)) {
		fputs("bootgate inspect: --raw prints the manifest only; it cannot be combined with "
		      "--format or --fetch-blobs\n", stderr);
		goto out;
	}

	bg_error err = {0};
	if (platform_arg && bg_platform_parse(platform_arg, &platform, &err) != 0) {
		fprintf(stderr, "bootgate inspect: --platform: %s\n", err.message);
		goto out;
	}
	sopts.username = user;
	sopts.password = pass;
	progress = bg_progress_new(stderr, quiet);
	if (bg_progress_enabled(progress)) {
		sopts.progress = bg_progress_update;
		sopts.progress_ctx = progress;
	}

	const char *image = argv[optind];
	if (bg_source_open(image, &sopts, &src, &err) != 0 ||
	    bg_image_resolve(src, platform_arg ? &platform : NULL, &img, &err) != 0) {
		bg_progress_clear(progress);
		report_error(image, &err);
		rc = err.status == BG_E_USAGE ? 2 : 3;
		goto out;
	}

	struct inspect_result res = {
		.transport = bg_transport_name(src->ref.transport),
		.img = img,
	};
	if (fetch_blobs) {
		if (fetch_layers(src, img->manifest, &res.fetched_bytes, &err) != 0) {
			bg_progress_clear(progress);
			report_error(image, &err);
			rc = err.status == BG_E_USAGE ? 2 : 3;
			goto out;
		}
		res.fetched = true;
	}
	bg_progress_clear(progress);

	rc = 0;
	if (raw) {
		/* What the reference names, as received: the index when there is one. */
		const char *data = img->index_data ? img->index_data : img->manifest_data;
		size_t len = img->index_data ? img->index_len : img->manifest_len;
		if (fwrite(data, 1, len, stdout) != len)
			rc = 3;
	} else {
		_cleanup_free_ char *reference = reference_text(&src->ref);
		res.reference = reference ? reference : image;
		if (format && strcmp(format, "json") == 0) {
			if (print_json(stdout, &res) != 0)
				rc = 3;
		} else {
			print_text(stdout, &res);
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bootgate inspect: writing standard output: %s\n", strerror(errno));
		rc = 3;
	}
out:
	bg_image_free(img);
	bg_source_close(src);
	bg_platform_free(&platform);
	bg_progress_free(progress);
	cli_free_secret(user);
	cli_free_secret(pass);
	return rc;
}
