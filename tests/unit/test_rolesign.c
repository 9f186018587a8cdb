/* Unit tests for role manifest signatures: keys made by the test in a
 * temporary GnuPG home; threshold, wrong key, tampered byte, expiry, replay
 * (minimum serial and state file), a signer counted once however many files
 * it signed.  Afterwards no GnuPG daemon and no directory is left behind. */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bootgate/roles.h"
#include "util.h"
#include "tests/tap.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static char root[64], home[128], tmpdir[128];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Make a signing key; its fingerprint into fpr. */
static bool genkey(const char *uid, char fpr[41])
{
	if (sh("gpg --homedir %s --batch --pinentry-mode loopback --passphrase '' --quick-gen-key '%s' "
	       "ed25519 sign never >/dev/null 2>&1", home, uid) != 0)
		return false;
	char cmd[512];
	snprintf(cmd, sizeof cmd,
		 "gpg --homedir %s --batch --with-colons --list-secret-keys '%s' 2>/dev/null | "
		 "awk -F: '$1==\"fpr\"{print $10; exit}'", home, uid);
	FILE *p = popen(cmd, "r");
	if (!p)
		return false;
	bool got = fgets(fpr, 41, p) && strlen(fpr) == 40;
	pclose(p);
	return got;
}

static char *path_in(const char *name)
{
	static char buf[8][256];
	static int i;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof buf[i], "%s/%s", root, name);
	return buf[i];
}

static bool write_manifest(const char *path, int64_t serial, int64_t expires, const char *digest)
{
	bg_error err;
	bg_role_manifest *m = NULL;
	if (bg_roles_new(serial, expires, &m, &err) < 0)
		return false;
	bg_role_entry e = {.name = (char *)"web", .repository = (char *)"registry.example.com/fleet/web",
			   .manifest_digest = (char *)digest, .evidence = {.verdict = (char *)"pass"},
			   .recorded = (int64_t)time(NULL) - 60};
	bool good = bg_roles_record(m, &e, &err) == 0 && bg_roles_write(m, path, &err) == 0;
	bg_roles_free(m);
	return good;
}

static bool sign(const char *manifest, const char *fpr)
{
	bg_error err;
	char *sig = NULL;
	bg_error_clear(&err);
	int rc = bg_roles_sign(manifest, fpr, home, 0, &sig, &err);
	if (rc < 0)
		tap_diag("sign: %s", err.message);
	free(sig);
	return rc == 0;
}

/* Verify; returns rc, fills *accepted and copies the reason. */
static int verify(const char *manifest, bg_roles_verify_options o, bool *accepted, char *reason,
		  size_t *n_signers)
{
	bg_roles_verify_result res;
	bg_error err;
	bg_error_clear(&err);
	int rc = bg_roles_verify(manifest, &o, &res, &err);
	*accepted = rc == 0 && res.accepted;
	snprintf(reason, 1024, "%s", rc < 0 ? err.message : res.reason ? res.reason : "");
	for (size_t i = 0; i < res.n_notes; i++)
		if (strlen(reason) + strlen(res.notes[i]) + 4 < 1024) {
			strcat(reason, " | ");
			strcat(reason, res.notes[i]);
		}
	if (n_signers)
		*n_signers = res.n_signers;
	bg_roles_verify_result_free(&res);
	return rc;
}

static bool dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n == 0;
}

/* Any process whose command line mentions our directory (a gpg-agent
 * started for the test home or a verification home)? */
static bool process_mentions(const char *needle)
{
	DIR *d = opendir("/proc");
	if (!d)
		return false;
	struct dirent *de;
	bool found = false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		char p[300], buf[4096];
		snprintf(p, sizeof p, "/proc/%s/cmdline", de->d_name);
		FILE *f = fopen(p, "r");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		for (size_t i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[n] = '\0';
		found = strstr(buf, needle) != NULL;
	}
	closedir(d);
	return found;
}

