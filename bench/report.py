"""The benchmark report: targets checked, ratios, Markdown and a short headline."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

TARGET_LEVEL = "32"
TARGETS = {
    "throughput_ratio": 0.25,   # portal / hello world requests/s at 32 connections
    "p99_ms": 150.0,            # at 32 connections
    "memory_mb": 150.0,         # server peak RSS under page load
    "errors": 0,                # every level up to 128
    "queries_per_view": 2,      # no page more than 2 per view
    "scale_ratio": 1.5,         # page latency 12,000 vs 1,000 premises
}
PAGE_NAMES = {
    "pages.personal": "Dane osobowe",
    "pages.rent": "Czynsz",
    "pages.ledger": "Księgowość",
    "pages.ledger_details": "Księgowość – szczegóły",
    "pages.virtual_accounts": "Wirtualne rachunki",
    "pages.readings": "Media odczyty",
    "pages.settlements": "Media rozliczenia",
}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else round(
        (ordered[middle - 1] + ordered[middle]) / 2, 2)


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def analyse(result: dict[str, Any]) -> None:
    """Adds result['analysis']: per backend ratios and the targets, met or not."""
    analysis: dict[str, Any] = {}
    for kind, entry in result["large"]["backends"].items():
        hello = entry["hello"]
        ratios = {}
        for level, run in entry["levels"].items():
            raw = entry.get("raw", {}).get(level)
            ratios[level] = {
                "portal_rps": run["rps"],
                "hello_rps": hello.get(level, {}).get("rps"),
                "raw_rps": raw["rps"] if raw else None,
                "portal_vs_hello": _ratio(run["rps"], hello.get(level, {}).get("rps", 0)),
                "portal_vs_raw": _ratio(run["rps"], raw["rps"]) if raw else None,
                "p99_vs_hello": _ratio(run["latency_ms"]["p99"],
                                       hello.get(level, {}).get("latency_ms", {}).get("p99", 0)),
                "p99_vs_raw": _ratio(run["latency_ms"]["p99"], raw["latency_ms"]["p99"])
                if raw else None,
            }
        load_runs = list(entry["levels"].values()) + list(entry["pages_c1"].values()) \
            + list(entry.get("pages_c32", {}).values())
        errors_hello = sum(r["errors"] for r in hello.values())
        peak = max(r["peak_rss_mb"] for r in load_runs)
        errors = sum(r["errors"] for r in load_runs)
        per_page_max: Counter = Counter()
        views = over = 0
        for run in load_runs:
            for page, s in run["server"]["pages"].items():
                per_page_max[page] = max(per_page_max[page], s["queries_max"])
                views += s["views"]
                over += sum(n for q, n in s["queries_hist"].items()
                            if int(q) > TARGETS["queries_per_view"])
        cold = {p: s["queries_max"] for p, s in entry["cold"]["pages"].items()}
        scale = {}
        growth = result.get("growth", {}).get("backends", {}).get(kind, {}).get("runs", {})
        for page, runs in growth.items():
            small_p50 = _median([r["latency_ms"]["p50"] for r in runs["small"]])
            large_p50 = _median([r["latency_ms"]["p50"] for r in runs["large"]])
            small_mean = _median([r["latency_ms"]["mean"] for r in runs["small"]])
            large_mean = _median([r["latency_ms"]["mean"] for r in runs["large"]])
            scale[page] = {"small_p50_ms": small_p50, "large_p50_ms": large_p50,
                           "p50_ratio": _ratio(large_p50, small_p50),
                           "small_mean_ms": small_mean, "large_mean_ms": large_mean,
                           "mean_ratio": _ratio(large_mean, small_mean),
                           "errors": sum(r["errors"] for r in runs["small"] + runs["large"])}
        errors += sum(s["errors"] for s in scale.values())
        at = entry["levels"].get(TARGET_LEVEL)
        full_scans = {q: c["full_scans"] for q, c in entry.get("index_check", {}).items()
                      if c["full_scans"]}
        worst_scale = max((s["p50_ratio"] for p, s in scale.items()
                           if s["p50_ratio"] and p != "mix"), default=None)
        targets = {
            "throughput_ratio": {
                "target": f"≥ {TARGETS['throughput_ratio']:.0%} of hello world at 32",
                "value": ratios.get(TARGET_LEVEL, {}).get("portal_vs_hello"),
            },
            "p99_ms": {"target": f"< {TARGETS['p99_ms']:.0f} ms at 32",
                       "value": at["latency_ms"]["p99"] if at else None},
            "memory_mb": {"target": f"< {TARGETS['memory_mb']:.0f} MB under page load",
                          "value": peak},
            "errors": {"target": "0 at every level up to 128", "value": errors},
            "queries_per_view": {"target": "≤ 2 billing queries per page view",
                                 "value": max(per_page_max.values(), default=0)},
            "scale_ratio": {"target": f"{_fmt(result['settings']['large'])} vs "
                            f"{_fmt(result['settings']['small'])} premises: ≤ "
                            f"{TARGETS['scale_ratio']}× (p50, each page)",
                            "value": worst_scale},
        }
        for key, t in targets.items():
            value = t["value"]
            if value is None:
                t["met"] = None
            elif key == "throughput_ratio":
                t["met"] = value >= TARGETS[key]
            elif key in ("errors", "queries_per_view", "scale_ratio"):
                t["met"] = value <= TARGETS[key]
            else:
                t["met"] = value < TARGETS[key]
        analysis[kind] = {"ratios": ratios, "peak_rss_mb": peak, "errors": errors,
                          "errors_hello": errors_hello,
                          "views": views, "views_over_2_queries": over,
                          "queries_max_per_page": dict(per_page_max),
                          "cold_queries_per_page": cold, "scale": scale,
                          "full_scans": full_scans, "targets": targets}
    result["analysis"] = analysis


def _ok(met: bool | None) -> str:
    return "—" if met is None else ("**met**" if met else "**NOT met**")


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    else:
        text = f"{value:,}"
    return text.replace(",", " ") + unit


def headline(result: dict[str, Any]) -> str:
    lines = []
    for kind, a in result["analysis"].items():
        label = result["large"]["backends"][kind]["label"]
        lines.append(f"{label}:")
        for t in a["targets"].values():
            lines.append(f"  {t['target']:<52} {_fmt(t['value']):>10}  "
                         f"{_ok(t['met']).strip('*')}")
    return "\n".join(lines)


def markdown(result: dict[str, Any]) -> str:
    cfg = result["settings"]
    m = result["machine"]
    out: list[str] = []
    w = out.append
    w("# Portal benchmark: what a page costs, against the limits of its parts\n")
    w(f"Command: `{result['command']}` (run {result['started']}, "
      f"{result['seconds'] / 60:.1f} min including database builds and logins).\n")
    w(f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['system']}, Python {m['python']}, "
      + ", ".join(f"{k} {v}" for k, v in m["packages"].items())
      + (f", {m['postgresql']}" if "postgresql" in m else "") + f", {m['wrk']}. "
      "The load generator (wrk), the portal and the database share the same cores.\n")
    from gateway.config import SETTINGS

    threads = next(x.default for x in SETTINGS if x.name == "server.threads")
    w(f"Portal: production settings (config.example.ini defaults: waitress {threads} "
      "threads, connection limit 200, argon2id t=3 m=64 MiB p=2, select-list cache 300 s, one "
      f"billing connection per worker thread). {cfg['accounts']} residents, spread over "
      f"the {_fmt(cfg['large'])} premises, logged in through the real forms; "
      f"{cfg['per_account']} planned page views each (all seven page views, varied "
      "premises, accounts and periods), taken in turn by wrk. "
      f"Mixed runs last {cfg['seconds']:g} s per level, single-page runs "
      + (f"{cfg['page_seconds']:g} s (32 connections) and " if cfg["page_seconds"] else "")
      + f"{cfg['single_seconds']:g} s (1 connection)"
      + (" (--quick: a smoke run, too short and too small for conclusions)"
         if result["command"].find("--quick") >= 0 else "") + ".\n")
    noise = result.get("noise", {})
    if noise:
        w(f"Load average of the machine before / after the run: {noise['loadavg_before']} / "
          f"{noise['loadavg_after']} (other work on the machine inflates latencies and "
          "lowers throughput for the portal and the baselines alike)."
          + (" **PostgreSQL was restarted during the run** (by something else on the "
             "machine): errors in the PostgreSQL rows may come from that."
             if noise.get("pg_restarted") else "") + "\n")

    for kind, a in result["analysis"].items():
        entry = result["large"]["backends"][kind]
        w(f"## {entry['label']}\n")
        w("### Targets\n")
        w("| Target | Measured | |")
        w("|---|---|---|")
        for key, t in a["targets"].items():
            unit = {"throughput_ratio": "", "p99_ms": " ms", "memory_mb": " MB",
                    "scale_ratio": "×"}.get(key, "")
            value = t["value"]
            shown = f"{value:.0%}" if key == "throughput_ratio" and value is not None \
                else _fmt(value, unit)
            w(f"| {t['target']} | {shown} | {_ok(t['met'])} |")
        w("")
        first = max(a["cold_queries_per_page"].values(), default=0)
        w(f"Billing queries: {a['views_over_2_queries']} of {_fmt(a['views'])} page views under "
          f"load took more than {TARGETS['queries_per_view']} (a resident's select lists "
          "expiring from the 300 s cache); the first view of a page after a start, with an "
          f"empty cache, takes up to {first} (the select lists, and the name in the page "
          "header, are fetched once and then cached for 300 s).\n")
        w("### Mixed page views, each concurrency level\n")
        w("At each level the portal, the hello world (b) and the raw SQL (a) ran one after "
          f"the other, {cfg['seconds']:g} s each.\n")
        w("| Connections | Portal req/s | p50 ms | p95 ms | p99 ms | Errors | Billing queries/view "
          "| Peak RSS MB | Hello req/s | Portal/hello | Raw SQL views/s | Portal/raw SQL "
          "| Raw SQL p99 ms |")
        w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for level, run in entry["levels"].items():
            r = a["ratios"][level]
            raw = entry.get("raw", {}).get(level)
            raw_conn = f" ({raw['connections']} conn.)" if raw and raw["connections"] != int(
                level) else ""
            lat = run["latency_ms"]
            w(f"| {level} | {_fmt(run['rps'])} | {_fmt(lat['p50'])} | {_fmt(lat['p95'])} | "
              f"{_fmt(lat['p99'])} | {run['errors']} | "
              f"{run['server']['queries_per_view']:.2f} | {_fmt(run['peak_rss_mb'])} | "
              f"{_fmt(r['hello_rps'])} | {_fmt(r['portal_vs_hello'])} | "
              f"{_fmt(r['raw_rps'])}{raw_conn} | {_fmt(r['portal_vs_raw'])} | "
              f"{_fmt(raw['latency_ms']['p99']) if raw else '—'} |")
        w("")
        w("### Each page alone\n")
        w("Latency at 1 connection; throughput and latency at 32 connections; billing-database "
          "queries per view counted by the server for every view (steady state: select lists "
          "cached), and for the first view of each page after a restart (cache empty, no "
          "parameters, "
          f"{cfg['cold']} residents); raw SQL = the page's data queries alone through the "
          "driver, 1 connection.\n")
        w("| Page | c=1 p50 ms | raw SQL c=1 p50 ms | c=32 req/s | c=32 p50 ms | c=32 p99 ms "
          "| Errors | Queries/view (max) | First view queries (max) | In-app ms (c=1) |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        raw1 = entry.get("raw_c1_pages", {})
        for page, one in entry["pages_c1"].items():
            many = entry.get("pages_c32", {}).get(page)
            s1 = one["server"]["pages"].get(page, {})
            errors = one["errors"] + (many["errors"] if many else 0)
            qpv = max([s1.get("queries_per_view", 0)] + [
                many["server"]["pages"].get(page, {}).get("queries_per_view", 0)
                if many else 0])
            w(f"| {PAGE_NAMES.get(page, page)} | {_fmt(one['latency_ms']['p50'])} | "
              f"{_fmt(raw1.get(page, {}).get('latency_ms', {}).get('p50'))} | "
              f"{_fmt(many['rps']) if many else '—'} | "
              f"{_fmt(many['latency_ms']['p50']) if many else '—'} | "
              f"{_fmt(many['latency_ms']['p99']) if many else '—'} | {errors} | "
              f"{qpv:.2f} ({a['queries_max_per_page'].get(page, 0)}) | "
              f"{a['cold_queries_per_page'].get(page, '—')} | {_fmt(s1.get('app_ms_mean'))} |")
        w("")
        if a["scale"]:
            g = result["growth"]
            w(f"### Latency growth: {_fmt(g['premises'])} → {_fmt(g['large_premises'])} "
              "premises\n")
            w(f"Each page alone at 1 connection, {cfg['single_seconds']:g} s a run, the small "
              "and the large database's portal running side by side and measured in "
              f"alternation, {g['repeats']} time(s) each (median shown); "
              f"{cfg['small_accounts']} residents at the small scale, "
              f"{cfg['accounts']} at the large.\n")
            w("| Page | p50 ms small | p50 ms large | Ratio | mean ms small | mean ms large "
              "| Ratio |")
            w("|---|---:|---:|---:|---:|---:|---:|")
            for page, s in a["scale"].items():
                w(f"| {PAGE_NAMES.get(page, 'Mix, overall')} | {_fmt(s['small_p50_ms'])} | "
                  f"{_fmt(s['large_p50_ms'])} | {_fmt(s['p50_ratio'])}× | "
                  f"{_fmt(s['small_mean_ms'])} | {_fmt(s['large_mean_ms'])} | "
                  f"{_fmt(s['mean_ratio'])}× |")
            w("")
        w("### Indexes\n")
        if entry.get("index_check"):
            if a["full_scans"]:
                w("Full scans of large tables in the plans:\n")
                for query, scans in a["full_scans"].items():
                    w(f"- `{query}`: " + "; ".join(f"`{s}`" for s in scans))
            else:
                w(f"EXPLAIN of all {len(entry['index_check'])} page queries (sample parameters): "
                  "no full scan of a large table; every lookup is index-backed.")
            w("")
        logins = entry.get("logins")
        text = ""
        if logins:
            text += (f"Logins: {logins['count']} residents logged in (2 at a time) on a first "
                     f"server process; login POST p50 {_fmt(logins['login_post_ms_p50'])} ms, "
                     f"max {_fmt(logins['login_post_ms_max'])} ms; that process peaked at "
                     f"{_fmt(logins['peak_rss_mb'])} MB RSS meanwhile (each login in progress "
                     "holds a 64 MiB argon2 buffer). ")
            burst = entry.get("login_burst")
            if burst:
                text += (f"A burst of {burst['logins']} logins at once "
                         f"took {burst['seconds']} s and took it to "
                         f"{_fmt(burst['peak_rss_mb'])} MB. ")
            text += "The measured server was started afterwards. "
        w(text + f"Server RSS at start {_fmt(entry['start_rss_mb'])} MB, lifetime peak of the "
          f"measured server process (VmHWM) {_fmt(entry['hwm_rss_mb'])} MB.\n")
        if entry.get("plumbing"):
            w("### Where the gap to hello world is\n")
            w("The portal's plumbing alone: `/healthz` requested with a resident's session "
              "cookie (session and account read from the store, access-log line, security "
              "headers; no billing query, no template), on the same server.\n")
            w("| Connections | Hello req/s | Plumbing req/s | Portal pages req/s | "
              "Plumbing/hello | Pages/plumbing |")
            w("|---:|---:|---:|---:|---:|---:|")
            for level, run in entry["plumbing"].items():
                h = entry["hello"][level]["rps"]
                page = entry["levels"][level]["rps"]
                w(f"| {level} | {_fmt(h)} | {_fmt(run['rps'])} | {_fmt(page)} | "
                  f"{_fmt(_ratio(run['rps'], h))} | {_fmt(_ratio(page, run['rps']))} |")
            w("")
        if entry.get("profile"):
            p = entry["profile"]
            w(f"### Profile (py-spy --gil, 32 connections, {p['samples']} samples of the "
              "thread holding the GIL)\n")
            w("| Where | Share of samples |")
            w("|---|---:|")
            for area, share in p["areas"]:
                w(f"| {area} | {share:.0%} |")
            w("")
            w("Portal code and templates, inclusive (share of the samples that were inside "
              "each; template line numbers are those of the compiled template):\n")
            for name, share in p.get("portal", [])[:15]:
                w(f"- {share:.0%} `{name}`")
            w("")
            w("Innermost frames (self time):\n")
            for name, share in p["self"][:12]:
                w(f"- {share:.1%} `{name}`")
            w("")

    login = result["login"]
    w("## Baseline (c): one login\n")
    w(f"{login['params']}: verify {login['verify_ms']} ms, hash {login['hash_ms']} ms, one at "
      f"a time; {login['verifies_per_s_2_threads']} verifications/s with 2 at once (the whole "
      f"machine). Each concurrent login holds {login['memory_per_hash_mb']} MiB while it "
      "hashes. A first login costs three argon2 operations (verify the start password, "
      "verify it again in the change form, hash the new one).\n")
    w("## Databases\n")
    w("| Database | Rows | Build s | Built in this run | Generator version |")
    w("|---|---:|---:|---|---|")
    for d in result["databases"].values():
        version = d.get("generator", "?") + ("" if d.get("current_generator")
                                              else " (not the current generator)")
        w(f"| {d['label']} | {_fmt(sum(d['rows'].values()))} | {d['seconds']} | "
          f"{'yes' if d['built_now'] else 'no (cached)'} | {version} |")
    w("")
    return "\n".join(out) + "\n"


def summarize_profile(path: Path) -> dict[str, Any]:
    """py-spy raw (collapsed) stacks: share of samples per area and per function."""
    inclusive: Counter = Counter()
    self_time: Counter = Counter()
    areas: Counter = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        self_time[frames[-1]] += n
        areas[_area(frames)] += n
    share = (lambda c: [(k, v / total) for k, v in c.most_common(30)]) if total else \
        (lambda c: [])
    portal = Counter({k: v for k, v in inclusive.items()
                      if "gateway/" in k or ".html" in k})
    return {"samples": total, "inclusive": share(inclusive), "self": share(self_time),
            "areas": share(areas), "portal": share(portal)}


def _area(frames: list[str]) -> str:
    """Which part of the stack a sample is charged to (innermost recognisable frame)."""
    rules = (("argon2", "password hashing (argon2)"),
             ("gateway/billing.py", "billing database (driver + row shaping)"),
             ("gateway/sessions.py", "sessions (accounts store)"),
             ("gateway/store.py", "accounts store"),
             ("gateway/accounts.py", "accounts store"),
             ("jinja2", "templates (Jinja)"),
             ("gateway/logs.py", "logging"),
             ("logging/", "logging"),
             ("gateway/", "portal code"),
             ("flask_wtf", "CSRF (flask-wtf)"),
             ("flask_login", "flask-login"),
             ("flask/", "Flask / Werkzeug"),
             ("werkzeug", "Flask / Werkzeug"),
             ("waitress", "waitress (HTTP server)"))
    for frame in reversed(frames):
        for needle, area in rules:
            if needle in frame:
                return area
    return "other"
