/* Fuzz target: the report writers.  Arbitrary bytes become findings' file,
 * message, snippet, reason and positions; every format must render, the
 * JSON formats must parse with json-c, and every output must be valid UTF-8. */
#include "bootgate/report.h"
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const bg_rule rules[3] = {
	{.id = "r-a", .severity = BG_SEV_ERROR, .summary = "a", .help = "fix a", .controls = {"CM-2", "SR-11"}},
	{.id = "r-b", .severity = BG_SEV_WARNING, .summary = "", .help = NULL, .controls = {NULL}},
	{.id = "r,c:%", .severity = BG_SEV_INFO, .summary = "c<&>", .help = "x\ny", .controls = {"A"}},
};

static char *field(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *s = *p;
	while (*p < end && **p != 0xff)
		(*p)++;
	char *out = strndup((const char *)s, (size_t)(*p - s)); /* stops at NUL */
	if (*p < end)
		(*p)++;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	bg_findings l = {0};
	const char *subjects[2] = {"Containerfile", NULL};
	char *subj = NULL;
	int k = 0;
	while (p < end && k++ < 50) {
		uint8_t ctl = *p++;
		uint8_t pos[4] = {0};
		for (int i = 0; i < 4 && p < end; i++)
			pos[i] = *p++;
		char *file = field(&p, end), *msg = field(&p, end), *snip = field(&p, end);
		bg_finding *f = bg_findings_add(&l, &rules[ctl % 3], (bg_severity)((ctl >> 2) % 4), file,
						pos[0] % 8, pos[1], "%s", msg);
		if (f) {
			f->end_line = pos[2] % 10;
			f->end_column = pos[3];
			if (ctl & 0x10)
				bg_finding_set_snippet(f, snip, strlen(snip));
			if (ctl & 0x20) {
				f->suppressed = true;
				f->suppress_reason = (ctl & 0x40) ? strdup(msg) : NULL;
			}
		}
		if (!subj)
			subj = strdup(file);
		free(file);
		free(msg);
		free(snip);
	}
	subjects[1] = subj ? subj : "x";
	const bg_rule *active[] = {&rules[0], &rules[1]};
	bg_report r = {.command = "lint", .findings = &l, .subjects = subjects,
		       .nsubjects = size % 3, .rules = active, .nrules = 2,
		       .threshold = (bg_severity)(size % 4), .color = size & 1};
	for (int fmt = BG_FORMAT_TEXT; fmt <= BG_FORMAT_GITHUB; fmt++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);
		bg_error err = {0};
		int rc = bg_report_write(out, (bg_format)fmt, &r, &err);
		fclose(out);
		if (rc != 0)
			abort();
		if (strlen(buf) != len)
			abort(); /* no NUL bytes in output */
		char *u = bg_report_utf8(buf);
		if (strcmp(u, buf) != 0)
			abort(); /* output is valid UTF-8 */
		free(u);
		if (fmt == BG_FORMAT_JSON || fmt == BG_FORMAT_SARIF || fmt == BG_FORMAT_CODECLIMATE) {
			json_tokener *tok = json_tokener_new();
			json_object *o = json_tokener_parse_ex(tok, buf, (int)len);
			if (!o || json_tokener_get_error(tok) != json_tokener_success ||
			    tok->char_offset != (int)len)
				abort();
			json_object_put(o);
			json_tokener_free(tok);
		}
		if (fmt == BG_FORMAT_GITHUB) {
			/* every line starting with :: is one of ours */
			for (char *q = buf; q && *q; q = strchr(q, '\n') ? strchr(q, '\n') + 1 : NULL)
				if (q[0] == ':' && q[1] == ':' && strncmp(q, "::error ", 8) &&
				    strncmp(q, "::warning ", 10) && strncmp(q, "::notice ", 9))
					abort();
		}
		if (fmt == BG_FORMAT_JUNIT) {
			for (size_t i = 0; i < len; i++) {
				unsigned char c = (unsigned char)buf[i];
				if (c < 0x20 && c != '\n' && c != '\t')
					abort(); /* raw CR or other control: bad XML */
			}
		}
		free(buf);
	}
	free(subj);
	bg_findings_free(&l);
	return 0;
}
