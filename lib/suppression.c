/* bootgate — parsing of `# bootgate ignore=... reason="..."` comments. */
#include "suppression.h"

#include <string.h>

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static bool is_rule_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* reason="text" or reason='text'; in double quotes \" and \\ are escapes. */
static const char *parse_reason(const char *p, char **reason, bg_error *err)
{
	char quote = *p;
	if (quote != '"' && quote != '\'')
		return bg_error_set(err, BG_E_INPUT, "reason must be quoted: reason=\"...\""), NULL;
	bg_strbuf b = {0};
	for (p++; *p && *p != quote; p++) {
		if (quote == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		bg_strbuf_putc(&b, *p);
	}
	if (*p != quote) {
		bg_strbuf_free(&b);
		return bg_error_set(err, BG_E_INPUT, "unterminated reason: missing closing %c", quote), NULL;
	}
	*reason = bg_strbuf_take(&b);
	return p + 1;
}

int bg_suppression_parse(const char *comment, bg_suppression *out, bg_error *err)
{
	memset(out, 0, sizeof *out);
	const char *p = skip_blanks(comment);
	if (*p == '#')
		p = skip_blanks(p + 1);
	if (strncmp(p, "bootgate", 8) != 0 || (p[8] != ' ' && p[8] != '\t' && p[8] != '\0'))
		return 0;
	p = skip_blanks(p + 8);
	if (strncmp(p, "ignore=", 7) != 0) {
		return bg_error_set(err, BG_E_INPUT, "expected 'ignore=<rule>[,<rule>] reason=\"...\"' after '# bootgate'");
	}
	p += 7;
	for (;;) {
		const char *start = p;
		while (is_rule_char(*p))
			p++;
		if (p == start) {
			bg_suppression_free(out);
			return bg_error_set(err, BG_E_INPUT, "expected a rule name after 'ignore=' or ','");
		}
		if (bg_strv_push_take(&out->rules, bg_strndup(start, (size_t)(p - start))) != 0) {
			bg_suppression_free(out);
			return bg_error_set(err, BG_E_NOMEM, "out of memory");
		}
		if (*p != ',')
			break;
		p++;
	}
	p = skip_blanks(p);
	if (strncmp(p, "reason=", 7) == 0) {
		p = parse_reason(p + 7, &out->reason, err);
		if (!p) {
			bg_suppression_free(out);
			return BG_E_INPUT;
		}
		p = skip_blanks(p);
	}
	if (*p != '\0' && *p != '\r') {
		bg_suppression_free(out);
		return bg_error_set(err, BG_E_INPUT, "unexpected text '%s' after the rule list", p);
	}
	if (out->reason && !*skip_blanks(out->reason)) {
		free(out->reason);
		out->reason = NULL;
	}
	return 1;
}

void bg_suppression_free(bg_suppression *s)
{
	if (!s)
		return;
	bg_strv_free(&s->rules);
	free(s->reason);
	s->reason = NULL;
}
