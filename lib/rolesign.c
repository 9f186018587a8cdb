/* bootgate — detached OpenPGP signatures over the role manifest: signing
 * with a release manager's key, and threshold verification against a
 * keyring in an ephemeral GnuPG home, with expiry and replay protection. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <ftw.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gpgme.h>

#include "bootgate/digest.h"
#include "bootgate/roles.h"
#include "bootgate/strictjson.h"
#include "rolesutil.h"
#include "util.h"

extern char **environ;

#define STATE_KIND "bootgate-role-state"
#define FPR_LEN 40

/* ---- gpgme set-up -------------------------------------------------------- */

static pthread_once_t gpgme_once = PTHREAD_ONCE_INIT;
static const char *gpgme_version_ok; /* written once under pthread_once */

static void gpgme_init_once(void)
{
	gpgme_version_ok = gpgme_check_version(NULL);
	if (gpgme_version_ok)
		gpgme_version_ok = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) == 0 ? gpgme_version_ok : NULL;
}

static int gpgme_ready(bg_error *err)
{
	pthread_once(&gpgme_once, gpgme_init_once);
	if (!gpgme_version_ok)
		return bg_error_set(err, BG_E_EVAL,
				    "GnuPG is not usable through gpgme: install gnupg (gpg) and try again");
	return 0;
}

/* A gpgme context on homedir (NULL: the user's default home). */
static int new_ctx(const char *homedir, gpgme_ctx_t *out, bg_error *err)
{
	int rc = gpgme_ready(err);
	if (rc < 0)
		return rc;
	gpgme_ctx_t ctx = NULL;
	gpgme_error_t ge = gpgme_new(&ctx);
	if (!ge)
		ge = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
	if (!ge && homedir)
		ge = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, homedir);
	if (ge) {
		gpgme_release(ctx);
		return bg_error_set(err, BG_E_EVAL, "cannot set up gpgme%s%s: %s", homedir ? " for " : "",
				    homedir ? homedir : "", gpgme_strerror(ge));
	}
	gpgme_set_offline(ctx, 1); /* never fetch keys or CRLs */
	*out = ctx;
	return 0;
}

static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'f')
			*s = (char)(*s - 'a' + 'A');
}

/* 40 hex digits, spaces allowed (as gpg prints them); normalised upper case
 * into out[41].  False when malformed. */
static bool normalise_fpr(const char *in, char out[FPR_LEN + 1])
{
	size_t n = 0;
	for (const char *p = in; *p; p++) {
		if (*p == ' ')
			continue;
		bool hex = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F');
		if (!hex || n == FPR_LEN)
			return false;
		out[n++] = *p;
	}
	out[n] = '\0';
	upper(out);
	return n == FPR_LEN;
}

/* ---- ephemeral home ------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* Stop every daemon GnuPG started for home (gpg-agent, keyboxd, dirmngr),
 * then remove the directory. */
