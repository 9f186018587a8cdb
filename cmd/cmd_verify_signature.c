/* bootgate verify-signature — check one simple-signing blob against a
 * manifest digest, an identity and key files, like `skopeo
 * standalone-verify` but with the keys given as files, fingerprints pinned
 * on request, and only binary OpenPGP signed messages accepted. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "bootgate/digest.h"
#include "bootgate/limits.h"
#include "bootgate/signature.h"
#include "commands.h"
#include "util.h"

#define PROG "bootgate verify-signature"

static void usage(FILE *out)
{
	fputs("Usage: bootgate verify-signature [options] --digest DIGEST --identity REF\n"
	      "                                 --key FILE [--key FILE...] SIGNATURE\n"
	      "\n"
	      "Verify one container signature (Red Hat \"simple signing\": a binary OpenPGP\n"
	      "signed message holding a containers-signature(5) JSON payload, as found in\n"
	      "a lookaside store at .../<repo>@sha256=<hex>/signature-N). It is accepted\n"
	      "when it holds exactly one good signature by a trusted key, its payload is\n"
	      "valid, it names the manifest digest, and its identity matches. SIGNATURE\n"
	      "may be - for standard input. The keys are imported into a temporary GnuPG\n"
	      "home that is removed afterwards; your own keyring is never used.\n"
	      "\n"
	      "Options:\n"
	      "  -d, --digest DIGEST     sha256:<hex> of the exact manifest bytes\n"
	      "  -m, --manifest FILE     or the manifest itself (its sha256 is used)\n"
	      "  -i, --identity REF      the image reference the signature must name\n"
	      "  -k, --key FILE          public key file, armored or binary (repeatable);\n"
	      "                          every key in it is trusted unless --fingerprint\n"
	      "                          is given\n"
	      "      --fingerprint FPR   trust only these keys: 40 hex digits, spaces\n"
	      "                          allowed (repeatable)\n"
	      "      --allow-subkeys     accept a signature by a signing subkey when its\n"
	      "                          primary key is trusted (off by default, as in\n"
	      "                          skopeo 1.9.3)\n"
	      "      --match RULE        how the signed identity must match --identity:\n"
	      "                          same (default; normalised, equal tag and digest,\n"
	      "                          as skopeo standalone-verify), exact,\n"
	      "                          repo-digest-or-exact, repository (the policy.json\n"
	      "                          signedIdentity rules matchExact,\n"
	      "                          matchRepoDigestOrExact, matchRepository)\n"
	      "  -f, --format F          text|json (default text)\n"
	      "  -h, --help              show this help\n"
	      "\n"
	      "ASCII-armored and cleartext-signed blobs are refused (containers-signature(5);\n"
	      "skopeo's registry and lookaside paths refuse them too).\n"
	      "\n"
	      "Exit status: 0 accepted, 1 rejected, 2 usage error (including key files\n"
	      "with no usable key), 3 could not evaluate (GnuPG missing or failing).\n", out);
}

enum { OPT_FINGERPRINT = 256, OPT_ALLOW_SUBKEYS, OPT_MATCH };

static const struct option options[] = {
	{"digest", required_argument, NULL, 'd'},
	{"manifest", required_argument, NULL, 'm'},
	{"identity", required_argument, NULL, 'i'},
	{"key", required_argument, NULL, 'k'},
	{"fingerprint", required_argument, NULL, OPT_FINGERPRINT},
	{"allow-subkeys", no_argument, NULL, OPT_ALLOW_SUBKEYS},
	{"match", required_argument, NULL, OPT_MATCH},
	{"format", required_argument, NULL, 'f'},
	{"help", no_argument, NULL, 'h'},
	{0},
};

static void put_safe(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else if (*p == '\\')
			fputs("\\\\", out);
		else
			fputc(*p, out);
	}
}

static void line(FILE *out, const char *label, const char *value)
{
	if (!value)
		return;
	fprintf(out, "%-17s", label);
	put_safe(out, value);
	fputc('\n', out);
}

static void print_text(FILE *out, const char *sig, const char *digest, const char *identity,
		       const bg_sigresult *r)
{
	line(out, "Signature:", sig);
	fprintf(out, "%-17s%s\n", "Verdict:", r->accepted ? "accepted" : "rejected");
	line(out, "Reason:", r->reason);
	line(out, "Signer:", r->signer_fpr);
	if (r->primary_fpr && r->signer_fpr && strcmp(r->primary_fpr, r->signer_fpr) != 0)
		line(out, "Primary key:", r->primary_fpr);
	line(out, "Signer uid:", r->uid);
	line(out, "Signed identity:", r->signed_identity);
	line(out, "Expected:", identity);
	line(out, "Signed digest:", r->signed_digest);
	line(out, "Manifest digest:", digest);
	line(out, "Creator:", r->creator);
	if (r->has_timestamp) {
		char when[64] = "";
		time_t t = (time_t)r->timestamp;
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof when, " (%Y-%m-%dT%H:%M:%SZ)", &tm);
		fprintf(out, "%-17s%lld%s\n", "Timestamp:", (long long)r->timestamp, when);
	}
}

static void add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

static void print_json(FILE *out, const char *sig, const char *digest, const char *identity,
		       const bg_sigresult *r)
{
	json_object *o = json_object_new_object();
	add_str(o, "signature", sig);
	json_object_object_add(o, "accepted", json_object_new_boolean(r->accepted));
	add_str(o, "reason", r->reason);
	add_str(o, "signer_fingerprint", r->signer_fpr);
	add_str(o, "primary_fingerprint", r->primary_fpr);
	add_str(o, "signer_uid", r->uid);
	add_str(o, "signed_identity", r->signed_identity);
	add_str(o, "expected_identity", identity);
	add_str(o, "signed_digest", r->signed_digest);
	add_str(o, "manifest_digest", digest);
	add_str(o, "creator", r->creator);
	json_object_object_add(o, "timestamp",
			       r->has_timestamp ? json_object_new_int64(r->timestamp) : NULL);
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int parse_match(const char *s, bg_sigidentity_kind *kind)
{
	static const struct {
		const char *name;
		bg_sigidentity_kind kind;
	} rules[] = {
		{"same", BG_SIGID_SAME_REFERENCE},
		{"exact", BG_SIGID_MATCH_EXACT},
		{"repo-digest-or-exact", BG_SIGID_MATCH_REPO_DIGEST_OR_EXACT},
		{"repository", BG_SIGID_MATCH_REPOSITORY},
	};
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (strcmp(s, rules[i].name) == 0) {
			*kind = rules[i].kind;
			return 0;
		}
	return -1;
}

int cmd_verify_signature(int argc, char **argv)
{
	const char *digest_arg = NULL, *manifest = NULL, *identity = NULL, *format = "text";
	bg_strv keys = {0}, fprs = {0};
	bool allow_subkeys = false;
	bg_sigidentity_kind kind = BG_SIGID_SAME_REFERENCE;
	int c, exit_code = 2;
	bg_sigctx *ctx = NULL;
	bg_sigresult res = {0};
	_cleanup_free_ char *blob = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:m:i:k:f:h", options, NULL)) != -1) {
		switch (c) {
		case 'd': digest_arg = optarg; break;
		case 'm': manifest = optarg; break;
		case 'i': identity = optarg; break;
		case 'k':
			if (bg_strv_push(&keys, optarg) < 0)
				goto oom;
			break;
		case OPT_FINGERPRINT:
			if (bg_strv_push(&fprs, optarg) < 0)
				goto oom;
			break;
		case OPT_ALLOW_SUBKEYS: allow_subkeys = true; break;
		case OPT_MATCH:
			if (parse_match(optarg, &kind) < 0) {
				fprintf(stderr, PROG ": --match must be same, exact, repo-digest-or-exact or repository, not '%s'\n", optarg);
				goto out;
			}
			break;
		case 'f':
			if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0) {
				fprintf(stderr, PROG ": --format must be text or json, not '%s'\n", optarg);
				goto out;
			}
			format = optarg;
			break;
		case 'h':
			usage(stdout);
			exit_code = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind != argc - 1 || !identity || keys.n == 0 || (!digest_arg == !manifest)) {
		fprintf(stderr, PROG ": %s\n\n",
			optind != argc - 1 ? "exactly one SIGNATURE file is needed"
			: !identity	   ? "--identity is required"
			: keys.n == 0	   ? "at least one --key is required"
					   : "give exactly one of --digest and --manifest");
		usage(stderr);
		goto out;
	}
	const char *sig_path = argv[optind];
	bg_error err = {0};
	char digest[BG_DIGEST_STRING_MAX];
	if (manifest) {
		_cleanup_free_ char *m = NULL;
		size_t mlen;
		if (bg_read_file(manifest, BG_MAX_MANIFEST_BYTES, &m, &mlen, &err) < 0 ||
		    bg_digest_buffer(BG_DIGEST_SHA256, m, mlen, digest, &err) < 0) {
			fprintf(stderr, PROG ": %s\n", err.message);
			exit_code = bg_status_exit_code(err.status);
			goto out;
		}
	} else {
		snprintf(digest, sizeof digest, "%s", digest_arg);
	}

	size_t len;
	/* One byte over the limit is read so that the library reports it. */
	if (bg_read_file(sig_path, BG_MAX_SIGNATURE_BYTES + 1, &blob, &len, &err) < 0) {
		fprintf(stderr, PROG ": %s\n", err.message);
		exit_code = 2;
		goto out;
	}
	if (bg_sigctx_new(&ctx, &err) < 0)
		goto fail;
	for (size_t i = 0; i < keys.n; i++)
		if (bg_sigctx_import_file(ctx, keys.v[i], &err) < 0)
			goto fail;
	size_t n;
	const char *const *notes = bg_sigctx_import_notes(ctx, &n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, PROG ": warning: %s\n", notes[i]);
	bg_sigctx_keys(ctx, &n);
	if (n == 0) {
		fprintf(stderr, PROG ": no public key could be imported from the --key files\n");
		exit_code = 2;
		goto out;
	}
	for (size_t i = 0; i < fprs.n; i++)
		if (bg_sigctx_allow_fingerprint(ctx, fprs.v[i], &err) < 0)
			goto fail;
	bg_sigctx_allow_primary_key(ctx, allow_subkeys);

	bg_sigidentity rule = {.kind = kind, .image = identity};
	if (bg_sigctx_verify(ctx, blob, len, digest, &rule, &res, &err) < 0)
		goto fail;
	if (strcmp(format, "json") == 0)
		print_json(stdout, sig_path, digest, identity, &res);
	else
		print_text(stdout, sig_path, digest, identity, &res);
	exit_code = res.accepted ? 0 : 1;
	goto out;

fail:
	fprintf(stderr, PROG ": %s\n", err.message);
	exit_code = bg_status_exit_code(err.status);
	goto out;
oom:
	fprintf(stderr, PROG ": out of memory\n");
	exit_code = 3;
out:
	bg_sigresult_free(&res);
	bg_sigctx_free(ctx);
	bg_strv_free(&keys);
	bg_strv_free(&fprs);
	return exit_code;
}
