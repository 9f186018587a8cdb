/* bootgate drift — is this host running the image its role's signed
 * manifest says?  Verifies the manifest, reads `bootc status --format json`
 * and compares digests; text for people, one JSON event per line for a SIEM. */
#include <errno.h>
#include <getopt.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bootgate/bootc.h"
#include "bootgate/roles.h"
#include "commands.h"
#include "util.h"

extern char **environ;

static void drift_usage(FILE *out)
{
	fputs("Usage: bootgate drift --manifest FILE --role R --keyring FILE --threshold N\n"
	      "                      [--status FILE|-] [--state FILE] [--min-serial N]\n"
	      "                      [--allow FPR]... [--format text|json] [--host NAME]\n"
	      "\n"
	      "Verify the signed role manifest (as 'bootgate manifest verify'), read this\n"
	      "host's 'bootc status --format json' (from FILE, '-' for standard input, or by\n"
	      "running 'bootc status --format json' when --status is not given), and compare\n"
	      "status.booted.image.imageDigest with the digests recorded for role R (its\n"
	      "platform manifest digest or its index digest).  A staged deployment must match\n"
	      "too (it is what the host boots next).  The rollback deployment and a pending\n"
	      "cached update (from 'bootc upgrade --check') are reported; a cached update\n"
	      "that is not the role's image is flagged before it is applied.\n"
	      "\n"
	      "Options:\n"
	      "      --manifest FILE    the role manifest (signatures MANIFEST.<FPR>.sig next\n"
	      "                         to it)\n"
	      "      --role R           this host's role\n"
	      "      --keyring FILE     the release managers' public keys\n"
	      "      --threshold N      distinct valid signatures required\n"
	      "      --allow FPR        count only these keys of the keyring (repeatable)\n"
	      "      --state FILE       replay protection: highest manifest serial accepted\n"
	      "      --min-serial N     refuse a manifest with a lower serial\n"
	      "      --status FILE|-    bootc status JSON (default: run bootc)\n"
	      "  -f, --format F         text, or json: one JSON event per line (Splunk HEC\n"
	      "                         envelope: time, host, source, sourcetype, event),\n"
	      "                         for journald or a HEC forwarder\n"
	      "      --host NAME        host name in events (default: gethostname)\n"
	      "  -h, --help             show this help\n"
	      "\n"
	      "Exit status: 0 in sync, 1 drifted, 2 usage error, 3 could not evaluate (the\n"
	      "manifest is not accepted or has no entry for R, the host is not a bootc host,\n"
	      "bootc is missing or fails, the status cannot be parsed).\n",
	      out);
}

typedef struct drift_ctx {
	bool json;
	const char *host;
	const char *role;
	int64_t serial;           /* 0 until the manifest is verified */
	const char *manifest_sha; /* NULL until read */
} drift_ctx;

/* One HEC-shaped event per line; event members in a fixed order. */
static void emit(const drift_ctx *c, json_object *event)
{
	json_object *env = json_object_new_object();
	json_object_object_add(env, "time", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(env, "host", json_object_new_string(c->host));
	json_object_object_add(env, "source", json_object_new_string("bootgate-drift"));
	json_object_object_add(env, "sourcetype", json_object_new_string("_json"));
	json_object_object_add(env, "event", event);
	const char *s = json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s)
		printf("%s\n", s);
	fflush(stdout);
	json_object_put(env);
}

