/* bootgate — verification of one simple-signing blob (see signature.h for
 * the rules and their order, which follow containers/image
 * signature/mechanism_gpgme.go and signature/docker.go, with two stricter
 * choices: binary OpenPGP only, and an optional fingerprint allow-list). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gpgme.h>

#include "bootgate/digest.h"
#include "bootgate/limits.h"
#include "bootgate/reference.h"
#include "bootgate/signature.h"
#include "gpgctx.h"
#include "util.h"

/* Largest key file or keyData accepted. */
#define MAX_KEY_BYTES (16 * BG_MiB)

/* What the keyring holds, listed once after imports so that verification
 * does not run gpg a second time per signature. */
typedef struct keyinfo {
	char *primary;
	char *uid;
	bg_strv fprs; /* primary and every subkey */
} keyinfo;

struct bg_sigctx {
	bg_gpgctx *gpg;
	bg_strv keys;  /* imported primary fingerprints */
	bg_strv notes; /* key blocks that were not imported */
	bg_strv pins;  /* allowed fingerprints, upper case; empty: keys */
	bool allow_primary_key;
	keyinfo *ki;
	size_t n_ki;
	bool ki_valid;
};

static void keyinfo_clear(bg_sigctx *ctx)
{
	for (size_t i = 0; i < ctx->n_ki; i++) {
		free(ctx->ki[i].primary);
		free(ctx->ki[i].uid);
		bg_strv_free(&ctx->ki[i].fprs);
	}
	free(ctx->ki);
	ctx->ki = NULL;
	ctx->n_ki = 0;
	ctx->ki_valid = false;
}

int bg_sigctx_new(bg_sigctx **out, bg_error *err)
{
	*out = NULL;
	bg_sigctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	int rc = bg_gpgctx_open(&ctx->gpg, err);
	if (rc < 0) {
		free(ctx);
		return rc;
	}
	*out = ctx;
	return 0;
}

void bg_sigctx_free(bg_sigctx *ctx)
{
	if (!ctx)
		return;
	keyinfo_clear(ctx);
	bg_gpgctx_close(ctx->gpg);
	bg_strv_free(&ctx->keys);
	bg_strv_free(&ctx->notes);
	bg_strv_free(&ctx->pins);
	free(ctx);
}

const char *bg_sigctx_home(const bg_sigctx *ctx)
{
	return ctx && ctx->gpg ? ctx->gpg->home : NULL;
}

int bg_sigctx_import_data(bg_sigctx *ctx, const void *data, size_t len, const char *what,
			  bg_error *err)
{
	if (len > MAX_KEY_BYTES)
		return bg_error_set(err, BG_E_USAGE, "%s: key data larger than %lu bytes",
				    what ? what : "key data", (unsigned long)MAX_KEY_BYTES);
	ctx->ki_valid = false;
	return bg_gpgctx_import(ctx->gpg, data, len, what, &ctx->keys, &ctx->notes, err);
}

int bg_sigctx_import_file(bg_sigctx *ctx, const char *path, bg_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	int rc = bg_read_file(path, MAX_KEY_BYTES, &data, &len, err);
	if (rc < 0) {
		bg_error_prefix(err, "reading key file");
		return rc;
	}
	return bg_sigctx_import_data(ctx, data, len, path, err);
}

const char *const *bg_sigctx_keys(const bg_sigctx *ctx, size_t *n)
{
	*n = ctx->keys.n;
	return (const char *const *)ctx->keys.v;
}

const char *const *bg_sigctx_import_notes(const bg_sigctx *ctx, size_t *n)
{
	*n = ctx->notes.n;
	return (const char *const *)ctx->notes.v;
}

