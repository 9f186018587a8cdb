/* bootgate — the progress line (see progress.h). */
#include "bootgate/progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Quiet for the first second of an item, then at most 5 redraws a second. */
#define SHOW_AFTER_MS 1000u
#define REDRAW_EVERY_MS 200u

struct bg_progress {
	FILE *stream;
	bool enabled;
	pthread_mutex_t lock;
	char *what;          /* current item */
	uint64_t started_ms; /* when it started */
	uint64_t drawn_ms;   /* last redraw, 0: nothing on screen */
	size_t drawn_width;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bg_progress *bg_progress_new(FILE *stream, bool quiet)
{
	bg_progress *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->stream = stream;
	p->enabled = stream && !quiet && isatty(fileno(stream));
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

bool bg_progress_enabled(const bg_progress *p)
{
	return p && p->enabled;
}

static void format_size(char *buf, size_t size, uint64_t n)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	size_t u = 0;
	while (v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

void bg_progress_format(char *buf, size_t size, const char *what, uint64_t done, uint64_t total,
			uint64_t elapsed_ms)
{
	char name[24], d[32], t[32], rate[48];
	/* "sha256:" + 12 hex is enough to tell layers apart. */
	size_t n = strlen(what ? what : "");
	if (n > 19) {
		snprintf(name, sizeof name, "%.19s...", what);
	} else {
		snprintf(name, sizeof name, "%s", what ? what : "");
	}
	format_size(d, sizeof d, done);
	rate[0] = '\0';
	if (elapsed_ms >= 500) {
		char r[32];
		format_size(r, sizeof r, done * 1000u / elapsed_ms);
		snprintf(rate, sizeof rate, "  %s/s", r);
	}
	if (total) {
		format_size(t, sizeof t, total);
		unsigned pct = (unsigned)(done >= total ? 100 : done * 100 / total);
		snprintf(buf, size, "%s %s / %s (%u%%)%s", name, d, t, pct, rate);
	} else {
		snprintf(buf, size, "%s %s%s", name, d, rate);
	}
}

/* Caller holds the lock. */
static void erase(bg_progress *p)
{
	if (p->drawn_ms) {
		fputs("\r\033[K", p->stream);
		fflush(p->stream);
		p->drawn_ms = 0;
		p->drawn_width = 0;
	}
}

void bg_progress_update(void *ctx, const char *what, uint64_t done, uint64_t total)
{
	bg_progress *p = ctx;
	if (!p || !p->enabled || !what)
		return;
	pthread_mutex_lock(&p->lock);
	uint64_t now = mono_ms();
	if (!p->what || strcmp(p->what, what) != 0) {
		/* Another item: start its clock (several parallel items share the
		 * line; whichever reports shows). */
		char *w = bg_strdup(what);
		if (w) {
			free(p->what);
			p->what = w;
			p->started_ms = now;
		}
	}
	bool finished = total && done >= total;
	if (finished) {
		erase(p);
	} else if (now - p->started_ms >= SHOW_AFTER_MS &&
		   (!p->drawn_ms || now - p->drawn_ms >= REDRAW_EVERY_MS)) {
		char line[128];
		bg_progress_format(line, sizeof line, what, done, total, now - p->started_ms);
		fprintf(p->stream, "\r\033[K%s", line);
		fflush(p->stream);
		p->drawn_ms = now;
		p->drawn_width = strlen(line);
	}
	pthread_mutex_unlock(&p->lock);
}

void bg_progress_clear(bg_progress *p)
{
	if (!p || !p->enabled)
		return;
	pthread_mutex_lock(&p->lock);
	erase(p);
	pthread_mutex_unlock(&p->lock);
}

void bg_progress_free(bg_progress *p)
{
	if (!p)
		return;
	bg_progress_clear(p);
	pthread_mutex_destroy(&p->lock);
	free(p->what);
	free(p);
}