int main(void)
{
	if (sh("command -v gpg >/dev/null 2>&1 && command -v gpgconf >/dev/null 2>&1") != 0)
		return tap_skip_all("gpg not installed");
	snprintf(root, sizeof root, "/tmp/bg-rolesign-XXXXXX");
	if (!mkdtemp(root))
		return tap_skip_all("cannot create a temporary directory");
	snprintf(home, sizeof home, "%s/gnupg", root);
	snprintf(tmpdir, sizeof tmpdir, "%s/tmp", root);
	mkdir(home, 0700);
	mkdir(tmpdir, 0700);
	/* Verification homes go under our directory, so we can check they are gone. */
	setenv("TMPDIR", tmpdir, 1);

	char rm1[41] = "", rm2[41] = "", outsider[41] = "";
	ok(genkey("Release Manager One <rm1@example.com>", rm1), "generate key rm1 %s", rm1);
	ok(genkey("Release Manager Two <rm2@example.com>", rm2), "generate key rm2 %s", rm2);
	ok(genkey("Outsider <eve@example.com>", outsider), "generate key outsider %s", outsider);
	const char *keyring = path_in("keyring.asc"), *wrong_keyring = path_in("wrong.asc");
	ok(sh("gpg --homedir %s --batch --armor --export %s %s > %s 2>/dev/null", home, rm1, rm2, keyring) == 0,
	   "export the release managers' keyring");
	ok(sh("gpg --homedir %s --batch --armor --export %s > %s 2>/dev/null", home, outsider, wrong_keyring) == 0,
	   "export the outsider's key");

	int64_t now = (int64_t)time(NULL);
	const char *m = path_in("roles.manifest.json");
	ok(write_manifest(m, 5, now + 86400, D1), "write manifest serial 5");

	bool acc;
	char why[1024];
	size_t ns = 0;
	bg_roles_verify_options o = {.keyring = keyring, .threshold = 2};

	ok(sign(m, rm1), "rm1 signs");
	char sig1[300];
	snprintf(sig1, sizeof sig1, "%s.%s.sig", m, rm1);
	ok(access(sig1, R_OK) == 0, "signature written to <manifest>.<FPR>.sig");
	int rc = verify(m, o, &acc, why, &ns);
	ok(rc == 0 && !acc && ns == 1 && strstr(why, "1 valid signature") && strstr(why, "2 required"),
	   "one of two signers with threshold 2: rejected (%s)", why);
	o.threshold = 1;
	rc = verify(m, o, &acc, why, &ns);
	ok(rc == 0 && acc, "one signer with threshold 1: accepted (%s)", why);
	o.threshold = 2;

	ok(sign(m, rm2), "rm2 signs");
	rc = verify(m, o, &acc, why, &ns);
	ok(rc == 0 && acc && ns == 2, "two distinct signers with threshold 2: accepted (%s)", why);

	/* Pinning narrows the keyring. */
	const char *pins[] = {rm1};
	bg_roles_verify_options op = o;
	op.allowed = pins;
	op.n_allowed = 1;
	rc = verify(m, op, &acc, why, &ns);
	ok(rc == 0 && !acc && ns == 1 && strstr(why, "not an allowed signer"),
	   "only rm1 allowed: rm2's signature not counted (%s)", why);

	/* Wrong key: signatures by keys not in the keyring. */
	bg_roles_verify_options ow = {.keyring = wrong_keyring, .threshold = 1};
	rc = verify(m, ow, &acc, why, &ns);
	ok(rc == 0 && !acc && ns == 0 && strstr(why, "not in the keyring"),
	   "keyring of another key: no signature counts (%s)", why);
	ok(sign(m, outsider), "the outsider signs too");
	o.threshold = 3;
	rc = verify(m, o, &acc, why, &ns);
	ok(rc == 0 && !acc && ns == 2, "outsider's signature does not count towards threshold 3 (%s)", why);
	o.threshold = 2;
	char sig3[300];
	snprintf(sig3, sizeof sig3, "%s.%s.sig", m, outsider);
	unlink(sig3);

	/* Tampered byte: the same signatures over a copy with one byte changed. */
	const char *t = path_in("tampered.json");
	ok(sh("sed 's/\"pass\"/\"pasS\"/' %s > %s", m, t) == 0, "make a tampered copy");
	char sig2[300];
	snprintf(sig2, sizeof sig2, "%s.%s.sig", m, rm2);
	const char *sigs[] = {sig1, sig2};
	bg_roles_verify_options ot = o;
	ot.signatures = sigs;
	ot.n_signatures = 2;
	rc = verify(t, ot, &acc, why, &ns);
	ok(rc == 0 && !acc && ns == 0 && strstr(why, "BAD signature"), "tampered byte: rejected (%s)", why);
	rc = verify(m, ot, &acc, why, &ns);
	ok(rc == 0 && acc, "explicit signature list over the original: accepted");

	/* Expired. */
	bg_roles_verify_options oe = o;
	oe.now = now + 86400 + 1;
	rc = verify(m, oe, &acc, why, &ns);
	ok(rc == 0 && !acc && strstr(why, "expired"), "expired manifest: rejected (%s)", why);
	oe.now = now + 86400;
	rc = verify(m, oe, &acc, why, &ns);
	ok(rc == 0 && !acc, "at the expiry instant: rejected");

	/* Lower serial: --min-serial. */
	bg_roles_verify_options om = o;
	om.min_serial = 6;
	rc = verify(m, om, &acc, why, &ns);
	ok(rc == 0 && !acc && strstr(why, "lower than the minimum 6"), "serial 5 below --min-serial 6: rejected (%s)", why);
	om.min_serial = 5;
	rc = verify(m, om, &acc, why, &ns);
	ok(rc == 0 && acc, "serial equal to --min-serial: accepted");

	/* State file: records the highest serial; an older manifest is refused. */
	const char *state = path_in("state.json");
	bg_roles_verify_options os = o;
	os.state_path = state;
	bg_roles_verify_result res;
	bg_error err;
	rc = bg_roles_verify(m, &os, &res, &err);
	ok(rc == 0 && res.accepted && res.state_updated, "first verification with a state file: accepted, state written");
	bg_roles_verify_result_free(&res);
	rc = verify(m, os, &acc, why, &ns);
	ok(rc == 0 && acc, "same manifest again: accepted (serial not lower)");

	const char *m6 = path_in("six/roles.manifest.json");
	sh("mkdir -p %s/six", root);
	ok(write_manifest(m6, 6, now + 86400, D2) && sign(m6, rm1) && sign(m6, rm2), "serial 6 signed by both");
	rc = verify(m6, os, &acc, why, &ns);
	ok(rc == 0 && acc, "serial 6 with the state: accepted (%s)", why);
	rc = verify(m, os, &acc, why, &ns);
	ok(rc == 0 && !acc && strstr(why, "lower than 6"), "replaying serial 5 after 6: rejected (%s)", why);

	const char *m6b = path_in("six-b/roles.manifest.json");
	sh("mkdir -p %s/six-b", root);
	ok(write_manifest(m6b, 6, now + 2 * 86400, D1) && sign(m6b, rm1) && sign(m6b, rm2),
	   "another serial 6 signed by both");
	rc = verify(m6b, os, &acc, why, &ns);
	ok(rc == 0 && !acc && strstr(why, "other content"), "same serial, other content: rejected (%s)", why);

	ok(sh("echo garbage > %s", state) == 0, "corrupt the state file");
	rc = verify(m6, os, &acc, why, &ns);
	ok(rc == BG_E_EVAL && !acc, "corrupt state file: could not evaluate, never 'no state' (%s)", why);

	/* Duplicate signer: rm1's signature under a second name counts once. */
	const char *md = path_in("dup/roles.manifest.json");
	sh("mkdir -p %s/dup", root);
	ok(write_manifest(md, 1, now + 86400, D1) && sign(md, rm1), "manifest signed by rm1 only");
	ok(sh("cp %s.%s.sig %s.%s.sig", md, rm1, md, rm2) == 0, "copy rm1's signature under rm2's file name");
	rc = verify(md, o, &acc, why, &ns);
	ok(rc == 0 && !acc && ns == 1 && strstr(why, "already signed"), "duplicate signer counted once: rejected (%s)", why);

	/* Signing refuses what should not be signed. */
	const char *mn = path_in("noncanon.json");
	ok(sh("sed 's/^  \"serial\"/   \"serial\"/' %s > %s", m, mn) == 0, "non-canonical copy");
	char *sp = NULL;
	bg_error_clear(&err);
	ok(bg_roles_sign(mn, rm1, home, 0, &sp, &err) == BG_E_USAGE && strstr(err.message, "canonical"),
	   "sign refuses a non-canonical manifest (%s)", err.message);
	bg_error_clear(&err);
	ok(bg_roles_sign(m, rm1, home, now + 86400 + 5, &sp, &err) == BG_E_USAGE && strstr(err.message, "expired"),
	   "sign refuses an expired manifest");
	bg_error_clear(&err);
	ok(bg_roles_sign(m, "1234", home, 0, &sp, &err) == BG_E_USAGE, "sign refuses a short key id");
	bg_error_clear(&err);
	ok(bg_roles_sign(m, "0000000000000000000000000000000000000000", home, 0, &sp, &err) == BG_E_USAGE,
	   "sign refuses a key that is not in the home");

	/* Usage errors. */
	bg_roles_verify_options ou = {.keyring = path_in("missing.asc"), .threshold = 1};
	rc = verify(m, ou, &acc, why, &ns);
	ok(rc == BG_E_USAGE && !acc, "missing keyring: usage error (%s)", why);
	ou.keyring = keyring;
	ou.threshold = 0;
	ok(verify(m, ou, &acc, why, &ns) == BG_E_USAGE, "threshold 0: usage error");
	ok(sh("echo not a key > %s", path_in("empty.asc")) == 0, "keyring without keys");
	ou.keyring = path_in("empty.asc");
	ou.threshold = 1;
	ok(verify(m, ou, &acc, why, &ns) == BG_E_USAGE && strstr(why, "no OpenPGP public key"),
	   "keyring without keys: usage error (%s)", why);

	/* Clean-up: every verification home is gone already; stop the test
	 * home's agent and remove everything. */
	ok(dir_empty(tmpdir), "no verification GnuPG home left behind in TMPDIR");
	sh("gpgconf --homedir %s --kill all >/dev/null 2>&1", home);
	sh("rm -rf %s", root);
	ok(access(root, F_OK) != 0, "test directory removed");
	usleep(200 * 1000);
	ok(!process_mentions(root), "no GnuPG daemon of the test is still running");
	return tap_done();
}
