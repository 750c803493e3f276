#!/usr/bin/env python3
"""Samples a follow benchmark once a second, then summarises it (used by bench-follow.sh).

  POSTMASTER_PID=… PSQL_BIN=… follow-sampler.py sample OUT URL_BASE SRC_DB DST_DB POSITION_SQL TOOL_SID PGBENCH_PID STOP_FILE
  follow-sampler.py summary OUT PGBENCH_END DONE LABEL [RESUMED]

`sample` writes one JSON line a second to OUT until STOP_FILE exists: the time; the source's WAL
position and its row changes so far (n_tup_ins + n_tup_upd + n_tup_del of its `public` tables);
the position the target holds (POSITION_SQL, run in DST_DB, in bytes; null before the tool
applies anything); and the CPU ticks of every process that takes part, by category: pgbench's
client and its backends, the walsender(s), the tool's backends on the target and on the source,
the tool's client processes (session TOOL_SID), and the rest of the server.

`summary` reads OUT and prints, for the window from the first applied position to pgbench's end
(the sustained part): the source's row changes/s, the apply's row changes/s (a position the
target holds is turned into the source's row count when the source was at that position), the
lag in seconds (now minus when the source was at the held position) and MiB at 25/50/75/100 % of
the window and after, whether it is bounded or growing, and CPU per category in cores.
"""
import json
import os
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def psql(url, query):
    r = subprocess.run(
        [os.environ.get("PSQL_BIN", "psql"), "--no-psqlrc", "-At", "-F", "\t", url, "-c", query],
        capture_output=True,
        text=True,
        env={**os.environ, "PGOPTIONS": "-c client_min_messages=warning"},
    )
    return r.stdout.strip() if r.returncode == 0 else None


def proc_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    # state ppid pgrp session ... utime(11) stime(12)
    return int(rest[1]), int(rest[3]), int(rest[11]) + int(rest[12])


def sample(out, base, src, dst, position_sql, tool_sid, pgbench_pid, stop):
    tool_sid, pgbench_pid = int(tool_sid), int(pgbench_pid)
    pm = int(os.environ["POSTMASTER_PID"])
    with open(out, "w") as f:
        while not os.path.exists(stop):
            t = time.time()
            row = psql(
                f"{base}/{src}",
                "SELECT pg_current_wal_lsn() - '0/0', (SELECT COALESCE(sum(n_tup_ins + n_tup_upd + "
                "n_tup_del), 0) FROM pg_stat_user_tables WHERE schemaname = 'public')",
            )
            pos = psql(f"{base}/{dst}", position_sql)
            kinds = psql(
                f"{base}/postgres",
                "SELECT pid, CASE WHEN backend_type = 'walsender' THEN 'walsender' "
                f"WHEN datname = '{src}' AND application_name = 'pgbench' THEN 'pgbench backends' "
                f"WHEN backend_type = 'client backend' AND application_name = 'psql' THEN 'sampler' "
                f"WHEN backend_type = 'client backend' AND datname = '{dst}' THEN 'tool: target backends' "
                f"WHEN backend_type = 'client backend' AND datname = '{src}' THEN 'tool: source backends' "
                "ELSE 'server: other' END FROM pg_stat_activity",
            )
            cats = {}
            for line in (kinds or "").splitlines():
                p, k = line.split("\t")
                cats[int(p)] = k
            ticks = {}
            for p in os.listdir("/proc"):
                if not p.isdigit():
                    continue
                try:
                    ppid, sid, tk = proc_stat(p)
                except (OSError, IndexError, ValueError):
                    continue
                p = int(p)
                if p == pgbench_pid:
                    k = "pgbench client"
                elif sid == tool_sid:
                    k = "tool: client"
                elif ppid == pm:
                    k = cats.get(p, "server: other")
                else:
                    continue
                ticks[p] = (k, tk)
            rec = {"t": t, "ticks": ticks}
            if row:
                lsn, rows = row.split("\t")
                rec["src_lsn"], rec["src_rows"] = int(lsn), int(rows)
            if pos:
                rec["applied"] = int(float(pos))
            f.write(json.dumps(rec) + "\n")
            f.flush()
            time.sleep(max(0.0, 1.0 - (time.time() - t)))


