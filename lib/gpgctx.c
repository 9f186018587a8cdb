/* bootgate — ephemeral GnuPG homes for signature verification (see gpgctx.h). */
#include "gpgctx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <locale.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

extern char **environ;

/* ---- one-time gpgme initialisation ----------------------------------- */

/* The outcome of the one initialisation; written once under pthread_once
 * and only read afterwards. */
static pthread_once_t gpgme_once = PTHREAD_ONCE_INIT;
static char gpgme_init_error[256];

static void gpgme_init_once(void)
{
	/* Without gpgconf, gpgme finds gpg on $PATH and its engine-info pass
	 * runs only `gpg --version`: with it, every process start costs
	 * `gpgconf --list-dirs`, `--list-components` and `--version` and
	 * `gpgsm --version` too, none of which verification needs.  A global
	 * flag only counts before gpgme_check_version; if another part of the
	 * process initialised gpgme first, the flag fails and gpgme just keeps
	 * using gpgconf (slower, same results). */
	gpgme_set_global_flag("disable-gpgconf", "1");
	/* gpgme needs gpgme_check_version before anything else.  The locale
	 * is only used for pinentry, which verification never runs; pass "C"
	 * rather than reading the process locale. */
	if (!gpgme_check_version("1.8.0")) {
		snprintf(gpgme_init_error, sizeof gpgme_init_error,
			 "gpgme %s is too old or unusable; bootgate needs gpgme 1.8.0 or later",
			 gpgme_check_version(NULL) ? gpgme_check_version(NULL) : "(unknown)");
		return;
	}
	gpgme_set_locale(NULL, LC_CTYPE, "C");
	gpgme_error_t e = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	if (e)
		snprintf(gpgme_init_error, sizeof gpgme_init_error,
			 "GnuPG (gpg) is not usable through gpgme: %s; install gnupg 2.2 or later",
			 gpgme_strerror(e));
}

int bg_gpgme_init(bg_error *err)
{
	pthread_once(&gpgme_once, gpgme_init_once);
	if (gpgme_init_error[0])
		return bg_error_set(err, BG_E_EVAL, "%s", gpgme_init_error);
	return 0;
}

/* ---- the home directory ---------------------------------------------- */

/* GnuPG puts its sockets in the home: keep the path well under the Unix
 * socket limit (108 bytes), falling back to /tmp for a long $TMPDIR.
 * *len excludes trailing slashes, so that the home's name is the one
 * GnuPG uses (it strips them; the socket directory's name hashes it). */
static const char *temp_base(int *len)
{
	const char *t = getenv("TMPDIR");
	if (!t || t[0] != '/' || strlen(t) > 64)
		t = "/tmp";
	size_t n = strlen(t);
	while (n > 1 && t[n - 1] == '/')
		n--;
	*len = t[n - 1] == '/' ? 0 : (int)n; /* "/" itself: "" + "/bootgate-gpg-..." */
	return t;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	/* Best effort: keep going whatever fails. */
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Where GnuPG 2.2 puts the sockets of a home given with --homedir
 * (common/homedir.c, _gnupg_socketdir_internal): in the home itself, or,
 * when BASE/user/<uid> exists for one of these bases, in
 * BASE/user/<uid>/gnupg/d.<z-base-32 of the first 120 bits of SHA-1(home)>.
 * Which base (and whether GnuPG fell back to the home because of
 * permissions) is GnuPG's choice, so every candidate is looked at. */
static const char *const run_bases[] = {"/run/gnupg", "/run", "/var/run/gnupg", "/var/run"};
#define N_RUN_BASES (sizeof run_bases / sizeof run_bases[0])

/* "d." and the z-base-32 (GnuPG common/zb32.c) of SHA-1(home)[0..15). */
static bool hashed_subdir_name(const char *home, char out[27])
{
	static const char zb32[] = "ybndrfg8ejkmcpqxot1uwisza345h769";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(home, strlen(home), md, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
		return false;
	memcpy(out, "d.", 2);
	unsigned acc = 0;
	int bits = 0;
	size_t o = 2;
	for (size_t i = 0; i < 15; i++) {
		acc = (acc << 8) | md[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = zb32[(acc >> bits) & 31];
		}
	}
	out[o] = '\0'; /* 120 bits: exactly 24 characters */
	return true;
}

/* The run-directory candidates of the home's socket directory that exist. */
static size_t run_socket_dirs(const char *home, char dirs[N_RUN_BASES][96])
{
	char sub[27];
	if (!hashed_subdir_name(home, sub))
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < N_RUN_BASES; i++) {
		struct stat st;
		int w = snprintf(dirs[n], sizeof dirs[n], "%s/user/%u/gnupg/%s", run_bases[i],
				 (unsigned)getuid(), sub);
		if (w > 0 && (size_t)w < sizeof dirs[n] && stat(dirs[n], &st) == 0 &&
		    S_ISDIR(st.st_mode))
			n++;
	}
	return n;
}

/* Does dir hold a GnuPG socket (S.gpg-agent, S.dirmngr, S.scdaemon, ...)?
 * A daemon creates its socket when it starts and only gpgconf --kill can
 * reach a daemon through one. */
static bool has_socket(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d)))
		found = strncmp(e->d_name, "S.", 2) == 0;
	closedir(d);
	return found;
}

