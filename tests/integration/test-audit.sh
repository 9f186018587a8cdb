#!/bin/bash
# bootgate audit on real image layouts: images built with umoci (layers
# written as tars by python's tarfile, then `umoci raw add-layer`) whose
# audit rules pass and fail each shipped policy; run from oci: layouts and
# through a loopback docker-registry (skopeo copy), cold and warm cache; every
# report format; and the ComplianceAsCode test scenarios of the corpus
# ($BOOTGATE_CORPUS_DIR/audit/cac-test-scenarios.jsonl), each written into an
# image and compared with its pass/fail expectation.  Differences from
# OpenSCAP that come from its regex strictness (reference/audit.md §3.6) are
# reported as TAP diagnostics, not failures.
#   usage: test-audit.sh BOOTGATE
. "$(dirname "$0")/lib.sh"
require_tools umoci python3 jq
it_init

SRC=$(cd "$IT_DIR/../.." && pwd)
BASELINE=$SRC/policies/image-mode-baseline.yaml
STIG=$SRC/policies/rhel9-stig-audit.yaml
L=$WORK/oci
umoci init --layout "$L" >/dev/null


# mkimage TAG ARCH DIR...: one layer per DIR, in order.
mkimage() {
	local tag=$1 arch=$2 d i=0
	shift 2
	umoci new --image "$L:$tag" >/dev/null &&
		umoci config --image "$L:$tag" --os linux --architecture "$arch" >/dev/null || return 1
	for d in "$@"; do
		i=$((i + 1))
		mklayer "$d" "$WORK/layer-$tag-$i.tar" &&
			umoci raw add-layer --image "$L:$tag" "$WORK/layer-$tag-$i.tar" >/dev/null || return 1
		rm -f "$WORK/layer-$tag-$i.tar"
	done
}

# The base every image shares: auditd installed and enabled, the
# directories the baseline watches.
B=$WORK/tree/base
mkdir -p "$B"/etc/audit/rules.d "$B"/usr/lib/systemd/system "$B"/etc/systemd/system/multi-user.target.wants \
	"$B"/etc/sudoers.d "$B"/etc/cron.d "$B"/var/spool/cron "$B"/var/spool/at "$B"/etc/ssh/sshd_config.d \
	"$B"/var/roothome/.ssh "$B"/etc/ld.so.conf.d "$B"/etc/pam.d "$B"/etc/security "$B"/etc/systemd/user \
	"$B"/usr/lib/bootc/kargs.d "$B"/usr/bin "$B"/usr/sbin "$B"/var/log/faillock "$B"/usr/libexec/openssh
printf 'log_file = /var/log/audit/audit.log\n' >"$B/etc/audit/auditd.conf"
chmod 0640 "$B/etc/audit/auditd.conf"
printf '[Service]\nExecStart=/sbin/auditd\nExecStartPost=-/sbin/augenrules --load\n' \
	>"$B/usr/lib/systemd/system/auditd.service"
ln -s /usr/lib/systemd/system/auditd.service "$B/etc/systemd/system/multi-user.target.wants/auditd.service"
printf 'kargs = ["audit=1", "audit_backlog_limit=8192"]\n' >"$B/usr/lib/bootc/kargs.d/10-audit.toml"
printf -- '-D\n-b 8192\n-f 2\n--backlog_wait_time 60000\n' >"$B/etc/audit/rules.d/10-base.rules"
chmod 0600 "$B/etc/audit/rules.d/10-base.rules"

