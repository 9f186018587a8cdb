/* bootgate — syscall, errno and architecture names for audit rules.
 *
 * The syscall and errno tables come from the kernel UAPI headers of the build
 * host (lib/gen-syscalls.py → syscalls_gen.h); the architecture ids are the
 * AUDIT_ARCH_* constants of <linux/audit.h>.  b32/b64 are resolved against
 * the image's machine, as auditctl resolves them against `uname -m`. */
#include <linux/audit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bootgate/auditrules.h"
#include "auditrules_private.h"

typedef struct bg_syscall_entry {
	const char *name;
	int nr;
} bg_syscall_entry;

typedef struct bg_syscall_table {
	const char *machine;
	uint32_t arch;
	const bg_syscall_entry *v;
	size_t n;
} bg_syscall_table;

#include "syscalls_gen.h"

/* auditctl's machine names (lib/machinetab.h) and what b64/b32 mean there
 * (audit_determine_machine): b32 is 0 where the machine has no 32-bit ABI. */
static const struct {
	const char *name;
	uint32_t arch;   /* this machine's native ABI */
	uint32_t b64, b32;
} machines[] = {
	{ "x86_64", AUDIT_ARCH_X86_64, AUDIT_ARCH_X86_64, AUDIT_ARCH_I386 },
	{ "i386", AUDIT_ARCH_I386, 0, AUDIT_ARCH_I386 },
	{ "i486", AUDIT_ARCH_I386, 0, AUDIT_ARCH_I386 },
	{ "i586", AUDIT_ARCH_I386, 0, AUDIT_ARCH_I386 },
	{ "i686", AUDIT_ARCH_I386, 0, AUDIT_ARCH_I386 },
	{ "aarch64", AUDIT_ARCH_AARCH64, AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM },
	{ "armeb", AUDIT_ARCH_ARMEB, 0, AUDIT_ARCH_ARMEB },
	{ "armv5tejl", AUDIT_ARCH_ARM, 0, AUDIT_ARCH_ARM },
	{ "armv5tel", AUDIT_ARCH_ARM, 0, AUDIT_ARCH_ARM },
	{ "armv6l", AUDIT_ARCH_ARM, 0, AUDIT_ARCH_ARM },
	{ "armv7l", AUDIT_ARCH_ARM, 0, AUDIT_ARCH_ARM },
	{ "ppc64", AUDIT_ARCH_PPC64, AUDIT_ARCH_PPC64, AUDIT_ARCH_PPC },
	{ "ppc64le", AUDIT_ARCH_PPC64LE, AUDIT_ARCH_PPC64LE, 0 },
	{ "ppc", AUDIT_ARCH_PPC, 0, AUDIT_ARCH_PPC },
	{ "s390x", AUDIT_ARCH_S390X, AUDIT_ARCH_S390X, AUDIT_ARCH_S390 },
	{ "s390", AUDIT_ARCH_S390, 0, AUDIT_ARCH_S390 },
	{ "ia64", AUDIT_ARCH_IA64, AUDIT_ARCH_IA64, 0 },
};

static int machine_index(const char *machine)
{
	if (!machine)
		machine = "x86_64";
	for (size_t i = 0; i < sizeof machines / sizeof machines[0]; i++)
		if (strcmp(machines[i].name, machine) == 0)
			return (int)i;
	return -1;
}

uint32_t bg_audit_arch_id(const char *name, const char *machine)
{
	if (!name)
		return 0;
	int m = machine_index(machine);
	/* b32/b64 are case-insensitive in auditctl (strcasecmp). */
	if (strcasecmp(name, "b64") == 0)
		return m < 0 ? 0 : machines[m].b64;
	if (strcasecmp(name, "b32") == 0)
		return m < 0 ? 0 : machines[m].b32;
	int i = machine_index(name);
	return i < 0 ? 0 : machines[i].arch;
}

const char *bg_audit_arch_name(uint32_t arch, const char *machine, char buf[16])
{
	int m = machine_index(machine);
	if (m >= 0 && arch && arch == machines[m].b64)
		return "b64";
	if (m >= 0 && arch && arch == machines[m].b32)
		return "b32";
	snprintf(buf, 16, "0x%x", (unsigned)arch);
	return buf;
}

bool bg_audit_arch_known(uint32_t arch)
{
	for (size_t i = 0; i < sizeof machines / sizeof machines[0]; i++)
		if (arch && machines[i].arch == arch)
			return true;
	return false;
}