static void home_destroy(char *home)
{
	if (!home)
		return;
	char *argv[] = {"gpgconf", "--homedir", home, "--kill", "all", NULL};
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "gpgconf", &fa, NULL, argv, environ) == 0) {
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	posix_spawn_file_actions_destroy(&fa);
	(void)nftw(home, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(home);
}

static int home_create(char **out, bg_error *err)
{
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	bg_strbuf b = {0};
	bg_strbuf_printf(&b, "%s/bootgate-roles-XXXXXX", tmp);
	char *dir = bg_strbuf_take(&b);
	if (!dir)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (!mkdtemp(dir)) {
		int e = errno;
		free(dir);
		return bg_error_set(err, BG_E_EVAL, "cannot create a temporary GnuPG home in %s: %s", tmp,
				    strerror(e));
	}
	*out = dir;
	return 0;
}

/* ---- small I/O helpers -------------------------------------------------- */

static int read_bytes(const char *path, size_t max, char **data, size_t *len, bg_error *err)
{
	return bg_read_file(path, max, data, len, err);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* ---- signing ---------------------------------------------------------------- */

int bg_roles_sign(const char *manifest_path, const char *fpr_in, const char *homedir, int64_t now,
		  char **sig_path, bg_error *err)
{
	if (sig_path)
		*sig_path = NULL;
	char fpr[FPR_LEN + 1];
	if (!fpr_in || !normalise_fpr(fpr_in, fpr))
		return bg_error_set(err, BG_E_USAGE,
				    "--key needs the signing key's full fingerprint (40 hex digits), got \"%s\"",
				    fpr_in ? fpr_in : "");
	_cleanup_free_ char *data = NULL, *canon = NULL;
	size_t len = 0, clen = 0;
	int rc = read_bytes(manifest_path, BG_ROLES_MAX_BYTES, &data, &len, err);
	if (rc < 0)
		return rc;
	bg_role_manifest *m = NULL;
	rc = bg_roles_parse(data, len, manifest_path, &m, err);
	if (rc < 0)
		return rc;
	rc = bg_roles_serialize(m, &canon, &clen, err);
	int64_t expires = m->expires;
	bg_roles_free(m);
	if (rc < 0)
		return rc;
	/* Sign only what bootgate itself would write: the reviewer's diff and
	 * the signed bytes are then the same thing. */
	if (clen != len || memcmp(canon, data, len) != 0)
		return bg_error_set(err, BG_E_USAGE,
				    "%s is not in canonical form (edited by hand?): rewrite it with "
				    "'bootgate manifest merge' or record it again before signing",
				    manifest_path);
	if (!now)
		now = (int64_t)time(NULL);
	if (expires <= now)
		return bg_error_set(err, BG_E_USAGE,
				    "%s has expired: record a new revision with a later expiry before signing",
				    manifest_path);

	gpgme_ctx_t ctx = NULL;
	gpgme_key_t key = NULL;
	gpgme_data_t in = NULL, out = NULL;
	char *sig = NULL;
	size_t siglen = 0;
	rc = new_ctx(homedir, &ctx, err);
	if (rc < 0)
		return rc;
	gpgme_set_armor(ctx, 0);
	gpgme_error_t ge = gpgme_get_key(ctx, fpr, &key, 1);
	if (ge || !key) {
		rc = bg_error_set(err, BG_E_USAGE, "no secret key %s in %s: %s", fpr,
				  homedir ? homedir : "the default GnuPG home", ge ? gpgme_strerror(ge) : "not found");
		goto out;
	}
	if (!key->can_sign || key->revoked || key->expired || key->disabled) {
		rc = bg_error_set(err, BG_E_USAGE, "key %s cannot sign (revoked, expired, disabled or no signing capability)", fpr);
		goto out;
	}
	if ((ge = gpgme_signers_add(ctx, key)) || (ge = gpgme_data_new_from_mem(&in, data, len, 0)) ||
	    (ge = gpgme_data_new(&out)) || (ge = gpgme_op_sign(ctx, in, out, GPGME_SIG_MODE_DETACH))) {
		rc = bg_error_set(err, BG_E_EVAL, "signing %s with %s failed: %s", manifest_path, fpr,
				  gpgme_strerror(ge));
		goto out;
	}
	gpgme_sign_result_t sr = gpgme_op_sign_result(ctx);
	if (!sr || sr->invalid_signers || !sr->signatures || sr->signatures->next) {
		rc = bg_error_set(err, BG_E_EVAL, "signing %s with %s did not give exactly one signature",
				  manifest_path, fpr);
		goto out;
	}
	sig = gpgme_data_release_and_get_mem(out, &siglen);
	out = NULL;
	if (!sig || siglen == 0) {
		rc = bg_error_set(err, BG_E_EVAL, "signing %s gave no signature", manifest_path);
		goto out;
	}
	bg_strbuf pb = {0};
	bg_strbuf_printf(&pb, "%s.%s.sig", manifest_path, fpr);
	char *path = bg_strbuf_take(&pb);
	if (!path) {
		rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
		goto out;
	}
	rc = bg_roles_write_file_atomic(path, sig, siglen, err);
	if (rc == 0 && sig_path)
		*sig_path = path;
	else
		free(path);
out:
	if (sig)
		gpgme_free(sig);
	gpgme_data_release(in);
	gpgme_data_release(out);
	gpgme_key_unref(key);
	gpgme_release(ctx);
	return rc;
}

/* ---- verification ---------------------------------------------------------- */

void bg_roles_verify_result_free(bg_roles_verify_result *res)
{
	if (!res)
		return;
	free(res->reason);
	bg_roles_free(res->manifest);
	for (size_t i = 0; i < res->n_signers; i++)
		free(res->signers[i]);
	free(res->signers);
	for (size_t i = 0; i < res->n_notes; i++)
		free(res->notes[i]);
	free(res->notes);
	memset(res, 0, sizeof *res);
}

static int push(char ***v, size_t *n, char *s, bg_error *err)
{
	if (!s)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv) {
		free(s);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static int note(bg_roles_verify_result *res, bg_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int note(bg_roles_verify_result *res, bg_error *err, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		s = NULL;
	return push(&res->notes, &res->n_notes, s, err);
}

static int reject(bg_roles_verify_result *res, bg_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int reject(bg_roles_verify_result *res, bg_error *err, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	free(res->reason);
	res->reason = s;
	res->accepted = false;
	return 0;
}

static bool in_list(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Import the keyring; collect the primary fingerprints it brought. */
static int import_keyring(gpgme_ctx_t ctx, const char *path, bg_strv *primaries, bg_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int rc = read_bytes(path, 16 * BG_MiB, &data, &len, err);
	if (rc < 0) {
		bg_error_prefix(err, "keyring");
		return rc;
	}
	gpgme_data_t d = NULL;
	gpgme_error_t ge = gpgme_data_new_from_mem(&d, data, len, 0);
	if (!ge)
		ge = gpgme_op_import(ctx, d);
	gpgme_data_release(d);
	if (ge)
		return bg_error_set(err, BG_E_EVAL, "importing keyring %s: %s", path, gpgme_strerror(ge));
	gpgme_key_t key = NULL;
	ge = gpgme_op_keylist_start(ctx, NULL, 0);
	while (!ge && !(ge = gpgme_op_keylist_next(ctx, &key))) {
		if (key->subkeys && key->subkeys->fpr) {
			char fpr[FPR_LEN + 1];
			if (normalise_fpr(key->subkeys->fpr, fpr) && !bg_strv_contains(primaries, fpr) &&
			    bg_strv_push(primaries, fpr) < 0) {
				gpgme_key_unref(key);
				gpgme_op_keylist_end(ctx);
				return bg_error_set(err, BG_E_NOMEM, "out of memory");
			}
		}
		gpgme_key_unref(key);
	}
	gpgme_op_keylist_end(ctx);
	if (primaries->n == 0)
		return bg_error_set(err, BG_E_USAGE,
				    "keyring %s holds no OpenPGP public key GnuPG can read: give the release "
				    "managers' exported public keys (gpg --export)",
				    path);
	return 0;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Default signature files: "<manifest>.<40 hex>.sig" next to the manifest,
 * in name order. */
static int find_signatures(const char *manifest_path, bg_strv *out, bg_error *err)
{
	_cleanup_free_ char *dir = bg_strdup(manifest_path);
	if (!dir)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	const char *base = base_name(manifest_path);
	char *slash = strrchr(dir, '/');
	const char *dname = ".";
	if (slash == dir) {
		dir[1] = '\0';
		dname = dir;
	} else if (slash) {
		*slash = '\0';
		dname = dir;
	}
	DIR *d = opendir(dname);
	if (!d)
		return bg_error_set(err, BG_E_EVAL, "cannot list %s for signatures: %s", dname, strerror(errno));
	size_t blen = strlen(base);
	struct dirent *de;
	bg_strv names = {0};
	int rc = 0;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		size_t nl = strlen(n);
		if (nl != blen + 1 + FPR_LEN + 4 || strncmp(n, base, blen) != 0 || n[blen] != '.' ||
		    strcmp(n + nl - 4, ".sig") != 0)
			continue;
		char hex[FPR_LEN + 1];
		memcpy(hex, n + blen + 1, FPR_LEN);
		hex[FPR_LEN] = '\0';
		char norm[FPR_LEN + 1];
		if (strchr(hex, ' ') || !normalise_fpr(hex, norm))
			continue;
		if (names.n >= BG_ROLES_MAX_SIGNATURES) {
			rc = bg_error_set(err, BG_E_EVAL, "more than %d signature files next to %s",
					  BG_ROLES_MAX_SIGNATURES, manifest_path);
			break;
		}
		if (bg_strv_push(&names, n) < 0) {
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
			break;
		}
	}
	closedir(d);
	if (rc == 0 && names.n > 1)
		qsort(names.v, names.n, sizeof *names.v, cmp_strp);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		bg_strbuf b = {0};
		if (slash)
			bg_strbuf_printf(&b, "%s/%s", strcmp(dname, "/") == 0 ? "" : dname, names.v[i]);
		else
			bg_strbuf_puts(&b, names.v[i]);
		char *p = bg_strbuf_take(&b);
		if (!p || bg_strv_push_take(out, p) < 0)
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	bg_strv_free(&names);
	return rc;
}

/* Check one signature file; on success *primary is the allowed primary
 * fingerprint that made it.  Rejections are notes, not errors. */
static int check_signature(gpgme_ctx_t ctx, const char *sig_path, const char *data, size_t len,
			   const bg_strv *allowed, bg_roles_verify_result *res, char **primary,
			   bg_error *err)
{
	*primary = NULL;
	_cleanup_free_ char *sig = NULL;
	size_t siglen = 0;
	bg_error rerr = {0};
	if (read_bytes(sig_path, BG_MAX_SIGNATURE_BYTES, &sig, &siglen, &rerr) < 0)
		return note(res, err, "%s: not counted: %s", sig_path, rerr.message);
	if (siglen == 0)
		return note(res, err, "%s: not counted: empty file", sig_path);
	gpgme_data_t sd = NULL, td = NULL;
	gpgme_error_t ge = gpgme_data_new_from_mem(&sd, sig, siglen, 0);
	if (!ge)
		ge = gpgme_data_new_from_mem(&td, data, len, 0);
	if (!ge)
		ge = gpgme_op_verify(ctx, sd, td, NULL);
	gpgme_data_release(sd);
	gpgme_data_release(td);
	if (ge)
		return note(res, err, "%s: not counted: not a detached OpenPGP signature (%s)", sig_path,
			    gpgme_strerror(ge));
	gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
	gpgme_signature_t s = vr ? vr->signatures : NULL;
	if (!s)
		return note(res, err, "%s: not counted: holds no signature", sig_path);
	if (s->next)
		return note(res, err, "%s: not counted: holds more than one signature (one file per signer)",
			    sig_path);
	const gpgme_sigsum_t bad = GPGME_SIGSUM_RED | GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_KEY_EXPIRED |
				   GPGME_SIGSUM_SIG_EXPIRED | GPGME_SIGSUM_KEY_MISSING |
				   GPGME_SIGSUM_BAD_POLICY | GPGME_SIGSUM_SYS_ERROR;
	if (gpgme_err_code(s->status) == GPG_ERR_NO_PUBKEY || (s->summary & GPGME_SIGSUM_KEY_MISSING))
		return note(res, err, "%s: not counted: made by key %s, which is not in the keyring", sig_path,
			    s->fpr ? s->fpr : "(unknown)");
	if (gpgme_err_code(s->status) == GPG_ERR_BAD_SIGNATURE || (s->summary & GPGME_SIGSUM_RED))
		return note(res, err, "%s: not counted: BAD signature (the manifest bytes are not what was signed)",
			    sig_path);
	if (s->status || (s->summary & bad) || s->wrong_key_usage || s->validity == GPGME_VALIDITY_NEVER)
		return note(res, err, "%s: not counted: signature not valid (%s%s%s)", sig_path,
			    gpgme_strerror(s->status),
			    (s->summary & (GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED)) ? ", expired" : "",
			    (s->summary & GPGME_SIGSUM_KEY_REVOKED) ? ", key revoked" : "");
	if (!s->fpr)
		return note(res, err, "%s: not counted: signer unknown", sig_path);
	/* The signing (sub)key's primary key is the release manager's identity. */
	gpgme_key_t key = NULL;
	ge = gpgme_get_key(ctx, s->fpr, &key, 0);
	if (ge || !key || !key->subkeys || !key->subkeys->fpr) {
		gpgme_key_unref(key);
		return note(res, err, "%s: not counted: cannot find the key of signer %s", sig_path, s->fpr);
	}
	char fpr[FPR_LEN + 1];
	bool okfpr = normalise_fpr(key->subkeys->fpr, fpr);
	bool revoked = key->revoked || key->expired || key->disabled || key->invalid;
	gpgme_key_unref(key);
	if (!okfpr)
		return note(res, err, "%s: not counted: signer is not a v4 OpenPGP key", sig_path);
	if (revoked)
		return note(res, err, "%s: not counted: key %s is revoked, expired or disabled", sig_path, fpr);
	if (!bg_strv_contains(allowed, fpr))
		return note(res, err, "%s: not counted: key %s is not an allowed signer", sig_path, fpr);
	*primary = bg_strdup(fpr);
	return *primary ? 0 : bg_error_set(err, BG_E_NOMEM, "out of memory");
}

/* State: {"format_version":1,"kind":"bootgate-role-state","serial":N,"sha256":"sha256:..."} */
static int state_read(const char *path, int64_t *serial, char **sha, bg_error *err)
{
	*serial = 0;
	*sha = NULL;
	struct stat st;
	if (stat(path, &st) != 0 && errno == ENOENT)
		return 0;
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int rc = read_bytes(path, BG_ROLES_MAX_BYTES, &data, &len, err);
	if (rc < 0) {
		err->status = BG_E_EVAL;
		return BG_E_EVAL;
	}
	json_object *root = NULL;
	rc = bg_json_parse_strict(data, len, path, &root, err);
	if (rc < 0)
		goto corrupt;
	const char *kind = NULL, *digest = NULL;
	int64_t version = 0;
	if (!root || !json_object_is_type(root, json_type_object) ||
	    bg_json_get_string(root, "kind", true, path, &kind, err) < 0 || strcmp(kind, STATE_KIND) != 0 ||
	    bg_json_get_int64(root, "format_version", true, path, &version, NULL, err) < 0 ||
	    version != BG_ROLES_FORMAT_VERSION ||
	    bg_json_get_int64(root, "serial", true, path, serial, NULL, err) < 0 || *serial < 0 ||
	    bg_json_get_string(root, "sha256", true, path, &digest, err) < 0 || !bg_digest_valid(digest)) {
		json_object_put(root);
		goto corrupt;
	}
	*sha = bg_strdup(digest);
	json_object_put(root);
	return *sha ? 0 : bg_error_set(err, BG_E_NOMEM, "out of memory");
corrupt:
	/* Fail closed: a state file that cannot be read is never treated as
	 * "no state", or deleting/corrupting it would reopen replay. */
	return bg_error_set(err, BG_E_EVAL,
			    "state file %s is not a valid bootgate role state: fix or restore it (it "
			    "records the highest manifest serial accepted)",
			    path);
}

static int state_write(const char *path, int64_t serial, const char *sha, bg_error *err)
{
	bg_strbuf b = {0};
	bg_strbuf_printf(&b,
			 "{\n  \"format_version\": %d,\n  \"kind\": \"%s\",\n  \"serial\": %lld,\n  \"sha256\": ",
			 BG_ROLES_FORMAT_VERSION, STATE_KIND, (long long)serial);
	bg_roles_json_string(&b, sha);
	bg_strbuf_puts(&b, "\n}\n");
	if (b.oom) {
		bg_strbuf_free(&b);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	size_t len = b.len;
	_cleanup_free_ char *s = bg_strbuf_take(&b);
	return bg_roles_write_file_atomic(path, s, len, err);
}

int bg_roles_verify(const char *manifest_path, const bg_roles_verify_options *o,
		    bg_roles_verify_result *res, bg_error *err)
{
	memset(res, 0, sizeof *res);
	if (!o || !o->keyring)
		return bg_error_set(err, BG_E_USAGE, "verifying a role manifest needs --keyring FILE");
	if (o->threshold < 1)
		return bg_error_set(err, BG_E_USAGE, "--threshold must be 1 or more");
	if (o->min_serial < 0)
		return bg_error_set(err, BG_E_USAGE, "--min-serial must not be negative");
	bg_strv allowed_pins = {0};
	for (size_t i = 0; i < o->n_allowed; i++) {
		char fpr[FPR_LEN + 1];
		if (!o->allowed[i] || !normalise_fpr(o->allowed[i], fpr)) {
			bg_strv_free(&allowed_pins);
			return bg_error_set(err, BG_E_USAGE, "allowed signer \"%s\" is not a 40-hex fingerprint",
					    o->allowed[i] ? o->allowed[i] : "");
		}
		if (bg_strv_push(&allowed_pins, fpr) < 0) {
			bg_strv_free(&allowed_pins);
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		}
	}

	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	char *home = NULL;
	gpgme_ctx_t ctx = NULL;
	bg_strv keyring_keys = {0}, sigs = {0};
	_cleanup_free_ char *state_sha = NULL;
	int64_t state_serial = 0;
	int rc = read_bytes(manifest_path, BG_ROLES_MAX_BYTES, &data, &len, err);
	if (rc < 0)
		goto out;
	rc = bg_digest_buffer(BG_DIGEST_SHA256, data, len, res->manifest_sha256, err);
	if (rc < 0)
		goto out;
	/* Read the state before anything else can fail late: a broken state
	 * file is "could not evaluate", whatever the signatures say. */
	if (o->state_path && (rc = state_read(o->state_path, &state_serial, &state_sha, err)) < 0)
		goto out;

	for (size_t i = 0; i < o->n_signatures; i++)
		if (bg_strv_push(&sigs, o->signatures[i]) < 0) {
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
			goto out;
		}
	if (o->n_signatures == 0 && (rc = find_signatures(manifest_path, &sigs, err)) < 0)
		goto out;
	if (sigs.n > BG_ROLES_MAX_SIGNATURES) {
		rc = bg_error_set(err, BG_E_USAGE, "at most %d signature files", BG_ROLES_MAX_SIGNATURES);
		goto out;
	}

	if ((rc = home_create(&home, err)) < 0 || (rc = new_ctx(home, &ctx, err)) < 0 ||
	    (rc = import_keyring(ctx, o->keyring, &keyring_keys, err)) < 0)
		goto out;
	/* Pins narrow the keyring; a pin for a key not in the keyring cannot
	 * verify anything and would hide a mistake. */
	const bg_strv *allowed = &keyring_keys;
	for (size_t i = 0; i < allowed_pins.n; i++)
		if (!bg_strv_contains(&keyring_keys, allowed_pins.v[i])) {
			rc = bg_error_set(err, BG_E_USAGE, "allowed signer %s is not in keyring %s",
					  allowed_pins.v[i], o->keyring);
			goto out;
		}
	if (allowed_pins.n)
		allowed = &allowed_pins;

	/* 1. Cryptography over the exact bytes, before the content is read. */
	for (size_t i = 0; i < sigs.n; i++) {
		char *primary = NULL;
		rc = check_signature(ctx, sigs.v[i], data, len, allowed, res, &primary, err);
		if (rc < 0)
			goto out;
		if (!primary)
			continue;
		if (in_list(res->signers, res->n_signers, primary)) {
			rc = note(res, err, "%s: not counted again: key %s already signed", sigs.v[i], primary);
			free(primary);
			if (rc < 0)
				goto out;
			continue;
		}
		if ((rc = push(&res->signers, &res->n_signers, primary, err)) < 0)
			goto out;
	}
	if (res->n_signers > 1)
		qsort(res->signers, res->n_signers, sizeof *res->signers, cmp_strp);
	if (res->n_signers < o->threshold) {
		rc = reject(res, err,
			    "%zu valid signature%s from distinct allowed keys, %u required (%zu signature file%s examined)",
			    res->n_signers, res->n_signers == 1 ? "" : "s", o->threshold, sigs.n,
			    sigs.n == 1 ? "" : "s");
		goto out;
	}

	/* 2. Content. */
	bg_error perr = {0};
	if (bg_roles_parse(data, len, manifest_path, &res->manifest, &perr) < 0) {
		if (perr.status == BG_E_NOMEM) {
			*err = perr;
			rc = BG_E_NOMEM;
			goto out;
		}
		rc = reject(res, err, "signed manifest is not valid: %s", perr.message);
		goto out;
	}
	/* 3. Freshness. */
	int64_t now = o->now ? o->now : (int64_t)time(NULL);
	char when[BG_ROLES_TIME_MAX];
	bg_roles_time_format(res->manifest->expires, when);
	if (res->manifest->expires <= now) {
		rc = reject(res, err, "manifest expired at %s: a fresh signed revision is needed", when);
		goto out;
	}
	/* 4. Replay. */
	int64_t serial = res->manifest->serial;
	if (serial < o->min_serial) {
		rc = reject(res, err, "manifest serial %lld is lower than the minimum %lld: an old manifest "
			    "cannot be replayed", (long long)serial, (long long)o->min_serial);
		goto out;
	}
	if (o->state_path) {
		if (serial < state_serial) {
			rc = reject(res, err, "manifest serial %lld is lower than %lld, the highest accepted "
				    "before (state %s): an old manifest cannot be replayed",
				    (long long)serial, (long long)state_serial, o->state_path);
			goto out;
		}
		if (serial == state_serial && state_sha && strcmp(state_sha, res->manifest_sha256) != 0) {
			rc = reject(res, err, "manifest serial %lld was accepted before with other content "
				    "(%s): a new revision needs a higher serial", (long long)serial, state_sha);
			goto out;
		}
	}
	res->accepted = true;
	if (o->state_path && serial > state_serial) {
		rc = state_write(o->state_path, serial, res->manifest_sha256, err);
		if (rc < 0) {
			res->accepted = false;
			goto out;
		}
		res->state_updated = true;
	}
	rc = 0;
out:
	gpgme_release(ctx);
	home_destroy(home);
	bg_strv_free(&keyring_keys);
	bg_strv_free(&allowed_pins);
	bg_strv_free(&sigs);
	return rc;
}
