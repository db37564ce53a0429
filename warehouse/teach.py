"""The teach queue: the stored, unlabelled posts whose label would teach most.

Candidates are read per stratum, a (topic, ISO week) pair of the newest `weeks` weeks (a post
of several topics counts for the first by id; a post of none for topic ""), at most
`per_stratum` of each, picked by a hash of the post id so that every run sees the same ones.
A `Judge` (`nlp.teach.Judge`: the rules and the learned models) says how uncertain it is
about each, and which are the likeliest of a class still short of labels; `choose` then
fills three lanes, each going round the strata so that 20 labels cover many topics and
weeks: the likeliest of the short class (while one is), a seeded random sample (the
representative posts; of the sentiment questions only, `EXPLORED_QUESTIONS`), and the most
uncertain posts, one of each group of near-duplicates (`warehouse.teach_choice`).
A post with any label (by id or URL), and a post whose text is a label's text, is never offered.

A judge that also judges relevance (`RelevanceJudge`: a topic with a relevance model, or
enough relevance labels for a provisional one) is asked about the matches of its topics too
(`match_candidates`, the same strata, kept apart from the sentiment ones); a post asked
about twice is offered once, for the question that came first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import duckdb

from earshot.warehouse.teach_choice import choose

SENTIMENTS = ("negative", "neutral", "positive")
# The questions the exploration lane samples (`choose(explorable=...)`); relevance questions
# are chosen by uncertainty (and balance) alone. Measured with `bench/learning_curve.py`
# (GermEval relevance, 10 paired seeds, 200 labels): exploring 70% of them left the queue
# +0.021 [-0.008, +0.050] ahead of random choice, none +0.036 [+0.009, +0.063]. A relevance
# model is in use from 100 labels either way; uncertain matches are what teach it, and its
# gate is not misled by them as the sentiment gate is (`warehouse.teach_choice`).
EXPLORED_QUESTIONS = ("sentiment",)


class Judged(Protocol):
    """A judge's answer about texts (`nlp.teach.Judgement` is one): per text, how uncertain
    it is (higher: a label teaches more; below 0: nothing to teach, e.g. a language without
    sentiment), and whether the text is among the likeliest of a class that lacks labels."""

    @property
    def uncertainty(self) -> Sequence[float]: ...
    @property
    def short(self) -> Sequence[bool]: ...


class NearDuplicates(Protocol):
    """Which texts are near-duplicates (`nlp.likeness.Likeness` is one)."""

    def too_close(self, i: int, chosen: Sequence[int]) -> bool:
        """Whether text `i` is a near-duplicate of one of the `chosen`."""
        ...


class Judge(Protocol):
    """Judges the sentiment questions about texts, given the labels per class, and says which
    texts are near-duplicates (`too_close(i, chosen)`: text i and one of the chosen)."""

    def judge(self, lang: str, texts: Sequence[str], labelled: Mapping[str, int]) -> Judged: ...

    def near_duplicates(self, texts: Sequence[str]) -> NearDuplicates: ...


@runtime_checkable
class RelevanceJudge(Protocol):
    """A judge that also judges the relevance questions about a topic's matches."""

    def relevance_topics(self) -> Sequence[str]:
        """The topics it can judge (a relevance model, or enough labels for a provisional one)."""
        ...

    def relevance_judge(
        self, topic_id: str, texts: Sequence[str], matched_terms: Sequence[Sequence[str]]
    ) -> Judged: ...


