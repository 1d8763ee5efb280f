#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs the whole benchmark: the buffer contenders (dbcap-bench), the disk
ceiling (fio) against dbcap's synthetic mode, and the memory checks (peak RSS,
allocations after start-up).  Writes one JSON file per phase into --out and a
summary results.json that tools/bench/report.py turns into docs/BENCHMARKS.md
and the plots.  Called by tools/bench/run.sh; see docs/BENCHMARKS.md.

Everything here is standard library only (Debian's python3)."""

import argparse
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import time


def log(*a):
    print('[runner %s]' % time.strftime('%H:%M:%S'), *a, file=sys.stderr, flush=True)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ''


def loadavg():
    try:
        with open('/proc/loadavg') as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return []


def busy_neighbours(skip_pids=()):
    """The processes using CPU right now that are not ours: the noise we run in."""
    out = sh("ps -eo pid,pcpu,comm --sort=-pcpu | head -12")
    rows = []
    for line in out.splitlines()[1:]:
        parts = line.split(None, 2)
        if len(parts) == 3 and int(parts[0]) not in skip_pids and float(parts[1]) >= 5.0:
            rows.append({'pid': int(parts[0]), 'cpu_percent': float(parts[1]), 'command': parts[2]})
    return rows


def machine(scratch):
    return {
        'date': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'kernel': platform.release(),
        'lscpu': sh('lscpu'),
        'free': sh('free -m'),
        'df': sh('df -hT %s' % scratch),
        'nproc': os.cpu_count(),
        'compiler': sh('cc --version | head -1'),
        'fio': sh('fio --version'),
        'git': sh('git -C %s describe --always --dirty 2>/dev/null' % os.path.dirname(os.path.abspath(__file__))),
        'loadavg_start': loadavg(),
        'neighbours_start': busy_neighbours({os.getpid()}),
    }


# ---------------------------------------------------------------- phase 1

def run_bench(args, name, extra):
    exe = os.path.join(args.build, 'tools', 'bench', 'dbcap-bench')
    out = os.path.join(args.out, name + '.json')
    cmd = [exe, '--dir', args.scratch, '--json', out] + extra
    log('bench:', ' '.join(cmd))
    t0 = time.time()
    la0 = loadavg()
    rc = subprocess.run(cmd).returncode
    with open(out) as f:
        res = json.load(f)
    res['command'] = ' '.join(cmd)
    res['exit_code'] = rc
    res['loadavg'] = {'start': la0, 'end': loadavg()}
    res['wall_s'] = time.time() - t0
    with open(out, 'w') as f:
        json.dump(res, f, indent=1)
    return res


# ---------------------------------------------------------------- phase 2

def run_fio(args, direct, bs, seconds, prio=()):
    path = os.path.join(args.scratch, 'fio-seq.dat')
    out = os.path.join(args.out, 'fio-tmp.json')
    if os.path.exists(path):
        os.unlink(path)
    # The same settings as dbcap's persistence: io_uring, the same O_DIRECT
    # setting, the same write size and queue depth, a file that grows by
    # appending (no preallocation), and a final fsync counted in the time.
    cmd = ['fio', '--name=seq', '--filename=' + path, '--rw=write', '--bs=' + bs,
           '--iodepth=%d' % args.io_depth, '--ioengine=io_uring', '--direct=%d' % direct,
           '--size=64G', '--runtime=%g' % seconds, '--time_based', '--fallocate=none',
           '--end_fsync=1', '--output-format=json', '--output=' + out]
    subprocess.run(list(prio) + cmd, check=True, capture_output=True)
    with open(out) as f:
        j = json.load(f)['jobs'][0]
    os.unlink(path)
    os.unlink(out)
    w = j['write']
    return {'tool': 'fio', 'direct': bool(direct), 'bs': bs, 'command': ' '.join(list(prio) + cmd),
            'gb_per_s': w['bw_bytes'] / 1e9, 'bytes': w['io_bytes'], 'runtime_s': w['runtime'] / 1e3,
            'lat_p50_ms': w['clat_ns']['percentile'].get('50.000000', 0) / 1e6,
            'lat_p99_ms': w['clat_ns']['percentile'].get('99.000000', 0) / 1e6,
            'cpu_usr_percent': j['usr_cpu'], 'cpu_sys_percent': j['sys_cpu']}


def run_dbcap(args, direct, writers, seconds, layout='per-writer', preload=None, tag='disk', prio=()):
    exe = os.path.join(args.build, 'src', 'app', 'dbcap')
    path = os.path.join(args.scratch, 'dbcap-synth.pcapng')
    stats = os.path.join(args.out, 'dbcap-%s-%s-%s-w%d.json' % (tag, layout, 'direct' if direct else 'buffered', writers))
    cmd = [exe, '-w', path, '--force', '--duration', '%g' % seconds, '--writers', str(writers),
           '--layout', layout, '--direct' if direct else '--buffered', '--io-engine', 'uring',
           '--io-depth', str(args.io_depth), '--block-min', '10', '--block-max', '10000',
           '--stats', stats, '-q']
    env = dict(os.environ)
    events = None
    if preload:
        events = os.path.join(args.out, 'malloc-events-%s.txt' % layout)
        env['LD_PRELOAD'] = preload
        env['DBCAP_MALLOC_COUNT_OUT'] = events
    t0 = time.time()
    cmd = list(prio) + cmd
    p = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL if preload else subprocess.PIPE,
                         text=True)
    # While it runs: resident memory every 50 ms, and once, in the middle, the
    # CPU each of its threads got (who had the cores: the noise shows here).
    threads = None
    rss = []
    ru = None
    while True:
        pid, status, r = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            ru = r
            p.returncode = os.waitstatus_to_exitcode(status)
            break
        t = time.time() - t0
        # wait4 on this child alone: its own peak RSS, not that of all children.
        if threads is None and t >= min(seconds / 2, 2.0):
            try:
                threads = thread_cpu(p.pid, 1.0)
            except OSError:
                threads = {}
            continue
        try:
            with open('/proc/%d/status' % p.pid) as f:
                m = re.search(r'VmRSS:\s+(\d+)', f.read())
            if m:
                rss.append((round(t, 2), int(m.group(1))))
        except OSError:
            pass
        time.sleep(0.05)
    stderr = '' if preload else p.stderr.read()
    wall = time.time() - t0
    if os.path.exists(path):
        os.unlink(path)
    with open(stats) as f:
        s = json.load(f)
    run = s['run']
    tot = s['totals']
    cfg = run['config']
    res = {'tool': 'dbcap', 'direct': run['direct_io'], 'writers': writers, 'layout': layout,
           'command': ' '.join(cmd), 'exit_code': p.returncode, 'stderr': stderr.strip()[-400:],
           'gb_per_s': tot['file_bytes'] / run['duration_seconds'] / 1e9,
           'payload_gb_per_s': tot['persisted_bytes'] / run['duration_seconds'] / 1e9,
           'duration_s': run['duration_seconds'], 'file_bytes': tot['file_bytes'],
           'blocks': tot['persisted_blocks'], 'dropped_blocks': tot['dropped_blocks'],
           'consistent': s['reconciliation']['consistent'],
           'persist_p50_ms': s['reader']['persist_latency_ns']['p50'] / 1e6,
           'persist_p99_ms': s['reader']['persist_latency_ns']['p99'] / 1e6,
           'mean_in_flight': s['reader']['mean_in_flight'],
           'writer_yields': sum(w['yields'] for w in s['writers']),
           'writer_full_waits': sum(w['full_waits'] for w in s['writers']),
           'write_latency_ns': {k: max(w['write_latency_ns'][k] for w in s['writers'])
                                for k in ('p50', 'p99', 'p999', 'p9999', 'max')},
           # wait4's figure: the larger of dbcap's peak and the RSS of the
           # forking Python at exec (the kernel carries it across exec), so
           # only an upper bound; memory_phase() reads VmHWM at dbcap's exit.
           'max_rss_kib': ru.ru_maxrss,
           'steady_rss_kib': max([k for t, k in rss if 0.5 <= t <= seconds] or [0]),
           'rss_timeline_kib': rss[::4],
           'cpu_s': ru.ru_utime + ru.ru_stime, 'wall_s': wall,
           'buffers_bytes': cfg['buffers'] * cfg['buffer_size_bytes'] * (writers if layout == 'per-writer' else 1),
           'threads_cpu_percent': threads}
    if events:
        res['allocations'] = allocations(events, seconds)
    return res


