/* bootgate — bg_error helpers. */
#include "bootgate/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int error_vset(bg_error *err, bg_status status, unsigned line, unsigned column,
		      const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static int error_vset(bg_error *err, bg_status status, unsigned line, unsigned column,
		      const char *fmt, va_list ap)
{
	if (err) {
		err->status = status;
		err->line = line;
		err->column = column;
		vsnprintf(err->message, sizeof err->message, fmt, ap);
	}
	return status;
}

int bg_error_set(bg_error *err, bg_status status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = error_vset(err, status, 0, 0, fmt, ap);
	va_end(ap);
	return rc;
}

int bg_error_at(bg_error *err, bg_status status, unsigned line, unsigned column,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = error_vset(err, status, line, column, fmt, ap);
	va_end(ap);
	return rc;
}

void bg_error_prefix(bg_error *err, const char *fmt, ...)
{
	if (!err)
		return;
	char old[BG_ERROR_MAX];
	memcpy(old, err->message, sizeof old);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof err->message - 2)
		return;
	size_t used = (size_t)n;
	memcpy(err->message + used, ": ", 2);
	used += 2;
	size_t room = sizeof err->message - used - 1;
	size_t len = strnlen(old, sizeof old);
	if (len > room)
		len = room;
	memcpy(err->message + used, old, len);
	err->message[used + len] = '\0';
}

void bg_error_clear(bg_error *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}

int bg_status_exit_code(int status)
{
	switch (status) {
	case BG_OK:
		return 0;
	case BG_E_INPUT:
	case BG_E_REJECT:
		return 1;
	case BG_E_USAGE:
		return 2;
	default:
		return 3;
	}
}