int bg_sigctx_allow_fingerprint(bg_sigctx *ctx, const char *fpr, bg_error *err)
{
	char norm[41];
	size_t n = 0;
	for (const char *p = fpr ? fpr : ""; *p; p++) {
		if (*p == ' ')
			continue;
		if (!isxdigit((unsigned char)*p) || n == 40) {
			n = 41;
			break;
		}
		norm[n++] = (char)toupper((unsigned char)*p);
	}
	if (n != 40)
		return bg_error_set(err, BG_E_USAGE,
				    "fingerprint \"%s\" is not 40 hexadecimal digits (a full OpenPGP v4 "
				    "fingerprint, e.g. 567E347AD0044ADE55BA8A5F199E2F91FD431D51)",
				    fpr ? fpr : "");
	norm[40] = '\0';
	if (!bg_strv_contains(&ctx->pins, norm) && bg_strv_push(&ctx->pins, norm) < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	return 0;
}

void bg_sigctx_allow_primary_key(bg_sigctx *ctx, bool allow)
{
	ctx->allow_primary_key = allow;
}

void bg_sigresult_free(bg_sigresult *res)
{
	if (!res)
		return;
	free(res->reason);
	free(res->signer_fpr);
	free(res->primary_fpr);
	free(res->uid);
	free(res->signed_digest);
	free(res->signed_identity);
	free(res->creator);
	memset(res, 0, sizeof *res);
}

/* ---- helpers ---------------------------------------------------------- */

static int reject(bg_sigresult *res, bg_sigreject why, bg_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int reject(bg_sigresult *res, bg_sigreject why, bg_error *err, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	res->accepted = false;
	res->rejected_by = why;
	free(res->reason);
	res->reason = s;
	return 0;
}

static int list_keys(bg_sigctx *ctx, bg_error *err)
{
	if (ctx->ki_valid)
		return 0;
	keyinfo_clear(ctx);
	gpgme_ctx_t g = ctx->gpg->gpgme;
	gpgme_error_t e = gpgme_op_keylist_start(g, NULL, 0);
	if (e)
		return bg_error_set(err, BG_E_EVAL, "gpgme key listing failed: %s", gpgme_strerror(e));
	gpgme_key_t key;
	int rc = 0;
	while ((e = gpgme_op_keylist_next(g, &key)) == 0) {
		if (rc == 0 && key->subkeys && key->subkeys->fpr) {
			keyinfo *grown = realloc(ctx->ki, (ctx->n_ki + 1) * sizeof *grown);
			if (!grown) {
				rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
			} else {
				ctx->ki = grown;
				keyinfo *k = &ctx->ki[ctx->n_ki++];
				memset(k, 0, sizeof *k);
				k->primary = bg_strdup(key->subkeys->fpr);
				k->uid = key->uids && key->uids->uid ? bg_strdup(key->uids->uid) : NULL;
				for (gpgme_subkey_t s = key->subkeys; s; s = s->next)
					if (s->fpr && bg_strv_push(&k->fprs, s->fpr) < 0)
						rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
				if (!k->primary)
					rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
			}
		}
		gpgme_key_unref(key);
	}
	if (rc == 0 && gpg_err_code(e) != GPG_ERR_EOF)
		rc = bg_error_set(err, BG_E_EVAL, "gpgme key listing failed: %s", gpgme_strerror(e));
	gpgme_op_keylist_end(g);
	if (rc == 0)
		ctx->ki_valid = true;
	return rc;
}

static const keyinfo *find_key(const bg_sigctx *ctx, const char *fpr)
{
	for (size_t i = 0; i < ctx->n_ki; i++)
		for (size_t j = 0; j < ctx->ki[i].fprs.n; j++)
			if (strcasecmp(ctx->ki[i].fprs.v[j], fpr) == 0)
				return &ctx->ki[i];
	return NULL;
}

/* The first bytes containers/image (internal/signature FromBlob) takes for
 * a simple-signing blob: old- and new-format tags of compressed data,
 * one-pass signature and signature packets.  0x93 stands where upstream has
 * the typo 0x3D.  Armor and cleartext ('-') are not among them. */
static bool binary_openpgp_start(unsigned char c)
{
	return (c >= 0xA0 && c <= 0xA3) || c == 0xC8 || (c >= 0x90 && c <= 0x93) || c == 0xC4 ||
	       (c >= 0x88 && c <= 0x8B) || c == 0xC2;
}

/* The plaintext sink: bounded, so a compressed blob cannot expand without
 * limit (c/image reads it into an unbounded buffer). */
typedef struct plain_sink {
	bg_strbuf buf;
	size_t max;
	bool overflow;
} plain_sink;

static ssize_t plain_write(void *handle, const void *data, size_t size)
{
	plain_sink *s = handle;
	if (size > s->max - s->buf.len) {
		s->overflow = true;
		errno = EFBIG;
		return -1;
	}
	bg_strbuf_add(&s->buf, data, size);
	if (s->buf.oom) {
		errno = ENOMEM;
		return -1;
	}
	return (ssize_t)size;
}

static bool engine_failure(gpgme_error_t e)
{
	switch (gpg_err_code(e)) {
	case GPG_ERR_ENOMEM:
	case GPG_ERR_INV_ENGINE:
	case GPG_ERR_ENOENT:
	case GPG_ERR_ENOEXEC:
	case GPG_ERR_EACCES:
	case GPG_ERR_ENFILE:
	case GPG_ERR_EMFILE:
		return true;
	default:
		return false;
	}
}

static int status_reject(bg_sigresult *res, gpgme_signature_t s, bg_error *err)
{
	const char *fpr = s->fpr ? s->fpr : "(unknown)";
	switch (gpg_err_code(s->status)) {
	case GPG_ERR_BAD_SIGNATURE:
		return reject(res, BG_SIGREJ_CRYPTO, err,
			      "bad signature by key %s: the signature or the signed data was altered",
			      fpr);
	case GPG_ERR_NO_PUBKEY:
		return reject(res, BG_SIGREJ_CRYPTO, err,
			      "signed by key %s, which is not among the trusted keys given", fpr);
	case GPG_ERR_SIG_EXPIRED:
		return reject(res, BG_SIGREJ_CRYPTO, err, "the signature by key %s has expired", fpr);
	case GPG_ERR_KEY_EXPIRED:
		return reject(res, BG_SIGREJ_CRYPTO, err, "the signing key %s has expired", fpr);
	case GPG_ERR_CERT_REVOKED:
		return reject(res, BG_SIGREJ_CRYPTO, err, "the signing key %s has been revoked", fpr);
	default:
		return reject(res, BG_SIGREJ_CRYPTO, err, "signature by key %s not valid: %s", fpr,
			      gpgme_strerror(s->status));
	}
}

/* Does the signer's key pass the allow-list? */
static int check_signer(const bg_sigctx *ctx, bg_sigresult *res, bg_error *err)
{
	const bg_strv *allowed = ctx->pins.n ? &ctx->pins : &ctx->keys;
	const char *list = ctx->pins.n ? "allowed fingerprints" : "imported primary keys";
	for (size_t i = 0; i < allowed->n; i++)
		if (strcasecmp(allowed->v[i], res->signer_fpr) == 0)
			return 0;
	bool subkey = res->primary_fpr && strcasecmp(res->primary_fpr, res->signer_fpr) != 0;
	if (subkey && ctx->allow_primary_key)
		for (size_t i = 0; i < allowed->n; i++)
			if (strcasecmp(allowed->v[i], res->primary_fpr) == 0)
				return 0;
	if (subkey && ctx->allow_primary_key)
		return reject(res, BG_SIGREJ_SIGNER, err,
			      "signed by subkey %s of key %s; neither is among the %s",
			      res->signer_fpr, res->primary_fpr, list);
	if (subkey)
		return reject(res, BG_SIGREJ_SIGNER, err,
			      "signed by subkey %s of key %s; the subkey is not among the %s (a "
			      "subkey signature counts for its primary key only when that is "
			      "allowed)",
			      res->signer_fpr, res->primary_fpr, list);
	return reject(res, BG_SIGREJ_SIGNER, err, "signed by key %s, which is not among the %s",
		      res->signer_fpr, list);
}

static bool same_optional(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* containers/image VerifyDockerManifestSignature: normalised, equal in
 * every part, no ":latest" added to either side. */
static bool same_reference(const char *image, const char *signed_ref)
{
	bg_reference a = {0}, b = {0};
	bool same = bg_reference_parse(image, &a, NULL) == 0 &&
		    bg_reference_parse(signed_ref, &b, NULL) == 0 && strcmp(a.name, b.name) == 0 &&
		    same_optional(a.tag, b.tag) && same_optional(a.digest, b.digest);
	bg_reference_free(&a);
	bg_reference_free(&b);
	return same;
}

static const char *rule_name(bg_sigidentity_kind k)
{
	switch (k) {
	case BG_SIGID_MATCH_REPO_DIGEST_OR_EXACT: return "matchRepoDigestOrExact";
	case BG_SIGID_MATCH_EXACT: return "matchExact";
	case BG_SIGID_MATCH_REPOSITORY: return "matchRepository";
	case BG_SIGID_EXACT_REFERENCE: return "exactReference";
	case BG_SIGID_EXACT_REPOSITORY: return "exactRepository";
	case BG_SIGID_SAME_REFERENCE: return "same reference";
	case BG_SIGID_CALLBACK: return "caller's rule";
	}
	return "?";
}

/* The caller's rule is usable: its strings are there and parse. */
static int check_rule(const bg_sigidentity *rule, bg_error *err)
{
	if (!rule)
		return bg_error_set(err, BG_E_USAGE, "no identity rule given for signature verification");
	const char *s = NULL;
	switch (rule->kind) {
	case BG_SIGID_MATCH_REPO_DIGEST_OR_EXACT:
	case BG_SIGID_MATCH_EXACT:
	case BG_SIGID_MATCH_REPOSITORY:
	case BG_SIGID_SAME_REFERENCE:
		s = rule->image;
		break;
	case BG_SIGID_EXACT_REFERENCE:
	case BG_SIGID_EXACT_REPOSITORY:
		s = rule->value;
		break;
	case BG_SIGID_CALLBACK:
		if (!rule->match)
			return bg_error_set(err, BG_E_USAGE, "identity rule callback missing");
		return 0;
	default:
		return bg_error_set(err, BG_E_USAGE, "unknown identity rule %d", (int)rule->kind);
	}
	if (!s)
		return bg_error_set(err, BG_E_USAGE, "identity rule %s needs a reference",
				    rule_name(rule->kind));
	bg_reference r = {0};
	bg_error rerr = {0};
	int rc = bg_reference_parse(s, &r, &rerr);
	bg_reference_free(&r);
	if (rc < 0)
		return bg_error_set(err, BG_E_USAGE, "identity %s is not a valid reference: %s", s,
				    rerr.message);
	return 0;
}

static int check_identity(const bg_sigidentity *rule, bg_sigresult *res, bg_error *err)
{
	const char *sig = res->signed_identity;
	bg_reference r = {0};
	bg_error rerr = {0};
	int prc = bg_reference_parse(sig, &r, &rerr);
	bg_reference_free(&r);
	if (prc < 0)
		return reject(res, BG_SIGREJ_IDENTITY, err,
			      "invalid docker reference \"%s\" in the signature: %s", sig, rerr.message);
	bool ok = false;
	const char *against = rule->image;
	char why[256] = "";
	switch (rule->kind) {
	case BG_SIGID_MATCH_REPO_DIGEST_OR_EXACT:
		ok = bg_reference_match_repo_digest_or_exact(rule->image, sig);
		break;
	case BG_SIGID_MATCH_EXACT:
		ok = bg_reference_match_exact(rule->image, sig);
		break;
	case BG_SIGID_MATCH_REPOSITORY:
		ok = bg_reference_match_repository(rule->image, sig);
		break;
	case BG_SIGID_EXACT_REFERENCE:
		ok = bg_reference_match_exact(rule->value, sig);
		against = rule->value;
		break;
	case BG_SIGID_EXACT_REPOSITORY:
		ok = bg_reference_match_repository(rule->value, sig);
		against = rule->value;
		break;
	case BG_SIGID_SAME_REFERENCE:
		ok = same_reference(rule->image, sig);
		break;
	case BG_SIGID_CALLBACK:
		ok = rule->match(rule->data, sig, why, sizeof why);
		why[sizeof why - 1] = '\0';
		if (!ok)
			return reject(res, BG_SIGREJ_IDENTITY, err,
				      "signed identity %s is not accepted%s%s", sig, why[0] ? ": " : "",
				      why);
		return 0;
	}
	if (!ok)
		return reject(res, BG_SIGREJ_IDENTITY, err,
			      "signed identity %s does not match %s under rule %s", sig,
			      against ? against : "(none)", rule_name(rule->kind));
	return 0;
}

static int set_str(char **dst, const char *s, bg_error *err)
{
	if (!s)
		return 0;
	*dst = bg_strdup(s);
	return *dst ? 0 : bg_error_set(err, BG_E_NOMEM, "out of memory");
}

/* ---- what gpg said about the signature's key --------------------------- */

/* gpg's own status lines during verification tell the signer's primary key
 * (VALIDSIG, last field) and primary user ID (GOODSIG), which spares a key
 * listing, i.e. another gpg process.  gpgme passes every status line to a
 * status callback with the context flag "full-status" (gpgme >= 1.11);
 * without it, or when a line is missing, list_keys answers as before. */
typedef struct sig_status {
	unsigned newsig;      /* NEWSIG lines: signatures gpg looked at */
	unsigned validsig;    /* VALIDSIG lines */
	unsigned goodsig;     /* GOODSIG lines */
	char signer[41];      /* VALIDSIG: the signing (sub)key */
	char primary[41];     /* VALIDSIG: its primary key */
	char *uid;            /* GOODSIG: primary user ID, %XX decoded */
	bool oom;
} sig_status;

/* The idx-th (0-based) space-separated field of args, as a 40-hex-digit
 * fingerprint; false when it is not one. */
static bool fpr_field(const char *args, int idx, char out[41])
{
	const char *p = args;
	for (int i = 0; i < idx && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return false;
	size_t n = strcspn(p, " ");
	if (n != 40)
		return false;
	for (size_t i = 0; i < 40; i++) {
		if (!isxdigit((unsigned char)p[i]))
			return false;
		out[i] = (char)toupper((unsigned char)p[i]);
	}
	out[40] = '\0';
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static gpgme_error_t sig_status_cb(void *opaque, const char *keyword, const char *args)
{
	sig_status *st = opaque;
	if (!keyword || !args)
		return 0;
	if (strcmp(keyword, "NEWSIG") == 0) {
		st->newsig++;
	} else if (strcmp(keyword, "VALIDSIG") == 0) {
		/* <fpr> <date> <timestamp> <expire> <version> <reserved>
		 * <pubkey-algo> <hash-algo> <class> <primary-fpr> */
		if (++st->validsig == 1 &&
		    !(fpr_field(args, 0, st->signer) && fpr_field(args, 9, st->primary)))
			st->signer[0] = st->primary[0] = '\0';
	} else if (strcmp(keyword, "GOODSIG") == 0 && ++st->goodsig == 1) {
		/* <keyid or fpr> <primary user ID, '%' and control bytes as %XX>;
		 * "[?]" when the key has no usable user ID. */
		const char *u = strchr(args, ' ');
		if (!u || strcmp(u + 1, "[?]") == 0)
			return 0;
		bg_strbuf b = {0};
		for (const char *p = u + 1; *p; p++) {
			int hi, lo;
			if (*p == '%' && (hi = hex_value(p[1])) >= 0 && (lo = hex_value(p[2])) >= 0) {
				bg_strbuf_putc(&b, (char)(hi << 4 | lo));
				p += 2;
			} else {
				bg_strbuf_putc(&b, *p);
			}
		}
		st->uid = bg_strbuf_take(&b);
		if (!st->uid)
			st->oom = true;
	}
	return 0;
}

/* The signer's primary key and user ID from the status lines, when they
 * are there and are about this one signature by signer. */
static bool status_knows_signer(const sig_status *st, const char *signer)
{
	return st->newsig == 1 && st->validsig == 1 && st->goodsig == 1 && st->primary[0] &&
	       strcmp(st->signer, signer) == 0;
}

/* ---- verification ----------------------------------------------------- */

static int verify_result(bg_sigctx *ctx, gpgme_error_t e, const plain_sink *plain,
			 const sig_status *st, bg_sigresult *res, bg_error *err);

/* GnuPG's part: exactly one good signature by an allowed key; on success
 * plain holds the signed bytes.  Returns <0 only when GnuPG could not be
 * run; a refusal is recorded in res. */
static int verify_crypto(bg_sigctx *ctx, const unsigned char *blob, size_t len, plain_sink *plain,
			 bg_sigresult *res, bg_error *err)
{
	gpgme_ctx_t g = ctx->gpg->gpgme;
	gpgme_data_t sig = NULL, out = NULL;
	struct gpgme_data_cbs cbs = {.write = plain_write};
	gpgme_error_t e = gpgme_data_new_from_mem(&sig, (const char *)blob, len, 0);
	if (!e)
		e = gpgme_data_new_from_cbs(&out, &cbs, plain);
	if (e) {
		gpgme_data_release(sig);
		return bg_error_set(err, BG_E_EVAL, "gpgme data setup failed: %s", gpgme_strerror(e));
	}
	sig_status st = {0};
	bool full_status = gpgme_set_ctx_flag(g, "full-status", "1") == 0;
	if (full_status)
		gpgme_set_status_cb(g, sig_status_cb, &st);
	e = gpgme_op_verify(g, sig, NULL, out);
	if (full_status) {
		gpgme_set_status_cb(g, NULL, NULL);
		gpgme_set_ctx_flag(g, "full-status", "0");
	}
	gpgme_data_release(sig);
	gpgme_data_release(out);
	int rc = verify_result(ctx, e, plain, &st, res, err);
	free(st.uid);
	return rc;
}

/* Judge gpgme_op_verify's outcome e (see verify_crypto). */
static int verify_result(bg_sigctx *ctx, gpgme_error_t e, const plain_sink *plain,
			 const sig_status *st, bg_sigresult *res, bg_error *err)
{
	gpgme_ctx_t g = ctx->gpg->gpgme;
	if (st->oom)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (plain->overflow)
		return reject(res, BG_SIGREJ_FORMAT, err, "the signed payload is larger than %lu bytes",
			      (unsigned long)plain->max);
	if (plain->buf.oom)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	if (e && engine_failure(e))
		return bg_error_set(err, BG_E_EVAL, "GnuPG could not verify the signature: %s",
				    gpgme_strerror(e));
	if (e)
		return reject(res, BG_SIGREJ_CRYPTO, err, "not a valid OpenPGP signed message: %s",
			      gpgme_strerror(e));

	gpgme_verify_result_t vr = gpgme_op_verify_result(g);
	size_t n = 0;
	for (gpgme_signature_t s = vr ? vr->signatures : NULL; s; s = s->next)
		n++;
	if (n == 0)
		return reject(res, BG_SIGREJ_CRYPTO, err,
			      "the OpenPGP message holds no signature (unsigned or encrypted data)");
	if (n > 1)
		return reject(res, BG_SIGREJ_CRYPTO, err,
			      "the OpenPGP message holds %zu signatures; exactly one is required", n);
	gpgme_signature_t s = vr->signatures;
	if (gpg_err_code(s->status) != GPG_ERR_NO_ERROR)
		return status_reject(res, s, err);
	if (!s->fpr || s->validity == GPGME_VALIDITY_NEVER || s->validity_reason ||
	    s->wrong_key_usage)
		return reject(res, BG_SIGREJ_CRYPTO, err,
			      "signature by key %s not valid (validity never, %s%s)",
			      s->fpr ? s->fpr : "(unknown)",
			      s->wrong_key_usage ? "key not made for signing: " : "",
			      gpgme_strerror(s->validity_reason));

	int rc;
	if ((rc = set_str(&res->signer_fpr, s->fpr, err)) < 0)
		return rc;
	for (char *p = res->signer_fpr; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (status_knows_signer(st, res->signer_fpr)) {
		if ((rc = set_str(&res->primary_fpr, st->primary, err)) < 0 ||
		    (rc = set_str(&res->uid, st->uid, err)) < 0)
			return rc;
		return check_signer(ctx, res, err);
	}
	if ((rc = list_keys(ctx, err)) < 0)
		return rc;
	const keyinfo *k = find_key(ctx, res->signer_fpr);
	if (k && ((rc = set_str(&res->primary_fpr, k->primary, err)) < 0 ||
		  (rc = set_str(&res->uid, k->uid, err)) < 0))
		return rc;
	return check_signer(ctx, res, err);
}

int bg_sigctx_verify(bg_sigctx *ctx, const void *blob, size_t len, const char *manifest_digest,
		     const bg_sigidentity *rule, bg_sigresult *res, bg_error *err)
{
	memset(res, 0, sizeof *res);
	bg_digest_algorithm alg = BG_DIGEST_NONE;
	bg_error derr = {0};
	if (!manifest_digest || bg_digest_parse(manifest_digest, &alg, NULL, &derr) < 0 ||
	    alg != BG_DIGEST_SHA256)
		return bg_error_set(err, BG_E_USAGE,
				    "manifest digest \"%s\" is not sha256:<64 lower-case hex>%s%s",
				    manifest_digest ? manifest_digest : "", derr.message[0] ? ": " : "",
				    derr.message);
	int rc = check_rule(rule, err);
	if (rc < 0)
		return rc;

	const unsigned char *b = blob;
	if (len == 0)
		return reject(res, BG_SIGREJ_FORMAT, err, "the signature is empty");
	if (len > BG_MAX_SIGNATURE_BYTES)
		return reject(res, BG_SIGREJ_FORMAT, err, "the signature is larger than %lu bytes",
			      (unsigned long)BG_MAX_SIGNATURE_BYTES);
	if (!binary_openpgp_start(b[0]))
		return reject(res, BG_SIGREJ_FORMAT, err,
			      "not a binary OpenPGP signed message (first byte 0x%02x)%s", b[0],
			      b[0] == '-' ? "; ASCII-armored and cleartext-signed signatures are "
					    "not accepted"
					  : "");
	if (ctx->keys.n == 0)
		return reject(res, BG_SIGREJ_SIGNER, err,
			      "no public keys were imported, so no signature can be trusted");

	plain_sink plain = {.max = BG_MAX_SIGNATURE_BYTES};
	rc = verify_crypto(ctx, b, len, &plain, res, err);
	if (rc < 0 || res->reason) {
		bg_strbuf_free(&plain.buf);
		return rc;
	}

	/* Only authenticated bytes reach the JSON parser. */
	bg_sigpayload p = {0};
	bg_error perr = {0};
	rc = bg_sigpayload_parse(plain.buf.s ? plain.buf.s : "", plain.buf.len, &p, &perr);
	bg_strbuf_free(&plain.buf);
	if (rc == BG_E_NOMEM)
		return bg_error_set(err, rc, "out of memory");
	if (rc < 0)
		return reject(res, BG_SIGREJ_PAYLOAD, err, "%s", perr.message);
	res->signed_digest = BG_TAKE_PTR(p.docker_manifest_digest);
	res->signed_identity = BG_TAKE_PTR(p.docker_reference);
	res->creator = BG_TAKE_PTR(p.creator);
	res->has_timestamp = p.has_timestamp;
	res->timestamp = p.timestamp;
	bg_sigpayload_free(&p);

	if (!bg_digest_equal(res->signed_digest, manifest_digest))
		return reject(res, BG_SIGREJ_DIGEST, err,
			      "the signature is for manifest digest %s, not %s", res->signed_digest,
			      manifest_digest);
	rc = check_identity(rule, res, err);
	if (rc < 0 || res->reason)
		return rc;
	res->accepted = true;
	res->rejected_by = BG_SIGREJ_NONE;
	return 0;
}