def thread_cpu(pid, interval):
    """CPU percent of each thread of pid over interval seconds (from /proc)."""
    def snap():
        d = {}
        for tid in os.listdir('/proc/%d/task' % pid):
            try:
                with open('/proc/%d/task/%s/stat' % (pid, tid)) as f:
                    st = f.read()
                with open('/proc/%d/task/%s/comm' % (pid, tid)) as f:
                    comm = f.read().strip()
            except OSError:
                continue
            fields = st[st.rindex(')') + 2:].split()
            d[tid] = (comm, int(fields[11]) + int(fields[12]))
        return d
    hz = os.sysconf('SC_CLK_TCK')
    a = snap()
    time.sleep(interval)
    b = snap()
    out = {}
    for tid, (comm, t) in b.items():
        if tid in a:
            name = re.sub(r'-\d+$', '', comm)
            out[name] = out.get(name, 0) + 100.0 * (t - a[tid][1]) / hz / interval
    return {k: round(v, 1) for k, v in sorted(out.items())}


def allocations(path, seconds):
    """Heap allocations from the LD_PRELOAD counter: by thread, and in the steady state."""
    bins, events, total, hwm = [], [], None, None
    with open(path) as f:
        for line in f:
            w = line.split()
            if w[0] == 'bin':
                bins.append((int(w[1]) / 1e3, w[2], int(w[3]), int(w[4])))
            elif w[0] == 'event':
                events.append({'t_s': int(w[1]) / 1e9, 'kind': w[2], 'size': int(w[3]), 'thread': w[4]})
            elif w[0] == 'total':
                total = int(w[1])
            elif w[0] == 'vmhwm_kib':
                hwm = int(w[1])
    # Steady state: from 1 s after start (threads running, file header
    # written) to the end of the run (then main writes the statistics).
    lo, hi = 1.0, seconds
    steady = [b for b in bins if lo <= b[0] < hi]
    by_thread = {}
    for t, name, count, size in bins:
        k = re.sub(r'\d+$', 'N', name)
        b = by_thread.setdefault(k, {'count': 0, 'bytes': 0, 'first_s': t, 'last_s': t})
        b['count'] += count
        b['bytes'] += size
        b['first_s'] = min(b['first_s'], t)
        b['last_s'] = max(b['last_s'], t + 0.01)
    return {'total': total, 'vmhwm_kib': hwm, 'window_s': [lo, hi],
            'in_window': sum(b[2] for b in steady),
            'in_window_bins': [{'t_s': b[0], 'thread': b[1], 'count': b[2], 'bytes': b[3]} for b in steady[:20]],
            'by_thread': by_thread,
            'startup_done_s': max([b[0] + 0.01 for b in bins if b[0] < lo], default=None),
            'shutdown_from_s': min([b[0] for b in bins if b[0] >= hi], default=None),
            'first_events': events[:40]}