static const bg_syscall_table *table_for(uint32_t arch)
{
	for (size_t i = 0; i < sizeof bg_syscall_tables / sizeof bg_syscall_tables[0]; i++)
		if (bg_syscall_tables[i].arch == arch)
			return &bg_syscall_tables[i];
	return NULL;
}

bool bg_audit_syscall_table_known(uint32_t arch)
{
	return table_for(arch) != NULL;
}

static int entry_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const bg_syscall_entry *)elem)->name);
}

int bg_audit_syscall_number(uint32_t arch, const char *name)
{
	const bg_syscall_table *t = table_for(arch);
	if (!t || !name)
		return -1;
	/* The generator sorts each table by name. */
	const bg_syscall_entry *e = bsearch(name, t->v, t->n, sizeof t->v[0], entry_cmp);
	return e ? e->nr : -1;
}

const char *bg_audit_syscall_name(uint32_t arch, int nr)
{
	const bg_syscall_table *t = table_for(arch);
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].nr == nr)
			return t->v[i].name;
	return NULL;
}

int bg_audit_errno_number(const char *name)
{
	if (!name)
		return -1;
	const bg_syscall_entry *e = bsearch(name, bg_errno_names,
					    sizeof bg_errno_names / sizeof bg_errno_names[0],
					    sizeof bg_errno_names[0], entry_cmp);
	return e ? e->nr : -1;
}

const char *bg_audit_errno_name(int nr)
{
	/* Aliases share a number (EAGAIN/EWOULDBLOCK, EDEADLK/EDEADLOCK); the
	 * table is sorted by name, so the usual name comes first in both. */
	for (size_t i = 0; i < sizeof bg_errno_names / sizeof bg_errno_names[0]; i++)
		if (bg_errno_names[i].nr == nr)
			return bg_errno_names[i].name;
	return NULL;
}

/* Record types defined by the audit userspace (libaudit.h), which the
 * kernel header does not carry.  Numbers are the audit protocol's. */
