#!/usr/bin/env python3
"""Checks for etc/prometheus/vigil-alerts.yml and etc/grafana/vigil-dashboard.json
(tests/integration/t_monitoring_rules.sh). Standard library only.

  monitoring_refs.py dashboard DASH.json
      the dashboard's structure: schemaVersion, uid, the DS_PROMETHEUS
      datasource variable used by every panel, target and query variable,
      every non-row panel with a target with an expr, unique ids and refIds.
  monitoring_refs.py mutants RULES.yml OUTDIR
      one copy of RULES per alert, OUTDIR/NAME.yml, where that alert's expr
      can never fire (promtool test rules must then fail); prints the names.
  monitoring_refs.py refs RULES.yml DASH.json SCRAPE...
      every vigil_* name in the rules and in the dashboard is a series name of
      the scrapes (a histogram as NAME_bucket / _sum / _count), every label of
      a matcher, a by/without/on/ignoring/group_* list exists on the metrics
      it is about, and every literal matcher value occurs there.
  monitoring_refs.py quiet RULES.yml SCRAPE OUT.yml
      a promtool unit test, OUT.yml, that feeds SCRAPE (a healthy daemon) in
      as constant series for 15 minutes and expects no alert at all.
"""
import json
import os
import re
import sys

NAME = re.compile(r"(?<![A-Za-z0-9_:])vigil_[a-z_]+(?![A-Za-z0-9_:])")
SELECTOR = re.compile(r"(?<![A-Za-z0-9_:])(vigil_[a-z_]+)\s*\{([^}]*)\}")
MATCHER = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")
# labels Prometheus adds to every scraped series (the target's), and the
# histogram bucket label
TARGET_LABELS = {"job", "instance"}
DS_REF = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}

errors = []


def err(msg):
    errors.append(msg)


def finish():
    for e in errors:
        print("FAIL: " + e, file=sys.stderr)
    sys.exit(1 if errors else 0)


# --- the rules file (the subset of YAML it is written in) -------------------

def rules(path):
    """[(alert, expr, [annotation values], (first line, last line) of expr)]"""
    lines = open(path, encoding="utf-8").read().split("\n")
    out = []
    cur = None
    i = 0
    while i < len(lines):
        ln = lines[i]
        m = re.match(r"^(\s*)- alert:\s*(\S+)\s*$", ln)
        if m:
            cur = {"alert": m.group(2), "expr": None, "ann": [], "span": None}
            out.append(cur)
            i += 1
            continue
        m = re.match(r"^(\s*)(expr|summary|description):\s*(.*)$", ln)
        if m and cur is not None:
            ind, key, rest = len(m.group(1)), m.group(2), m.group(3).strip()
            start = i
            if rest in ("|", "|-", ">", ">-"):
                body = []
                i += 1
                while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > ind):
                    body.append(lines[i].strip())
                    i += 1
                while body and not body[-1]:
                    body.pop()
                    i -= 1
                text = ("\n" if rest.startswith("|") else " ").join(body)
                end = i - 1
            else:
                if len(rest) >= 2 and rest[0] == rest[-1] and rest[0] in "\"'":
                    rest = rest[1:-1]
                text = rest
                end = i
                i += 1
            if key == "expr":
                cur["expr"], cur["span"] = text, (start, end)
            else:
                cur["ann"].append(text)
            continue
        i += 1
    for r in out:
        if not r["expr"]:
            err(f"{path}: alert {r['alert']} has no expr this parser can read")
    if not out:
        err(f"{path}: no alert found")
    return out, lines


# --- PromQL, as far as these checks need it ---------------------------------

def paren_group(s, open_at):
    """the text inside the parenthesis opening at s[open_at]"""
    depth = 0
    for j in range(open_at, len(s)):
        if s[j] == "(":
            depth += 1
        elif s[j] == ")":
            depth -= 1
            if depth == 0:
                return s[open_at + 1:j]
    return s[open_at + 1:]


def paren_group_before(s, close_at):
    depth = 0
    for j in range(close_at, -1, -1):
        if s[j] == ")":
            depth += 1
        elif s[j] == "(":
            depth -= 1
            if depth == 0:
                return s[j + 1:close_at]
    return s[:close_at]


def strip_ranges(expr):
    # [5m], [$__rate_interval], [1h:5m]: never a label
    return re.sub(r"\[[^\]]*\]", "[]", expr)


def label_uses(expr):
    """[(label, [metrics it must be on], where)]"""
    expr = strip_ranges(expr)
    uses = []
    for m in GROUPING.finditer(expr):
        kind, names = m.group(1), [n.strip() for n in m.group(2).split(",") if n.strip()]
        if kind in ("by", "without"):
            k = m.end()
            while k < len(expr) and expr[k].isspace():
                k += 1
            if k < len(expr) and expr[k] == "(":
                scope = paren_group(expr, k)
            else:  # sum (x) by (l)
                k = m.start() - 1
                while k >= 0 and expr[k].isspace():
                    k -= 1
                scope = paren_group_before(expr, k) if k >= 0 and expr[k] == ")" else expr
        else:
            scope = expr
        metrics = sorted(set(NAME.findall(scope)))
        for n in names:
            uses.append((n, metrics, f"{kind} ({m.group(2).strip()})"))
    return uses


