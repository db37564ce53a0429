"""The digest's findings in words: the subject's headline and "this week in 30 seconds".

One sentence per finding of `reports.summary` (built from the `Digest` only, so each names a
figure the sections show), as `before`, a linked post snippet (the evidence) and `after`; the
mail's templates and Explore's week page both show these (`explore.week`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from earshot.reports.digest import Digest, snippet, web_url
from earshot.reports.i18n import (
    DASH,
    format_date,
    format_decimal,
    format_int,
    format_percent,
    strings,
)
from earshot.reports.summary import Finding, FindingKind, summarise
from earshot.warehouse.digest_posts import TopPost
from earshot.warehouse.digest_queries import TopicMovement
from earshot.warehouse.questions import AudienceQuestion


def signed_z(value: float | None, language: str) -> str:
    """A z-score with its sign and one decimal: '+2,4'."""
    return format_decimal(value, language, signed=True, digits=1)


def headline_of(f: Finding, digest: Digest) -> str:
    """A finding in a few words, for the subject."""
    lang = digest.language
    s = strings(lang)
    if f.topic is not None:
        return s[f"headline_{f.kind.value}"].format(
            topic=f.topic.label,
            negative=format_percent(f.topic.negative_share, lang),
            posts=format_int(f.topic.posts, lang),
            baseline=format_decimal(f.topic.baseline_mean, lang, digits=1),
        )
    if f.kind is FindingKind.QUESTION and f.question is not None:
        if f.question.topic_id is None:
            return s["headline_question_any"]
        return s["headline_question"].format(topic=digest.topic_label(f.question.topic_id))
    if f.kind is FindingKind.EMERGING and f.term is not None:
        return s["headline_emerging"].format(term=f.term.term)
    if f.kind is FindingKind.ADVICE and f.share is not None:
        return s["headline_advice"].format(topic=f.share.label)
    if f.kind is FindingKind.BUCKET and f.bucket is not None:
        return s["headline_bucket"].format(bucket=f.bucket.label)
    return s["headline_no_data" if f.kind is FindingKind.NO_DATA else "headline_quiet"]


def baseline_text(m: TopicMovement, language: str) -> str:
    """'Ø 212,5 je Woche (8 Wochen)': the mean of the weeks before, and how many they were."""
    s = strings(language)
    if m.baseline_mean is None:
        return DASH
    key = "baseline_one" if m.baseline_weeks == 1 else "baseline"
    return s[key].format(
        mean=format_decimal(m.baseline_mean, language, digits=1),
        weeks=format_int(m.baseline_weeks, language),
    )


_LINK_CHARS = 90


def _post_link(post: TopPost | AudienceQuestion | None) -> dict[str, Any]:
    if post is None:
        return {"link": "", "href": None, "url": ""}
    text = post.title if post.title and post.title.strip() else post.text
    return {"link": snippet(text, _LINK_CHARS), "href": web_url(post.url), "url": post.url or ""}


def question_meta(q: AudienceQuestion, digest: Digest) -> str:
    """'anna on mastodon, 18.11.2026': who asked, where, when."""
    lang = digest.language
    s = strings(lang)
    when = (
        format_date(q.published_at.astimezone(ZoneInfo(digest.timezone)).date(), lang)
        if q.published_at
        else DASH
    )
    return s["question_meta"].format(
        author=q.author or DASH, platform=q.platform or DASH, date=when
    )


def _with_post(
    before: str, lead: str, post: TopPost | None, s: Mapping[str, str], lang: str
) -> dict[str, Any]:
    """A sentence ending in `lead` and a link to `post`; the sentence alone without one."""
    if post is None:
        return {"before": before, "after": "", **_post_link(None)}
    after = s["summary_engagement"].format(engagement=format_int(post.engagement, lang))
    return {"before": before + s[lead], "after": after, **_post_link(post)}


def _sentence(f: Finding, digest: Digest) -> dict[str, Any]:
    """One summary sentence: `before`, a linked `link` (the evidence), `after`."""
    lang = digest.language
    s = strings(lang)

    def pct(v: float | None) -> str:
        return format_percent(v, lang)

    def num(v: int) -> str:
        return format_int(v, lang)

    if f.topic is not None:
        m = f.topic
        z = m.volume_z
        if f.kind is FindingKind.RISK:
            z = max(m.negative_z or 0.0, m.volume_z or 0.0)
        fields = {
            "topic": m.label,
            "posts": num(m.posts),
            "baseline": baseline_text(m, lang),
            "negative": pct(m.negative_share),
            "baseline_negative": pct(m.baseline_negative_share),
            "z": signed_z(z, lang),
        }
        if f.kind is FindingKind.RISK and f.share is not None:
            fields |= {"own": pct(f.share.own_share), "audience": pct(f.share.audience_share)}
            return _with_post(
                s["summary_risk_talk_less"].format(**fields), "lead_start", f.post, s, lang
            )
        return _with_post(
            s[f"summary_{f.kind.value}"].format(**fields), "lead_post", f.post, s, lang
        )
    if f.kind is FindingKind.QUESTION and f.question is not None:
        q = f.question
        after = s["summary_question_tail"].format(
            who=question_meta(q, digest), engagement=num(q.engagement)
        )
        return {"before": s["summary_question"], "after": after, **_post_link(q)}
    if f.kind is FindingKind.EMERGING and f.term is not None:
        e = f.term
        before = s["summary_emerging_plain"].format(
            term=e.term,
            posts=num(e.posts),
            authors=num(e.authors),
            baseline=format_decimal(e.baseline_mean, lang, digits=1),
        )
        return _with_post(before, "lead_example", f.post, s, lang)
    if f.kind is FindingKind.ADVICE and f.share is not None:
        x = f.share
        bucket = ""
        if f.bucket is not None:
            bucket = s["summary_advice_bucket"].format(
                bucket=f.bucket.label, share=pct(f.bucket.share), target=pct(f.bucket.target_share)
            )
        fields = {
            "topic": x.label,
            "audience": pct(x.audience_share),
            "own": pct(x.own_share),
            "bucket": bucket,
        }
        if f.question is not None:
            after = s["summary_advice_question_tail"].format(
                who=question_meta(f.question, digest), **fields
            )
            return {
                "before": s["summary_advice_question"],
                "after": after,
                **_post_link(f.question),
            }
        return _with_post(s["summary_advice"].format(**fields), "lead_post", f.post, s, lang)
    if f.kind is FindingKind.BUCKET and f.bucket is not None:
        b = f.bucket
        text = s["summary_bucket"].format(
            bucket=b.label, share=pct(b.share), target=pct(b.target_share)
        )
        return {"before": text, "after": "", **_post_link(None)}
    key = "summary_no_data" if f.kind is FindingKind.NO_DATA else "summary_quiet"
    return {"before": s[key], "after": "", **_post_link(None)}


def summary_sentences(digest: Digest) -> list[dict[str, Any]]:
    """ "This week in 30 seconds", one dict per sentence (see `_sentence`)."""
    return [_sentence(f, digest) for f in summarise(digest)]