static const bg_syscall_entry userspace_msgtypes[] = {
	{ "USER_AUTH", 1100 }, { "USER_ACCT", 1101 }, { "USER_MGMT", 1102 },
	{ "CRED_ACQ", 1103 }, { "CRED_DISP", 1104 }, { "USER_START", 1105 },
	{ "USER_END", 1106 }, { "USER_CHAUTHTOK", 1108 }, { "USER_ERR", 1109 },
	{ "CRED_REFR", 1110 }, { "USYS_CONFIG", 1111 }, { "USER_LOGIN", 1112 },
	{ "USER_LOGOUT", 1113 }, { "ADD_USER", 1114 }, { "DEL_USER", 1115 },
	{ "ADD_GROUP", 1116 }, { "DEL_GROUP", 1117 }, { "DAC_CHECK", 1118 },
	{ "CHGRP_ID", 1119 }, { "TEST", 1120 }, { "TRUSTED_APP", 1121 },
	{ "USER_SELINUX_ERR", 1122 }, { "USER_CMD", 1123 }, { "CHUSER_ID", 1125 },
	{ "GRP_AUTH", 1126 }, { "SYSTEM_BOOT", 1127 }, { "SYSTEM_SHUTDOWN", 1128 },
	{ "SYSTEM_RUNLEVEL", 1129 }, { "SERVICE_START", 1130 }, { "SERVICE_STOP", 1131 },
	{ "GRP_MGMT", 1132 }, { "GRP_CHAUTHTOK", 1133 }, { "MAC_CHECK", 1134 },
	{ "ACCT_LOCK", 1135 }, { "ACCT_UNLOCK", 1136 }, { "USER_DEVICE", 1137 },
	{ "SOFTWARE_UPDATE", 1138 },
	{ "DAEMON_RECONFIG", 1204 }, { "DAEMON_ROTATE", 1205 }, { "DAEMON_RESUME", 1206 },
	{ "DAEMON_ACCEPT", 1207 }, { "DAEMON_CLOSE", 1208 }, { "DAEMON_ERR", 1209 },
	{ "ANOM_LOGIN_FAILURES", 2100 }, { "ANOM_LOGIN_TIME", 2101 },
	{ "ANOM_LOGIN_SESSIONS", 2102 }, { "ANOM_LOGIN_ACCT", 2103 },
	{ "ANOM_LOGIN_LOCATION", 2104 }, { "ANOM_MAX_DAC", 2105 }, { "ANOM_MAX_MAC", 2106 },
	{ "ANOM_AMTU_FAIL", 2107 }, { "ANOM_RBAC_FAIL", 2108 },
	{ "ANOM_RBAC_INTEGRITY_FAIL", 2109 }, { "ANOM_CRYPTO_FAIL", 2110 },
	{ "ANOM_ACCESS_FS", 2111 }, { "ANOM_EXEC", 2112 }, { "ANOM_MK_EXEC", 2113 },
	{ "ANOM_ADD_ACCT", 2114 }, { "ANOM_DEL_ACCT", 2115 }, { "ANOM_MOD_ACCT", 2116 },
	{ "ANOM_ROOT_TRANS", 2117 }, { "ANOM_LOGIN_SERVICE", 2118 },
	{ "ANOM_LOGIN_ROOT", 2119 }, { "ANOM_ORIGIN_FAILURES", 2120 }, { "ANOM_SESSION", 2121 },
	{ "RESP_ANOMALY", 2200 }, { "RESP_ALERT", 2201 }, { "RESP_KILL_PROC", 2202 },
	{ "RESP_TERM_ACCESS", 2203 }, { "RESP_ACCT_REMOTE", 2204 },
	{ "RESP_ACCT_LOCK_TIMED", 2205 }, { "RESP_ACCT_UNLOCK_TIMED", 2206 },
	{ "RESP_ACCT_LOCK", 2207 }, { "RESP_TERM_LOCK", 2208 }, { "RESP_SEBOOL", 2209 },
	{ "RESP_EXEC", 2210 }, { "RESP_SINGLE", 2211 }, { "RESP_HALT", 2212 },
	{ "RESP_ORIGIN_BLOCK", 2213 }, { "RESP_ORIGIN_BLOCK_TIMED", 2214 },
	{ "RESP_ORIGIN_UNBLOCK_TIMED", 2215 },
	{ "USER_ROLE_CHANGE", 2300 }, { "ROLE_ASSIGN", 2301 }, { "ROLE_REMOVE", 2302 },
	{ "LABEL_OVERRIDE", 2303 }, { "LABEL_LEVEL_CHANGE", 2304 },
	{ "USER_LABELED_EXPORT", 2305 }, { "USER_UNLABELED_EXPORT", 2306 },
	{ "DEV_ALLOC", 2307 }, { "DEV_DEALLOC", 2308 }, { "FS_RELABEL", 2309 },
	{ "USER_MAC_POLICY_LOAD", 2310 }, { "ROLE_MODIFY", 2311 },
	{ "USER_MAC_CONFIG_CHANGE", 2312 }, { "USER_MAC_STATUS", 2313 },
	{ "CRYPTO_TEST_USER", 2400 }, { "CRYPTO_PARAM_CHANGE_USER", 2401 },
	{ "CRYPTO_LOGIN", 2402 }, { "CRYPTO_LOGOUT", 2403 }, { "CRYPTO_KEY_USER", 2404 },
	{ "CRYPTO_FAILURE_USER", 2405 }, { "CRYPTO_REPLAY_USER", 2406 },
	{ "CRYPTO_SESSION", 2407 }, { "CRYPTO_IKE_SA", 2408 }, { "CRYPTO_IPSEC_SA", 2409 },
	{ "VIRT_CONTROL", 2500 }, { "VIRT_RESOURCE", 2501 }, { "VIRT_MACHINE_ID", 2502 },
	{ "VIRT_INTEGRITY_CHECK", 2503 }, { "VIRT_CREATE", 2504 }, { "VIRT_DESTROY", 2505 },
	{ "VIRT_MIGRATE_IN", 2506 }, { "VIRT_MIGRATE_OUT", 2507 },
};

int bg_audit_msgtype_number(const char *name)
{
	if (!name)
		return -1;
	const bg_syscall_entry *e = bsearch(name, bg_msgtype_names,
					    sizeof bg_msgtype_names / sizeof bg_msgtype_names[0],
					    sizeof bg_msgtype_names[0], entry_cmp);
	if (e)
		return e->nr;
	for (size_t i = 0; i < sizeof userspace_msgtypes / sizeof userspace_msgtypes[0]; i++)
		if (strcmp(userspace_msgtypes[i].name, name) == 0)
			return userspace_msgtypes[i].nr;
	return -1;
}
