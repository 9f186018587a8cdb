/* Tests for the findings list: ordering, thresholds, suppression. */
#include "bootgate/finding.h"
#include "tap.h"

static const bg_rule rule_a = {.id = "aaa", .severity = BG_SEV_ERROR, .summary = "a"};
static const bg_rule rule_b = {.id = "bbb", .severity = BG_SEV_WARNING, .summary = "b"};

int main(void)
{
	bg_severity s;
	ok(bg_severity_parse("warning", &s) == 0 && s == BG_SEV_WARNING, "parse 'warning'");
	ok(bg_severity_parse("none", &s) == 0 && s == BG_SEV_NONE, "parse 'none'");
	ok(bg_severity_parse("Error", &s) != 0, "severity names are lower-case");
	is_str(bg_severity_name(BG_SEV_INFO), "info", "name of info");

	bg_findings list = {0};
	bg_findings_add(&list, &rule_b, BG_SEV_WARNING, "b/Containerfile", 3, 1, "w %d", 1);
	bg_findings_add(&list, &rule_a, BG_SEV_ERROR, "a/Containerfile", 9, 5, "e");
	bg_findings_add(&list, &rule_b, BG_SEV_INFO, "a/Containerfile", 9, 5, "i");
	bg_finding *sup = bg_findings_add(&list, &rule_a, BG_SEV_ERROR, "a/Containerfile", 1, 1, "s");
	sup->suppressed = true;
	bg_findings_sort(&list);
	is_str(list.v[0].file, "a/Containerfile", "sorted by file");
	is_int(list.v[0].line, 1, "then by line");
	is_str(list.v[1].rule->id, "aaa", "then by rule id at the same place");
	is_str(list.v[3].message, "w 1", "message is formatted");

	is_int(bg_findings_max_severity(&list), BG_SEV_ERROR, "max severity ignores nothing unsuppressed");
	is_int(bg_findings_count_failing(&list, BG_SEV_ERROR), 1, "suppressed error does not fail");
	is_int(bg_findings_count_failing(&list, BG_SEV_WARNING), 2, "warning threshold counts errors and warnings");
	is_int(bg_findings_count_failing(&list, BG_SEV_INFO), 3, "info threshold counts everything unsuppressed");
	is_int(bg_findings_count_failing(&list, BG_SEV_NONE), 0, "threshold none fails nothing");
	bg_findings_free(&list);
	is_int(list.n, 0, "free empties the list");
	bg_findings_free(NULL);
	return tap_done();
}
