#!/usr/bin/env python3
"""Generate bootgate's audit syscall and errno tables from the kernel UAPI
headers of linux-libc-dev at build time (nothing is copied into the tree).

usage: gen-syscalls.py OUTPUT.h INCLUDE_ROOT

Tables (each only when its header exists on the build host):
  x86_64   <root>/<triplet>/asm/unistd_64.h      (AUDIT_ARCH_X86_64)
  i386     <root>/<triplet>/asm/unistd_32.h      (AUDIT_ARCH_I386, b32 on x86_64)
  aarch64  <root>/asm-generic/unistd.h with arm64's __ARCH_WANT_* set
  ppc64le  <root>/powerpc64le-linux-gnu/asm/unistd_64.h
  s390x    <root>/s390x-linux-gnu/asm/unistd_64.h
  errno    <root>/asm-generic/errno-base.h + errno.h
  msgtype  <root>/linux/audit.h record types (AUDIT_<NAME> 1005, 1006, 1100-2999)
"""
import glob
import os
import re
import sys

DEFINE = re.compile(r'^#define\s+(\w+)\s+(.*?)\s*(/\*.*)?$')


def first(patterns):
    for p in patterns:
        hits = sorted(glob.glob(p))
        if hits:
            return hits[0]
    return None


def simple_table(path):
    """__NR_name N lines of an arch's generated unistd_NN.h."""
    table = {}
    with open(path) as f:
        for line in f:
            m = DEFINE.match(line.strip())
            if m and m.group(1).startswith('__NR_'):
                val = m.group(2).strip()
                if re.fullmatch(r'\d+', val):
                    table[m.group(1)[5:]] = int(val)
    return table


def eval_cond(expr, defs):
    """#if expressions of asm-generic/unistd.h: defined(), ||, &&, ==, !=, !."""
    expr = re.sub(r'defined\s*\(\s*(\w+)\s*\)', lambda m: '1' if m.group(1) in defs else '0', expr)
    expr = re.sub(r'defined\s+(\w+)', lambda m: '1' if m.group(1) in defs else '0', expr)
    expr = re.sub(r'\b([A-Za-z_]\w*)\b', lambda m: str(defs.get(m.group(1), 0)), expr)
    expr = expr.replace('||', ' or ').replace('&&', ' and ')
    expr = re.sub(r'!(?!=)', ' not ', expr)
    return bool(eval(expr, {'__builtins__': {}}))


def generic_table(path, defs):
    """Run asm-generic/unistd.h's conditionals with an arch's defines (a
    tiny preprocessor: only what that header uses)."""
    macros = {}
    stack = []  # (active, taken)
    active = True
    with open(path) as f:
        text = f.read().replace('\\\n', ' ')
    for raw in text.splitlines():
        line = raw.strip()
        if not line.startswith('#'):
            continue
        d = line[1:].strip()
        word = d.split(None, 1)[0] if d else ''
        rest = d[len(word):].strip()
        rest = re.sub(r'/\*.*?\*/', '', rest).strip()
        if word in ('if', 'ifdef', 'ifndef'):
            if word == 'ifdef':
                c = rest in defs or rest in macros
            elif word == 'ifndef':
                c = not (rest in defs or rest in macros)
            else:
                c = eval_cond(rest, defs)
            stack.append((active, c))
            active = active and c
        elif word == 'elif':
            outer, taken = stack[-1]
            c = (not taken) and eval_cond(rest, defs)
            stack[-1] = (outer, taken or c)
            active = outer and c
        elif word == 'else':
            outer, taken = stack[-1]
            active = outer and not taken
            stack[-1] = (outer, True)
        elif word == 'endif':
            active = stack.pop()[0]
        elif active and word == 'define':
            m = DEFINE.match(line)
            if m:
                macros[m.group(1)] = m.group(2).strip()
        elif active and word == 'undef':
            macros.pop(rest, None)
    table = {}
    for name, val in macros.items():
        if not name.startswith('__NR_') or name in ('__NR_syscalls', '__NR_arch_specific_syscall'):
            continue
        seen = 0
        while val in macros and seen < 8:
            val = macros[val]
            seen += 1
        if re.fullmatch(r'\d+', val):
            table[name[5:]] = int(val)
    return table


def errno_table(paths):
    names = {}
    for p in paths:
        with open(p) as f:
            for line in f:
                m = DEFINE.match(line.strip())
                if m and re.fullmatch(r'E[A-Z0-9]+', m.group(1)):
                    names[m.group(1)] = m.group(2).strip()
    out = {}
    for n, v in names.items():
        seen = 0
        while v in names and seen < 8:
            v = names[v]
            seen += 1
        if re.fullmatch(r'\d+', v):
            out[n] = int(v)
    return out


