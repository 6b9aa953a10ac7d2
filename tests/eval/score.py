#!/usr/bin/env python3
"""Score guard against the labelled evaluation sets (Python 3 standard library only).

    score.py --guard PATH [--config FILE] [--min-caught 0.95] [--max-false-alarm 0.005]
             [--json] [--verbose] [--destructive FILE] [--ordinary FILE]

Every COMMAND of destructive.tsv (FAMILY, MIN_DECISION, SOURCE, COMMAND) and of
ordinary.tsv (SOURCE, COMMAND[, warn-ok]) is sent, one per line, to one
`PATH check --stdin` run per file. Each line is sent as the JSON object
{"command": "..."} so that a shell string that happens to start with `{` is never
mistaken for JSON. guard answers with one JSON object per input line, in order.

guard runs in a clean environment: only PATH, LANG and a throw-away HOME, TMPDIR and
XDG_* directories are set, so CI, agent (CLAUDECODE, CODEX_*, GEMINI_CLI,
CURSOR_AGENT, ...) and GUARD_* variables and the user's own config never change the
result. A system config in /etc/guard cannot be hidden this way; its presence is
reported.

Caught = decision confirm, two-person or deny (anything but allow/warn).
Exit status: 1 when the overall catch rate < --min-caught or the false-alarm rate >
--max-false-alarm; 2 when guard could not be run or its output could not be read.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ORDER = {'allow': 0, 'warn': 1, 'confirm': 2, 'two-person': 3, 'deny': 4}
HERE = os.path.dirname(os.path.abspath(__file__))


def norm(s):
    return ' '.join(s.split())


def read_tsv(path, kind):
    rows, problems, seen = [], [], {}
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            cols = line.split('\t')
            if n == 1 and cols[0] in ('FAMILY', 'SOURCE'):
                continue  # header
            if kind == 'destructive':
                if len(cols) != 4 or cols[1] not in ('confirm', 'two-person', 'deny'):
                    problems.append('%s:%d: malformed row' % (path, n))
                    continue
                row = {'file_line': n, 'family': cols[0], 'min': cols[1], 'source': cols[2], 'command': cols[3]}
            else:
                if len(cols) not in (2, 3) or (len(cols) == 3 and cols[2] not in ('', 'warn-ok')):
                    problems.append('%s:%d: malformed row' % (path, n))
                    continue
                row = {'file_line': n, 'source': cols[0], 'command': cols[1],
                       'warn_ok': len(cols) == 3 and cols[2] == 'warn-ok'}
            key = norm(row['command'])
            if key in seen:
                problems.append('%s:%d: duplicate of line %d' % (path, n, seen[key]))
            seen[key] = n
            rows.append(row)
    return rows, problems


def clean_env(tmp):
    env = {
        'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'LANG': 'C.UTF-8',
        'HOME': os.path.join(tmp, 'home'),
        'TMPDIR': os.path.join(tmp, 'tmp'),
        'XDG_CONFIG_HOME': os.path.join(tmp, 'config'),
        'XDG_DATA_HOME': os.path.join(tmp, 'data'),
        'XDG_STATE_HOME': os.path.join(tmp, 'state'),
        'XDG_CACHE_HOME': os.path.join(tmp, 'cache'),
        'XDG_RUNTIME_DIR': os.path.join(tmp, 'runtime'),
    }
    for k in ('HOME', 'TMPDIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME', 'XDG_CACHE_HOME', 'XDG_RUNTIME_DIR'):
        os.makedirs(env[k], mode=0o700, exist_ok=True)
    return env


def run_guard(guard, config, commands, env, cwd):
    argv = [guard]
    if config:
        argv += ['--config', config]
    argv += ['check', '--stdin']
    data = ''.join(json.dumps({'command': c}) + '\n' for c in commands)
    p = subprocess.run(argv, input=data.encode('utf-8'), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, cwd=cwd, timeout=3600)
    if p.returncode not in (0, 1, 2, 3, 4):
        raise RuntimeError('guard exited %d: %s' % (p.returncode, p.stderr.decode('utf-8', 'replace')[:2000]))
    out = [l for l in p.stdout.decode('utf-8', 'replace').splitlines() if l.strip()]
    decisions = [None] * len(commands)
    for i, l in enumerate(out):
        try:
            obj = json.loads(l)
        except ValueError:
            raise RuntimeError('guard printed a line that is not JSON: %r' % l[:200])
        idx = obj.get('line')
        idx = (idx - 1) if isinstance(idx, int) else i
        if not 0 <= idx < len(commands):
            raise RuntimeError('guard answered for line %r of %d' % (obj.get('line'), len(commands)))
        d = obj.get('decision')
        rules = sorted({f.get('rule', '?') for f in obj.get('findings') or []})
        decisions[idx] = (d, rules)
    missing = [i + 1 for i, d in enumerate(decisions) if d is None or d[0] not in ORDER]
    if missing:
        raise RuntimeError('guard gave no valid decision for %d input lines (first: %s)' % (len(missing), missing[:5]))
    return decisions


def pct(a, b):
    return (100.0 * a / b) if b else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--guard', required=True)
    ap.add_argument('--config')
    ap.add_argument('--min-caught', type=float, default=0.95)
    ap.add_argument('--max-false-alarm', type=float, default=0.005)
    ap.add_argument('--json', action='store_true')
    ap.add_argument('--verbose', action='store_true')
    ap.add_argument('--destructive', default=os.path.join(HERE, 'destructive.tsv'))
    ap.add_argument('--ordinary', default=os.path.join(HERE, 'ordinary.tsv'))
    a = ap.parse_args()

    guard = os.path.abspath(a.guard)
    config = os.path.abspath(a.config) if a.config else None
    drows, p1 = read_tsv(a.destructive, 'destructive')
    orows, p2 = read_tsv(a.ordinary, 'ordinary')
    problems = p1 + p2
    cross = {norm(r['command']) for r in drows} & {norm(r['command']) for r in orows}
    problems += ['in both files: %s' % c for c in sorted(cross)]

    with tempfile.TemporaryDirectory(prefix='guard-eval-') as tmp:
        env = clean_env(tmp)
        work = os.path.join(tmp, 'work')
        os.makedirs(work)
        try:
            ddec = run_guard(guard, config, [r['command'] for r in drows], env, work)
            odec = run_guard(guard, config, [r['command'] for r in orows], env, work)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            print('score.py: %s' % e, file=sys.stderr)
            return 2

    fams = {}
    misses, under = [], []
    for r, (d, rules) in zip(drows, ddec):
        r['decision'], r['rules'] = d, rules
        f = fams.setdefault(r['family'], {'rows': 0, 'caught': 0, 'at_min': 0, 'tp_rows': 0, 'tp_got': 0,
                                          'deny_rows': 0, 'deny_got': 0})
        f['rows'] += 1
        caught = ORDER[d] >= ORDER['confirm']
        at_min = ORDER[d] >= ORDER[r['min']]
        f['caught'] += caught
        f['at_min'] += at_min
        if r['min'] == 'two-person':
            f['tp_rows'] += 1
            f['tp_got'] += ORDER[d] >= ORDER['two-person']
        if r['min'] == 'deny':
            f['deny_rows'] += 1
            f['deny_got'] += d == 'deny'
        if not caught:
            misses.append(r)
        elif not at_min:
            under.append(r)
    tot = {k: sum(f[k] for f in fams.values()) for k in ('rows', 'caught', 'at_min', 'tp_rows', 'tp_got', 'deny_rows', 'deny_got')}

    false_alarms, ok_warns = [], []
    odist = {}
    for r, (d, rules) in zip(orows, odec):
        r['decision'], r['rules'] = d, rules
        odist[d] = odist.get(d, 0) + 1
        if d == 'allow':
            continue
        if d == 'warn' and r['warn_ok']:
            ok_warns.append(r)
        else:
            false_alarms.append(r)
    n_ord = len(orows)
    catch_rate = tot['caught'] / tot['rows'] if tot['rows'] else 0.0
    fa_rate = len(false_alarms) / n_ord if n_ord else 0.0
    ok = catch_rate >= a.min_caught and fa_rate <= a.max_false_alarm

    if a.json:
        lim = None if a.verbose else 50
        def slim(rs):
            return [{k: r[k] for k in r if k != 'file_line'} | {'file_line': r['file_line']} for r in rs[:lim]]
        print(json.dumps({
            'guard': guard, 'config': config, 'system_config_present': os.path.exists('/etc/guard/config.toml'),
            'destructive': {'rows': tot['rows'], 'caught': tot['caught'], 'catch_rate': catch_rate,
                            'at_min': tot['at_min'], 'at_min_rate': tot['at_min'] / tot['rows'] if tot['rows'] else 0.0,
                            'two_person_rows': tot['tp_rows'], 'two_person_got': tot['tp_got'],
                            'deny_rows': tot['deny_rows'], 'deny_got': tot['deny_got'], 'families': fams},
            'ordinary': {'rows': n_ord, 'false_alarms': len(false_alarms), 'false_alarm_rate': fa_rate,
                         'warn_on_warn_ok': len(ok_warns), 'decisions': odist},
            'thresholds': {'min_caught': a.min_caught, 'max_false_alarm': a.max_false_alarm}, 'pass': ok,
            'problems': problems, 'misses': slim(misses), 'below_min': slim(under), 'false_alarms': slim(false_alarms),
        }, indent=1))
        return 0 if ok else 1

    w = sys.stdout.write
    w('guard: %s%s\n' % (guard, ('  config: %s' % config) if config else ''))
    if os.path.exists('/etc/guard/config.toml'):
        w('NOTE: /etc/guard/config.toml exists and is read by guard; results may differ from a clean machine\n')
    for p in problems[:20]:
        w('data problem: %s\n' % p)
    w('\n## Destructive commands (caught = confirm or stricter)\n\n')
    w('| family | rows | caught | caught % | at/above MIN | at-min % | two-person rows | got two-person |\n')
    w('|---|---:|---:|---:|---:|---:|---:|---:|\n')
    for name in sorted(fams):
        f = fams[name]
        w('| %s | %d | %d | %.1f | %d | %.1f | %d | %d |\n' % (name, f['rows'], f['caught'], pct(f['caught'], f['rows']),
                                                            f['at_min'], pct(f['at_min'], f['rows']), f['tp_rows'], f['tp_got']))
    w('| **all** | %d | %d | %.1f | %d | %.1f | %d | %d |\n' % (tot['rows'], tot['caught'], pct(tot['caught'], tot['rows']),
                                                              tot['at_min'], pct(tot['at_min'], tot['rows']), tot['tp_rows'], tot['tp_got']))
    w('\ndeny rows: %d, got deny: %d\n' % (tot['deny_rows'], tot['deny_got']))
    w('\n## Ordinary commands\n\n')
    w('rows: %d; decisions: %s\n' % (n_ord, ', '.join('%s %d' % (k, odist[k]) for k in sorted(odist, key=ORDER.get))))
    w('false alarms (not allow, except warn on a warn-ok row): %d = %.2f%%\n' % (len(false_alarms), 100 * fa_rate))
    w('warn on warn-ok rows (acceptable): %d\n' % len(ok_warns))
    w('\n## Overall\n\ncatch rate %.1f%% (threshold %.1f%%); at/above MIN %.1f%%; two-person %d/%d; false-alarm rate %.2f%% (threshold %.2f%%): %s\n'
      % (100 * catch_rate, 100 * a.min_caught, pct(tot['at_min'], tot['rows']), tot['tp_got'], tot['tp_rows'],
         100 * fa_rate, 100 * a.max_false_alarm, 'PASS' if ok else 'FAIL'))

    def listing(title, rs, with_min):
        lim = len(rs) if a.verbose else min(50, len(rs))
        w('\n## %s (%d%s)\n\n' % (title, len(rs), '' if lim == len(rs) else ', first %d; --verbose for all' % lim))
        for r in rs[:lim]:
            if with_min:
                w('- [%s] want %s, got %s: `%s`\n' % (r['family'], r['min'], r['decision'], r['command']))
            else:
                w('- got %s%s%s: `%s`\n' % (r['decision'], ' (warn-ok row)' if r['warn_ok'] else '',
                                             (' via ' + ','.join(r['rules'])) if r['rules'] else '', r['command']))
    listing('Misses: destructive rows allowed or only warned', misses, True)
    listing('Caught below MIN_DECISION', under, True)
    listing('False alarms on ordinary rows', false_alarms, False)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
