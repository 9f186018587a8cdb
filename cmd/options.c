/* bootgate CLI — options shared by the commands: outputs, thresholds,
 * counts, registry credentials. */
#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int cli_outputs_add_format(cli_outputs *o, const char *name)
{
	bg_format f;
	if (bg_format_parse(name, &f) != 0) {
		fprintf(stderr, "bootgate: unknown format '%s' (use text, json, sarif, codeclimate, junit or github)\n",
			name);
		return -1;
	}
	if (o->n == CLI_MAX_OUTPUTS) {
		fprintf(stderr, "bootgate: at most %d outputs\n", CLI_MAX_OUTPUTS);
		return -1;
	}
	o->v[o->n].format = f;
	o->v[o->n].path = NULL;
	o->n++;
	return 0;
}

int cli_outputs_set_path(cli_outputs *o, const char *path)
{
	if (o->n == 0 || o->v[o->n - 1].path) {
		fprintf(stderr, "bootgate: --output %s must follow the --format it is for\n", path);
		return -1;
	}
	if (strcmp(path, "-") != 0)
		o->v[o->n - 1].path = path;
	return 0;
}

int cli_outputs_finish(cli_outputs *o)
{
	if (o->n == 0) {
		o->v[0].format = BG_FORMAT_TEXT;
		o->v[0].path = NULL;
		o->n = 1;
	}
	size_t to_stdout = 0;
	for (size_t i = 0; i < o->n; i++)
		to_stdout += o->v[i].path == NULL;
	if (to_stdout > 1) {
		fputs("bootgate: more than one --format goes to standard output; give each extra one an --output FILE\n",
		      stderr);
		return -1;
	}
	return 0;
}

static int write_one(bg_format format, const char *path, const bg_report *r)
{
	bg_error err = {0};
	if (!path) {
		bg_report copy = *r;
		copy.color = format == BG_FORMAT_TEXT && r->color;
		int rc = bg_report_write(stdout, format, &copy, &err);
		if (fflush(stdout) != 0 && rc == 0)
			rc = bg_error_set(&err, BG_E_EVAL, "standard output: %s", strerror(errno));
		if (rc != 0)
			fprintf(stderr, "bootgate: %s\n", err.message);
		return rc ? -1 : 0;
	}
	char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return -1;
	FILE *f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "bootgate: cannot write %s: %s\n", path, strerror(errno));
		free(tmp);
		return -1;
	}
	bg_report copy = *r;
	copy.color = false;
	int rc = bg_report_write(f, format, &copy, &err);
	if (fclose(f) != 0 && rc == 0)
		rc = bg_error_set(&err, BG_E_EVAL, "%s: %s", path, strerror(errno));
	if (rc == 0 && rename(tmp, path) != 0)
		rc = bg_error_set(&err, BG_E_EVAL, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
	if (rc != 0) {
		fprintf(stderr, "bootgate: %s\n", err.message);
		unlink(tmp);
	}
	free(tmp);
	return rc ? -1 : 0;
}

int cli_outputs_write(const cli_outputs *o, const bg_report *r)
{
	int rc = 0;
	for (size_t i = 0; i < o->n; i++)
		if (write_one(o->v[i].format, o->v[i].path, r) != 0)
			rc = -1;
	return rc;
}

int cli_parse_threshold(const char *name, bg_severity *out)
{
	if (bg_severity_parse(name, out) != 0) {
		fprintf(stderr, "bootgate: unknown failure threshold '%s' (use error, warning, info or none)\n", name);
		return -1;
	}
	return 0;
}

int cli_parse_count(const char *cmd, const char *opt, const char *s, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || s[0] == '+' || v == 0 || v > max) {
		fprintf(stderr, "bootgate %s: %s needs a number from 1 to %u, got '%s'\n", cmd, opt, max, s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int cli_take_creds(const char *cmd, char *arg, char **user, char **pass)
{
	char *colon = strchr(arg, ':');
	if (arg[0] == ':' || arg[0] == '\0') {
		fprintf(stderr, "bootgate %s: --creds needs USER[:PASSWORD]\n", cmd);
		return -1;
	}
	if (colon) {
		*user = bg_strndup(arg, (size_t)(colon - arg));
		*pass = bg_strdup(colon + 1);
		memset(colon + 1, '*', strlen(colon + 1));
	} else {
		const char *env = getenv("BOOTGATE_REGISTRY_PASSWORD");
		if (!env) {
			fprintf(stderr, "bootgate %s: --creds USER without ':PASSWORD' needs "
				"$BOOTGATE_REGISTRY_PASSWORD\n", cmd);
			return -1;
		}
		*user = bg_strdup(arg);
		*pass = bg_strdup(env);
	}
	return *user && *pass ? 0 : -1;
}

void cli_free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

int cli_registry_option(const char *cmd, int opt, char *arg, bg_source_options *o, char **user,
			char **pass)
{
	switch (opt) {
	case CLI_OPT_AUTHFILE:
		o->authfile = arg;
		return 1;
	case CLI_OPT_CREDS:
		cli_free_secret(*user);
		cli_free_secret(*pass);
		*user = *pass = NULL;
		/* arg is argv's own string: blanking it hides the password. */
		return cli_take_creds(cmd, arg, user, pass) == 0 ? 1 : -1;
	case CLI_OPT_CERT_DIR:
		o->cert_dir = arg;
		return 1;
	case CLI_OPT_TLS_VERIFY:
		if (!arg || strcmp(arg, "true") == 0)
			o->insecure = false;
		else if (strcmp(arg, "false") == 0)
			o->insecure = true;
		else {
			fprintf(stderr, "bootgate %s: --tls-verify takes true or false, got '%s'\n", cmd, arg);
			return -1;
		}
		return 1;
	case CLI_OPT_MAX_ATTEMPTS:
		return cli_parse_count(cmd, "--max-attempts", arg, 86400, &o->max_attempts) == 0 ? 1 : -1;
	case CLI_OPT_DEADLINE:
		return cli_parse_count(cmd, "--deadline", arg, 86400, &o->deadline_seconds) == 0 ? 1 : -1;
	case CLI_OPT_CONNECT_TIMEOUT:
		return cli_parse_count(cmd, "--connect-timeout", arg, 86400, &o->connect_timeout) == 0 ? 1 : -1;
	case CLI_OPT_LOW_SPEED_TIME:
		return cli_parse_count(cmd, "--low-speed-time", arg, 86400, &o->low_speed_seconds) == 0 ? 1
														 : -1;
	default:
		return 0;
	}
}

bool cli_stdout_color(void)
{
	const char *nc = getenv("NO_COLOR");
	return isatty(STDOUT_FILENO) && !(nc && *nc);
}