def literal_values(op, value):
    if "$" in value or "%" in value:
        return []  # a Grafana variable or a template's printf
    if op == "=":
        return [value]
    if op == "=~" and re.fullmatch(r"[A-Za-z0-9_:.-]+(\|[A-Za-z0-9_:.-]+)*", value):
        return value.split("|")
    return []


# --- scrapes ----------------------------------------------------------------

def scrapes(paths):
    labels, values = {}, {}
    for p in paths:
        for ln in open(p, encoding="utf-8"):
            ln = ln.strip()
            if not ln or ln.startswith("#"):
                continue
            m = re.match(r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+\S+", ln)
            if not m:
                err(f"{p}: unreadable sample line: {ln}")
                continue
            name = m.group(1)
            labels.setdefault(name, set())
            for k, _, v in MATCHER.findall(m.group(3) or ""):
                labels[name].add(k)
                values.setdefault((name, k), set()).add(v)
    return labels, values


def check_expr(where, expr, labels, values):
    names = NAME.findall(expr)
    for n in names:
        if n not in labels:
            hint = ""
            if n + "_bucket" in labels:
                hint = " (a histogram: use %s_bucket, _sum or _count)" % n
            err(f"{where}: {n} is no series of the daemon's /metrics{hint}: {expr}")
    for metric, body in SELECTOR.findall(strip_ranges(expr)):
        if metric not in labels:
            continue
        for k, op, v in MATCHER.findall(body):
            if k in TARGET_LABELS:
                continue
            if k not in labels[metric]:
                err(f"{where}: {metric} has no label {k} (it has {sorted(labels[metric])}): {expr}")
                continue
            for lv in literal_values(op, v):
                if lv not in values.get((metric, k), set()):
                    err(f"{where}: {metric}{{{k}=\"{lv}\"}}: no such value in the scrape "
                        f"(seen: {sorted(values.get((metric, k), set()))})")
    for k, metrics, how in label_uses(expr):
        if k in TARGET_LABELS:
            continue
        for metric in metrics:
            if metric in labels and k not in labels[metric]:
                err(f"{where}: {how}: {metric} has no label {k} (it has {sorted(labels[metric])}): {expr}")
    return names


def dashboard_exprs(d):
    out = []
    def walk(ps):
        for p in ps:
            for t in p.get("targets", []):
                out.append((f"panel {p.get('id')} \"{p.get('title')}\" {t.get('refId')}", t.get("expr", "")))
            walk(p.get("panels", []))
    walk(d.get("panels", []))
    for v in d.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        m = re.fullmatch(r"\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*", q)
        if m:
            # label_values(SELECTOR, LABEL): LABEL must be on SELECTOR's metric
            out.append((f"variable {v.get('name')}", f"sum by ({m.group(2)}) ({m.group(1)})"))
        else:
            out.append((f"variable {v.get('name')}", q))
    return out


# --- commands ---------------------------------------------------------------

def cmd_dashboard(path):
    try:
        d = json.load(open(path, encoding="utf-8"))
    except ValueError as e:
        err(f"{path}: not JSON: {e}")
        return
    if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < 36:
        err(f"schemaVersion {d.get('schemaVersion')!r} (want 36 or later)")
    for k in ("uid", "title"):
        if not d.get(k):
            err(f"no {k}")
    if d.get("id") is not None:
        err("id must be null in a dashboard meant for import")
    tv = d.get("templating", {}).get("list", [])
    ds = [v for v in tv if v.get("name") == "DS_PROMETHEUS"]
    if len(ds) != 1 or ds[0].get("type") != "datasource" or ds[0].get("query") != "prometheus":
        err("templating: want one datasource variable DS_PROMETHEUS of type prometheus")
    names = [v.get("name") for v in tv]
    if "account" not in names:
        err("templating: no account variable")
    for v in tv:
        if v.get("type") == "query" and v.get("datasource") != DS_REF:
            err(f"variable {v.get('name')}: datasource {v.get('datasource')!r}, want {DS_REF}")
    ids = set()
    n = 0

    def walk(ps):
        nonlocal n
        for p in ps:
            pid, title = p.get("id"), p.get("title")
            if not isinstance(pid, int) or pid in ids:
                err(f"panel {title!r}: id {pid!r} missing or not unique")
            ids.add(pid)
            g = p.get("gridPos", {})
            if not all(isinstance(g.get(k), int) for k in ("h", "w", "x", "y")) or g.get("x", 0) + g.get("w", 0) > 24:
                err(f"panel {title!r}: gridPos {g!r}")
            if p.get("type") == "row":
                walk(p.get("panels", []))
                continue
            n += 1
            if not title:
                err(f"panel {pid}: no title")
            if p.get("datasource") != DS_REF:
                err(f"panel {title!r}: datasource {p.get('datasource')!r}, want {DS_REF}")
            ts = p.get("targets") or []
            if not any((t.get("expr") or "").strip() for t in ts):
                err(f"panel {title!r}: no target with an expr")
            refs = [t.get("refId") for t in ts]
            if len(set(refs)) != len(refs) or not all(refs):
                err(f"panel {title!r}: refIds {refs}")
            for t in ts:
                if t.get("datasource") != DS_REF:
                    err(f"panel {title!r} target {t.get('refId')}: datasource {t.get('datasource')!r}")
                e = t.get("expr") or ""
                if e.count("(") != e.count(")") or e.count("{") != e.count("}"):
                    err(f"panel {title!r} target {t.get('refId')}: unbalanced: {e}")

    walk(d.get("panels", []))
    if n < 10:
        err(f"only {n} panels")


def cmd_mutants(path, outdir):
    rs, lines = rules(path)
    os.makedirs(outdir, exist_ok=True)
    for r in rs:
        if not r["span"]:
            continue
        a, b = r["span"]
        ind = re.match(r"^(\s*)", lines[a]).group(1)
        mut = lines[:a] + [ind + "expr: vector(0) > 1"] + lines[b + 1:]
        open(os.path.join(outdir, r["alert"] + ".yml"), "w", encoding="utf-8").write("\n".join(mut))
        print(r["alert"])


def cmd_refs(rpath, dpath, scrape_paths):
    labels, values = scrapes(scrape_paths)
    if not labels:
        err("the scrapes hold no series")
        return
    used = set()
    rs, _ = rules(rpath)
    for r in rs:
        used.update(check_expr(f"rule {r['alert']}", r["expr"] or "", labels, values))
        for a in r["ann"]:
            # names in the text, and template queries (printf `...`) as PromQL
            used.update(check_expr(f"rule {r['alert']} annotation", " ".join(re.findall(r"`([^`]*)`", a)),
                                   labels, values))
            for n in NAME.findall(a):
                if n not in labels:
                    err(f"rule {r['alert']} annotation names {n}, no series of /metrics")
    for where, e in dashboard_exprs(json.load(open(dpath, encoding="utf-8"))):
        used.update(check_expr(f"dashboard {where}", e, labels, values))
        # the dashboard's variables apply to every panel
        for metric, body in SELECTOR.findall(strip_ranges(e)):
            keys = {k for k, _, _ in MATCHER.findall(body)}
            want = ["instance"] + (["account"] if "account" in labels.get(metric, ()) else [])
            for k in want:
                if where.startswith("panel") and k not in keys:
                    err(f"dashboard {where}: {metric} not filtered by ${k}: {e}")
    print(f"{len(set(used))} metric names from {len(rs)} rules and the dashboard checked against the scrape")


def cmd_quiet(rpath, scrape, out):
    rs, _ = rules(rpath)
    series = []
    for ln in open(scrape, encoding="utf-8"):
        ln = ln.strip()
        if not ln or ln.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)", ln)
        if not m or m.group(3) in ("NaN", "+Inf", "-Inf"):
            continue
        lbl = (m.group(2) + "," if m.group(2) else "") + 'job="vigil",instance="vigil:9464"'
        series.append((f"{m.group(1)}{{{lbl}}}", m.group(3)))
    series.append(('up{job="vigil",instance="vigil:9464"}', "1"))
    w = ["rule_files:", "  - " + json.dumps(os.path.abspath(rpath)), "evaluation_interval: 1m", "tests:",
         "  - interval: 1m", "    input_series:"]
    for s, v in series:
        # a wall-clock timestamp on the test's clock (which starts at 0):
        # an audit every minute, the last one just now
        vals = "0+60x15" if s.startswith("vigil_last_audit_timestamp_seconds") else f"{v}x15"
        w += [f"      - series: {json.dumps(s)}", f"        values: {json.dumps(vals)}"]
    w.append("    alert_rule_test:")
    for r in rs:
        w += [f"      - eval_time: 15m", f"        alertname: {r['alert']}", "        exp_alerts: []"]
    open(out, "w", encoding="utf-8").write("\n".join(w) + "\n")
    print(f"{len(series)} series, {len(rs)} alerts expected quiet")


if __name__ == "__main__":
    cmd, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if cmd == "dashboard" and len(args) == 1:
        cmd_dashboard(*args)
    elif cmd == "mutants" and len(args) == 2:
        cmd_mutants(*args)
    elif cmd == "refs" and len(args) >= 3:
        cmd_refs(args[0], args[1], args[2:])
    elif cmd == "quiet" and len(args) == 3:
        cmd_quiet(*args)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    finish()