def can_boost():
    try:
        return subprocess.run(['nice', '-n', '-15', 'true'], capture_output=True).returncode == 0 and \
            os.geteuid() == 0
    except OSError:
        return False


def disk_phase(args):
    rounds = []
    ncpu = os.cpu_count() or 1
    modes = [(1, '1M'), (0, '1M')]   # dbcap writes 1 MiB: O_DIRECT staging slots, buffered chunks in 1 MiB pieces
    writer_counts = sorted({1, ncpu})
    # Both at normal priority, and both at nice -15: dbcap needs CPU for its
    # writers and reader where fio needs almost none, so on a shared machine
    # the neighbours' load lands on dbcap alone.  The boosted pair shields
    # both from it alike (root only).
    prios = [('normal', ())] + ([('nice-15', ('nice', '-n', '-15'))] if can_boost() else [])
    for r in range(args.disk_rounds):
        for pname, prio in prios:
            for direct, bs in modes:
                order = ['fio'] + ['dbcap-w%d' % w for w in writer_counts]
                random.Random(r * 7 + direct).shuffle(order)
                for what in order:
                    la = loadavg()
                    if what == 'fio':
                        res = run_fio(args, direct, bs, args.disk_seconds, prio)
                    else:
                        res = run_dbcap(args, bool(direct), int(what[7:]), args.disk_seconds, prio=prio)
                    res['round'] = r
                    res['mode'] = 'direct' if direct else 'buffered'
                    res['priority'] = pname
                    res['loadavg'] = la
                    log('disk: round %d %-7s %-8s %-8s %.3f GB/s' % (r, pname, res['mode'], what, res['gb_per_s']))
                    rounds.append(res)
    return {'rounds': rounds, 'seconds': args.disk_seconds, 'io_depth': args.io_depth,
            'priorities': [p for p, _ in prios], 'neighbours': busy_neighbours({os.getpid()})}


