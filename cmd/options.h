/* bootgate CLI — options shared by the reporting commands:
 * `--format F` (repeatable) and `--output FILE` (applies to the --format
 * before it), `--failure-threshold`. */
#ifndef BOOTGATE_CMD_OPTIONS_H
#define BOOTGATE_CMD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/finding.h"
#include "bootgate/report.h"

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

/* Colour for text on stdout: a tty and NO_COLOR unset. */
bool cli_stdout_color(void);

#endif
