"""The view model of the digest's sections from views/digest_views.sql (what moved, topics at
risk, the relevance gap, open questions, emerging terms, buckets, coverage), as pre-formatted
strings in the digest's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from earshot.reports.digest import Digest, snippet, web_url
from earshot.reports.i18n import DASH, format_datetime, format_decimal, format_int, format_percent
from earshot.reports.sentences import baseline_text, question_meta, signed_z
from earshot.warehouse.digest_queries import SourceStatus

ERROR_CHARS = 300  # of a source's last error, as the digest shows it


def shorten(text: str | None, limit: int) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis; "" for none."""
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _share(share: float | None, posts: int, language: str) -> str:
    return f"{format_percent(share, language)} ({format_int(posts, language)})"


def _interval(low: float | None, high: float | None, language: str) -> str:
    if low is None or high is None:
        return DASH
    return f"{format_percent(low, language)}{DASH}{format_percent(high, language)}"


def section_views(digest: Digest, s: Mapping[str, str]) -> dict[str, Any]:
    """The view model of the sections from views/digest_views.sql."""
    lang = digest.language
    moved = [
        {
            "label": m.label,
            "posts": format_int(m.posts, lang),
            "previous": format_int(m.previous_posts, lang),
            "baseline": baseline_text(m, lang),
            "signal": s[f"signal_{m.movement}"]
            + (
                f" (z\N{NO-BREAK SPACE}=\N{NO-BREAK SPACE}{signed_z(m.volume_z, lang)})"
                if m.movement in ("rising", "falling")
                else ""
            ),
            "strong": m.movement in ("rising", "falling"),
        }
        for m in digest.movements
    ]
    risks = [
        s["risk_item"].format(
            topic=m.label,
            posts=format_int(m.posts, lang),
            negative=format_percent(m.negative_share, lang),
            baseline_negative=format_percent(m.baseline_negative_share, lang),
            z=signed_z(
                m.negative_z if (m.negative_z or 0) >= (m.volume_z or 0) else m.volume_z, lang
            ),
        )
        for m in digest.at_risk
    ]
    first = digest.shares[0] if digest.shares else None
    gap = [
        {
            "label": x.label,
            "audience": _share(x.audience_share, x.audience_posts, lang),
            "own": _share(x.own_share, x.own_posts, lang),
            "advice": s[f"advice_{x.advice}"],
            "strong": x.advice in ("talk more", "talk less"),
        }
        for x in digest.shares
    ]
    questions: list[dict[str, Any]] = []
    for q in digest.distinct_questions:
        label = digest.topic_label(q.topic_id) if q.topic_id else s["no_topic"]
        if not questions or questions[-1]["topic"] != label:
            questions.append({"topic": label, "items": []})
        questions[-1]["items"].append(
            {
                "text": snippet(q.title if q.title and q.title.strip() else q.text),
                "href": web_url(q.url),
                "url": q.url or "",
                "engagement": format_int(q.engagement, lang),
                "author": q.author or "",
                "meta": question_meta(q, digest),
            }
        )
    emerging = [
        s["emerging_item"].format(
            term=e.term,
            posts=format_int(e.posts, lang),
            authors=format_int(e.authors, lang),
            baseline=format_decimal(e.baseline_mean, lang, digits=1),
        )
        for e in digest.emerging
    ]
    total_bucketed = digest.buckets[0].bucket_posts if digest.buckets else 0
    buckets = [
        {
            "label": b.label,
            "share": (
                f"{format_percent(b.share, lang)} ({_interval(b.share_low, b.share_high, lang)})"
            ),
            "posts": format_int(b.own_posts, lang),
            "target": format_percent(b.target_share, lang),
            "balance": s[f"balance_{b.balance}"],
            "strong": b.balance in ("below target", "above target"),
        }
        for b in digest.buckets
        if total_bucketed  # no own post with a bucket: one sentence says so, not a table of dashes
    ]
    c = digest.coverage
    coverage = [
        s["coverage_posts"].format(
            audience=format_int(c.audience_posts, lang),
            duplicates=format_int(c.duplicates, lang),
            enriched=format_int(c.enriched_posts, lang),
            rated=format_int(c.rated_posts, lang),
            tagged=format_int(c.tagged_posts, lang),
            questions=format_int(c.questions, lang),
            own=format_int(c.own_posts, lang),
        )
    ]
    if c.set_aside:
        coverage.append(s["coverage_set_aside"].format(matches=format_int(c.set_aside, lang)))
    if c.languages:
        mix = ", ".join(
            f"{code or s['language_unknown']} {format_int(n, lang)}" for code, n in c.languages
        )
        coverage.append(s["coverage_languages"].format(languages=mix))
    if digest.silent_sources:
        coverage.append(s["coverage_silent"].format(sources=", ".join(digest.silent_sources)))
    coverage += [_failing(src, digest, s) for src in digest.sources_failed]
    return {
        "moved": moved,
        "risks": risks,
        "gap": gap,
        "gap_intro": s["gap_intro"].format(
            audience=format_int(first.audience_tags if first else 0, lang),
            own=format_int(first.own_tags if first else 0, lang),
        ),
        "questions": questions,
        "emerging": emerging,
        "buckets": buckets,
        "buckets_intro": s["buckets_intro"].format(total=format_int(total_bucketed, lang)),
        "buckets_empty": (
            s["no_bucket_posts"].format(buckets=", ".join(digest.bucket_labels))
            if digest.bucket_labels
            else s["no_buckets"]
        ),
        "coverage": coverage,
    }


def _failing(src: SourceStatus, digest: Digest, s: Mapping[str, str]) -> str:
    """'forum is failing: HTTP 503 (3 failed attempts in a row since its last success on ...)'."""
    lang = digest.language
    attempts = format_int(max(src.failure_count, 1), lang)
    if src.last_success_at is None:
        since = s["failing_never"].format(attempts=attempts)
    else:
        when = format_datetime(src.last_success_at.astimezone(ZoneInfo(digest.timezone)), lang)
        since = s["failing_since"].format(attempts=attempts, when=when)
    return s["coverage_failing"].format(
        source=src.source_id, error=shorten(src.last_error, ERROR_CHARS) or DASH, since=since
    )
