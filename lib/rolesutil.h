/* bootgate — helpers shared by roles.c, rolesign.c and rolediff.c (private). */
#ifndef BOOTGATE_ROLESUTIL_H
#define BOOTGATE_ROLESUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "bootgate/error.h"
#include "util.h"

/* Non-empty, at most BG_ROLES_MAX_STRING bytes of well-formed UTF-8 without
 * control characters. */
bool bg_roles_string_valid(const char *s);

/* Append s as a JSON string literal (escaping quotes, backslashes and
 * control bytes). */
void bg_roles_json_string(bg_strbuf *b, const char *s);

/* Write len bytes to path through a temporary file in the same directory,
 * fsync and rename, so readers never see a partial file.  BG_E_EVAL. */
int bg_roles_write_file_atomic(const char *path, const void *data, size_t len, bg_error *err);

#endif
