""" "This week in 30 seconds": the digest's few findings that passed their tests, as plain data.

Built from a `Digest` only, so every figure it names is one the digest's sections show (the
digest queries' tests decide: `movement`, `at_risk`, `emerging_terms`, `advice`, `balance`);
nothing here tests anything anew. At most `MAX_FINDINGS`; a week without any says so once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from earshot.reports.digest import Digest
from earshot.warehouse.digest_posts import TopPost
from earshot.warehouse.digest_queries import (
    BucketBalance,
    EmergingTerm,
    TopicMovement,
    TopicShare,
)
from earshot.warehouse.questions import AudienceQuestion

MAX_FINDINGS = 5
MAX_MOVEMENTS = 2  # risks and movements: the strongest two, so the other findings keep room


class FindingKind(StrEnum):
    RISK = "risk"  # on the risk watch (`at_risk`)
    RISING = "rising"  # `movement` rising, not at risk
    FALLING = "falling"
    QUESTION = "question"  # the week's most engaging audience question
    EMERGING = "emerging"  # the strongest emerging term no topic covers
    ADVICE = "advice"  # "talk more" on a topic (the relevance gap's first)
    BUCKET = "bucket"  # no "talk more": the bucket furthest below its target
    QUIET = "quiet"  # none of the above passed its test
    NO_DATA = "no data"  # no audience posts at all: nothing could be tested


@dataclass(frozen=True, slots=True)
class Finding:
    """One sentence of the summary, with the evidence it names."""

    kind: FindingKind
    topic: TopicMovement | None = None  # RISK, RISING, FALLING
    post: TopPost | None = None  # the most engaging post behind it (the link)
    question: AudienceQuestion | None = None  # QUESTION; ADVICE when it answers one
    term: EmergingTerm | None = None  # EMERGING
    # RISK: the topic's "talk less" advice, reconciled into the risk sentence; ADVICE: the
    # "talk more" row.
    share: TopicShare | None = None
    bucket: BucketBalance | None = None  # ADVICE: the topic's bucket when below target; BUCKET

    @property
    def topic_id(self) -> str | None:
        if self.topic is not None:
            return self.topic.topic_id
        if self.share is not None:
            return self.share.topic_id
        if self.question is not None:
            return self.question.topic_id
        return None


def summarise(digest: Digest) -> list[Finding]:
    """The week's findings, strongest first: risks and movements, the question most worth
    answering, the emerging term, the one recommendation; or one QUIET / NO_DATA finding."""
    if not digest.has_posts:
        return [Finding(FindingKind.NO_DATA)]
    shares = {x.topic_id: x for x in digest.shares}
    findings: list[Finding] = []
    risks = sorted(digest.at_risk, key=lambda m: -max(m.negative_z or 0.0, m.volume_z or 0.0))
    for m in risks[:MAX_MOVEMENTS]:
        share = shares.get(m.topic_id)
        findings.append(
            Finding(
                FindingKind.RISK,
                topic=m,
                post=digest.topic_posts.get(m.topic_id),
                share=share if share is not None and share.advice == "talk less" else None,
            )
        )
    moved = sorted(
        (m for m in digest.moved if not m.at_risk), key=lambda m: -abs(m.volume_z or 0.0)
    )
    for m in moved[: MAX_MOVEMENTS - len(findings)]:
        kind = FindingKind.RISING if m.movement == "rising" else FindingKind.FALLING
        findings.append(Finding(kind, topic=m, post=digest.topic_posts.get(m.topic_id)))

    questions = digest.distinct_questions
    best = max(questions, key=lambda q: q.engagement) if questions else None
    advice = _advice(digest, questions)
    if best is not None and not (advice is not None and advice.question == best):
        findings.append(Finding(FindingKind.QUESTION, question=best))
    if digest.emerging:
        term = digest.emerging[0]
        findings.append(
            Finding(FindingKind.EMERGING, term=term, post=digest.term_posts.get(term.term))
        )
    if advice is not None:
        findings.append(advice)
    return findings[:MAX_FINDINGS] or [Finding(FindingKind.QUIET)]


def _advice(digest: Digest, questions: list[AudienceQuestion]) -> Finding | None:
    """The one recommendation: talk more about the relevance gap's first "talk more" topic
    (answering its most engaging question when there is one), naming its bucket when that is
    below target; without such a topic, the bucket furthest below its target."""
    below = {b.bucket_id: b for b in digest.buckets if b.balance == "below target"}
    talk_more = next((x for x in digest.shares if x.advice == "talk more"), None)
    if talk_more is not None:
        bucket_id = digest.topic_buckets.get(talk_more.topic_id)
        on_topic = [q for q in questions if q.topic_id == talk_more.topic_id]
        return Finding(
            FindingKind.ADVICE,
            share=talk_more,
            question=max(on_topic, key=lambda q: q.engagement) if on_topic else None,
            post=digest.topic_posts.get(talk_more.topic_id),
            bucket=below.get(bucket_id) if bucket_id else None,
        )
    if below:
        worst = min(below.values(), key=lambda b: (b.share or 0.0) - b.target_share)
        return Finding(FindingKind.BUCKET, bucket=worst)
    return None
