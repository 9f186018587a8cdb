/* bootgate — inline suppressions in Containerfiles:
 *
 *   # bootgate ignore=base-latest,var-content reason="pinned by the release job"
 *
 * on a comment line directly above an instruction.  The reason is required:
 * a suppression is a reviewed exception, and the report carries it. */
#ifndef BOOTGATE_SUPPRESSION_H
#define BOOTGATE_SUPPRESSION_H

#include <stdbool.h>

#include "util.h"

typedef struct bg_suppression {
	bg_strv rules;  /* rule ids, as written */
	char *reason;   /* NULL when missing */
} bg_suppression;

/* Reads one comment line (with or without its leading '#').
 * Returns 0 when the comment is not a bootgate directive, 1 when it is one
 * and *out is filled, or BG_E_INPUT with a message when it starts with
 * "bootgate" but is malformed.  A missing reason is not an error here (the
 * caller reports it); an empty rule list is. */
int bg_suppression_parse(const char *comment, bg_suppression *out, bg_error *err);

void bg_suppression_free(bg_suppression *s);

#endif