@dataclass(frozen=True, slots=True)
class RelevanceLabels:
    """A topic's relevance labels as a provisional model learns from them."""

    texts: list[str]
    relevant: list[bool]
    matched_terms: list[tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored post no one has labelled, with what the queue spreads over."""

    post_id: str
    text: str  # title and text, as learning reads a labelled post
    lang: str
    topic_id: str  # "" when the post has no topic
    week: str  # ISO week of its publication (else its fetching), e.g. "2026-W48"
    matched_terms: tuple[str, ...] = ()  # a match's terms (relevance questions only)


@dataclass(frozen=True, slots=True)
class TeachItem:
    """One post of the teach queue and how uncertain the models (or the rules) are about it."""

    post_id: str
    text: str
    lang: str
    topic_id: str
    week: str
    uncertainty: float
    question: str = "sentiment"  # 'sentiment' | 'relevance' (is it about `topic_id`?)


_POSTS = """
    posts AS (
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
          AND body IS NOT NULL AND trim(body) <> ''
    )"""


def candidates(
    con: duckdb.DuckDBPyConnection, *, weeks: int = 12, per_stratum: int = 200
) -> list[Candidate]:
    """Unlabelled annotated posts of the newest `weeks` weeks, `per_stratum` per (topic, week)."""
    rows = con.execute(
        f"""
        WITH {_POSTS},
        placed AS (
            SELECT u.*, coalesce((SELECT min(t.topic_id) FROM _post_topics t
                                  WHERE t.post_id = u.post_id), '') AS topic_id
            FROM unlabelled u
        )
        SELECT post_id, body, lang, topic_id, week FROM placed
        QUALIFY row_number() OVER (PARTITION BY topic_id, week ORDER BY md5(post_id))
                <= $per_stratum
        ORDER BY week DESC, topic_id, post_id
        """,
        {"weeks": weeks, "per_stratum": per_stratum},
    ).fetchall()
    return [Candidate(*row) for row in rows]


def match_candidates(
    con: duckdb.DuckDBPyConnection,
    topic_ids: Sequence[str],
    *,
    weeks: int = 12,
    per_stratum: int = 200,
) -> list[Candidate]:
    """The matches of `topic_ids` (kept or set aside as not relevant) on unlabelled posts of
    the newest `weeks` weeks, `per_stratum` per (topic, week), with their matched terms."""
    if not topic_ids:
        return []
    rows = con.execute(
        f"""
        WITH {_POSTS},
        matches AS (
            SELECT post_id, topic_id, matched_terms FROM _post_topics
            UNION ALL
            SELECT post_id, topic_id, matched_terms FROM _post_topics_rejected
        )
        SELECT u.post_id, u.body, u.lang, m.topic_id, u.week, m.matched_terms
        FROM unlabelled u JOIN matches m USING (post_id)
        WHERE m.topic_id IN (SELECT unnest($topics::VARCHAR[]))
        QUALIFY row_number() OVER (PARTITION BY m.topic_id, u.week ORDER BY md5(u.post_id))
                <= $per_stratum
        ORDER BY u.week DESC, m.topic_id, u.post_id
        """,
        {"weeks": weeks, "per_stratum": per_stratum, "topics": list(topic_ids)},
    ).fetchall()
    return [
        Candidate(pid, body, lang, topic_id, week, tuple(terms or ()))
        for pid, body, lang, topic_id, week, terms in rows
    ]


def relevance_labels(con: duckdb.DuckDBPyConnection) -> dict[str, RelevanceLabels]:
    """Relevance labels per topic, with the terms the topic matched in the label's post (none
    for a label of a text that is no stored post, or of a post the topic did not match)."""
    from earshot.warehouse.labels import labelled_texts

    terms = {
        (pid, tid): tuple(found or ())
        for pid, tid, found in con.execute(
            "SELECT * FROM (SELECT post_id, topic_id, matched_terms FROM _post_topics "
            "UNION ALL SELECT post_id, topic_id, matched_terms FROM _post_topics_rejected) "
            "WHERE post_id IN (SELECT post_id FROM _labels WHERE relevant IS NOT NULL)"
        ).fetchall()
    }
    out: dict[str, RelevanceLabels] = {}
    for label in labelled_texts(con):
        if label.topic_id is None or label.relevant is None:
            continue
        per = out.setdefault(label.topic_id, RelevanceLabels([], [], []))
        per.texts.append(label.text)
        per.relevant.append(bool(label.relevant))
        per.matched_terms.append(terms.get((label.post_id or "", label.topic_id), ()))
    return out


def labelled_counts(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    """Sentiment labels per language and class (labels of no known language are left out)."""
    from earshot.warehouse.labels import labelled_texts

    counts: dict[str, dict[str, int]] = {}
    for label in labelled_texts(con):
        if label.sentiment is not None and label.lang is not None:
            per = counts.setdefault(label.lang, dict.fromkeys(SENTIMENTS, 0))
            per[label.sentiment] += 1
    return counts


def _judged(
    found: Sequence[Candidate], judge: Judge, labelled: Mapping[str, Mapping[str, int]]
) -> tuple[list[float], list[bool]]:
    scores, short = [0.0] * len(found), [False] * len(found)
    by_lang: dict[str, list[int]] = {}
    for i, c in enumerate(found):
        by_lang.setdefault(c.lang, []).append(i)
    for lang, positions in by_lang.items():
        told = judge.judge(lang, [found[i].text for i in positions], labelled.get(lang, {}))
        for i, u, s in zip(positions, told.uncertainty, told.short, strict=True):
            scores[i], short[i] = float(u), bool(s)
    return scores, short


def _relevance_judged(
    matches: Sequence[Candidate], judge: RelevanceJudge
) -> tuple[list[float], list[bool]]:
    scores, short = [-1.0] * len(matches), [False] * len(matches)
    by_topic: dict[str, list[int]] = {}
    for i, c in enumerate(matches):
        by_topic.setdefault(c.topic_id, []).append(i)
    for topic_id, positions in by_topic.items():
        told = judge.relevance_judge(
            topic_id,
            [matches[i].text for i in positions],
            [matches[i].matched_terms for i in positions],
        )
        for i, u, s in zip(positions, told.uncertainty, told.short, strict=True):
            scores[i], short[i] = float(u), bool(s)
    return scores, short


def rank(
    found: Sequence[Candidate],
    judge: Judge,
    labelled: Mapping[str, Mapping[str, int]],
    n: int,
    matches: Sequence[Candidate] = (),
) -> list[TeachItem]:
    """The `n` candidates a label would teach most, spread over topics and weeks: sentiment
    questions about `found`, relevance questions about `matches` (a `RelevanceJudge` only)."""
    asked = [(c, "sentiment") for c in found]
    scores, short = _judged(found, judge, labelled)
    if matches and isinstance(judge, RelevanceJudge):
        asked += [(c, "relevance") for c in matches]
        more, more_short = _relevance_judged(matches, judge)
        scores, short = scores + more, short + more_short
    teachable = [i for i, u in enumerate(scores) if u >= 0.0]
    near = judge.near_duplicates([asked[i][0].text for i in teachable])
    picked = choose(
        [scores[i] for i in teachable],
        [(asked[i][1], asked[i][0].topic_id, asked[i][0].week) for i in teachable],
        [f"{asked[i][0].post_id}/{asked[i][1]}" for i in teachable],
        2 * n,  # a post may be asked about twice: offered once, for its first question
        short=[short[i] for i in teachable],
        too_close=near.too_close,
        explorable=[asked[i][1] in EXPLORED_QUESTIONS for i in teachable],
    )
    items: list[TeachItem] = []
    offered: set[str] = set()
    for i in (teachable[p] for p in picked):
        c, question = asked[i]
        if c.post_id in offered or len(items) == n:
            continue
        offered.add(c.post_id)
        items.append(
            TeachItem(c.post_id, c.text, c.lang, c.topic_id, c.week, round(scores[i], 4), question)
        )
    return items


def teach_queue(
    con: duckdb.DuckDBPyConnection,
    judge: Judge,
    n: int = 20,
    *,
    weeks: int = 12,
    per_stratum: int = 200,
) -> list[TeachItem]:
    """The teach queue on this connection (a writer's or a read-only one, as Explore has)."""
    found, counts, matches = queue_inputs(con, judge, weeks=weeks, per_stratum=per_stratum)
    return rank(found, judge, counts, n, matches)


def queue_inputs(
    con: duckdb.DuckDBPyConnection, judge: Judge, *, weeks: int = 12, per_stratum: int = 200
) -> tuple[list[Candidate], dict[str, dict[str, int]], list[Candidate]]:
    """What `rank` judges, read from the warehouse: the sentiment candidates, the labels per
    language and class, the relevance candidates of the topics the judge can judge."""
    topics = judge.relevance_topics() if isinstance(judge, RelevanceJudge) else ()
    return (
        candidates(con, weeks=weeks, per_stratum=per_stratum),
        labelled_counts(con),
        match_candidates(con, topics, weeks=weeks, per_stratum=per_stratum),
    )
