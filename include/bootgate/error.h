/* bootgate — error reporting shared by every module.
 *
 * Library functions never print and never exit: a fallible call returns 0 on
 * success or a negative bg_status, and fills the caller's bg_error with a
 * message that says what failed, where, and what to do.  The CLI maps the
 * status to an exit code (see bg_status_exit_code). */
#ifndef BOOTGATE_ERROR_H
#define BOOTGATE_ERROR_H

#include <stddef.h>

typedef enum bg_status {
	BG_OK = 0,
	BG_E_USAGE = -1,    /* bad argument or configuration: exit 2 */
	BG_E_INPUT = -2,    /* input that cannot be parsed or is invalid: exit 1 */
	BG_E_EVAL = -3,     /* could not evaluate (I/O, network, missing data): exit 3 */
	BG_E_NOMEM = -4,    /* out of memory: exit 3 */
	BG_E_REJECT = -5,   /* evaluated and refused (policy violation): exit 1 */
} bg_status;

#define BG_ERROR_MAX 1024

typedef struct bg_error {
	bg_status status;
	char message[BG_ERROR_MAX];
	/* Where the error is, when it is in a file the user gave (0 = unknown). */
	unsigned line;
	unsigned column;
} bg_error;

/* Record an error and return status (so `return bg_error_set(...)` works).
 * err may be NULL. */
int bg_error_set(bg_error *err, bg_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Same, with a position in the user's file. */
int bg_error_at(bg_error *err, bg_status status, unsigned line, unsigned column,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Prefix the existing message with context ("reading X: <old message>"). */
void bg_error_prefix(bg_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void bg_error_clear(bg_error *err);

/* The process exit code for a status, per DESIGN.md: 0 ok, 1 rejected,
 * 2 usage/configuration, 3 could not evaluate. */
int bg_status_exit_code(int status);

#endif
