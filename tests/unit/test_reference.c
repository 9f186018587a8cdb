/* Unit tests for reference.h.
 *
 * Tables ported from upstream, so that a change in behaviour shows up as a
 * named case:
 *   - github.com/distribution/reference reference_test.go TestReferenceParse
 *     (the grammar alone: bg_reference_parse_raw);
 *   - normalize_test.go TestValidateReferenceName, TestValidateRemoteName,
 *     TestParseRepositoryInfo, TestNormalizedSplitHostname,
 *     TestParseReferenceWithTagAndDigest, TestParseAnyReference (named refs);
 *   - containers/image signature/policy_reference_match_test.go
 *     prmExactMatchTestTable, prmRepositoryMatchTestTable and the
 *     matchRepoDigestOrExact table.
 * Deliberate deviations are marked "bootgate:" with the reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootgate/reference.h"
#include "tap.h"

#define D64F "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define D128F D64F D64F
#define DIGEST_SUFFIX "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST_SUFFIX_OTHER "@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FULL_RHEL "registry.access.redhat.com/rhel7/rhel:7.2.3"
#define UNTAGGED_RHEL "registry.access.redhat.com/rhel7/rhel"

/* Repeat "a/" n times then append tail (for the length limits). */
static char *repeat_a(size_t n, const char *tail)
{
	size_t tl = strlen(tail);
	char *s = malloc(2 * n + tl + 1);
	if (!s)
		abort();
	for (size_t i = 0; i < n; i++)
		memcpy(s + 2 * i, "a/", 2);
	memcpy(s + 2 * n, tail, tl + 1);
	return s;
}

/* ---- the grammar alone (reference.Parse) -------------------------------- */

struct raw_case {
	const char *input;
	const char *error; /* substring of the message, or NULL for success */
	const char *name, *domain, *tag, *digest;
};

