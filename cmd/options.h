/* bootgate CLI — options shared by the reporting commands:
 * `--format F` (repeatable) and `--output FILE` (applies to the --format
 * before it), `--failure-threshold`. */
#ifndef BOOTGATE_CMD_OPTIONS_H
#define BOOTGATE_CMD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/finding.h"
#include "bootgate/report.h"
#include "bootgate/source.h"

#define CLI_MAX_OUTPUTS 16

typedef struct cli_outputs {
	struct {
		bg_format format;
		const char *path; /* NULL: standard output */
	} v[CLI_MAX_OUTPUTS];
	size_t n;
} cli_outputs;

/* --format NAME: adds an output (to stdout until an --output follows). */
int cli_outputs_add_format(cli_outputs *o, const char *name);
/* --output FILE: sends the most recent --format to FILE. */
int cli_outputs_set_path(cli_outputs *o, const char *path);
/* After parsing: default to text on stdout; refuse two outputs on stdout. */
int cli_outputs_finish(cli_outputs *o);
/* Writes every output; files are written to a temporary name and renamed,
 * so a reader never sees half a report.  Returns 0 or -1 (message printed). */
int cli_outputs_write(const cli_outputs *o, const bg_report *r);

int cli_parse_threshold(const char *name, bg_severity *out);

/* A whole number from 1 to max for option opt of command cmd; prints the
 * error and returns -1 otherwise. */
int cli_parse_count(const char *cmd, const char *opt, const char *s, unsigned max, unsigned *out);

/* --creds USER[:PASSWORD] (the password from $BOOTGATE_REGISTRY_PASSWORD
 * when not given).  The password is blanked in argv at once, so `ps` does
 * not show it for the rest of the run; free both with cli_free_secret. */
int cli_take_creds(const char *cmd, char *arg, char **user, char **pass);
/* Wipes and frees a secret; accepts NULL. */
void cli_free_secret(char *s);

/* Registry options shared by the commands that read images: getopt values
 * (above every command's own) and their `struct option` entries.  ACCESS:
 * --authfile --creds --cert-dir --tls-verify[=BOOL]; TUNING: --max-attempts
 * --deadline --connect-timeout --low-speed-time. */
enum {
	CLI_OPT_AUTHFILE = 0x1000,
	CLI_OPT_CREDS,
	CLI_OPT_CERT_DIR,
	CLI_OPT_TLS_VERIFY,
	CLI_OPT_MAX_ATTEMPTS,
	CLI_OPT_DEADLINE,
	CLI_OPT_CONNECT_TIMEOUT,
	CLI_OPT_LOW_SPEED_TIME,
};
#define CLI_REGISTRY_ACCESS_OPTIONS                                              \
	{"authfile", required_argument, NULL, CLI_OPT_AUTHFILE},                 \
	{"creds", required_argument, NULL, CLI_OPT_CREDS},                       \
	{"cert-dir", required_argument, NULL, CLI_OPT_CERT_DIR},                 \
	{"tls-verify", optional_argument, NULL, CLI_OPT_TLS_VERIFY}
#define CLI_REGISTRY_TUNING_OPTIONS                                              \
	{"max-attempts", required_argument, NULL, CLI_OPT_MAX_ATTEMPTS},         \
	{"deadline", required_argument, NULL, CLI_OPT_DEADLINE},                 \
	{"connect-timeout", required_argument, NULL, CLI_OPT_CONNECT_TIMEOUT},   \
	{"low-speed-time", required_argument, NULL, CLI_OPT_LOW_SPEED_TIME}

/* Applies a registry option to o (credentials into *user / *pass, replacing
 * earlier ones; free them with cli_free_secret).  Returns 1 when opt is one
 * of them, 0 when it is not, -1 for a bad value (message printed). */
int cli_registry_option(const char *cmd, int opt, char *arg, bg_source_options *o, char **user,
			char **pass);

/* Colour for text on stdout: a tty and NO_COLOR unset. */
bool cli_stdout_color(void);

#endif
