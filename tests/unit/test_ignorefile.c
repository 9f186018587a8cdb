/* Tests for ignore-file reading: pattern cleaning and allow-list detection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootgate/ignorefile.h"
#include "tap.h"

static int allowlist(const char *text)
{
	bg_ignorefile *f = NULL;
	bg_error err = {0};
	if (bg_ignorefile_parse(".containerignore", text, strlen(text), &f, &err) != 0)
		return -1;
	int r = bg_ignorefile_is_allowlist(f);
	bg_ignorefile_free(f);
	return r;
}

static void test_allowlist(void)
{
	is_int(allowlist("*\n!src\n!Containerfile\n"), 1, "'*' then !paths is an allow-list");
	is_int(allowlist("# only what we ship\n\n**\n!etc/audit\n"), 1, "comments and blank lines before '**' are skipped");
	is_int(allowlist("/*\n!/usr/lib\n"), 1, "leading slash is relative to the context root");
	is_int(allowlist("  *  \r\n!a\r\n"), 1, "surrounding blanks and CRLF are trimmed");
	is_int(allowlist("**/*\n!a\n"), 1, "'**/*' excludes everything too");
	is_int(allowlist("node_modules\n*.log\n"), 0, "a deny-list is not an allow-list");
	is_int(allowlist("!src\n*\n"), 0, "a re-include before '*' does not make an allow-list");
	is_int(allowlist("*\n!src\n!*\n"), 0, "'!*' later re-includes everything");
	is_int(allowlist("*\n!./\n"), 0, "'!./' (the whole context) re-includes everything");
	is_int(allowlist(""), 0, "an empty file is not an allow-list");
	is_int(allowlist("#*\n"), 0, "'#*' is a comment, not a pattern");
	is_int(allowlist("./*/../*\n!a\n"), 1, "patterns are cleaned like filepath.Clean");
}

static void test_patterns(void)
{
	const char *text = "# c\n/a/./b//c/\n! d\n../../e\n";
	bg_ignorefile *f = NULL;
	bg_error err = {0};
	ok(bg_ignorefile_parse("x", text, strlen(text), &f, &err) == 0, "parse patterns");
	is_int(f->n, 3, "three patterns");
	is_str(f->v[0].pattern, "a/b/c", "slashes, dots and trailing slash cleaned");
	is_int(f->v[0].line, 2, "line numbers kept");
	ok(f->v[1].negated, "'! d' is a re-include");
	is_str(f->v[1].pattern, "d", "blank after '!' skipped");
	is_str(f->v[2].pattern, "e", "'..' cannot climb above the context root");
	bg_ignorefile_free(f);

	f = NULL;
	ok(bg_ignorefile_parse("bad", "a\n\0b\n", 5, &f, &err) < 0 && strstr(err.message, "NUL") &&
		   err.line == 2,
	   "NUL byte is an error with its line");
	ok(f == NULL, "no result on error");
}

static void test_locate(void)
{
	char dir[] = "/tmp/bg-ignore-XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	char cf[512], dockerignore[512], containerignore[512], specific[512];
	snprintf(cf, sizeof cf, "%s/Containerfile", dir);
	snprintf(dockerignore, sizeof dockerignore, "%s/.dockerignore", dir);
	snprintf(containerignore, sizeof containerignore, "%s/.containerignore", dir);
	snprintf(specific, sizeof specific, "%s/Containerfile.dockerignore", dir);
	bg_error err = {0};
	char *found = NULL;

	ok(bg_ignorefile_locate(dir, cf, &found, &err) == 0 && found == NULL, "no ignore file: none found");
	fclose(fopen(dockerignore, "w"));
	bg_ignorefile_locate(dir, cf, &found, &err);
	is_str(found, dockerignore, ".dockerignore found");
	free(found);
	fclose(fopen(containerignore, "w"));
	bg_ignorefile_locate(dir, cf, &found, &err);
	is_str(found, containerignore, ".containerignore preferred over .dockerignore");
	free(found);
	fclose(fopen(specific, "w"));
	bg_ignorefile_locate(dir, cf, &found, &err);
	is_str(found, specific, "<Containerfile>.dockerignore preferred (BuildKit)");
	free(found);
	bg_ignorefile_locate(dir, "-", &found, &err);
	is_str(found, containerignore, "stdin Containerfile uses the context's file");
	free(found);

	unlink(specific);
	unlink(containerignore);
	unlink(dockerignore);
	rmdir(dir);
}

int main(void)
{
	test_allowlist();
	test_patterns();
	test_locate();
	return tap_done();
}