/* gpgconf next to the gpg that gpgme runs (that engine info is cached by
 * bg_gpgme_init, so asking costs no process), else from $PATH. */
static char *gpgconf_path(void)
{
	gpgme_engine_info_t info = NULL;
	if (gpgme_get_engine_info(&info) != 0)
		return NULL;
	for (; info; info = info->next) {
		if (info->protocol != GPGME_PROTOCOL_OpenPGP || !info->file_name)
			continue;
		const char *slash = strrchr(info->file_name, '/');
		char *p = NULL;
		if (slash && asprintf(&p, "%.*s/gpgconf", (int)(slash - info->file_name),
				      info->file_name) >= 0) {
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
		break;
	}
	return bg_strdup("gpgconf");
}

/* Run `gpgconf --homedir HOME --kill all` with no input or output and wait
 * for it.  Failures are ignored: this is cleanup. */
static void run_gpgconf_kill(const char *home)
{
	_cleanup_free_ char *gpgconf = gpgconf_path();
	if (!gpgconf)
		return;
	posix_spawn_file_actions_t fa;
	if (posix_spawn_file_actions_init(&fa) != 0)
		return;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = {gpgconf, (char *)"--homedir", (char *)home, (char *)"--kill", (char *)"all",
			NULL};
	pid_t pid;
	if (posix_spawnp(&pid, gpgconf, &fa, NULL, argv, environ) == 0) {
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	posix_spawn_file_actions_destroy(&fa);
}

/* gpg.conf says no-autostart, so normally no daemon runs and no socket
 * exists: then nothing is spawned (gpgconf --kill all would start three
 * gpg-connect-agent processes just to find that out).  Should a GnuPG
 * version start one anyway, its socket shows and gpgconf stops it.  The
 * run-directory socket directory, if GnuPG made one for this home, is
 * removed too (rmdir: only when empty). */
static void stop_daemons(const char *home)
{
	char dirs[N_RUN_BASES][96];
	size_t n = run_socket_dirs(home, dirs);
	bool found = has_socket(home);
	for (size_t i = 0; i < n && !found; i++)
		found = has_socket(dirs[i]);
	if (found)
		run_gpgconf_kill(home);
	for (size_t i = 0; i < n; i++)
		rmdir(dirs[i]);
}

void bg_gpgctx_close(bg_gpgctx *g)
{
	if (!g)
		return;
	if (g->gpgme)
		gpgme_release(g->gpgme);
	if (g->home) {
		stop_daemons(g->home);
		/* Depth-first, never following symlinks out of the home. */
		nftw(g->home, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
		rmdir(g->home);
	}
	free(g->home);
	free(g);
}

static int write_conf(const char *home, bg_error *err)
{
	/* no-autostart: public-key import and verification need no gpg-agent,
	 * so none is started (none can be left behind).  no-auto-key-retrieve:
	 * a signature by an unknown key stays unknown; never fetch keys.
	 * trust-model always: who may sign is the caller's allow-list of full
	 * fingerprints, not GnuPG's web of trust, so gpg neither builds nor
	 * checks a trust database on import and verify; expired and revoked
	 * keys and signatures are still reported as such (EXPKEYSIG,
	 * REVKEYSIG, EXPSIG: not key validity, which this model skips). */
	static const char conf[] =
		"no-autostart\nno-auto-key-retrieve\nno-greeting\ntrust-model always\n";
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/gpg.conf", home) < 0) {
		path = NULL;
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return bg_error_set(err, BG_E_EVAL, "cannot create %s: %s", path, strerror(errno));
	ssize_t w = write(fd, conf, sizeof conf - 1);
	int saved = errno;
	if (close(fd) != 0 || w != (ssize_t)(sizeof conf - 1))
		return bg_error_set(err, BG_E_EVAL, "cannot write %s: %s", path,
				    strerror(w < 0 ? saved : EIO));
	return 0;
}

static int gpgme_fail(bg_error *err, const char *what, gpgme_error_t e)
{
	return bg_error_set(err, gpg_err_code(e) == GPG_ERR_ENOMEM ? BG_E_NOMEM : BG_E_EVAL,
			    "gpgme %s failed: %s", what, gpgme_strerror(e));
}

int bg_gpgctx_open(bg_gpgctx **out, bg_error *err)
{
	*out = NULL;
	int rc = bg_gpgme_init(err);
	if (rc < 0)
		return rc;
	bg_gpgctx *g = calloc(1, sizeof *g);
	if (!g)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	char *tmpl = NULL;
	int base_len = 0;
	const char *base = temp_base(&base_len);
	if (asprintf(&tmpl, "%.*s/" BG_GPG_HOME_PREFIX "XXXXXX", base_len, base) < 0) {
		free(g);
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	if (!mkdtemp(tmpl)) {
		rc = bg_error_set(err, BG_E_EVAL, "cannot create a temporary GnuPG home %s: %s", tmpl,
				  strerror(errno));
		free(tmpl);
		free(g);
		return rc;
	}
	g->home = tmpl;

	if ((rc = write_conf(g->home, err)) < 0)
		goto fail;
	gpgme_error_t e = gpgme_new(&g->gpgme);
	if (e) {
		g->gpgme = NULL;
		rc = gpgme_fail(err, "context creation", e);
		goto fail;
	}
	if ((e = gpgme_set_protocol(g->gpgme, GPGME_PROTOCOL_OpenPGP)) ||
	    (e = gpgme_ctx_set_engine_info(g->gpgme, GPGME_PROTOCOL_OpenPGP, NULL, g->home))) {
		rc = gpgme_fail(err, "setup", e);
		goto fail;
	}
	gpgme_set_armor(g->gpgme, 0);
	gpgme_set_textmode(g->gpgme, 0);
	gpgme_set_offline(g->gpgme, 1);
	gpgme_set_keylist_mode(g->gpgme, GPGME_KEYLIST_MODE_LOCAL);
	*out = g;
	return 0;
fail:
	bg_gpgctx_close(g);
	return rc;
}

/* ---- key import ------------------------------------------------------ */

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode the base64 body of one armor block (whitespace ignored, '='
 * padding ends it).  false for any other character. */
static bool b64_decode(const char *s, size_t n, bg_strbuf *out)
{
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=')
			break;
		int v = b64_value(c);
		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			bg_strbuf_putc(out, (char)((acc >> bits) & 0xff));
		}
	}
	return !out->oom;
}

static const char *find_line(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *q = p; q < end; q++) {
		if ((q == p || q[-1] == '\n') && (size_t)(end - q) >= n && memcmp(q, prefix, n) == 0)
			return q;
	}
	return NULL;
}

static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? nl + 1 : end;
}

