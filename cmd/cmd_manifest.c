/* bootgate manifest — the signed role manifest: sign, verify, diff, merge,
 * show (doc/manifest.md). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "bootgate/roles.h"
#include "bootgate/roles_config.h"
#include "commands.h"
#include "util.h"

#define DEFAULT_EXPIRY_DAYS 30

static void manifest_usage(FILE *out)
{
	fputs("Usage: bootgate manifest <subcommand> [options] ...\n"
	      "\n"
	      "The role manifest (roles.manifest.json) says which image digest each host\n"
	      "role may run, with the evidence it was recorded on; release managers sign\n"
	      "it, hosts verify it before trusting it (doc/manifest.md).\n"
	      "\n"
	      "Subcommands:\n"
	      "  sign --key FPR [--homedir DIR] MANIFEST\n"
	      "        sign with a secret key from your GnuPG keyring (or DIR), writing a\n"
	      "        detached signature MANIFEST.<FPR>.sig (one file per signer)\n"
	      "  verify --keyring FILE --threshold N [--min-serial N] [--state FILE]\n"
	      "         [--allow FPR]... [--signature FILE]... [--format text|json] MANIFEST\n"
	      "        accept only N valid signatures from distinct allowed keys over the\n"
	      "        exact bytes, an unexpired manifest and a serial not lower than the\n"
	      "        last one accepted\n"
	      "  diff [--format text|markdown] OLD NEW\n"
	      "        per role what changed: digest, base, policy, signer; added/removed\n"
	      "  merge [--manifest FILE] [--config FILE | --role R... | --roles-file FILE]\n"
	      "        [--expires-in DAYS | --expires TIME] FRAGMENT...\n"
	      "        fold the fragments of 'bootgate check --record-to' into the manifest\n"
	      "        (creating it at serial 1, else serial + 1); refuses a role twice and\n"
	      "        roles that are not configured\n"
	      "  show [--role R] MANIFEST\n"
	      "        print the manifest's roles (content only: use verify to trust it)\n"
	      "\n"
	      "Run 'bootgate manifest <subcommand> --help' for details.\n"
	      "\n"
	      "Exit status: 0 success (verify: accepted), 1 rejected (verify: not enough\n"
	      "valid signatures, expired, replayed; merge: refused fragments), 2 usage or\n"
	      "configuration error, 3 could not evaluate (GnuPG failing, unreadable state).\n",
	      out);
}

static int fail(const char *sub, const bg_error *err)
{
	fprintf(stderr, "bootgate manifest %s: %s\n", sub, err->message);
	return bg_status_exit_code(err->status ? err->status : BG_E_EVAL);
}

static int usage_error(const char *sub, const char *msg)
{
	fprintf(stderr, "bootgate manifest %s: %s\n(see 'bootgate manifest %s --help')\n", sub, msg, sub);
	return 2;
}

/* A non-negative decimal integer (no sign, no junk). */
static bool parse_int64(const char *s, int64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* ---- sign ------------------------------------------------------------------ */

static int manifest_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{"homedir", required_argument, NULL, 'H'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *key = NULL, *homedir = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "k:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			key = optarg;
			break;
		case 'H':
			homedir = optarg;
			break;
		case 'h':
			fputs("Usage: bootgate manifest sign --key FPR [--homedir DIR] MANIFEST\n"
			      "\n"
			      "Sign MANIFEST with the secret key FPR (its full 40-hex fingerprint) from\n"
			      "the GnuPG home DIR (default: $GNUPGHOME or ~/.gnupg; gpg-agent asks for the\n"
			      "passphrase as usual).  Writes a binary detached signature to\n"
			      "MANIFEST.<FPR>.sig.  Refuses a manifest that is not in bootgate's\n"
			      "canonical form (what you reviewed is what you sign) or has expired.\n",
			      stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (!key)
		return usage_error("sign", "--key FPR is required");
	if (argc - optind != 1)
		return usage_error("sign", "give exactly one MANIFEST");
	bg_error err = {0};
	char *sig = NULL;
	if (bg_roles_sign(argv[optind], key, homedir, 0, &sig, &err) < 0)
		return fail("sign", &err);
	printf("%s\n", sig);
	free(sig);
	return 0;
}

/* ---- verify ------------------------------------------------------------------ */

static int manifest_verify(int argc, char **argv)
{
	enum { OPT_KEYRING = 256, OPT_THRESHOLD, OPT_MIN_SERIAL, OPT_STATE, OPT_ALLOW, OPT_SIGNATURE };
	static const struct option opts[] = {
		{"keyring", required_argument, NULL, OPT_KEYRING},
		{"threshold", required_argument, NULL, OPT_THRESHOLD},
		{"min-serial", required_argument, NULL, OPT_MIN_SERIAL},
		{"state", required_argument, NULL, OPT_STATE},
		{"allow", required_argument, NULL, OPT_ALLOW},
		{"signature", required_argument, NULL, OPT_SIGNATURE},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bg_roles_verify_options o = {0};
	bg_strv allow = {0}, sigs = {0};
	bool json = false, have_threshold = false;
	int opt, rc = 2;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		int64_t v;
		switch (opt) {
		case OPT_KEYRING:
			o.keyring = optarg;
			break;
		case OPT_THRESHOLD:
			if (!parse_int64(optarg, &v) || v < 1 || v > BG_ROLES_MAX_SIGNATURES) {
				rc = usage_error("verify", "--threshold needs a number from 1 to 64");
				goto out;
			}
			o.threshold = (unsigned)v;
			have_threshold = true;
			break;
		case OPT_MIN_SERIAL:
			if (!parse_int64(optarg, &v)) {
				rc = usage_error("verify", "--min-serial needs a non-negative integer");
				goto out;
			}
			o.min_serial = v;
			break;
		case OPT_STATE:
			o.state_path = optarg;
			break;
		case OPT_ALLOW:
			if (bg_strv_push(&allow, optarg) < 0)
				goto out;
			break;
		case OPT_SIGNATURE:
			if (bg_strv_push(&sigs, optarg) < 0)
				goto out;
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json = true;
			else if (strcmp(optarg, "text") != 0) {
				rc = usage_error("verify", "--format must be text or json");
				goto out;
			}
			break;
		case 'h':
			fputs("Usage: bootgate manifest verify --keyring FILE --threshold N [options] MANIFEST\n"
			      "\n"
			      "Accept MANIFEST only when:\n"
			      "  - at least N signature files hold a good detached signature over its\n"
			      "    exact bytes by N distinct keys from FILE (a key counts once however\n"
			      "    many files it signed; bad, expired or revoked signatures and keys\n"
			      "    outside FILE do not count);\n"
			      "  - it has not expired;\n"
			      "  - its serial is not lower than --min-serial and not lower than the\n"
			      "    serial recorded in --state (same serial: same bytes only).\n"
			      "\n"
			      "Options:\n"
			      "      --keyring FILE     the release managers' public keys (gpg --export)\n"
			      "      --threshold N      distinct valid signers required (1-64)\n"
			      "      --allow FPR        count only these keys of the keyring (repeatable)\n"
			      "      --signature FILE   signature files (repeatable; default: every\n"
			      "                         MANIFEST.<40 hex>.sig next to MANIFEST)\n"
			      "      --min-serial N     refuse a lower serial\n"
			      "      --state FILE       replay protection: the highest serial accepted\n"
			      "                         (created, then updated atomically on acceptance)\n"
			      "  -f, --format F         text|json (default text)\n"
			      "\n"
			      "Exit status: 0 accepted, 1 rejected, 2 usage error, 3 could not evaluate.\n",
			      stdout);
			rc = 0;
			goto out;
		default:
			goto out;
		}
	}
	if (!o.keyring || !have_threshold) {
		rc = usage_error("verify", "--keyring FILE and --threshold N are required");
		goto out;
	}
	if (argc - optind != 1) {
		rc = usage_error("verify", "give exactly one MANIFEST");
		goto out;
	}
	o.allowed = (const char *const *)allow.v;
	o.n_allowed = allow.n;
	o.signatures = (const char *const *)sigs.v;
	o.n_signatures = sigs.n;
	const char *path = argv[optind];
	bg_roles_verify_result res;
	bg_error err = {0};
	if (bg_roles_verify(path, &o, &res, &err) < 0) {
		rc = fail("verify", &err);
		bg_roles_verify_result_free(&res);
		goto out;
	}
	if (json) {
		json_object *doc = json_object_new_object();
		json_object_object_add(doc, "manifest", json_object_new_string(path));
		json_object_object_add(doc, "accepted", json_object_new_boolean(res.accepted));
		json_object_object_add(doc, "reason", res.reason ? json_object_new_string(res.reason) : NULL);
		json_object_object_add(doc, "sha256", json_object_new_string(res.manifest_sha256));
		json_object_object_add(doc, "serial",
				       res.manifest ? json_object_new_int64(res.manifest->serial) : NULL);
		json_object *a = json_object_new_array();
		for (size_t i = 0; i < res.n_signers; i++)
			json_object_array_add(a, json_object_new_string(res.signers[i]));
		json_object_object_add(doc, "signers", a);
		json_object_object_add(doc, "threshold", json_object_new_int64(o.threshold));
		json_object *n = json_object_new_array();
		for (size_t i = 0; i < res.n_notes; i++)
			json_object_array_add(n, json_object_new_string(res.notes[i]));
		json_object_object_add(doc, "notes", n);
		puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(doc);
	} else {
		for (size_t i = 0; i < res.n_notes; i++)
			fprintf(stderr, "note: %s\n", res.notes[i]);
		if (res.accepted) {
			char when[BG_ROLES_TIME_MAX];
			bg_roles_time_format(res.manifest->expires, when);
			printf("%s: ACCEPTED: serial %lld, %zu role%s, expires %s, signed by %zu of %u required:\n",
			       path, (long long)res.manifest->serial, res.manifest->n_roles,
			       res.manifest->n_roles == 1 ? "" : "s", when, res.n_signers, o.threshold);
			for (size_t i = 0; i < res.n_signers; i++)
				printf("  %s\n", res.signers[i]);
			if (res.state_updated)
				printf("state %s: highest serial now %lld\n", o.state_path,
				       (long long)res.manifest->serial);
		} else {
			printf("%s: REJECTED: %s\n", path, res.reason);
		}
	}
	rc = res.accepted ? 0 : 1;
	bg_roles_verify_result_free(&res);
out:
	bg_strv_free(&allow);
	bg_strv_free(&sigs);
	return rc;
}

/* ---- diff -------------------------------------------------------------------- */

static int manifest_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	bg_roles_diff_format fmt = BG_ROLES_DIFF_TEXT;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (strcmp(optarg, "markdown") == 0)
				fmt = BG_ROLES_DIFF_MARKDOWN;
			else if (strcmp(optarg, "text") == 0)
				fmt = BG_ROLES_DIFF_TEXT;
			else
				return usage_error("diff", "--format must be text or markdown");
			break;
		case 'h':
			fputs("Usage: bootgate manifest diff [--format text|markdown] OLD NEW\n"
			      "\n"
			      "Show per role what changed from OLD to NEW: repository, manifest and index\n"
			      "digest, base digests, policy hash, signer, source revision, verdict; and\n"
			      "which roles were added or removed.  Markdown is meant for a merge-request\n"
			      "comment.  The files are read, not verified (use 'manifest verify').\n"
			      "Exit status: 0 (whether or not anything changed), 2 usage error or a file\n"
			      "that is not a valid manifest.\n",
			      stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (argc - optind != 2)
		return usage_error("diff", "give OLD and NEW");
	bg_error err = {0};
	bg_role_manifest *a = NULL, *b = NULL;
	char *text = NULL;
	int rc = 0;
	if (bg_roles_load(argv[optind], &a, &err) < 0 || bg_roles_load(argv[optind + 1], &b, &err) < 0 ||
	    bg_roles_diff(a, b, fmt, &text, NULL, &err) < 0) {
		if (err.status == BG_E_INPUT)
			err.status = BG_E_USAGE;
		rc = fail("diff", &err);
	} else {
		fputs(text, stdout);
	}
	free(text);
	bg_roles_free(a);
	bg_roles_free(b);
	return rc;
}

/* ---- merge -------------------------------------------------------------------- */

/* --roles-file: one role name per line; blank lines and '#' comments skipped. */
static int read_roles_file(const char *path, bg_strv *roles, bg_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int rc = bg_read_file(path, BG_MiB, &data, &len, err);
	if (rc < 0)
		return rc;
	unsigned line = 0;
	for (char *p = data, *next; p && *p; p = next) {
		line++;
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		char *hash = strchr(p, '#');
		if (hash)
			*hash = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strlen(p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
			p[--n] = '\0';
		if (!n)
			continue;
		if (!bg_roles_name_valid(p))
			return bg_error_at(err, BG_E_USAGE, line, 1, "%s:%u: \"%s\" is not a valid role name",
					   path, line, p);
		if (!bg_strv_contains(roles, p) && bg_strv_push(roles, p) < 0)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	return 0;
}

static int manifest_merge(int argc, char **argv)
{
	enum { OPT_MANIFEST = 256, OPT_CONFIG, OPT_ROLE, OPT_ROLES_FILE, OPT_EXPIRES_IN, OPT_EXPIRES };
	static const struct option opts[] = {
		{"manifest", required_argument, NULL, OPT_MANIFEST},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"role", required_argument, NULL, OPT_ROLE},
		{"roles-file", required_argument, NULL, OPT_ROLES_FILE},
		{"expires-in", required_argument, NULL, OPT_EXPIRES_IN},
		{"expires", required_argument, NULL, OPT_EXPIRES},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *manifest = NULL, *config = NULL;
	bg_strv roles = {0};
	int64_t days = DEFAULT_EXPIRY_DAYS, expires = 0;
	bg_roles_config *cfg = NULL;
	bg_role_manifest *m = NULL;
	bg_role_entry *frags = NULL;
	size_t nfrags = 0;
	bg_error err = {0};
	int opt, rc = 2;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_MANIFEST:
			manifest = optarg;
			break;
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_ROLE:
			if (!bg_roles_name_valid(optarg)) {
				rc = usage_error("merge", "--role needs a valid role name");
				goto out;
			}
			if (bg_strv_push(&roles, optarg) < 0)
				goto out;
			break;
		case OPT_ROLES_FILE:
			if (read_roles_file(optarg, &roles, &err) < 0) {
				rc = fail("merge", &err);
				goto out;
			}
			break;
		case OPT_EXPIRES_IN:
			if (!parse_int64(optarg, &days) || days < 1 || days > 3660) {
				rc = usage_error("merge", "--expires-in needs a number of days from 1 to 3660");
				goto out;
			}
			break;
		case OPT_EXPIRES:
			if (bg_roles_time_parse(optarg, &expires, &err) < 0) {
				rc = usage_error("merge", err.message);
				goto out;
			}
			break;
		case 'h':
			fputs("Usage: bootgate manifest merge [options] FRAGMENT...\n"
			      "\n"
			      "Fold role fragments (written by 'bootgate check --role R --record-to FILE'\n"
			      "in parallel CI jobs) into the role manifest, all or nothing.  Refused\n"
			      "(exit 1, manifest unchanged): two fragments for one role, a fragment for a\n"
			      "role that is not configured.  A fragment replaces the role's old entry.\n"
			      "The manifest is created at serial 1, or its serial goes up by one; the\n"
			      "file is replaced atomically.  Sign it afterwards ('manifest sign').\n"
			      "\n"
			      "Options:\n"
			      "      --manifest FILE   the role manifest (default: the 'manifest' of the\n"
			      "                        configuration, else roles.manifest.json)\n"
			      "      --config FILE     bootgate.yaml whose roles are allowed (default:\n"
			      "                        ./bootgate.yaml when no --role is given)\n"
			      "      --role R          an allowed role (repeatable; instead of --config)\n"
			      "      --roles-file FILE allowed roles, one per line ('#' starts a comment)\n"
			      "      --expires-in DAYS expiry from now (default 30)\n"
			      "      --expires TIME    expiry as RFC 3339 UTC (YYYY-MM-DDTHH:MM:SSZ)\n",
			      stdout);
			rc = 0;
			goto out;
		default:
			goto out;
		}
	}
	if (optind >= argc) {
		rc = usage_error("merge", "give at least one FRAGMENT");
		goto out;
	}
	if (config || roles.n == 0) {
		if (roles.n) {
			rc = usage_error("merge", "give either --config or --role/--roles-file, not both");
			goto out;
		}
		if (bg_roles_config_load(config ? config : BG_ROLES_CONFIG_FILENAME, &cfg, &err) < 0) {
			if (!config)
				bg_error_prefix(&err, "no --role given and no usable ./%s", BG_ROLES_CONFIG_FILENAME);
			rc = fail("merge", &err);
			goto out;
		}
		for (size_t i = 0; i < cfg->n_roles; i++)
			if (bg_strv_push(&roles, cfg->roles[i].name) < 0)
				goto out;
		if (!manifest)
			manifest = cfg->manifest;
	}
	if (!manifest)
		manifest = "roles.manifest.json";
	int64_t now = (int64_t)time(NULL);
	if (!expires)
		expires = now + days * 86400;
	if (expires <= now) {
		rc = usage_error("merge", "the expiry must be in the future");
		goto out;
	}
	nfrags = (size_t)(argc - optind);
	frags = calloc(nfrags, sizeof *frags);
	if (!frags)
		goto out;
	for (size_t i = 0; i < nfrags; i++) {
		if (bg_roles_fragment_load(argv[optind + (int)i], &frags[i], &err) < 0) {
			rc = fail("merge", &err);
			goto out;
		}
	}
	FILE *probe = fopen(manifest, "r");
	bool exists = probe != NULL;
	if (probe)
		fclose(probe);
	if (exists) {
		if (bg_roles_load(manifest, &m, &err) < 0 || bg_roles_next_revision(m, expires, &err) < 0) {
			rc = fail("merge", &err);
			goto out;
		}
	} else if (bg_roles_new(1, expires, &m, &err) < 0) {
		rc = fail("merge", &err);
		goto out;
	}
	if (bg_roles_merge(m, frags, nfrags, (const char *const *)roles.v, roles.n, &err) < 0 ||
	    bg_roles_write(m, manifest, &err) < 0) {
		rc = fail("merge", &err);
		goto out;
	}
	char when[BG_ROLES_TIME_MAX];
	bg_roles_time_format(m->expires, when);
	printf("%s: serial %lld, %zu role%s (%zu merged), expires %s\n", manifest, (long long)m->serial,
	       m->n_roles, m->n_roles == 1 ? "" : "s", nfrags, when);
	rc = 0;
out:
	for (size_t i = 0; frags && i < nfrags; i++)
		bg_role_entry_clear(&frags[i]);
	free(frags);
	bg_roles_free(m);
	bg_roles_config_free(cfg);
	bg_strv_free(&roles);
	return rc;
}

/* ---- show ---------------------------------------------------------------------- */

static void put_safe(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : "-"); *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

static int manifest_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{"role", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *only = NULL;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			only = optarg;
			break;
		case 'h':
			fputs("Usage: bootgate manifest show [--role R] MANIFEST\n"
			      "\n"
			      "Print the manifest's serial, expiry and roles.  This reads the file, it\n"
			      "does not verify signatures: use 'bootgate manifest verify' to trust it.\n",
			      stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (argc - optind != 1)
		return usage_error("show", "give exactly one MANIFEST");
	bg_error err = {0};
	bg_role_manifest *m = NULL;
	if (bg_roles_load(argv[optind], &m, &err) < 0) {
		if (err.status == BG_E_INPUT)
			err.status = BG_E_USAGE;
		return fail("show", &err);
	}
	if (only && !bg_roles_find(m, only)) {
		fprintf(stderr, "bootgate manifest show: no role \"%s\" in %s\n", only, argv[optind]);
		bg_roles_free(m);
		return 2;
	}
	char when[BG_ROLES_TIME_MAX];
	bg_roles_time_format(m->expires, when);
	printf("Serial:  %lld\nExpires: %s\nRoles:   %zu (unverified content)\n", (long long)m->serial, when,
	       m->n_roles);
	for (size_t i = 0; i < m->n_roles; i++) {
		const bg_role_entry *e = &m->roles[i];
		if (only && strcmp(only, e->name) != 0)
			continue;
		bg_roles_time_format(e->recorded, when);
		printf("\n%s\n  repository:      ", e->name);
		put_safe(e->repository);
		printf("\n  manifest digest: %s\n  index digest:    %s\n", e->manifest_digest,
		       e->index_digest ? e->index_digest : "-");
		for (size_t j = 0; j < e->n_base_digests; j++)
			printf("  base digest:     %s\n", e->base_digests[j]);
		printf("  policy:          %s\n  signer:          %s", e->evidence.policy_hash ? e->evidence.policy_hash : "-",
		       e->evidence.signer_fingerprint ? e->evidence.signer_fingerprint : "-");
		if (e->evidence.signer_uid) {
			fputs(" (", stdout);
			put_safe(e->evidence.signer_uid);
			putchar(')');
		}
		fputs("\n  source revision: ", stdout);
		put_safe(e->evidence.source_revision);
		fputs("\n  verdict:         ", stdout);
		put_safe(e->evidence.verdict);
		printf("\n  recorded:        %s\n", when);
	}
	bg_roles_free(m);
	return 0;
}

int cmd_manifest(int argc, char **argv)
{
	if (argc < 2) {
		manifest_usage(stderr);
		return 2;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
		manifest_usage(stdout);
		return 0;
	}
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} subs[] = {
		{"sign", manifest_sign},   {"verify", manifest_verify}, {"diff", manifest_diff},
		{"merge", manifest_merge}, {"show", manifest_show},
	};
	for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
		if (strcmp(sub, subs[i].name) == 0)
			return subs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "bootgate manifest: unknown subcommand '%s'\n\n", sub);
	manifest_usage(stderr);
	return 2;
}