static const struct raw_case raw_cases[] = {
	{"test_com", NULL, "test_com", "", NULL, NULL},
	{"test.com:tag", NULL, "test.com", "", "tag", NULL},
	{"test.com:5000", NULL, "test.com", "", "5000", NULL},
	{"test.com/repo:tag", NULL, "test.com/repo", "test.com", "tag", NULL},
	{"test:5000/repo", NULL, "test:5000/repo", "test:5000", NULL, NULL},
	{"test:5000/repo:tag", NULL, "test:5000/repo", "test:5000", "tag", NULL},
	{"test:5000/repo@sha256:" D64F, NULL, "test:5000/repo", "test:5000", NULL, "sha256:" D64F},
	{"test:5000/repo:tag@sha256:" D64F, NULL, "test:5000/repo", "test:5000", "tag", "sha256:" D64F},
	{"", "at least one component", NULL, NULL, NULL, NULL},
	{":justtag", "empty", NULL, NULL, NULL, NULL},
	{"@sha256:" D64F, "empty", NULL, NULL, NULL, NULL},
	{"repo@sha256:ffffffffffffffffffffffffffffffffff", "34 hex digits", NULL, NULL, NULL, NULL},
	{"validname@invaliddigest:" D64F, "invaliddigest", NULL, NULL, NULL, NULL},
	{"Uppercase:tag", "must be lowercase", NULL, NULL, NULL, NULL},
	/* Upstream's FIXME: "Uppercase" is taken as a domain here, so it passes. */
	{"Uppercase/lowercase:tag", NULL, "Uppercase/lowercase", "Uppercase", "tag", NULL},
	{"test:5000/Uppercase/lowercase:tag", "must be lowercase", NULL, NULL, NULL, NULL},
	{"lowercase:Uppercase", NULL, "lowercase", "", "Uppercase", NULL},
	{"aa/asdf$$^/aa", "asdf$$^", NULL, NULL, NULL, NULL},
	{"sub-dom1.foo.com/bar/baz/quux", NULL, "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", NULL, NULL},
	{"sub-dom1.foo.com/bar/baz/quux:some-long-tag", NULL, "sub-dom1.foo.com/bar/baz/quux",
	 "sub-dom1.foo.com", "some-long-tag", NULL},
	{"b.gcr.io/test.example.com/my-app:test.example.com", NULL, "b.gcr.io/test.example.com/my-app",
	 "b.gcr.io", "test.example.com", NULL},
	{"xn--n3h.com/myimage:xn--n3h.com", NULL, "xn--n3h.com/myimage", "xn--n3h.com", "xn--n3h.com", NULL},
	{"xn--7o8h.com/myimage:xn--7o8h.com@sha512:" D128F, NULL, "xn--7o8h.com/myimage", "xn--7o8h.com",
	 "xn--7o8h.com", "sha512:" D128F},
	{"foo_bar.com:8080", NULL, "foo_bar.com", "", "8080", NULL},
	{"foo/foo_bar.com:8080", NULL, "foo/foo_bar.com", "foo", "8080", NULL},
	{"192.168.1.1", NULL, "192.168.1.1", "", NULL, NULL},
	{"192.168.1.1:tag", NULL, "192.168.1.1", "", "tag", NULL},
	{"192.168.1.1:5000", NULL, "192.168.1.1", "", "5000", NULL},
	{"192.168.1.1/repo", NULL, "192.168.1.1/repo", "192.168.1.1", NULL, NULL},
	{"192.168.1.1:5000/repo", NULL, "192.168.1.1:5000/repo", "192.168.1.1:5000", NULL, NULL},
	{"192.168.1.1:5000/repo:5050", NULL, "192.168.1.1:5000/repo", "192.168.1.1:5000", "5050", NULL},
	{"[2001:db8::1]", "invalid", NULL, NULL, NULL, NULL},
	{"[2001:db8::1]:5000", "invalid", NULL, NULL, NULL, NULL},
	{"[2001:db8::1]:tag", "invalid", NULL, NULL, NULL, NULL},
	{"[2001:db8::1]/repo", NULL, "[2001:db8::1]/repo", "[2001:db8::1]", NULL, NULL},
	{"[2001:db8:1:2:3:4:5:6]/repo:tag", NULL, "[2001:db8:1:2:3:4:5:6]/repo", "[2001:db8:1:2:3:4:5:6]", "tag", NULL},
	{"[2001:db8::1]:5000/repo", NULL, "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", NULL, NULL},
	{"[2001:db8::1]:5000/repo:tag", NULL, "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "tag", NULL},
	{"[2001:db8::1]:5000/repo@sha256:" D64F, NULL, "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", NULL,
	 "sha256:" D64F},
	{"[2001:db8::1]:5000/repo:tag@sha256:" D64F, NULL, "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "tag",
	 "sha256:" D64F},
	{"[2001:db8::]:5000/repo", NULL, "[2001:db8::]:5000/repo", "[2001:db8::]:5000", NULL, NULL},
	{"[::1]:5000/repo", NULL, "[::1]:5000/repo", "[::1]:5000", NULL, NULL},
	{"[fe80::1%eth0]:5000/repo", "not a valid host", NULL, NULL, NULL, NULL},
	{"[fe80::1%@invalidzone]:5000/repo", "invalid", NULL, NULL, NULL, NULL},
	/* TestDomainAndPath (WithName) */
	{"test_com/foo", NULL, "test_com/foo", "", NULL, NULL},
	{"test-com:8080/foo", NULL, "test-com:8080/foo", "test-com:8080", NULL, NULL},
	{"xn--n3h.com:18080/foo", NULL, "xn--n3h.com:18080/foo", "xn--n3h.com:18080", NULL, NULL},
	/* TestSerialization / TestWithTag shapes */
	{"example.com:8000/named:tagged", NULL, "example.com:8000/named", "example.com:8000", "tagged", NULL},
	{"test.com:8000/foo:TAG5", NULL, "test.com:8000/foo", "test.com:8000", "TAG5", NULL},
	/* Separators and component edges */
	{"a__b/c", NULL, "a__b/c", "", NULL, NULL}, /* "_" is no host character */
	{"x/a___b", "a___b", NULL, NULL, NULL, NULL},
	{"x/a._b", "a._b", NULL, NULL, NULL, NULL},
	{"x/a.-b", "a.-b", NULL, NULL, NULL, NULL},
	{"x/a----b", NULL, "x/a----b", "x", NULL, NULL},
	{"x/a-", "a-", NULL, NULL, NULL, NULL},
	{"x/.a", ".a", NULL, NULL, NULL, NULL},
	{"x//a", "empty repository path component", NULL, NULL, NULL, NULL},
	{"x/a/", "empty repository path component", NULL, NULL, NULL, NULL},
	{"-x.com/a", "not a valid host", NULL, NULL, NULL, NULL},
	{"x-.com/a", "not a valid host", NULL, NULL, NULL, NULL},
	{"x.com:/a", "not a valid host", NULL, NULL, NULL, NULL},
	{"x.com:50a/a", "not a valid host", NULL, NULL, NULL, NULL},
	{"[]:5000/a", "not a valid host", NULL, NULL, NULL, NULL},
	{"[::1]x/a", "not a valid host", NULL, NULL, NULL, NULL},
	/* Tags */
	{"a:_under", NULL, "a", "", "_under", NULL},
	{"a:.dot", "tag \".dot\" is invalid", NULL, NULL, NULL, NULL},
	{"a:-dash", "tag \"-dash\" is invalid", NULL, NULL, NULL, NULL},
	{"a:", "tag \"\" is invalid", NULL, NULL, NULL, NULL},
	{"a:t@g", "malformed", NULL, NULL, NULL, NULL},
	{"a:b:c", "\"a:b\" is invalid", NULL, NULL, NULL, NULL}, /* last ':' splits; "a:b" is no name */
	/* Digests: reference grammar first, then bootgate's two algorithms */
	{"a@sha256:" D64F "@sha256:" D64F, "malformed", NULL, NULL, NULL, NULL},
	{"a@sha256:", "malformed", NULL, NULL, NULL, NULL},
	{"a@:" D64F, "malformed", NULL, NULL, NULL, NULL},
	{"a@sha256:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "lower-case hexadecimal", NULL,
	 NULL, NULL, NULL},
	{"a@sha384:" D64F "ffffffffffffffffffffffffffffffff", "sha256 and sha512", NULL, NULL, NULL, NULL},
	{"a@sha256+b64:" D64F, "sha256 and sha512", NULL, NULL, NULL, NULL},
	{"a@sha512:" D64F, "128", NULL, NULL, NULL, NULL},
	{"a@sha256:" D64F "zz", "malformed", NULL, NULL, NULL, NULL},
	/* Bytes no grammar allows */
	{"a b", "invalid", NULL, NULL, NULL, NULL},
	{"a\tb", "invalid", NULL, NULL, NULL, NULL},
	{"caf\xc3\xa9", "invalid", NULL, NULL, NULL, NULL},
};

static void test_raw_table(void)
{
	for (size_t i = 0; i < sizeof raw_cases / sizeof raw_cases[0]; i++) {
		const struct raw_case *c = &raw_cases[i];
		bg_reference r;
		bg_error err = {0};
		int rc = bg_reference_parse_raw(c->input, &r, &err);
		if (c->error) {
			if (!ok(rc == BG_E_INPUT && strstr(err.message, c->error) != NULL,
				"raw \"%s\" is refused with \"%s\"", c->input, c->error))
				tap_diag("rc %d, message: %s", rc, err.message);
			ok(r.full == NULL && r.name == NULL, "raw \"%s\": a failed parse leaves the result empty", c->input);
			continue;
		}
		if (!ok(rc == 0, "raw \"%s\" parses", c->input)) {
			tap_diag("%s", err.message);
			continue;
		}
		is_str(r.full, c->input, "raw \"%s\": string form is the input", c->input);
		is_str(r.name, c->name, "raw \"%s\": name", c->input);
		is_str(r.domain, c->domain, "raw \"%s\": domain", c->input);
		is_str(r.tag, c->tag, "raw \"%s\": tag", c->input);
		is_str(r.digest, c->digest, "raw \"%s\": digest", c->input);
		ok(!r.tag_implicit, "raw \"%s\": the raw grammar never implies a tag", c->input);
		bg_reference_free(&r);
	}

	/* Name length: 255 is the limit, counted over domain "/" path. */
	char *too_long = repeat_a(128, "a:tag");
	char *longest = repeat_a(127, "a:tag-puts-this-over-max");
	bg_reference r;
	bg_error err = {0};
	ok(bg_reference_parse_raw(too_long, &r, &err) == BG_E_INPUT &&
		   strstr(err.message, "must not be more than 255") != NULL,
	   "raw: a 257-byte name is refused as too long");
	is_int(bg_reference_parse_raw(longest, &r, &err), 0, "raw: a 255-byte name with a tag beyond it parses");
	is_int(strlen(r.name), 255, "raw: the 255-byte name is kept whole");
	is_str(r.domain, "a", "raw: its first component is the domain");
	bg_reference_free(&r);
	free(too_long);
	free(longest);

	/* Tag length: 128 is the limit. */
	char tag[160] = "a:";
	memset(tag + 2, 't', 128);
	tag[130] = '\0';
	is_int(bg_reference_parse_raw(tag, &r, &err), 0, "raw: a 128-character tag parses");
	bg_reference_free(&r);
	tag[130] = 't';
	tag[131] = '\0';
	ok(bg_reference_parse_raw(tag, &r, &err) == BG_E_INPUT, "raw: a 129-character tag is refused");
	ok(bg_reference_parse_raw(NULL, &r, &err) == BG_E_INPUT, "raw: NULL is refused");
}

/* ---- normalisation (ParseNormalizedNamed) ----------------------------- */

struct norm_case {
	const char *input;
	const char *error; /* substring, or NULL for success */
	const char *full, *name, *domain, *path, *tag, *digest;
	bool implicit;
};

#define RHEL_BOOTC_DIGEST "sha256:9d1b7ba7b4ba8a3fb1cd9d1e7b7bdbbd4e0b0e6cfa5e3f0a2f2ac19b0f3b4a5c"

static const struct norm_case norm_cases[] = {
	/* The brief's table */
	{"rhel", NULL, "docker.io/library/rhel:latest", "docker.io/library/rhel", "docker.io", "library/rhel", NULL,
	 NULL, true},
	{"localhost:5000/x", NULL, "localhost:5000/x:latest", "localhost:5000/x", "localhost:5000", "x", NULL, NULL,
	 true},
	{"localhost/x:1", NULL, "localhost/x:1", "localhost/x", "localhost", "x", "1", NULL, false},
	{"registry.redhat.io/rhel9/rhel-bootc:9.4@" RHEL_BOOTC_DIGEST, NULL,
	 "registry.redhat.io/rhel9/rhel-bootc:9.4@" RHEL_BOOTC_DIGEST, "registry.redhat.io/rhel9/rhel-bootc",
	 "registry.redhat.io", "rhel9/rhel-bootc", "9.4", RHEL_BOOTC_DIGEST, false},
	{"quay.io/fedora/fedora-bootc@" RHEL_BOOTC_DIGEST, NULL, "quay.io/fedora/fedora-bootc@" RHEL_BOOTC_DIGEST,
	 "quay.io/fedora/fedora-bootc", "quay.io", "fedora/fedora-bootc", NULL, RHEL_BOOTC_DIGEST, false},
	/* bootgate: containers/image semantics — an upper-case first component
	 * is a path, not a registry (distribution/reference would give host "Foo"). */
	{"Foo/bar", "must be lowercase", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"FOO/bar", "must be lowercase", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"Docker/docker", "must be lowercase", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"a:b:c", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"Build", "must be lowercase", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"ubuntu:Latest", NULL, "docker.io/library/ubuntu:Latest", "docker.io/library/ubuntu", "docker.io",
	 "library/ubuntu", "Latest", NULL, false},
	{"Registry.Example.COM/ns/app:1", NULL, "Registry.Example.COM/ns/app:1", "Registry.Example.COM/ns/app",
	 "Registry.Example.COM", "ns/app", "1", NULL, false},
	/* TestParseReferenceWithTagAndDigest */
	{"busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa", NULL,
	 "docker.io/library/busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
	 "docker.io/library/busybox", "docker.io", "library/busybox", "latest",
	 "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa", false},
	/* TestParseRepositoryInfo (FamiliarName / FullName / AmbiguousName) */
	{"fooo/bar", NULL, "docker.io/fooo/bar:latest", "docker.io/fooo/bar", "docker.io", "fooo/bar", NULL, NULL, true},
	{"index.docker.io/fooo/bar", NULL, "docker.io/fooo/bar:latest", "docker.io/fooo/bar", "docker.io", "fooo/bar",
	 NULL, NULL, true},
	{"ubuntu", NULL, "docker.io/library/ubuntu:latest", "docker.io/library/ubuntu", "docker.io", "library/ubuntu",
	 NULL, NULL, true},
	{"library/ubuntu", NULL, "docker.io/library/ubuntu:latest", "docker.io/library/ubuntu", "docker.io",
	 "library/ubuntu", NULL, NULL, true},
	{"nonlibrary/ubuntu", NULL, "docker.io/nonlibrary/ubuntu:latest", "docker.io/nonlibrary/ubuntu", "docker.io",
	 "nonlibrary/ubuntu", NULL, NULL, true},
	{"other/library", NULL, "docker.io/other/library:latest", "docker.io/other/library", "docker.io",
	 "other/library", NULL, NULL, true},
	{"127.0.0.1:8000/private/moonbase", NULL, "127.0.0.1:8000/private/moonbase:latest",
	 "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000", "private/moonbase", NULL, NULL, true},
	{"127.0.0.1:8000/privatebase", NULL, "127.0.0.1:8000/privatebase:latest", "127.0.0.1:8000/privatebase",
	 "127.0.0.1:8000", "privatebase", NULL, NULL, true},
	{"example.com/private/moonbase", NULL, "example.com/private/moonbase:latest", "example.com/private/moonbase",
	 "example.com", "private/moonbase", NULL, NULL, true},
	{"example.com:8000/privatebasee", NULL, "example.com:8000/privatebasee:latest",
	 "example.com:8000/privatebasee", "example.com:8000", "privatebasee", NULL, NULL, true},
	{"ubuntu-12.04-base", NULL, "docker.io/library/ubuntu-12.04-base:latest", "docker.io/library/ubuntu-12.04-base",
	 "docker.io", "library/ubuntu-12.04-base", NULL, NULL, true},
	{"index.docker.io/library/ubuntu-12.04-base", NULL, "docker.io/library/ubuntu-12.04-base:latest",
	 "docker.io/library/ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base", NULL, NULL, true},
	{"docker.io/foo", NULL, "docker.io/library/foo:latest", "docker.io/library/foo", "docker.io", "library/foo",
	 NULL, NULL, true},
	{"library/foo/bar", NULL, "docker.io/library/foo/bar:latest", "docker.io/library/foo/bar", "docker.io",
	 "library/foo/bar", NULL, NULL, true},
	{"store/foo/bar", NULL, "docker.io/store/foo/bar:latest", "docker.io/store/foo/bar", "docker.io",
	 "store/foo/bar", NULL, NULL, true},
	/* TestNormalizedSplitHostname */
	{"test.com/foo", NULL, "test.com/foo:latest", "test.com/foo", "test.com", "foo", NULL, NULL, true},
	{"test_com/foo", NULL, "docker.io/test_com/foo:latest", "docker.io/test_com/foo", "docker.io", "test_com/foo",
	 NULL, NULL, true},
	{"docker/migrator", NULL, "docker.io/docker/migrator:latest", "docker.io/docker/migrator", "docker.io",
	 "docker/migrator", NULL, NULL, true},
	{"test.com:8080/foo", NULL, "test.com:8080/foo:latest", "test.com:8080/foo", "test.com:8080", "foo", NULL, NULL,
	 true},
	{"test-com:8080/foo", NULL, "test-com:8080/foo:latest", "test-com:8080/foo", "test-com:8080", "foo", NULL,
	 NULL, true},
	{"xn--n3h.com:18080/foo", NULL, "xn--n3h.com:18080/foo:latest", "xn--n3h.com:18080/foo", "xn--n3h.com:18080",
	 "foo", NULL, NULL, true},
	{"docker.io/library/foo/bar", NULL, "docker.io/library/foo/bar:latest", "docker.io/library/foo/bar",
	 "docker.io", "library/foo/bar", NULL, NULL, true},
	/* TestParseAnyReference (named forms) */
	{"redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", NULL,
	 "docker.io/library/redis@sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
	 "docker.io/library/redis", "docker.io", "library/redis", NULL,
	 "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", false},
	{"dmcgowan/myapp:latest", NULL, "docker.io/dmcgowan/myapp:latest", "docker.io/dmcgowan/myapp", "docker.io",
	 "dmcgowan/myapp", "latest", NULL, false},
	{"dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", NULL,
	 "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9:latest",
	 "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", "docker.io",
	 "library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", NULL, NULL, true},
	{"dbcc1", NULL, "docker.io/library/dbcc1:latest", "docker.io/library/dbcc1", "docker.io", "library/dbcc1",
	 NULL, NULL, true},
	/* Familiar one-component names that look like hosts stay Hub images
	 * (the FIXME in upstream's splitDockerDomain). */
	{"localhost:5000", NULL, "docker.io/library/localhost:5000", "docker.io/library/localhost", "docker.io",
	 "library/localhost", "5000", NULL, false},
	{"example.com", NULL, "docker.io/library/example.com:latest", "docker.io/library/example.com", "docker.io",
	 "library/example.com", NULL, NULL, true},
	/* A host-like first component that is no valid host: upstream keeps it
	 * as part of the path with an empty domain. */
	{"my_reg.local/x", NULL, "my_reg.local/x:latest", "my_reg.local/x", "", "my_reg.local/x", NULL, NULL, true},
	{"docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", NULL,
	 "docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a:latest",
	 "docker.io/library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "docker.io",
	 "library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", NULL, NULL, true},
	{"[fc00::1]:5000/docker/docker", NULL, "[fc00::1]:5000/docker/docker:latest", "[fc00::1]:5000/docker/docker",
	 "[fc00::1]:5000", "docker/docker", NULL, NULL, true},
	{"[fc00:1:2:3:4:5:6:7]:5000/library/debian", NULL, "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest",
	 "[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000", "library/debian", NULL, NULL, true},
	{"192.168.0.1", NULL, "docker.io/library/192.168.0.1:latest", "docker.io/library/192.168.0.1", "docker.io",
	 "library/192.168.0.1", NULL, NULL, true},
	{"192.168.0.1:80", NULL, "docker.io/library/192.168.0.1:80", "docker.io/library/192.168.0.1", "docker.io",
	 "library/192.168.0.1", "80", NULL, false},
	/* Errors */
	{"", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "image ID", NULL, NULL, NULL, NULL, NULL,
	 NULL, false},
	{"https://github.com/docker/docker", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"docker/Docker", "must be lowercase", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"-docker", "\"-docker\" is invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"-docker/docker", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"-docker.io/docker/docker", "not a valid host", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"docker///docker", "empty repository path component", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"docker.io/docker/Docker", "must be lowercase", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"docker.io/docker///docker", "empty repository path component", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"[fc00::1]", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"[fc00::1]:5000", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"fc00::1:5000/debian", "not a valid host", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"[fe80::1%eth0]:5000/debian", "not a valid host", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"[2001:db8:3:4::192.0.2.33]:5000/debian", "not a valid host", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"docker-/docker", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"-docker-/docker", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"____/____", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"_docker/_docker", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"dock..er/docker", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"dock_.er/docker", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"dock-.er/docker", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"docker/", "empty repository path component", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"example.com/", "empty repository path component", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"foo@SHA256:" D64F, "must be lowercase", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"foo@sha256:short", "malformed", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"foo@sha256:" D64F "0", "65 hex digits", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"rhel9/rhel-bootc@sha256:${DIGEST}", "malformed", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"${BASE}", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{" rhel", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
	{"rhel ", "invalid", NULL, NULL, NULL, NULL, NULL, NULL, false},
};

static void test_normalised_table(void)
{
	for (size_t i = 0; i < sizeof norm_cases / sizeof norm_cases[0]; i++) {
		const struct norm_case *c = &norm_cases[i];
		bg_reference r;
		bg_error err = {0};
		int rc = bg_reference_parse(c->input, &r, &err);
		if (c->error) {
			if (!ok(rc == BG_E_INPUT && strstr(err.message, c->error) != NULL,
				"\"%s\" is refused with \"%s\"", c->input, c->error))
				tap_diag("rc %d, message: %s", rc, err.message);
			continue;
		}
		if (!ok(rc == 0, "\"%s\" parses", c->input)) {
			tap_diag("%s", err.message);
			continue;
		}
		is_str(r.full, c->full, "\"%s\": fully qualified", c->input);
		is_str(r.name, c->name, "\"%s\": repository name", c->input);
		is_str(r.domain, c->domain, "\"%s\": domain", c->input);
		is_str(r.path, c->path, "\"%s\": path", c->input);
		is_str(r.tag, c->tag, "\"%s\": tag", c->input);
		is_str(r.digest, c->digest, "\"%s\": digest", c->input);
		ok(r.tag_implicit == c->implicit, "\"%s\": tag %s", c->input, c->implicit ? "implicit" : "explicit");
		bg_reference_free(&r);
	}

	/* Length: counted on the normalised name ("docker.io/" + path). */
	char *path = repeat_a(122, "a"); /* 245 bytes */
	bg_reference r;
	bg_error err = {0};
	is_int(bg_reference_parse(path, &r, &err), 0, "a 245-byte path becomes a 255-byte docker.io name");
	is_int(strlen(r.name), 255, "the normalised name is 255 bytes");
	bg_reference_free(&r);
	free(path);
	path = repeat_a(123, "a"); /* 247 bytes: 257 once qualified */
	ok(bg_reference_parse(path, &r, &err) == BG_E_INPUT && strstr(err.message, "255") != NULL,
	   "a path that is too long once docker.io/ is added is refused");
	free(path);
	char *namespace = malloc(300);
	memset(namespace, 'n', 260);
	strcpy(namespace + 260, "/docker");
	ok(bg_reference_parse(namespace, &r, &err) == BG_E_INPUT, "a 260-byte namespace is refused (too long)");
	free(namespace);

	ok(bg_reference_parse(NULL, &r, &err) == BG_E_INPUT, "NULL is refused");
	ok(r.full == NULL, "a refused parse leaves the result zeroed");
	bg_reference_free(&r);
	bg_reference_free(NULL);
	ok(true, "bg_reference_free accepts a zeroed struct and NULL");

	/* The error names the offending part and the input. */
	ok(bg_reference_parse("registry.example.com/Team/app:1", &r, &err) < 0 &&
		   strstr(err.message, "registry.example.com/Team/app:1") && strstr(err.message, "\"Team/app\""),
	   "the lower-case error quotes the input and the repository path: %s", err.message);
	ok(bg_reference_parse("quay.io/a/b:bad tag", &r, &err) < 0 && strstr(err.message, "tag \"bad tag\""),
	   "a bad tag is quoted: %s", err.message);
	ok(bg_reference_parse("quay.io/a\x01/b", &r, &err) < 0 && strchr(err.message, '\x01') == NULL,
	   "control bytes do not reach the message: %s", err.message);
}

/* ---- registry allow-list ---------------------------------------------- */

static const struct {
	const char *domain, *pattern;
	bool match;
} registry_cases[] = {
	{"registry.redhat.io", "registry.redhat.io", true},
	{"registry.redhat.io", "REGISTRY.RedHat.io", true},
	{"Registry.RedHat.IO", "registry.redhat.io", true},
	{"registry.redhat.io", "registry.access.redhat.com", false},
	{"registry.redhat.io", "*", true},
	{"", "*", true},
	{"registry.redhat.io", "*.redhat.io", true},
	{"a.b.redhat.io", "*.redhat.io", true},
	{"registry.redhat.io:443", "*.redhat.io", true},
	{"redhat.io", "*.redhat.io", false},
	{"evilredhat.io", "*.redhat.io", false},
	{"redhat.io.evil.com", "*.redhat.io", false},
	{"registry.redhat.io", "*.REDHAT.IO", true},
	{"localhost:5000", "localhost:5000", true},
	{"localhost:5000", "localhost", false},
	{"localhost", "localhost:5000", false},
	{"[::1]:5000", "[::1]:5000", true},
	{"docker.io", "docker.io", true},
	{"docker.io", "index.docker.io", true},
	{"docker.io", "registry-1.docker.io", true},
	{"docker.io", "hub.docker.com", true},
	{"index.docker.io", "docker.io", true},
	{"registry-1.docker.io", "Docker.IO", true},
	{"docker.io", "quay.io", false},
	{"quay.io", "docker.io", false},
	{"docker.io", "*.docker.io", false},
	{"registry-1.docker.io", "*.docker.io", true},
	{"registry.redhat.io", "", false},
	{"registry.redhat.io", "*.", false},
	{"registry.redhat.io", "registry.redhat.io.", false},
};

static void test_registry_matches(void)
{
	for (size_t i = 0; i < sizeof registry_cases / sizeof registry_cases[0]; i++)
		ok(bg_reference_registry_matches(registry_cases[i].domain, registry_cases[i].pattern) ==
			   registry_cases[i].match,
		   "registry \"%s\" %s pattern \"%s\"", registry_cases[i].domain,
		   registry_cases[i].match ? "matches" : "does not match", registry_cases[i].pattern);
	ok(!bg_reference_registry_matches(NULL, "*"), "NULL domain matches nothing");
	ok(!bg_reference_registry_matches("quay.io", NULL), "NULL pattern matches nothing");

	/* End to end: the linter's use on a parsed FROM. */
	bg_reference r;
	bg_error err = {0};
	is_int(bg_reference_parse("ubi9", &r, &err), 0, "parse ubi9");
	ok(bg_reference_registry_matches(r.domain, "registry-1.docker.io"),
	   "a familiar name is on Docker Hub under any of its names");
	ok(!bg_reference_registry_matches(r.domain, "registry.access.redhat.com"),
	   "a familiar name is not on registry.access.redhat.com");
	bg_reference_free(&r);
}

/* ---- signature identity matching ---------------------------------------- */

struct sym_case {
	const char *a, *b;
	bool match;
};

static const struct sym_case exact_table[] = {
	{"busybox:latest", "busybox:latest", true},
	{FULL_RHEL, FULL_RHEL, true},
	{"busybox" DIGEST_SUFFIX, "busybox" DIGEST_SUFFIX, true},
	{"library/busybox:latest", "busybox:latest", true},
	{"docker.io/library/busybox:latest", "busybox:latest", true},
	{"library/busybox" DIGEST_SUFFIX, "busybox" DIGEST_SUFFIX, true},
	{"busybox:latest", "busybox:notlatest", false},
	{"busybox:latest", "notbusybox:latest", false},
	{"busybox:latest", "hostname/library/busybox:notlatest", false},
	{"hostname/library/busybox:latest", "busybox:notlatest", false},
	{"busybox:latest", FULL_RHEL, false},
	{"busybox" DIGEST_SUFFIX, "notbusybox" DIGEST_SUFFIX, false},
	{"busybox:latest", "busybox" DIGEST_SUFFIX, false},
	{"busybox" DIGEST_SUFFIX, "busybox" DIGEST_SUFFIX_OTHER, false},
	{"busybox", "busybox:latest", false},
	{"busybox", "busybox" DIGEST_SUFFIX, false},
	{"busybox", "busybox", false},
	{"busybox:latest" DIGEST_SUFFIX, "busybox:latest" DIGEST_SUFFIX, true},
	{"busybox:latest" DIGEST_SUFFIX, "busybox:latest" DIGEST_SUFFIX_OTHER, false},
	{"busybox:latest" DIGEST_SUFFIX, "busybox:notlatest" DIGEST_SUFFIX, false},
	{"busybox:latest" DIGEST_SUFFIX, "busybox" DIGEST_SUFFIX, false},
	{"busybox:latest" DIGEST_SUFFIX, "busybox:latest", false},
	{"UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES", "busybox:latest", false},
	{"", "UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES", false},
	{"INVALID", "INVALID", false},
	/* signatures.md: host comparison is case-sensitive */
	{"REGISTRY.example.test/gate/base:1.0", "registry.example.test/gate/base:1.0", false},
};

static const struct sym_case repository_table[] = {
	{"busybox:latest", "busybox:latest", true},
	{FULL_RHEL, FULL_RHEL, true},
	{"busybox" DIGEST_SUFFIX, "busybox" DIGEST_SUFFIX, true},
	{"library/busybox:latest", "busybox:latest", true},
	{"docker.io/library/busybox:latest", "busybox:latest", true},
	{"library/busybox" DIGEST_SUFFIX, "busybox" DIGEST_SUFFIX, true},
	{"busybox:latest", "busybox:notlatest", true},
	{FULL_RHEL "tagsuffix", FULL_RHEL, true},
	{"library/busybox:latest", "busybox:notlatest", true},
	{"busybox:latest", "library/busybox:notlatest", true},
	{"docker.io/library/busybox:notlatest", "busybox:latest", true},
	{"busybox:notlatest", "docker.io/library/busybox:latest", true},
	{"busybox:latest", "busybox" DIGEST_SUFFIX, true},
	{"busybox" DIGEST_SUFFIX, "busybox" DIGEST_SUFFIX_OTHER, true},
	{"busybox", "busybox:notlatest", true},
	{FULL_RHEL, UNTAGGED_RHEL, true},
	{"busybox", "busybox" DIGEST_SUFFIX, true},
	{"library/busybox", "busybox", true},
	{"docker.io/library/busybox", "busybox", true},
	{"busybox:latest", "notbusybox:latest", false},
	{"hostname/library/busybox:latest", "busybox:notlatest", false},
	{"busybox:latest", FULL_RHEL, false},
	{"busybox" DIGEST_SUFFIX, "notbusybox" DIGEST_SUFFIX, false},
	{"busybox:latest" DIGEST_SUFFIX, "busybox:latest" DIGEST_SUFFIX, true},
	{"busybox:latest" DIGEST_SUFFIX, "busybox:latest" DIGEST_SUFFIX_OTHER, true},
	{"busybox:latest" DIGEST_SUFFIX, "busybox:notlatest" DIGEST_SUFFIX, true},
	{"busybox:latest" DIGEST_SUFFIX, "busybox" DIGEST_SUFFIX, true},
	{"busybox:latest" DIGEST_SUFFIX, "busybox:latest", true},
	{"UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES", "busybox:latest", false},
	{"", "UPPERCASE_IS_INVALID_IN_DOCKER_REFERENCES", false},
	{"INVALID", "INVALID", false},
};

static const struct sym_case repo_digest_or_exact_table[] = { /* image, signature: not symmetric */
	{"busybox:latest", "busybox:notlatest", false},
	{FULL_RHEL "tagsuffix", FULL_RHEL, false},
	{"library/busybox:latest", "busybox:notlatest", false},
	{"busybox:latest", "library/busybox:notlatest", false},
	{"docker.io/library/busybox:notlatest", "busybox:latest", false},
	{"busybox:notlatest", "docker.io/library/busybox:latest", false},
	{"busybox", "busybox:latest", false},
	{"busybox:latest", "busybox", false},
	{"busybox", "busybox" DIGEST_SUFFIX, false},
	{"busybox" DIGEST_SUFFIX, "busybox", false},
	{FULL_RHEL, UNTAGGED_RHEL, false},
	{"busybox", "busybox", false},
	{"busybox:latest", "busybox" DIGEST_SUFFIX, false},
	{"busybox" DIGEST_SUFFIX, "busybox:latest", true},
	{"busybox" DIGEST_SUFFIX, "busybox" DIGEST_SUFFIX_OTHER, true},
	{"busybox:latest" DIGEST_SUFFIX, "busybox:latest", false},
	{"busybox:latest" DIGEST_SUFFIX, "busybox:notlatest", false},
	{"busybox:latest", "busybox:latest" DIGEST_SUFFIX, false},
	{"busybox:latest" DIGEST_SUFFIX, "busybox:latest" DIGEST_SUFFIX_OTHER, false},
	{"busybox:latest" DIGEST_SUFFIX, "busybox:notlatest" DIGEST_SUFFIX_OTHER, false},
};

static void test_identity(void)
{
	size_t n;
	n = sizeof exact_table / sizeof exact_table[0];
	for (size_t i = 0; i < n; i++) {
		const struct sym_case *c = &exact_table[i];
		ok(bg_reference_match_exact(c->a, c->b) == c->match && bg_reference_match_exact(c->b, c->a) == c->match,
		   "matchExact/exactReference \"%s\" vs \"%s\" (both ways): %s", c->a, c->b, c->match ? "match" : "no match");
		/* matchRepoDigestOrExact accepts everything matchExact accepts. */
		if (c->match)
			ok(bg_reference_match_repo_digest_or_exact(c->a, c->b) &&
				   bg_reference_match_repo_digest_or_exact(c->b, c->a),
			   "matchRepoDigestOrExact accepts exact match \"%s\" vs \"%s\"", c->a, c->b);
	}
	n = sizeof repository_table / sizeof repository_table[0];
	for (size_t i = 0; i < n; i++) {
		const struct sym_case *c = &repository_table[i];
		ok(bg_reference_match_repository(c->a, c->b) == c->match &&
			   bg_reference_match_repository(c->b, c->a) == c->match,
		   "matchRepository/exactRepository \"%s\" vs \"%s\" (both ways): %s", c->a, c->b,
		   c->match ? "match" : "no match");
		/* … and rejects everything matchRepository rejects. */
		if (!c->match)
			ok(!bg_reference_match_repo_digest_or_exact(c->a, c->b) &&
				   !bg_reference_match_repo_digest_or_exact(c->b, c->a),
			   "matchRepoDigestOrExact rejects repository mismatch \"%s\" vs \"%s\"", c->a, c->b);
	}
	n = sizeof repo_digest_or_exact_table / sizeof repo_digest_or_exact_table[0];
	for (size_t i = 0; i < n; i++) {
		const struct sym_case *c = &repo_digest_or_exact_table[i];
		ok(bg_reference_match_repo_digest_or_exact(c->a, c->b) == c->match,
		   "matchRepoDigestOrExact image \"%s\" signature \"%s\": %s", c->a, c->b, c->match ? "match" : "no match");
	}
	ok(!bg_reference_match_exact(NULL, "busybox:latest") && !bg_reference_match_repository("busybox", NULL) &&
		   !bg_reference_match_repo_digest_or_exact(NULL, NULL),
	   "NULL never matches");

	/* The docker transport's implicit :latest: pass bg_reference.full. */
	bg_reference img;
	bg_error err = {0};
	is_int(bg_reference_parse("busybox", &img, &err), 0, "parse a name-only image");
	ok(bg_reference_match_repo_digest_or_exact(img.full, "docker.io/library/busybox:latest"),
	   "a name-only docker image (via .full) matches a signature for :latest");
	ok(!bg_reference_match_repo_digest_or_exact(img.full, "busybox:1.36"),
	   "but not a signature for another tag");
	bg_reference_free(&img);

	/* The skopeo-verified remap scenario's default-policy half (signatures.md):
	 * a mirror's name is not the signed name. */
	ok(!bg_reference_match_repo_digest_or_exact("127.0.0.1:5000/mirror/gate/base:1.0",
						    "registry.example.test/gate/base:1.0"),
	   "an image pulled from a mirror does not match the upstream-signed identity");
	ok(bg_reference_match_repo_digest_or_exact("registry.access.redhat.com/rhel7:7.6",
						   "registry.access.redhat.com/rhel7:7.6"),
	   "the Red Hat rhel7:7.6 signature identity matches itself");
}

/* ---- transports ----------------------------------------------------------- */

struct transport_case {
	const char *input;
	const char *error; /* substring, or NULL */
	bg_transport transport;
	const char *path, *image_name;
	int source_index;
	const char *reference; /* bg_reference.full when has_reference, else NULL */
};

static const struct transport_case transport_cases[] = {
	{"docker://registry.redhat.io/rhel9/rhel-bootc:9.4", NULL, BG_TRANSPORT_DOCKER, NULL, NULL, -1,
	 "registry.redhat.io/rhel9/rhel-bootc:9.4"},
	{"docker://busybox", NULL, BG_TRANSPORT_DOCKER, NULL, NULL, -1, "docker.io/library/busybox:latest"},
	{"docker://quay.io/a/b:1@sha256:" D64F, NULL, BG_TRANSPORT_DOCKER, NULL, NULL, -1, "quay.io/a/b:1@sha256:" D64F},
	{"registry.redhat.io/rhel9/rhel-bootc:9.4", NULL, BG_TRANSPORT_DOCKER, NULL, NULL, -1,
	 "registry.redhat.io/rhel9/rhel-bootc:9.4"},
	{"localhost:5000/x", NULL, BG_TRANSPORT_DOCKER, NULL, NULL, -1, "localhost:5000/x:latest"},
	{"foo:bar", NULL, BG_TRANSPORT_DOCKER, NULL, NULL, -1, "docker.io/library/foo:bar"},
	{"docker:busybox", "needs \"//\"", 0, NULL, NULL, -1, NULL},
	{"docker://", "nothing after docker://", 0, NULL, NULL, -1, NULL},
	{"docker://Foo/bar", "must be lowercase", 0, NULL, NULL, -1, NULL},
	{"oci:/var/lib/layout", NULL, BG_TRANSPORT_OCI, "/var/lib/layout", NULL, -1, NULL},
	{"oci:/var/lib/layout:v1.0", NULL, BG_TRANSPORT_OCI, "/var/lib/layout", "v1.0", -1, NULL},
	{"oci:layout:my/image:tag", NULL, BG_TRANSPORT_OCI, "layout", "my/image:tag", -1, NULL},
	{"oci:layout:@2", NULL, BG_TRANSPORT_OCI, "layout", NULL, 2, NULL},
	{"oci:layout:@-1", "must not be negative", 0, NULL, NULL, -1, NULL},
	{"oci:layout:@x", "not an integer", 0, NULL, NULL, -1, NULL},
	{"oci:layout:@", "not an integer", 0, NULL, NULL, -1, NULL},
	{"oci:layout:@99999999999", "too large", 0, NULL, NULL, -1, NULL},
	{"oci:layout:bad name", "not a valid OCI reference name", 0, NULL, NULL, -1, NULL},
	{"oci:layout:a---b", "not a valid OCI reference name", 0, NULL, NULL, -1, NULL},
	{"oci:layout:a--b", NULL, BG_TRANSPORT_OCI, "layout", "a--b", -1, NULL},
	{"oci:layout:", "nothing after the ':'", 0, NULL, NULL, -1, NULL},
	{"oci:", "path is empty", 0, NULL, NULL, -1, NULL},
	{"oci::tag", "path is empty", 0, NULL, NULL, -1, NULL},
	{"oci-archive:/tmp/image.tar", NULL, BG_TRANSPORT_OCI_ARCHIVE, "/tmp/image.tar", NULL, -1, NULL},
	{"oci-archive:/tmp/image.tar:latest", NULL, BG_TRANSPORT_OCI_ARCHIVE, "/tmp/image.tar", "latest", -1, NULL},
	{"oci-archive:", "path is empty", 0, NULL, NULL, -1, NULL},
	{"docker-archive:/tmp/save.tar", NULL, BG_TRANSPORT_DOCKER_ARCHIVE, "/tmp/save.tar", NULL, -1, NULL},
	{"docker-archive:/tmp/save.tar:busybox", NULL, BG_TRANSPORT_DOCKER_ARCHIVE, "/tmp/save.tar", NULL, -1,
	 "docker.io/library/busybox:latest"},
	{"docker-archive:/tmp/save.tar:quay.io/a/b:2", NULL, BG_TRANSPORT_DOCKER_ARCHIVE, "/tmp/save.tar", NULL, -1,
	 "quay.io/a/b:2"},
	{"docker-archive:/tmp/save.tar:@0", NULL, BG_TRANSPORT_DOCKER_ARCHIVE, "/tmp/save.tar", NULL, 0, NULL},
	{"docker-archive:/tmp/save.tar:busybox@sha256:" D64F, "digest references", 0, NULL, NULL, -1, NULL},
	{"docker-archive:/tmp/save.tar:Bad", "must be lowercase", 0, NULL, NULL, -1, NULL},
	{"docker-archive:", "path is empty", 0, NULL, NULL, -1, NULL},
	{"docker-archive:x:", "nothing after the ':'", 0, NULL, NULL, -1, NULL},
	{"dir:/tmp/img", "transport \"dir:\" is not supported", 0, NULL, NULL, -1, NULL},
	{"containers-storage:quay.io/a/b", "not supported", 0, NULL, NULL, -1, NULL},
	{"docker-daemon:busybox:latest", "not supported", 0, NULL, NULL, -1, NULL},
	{"foo:bar:baz", "unknown transport \"foo:\"", 0, NULL, NULL, -1, NULL},
	{"ftp://example.com/image", "unknown transport \"ftp:\"", 0, NULL, NULL, -1, NULL},
	{"Foo/bar", "must be lowercase", 0, NULL, NULL, -1, NULL},
	{"", "empty name", 0, NULL, NULL, -1, NULL},
};

static void test_transports(void)
{
	for (size_t i = 0; i < sizeof transport_cases / sizeof transport_cases[0]; i++) {
		const struct transport_case *c = &transport_cases[i];
		bg_image_ref r;
		bg_error err = {0};
		int rc = bg_image_ref_parse(c->input, &r, &err);
		if (c->error) {
			if (!ok(rc == BG_E_USAGE && strstr(err.message, c->error) != NULL,
				"image \"%s\" is refused with \"%s\"", c->input, c->error))
				tap_diag("rc %d, message: %s", rc, err.message);
			ok(r.path == NULL && r.reference.full == NULL && r.source_index == -1,
			   "image \"%s\": a refused parse leaves the result empty", c->input);
			continue;
		}
		if (!ok(rc == 0, "image \"%s\" parses", c->input)) {
			tap_diag("%s", err.message);
			continue;
		}
		is_str(bg_transport_name(r.transport), bg_transport_name(c->transport), "image \"%s\": transport",
		       c->input);
		is_str(r.path, c->path, "image \"%s\": path", c->input);
		is_str(r.image_name, c->image_name, "image \"%s\": image name", c->input);
		is_int(r.source_index, c->source_index, "image \"%s\": source index", c->input);
		ok(r.has_reference == (c->reference != NULL), "image \"%s\": %s a docker reference", c->input,
		   c->reference ? "has" : "has no");
		if (c->reference)
			is_str(r.reference.full, c->reference, "image \"%s\": reference", c->input);
		bg_image_ref_free(&r);
	}
	bg_image_ref r;
	bg_error err = {0};
	ok(bg_image_ref_parse(NULL, &r, &err) == BG_E_USAGE, "a NULL image is refused");
	bg_image_ref_free(&r);
	bg_image_ref_free(NULL);
	ok(true, "bg_image_ref_free accepts a freed struct and NULL");
	is_str(bg_transport_name(BG_TRANSPORT_OCI_ARCHIVE), "oci-archive", "transport names are containers/image's");
}

int main(void)
{
	test_raw_table();
	test_normalised_table();
	test_registry_matches();
	test_identity();
	test_transports();
	return tap_done();
}