def msgtype_table(path):
    """Record types of the kernel header by name without the AUDIT_ prefix,
    as auditctl's msgtype= names them; range markers are not types."""
    out = {}
    with open(path) as f:
        for line in f:
            m = DEFINE.match(line.strip())
            if not m or not m.group(1).startswith('AUDIT_'):
                continue
            name, val = m.group(1)[6:], m.group(2).strip()
            if not re.fullmatch(r'\d+', val) or re.match(r'(FIRST|LAST)_', name):
                continue
            v = int(val)
            if v in (1005, 1006) or 1100 <= v <= 2999:
                out[name] = v
    return out


def emit_table(out, cname, table):
    out.append('static const bg_syscall_entry %s[] = {' % cname)
    for name in sorted(table):
        out.append('\t{ "%s", %d },' % (name, table[name]))
    out.append('};')


def main():
    output, root = sys.argv[1], sys.argv[2]
    arm64 = {'__BITS_PER_LONG': 64, '__ARCH_WANT_RENAMEAT': 1, '__ARCH_WANT_NEW_STAT': 1,
             '__ARCH_WANT_SET_GET_RLIMIT': 1, '__ARCH_WANT_TIME32_SYSCALLS': 1,
             '__ARCH_WANT_SYS_CLONE3': 1, '__ARCH_WANT_MEMFD_SECRET': 1}
    sources = [
        ('x86_64', 'AUDIT_ARCH_X86_64', 'simple',
         [root + '/x86_64-linux-gnu/asm/unistd_64.h', root + '/asm/unistd_64.h']),
        ('i386', 'AUDIT_ARCH_I386', 'simple',
         [root + '/x86_64-linux-gnu/asm/unistd_32.h', root + '/i386-linux-gnu/asm/unistd_32.h',
          root + '/asm/unistd_32.h']),
        ('aarch64', 'AUDIT_ARCH_AARCH64', 'generic', [root + '/asm-generic/unistd.h']),
        ('ppc64le', 'AUDIT_ARCH_PPC64LE', 'simple',
         [root + '/powerpc64le-linux-gnu/asm/unistd_64.h', '/usr/powerpc64le-linux-gnu/include/asm/unistd_64.h']),
        ('s390x', 'AUDIT_ARCH_S390X', 'simple',
         [root + '/s390x-linux-gnu/asm/unistd_64.h', '/usr/s390x-linux-gnu/include/asm/unistd_64.h']),
    ]
    out = ['/* Generated by lib/gen-syscalls.py from the kernel UAPI headers; do not edit. */',
           '/* Sources: ']
    tables = []
    for machine, arch, kind, cands in sources:
        path = first(cands)
        if not path:
            out[1] += '%s: (no header on the build host); ' % machine
            continue
        table = simple_table(path) if kind == 'simple' else generic_table(path, arm64)
        if not table:
            sys.exit('gen-syscalls: no syscalls found in ' + path)
        out[1] += '%s: %s (%d); ' % (machine, path, len(table))
        tables.append((machine, arch, 'bg_sc_' + machine, table))
    if not any(t[0] == 'x86_64' for t in tables):
        sys.exit('gen-syscalls: x86_64 syscall header not found under ' + root)
    out[1] += '*/'
    for machine, arch, cname, table in tables:
        emit_table(out, cname, table)
    out.append('static const bg_syscall_table bg_syscall_tables[] = {')
    for machine, arch, cname, table in tables:
        out.append('\t{ "%s", %s, %s, sizeof %s / sizeof %s[0] },' % (machine, arch, cname, cname, cname))
    out.append('};')
    errs = errno_table([root + '/asm-generic/errno-base.h', root + '/asm-generic/errno.h'])
    if not errs:
        sys.exit('gen-syscalls: no errno names found under ' + root)
    out.append('static const bg_syscall_entry bg_errno_names[] = {')
    for name in sorted(errs):
        out.append('\t{ "%s", %d },' % (name, errs[name]))
    out.append('};')
    out.append('static const bg_syscall_entry bg_msgtype_names[] = {')
    types = msgtype_table(root + '/linux/audit.h')
    if not types:
        sys.exit('gen-syscalls: no record types found in linux/audit.h under ' + root)
    for name in sorted(types):
        out.append('\t{ "%s", %d },' % (name, types[name]))
    out.append('};')
    tmp = output + '.tmp'
    with open(tmp, 'w') as f:
        f.write('\n'.join(out) + '\n')
    os.replace(tmp, output)


if __name__ == '__main__':
    main()
