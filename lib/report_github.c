/* bootgate — GitHub Actions workflow commands (reference/ecosystem.md A4):
 *
 *   ::error file=Containerfile,line=3,col=6,title=base-unpinned::message%0Ahelp: ...
 *
 * one per unsuppressed finding (error → ::error, warning → ::warning,
 * info → ::notice), then the summary line as plain log text.  Escaping as
 * @actions/core does it: data % CR LF; property values also ':' and ','.
 * Since CR and LF never reach the log raw, text from the user's files can
 * not start a workflow command of its own; other control bytes become
 * U+FFFD, as does invalid UTF-8.  line/col are left out for a
 * whole-file finding (line 0); col/endColumn only when the finding is on
 * one line, as @actions/core requires.  GitHub shows at most 10 errors and
 * 10 warnings per step, so the text or SARIF report should go along. */
#include "bootgate/report.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void put_escaped(bg_strbuf *b, const char *s, bool property)
{
	_cleanup_free_ char *clean = bg_report_utf8(s);
	if (!clean) {
		b->oom = true;
		return;
	}
	for (const char *p = clean; *p; p++) {
		switch (*p) {
		case '%':
			bg_strbuf_puts(b, "%25");
			break;
		case '\r':
			bg_strbuf_puts(b, "%0D");
			break;
		case '\n':
			bg_strbuf_puts(b, "%0A");
			break;
		case ':':
			bg_strbuf_puts(b, property ? "%3A" : ":");
			break;
		case ',':
			bg_strbuf_puts(b, property ? "%2C" : ",");
			break;
		case '\t':
			bg_strbuf_putc(b, '\t');
			break;
		default:
			/* Other control bytes (ESC above all) would colour or
			 * garble the log and the annotation: not worth passing on. */
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				bg_strbuf_puts(b, "\xef\xbf\xbd");
			else
				bg_strbuf_putc(b, *p);
		}
	}
}

static const char *command_for(bg_severity sev)
{
	return sev >= BG_SEV_ERROR ? "error" : sev == BG_SEV_WARNING ? "warning" : "notice";
}

static void put_annotation(bg_strbuf *b, const bg_finding *f)
{
	const bg_rule *rule = f->rule;
	bool one_line = f->end_line <= f->line;

	bg_strbuf_printf(b, "::%s file=", command_for(f->severity));
	put_escaped(b, bg_report_path(f->file), true);
	if (f->line) {
		bg_strbuf_printf(b, ",line=%u", f->line);
		if (!one_line)
			bg_strbuf_printf(b, ",endLine=%u", f->end_line);
		if (one_line && f->column) {
			bg_strbuf_printf(b, ",col=%u", f->column);
			if (f->end_column > f->column)
				bg_strbuf_printf(b, ",endColumn=%u", f->end_column);
		}
	}
	bg_strbuf_puts(b, ",title=");
	put_escaped(b, rule->id, true);
	bg_strbuf_puts(b, "::");
	put_escaped(b, f->message, false);
	if (rule->help && *rule->help) {
		bg_strbuf_puts(b, "%0Ahelp: ");
		put_escaped(b, rule->help, false);
	}
	for (size_t i = 0; i < BG_RULE_MAX_CONTROLS && rule->controls[i]; i++) {
		bg_strbuf_puts(b, i ? ", " : "%0ANIST SP 800-53: ");
		put_escaped(b, rule->controls[i], false);
	}
	bg_strbuf_putc(b, '\n');
}

int bg_report_write_github(FILE *out, const bg_report *r, bg_error *err)
{
	bg_strbuf b = {0};
	for (size_t i = 0; r->findings && i < r->findings->n; i++)
		if (!r->findings->v[i].suppressed)
			put_annotation(&b, &r->findings->v[i]);

	/* The summary is ordinary log text, but it holds the command name:
	 * escape it too so it can never read as a workflow command. */
	_cleanup_free_ char *summary = bg_report_summary(r);
	if (!summary)
		b.oom = true;
	else
		put_escaped(&b, summary, false);
	bg_strbuf_putc(&b, '\n');

	_cleanup_free_ char *text = bg_strbuf_take(&b);
	if (!text)
		return bg_error_set(err, BG_E_NOMEM,
				    "report: out of memory building the GitHub annotations");
	if (fputs(text, out) == EOF)
		return bg_error_set(err, BG_E_EVAL, "writing the GitHub annotations failed: %s",
				    strerror(errno));
	return 0;
}
