/* Unit tests for lib/registriesd.c: parsing registries.d YAML, merging a
 * directory, duplicate namespaces, and which section's lookaside URL an image
 * gets (identity, repository, namespaces, host, wildcards, default-docker,
 * fall-through, built-in default). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootgate/registriesd.h"
#include "lib/util.h"
#include "tests/tap.h"

static int add(bg_registriesd *rd, const char *yaml, const char *name, bg_error *err)
{
	bg_error_clear(err);
	return bg_registriesd_add(rd, yaml, strlen(yaml), name, err);
}

static void refuses(const char *yaml, const char *needle, const char *what)
{
	bg_registriesd *rd = NULL;
	bg_error err = {0};
	bg_registriesd_new(&rd, &err);
	int rc = add(rd, yaml, "t.yaml", &err);
	ok(rc == BG_E_USAGE && strstr(err.message, needle) && strstr(err.message, "t.yaml:"),
	   "refused (%s): %s", needle, what);
	if (!(rc == BG_E_USAGE && strstr(err.message, needle)))
		tap_diag("rc %d: %s", rc, err.message);
	bg_registriesd_free(rd);
}

/* The URL and section chosen for ref. */
static void chooses(const bg_registriesd *rd, const char *ref, const char *url, const char *section)
{
	bg_reference r;
	bg_error err = {0};
	if (bg_reference_parse(ref, &r, &err) != 0) {
		ok(false, "%s parses", ref);
		return;
	}
	bg_registriesd_choice c;
	int rc = bg_registriesd_lookaside(rd, &r, &c, &err);
	bool good = rc == 0 && strcmp(c.url, url) == 0 && strcmp(c.section, section) == 0;
	ok(good, "%s → %s (%s)", ref, url, section);
	if (!good && rc == 0)
		tap_diag("got %s (%s)", c.url, c.section);
	bg_registriesd_choice_free(&c);
	bg_reference_free(&r);
}