static json_object *event_new(const drift_ctx *c, const char *type)
{
	json_object *e = json_object_new_object();
	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_object_add(e, "role", c->role ? json_object_new_string(c->role) : NULL);
	json_object_object_add(e, "manifest_serial", c->serial ? json_object_new_int64(c->serial) : NULL);
	return e;
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* Could not evaluate: message on stderr, and an event for the SIEM. */
static int cannot_evaluate(const drift_ctx *c, int code, const char *msg)
{
	fprintf(stderr, "bootgate drift: %s\n", msg);
	if (c->json) {
		json_object *e = event_new(c, "bootgate.drift.result");
		json_object_object_add(e, "status", json_object_new_string("error"));
		json_object_object_add(e, "exit_code", json_object_new_int(code));
		json_object_object_add(e, "message", json_object_new_string(msg));
		emit(c, e);
	}
	return code;
}

/* Run `bootc status --format json` and capture its standard output. */
static int run_bootc(char **out, size_t *len, bg_error *err)
{
	int fds[2];
	if (pipe(fds) != 0)
		return bg_error_set(err, BG_E_EVAL, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	char *argv[] = {"bootc", "status", "--format", "json", NULL};
	pid_t pid;
	int rc = posix_spawnp(&pid, "bootc", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		if (rc == ENOENT)
			return bg_error_set(err, BG_E_EVAL,
					    "bootc is not installed: this is not a bootc host (give --status FILE "
					    "to check a status document)");
		return bg_error_set(err, BG_E_EVAL, "cannot run bootc: %s", strerror(rc));
	}
	bg_strbuf b = {0};
	char buf[65536];
	bool too_big = false;
	for (;;) {
		ssize_t n = read(fds[0], buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (b.len + (size_t)n > BG_BOOTC_MAX_STATUS_BYTES)
			too_big = true;
		else
			bg_strbuf_add(&b, buf, (size_t)n);
	}
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (too_big || b.oom || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		bg_strbuf_free(&b);
		if (too_big)
			return bg_error_set(err, BG_E_EVAL, "bootc status printed more than %lu bytes",
					    (unsigned long)BG_BOOTC_MAX_STATUS_BYTES);
		return bg_error_set(err, BG_E_EVAL,
				    "'bootc status --format json' failed (exit %d): is this a bootc host, and "
				    "is bootgate running as root?",
				    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	*len = b.len;
	*out = bg_strbuf_take(&b);
	if (!*out)
		*out = bg_strdup("");
	return *out ? 0 : bg_error_set(err, BG_E_NOMEM, "out of memory");
}

static void deployment_event(const drift_ctx *c, const char *slot, const bg_bootc_image *img,
			     const bg_role_entry *e, bool matches)
{
	json_object *ev = event_new(c, "bootgate.drift.deployment");
	json_object_object_add(ev, "slot", json_object_new_string(slot));
	json_object_object_add(ev, "image", str_or_null(img->image));
	json_object_object_add(ev, "digest", str_or_null(img->digest));
	json_object_object_add(ev, "version", str_or_null(img->version));
	json_object_object_add(ev, "expected_manifest_digest", str_or_null(e->manifest_digest));
	json_object_object_add(ev, "expected_index_digest", str_or_null(e->index_digest));
	json_object_object_add(ev, "matches", json_object_new_boolean(matches));
	emit(c, ev);
}

static void text_line(const char *slot, const bg_bootc_image *img, const char *verdict)
{
	printf("  %-14s %s  %s", slot, img->digest, verdict);
	if (img->version) {
		fputs("  (version ", stdout);
		for (const unsigned char *p = (const unsigned char *)img->version; *p; p++)
			if (*p >= 0x20 && *p != 0x7f)
				putchar(*p);
		putchar(')');
	}
	putchar('\n');
}

int cmd_drift(int argc, char **argv)
{
	enum { OPT_MANIFEST = 256, OPT_ROLE, OPT_KEYRING, OPT_THRESHOLD, OPT_STATE, OPT_MIN_SERIAL,
	       OPT_ALLOW, OPT_STATUS, OPT_HOST };
	static const struct option opts[] = {
		{"manifest", required_argument, NULL, OPT_MANIFEST},
		{"role", required_argument, NULL, OPT_ROLE},
		{"keyring", required_argument, NULL, OPT_KEYRING},
		{"threshold", required_argument, NULL, OPT_THRESHOLD},
		{"state", required_argument, NULL, OPT_STATE},
		{"min-serial", required_argument, NULL, OPT_MIN_SERIAL},
		{"allow", required_argument, NULL, OPT_ALLOW},
		{"status", required_argument, NULL, OPT_STATUS},
		{"host", required_argument, NULL, OPT_HOST},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *manifest = NULL, *status_path = NULL;
	bg_roles_verify_options vo = {0};
	bg_strv allow = {0};
	bool have_threshold = false;
	char hostname[256] = "";
	drift_ctx c = {0};
	bg_roles_verify_result res = {0};
	bg_bootc_status st = {0};
	bg_error err = {0};
	_cleanup_free_ char *status_data = NULL;
	size_t status_len = 0;
	int opt, rc = 2;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		char *end;
		long long v;
		switch (opt) {
		case OPT_MANIFEST:
			manifest = optarg;
			break;
		case OPT_ROLE:
			c.role = optarg;
			break;
		case OPT_KEYRING:
			vo.keyring = optarg;
			break;
		case OPT_THRESHOLD:
		case OPT_MIN_SERIAL:
			errno = 0;
			v = strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || optarg[0] == '-' || optarg[0] == '+' ||
			    (opt == OPT_THRESHOLD && (v < 1 || v > BG_ROLES_MAX_SIGNATURES))) {
				fprintf(stderr, "bootgate drift: %s needs %s, got '%s'\n",
					opt == OPT_THRESHOLD ? "--threshold" : "--min-serial",
					opt == OPT_THRESHOLD ? "a number from 1 to 64" : "a non-negative integer", optarg);
				goto out;
			}
			if (opt == OPT_THRESHOLD) {
				vo.threshold = (unsigned)v;
				have_threshold = true;
			} else {
				vo.min_serial = v;
			}
			break;
		case OPT_STATE:
			vo.state_path = optarg;
			break;
		case OPT_ALLOW:
			if (bg_strv_push(&allow, optarg) < 0)
				goto out;
			break;
		case OPT_STATUS:
			status_path = optarg;
			break;
		case OPT_HOST:
			snprintf(hostname, sizeof hostname, "%s", optarg);
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0) {
				c.json = true;
			} else if (strcmp(optarg, "text") != 0) {
				fprintf(stderr, "bootgate drift: --format must be text or json, got '%s'\n", optarg);
				goto out;
			}
			break;
		case 'h':
			drift_usage(stdout);
			rc = 0;
			goto out;
		default:
			fputs("(see 'bootgate drift --help')\n", stderr);
			goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "bootgate drift: unexpected argument '%s'\n", argv[optind]);
		goto out;
	}
	if (!manifest || !c.role || !vo.keyring || !have_threshold) {
		fputs("bootgate drift: --manifest, --role, --keyring and --threshold are required\n"
		      "(see 'bootgate drift --help')\n", stderr);
		goto out;
	}
	if (!hostname[0] && gethostname(hostname, sizeof hostname - 1) != 0)
		snprintf(hostname, sizeof hostname, "unknown");
	c.host = hostname;
	vo.allowed = (const char *const *)allow.v;
	vo.n_allowed = allow.n;

	/* 1. The manifest, verified before anything in it is believed. */
	rc = bg_roles_verify(manifest, &vo, &res, &err);
	if (rc < 0) {
		rc = cannot_evaluate(&c, bg_status_exit_code(rc), err.message);
		goto out;
	}
	c.manifest_sha = res.manifest_sha256;
	if (!res.accepted) {
		char msg[2048];
		snprintf(msg, sizeof msg, "role manifest %s not accepted: %s", manifest, res.reason);
		for (size_t i = 0; i < res.n_notes; i++)
			fprintf(stderr, "note: %s\n", res.notes[i]);
		rc = cannot_evaluate(&c, 3, msg);
		goto out;
	}
	c.serial = res.manifest->serial;
	const bg_role_entry *entry = bg_roles_find(res.manifest, c.role);
	if (!entry) {
		char msg[512];
		snprintf(msg, sizeof msg, "the role manifest (serial %lld) has no role \"%.64s\"",
			 (long long)c.serial, c.role);
		rc = cannot_evaluate(&c, 3, msg);
		goto out;
	}

	/* 2. The host's status. */
	if (status_path)
		rc = bg_read_file(status_path, BG_BOOTC_MAX_STATUS_BYTES, &status_data, &status_len, &err);
	else
		rc = run_bootc(&status_data, &status_len, &err);
	if (rc < 0) {
		rc = cannot_evaluate(&c, 3, err.message);
		goto out;
	}
	rc = bg_bootc_status_parse(status_data, status_len, status_path ? status_path : "bootc status", &st, &err);
	if (rc < 0) {
		rc = cannot_evaluate(&c, 3, err.message);
		goto out;
	}
	bg_bootc_drift d;
	rc = bg_bootc_drift_eval(&st, entry, &d, &err);
	if (rc < 0) {
		rc = cannot_evaluate(&c, 3, err.message);
		goto out;
	}

	/* 3. Report. */
	if (c.json) {
		deployment_event(&c, "booted", &st.booted.image, entry, d.booted_matches);
		if (d.staged_present)
			deployment_event(&c, "staged", &st.staged.image, entry, d.staged_matches);
		if (d.rollback_present)
			deployment_event(&c, "rollback", &st.rollback.image, entry, d.rollback_matches);
		if (d.cached_update_present)
			deployment_event(&c, "cached_update", &st.booted.cached_update, entry, d.cached_update_matches);
		json_object *ev = event_new(&c, "bootgate.drift.result");
		json_object_object_add(ev, "status", json_object_new_string(d.in_sync ? "in_sync" : "drifted"));
		json_object_object_add(ev, "exit_code", json_object_new_int(d.in_sync ? 0 : 1));
		json_object_object_add(ev, "booted_digest", json_object_new_string(st.booted.image.digest));
		json_object_object_add(ev, "expected_manifest_digest", json_object_new_string(entry->manifest_digest));
		json_object_object_add(ev, "expected_index_digest", str_or_null(entry->index_digest));
		json_object_object_add(ev, "tracking", str_or_null(st.booted.image.image));
		if (d.repository_checked)
			json_object_object_add(ev, "tracking_role_repository", json_object_new_boolean(d.repository_matches));
		json_object_object_add(ev, "cached_update_unapproved",
				       json_object_new_boolean(d.cached_update_present && !d.cached_update_matches));
		json_object_object_add(ev, "manifest_sha256", json_object_new_string(c.manifest_sha));
		json_object *signers = json_object_new_array();
		for (size_t i = 0; i < res.n_signers; i++)
			json_object_array_add(signers, json_object_new_string(res.signers[i]));
		json_object_object_add(ev, "manifest_signers", signers);
		emit(&c, ev);
	} else {
		printf("role %s: manifest serial %lld (signed by %zu of %u required), expected %s",
		       c.role, (long long)c.serial, res.n_signers, vo.threshold, entry->manifest_digest);
		if (entry->index_digest)
			printf(" or index %s", entry->index_digest);
		putchar('\n');
		text_line("booted", &st.booted.image, d.booted_matches ? "OK" : "DRIFTED: not the role's image");
		if (d.staged_present)
			text_line("staged", &st.staged.image,
				  d.staged_matches ? "OK (boots next)" : "DRIFTED: boots next and is not the role's image");
		if (d.rollback_present)
			text_line("rollback", &st.rollback.image,
				  d.rollback_matches ? "the role's image" : "not the role's image (rollback only)");
		if (d.cached_update_present)
			text_line("cached update", &st.booted.cached_update,
				  d.cached_update_matches ? "the role's image (not applied yet)"
							  : "NOT IN THE MANIFEST: do not apply");
		if (d.repository_checked && !d.repository_matches) {
			fputs("  warning: the host follows ", stdout);
			for (const unsigned char *p = (const unsigned char *)st.booted.image.image; *p; p++)
				if (*p >= 0x20 && *p != 0x7f)
					putchar(*p);
			printf(", not the role's repository %s: 'bootc upgrade' would pull from there\n",
			       entry->repository);
		}
		printf("result: %s\n", d.in_sync ? "IN SYNC" : "DRIFTED");
	}
	rc = d.in_sync ? 0 : 1;
out:
	bg_bootc_status_free(&st);
	bg_roles_verify_result_free(&res);
	bg_strv_free(&allow);
	return rc;
}
