"""Benchmark: Explore's pages over a synthetic history, through HTTP against the real app.

    python bench/explore.py [--posts 100000] [--requests 30] [--dir DIR]

Builds a warehouse of `--posts` synthetic posts (bench/synth.py: 12 weeks, German and English,
the example taxonomy), enriches them as the `enrich` flow does (the example config's enricher,
two worker processes: the stored tags are the product's own), publishes its analytics copy the
product's way (`warehouse.publish.publish_analytics_copy`: digest facts, then the full-text
index), and
serves Explore on a loopback port in a child process (`explore.server.serve`, uvicorn, with a
token). Then, over HTTP with the token, it times the week page, a topic page, a search page
(`/search?q=` with a German word in another inflection, an English one, two words, a filter)
and a query preview (`/api/preview`), each `--requests` times round-robin over its variants
after one warm-up request (printed as "first": the first search reads the per-post facts, the
first preview opens a topic and matches all of its pieces). The preview is timed as it is
used: a topic's definition edited one piece at a time (each edit matches only the changed
piece); the first preview of another configured topic (its terms' posts from the stored tags,
`explore.preview_stored`) and of a topic not in the config yet (its one-word terms from the
parts index, `explore.preview_parts`; the matcher only where its phrase decides) are timed and
judged apart.
Prints p50/p95 per page, the server's peak RSS, and two baselines in this process over the same
copy: a plain scan (`count(*)` of `text ILIKE '%word%'`), what a search costs without the index,
and the new topic's first preview the old way (every piece matched over its full-text
candidates, what the preview still does where the parts index does not cover the posts) beside
the product's (`topic_preview.preview_topic`), with their ratio; and a topic's week as its
page reads it (`topic_posts.topic_week`, from the writer's facts) beside the scans of the
week's posts it replaced (`list_posts`, the questions' scan), with their ratio; and the
digest's open questions (`questions.audience_questions`: the topic facts, the untagged ones
from the week's posts) beside the scan of the week's posts they replaced, with their ratio
(and a FAIL if the two rank other questions).
The synthetic warehouse is enriched once and reused from `--dir`; a warehouse enriched before
migration 0019 has no parts recorded, so the enrichment step re-tags its topics first (the
topics version covers the recorded parts: ~10 min at 1,000,000 posts on two cores).

Targets (printed PASS/FAIL; exit status 1 when one fails): search p95 <= 500 ms, week and
topic page p95 <= 300 ms, query preview p95 <= 2 s (and each first preview <= 2 s).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
WEEK = "2026-W47"  # the last complete week of bench/synth.py's history
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
TOKEN = "bench-explore-token-0123456789"
SEARCHES = (
    {"q": "Kundenservices"},  # stored as "Kundenservice": another inflection
    {"q": "customers", "sort": "engagement"},
    {"q": "Datenschutz schlecht"},
    {"q": "Newsletter", "lang": "de", "sentiment": "negative", "week_from": "2026-W40"},
    {"q": "privacy", "topic": "data-privacy", "own": "false"},
)
# The query preview as it is used: a topic opened (its configured definition: every piece
# matched, the "first" figure), then edited one piece at a time (timed), then another topic
# opened for the first time (timed apart: "cold").
_SERVICE_DE = "Kundenservice\nKundenbetreuung\nKundenerlebnis\nBeschwerdemanagement"
_SERVICE_EN = "customer service\ncustomer experience\ncustomer support\nCX"
_SERVICE = {
    "topic": "customer-service",
    "terms_de": _SERVICE_DE,
    "terms_en": _SERVICE_EN,
    "exclude_en": "customer service representative job",
}
PREVIEW_OPEN = {"topic": "customer-service"}
PREVIEW_EDITS = (
    {**_SERVICE, "terms_de": _SERVICE_DE + "\nHotline"},  # a term added
    {**_SERVICE, "exclude_de": "Stellenangebot"},  # an exclusion added
    {**_SERVICE, "query": '"customer service" AND NOT hotline'},  # a query added
    {**_SERVICE, "terms_en": "customer service\ncustomer experience\ncustomer support"},  # one less
)
PREVIEW_COLD = {"topic": "data-privacy"}
# a topic not in the config yet, first time: the matcher runs over all of its candidates
PREVIEW_NEW = {"new_id": "events", "terms_de": "Messe\nKöln", "terms_en": "trade fair\nLondon"}
TARGETS = {"week": 0.3, "topic": 0.3, "search": 0.5, "preview": 2.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(folder: Path, posts: int, seed: int) -> tuple[Path, Path, dict[str, float]]:
    """The warehouse (reused when it holds `posts` posts) and its published copy; seconds."""
    from bench.scale_queries import ensure_warehouse
    from earshot.warehouse.publish import publish_analytics_copy

    warehouse = folder / f"explore-{posts}.duckdb"
    analytics = folder / f"explore-{posts}-analytics.duckdb"
    seconds: dict[str, float] = {}
    built = ensure_warehouse(warehouse, posts, seed)
    if built is not None:
        seconds["synth"] = built
        analytics.unlink(missing_ok=True)
    tagged = enrich(warehouse)
    if tagged is not None:
        seconds["enrich"] = tagged
        analytics.unlink(missing_ok=True)
    start = time.perf_counter()
    publish_analytics_copy(warehouse, analytics)  # first time: indexes every post
    seconds["publish"] = time.perf_counter() - start
    return warehouse, analytics, seconds


def enrich(warehouse: Path) -> float | None:
    """Enrich the synthetic posts as the `enrich` flow does (the example config's enricher, two
    worker processes; `bench/scale_enrich.py`'s loop), so that the stored tags are the
    product's own; None when they already are. Seconds."""
    from bench.scale_enrich import run_enrichment
    from earshot.pipelines import tagging
    from earshot.pipelines.config import load_config
    from earshot.warehouse.annotations import count_stale
    from earshot.warehouse.connection import writing

    enricher = tagging.build_enricher(load_config(ROOT / "examples" / "listening.yaml"))
    with writing(warehouse) as con:
        stale = count_stale(con, enricher.analysis_version, enricher.topics_version)
    if not stale:
        return None
    start = time.perf_counter()
    run_enrichment(warehouse, workers=2, batch_size=4000, quiet=True)
    return time.perf_counter() - start


def serve_child(spec: Path) -> None:
    """The server process: Explore on the spec's port until killed."""
    from earshot.explore.server import serve
    from earshot.explore.settings import ExploreSettings
    from earshot.pipelines.config import load_config

    data = json.loads(spec.read_text())
    topics = {
        t.id: t.model_dump(mode="json")
        for t in load_config(ROOT / "examples" / "listening.yaml").config.topics
    }
    settings = ExploreSettings(
        organisation="Bench",
        timezone="Europe/Berlin",
        language="de",
        warehouse_path=Path(data["warehouse"]),
        analytics_path=Path(data["analytics"]),
        token=TOKEN,
        user="bench",
        port=int(data["port"]),
        token_from_env=True,
        topics=topics,
        now=NOW,
    )
    serve(settings, open_browser=False, say=lambda _line: None)


def peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def time_requests(
    client: Any, variants: list[tuple[str, dict[str, str]]], n: int
) -> tuple[list[float], float]:
    """Seconds of `n` requests round-robin over `variants` after one warm-up; the warm-up's."""
    start = time.perf_counter()
    path, params = variants[0]
    client.get(path, params=params).raise_for_status()
    first = time.perf_counter() - start
    times = []
    for i in range(n):
        path, params = variants[i % len(variants)]
        start = time.perf_counter()
        response = client.get(path, params=params)
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise RuntimeError(f"{path} {params}: HTTP {response.status_code}: {response.text}")
    return times, first


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def scan_baseline(analytics: Path, n: int) -> list[float]:
    """A plain scan for a word: what a search costs without the index (read-only, same copy)."""
    import duckdb

    con = duckdb.connect(str(analytics), read_only=True)
    times = []
    try:
        for i in range(n):
            word = ("kundenservic", "customer", "datenschutz")[i % 3]
            start = time.perf_counter()
            con.execute("SELECT count(*) FROM _posts WHERE text ILIKE ?", [f"%{word}%"]).fetchall()
            times.append(time.perf_counter() - start)
    finally:
        con.close()
    return times


def new_topic_paths(analytics: Path) -> dict[str, float]:
    """The first preview of the topic not in the config, in this process over the same copy:
    the product's path (`explore.topic_preview.preview_topic`: one-word pieces from the parts
    index) and the old one it replaced (every piece matched over its full-text candidates,
    `explore.preview_matching`, as the preview still does where the index does not cover the
    posts); seconds each, the posts' facts read before either."""
    import duckdb
    import numpy as np

    from earshot.explore import preview_matching, topic_preview
    from earshot.explore.preview_parts import index_usable
    from earshot.nlp.records import TopicRule
    from earshot.warehouse.search_facts import doc_facts
    from earshot.warehouse.weeks import last_complete_week, week_start

    rule = TopicRule("events", None, {"de": ("Messe", "Köln"), "en": ("trade fair", "London")})
    pieces = [
        TopicRule(str(n), None, {lang: (term,)})
        for n, (lang, term) in enumerate(
            (lang, t) for lang, ts in sorted(rule.terms.items()) for t in ts
        )
    ]
    con = duckdb.connect(str(analytics), read_only=True)
    try:
        facts = doc_facts(con)
        preview_matching.warm_tokenizers()
        usable = index_usable(con)
        start = time.perf_counter()
        new = topic_preview.preview_topic(con, rule, now=NOW, timezone="Europe/Berlin")
        index_seconds = time.perf_counter() - start
        # the preview's window: the 12 weeks up to the last complete one
        last = week_start(last_complete_week(NOW, "Europe/Berlin"))
        lo = (last - timedelta(weeks=topic_preview.WEEKS - 1) - date(1970, 1, 1)).days
        hi = (last - date(1970, 1, 1)).days
        week = facts.week_start[facts.stored]
        window = facts.stored[(week >= lo) & (week <= hi)]
        start = time.perf_counter()
        found = preview_matching.candidates(con, pieces, window)
        matched = preview_matching.match(con, pieces, found, facts)
        np.unique(np.concatenate([docs for docs, _ in matched]))  # the terms' union
        old_seconds = time.perf_counter() - start
    finally:
        con.close()
    return {
        "index": index_seconds,
        "old": old_seconds,
        "index_used": float(usable),
        "old_candidates": float(len(found)),
        "matched": float(new.matched),
    }


# The open questions as read before they came from the topic facts (`warehouse.questions`):
# the week's questions of `_posts` ranked per tag of `post_topics` (NULL: no topic); the
# baseline of `questions_paths` and of the scans a topic's week replaced.
SCANNED_QUESTIONS = """
    WITH questions AS (
        SELECT p.post_id, p.published_at, p.rowid AS row,
               coalesce(p.likes, 0) + coalesce(p.reposts, 0) + coalesce(p.replies, 0)
                   AS engagement
        FROM _posts p
        JOIN _annotations a USING (post_id)
        LEFT JOIN _sources s USING (source_id)
        WHERE a.is_question AND NOT coalesce(s.owned, false) AND {in_week}
          AND p.post_id NOT IN (SELECT post_id FROM _answered_questions)
    ),
    ranked AS (
        SELECT t.topic_id, q.post_id, q.engagement, q.row,
               row_number() OVER (
                   PARTITION BY t.topic_id
                   ORDER BY q.engagement DESC, q.published_at DESC NULLS LAST, q.post_id
               ) AS rank_in_topic
        FROM questions q
        {tags}
    )
    SELECT topic_id, post_id, engagement, row FROM ranked
    WHERE rank_in_topic <= ?
    ORDER BY topic_id NULLS LAST, rank_in_topic
"""


def scanned_questions(
    con: Any, week: str, per_topic: int, topic_id: str | None = None
) -> list[tuple[Any, ...]]:
    """The open questions' rows (no texts) as the scan of the week's posts ranked them."""
    from earshot.warehouse.digest_posts import week_condition

    in_week, params = week_condition(con, week)
    tags = "LEFT JOIN post_topics t USING (post_id)"
    if topic_id is not None:
        tags = "JOIN post_topics t USING (post_id) WHERE t.topic_id = ?"
        params = [*params, topic_id]
    sql = SCANNED_QUESTIONS.format(in_week=in_week, tags=tags)
    return list(con.execute(sql, [*params, per_topic]).fetchall())


def questions_paths(analytics: Path, rounds: int = 9) -> dict[str, float]:
    """The digest's open questions of the week (3 per topic, as `build_digest` asks; the week
    page shows the digest) in this process: the product's (`questions.audience_questions`:
    the topic facts, the untagged ones from the week's posts, the texts by rowid) and the
    scan it replaced (rows only, no texts); seconds, p50 of `rounds`, and whether the two
    rank the same questions."""
    import duckdb

    from earshot.warehouse.questions import audience_questions

    con = duckdb.connect(str(analytics), read_only=True)
    product: list[float] = []
    scan: list[float] = []
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            found = audience_questions(con, WEEK, 3)
            product.append(time.perf_counter() - start)
            start = time.perf_counter()
            scanned = scanned_questions(con, WEEK, 3)
            scan.append(time.perf_counter() - start)
    finally:
        con.close()
    same = [(q.topic_id, q.post_id) for q in found] == [(r[0], r[1]) for r in scanned]
    return {
        "product_p50": statistics.median(product),
        "scan_p50": statistics.median(scan),
        "questions": float(len(found)),
        "same": float(same),
    }


def topic_week_paths(analytics: Path, rounds: int = 2) -> dict[str, float]:
    """The topic page's week (its posts, questions, authors and sources) in this process over
    the same copy, for each configured topic: the product's path (`warehouse.topic_posts.
    topic_week`, from the writer's facts) and the scans it replaced (the same posts from
    `post_lists.list_posts` and the topic's questions from the scan of the week's posts,
    `scanned_questions`; the old authors-and-sources scan is not counted); seconds, p50 and
    max over topics and rounds."""
    import duckdb

    from earshot.warehouse.post_lists import PostFilter, list_posts
    from earshot.warehouse.topic_posts import topic_week

    con = duckdb.connect(str(analytics), read_only=True)
    facts: list[float] = []
    scans: list[float] = []
    try:
        topics = [r[0] for r in con.execute("SELECT topic_id FROM topics ORDER BY 1").fetchall()]
        for _ in range(rounds):
            for topic in topics:
                start = time.perf_counter()
                topic_week(con, WEEK, topic)
                facts.append(time.perf_counter() - start)
                start = time.perf_counter()
                where = PostFilter(week=WEEK, topic_id=topic, audience="audience")
                list_posts(con, where, limit=20)
                scanned_questions(con, WEEK, 10, topic)
                scans.append(time.perf_counter() - start)
    finally:
        con.close()
    return {
        "facts_p50": statistics.median(facts),
        "facts_max": max(facts),
        "scans_p50": statistics.median(scans),
        "scans_max": max(scans),
    }


def run(args: argparse.Namespace, folder: Path) -> int:
    import httpx

    warehouse, analytics, build_seconds = build(folder, args.posts, args.seed)
    port = free_port()
    spec = folder / "serve.json"
    spec.write_text(
        json.dumps({"warehouse": str(warehouse), "analytics": str(analytics), "port": port})
    )
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child-serve", str(spec)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    results: dict[str, Any] = {"posts": args.posts, "build_seconds": build_seconds}
    try:
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or child.poll() is not None:
                    raise RuntimeError("the Explore server did not start")
                time.sleep(0.2)
            pages = {
                "week": [("/", {"week": WEEK})],
                "topic": [
                    (f"/topics/{t}", {"week": WEEK})
                    for t in ("customer-service", "data-privacy", "newsletter")
                ],
                "search": [("/search", s) for s in SEARCHES],
                "preview": [("/api/preview", PREVIEW_OPEN)]
                + [("/api/preview", p) for p in PREVIEW_EDITS],
            }
            figures: dict[str, dict[str, float]] = {}
            for name, variants in pages.items():
                n = max(args.requests // 3, 8) if name == "preview" else args.requests
                times, first = time_requests(client, variants, n)
                if name == "preview":  # round-robin over the edits, not the opening again
                    times, _ = time_requests(client, variants[1:], n)
                figures[name] = {
                    "p50": statistics.median(times),
                    "p95": p95(times),
                    "first": first,
                    "n": n,
                }
            start = time.perf_counter()
            client.get("/api/preview", params=PREVIEW_COLD).raise_for_status()
            results["preview_cold"] = time.perf_counter() - start
            start = time.perf_counter()
            found = client.get("/api/preview", params=PREVIEW_NEW)
            found.raise_for_status()
            results["preview_new"] = time.perf_counter() - start
            results["preview_new_posts"] = found.json().get("matched")
            results["pages"] = figures
            results["server_peak_rss_mib"] = peak_rss_mib(child.pid)
    finally:
        child.terminate()
        child.wait(timeout=30)
    scan = scan_baseline(analytics, 9)
    results["scan_p50"] = statistics.median(scan)
    results["new_topic_paths"] = new_topic_paths(analytics)
    results["topic_week_paths"] = topic_week_paths(analytics)
    results["questions_paths"] = questions_paths(analytics)
    return report(results)


def report(results: dict[str, Any]) -> int:
    posts = results["posts"]
    print(f"bench/explore.py: {posts:,} synthetic posts, Explore over HTTP on loopback")
    for step, seconds in results["build_seconds"].items():
        print(f"  build: {step:<8} {seconds:8.1f} s")
    failed = False
    scan = results["scan_p50"]
    for name, f in results["pages"].items():
        target = TARGETS[name]
        ok = f["p95"] <= target
        failed |= not ok
        print(
            f"  {name:<8} p50 {f['p50'] * 1000:7.0f} ms  p95 {f['p95'] * 1000:7.0f} ms  "
            f"(first {f['first'] * 1000:6.0f} ms, n={f['n']})  target p95 <= "
            f"{target * 1000:.0f} ms: {'PASS' if ok else 'FAIL'}"
        )
    firsts = (
        ("another configured topic", results["preview_cold"]),
        (f"a new topic ({results['preview_new_posts']} posts)", results["preview_new"]),
    )
    for what, seconds in firsts:
        ok = seconds <= TARGETS["preview"]
        failed |= not ok
        print(
            f"  preview of {what}, first time: {seconds * 1000:.0f} ms  "
            f"target <= {TARGETS['preview'] * 1000:.0f} ms: {'PASS' if ok else 'FAIL'}"
        )
    search = results["pages"]["search"]
    print(
        f"  baseline: a plain scan (count of text ILIKE '%word%') p50 {scan * 1000:.0f} ms; "
        f"search p50 / scan p50 = {search['p50'] / scan:.2f}"
    )
    paths = results["new_topic_paths"]
    print(
        f"  the new topic's first preview in this process: {paths['index'] * 1000:.0f} ms "
        f"(parts index {'used' if paths['index_used'] else 'NOT used'}); the old path "
        f"(every piece matched over its {paths['old_candidates']:.0f} full-text candidates) "
        f"{paths['old'] * 1000:.0f} ms: old / new = {paths['old'] / paths['index']:.1f}"
    )
    week = results["topic_week_paths"]
    print(
        f"  a topic's week in this process (posts, questions, voices): from the facts p50 "
        f"{week['facts_p50'] * 1000:.0f} ms (max {week['facts_max'] * 1000:.0f}); the scans it "
        f"replaced (posts and questions only) p50 {week['scans_p50'] * 1000:.0f} ms (max "
        f"{week['scans_max'] * 1000:.0f}): scans / facts = "
        f"{week['scans_p50'] / week['facts_p50']:.1f}"
    )
    asked = results["questions_paths"]
    print(
        f"  the digest's open questions in this process ({asked['questions']:.0f}): "
        f"{asked['product_p50'] * 1000:.0f} ms from the topic facts (texts included); the scan "
        f"of the week's posts it replaced {asked['scan_p50'] * 1000:.0f} ms: scan / facts = "
        f"{asked['scan_p50'] / asked['product_p50']:.1f}; "
        f"{'the same questions' if asked['same'] else 'NOT the same questions'}"
    )
    failed |= not asked["same"]
    print(f"  server peak RSS: {results['server_peak_rss_mib']:.0f} MiB")
    print(json.dumps({k: v for k, v in results.items()}, default=str))
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--dir", type=Path, help="keep (and reuse) the warehouse here")
    parser.add_argument("--child-serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_serve:
        serve_child(args.child_serve)
        return 0
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        return run(args, args.dir)
    with tempfile.TemporaryDirectory(prefix="earshot-explore-") as folder:
        return run(args, Path(folder))


if __name__ == "__main__":
    sys.exit(main())