def interp(xs, ys, x):
    """y at x on the polyline (xs ascending), clamped."""
    if x <= xs[0]:
        return ys[0]
    for i in range(1, len(xs)):
        if x <= xs[i]:
            if xs[i] == xs[i - 1]:
                return ys[i]
            return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - xs[i - 1]) / (xs[i] - xs[i - 1])
    return ys[-1]


def summary(out, pgbench_end, done, label, resumed=None):
    pgbench_end, done = float(pgbench_end), float(done)
    recs = [json.loads(line) for line in open(out)]
    src = [r for r in recs if "src_lsn" in r]
    # The source's position only grows; rows too (allow a stats flush's jitter).
    lsns = [r["src_lsn"] for r in src]
    rows, times = [], [r["t"] for r in src]
    for r in src:
        rows.append(max(r["src_rows"], rows[-1] if rows else 0))
    applied = [r for r in recs if "applied" in r]
    if not applied:
        print(f"{label}: no applied position was ever seen")
        return
    # Applying has begun once the held position first moves (a tool may record its start
    # position before it applies anything).
    moved = [r for r in applied if r["applied"] > applied[0]["applied"]]
    if not moved:
        print(f"{label}: the position the target holds never moved")
        return
    applied = moved
    t0 = applied[0]["t"]
    win = [r for r in applied if t0 <= r["t"] <= pgbench_end]
    what = "while pgbench ran, from the first applied change"
    if resumed is not None:
        # Backlog mode: the tool was stopped while pgbench ran; the window is its catch-up.
        resumed = float(resumed)
        win = [r for r in recs if "applied" in r and resumed <= r["t"] <= done]
        what = "catching up the backlog, after the tool was resumed"

    def held_rows(r):
        return interp(lsns, rows, r["applied"])

    def lag_s(r):
        return max(0.0, r["t"] - interp(lsns, times, r["applied"]))

    def lag_mib(r):
        return max(0, interp(times, lsns, r["t"]) - r["applied"]) / 1048576

    lines = [f"{label}:"]
    if len(win) >= 2 and win[-1]["t"] - win[0]["t"] >= 3:
        a, b = win[0], win[-1]
        dt = b["t"] - a["t"]
        src_rate = (interp(times, rows, b["t"]) - interp(times, rows, a["t"])) / dt
        app_rate = (held_rows(b) - held_rows(a)) / dt
        q = [win[min(len(win) - 1, round(f * (len(win) - 1)))] for f in (0.25, 0.5, 0.75, 1.0)]
        lags = [lag_s(r) for r in q]
        growing = lags[3] > lags[1] + 1.0 and lags[3] > 1.2 * lags[1]
        lines.append(
            f"   sustained ({dt:.0f} s {what}): source "
            f"{src_rate:,.0f} row changes/s, applied {app_rate:,.0f} row changes/s "
            f"({app_rate / src_rate if src_rate else 0:.2f}x the source)"
        )
        with open(out + ".rate", "w") as f:
            f.write(f"{app_rate:.0f}\n")
        lines.append(
            "   lag at 25/50/75/100 % of it: "
            + " / ".join(f"{lag_s(r):.1f} s ({lag_mib(r):.0f} MiB)" for r in q)
            + (" -> GROWING" if growing else " -> bounded")
        )
        cpu = {}
        first, last = {}, {}
        for r in win:
            for p, (k, tk) in r["ticks"].items():
                first.setdefault(p, (k, tk))
                last[p] = (k, tk)
        for p, (k, tk) in last.items():
            cpu[k] = cpu.get(k, 0) + (tk - first[p][1]) / HZ
        lines.append(
            "   CPU in that window, cores: "
            + ", ".join(f"{k} {v / dt:.2f}" for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]))
        )
    else:
        lines.append(f"   no window of 3 s or more ({what})")
    after = [r for r in applied if pgbench_end < r["t"] <= done]
    if after:
        lines.append(
            "   after pgbench: lag "
            + " / ".join(f"{lag_s(r):.1f} s" for r in after[:: max(1, len(after) // 4)][:5])
            + f"; done {done - pgbench_end:.1f} s after pgbench ended"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "sample":
        sample(*sys.argv[2:10])
    elif cmd == "summary":
        summary(*sys.argv[2:7])
    else:
        sys.exit(f"unknown command {cmd}")