# ---------------------------------------------------------------- phase 3

def memory_phase(args):
    preload = os.path.join(args.build, 'tools', 'bench', 'dbcap-malloc-count.so')
    if not os.path.exists(preload):
        return {'skipped': 'dbcap-malloc-count.so not built (sanitizer build?)'}
    ncpu = os.cpu_count() or 1
    out = []
    for layout in ('per-writer', 'shared', 'mutex'):
        res = run_dbcap(args, True, ncpu, args.memory_seconds, layout=layout, preload=preload, tag='memory')
        res['limit_kib'] = res['buffers_bytes'] // 1024 + 16 * 1024
        res['peak_rss_kib'] = res['allocations']['vmhwm_kib'] or res['max_rss_kib']
        log('memory: %-10s peak RSS %d KiB, steady %d KiB (buffers %d KiB + 16 MiB = %d KiB), '
            '%d allocations in the steady state'
            % (layout, res['peak_rss_kib'], res['steady_rss_kib'], res['buffers_bytes'] // 1024,
               res['limit_kib'], res['allocations']['in_window']))
        out.append(res)
    return {'runs': out, 'seconds': args.memory_seconds}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--build', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--scratch', required=True, help='directory on the disk under test')
    ap.add_argument('--quick', action='store_true', help='a short run (about a minute) to try the pipeline')
    ap.add_argument('--disk-only', action='store_true', help='only fio against dbcap (and memory)')
    ap.add_argument('--io-depth', type=int, default=4)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.scratch, exist_ok=True)
    args.disk_rounds = 1 if args.quick else 3
    args.disk_seconds = 2.0 if args.quick else 3.0
    args.memory_seconds = 3.0 if args.quick else 4.0
    if not shutil.which('fio'):
        log('fio not found: the disk ceiling is skipped (apt-get install fio)')

    t0 = time.time()
    results = {'machine': machine(args.scratch), 'quick': args.quick}
    if not args.disk_only:
        if args.quick:
            main_args = ['--repeat', '2', '--duration', '0.1', '--disk-repeat', '1', '--disk-duration', '0.5',
                         '--writers', '1,2', '--quiet']
            k8_args = ['--repeat', '2', '--duration', '0.1']
        else:
            main_args = ['--quiet']
            k8_args = ['--repeat', '5', '--duration', '0.2']
        results['bench'] = run_bench(args, 'bench', main_args)
        # The same 16-byte null-sink cells with 8 buffers instead of 2: how much
        # of the shared layout's loss is waiting for a buffer (see BENCHMARKS.md).
        results['bench_k8'] = run_bench(args, 'bench-k8', k8_args + [
            '--buffers', '8', '--workloads', '16', '--sinks', 'null', '--writers', '1,2',
            '--contenders', 'per-writer,shared,mutex,bare-store,bare-faa,bare-mutex', '--quiet'])
    if shutil.which('fio'):
        results['disk'] = disk_phase(args)
    results['memory'] = memory_phase(args)
    results['machine']['loadavg_end'] = loadavg()
    results['machine']['neighbours_end'] = busy_neighbours({os.getpid()})
    results['elapsed_s'] = time.time() - t0
    with open(os.path.join(args.out, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)
    log('done in %.0f s: %s' % (results['elapsed_s'], os.path.join(args.out, 'results.json')))


if __name__ == '__main__':
    main()