static bool blank_line(const char *p, const char *e)
{
	for (; p < e; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			return false;
	return true;
}

/* One OpenPGP packet header at data[off]: its tag, body start and end.
 * false when it is not a packet header, uses partial body lengths (never
 * valid in keys) or runs past the end. */
static bool packet_at(const unsigned char *d, size_t len, size_t off, int *tag, size_t *body,
		      size_t *next)
{
	if (off >= len || !(d[off] & 0x80))
		return false;
	size_t p = off + 1, blen;
	if (d[off] & 0x40) { /* new format */
		*tag = d[off] & 0x3f;
		if (p >= len)
			return false;
		unsigned o = d[p++];
		if (o < 192) {
			blen = o;
		} else if (o < 224) {
			if (p >= len)
				return false;
			blen = ((size_t)(o - 192) << 8) + d[p++] + 192;
		} else if (o == 255) {
			if (len - p < 4)
				return false;
			blen = (size_t)d[p] << 24 | (size_t)d[p + 1] << 16 | (size_t)d[p + 2] << 8 | d[p + 3];
			p += 4;
		} else {
			return false;
		}
	} else { /* old format */
		*tag = (d[off] >> 2) & 0x0f;
		int lt = d[off] & 3;
		if (lt == 3) {
			blen = len - p;
		} else {
			size_t nb = lt == 0 ? 1 : lt == 1 ? 2 : 4;
			if (len - p < nb)
				return false;
			blen = 0;
			for (size_t i = 0; i < nb; i++)
				blen = blen << 8 | d[p + i];
			p += nb;
		}
	}
	if (blen > len - p)
		return false;
	*body = p;
	*next = p + blen;
	return true;
}

typedef struct import_state {
	bg_gpgctx *g;
	const char *what;
	bg_strv *fprs, *notes;
	size_t block; /* key blocks seen, for notes */
} import_state;

static int note(import_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int note(import_state *st, const char *fmt, ...)
{
	bg_strbuf b = {0};
	va_list ap;
	char *s = NULL;
	bg_strbuf_printf(&b, "%s: ", st->what);
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		bg_strbuf_free(&b);
		return BG_E_NOMEM;
	}
	bg_strbuf_puts(&b, s);
	free(s);
	char *line = bg_strbuf_take(&b);
	if (!line || bg_strv_push_take(st->notes, line) < 0)
		return BG_E_NOMEM;
	return 0;
}

/* Hand one chunk to gpg and collect what it imported. */
static int import_chunk(import_state *st, const void *data, size_t len, const char *desc,
			bg_error *err)
{
	st->block++;
	gpgme_data_t d;
	gpgme_error_t e = gpgme_data_new_from_mem(&d, data, len, 0);
	if (e)
		return gpgme_fail(err, "data setup", e);
	e = gpgme_op_import(st->g->gpgme, d);
	gpgme_data_release(d);
	if (e) {
		gpg_err_code_t c = gpg_err_code(e);
		if (c == GPG_ERR_ENOMEM || c == GPG_ERR_INV_ENGINE || c == GPG_ERR_ENOENT)
			return gpgme_fail(err, "key import", e);
		/* Anything else is about this data: note it and go on. */
		if (note(st, "key block %zu (%s) not imported: %s", st->block, desc,
			 gpgme_strerror(e)) < 0)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		return 0;
	}
	gpgme_import_result_t r = gpgme_op_import_result(st->g->gpgme);
	size_t got = 0;
	const char *why = NULL;
	for (gpgme_import_status_t s = r ? r->imports : NULL; s; s = s->next) {
		if (s->result != 0 || !s->fpr) {
			why = gpgme_strerror(s->result);
			continue;
		}
		got++;
		if (!bg_strv_contains(st->fprs, s->fpr) && bg_strv_push(st->fprs, s->fpr) < 0)
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
	}
	if (got == 0 && note(st, "key block %zu (%s) not imported: %s", st->block, desc,
			     why ? why : "GnuPG found no key it could read in it") < 0)
		return bg_error_set(err, BG_E_NOMEM, "out of memory");
	return 0;
}

/* Binary OpenPGP: one import per transferable key (each starts with a
 * public-key or secret-key packet), so that GnuPG giving up on one key (an
 * OpenPGP v6 key on GnuPG 2.2 makes it drop the key before it too) costs only
 * that key.  Data that does not parse as packets goes to gpg whole. */
static int import_binary(import_state *st, const unsigned char *d, size_t len, bg_error *err)
{
	size_t off = 0, start = 0, body, next;
	int tag, version = -1;
	bool any_key = false, parsed = true;
	while (off < len) {
		if (!packet_at(d, len, off, &tag, &body, &next)) {
			parsed = false;
			break;
		}
		if (tag == 6 || tag == 5) {
			if (any_key) {
				char desc[48];
				snprintf(desc, sizeof desc, "OpenPGP v%d key", version);
				int rc = import_chunk(st, d + start, off - start, desc, err);
				if (rc < 0)
					return rc;
			}
			any_key = true;
			start = off;
			version = body < next ? d[body] : -1;
		}
		off = next;
	}
	if (!parsed && !any_key)
		return import_chunk(st, d, len, "not OpenPGP key packets", err);
	char desc[64];
	if (any_key)
		snprintf(desc, sizeof desc, "OpenPGP v%d key%s", version,
			 parsed ? "" : ", followed by unreadable data");
	else
		snprintf(desc, sizeof desc, "no key packet");
	return import_chunk(st, d + start, len - start, desc, err);
}

int bg_gpgctx_import(bg_gpgctx *g, const void *data, size_t len, const char *what, bg_strv *fprs,
		     bg_strv *notes, bg_error *err)
{
	import_state st = {.g = g, .what = what ? what : "key data", .fprs = fprs, .notes = notes};
	const char *p = data, *end = p + len;
	static const char begin[] = "-----BEGIN PGP ";
	const char *b = find_line(p, end, begin);
	if (!b)
		return import_binary(&st, data, len, err);

	/* Armored: every block on its own, de-armored here so that the keys
	 * inside each block can be split too. */
	for (; b; b = find_line(p, end, begin)) {
		const char *hdr_end = line_end(b, end);
		const char *e = find_line(hdr_end, end, "-----END PGP ");
		const char *block_end = e ? line_end(e, end) : end;
		/* Armor headers ("Version: ...") run to the first blank line. */
		const char *body = hdr_end;
		const char *l = hdr_end;
		const char *stop = e ? e : end;
		while (l < stop) {
			const char *le = line_end(l, stop);
			if (blank_line(l, le)) {
				body = le;
				break;
			}
			if (!memchr(l, ':', (size_t)(le - l)))
				break; /* no headers and no blank line: body starts here */
			l = le;
		}
		/* The body ends at the checksum line ("=abcd") or the END line. */
		const char *body_end = stop;
		for (const char *q = body; q < stop; q = line_end(q, stop))
			if (*q == '=') {
				body_end = q;
				break;
			}
		bg_strbuf bin = {0};
		int rc;
		if (e && b64_decode(body, (size_t)(body_end - body), &bin) && bin.len > 0) {
			rc = import_binary(&st, (const unsigned char *)bin.s, bin.len, err);
		} else if (bin.oom) {
			rc = bg_error_set(err, BG_E_NOMEM, "out of memory");
		} else {
			/* Unterminated or not base64: let gpg judge the text. */
			rc = import_chunk(&st, b, (size_t)(block_end - b), "armor block", err);
		}
		bg_strbuf_free(&bin);
		if (rc < 0)
			return rc;
		p = block_end;
	}
	return 0;
}
