/* Unit tests for auth.h: where credentials come from (order of sources),
 * which key of an auth file matches (most specific first, docker.io
 * aliases, URL-style keys), and that malformed files fail clearly without
 * echoing secrets.  Every case runs in a temporary HOME with the relevant
 * environment variables pointed into it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootgate/auth.h"
#include "tap.h"

static char home[256];

/* base64 of "user:pass" style strings used below. */
#define B64_A "YWxpY2U6YXBhc3M="      /* alice:apass */
#define B64_B "Ym9iOmJwYXNz"          /* bob:bpass */
#define B64_C "Y2Fyb2w6Y3Bhc3M="      /* carol:cpass */
#define B64_D "ZGF2ZTpkcGFzcw=="      /* dave:dpass */
#define B64_E "ZXZlOmVwYXNz"          /* eve:epass */
#define B64_COLON "dXNlcjpwYTpzcw=="  /* user:pa:ss */
#define B64_NULS "dXNlcjpwYXNzAAA="   /* user:pass\0\0\0 -> "pass" */
#define B64_NOCOLON "bm9jb2xvbg=="    /* nocolon */

static void write_file(const char *rel, const char *content)
{
	char path[512], dir[512];
	snprintf(path, sizeof path, "%s/%s", home, rel);
	snprintf(dir, sizeof dir, "%s", path);
	for (char *p = dir + strlen(home) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(content, f);
	fclose(f);
}

static void remove_file(const char *rel)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", home, rel);
	unlink(path);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static char *auths(const char *key, const char *b64)
{
	static char buf[1024];
	snprintf(buf, sizeof buf, "{\"auths\": {\"%s\": {\"auth\": \"%s\"}}}", key, b64);
	return buf;
}

/* Looks up name and checks the user (NULL: nothing found). */
static void expect(const char *name, const bg_auth_options *o, const char *user, const char *pass,
		   const char *source_suffix, const char *why)
{
	bg_credentials c;
	bool found = true;
	bg_error err = {0};
	int rc = bg_auth_lookup(name, o, &c, &found, &err);
	if (!ok(rc == 0, "%s: lookup succeeds", why))
		tap_diag("error: %s", err.message);
	if (!user) {
		ok(!found, "%s: no credentials", why);
	} else {
		ok(found, "%s: found", why);
		is_str(c.username, user, "%s: user", why);
		is_str(c.password, pass, "%s: password", why);
		ok(c.source && ends_with(c.source, source_suffix), "%s: source is %s (%s)", why,
		   source_suffix, c.source ? c.source : "(null)");
	}
	bg_credentials_free(&c);
}

static void expect_error(const char *name, const bg_auth_options *o, const char *in_message,
			 const char *why)
{
	bg_credentials c;
	bool found = true;
	bg_error err = {0};
	int rc = bg_auth_lookup(name, o, &c, &found, &err);
	is_int(rc, BG_E_USAGE, "%s: a usage error", why);
	ok(!found && c.username == NULL, "%s: nothing returned", why);
	ok(strstr(err.message, in_message) != NULL, "%s: message mentions \"%s\" (%s)", why, in_message,
	   err.message);
	ok(!strstr(err.message, "apass") && !strstr(err.message, "pa:ss") && !strstr(err.message, "nocolon"),
	   "%s: message does not echo a secret", why);
	bg_credentials_free(&c);
}

static void test_order(void)
{
	bg_auth_options none = {0};
	const char *name = "quay.io/team/app";
	expect(name, &none, NULL, NULL, NULL, "no files at all");

	write_file(".docker/config.json", auths("quay.io", B64_E));
	expect(name, &none, "eve", "epass", "/.docker/config.json", "~/.docker/config.json alone");

	write_file(".config/containers/auth.json", auths("quay.io", B64_D));
	expect(name, &none, "dave", "dpass", "/.config/containers/auth.json",
	       "~/.config/containers/auth.json before ~/.docker/config.json");

	write_file("run/containers/auth.json", auths("quay.io", B64_C));
	expect(name, &none, "carol", "cpass", "/run/containers/auth.json",
	       "$XDG_RUNTIME_DIR/containers/auth.json before ~/.config");

	char env[512];
	snprintf(env, sizeof env, "%s/registry-auth.json", home);
	write_file("registry-auth.json", auths("quay.io", B64_B));
	setenv("REGISTRY_AUTH_FILE", env, 1);
	expect(name, &none, "bob", "bpass", "/registry-auth.json", "$REGISTRY_AUTH_FILE before XDG_RUNTIME_DIR");

	char af[512];
	snprintf(af, sizeof af, "%s/explicit.json", home);
	write_file("explicit.json", auths("quay.io", B64_A));
	bg_auth_options o = {.authfile = af};
	expect(name, &o, "alice", "apass", "/explicit.json", "--authfile before $REGISTRY_AUTH_FILE");

	/* --authfile without an entry for this registry: the search goes on. */
	write_file("explicit.json", auths("other.example", B64_A));
	expect(name, &o, "bob", "bpass", "/registry-auth.json", "--authfile without an entry falls through");
	expect("other.example/x", &o, "alice", "apass", "/explicit.json", "--authfile entry for another host");

	/* Environment pair before files, --creds before everything. */
	setenv("BOOTGATE_REGISTRY_USERNAME", "envuser", 1);
	setenv("BOOTGATE_REGISTRY_PASSWORD", "envpass", 1);
	expect(name, &o, "envuser", "envpass", "environment", "BOOTGATE_REGISTRY_* before auth files");
	bg_auth_options creds = {.authfile = af, .username = "cliuser", .password = "clipass"};
	expect(name, &creds, "cliuser", "clipass", "--creds", "--creds before the environment");
	unsetenv("BOOTGATE_REGISTRY_PASSWORD");
	expect_error(name, &o, "BOOTGATE_REGISTRY_PASSWORD", "half an environment pair");
	unsetenv("BOOTGATE_REGISTRY_USERNAME");
	bg_auth_options half = {.username = "u"};
	expect_error(name, &half, "--creds", "--creds user without password");

	/* A missing --authfile is an error; a missing implicit file is not. */
	bg_auth_options missing = {.authfile = "/nonexistent/auth.json"};
	expect_error(name, &missing, "/nonexistent/auth.json", "missing --authfile");
	setenv("REGISTRY_AUTH_FILE", "/nonexistent/reg.json", 1);
	expect(name, &none, "carol", "cpass", "/run/containers/auth.json", "missing $REGISTRY_AUTH_FILE skipped");

	/* Empty entries ({} helper markers, "auth": "") are skipped. */
	write_file("run/containers/auth.json", "{\"auths\": {\"quay.io\": {}}, \"credHelpers\": {\"quay.io\": \"x\"}}");
	expect(name, &none, "dave", "dpass", "/.config/containers/auth.json", "{} entry skipped, next file used");
	write_file("run/containers/auth.json", "{\"auths\": {\"quay.io\": {\"auth\": \"\"}}}");
	expect(name, &none, "dave", "dpass", "/.config/containers/auth.json", "empty auth skipped");
	write_file("run/containers/auth.json", "{}");
	expect(name, &none, "dave", "dpass", "/.config/containers/auth.json", "file without auths skipped");
	remove_file("run/containers/auth.json");
	remove_file(".config/containers/auth.json");
	remove_file(".docker/config.json");
	unsetenv("REGISTRY_AUTH_FILE");
}

static void test_specificity(void)
{
	bg_auth_options none = {0};
	write_file(".docker/config.json",
		   "{\"auths\": {\"quay.io\": {\"auth\": \"" B64_A "\"},"
		   " \"quay.io/team/app\": {\"auth\": \"" B64_C "\"},"
		   " \"quay.io/team\": {\"auth\": \"" B64_B "\"},"
		   " \"https://index.docker.io/v1/\": {\"auth\": \"" B64_D "\"},"
		   " \"localhost:5000\": {\"auth\": \"" B64_COLON "\"},"
		   " \"[::1]:5000/ns\": {\"auth\": \"" B64_NULS "\"}}}");
	expect("quay.io/team/app", &none, "carol", "cpass", "config.json", "host/ns/repo key wins");
	expect("quay.io/team/other", &none, "bob", "bpass", "config.json", "host/ns key next");
	expect("quay.io/team/app/sub", &none, "carol", "cpass", "config.json", "a parent repository key matches");
	expect("quay.io/x/y", &none, "alice", "apass", "config.json", "host key last");
	expect("quay.io.evil.example/team/app", &none, NULL, NULL, NULL, "no prefix matching on hosts");
	expect("docker.io/library/rhel", &none, "dave", "dpass", "config.json",
	       "https://index.docker.io/v1/ key serves docker.io");
	expect("localhost:5000/app", &none, "user", "pa:ss", "config.json",
	       "password split at the first ':' only");
	expect("localhost:5001/app", &none, NULL, NULL, NULL, "another port is another registry");
	expect("[::1]:5000/ns/app", &none, "user", "pass", "config.json", "IPv6 host key; trailing NULs trimmed");

	write_file(".docker/config.json", auths("registry-1.docker.io", B64_E));
	expect("docker.io/library/rhel", &none, "eve", "epass", "config.json", "registry-1.docker.io alias");
	write_file(".docker/config.json", auths("docker.io", B64_E));
	expect("docker.io/library/rhel", &none, "eve", "epass", "config.json", "docker.io key");
	write_file(".docker/config.json", auths("http://quay.io/some/path", B64_E));
	expect("quay.io/a/b", &none, "eve", "epass", "config.json", "URL-style key normalised to its host");
	write_file(".docker/config.json", auths("quay.io/other", B64_E));
	expect("quay.io/a/b", &none, NULL, NULL, NULL, "a namespace key only matches its namespace");
	remove_file(".docker/config.json");
}

static void test_malformed(void)
{
	bg_auth_options none = {0};
	const char *name = "quay.io/team/app";
	static const struct {
		const char *content, *in_message, *why;
	} cases[] = {
		{"{\"auths\": {\"quay.io\": {\"auth\": \"" B64_NOCOLON "\"}}}", "user:password",
		 "decoded auth without ':'"},
		{"{\"auths\": {\"quay.io\": {\"auth\": \"YWxpY2U6YXBhc3M\"}}}", "base64", "missing padding"},
		{"{\"auths\": {\"quay.io\": {\"auth\": \"!!!!\"}}}", "base64", "not base64"},
		{"{\"auths\": {\"quay.io\": {\"auth\": 5}}}", "auth", "auth is a number"},
		{"{\"auths\": {\"quay.io\": \"x\"}}", "quay.io", "entry is a string"},
		{"{\"auths\": []}", "auths", "auths is an array"},
		{"[]", "auths", "top level is an array"},
		{"{\"auths\": {\"quay.io\": {\"auth\": \"" B64_A "\"}, \"quay.io\": {}}}", "uplicate",
		 "duplicate key"},
		{"{\"auths\": {", "config.json", "truncated JSON"},
		{"", "config.json", "empty file"},
		{"{\"auths\": {\"quay.io\": {\"auth\": \"OmFwYXNz\"}}}", "user:password", "empty user name"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		write_file(".docker/config.json", cases[i].content);
		expect_error(name, &none, cases[i].in_message, cases[i].why);
	}
	/* A malformed file is an error even though a later file would match. */
	write_file(".config/containers/auth.json", "{not json");
	write_file(".docker/config.json", auths("quay.io", B64_A));
	expect_error(name, &none, "auth.json", "malformed earlier file is not skipped");
	remove_file(".config/containers/auth.json");
	/* A directory where a file should be. */
	char d[512];
	snprintf(d, sizeof d, "%s/adir", home);
	mkdir(d, 0700);
	bg_auth_options o = {.authfile = d};
	expect_error(name, &o, "adir", "--authfile is a directory");
	remove_file(".docker/config.json");
}

static void test_helpers(void)
{
	char *u = NULL, *p = NULL;
	bg_error err = {0};
	ok(bg_auth_split_creds("ci:se:cret", &u, &p, &err) == 0, "split user:pass");
	is_str(u, "ci", "user before the first ':'");
	is_str(p, "se:cret", "password keeps later ':'");
	free(u);
	free(p);
	u = p = NULL;
	ok(bg_auth_split_creds("ci:", &u, &p, &err) == 0 && p && *p == '\0', "empty password allowed");
	free(u);
	free(p);
	u = p = NULL;
	ok(bg_auth_split_creds("nocolon", &u, &p, &err) == BG_E_USAGE && !u, "no ':' refused");
	ok(!strstr(err.message, "nocolon"), "the value is not echoed");
	ok(bg_auth_split_creds(":pw", &u, &p, &err) == BG_E_USAGE && !u, "empty user refused");

	static const char *const keys[][2] = {
		{"docker.io", "index.docker.io"},
		{"registry-1.docker.io", "index.docker.io"},
		{"https://index.docker.io/v1/", "index.docker.io"},
		{"http://quay.io/a/b", "quay.io"},
		{"quay.io/a", "quay.io/a"},
		{"localhost:5000", "localhost:5000"},
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char *n = bg_auth_normalize_key(keys[i][0]);
		is_str(n, keys[i][1], "normalise %s", keys[i][0]);
		free(n);
	}
	bg_credentials c = {0};
	bg_credentials_free(&c);
	bg_credentials_free(NULL);
	ok(1, "bg_credentials_free accepts empty and NULL");
}

int main(void)
{
	snprintf(home, sizeof home, "%s/bg-auth-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(home)) {
		perror("mkdtemp");
		return 1;
	}
	char xdg[512];
	snprintf(xdg, sizeof xdg, "%s/run", home);
	mkdir(xdg, 0700);
	setenv("HOME", home, 1);
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("DOCKER_CONFIG");
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("BOOTGATE_REGISTRY_USERNAME");
	unsetenv("BOOTGATE_REGISTRY_PASSWORD");

	test_order();
	test_specificity();
	test_malformed();
	test_helpers();

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", home);
	return tap_done();
}