static void test_parse(void)
{
	refuses("docker:\n  quay.io:\n    lookasid: https://x\n", "unknown key 'lookasid'", "typo in a section");
	refuses("dokcer:\n  quay.io: {}\n", "unknown key 'dokcer'", "typo at top level");
	refuses("docker:\n  quay.io:\n    use-sigstore-attachments: yes\n", "use-sigstore-attachments",
		"YAML 1.1 boolean");
	refuses("docker:\n  quay.io: {lookaside: a}\n  quay.io: {lookaside: b}\n", "quay.io",
		"duplicate namespace in one file");
	refuses("docker:\n  - quay.io\n", "must be a mapping", "docker: as a list");
	refuses("docker:\n  quay.io: https://x\n", "must be a mapping", "section as a string");
	refuses("docker:\n  quay.io: &a {lookaside: x}\n  q.io: *a\n", "t.yaml", "aliases");
	refuses("docker:\n  \"\": {lookaside: x}\n", "default-docker", "empty namespace");
	refuses("docker:\n  quay.io:\n    lookaside: [a]\n", "lookaside", "lookaside as a list");

	bg_registriesd *rd = NULL;
	bg_error err = {0};
	bg_registriesd_new(&rd, &err);
	int rc = add(rd,
		     "default-docker:\n"
		     "  lookaside: https://default.example/sigs\n"
		     "docker:\n"
		     "  reg.example.com:5000/ns/app:v1:\n"
		     "    lookaside: https://tag.example/sigs\n"
		     "  reg.example.com:5000/ns/app:\n"
		     "    sigstore: https://repo.example/sigs\n"
		     "  reg.example.com:5000/ns:\n"
		     "    lookaside: https://ns.example/sigs\n"
		     "    sigstore: https://ignored-old-name.example/sigs\n"
		     "  reg.example.com:5000:\n"
		     "    lookaside: file:///var/sigs\n"
		     "  reg.example.com:5000/staging:\n"
		     "    lookaside-staging: file:///srv/staging\n"
		     "    use-sigstore-attachments: true\n"
		     "  '*.example.com':\n"
		     "    lookaside: https://wild.example/sigs\n"
		     "  empty.example:\n",
		     "a.yaml", &err);
	ok(rc == 0, "a full file parses");
	if (rc)
		tap_diag("%s", err.message);
	chooses(rd, "reg.example.com:5000/ns/app:v1", "https://tag.example/sigs", "docker: reg.example.com:5000/ns/app:v1");
	chooses(rd, "reg.example.com:5000/ns/app:v2", "https://repo.example/sigs", "docker: reg.example.com:5000/ns/app");
	chooses(rd, "reg.example.com:5000/ns/other:1", "https://ns.example/sigs", "docker: reg.example.com:5000/ns");
	chooses(rd, "reg.example.com:5000/x/y:1", "file:///var/sigs", "docker: reg.example.com:5000");
	chooses(rd, "reg.example.com:5000/staging/y:1", "file:///var/sigs", "docker: reg.example.com:5000");
	chooses(rd, "other.example.com/y:1", "https://wild.example/sigs", "docker: *.example.com");
	chooses(rd, "reg.example.com:6000/y:1", "https://wild.example/sigs", "docker: *.example.com");
	chooses(rd, "quay.io/y:1", "https://default.example/sigs", "default-docker");
	chooses(rd, "empty.example/y:1", "https://default.example/sigs", "default-docker");

	/* use-sigstore-attachments: the first section that sets it. */
	bg_reference r;
	bg_reference_parse("reg.example.com:5000/staging/y:1", &r, &err);
	bg_registriesd_choice c;
	rc = bg_registriesd_lookaside(rd, &r, &c, &err);
	ok(rc == 0 && c.use_sigstore_attachments && strcmp(c.file, "a.yaml") == 0,
	   "use-sigstore-attachments is noted, with the file of the section");
	bg_registriesd_choice_free(&c);
	bg_reference_free(&r);

	/* Merging: the same namespace or default-docker twice is an error naming both files. */
	rc = add(rd, "docker:\n  reg.example.com:5000/ns:\n    lookaside: https://x\n", "b.yaml", &err);
	ok(rc == BG_E_USAGE && strstr(err.message, "b.yaml:") && strstr(err.message, "a.yaml:8"),
	   "a namespace defined in two files: error naming both");
	rc = add(rd, "default-docker:\n  lookaside: https://x\n", "c.yaml", &err);
	ok(rc == BG_E_USAGE && strstr(err.message, "default-docker") && strstr(err.message, "a.yaml"),
	   "default-docker in two files: error");
	rc = add(rd, "docker:\n  new.example:\n    lookaside: https://new\n", "d.yaml", &err);
	ok(rc == 0, "another file adds namespaces");
	chooses(rd, "new.example/y:1", "https://new", "docker: new.example");
	rc = add(rd, "", "empty.yaml", &err);
	ok(rc == 0, "an empty file configures nothing");
	bg_registriesd_free(rd);

	/* Nothing configured: containers/image's built-in store. */
	bg_registriesd_new(&rd, &err);
	const char *home = getenv("HOME");
	char want[4096];
	if (geteuid() == 0 || !home || !*home)
		snprintf(want, sizeof want, "file:///var/lib/containers/sigstore");
	else
		snprintf(want, sizeof want, "file://%s/.local/share/containers/sigstore", home);
	chooses(rd, "quay.io/y:1", want, "built-in default");
	bg_registriesd_free(rd);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_dir(void)
{
	char tmpl[] = "/tmp/bootgate-test-regd.XXXXXX";
	char *dir = mkdtemp(tmpl);
	if (!dir) {
		ok(false, "mkdtemp");
		return;
	}
	write_file(dir, "b.yaml", "docker:\n  quay.io:\n    lookaside: https://b\n");
	write_file(dir, "a.yaml", "docker:\n  quay.io/ns:\n    lookaside: https://a\n");
	write_file(dir, "c.yml", "docker:\n  quay.io:\n    lookaside: https://ignored\n");
	write_file(dir, "notes.txt", "not yaml at all: [\n");
	bg_registriesd *rd = NULL;
	bg_error err = {0};
	int rc = bg_registriesd_load(dir, &rd, &err);
	ok(rc == 0, "a directory loads; only *.yaml files are read");
	if (rc)
		tap_diag("%s", err.message);
	if (rc == 0) {
		chooses(rd, "quay.io/ns/x:1", "https://a", "docker: quay.io/ns");
		chooses(rd, "quay.io/other/x:1", "https://b", "docker: quay.io");
	}
	bg_registriesd_free(rd);
	write_file(dir, "d.yaml", "docker:\n  quay.io:\n    lookaside: https://d\n");
	rc = bg_registriesd_load(dir, &rd, &err);
	ok(rc == BG_E_USAGE && strstr(err.message, "d.yaml") && strstr(err.message, "b.yaml"),
	   "the same namespace in two files of the directory: error naming both");
	char path[4096];
	const char *names[] = {"a.yaml", "b.yaml", "c.yml", "d.yaml", "notes.txt"};
	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rc = bg_registriesd_load(dir, &rd, &err);
	ok(rc == 0 && rd->n == 0, "an empty directory: empty configuration");
	bg_registriesd_free(rd);
	rmdir(dir);
	rc = bg_registriesd_load(dir, &rd, &err);
	ok(rc == BG_E_USAGE && strstr(err.message, dir), "a missing --registries.d directory: error");

	/* The Red Hat set shipped in policies/redhat. */
	rc = bg_registriesd_load("policies/redhat/registries.d", &rd, &err);
	ok(rc == 0, "policies/redhat/registries.d loads");
	if (rc == 0) {
		chooses(rd, "registry.redhat.io/rhel9/rhel-bootc:9.6", "https://registry.redhat.io/containers/sigstore",
			"docker: registry.redhat.io");
		chooses(rd, "registry.access.redhat.com/ubi9/ubi:latest",
			"https://access.redhat.com/webassets/docker/content/sigstore",
			"docker: registry.access.redhat.com");
	}
	bg_registriesd_free(rd);
}

int main(void)
{
	test_parse();
	test_dir();
	return tap_done();
}
