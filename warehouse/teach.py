"""The teach queue: the stored, unlabelled posts whose sentiment label would teach most.

Candidates are read per stratum, a (topic, ISO week) pair of the newest `weeks` weeks (a post
of several topics counts for the first by id; a post of none for topic ""), at most
`per_stratum` of each, picked by a hash of the post id so that every run sees the same ones.
A `Judge` (`nlp.teach.Judge`: the rules and the learned models) says how uncertain it is
about each; `choose` then goes round the strata, most uncertain stratum first, taking each
stratum's most uncertain post in turn, so that 20 labels cover many topics and weeks.
A post with any label (by id or URL), and a post whose text is a label's text, is never offered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import duckdb

SENTIMENTS = ("negative", "neutral", "positive")


class Judge(Protocol):
    """Says how uncertain the sentiment of texts is (higher: a label teaches more; below 0:
    nothing to teach, e.g. a language without sentiment), given the labels per class."""

    def uncertainty(
        self, lang: str, texts: Sequence[str], labelled: Mapping[str, int]
    ) -> Sequence[float]: ...


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored post no one has labelled, with what the queue spreads over."""

    post_id: str
    text: str  # title and text, as learning reads a labelled post
    lang: str
    topic_id: str  # "" when the post has no topic
    week: str  # ISO week of its publication (else its fetching), e.g. "2026-W48"


@dataclass(frozen=True, slots=True)
class TeachItem:
    """One post of the teach queue and how uncertain the models (or the rules) are about it."""

    post_id: str
    text: str
    lang: str
    topic_id: str
    week: str
    uncertainty: float


def candidates(
    con: duckdb.DuckDBPyConnection, *, weeks: int = 12, per_stratum: int = 200
) -> list[Candidate]:
    """Unlabelled annotated posts of the newest `weeks` weeks, `per_stratum` per (topic, week)."""
    rows = con.execute(
        """
        WITH posts AS (
            SELECT p.post_id, p.url, a.lang,
                   CASE WHEN p.title IS NULL OR p.title = '' THEN p.text
                        WHEN p.text = '' THEN p.title
                        ELSE p.title || E'\\n' || p.text END AS body,
                   strftime(coalesce(p.published_at, p.fetched_at), '%G-W%V') AS week
            FROM _posts p JOIN _annotations a USING (post_id)
        ),
        recent AS (SELECT DISTINCT week FROM posts ORDER BY week DESC LIMIT $weeks),
        unlabelled AS (
            SELECT posts.* FROM posts JOIN recent USING (week)
            WHERE NOT EXISTS (SELECT 1 FROM _labels l WHERE l.post_id = posts.post_id
                                                        OR l.url = posts.url
                                                        OR l.text = posts.body)
        ),
        placed AS (
            SELECT u.*, coalesce((SELECT min(t.topic_id) FROM _post_topics t
                                  WHERE t.post_id = u.post_id), '') AS topic_id
            FROM unlabelled u
        )
        SELECT post_id, body, lang, topic_id, week FROM placed
        WHERE body IS NOT NULL AND trim(body) <> ''
        QUALIFY row_number() OVER (PARTITION BY topic_id, week ORDER BY md5(post_id))
                <= $per_stratum
        ORDER BY week DESC, topic_id, post_id
        """,
        {"weeks": weeks, "per_stratum": per_stratum},
    ).fetchall()
    return [Candidate(*row) for row in rows]


def labelled_counts(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """Sentiment labels per language and class (labels of no known language are left out)."""
    from earshot.warehouse.labels import labelled_texts

    counts: dict[str, dict[str, int]] = {}
    for label in labelled_texts(con):
        if label.sentiment is not None and label.lang is not None:
            per = counts.setdefault(label.lang, dict.fromkeys(SENTIMENTS, 0))
            per[label.sentiment] += 1
    return counts


def _tiebreak(key: str) -> bytes:
    return hashlib.blake2b(key.encode(), digest_size=8).digest()


def choose(
    uncertainties: Sequence[float], strata: Sequence[Hashable], keys: Sequence[str], n: int
) -> list[int]:
    """`n` positions, round-robin over the strata: each round takes every stratum's most
    uncertain remaining item, the strata in the order of their most uncertain item.

    Ties go by a hash of `keys` (post ids, texts), not by position, so a file's or a table's
    order does not decide. With one stratum this is plain uncertainty sampling.
    """
    queues: dict[Hashable, list[int]] = {}
    order = sorted(range(len(uncertainties)), key=lambda i: (-uncertainties[i], _tiebreak(keys[i])))
    for i in order:
        queues.setdefault(strata[i], []).append(i)
    lanes = list(queues.values())  # already in the order of their best item
    chosen: list[int] = []
    depth = 0
    while len(chosen) < n and any(depth < len(lane) for lane in lanes):
        for lane in lanes:
            if depth < len(lane) and len(chosen) < n:
                chosen.append(lane[depth])
        depth += 1
    return chosen


def rank(
    found: Sequence[Candidate], judge: Judge, labelled: Mapping[str, Mapping[str, int]], n: int
) -> list[TeachItem]:
    """The `n` candidates a label would teach most, spread over topics and weeks."""
    scores = [0.0] * len(found)
    by_lang: dict[str, list[int]] = {}
    for i, c in enumerate(found):
        by_lang.setdefault(c.lang, []).append(i)
    for lang, positions in by_lang.items():
        told = judge.uncertainty(lang, [found[i].text for i in positions], labelled.get(lang, {}))
        for i, u in zip(positions, told, strict=True):
            scores[i] = float(u)
    teachable = [i for i, u in enumerate(scores) if u >= 0.0]
    picked = choose(
        [scores[i] for i in teachable],
        [(found[i].topic_id, found[i].week) for i in teachable],
        [found[i].post_id for i in teachable],
        n,
    )
    return [
        TeachItem(c.post_id, c.text, c.lang, c.topic_id, c.week, round(scores[i], 4))
        for i in (teachable[p] for p in picked)
        for c in (found[i],)
    ]


def teach_queue(
    con: duckdb.DuckDBPyConnection,
    judge: Judge,
    n: int = 20,
    *,
    weeks: int = 12,
    per_stratum: int = 200,
) -> list[TeachItem]:
    """The teach queue on this connection (a writer's or a read-only one, as Explore has)."""
    return rank(
        candidates(con, weeks=weeks, per_stratum=per_stratum), judge, labelled_counts(con), n
    )