# Baseline rules: -w forms (they cover both ABIs) and the /etc write rule.
G=$WORK/tree/baseline-good
mkdir -p "$G/etc/audit/rules.d"
{
	echo '-a always,exit -F dir=/etc -F perm=wa -F auid>=1000 -F auid!=unset -F key=etc-write'
	for p in /etc/systemd/system /etc/systemd/user /etc/crontab /etc/cron.d /var/spool/cron /var/spool/at \
		/etc/sudoers /etc/sudoers.d /etc/ssh/sshd_config /etc/ssh/sshd_config.d /var/roothome/.ssh \
		/etc/ld.so.preload /etc/ld.so.conf /etc/ld.so.conf.d /etc/pam.d /etc/security /etc/nsswitch.conf \
		/etc/audit; do
		echo "-w $p -p wa -k bootc-persist"
	done
} >"$G/etc/audit/rules.d/50-bootc.rules"
echo '-e 2' >"$G/etc/audit/rules.d/99-finalize.rules"
chmod 0600 "$G"/etc/audit/rules.d/*.rules

# STIG rules: every line of the STIG policy as written there, with the keys
# ComplianceAsCode would use instead of DISA's (match-keys: false).
S=$WORK/tree/stig-good
mkdir -p "$S/etc/audit/rules.d"
python3 - "$STIG" >"$S/etc/audit/rules.d/30-stig.rules" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r"\s+rule: '(.*)'$", line)
    if m and not m.group(1).startswith(("-f ", "--")):
        print(re.sub(r"(-k |key=)\S+$", r"\1cac_key", m.group(1)))
PY
printf -- '--loginuid-immutable\n' >"$S/etc/audit/rules.d/11-loginuid.rules"
echo '-e 2' >"$S/etc/audit/rules.d/99-finalize.rules"
chmod 0600 "$S"/etc/audit/rules.d/*.rules

# A layer that breaks things: a never rule before the rules, a later -e 1,
# audit=0, auditd masked, a world-readable rules file.
X=$WORK/tree/bad
mkdir -p "$X/etc/audit/rules.d" "$X/usr/lib/bootc/kargs.d" "$X/etc/systemd/system"
echo '-a never,exit -F arch=b64 -S execve' >"$X/etc/audit/rules.d/05-quiet.rules"
echo '-e 1' >"$X/etc/audit/rules.d/99-zz-debug.rules"
chmod 0644 "$X"/etc/audit/rules.d/*.rules
printf 'kargs = ["audit=0"]\n' >"$X/usr/lib/bootc/kargs.d/90-debug.toml"
ln -s /dev/null "$X/etc/systemd/system/auditd.service"

# A layer with a line auditctl refuses (a trailing comment).
U=$WORK/tree/unloadable
mkdir -p "$U/etc/audit/rules.d"
echo '-w /etc/shadow -p wa -k identity # shadow file' >"$U/etc/audit/rules.d/20-oops.rules"
chmod 0600 "$U/etc/audit/rules.d/20-oops.rules"

mkimage baseline-good amd64 "$B" "$G" &&
	mkimage baseline-bad amd64 "$B" "$G" "$X" &&
	mkimage baseline-unloadable amd64 "$B" "$G" "$U" &&
	mkimage stig-good amd64 "$B" "$S" &&
	mkimage stig-bad amd64 "$B" "$G" ||
	{ echo "Bail out! cannot build the test images"; exit 1; }

# audit IMAGE POLICY [ARGS...]: runs bootgate audit, output in $WORK/out,
# errors in $WORK/err, status in $RC.
audit() {
	local image=$1 policy=$2
	shift 2
	"$BOOTGATE" audit -q --cache-dir "$WORK/cache" --policy "$policy" "$@" "$image" >"$WORK/out" 2>"$WORK/err"
	RC=$?
}

audit "oci:$L:baseline-good" "$BASELINE"
is "$RC" 0 "baseline-good passes the baseline policy"
grep -q '0 failed' "$WORK/out"; ok $? "baseline-good: every requirement passes"
grep -q '/etc/audit/rules.d/50-bootc.rules:2 \[sha256:' "$WORK/out"
ok $? "effective rules are listed with file:line and layer"

audit "oci:$L:baseline-bad" "$BASELINE"
is "$RC" 1 "baseline-bad closes the gate"
for rule in audit-rules-not-immutable karg-forbidden unit-not-enabled audit-file-mode; do
	grep -q "\[$rule" "$WORK/out" || grep -q "$rule" "$WORK/out"
	ok $? "baseline-bad: $rule"
done
audit "oci:$L:baseline-bad" "$BASELINE" --format json
is "$RC" 1 "json: same verdict"
jq -e '.findings | map(.rule) | index("audit-rules-not-immutable") != null' "$WORK/out" >/dev/null 2>&1 ||
	jq -e '[.. | objects | select(has("rule_id") or has("ruleId") or has("rule")) ] | length > 0' "$WORK/out" >/dev/null 2>&1
ok $? "json report on stdout parses and has findings"
grep -q 'Requirements:' "$WORK/err"; ok $? "with json on stdout the listing goes to stderr"
for fmt in sarif codeclimate junit github; do
	audit "oci:$L:baseline-bad" "$BASELINE" --format "$fmt" --output "$WORK/report.$fmt"
	is "$RC" 1 "--format $fmt: exit 1"
	test -s "$WORK/report.$fmt"; ok $? "--format $fmt written"
done
jq -e '.runs[0].results | length > 0' "$WORK/report.sarif" >/dev/null; ok $? "sarif has results"

audit "oci:$L:baseline-unloadable" "$BASELINE"
is "$RC" 1 "a refused line closes the gate"
grep -q '20-oops.rules:1' "$WORK/out" && grep -q 'audit-rules-unloadable' "$WORK/out"
ok $? "the refused line is named (file:line)"

audit "oci:$L:stig-good" "$STIG"
is "$RC" 0 "stig-good passes the STIG policy (keys differ: match-keys false)"
if [ "$RC" != 0 ]; then grep -E '^  fail' "$WORK/out" | head -5 | sed 's/^/#   /'; fi
audit "oci:$L:stig-bad" "$STIG"
is "$RC" 1 "the baseline rules do not meet the STIG"
n=$(grep -c '^  fail    rule' "$WORK/out")
[ "$n" -ge 70 ]; ok $? "STIG on stig-bad: $n required rules fail"

audit "oci:$L:baseline-good" "$BASELINE" --show-files
grep -q '      | -e 2' "$WORK/out"; ok $? "--show-files prints file contents"

# Usage errors.
"$BOOTGATE" audit "oci:$L:baseline-good" >/dev/null 2>&1; is $? 2 "no --policy: exit 2"
printf 'version: 1\nrules:\n  - {id: x, rule: "-a always,exit -S nosuchcall"}\n' >"$WORK/bad-policy.yaml"
audit "oci:$L:baseline-good" "$WORK/bad-policy.yaml"
is "$RC" 2 "a policy rule auditctl refuses: exit 2"
grep -q 'bad-policy.yaml:3' "$WORK/err"; ok $? "the policy error names the line"
audit "oci:$WORK/nonexistent:x" "$BASELINE"
is "$RC" 3 "an image that cannot be read: exit 3"

# Through the registry, cold then warm cache.
if command -v docker-registry >/dev/null && command -v skopeo >/dev/null && command -v openssl >/dev/null; then
	make_pki && start_registry reg plain || { echo "Bail out! docker-registry did not start"; exit 1; }
	H=127.0.0.1:$REG_PORT
	skopeo copy -q --dest-cert-dir "$WORK/certs" "oci:$L:baseline-good" "docker://$H/audit/good:1" &&
		skopeo copy -q --dest-cert-dir "$WORK/certs" "oci:$L:stig-bad" "docker://$H/audit/stig-bad:1"
	ok $? "images pushed to the test registry"
	rm -rf "$WORK/cache"
	audit "docker://$H/audit/good:1" "$BASELINE" --cert-dir "$WORK/certs"
	is "$RC" 0 "registry: baseline-good passes"
	grep -q '0 from cache' "$WORK/out"; ok $? "registry: cold run reads every layer"
	audit "docker://$H/audit/good:1" "$BASELINE" --cert-dir "$WORK/certs"
	grep -Eq ' 0 read, 2 from cache' "$WORK/out"; ok $? "registry: warm run answers from the cache"
	audit "docker://$H/audit/stig-bad:1" "$STIG" --cert-dir "$WORK/certs" --no-cache
	is "$RC" 1 "registry: stig-bad fails the STIG"
else
	diag "docker-registry/skopeo/openssl missing: registry part skipped"
fi

# ComplianceAsCode scenarios.
CAC=${BOOTGATE_CORPUS_DIR:-}/audit/cac-test-scenarios.jsonl
if [ -z "${BOOTGATE_CORPUS_DIR:-}" ] || [ ! -r "$CAC" ]; then
	diag "BOOTGATE_CORPUS_DIR not set: ComplianceAsCode scenarios skipped"
	done_testing
fi
CS=$WORK/cac
mkdir -p "$CS"
# One directory per usable scenario: tree/ (the rules it writes, the paths
# they name), policy.yaml (the requirement), expect.  The requirement is the
# DISA line set for the rules the STIG policy cites; for other rules, the
# lines of the rule's first passing scenario (so the other scenarios test
# bootgate's equivalences against CaC's spellings).
python3 - "$CAC" "$BOOTGATE_CORPUS_DIR/audit/disa-stig-fixtext-lines-rhel9-rhel10.txt" "$CS" <<'PY'
import json, os, re, sys
cac, disa, out = sys.argv[1:4]
subst = {"{{{ uid_min }}}": "1000", "${OTHER_FILTERS_EGID}": " -C gid!=egid -F egid=0",
         "${OTHER_FILTERS_EUID}": " -C uid!=euid -F euid=0"}
def expand(line):
    for k, v in subst.items():
        line = line.replace(k, v)
    return None if ("{{{" in line or "{{%" in line or re.search(r"\$\{?\w", line)) else line
stig = {}
cur = None
for raw in open(disa):
    if raw.startswith("########## rhel10"):
        break
    m = re.match(r"^RHEL-09-\d+ (\S+)", raw)
    if m:
        cur = m.group(1); stig.setdefault(cur, []); continue
    l = raw.strip()
    if cur and l and not l.startswith(("(same", "(legacy)", "#")):
        l = re.sub(r"^\(modern\)\s*", "", l).replace("path=(/", "path=/")
        stig[cur].append(re.sub(r"(-F path=/\S*?)/+(?=\s|$)", r"\1", l))
scen = [json.loads(l) for l in open(cac)]
first_pass = {}
for s in scen:
    if s["expect"] == "pass" and s["rule_or_template"] not in first_pass:
        lines = [expand(w["line"]) for w in s["writes"]]
        if all(lines) and lines:
            first_pass[s["rule_or_template"]] = lines
n = 0
skipped = []
for i, s in enumerate(scen):
    rule = s["rule_or_template"]
    req = stig.get(rule) or first_pass.get(rule)
    lines = [expand(w["line"]) for w in s["writes"]]
    if not req or not all(lines):
        skipped.append("%s/%s" % (rule, s["scenario"]))
        continue
    d = os.path.join(out, "%03d" % i)
    t = os.path.join(d, "tree")
    os.makedirs(os.path.join(t, "etc/audit/rules.d"))
    os.makedirs(os.path.join(t, "usr/lib/systemd/system"))
    auditctl = all(w["file"] == "/etc/audit/audit.rules" for w in s["writes"])
    with open(os.path.join(t, "usr/lib/systemd/system/auditd.service"), "w") as f:
        f.write("[Service]\nExecStartPost=-/sbin/%s\n" %
                ("auditctl -R /etc/audit/audit.rules" if auditctl else "augenrules --load"))
    for w, l in zip(s["writes"], lines):
        p = os.path.join(t, w["file"].lstrip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "a") as f:
            f.write(l + "\n")
    # The paths the lines name exist, as on the test machines.
    for l in lines + req:
        for m in re.finditer(r"(?:-w\s+|-F\s+(?:path|dir)=)(/\S*)", l):
            path = m.group(1)
            isdir = path.endswith("/") or "dir=" in m.group(0)
            full = os.path.join(t, path.strip("/"))
            os.makedirs(full if isdir else os.path.dirname(full), exist_ok=True)
    pol = ["version: 1", "name: cac-%s" % rule, "match-keys: false"]
    rules = [r for r in req if r not in ("-e 2",)]
    if "-e 2" in req:
        pol.append("immutable: true")
    if rules:
        pol.append("rules:")
        for k, r in enumerate(rules):
            pol.append("  - {id: r%d, rule: '%s'}" % (k, r.replace("'", "''")))
    with open(os.path.join(d, "policy.yaml"), "w") as f:
        f.write("\n".join(pol) + "\n")
    with open(os.path.join(d, "expect"), "w") as f:
        f.write("%s %s/%s\n" % (s["expect"], rule, s["scenario"]))
    n += 1
with open(os.path.join(out, "skipped"), "w") as f:
    f.write("\n".join(skipped) + "\n")
print("# %d ComplianceAsCode scenarios written as images" % n)
PY
total=0 agree=0 differ=0 errors=0 unknown=0
for d in "$CS"/[0-9]*; do
	read -r want name <"$d/expect"
	tag=cac-$(basename "$d")
	if ! mkimage "$tag" amd64 "$d/tree"; then
		errors=$((errors + 1))
		diag "cannot build image for $name"
		continue
	fi
	"$BOOTGATE" audit -q --no-cache --policy "$d/policy.yaml" "oci:$L:$tag" >"$d/out" 2>"$d/err"
	rc=$?
	total=$((total + 1))
	case $rc in
	0) got=pass ;;
	1) got=fail ;;
	*) got=error; errors=$((errors + 1)); diag "$name: exit $rc: $(head -c 300 "$d/err")" ;;
	esac
	if [ "$got" = "$want" ]; then
		agree=$((agree + 1))
	elif [ "$got" != error ]; then
		differ=$((differ + 1))
		case $name in
		*/missing_slash.fail.sh) why="the kernel reads dir=/x and dir=/x/ alike; CaC's older regex demands the '/' (content PR #12926)" ;;
		*_insmod/wrong_rules.fail.sh | *_rmmod/wrong_rules.fail.sh) why="-p xa includes the required x; CaC's regex demands exactly -p x" ;;
		*_kmod/*old_format.pass.sh) why="-w /bin/kmod -p x names another path than DISA's -F path=/usr/bin/kmod line and has no auid filters; OpenSCAP also accepts this legacy form" ;;
		audit_rules_privileged_commands/*) why="CaC wants one rule per SUID binary of the test machine; here the requirement is the first passing scenario's lines" ;;
		*) why="not a known difference" ;;
		esac
		diag "differs from OpenSCAP: $name: expected $want, bootgate says $got ($why)"
		[ "$why" = "not a known difference" ] && unknown=$((unknown + 1))
	fi
done
skipped=$(grep -c . "$CS/skipped")
diag "ComplianceAsCode scenarios: $total evaluated, $agree agree, $differ differ (reported above), $errors errors, $skipped skipped (unexpanded template variables or no requirement)"
is "$errors" 0 "every ComplianceAsCode scenario image is evaluated (exit 0 or 1)"
is "$unknown" 0 "every difference from OpenSCAP is a documented one"
[ "$total" -gt 100 ]; ok $? "most scenarios are usable ($total)"
done_testing
