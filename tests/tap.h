/* bootgate — a tiny TAP producer for the unit tests (meson protocol: 'tap').
 *
 *   ok(cond, "name %d", i);       one test point
 *   is_str(got, want, "name");    string equality, shows both on failure
 *   is_int(got, want, "name");
 *   return tap_done();            prints the plan, exit status 1 on failure
 *
 * Each program is one module's tests; every test point names the behaviour
 * it checks so meson's JUnit log reads as a list of behaviours. */
#ifndef BOOTGATE_TAP_H
#define BOOTGATE_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count, tap_failed;

static inline bool __attribute__((format(printf, 2, 3))) ok(bool cond, const char *fmt, ...)
{
	va_list ap;
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

#define is_str(got, want, ...)                                                     \
	do {                                                                       \
		const char *g_ = (got), *w_ = (want);                              \
		if (!ok((g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_, __VA_ARGS__)) \
			tap_diag("got:  %s\n#   want: %s", g_ ? g_ : "(null)",       \
				 w_ ? w_ : "(null)");                               \
	} while (0)

#define is_int(got, want, ...)                                                \
	do {                                                                  \
		long long g_ = (long long)(got), w_ = (long long)(want);      \
		if (!ok(g_ == w_, __VA_ARGS__))                                \
			tap_diag("got: %lld, want: %lld", g_, w_);             \
	} while (0)

static inline int tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	return 77;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
