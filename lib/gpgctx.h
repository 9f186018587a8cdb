/* bootgate — private: an ephemeral GnuPG home with a gpgme context on it.
 *
 * Each bg_gpgctx owns a fresh directory "<TMPDIR or /tmp>/bootgate-gpg-XXXXXX"
 * (short, for GnuPG's socket paths) whose gpg.conf says `no-autostart` and
 * `no-auto-key-retrieve`: importing public keys and verifying signatures need
 * no agent and no network, so none is started and no key is fetched from
 * anywhere.  It also says `trust-model always`: the caller's allow-list of
 * fingerprints is the trust decision, so gpg keeps no trust database (key
 * and signature expiry and revocation are still checked and reported).
 * bg_gpgctx_close runs `gpgconf --homedir H --kill all` only when a daemon
 * socket of the home exists (in case a GnuPG version ignores no-autostart),
 * then removes the directory. */
#ifndef BOOTGATE_GPGCTX_H
#define BOOTGATE_GPGCTX_H

#include <stddef.h>

#include <gpgme.h>

#include "bootgate/error.h"
#include "util.h"

/* Prefix of every ephemeral home's directory name (tests look for leftovers). */
#define BG_GPG_HOME_PREFIX "bootgate-gpg-"

typedef struct bg_gpgctx {
	char *home;
	gpgme_ctx_t gpgme;
} bg_gpgctx;

/* gpgme_check_version and the OpenPGP engine check, once per process
 * (pthread_once); later calls return the first outcome.  It sets gpgme's
 * global flag disable-gpgconf first (gpgme then runs only `gpg --version`
 * to learn its engines, not gpgconf and gpgsm), which takes effect only
 * when it is the first gpgme user in the process.  BG_E_EVAL when gpgme or
 * gpg is unusable. */
int bg_gpgme_init(bg_error *err);

/* Create the home and the context.  On failure nothing is left behind. */
int bg_gpgctx_open(bg_gpgctx **out, bg_error *err);

/* Import key material (armored or binary, one or many keys).  Every
 * transferable key is split out and imported on its own; the primary
 * fingerprints that GnuPG imported are appended to fprs (if not there yet),
 * and a line per key block it could not import to notes.  what names the
 * data in notes.  Errors: BG_E_EVAL when gpgme itself fails, BG_E_NOMEM. */
int bg_gpgctx_import(bg_gpgctx *g, const void *data, size_t len, const char *what, bg_strv *fprs,
		     bg_strv *notes, bg_error *err);

/* Stop the home's daemons, remove it, free.  Accepts NULL. */
void bg_gpgctx_close(bg_gpgctx *g);

#endif
