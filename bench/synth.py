"""Synthetic posts at any size, for the scale benchmarks: generated in vectorised batches.

    python bench/synth.py --posts 10000000 --out /tmp/synth.duckdb [--seed 7] [--no-annotations]

German and English texts are built from sentence templates around the example taxonomy's topic
terms (examples/listening.yaml): praise, complaints, neutral news and questions, generic
chatter, hashtags and a few "emerging" terms that take off in the last weeks. Authors follow a
long tail, ~200 sources of every platform include a few owned ones, timestamps cover 12 weeks
with a weekly and daily rhythm, engagement has a lognormal long tail, ~2 % of audience posts
are cross-posted copies (same `content_key`), and the last week has a negative spike on one
topic so the digest's "what moved" and "risk watch" have something to say.

Nothing is held per post in Python: every batch is numpy arrays turned into Arrow columns;
`post_id` and `content_key` are the same SHA-256 digests `listeners.records.Post` computes,
taken by DuckDB over the batch (the fragments' normalised words are precomputed once).

Since enriching 10M posts is not feasible in CI, each batch also carries synthetic enrichment
rows (`_annotations` and `_post_topics`, as `warehouse.annotations` would store them) derived
from the same fragments: language, sentiment, question flag, key terms, topic tags with the
matched terms.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from earshot.listeners.records import Post
from earshot.warehouse.annotations import ANNOTATION_SCHEMA, TOPIC_SCHEMA
from earshot.warehouse.sources import POST_SCHEMA, SourceRow

TAXONOMY = Path(__file__).resolve().parent.parent / "examples" / "listening.yaml"
END = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday: the 12 weeks before it are complete
WEEKS = 12
PIPELINE_VERSION = "synthetic-v1"
LANGS = ("de", "en")
SPIKE_TOPIC = "data-privacy"  # louder and more negative in the last week

# Sentence templates per language and tone; {t} is a topic term. Index 3 = question.
NEG, NEU, POS, ASK = 0, 1, 2, 3
TONE_POLARITY = np.array([-0.7, 0.0, 0.7, 0.0])
TEMPLATES: dict[str, tuple[tuple[str, ...], ...]] = {
    "de": (
        (
            "Ehrlich gesagt nervt {t} mich inzwischen total.",
            "Schon wieder ein Ärger mit {t}, das war leider schlecht gemacht.",
            "{t} ist bei uns ein echtes Problem geworden.",
            "Enttäuschend, wie wenig beim Thema {t} passiert.",
        ),
        (
            "Neuer Beitrag im Blog: alles zu {t} im Überblick.",
            "Heute im Team besprochen: {t} für das nächste Quartal.",
            "Wir sammeln gerade Zahlen zu {t} aus vielen Branchen.",
            "Kurz notiert: {t} steht morgen auf der Agenda.",
        ),
        (
            "Großartige Ergebnisse mit {t} in diesem Monat!",
            "Richtig gute Erfahrungen mit {t}, danke an alle Beteiligten.",
            "{t} hat bei uns super funktioniert, sehr empfehlenswert.",
            "Starke Zahlen: {t} bringt uns spürbar weiter.",
        ),
        (
            "Wie geht ihr eigentlich mit {t} um?",
            "Hat jemand Erfahrung mit {t} im Mittelstand?",
            "Welche Tools nutzt ihr für {t}?",
            "Lohnt sich {t} für kleine Teams überhaupt?",
        ),
    ),
    "en": (
        (
            "Honestly, {t} has become a real headache for us.",
            "Another bad week with {t}, really disappointing.",
            "Frustrated by how badly {t} is handled these days.",
            "{t} keeps failing us and nobody seems to care.",
        ),
        (
            "New on the blog: a practical overview of {t}.",
            "Discussed {t} with the team for next quarter.",
            "We are collecting numbers on {t} across industries.",
            "Quick note: {t} is on tomorrow's agenda.",
        ),
        (
            "Great results with {t} this month!",
            "Really good experience with {t}, thanks to everyone involved.",
            "{t} worked brilliantly for us, highly recommended.",
            "Strong numbers: {t} is paying off.",
        ),
        (
            "How do you handle {t} in practice?",
            "Does anyone have experience with {t} at a small company?",
            "Which tools do you use for {t}?",
            "Is {t} worth it for small teams?",
        ),
    ),
}
GENERIC: dict[str, tuple[tuple[str, ...], ...]] = {
    "de": (
        ("Was für ein chaotischer Montag.", "Leider wieder Stau auf dem Weg ins Büro."),
        (
            "Heute im Büro: Kaffee und Planung.",
            "Die Folien für Donnerstag sind fertig.",
            "Nächste Woche sind wir auf der Messe in Köln.",
            "Zwischenstand nach drei Wochen im Projekt.",
        ),
        ("Schönes Wochenende an alle!", "Danke für das tolle Feedback gestern."),
        ("Wer ist nächste Woche auch in Berlin?", "Was lest ihr gerade so?"),
    ),
    "en": (
        ("What a chaotic Monday.", "Stuck in traffic again, terrible start."),
        (
            "Coffee and planning at the office today.",
            "Slides for Thursday are done.",
            "We will be at the trade fair in London next week.",
            "Status update after three weeks on the project.",
        ),
        ("Have a great weekend, everyone!", "Thanks for the wonderful feedback yesterday."),
        ("Who else is in Berlin next week?", "What are you reading these days?"),
    ),
}
OPENERS = {
    "de": ("", "Update: ", "Frage an die Runde: ", "Notiz: "),
    "en": ("", "Update: ", "Note: "),
}
TITLES = {
    "de": ("Fünf Tipps zu {t}", "{t}: was jetzt zählt", "Der große Überblick: {t}"),
    "en": ("Five tips on {t}", "{t}: what matters now", "The complete guide to {t}"),
}
GENERIC_TITLES = {
    "de": ("Wochenrückblick", "Neues aus dem Team", "Termine und Hinweise"),
    "en": ("Weekly roundup", "News from the team", "Dates and notes"),
}
HASHTAGS = {
    "de": ("Marketing", "Kommunikation", "B2B", "Digitalisierung", "Mittelstand", "Agenturleben"),
    "en": ("marketing", "growth", "B2B", "branding", "startups", "agencylife"),
}
# Terms the taxonomy does not know, rising in the last two weeks: the digest's emerging terms.
EMERGING = {
    "de": (
        ("KI-Agenten", "Alle reden über KI-Agenten im Vertrieb."),
        ("Threads", "Lohnt sich Threads schon?"),
    ),
    "en": (
        ("AI agents", "Everyone is talking about AI agents now."),
        ("Threads", "Is Threads worth it yet?"),
    ),
}
EMERGING_SHARE = np.array([0.0003] * (WEEKS - 2) + [0.004, 0.012])

PLATFORMS = ("feed", "mastodon", "bluesky", "reddit", "hackernews", "youtube")
PLATFORM_WEIGHTS = np.array([0.35, 0.2, 0.15, 0.15, 0.1, 0.05])
HAS_TITLE = np.array([True, False, False, True, True, True])
HAS_LIKES = np.array([False, True, True, True, True, True])
HAS_HANDLE = np.array([False, True, True, False, False, False])
FIRST = (
    "anna",
    "ben",
    "clara",
    "david",
    "eva",
    "felix",
    "greta",
    "hans",
    "ines",
    "jonas",
    "kate",
    "liam",
    "mia",
    "noah",
    "olivia",
    "paul",
    "quinn",
    "rosa",
    "sam",
    "tom",
)
LAST = (
    "mueller",
    "schmidt",
    "weber",
    "fischer",
    "meyer",
    "smith",
    "jones",
    "brown",
    "taylor",
    "wilson",
    "becker",
    "wagner",
)
WEEKDAY_WEIGHTS = np.array([1.15, 1.2, 1.2, 1.15, 1.0, 0.55, 0.45])
HOUR_WEIGHTS = np.array(
    [
        0.2,
        0.1,
        0.1,
        0.1,
        0.2,
        0.4,
        0.8,
        1.4,
        1.9,
        2.0,
        1.9,
        1.8,
        1.6,
        1.8,
        1.9,
        1.8,
        1.6,
        1.4,
        1.3,
        1.3,
        1.2,
        1.0,
        0.7,
        0.4,
    ]
)
_WORD = re.compile(r"[^\W_]+")


def _norm(text: str) -> str:
    """The normalised words `listeners.records.content_key` hashes."""
    words = _WORD.findall(text.casefold())
    if not words:
        raise ValueError(f"synthetic fragment {text!r} has no words")
    return " ".join(words)


@dataclass(frozen=True)
class Taxonomy:
    topic_ids: tuple[str, ...]
    buckets: dict[str, str | None]
    labels: dict[str, str]
    terms: dict[str, dict[str, tuple[str, ...]]]  # topic -> lang -> terms
    bucket_rows: tuple[tuple[str, str, float], ...]
    timezone: str


def load_taxonomy(path: Path = TAXONOMY) -> Taxonomy:
    """Topics, buckets and time zone of a listening.yaml (the example's by default)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    topics = data["topics"]
    return Taxonomy(
        topic_ids=tuple(t["id"] for t in topics),
        buckets={t["id"]: t.get("bucket") for t in topics},
        labels={t["id"]: t["label"] for t in topics},
        terms={t["id"]: {k: tuple(v) for k, v in t["terms"].items()} for t in topics},
        bucket_rows=tuple((b["id"], b["label"], float(b["target_share"])) for b in data["buckets"]),
        timezone=data.get("timezone", "UTC"),
    )


class _Pool:
    """Text fragments with their normalised words, key term, topic and tone, and index ranges."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.norm: list[str] = []
        self.key: list[str | None] = []  # what enrichment would list as a key term
        self.ranges: dict[tuple[Any, ...], tuple[int, int]] = {}

    def add(self, group: tuple[Any, ...], items: list[tuple[str, str | None]]) -> None:
        start = len(self.text)
        for text, key in items:
            self.text.append(text)
            self.norm.append(_norm(text))
            self.key.append(key)
        self.ranges[group] = (start, len(items))

    def arrays(self) -> tuple[pa.Array, pa.Array]:
        return pa.array(self.text, pa.string()), pa.array(self.norm, pa.string())

    def table(self, groups: list[tuple[Any, ...]]) -> tuple[np.ndarray, np.ndarray]:
        """Start and count of each group, as arrays indexed like `groups`."""
        starts = np.array([self.ranges[g][0] for g in groups], dtype=np.int64)
        counts = np.array([self.ranges[g][1] for g in groups], dtype=np.int64)
        return starts, counts


def _cap(term: str) -> str:
    return term[:1].upper() + term[1:]


class Synth:
    """A deterministic generator: the same seed and size always give the same posts."""

    def __init__(
        self,
        total: int,
        *,
        seed: int = 7,
        taxonomy: Taxonomy | None = None,
        sources: int = 200,
        end: datetime = END,
    ) -> None:
        self.total = total
        self.seed = seed
        self.tax = taxonomy or load_taxonomy()
        self.end = end
        self.n_topics = len(self.tax.topic_ids)
        self._build_pools()
        self._build_sources(sources)
        n_authors = max(50, total // 25)
        self.authors = pa.array(
            [f"{FIRST[i % 20]}.{LAST[(i // 20) % 12]}{i}" for i in range(n_authors)], pa.string()
        )
        self._hash = duckdb.connect(config={"threads": 2})

    # -- vocabulary ---------------------------------------------------------------------------
    def _build_pools(self) -> None:
        tax = self.tax
        sent, title, tag = _Pool(), _Pool(), _Pool()
        term_ids: dict[str, int] = {}
        for li, lang in enumerate(LANGS):
            for ti, topic in enumerate(tax.topic_ids):
                terms = tax.terms[topic].get(lang) or next(iter(tax.terms[topic].values()))
                for tone, templates in enumerate(TEMPLATES[lang]):
                    sent.add(
                        (li, ti, tone),
                        [
                            (
                                opener
                                + (tpl.format(t=term) if opener else _cap(tpl.format(t=term))),
                                term,
                            )
                            for tpl in templates
                            for term in terms
                            for opener in OPENERS[lang]
                        ],
                    )
                title.add(
                    (li, ti),
                    [(tpl.format(t=_cap(term)), None) for tpl in TITLES[lang] for term in terms],
                )
                for term in terms:
                    term_ids.setdefault(term, len(term_ids))
            for tone, lines in enumerate(GENERIC[lang]):
                sent.add((li, -1, tone), [(line, None) for line in lines])
            sent.add((li, -2, 0), [(line, key) for key, line in EMERGING[lang]])
            title.add((li, -1), [(t, None) for t in GENERIC_TITLES[lang]])
            tags = HASHTAGS[lang]
            tag.add((li,), [(f"#{a} #{b}", a.lower()) for a in tags for b in tags if a != b])
        self.sent, self.title, self.tag = sent, title, tag
        self.sent_text, self.sent_norm = sent.arrays()
        self.title_text, self.title_norm = title.arrays()
        self.tag_text, self.tag_norm = tag.arrays()
        # key term of each sentence fragment: the topic term (as the taxonomy spells it) or the
        # emerging term; lower-cased like enrichment's key terms
        self.sent_key = pa.array([k.lower() if k else None for k in sent.key], pa.string())
        self.sent_term = pa.array(sent.key, pa.string())
        self.tag_key = pa.array(tag.key, pa.string())
        groups = [
            (li, ti, tone) for li in range(2) for ti in range(self.n_topics) for tone in range(4)
        ]
        s, c = sent.table(groups)
        self.topic_start = s.reshape(2, self.n_topics, 4)
        self.topic_count = c.reshape(2, self.n_topics, 4)
        s, c = sent.table([(li, -1, tone) for li in range(2) for tone in range(4)])
        self.generic_start, self.generic_count = s.reshape(2, 4), c.reshape(2, 4)
        s, c = sent.table([(li, -2, 0) for li in range(2)])
        self.emerging_start, self.emerging_count = s, c
        s, c = title.table([(li, ti) for li in range(2) for ti in range(self.n_topics)])
        self.title_start, self.title_count = s.reshape(2, self.n_topics), c.reshape(2, -1)
        s, c = title.table([(li, -1) for li in range(2)])
        self.gtitle_start, self.gtitle_count = s, c
        s, c = tag.table([(li,) for li in range(2)])
        self.tag_start, self.tag_count = s, c
        self.topic_weights = np.linspace(1.6, 0.5, self.n_topics)
        self.own_topic_weights = self.topic_weights[::-1].copy()
        self.spike = (
            self.tax.topic_ids.index(SPIKE_TOPIC) if SPIKE_TOPIC in self.tax.topic_ids else 0
        )

    def _build_sources(self, n: int) -> None:
        rng = np.random.default_rng(self.seed + 1)
        platform = rng.choice(len(PLATFORMS), size=n, p=PLATFORM_WEIGHTS)
        owned = np.zeros(n, dtype=bool)
        owned[[3, 11, 40]] = True  # a blog-sized, a mid and a small own channel
        lang = rng.choice(3, size=n, p=[0.45, 0.4, 0.15])  # de, en, mixed (no hint)
        lang[owned] = 0
        weights = 1.0 / (np.arange(n) + 5.0) ** 1.1
        weights[owned] *= 0.4
        self.src_platform = platform
        self.src_owned = owned
        self.src_lang = lang
        self.src_weights = weights / weights.sum()
        self.src_ids = [f"{PLATFORMS[p]}-{i:03d}" for i, p in enumerate(platform)]
        hosts = {
            "feed": "https://blog{i}.example.org/posts/",
            "mastodon": "https://social.example/@src{i}/",
            "bluesky": "https://bsky.app/profile/src{i}.bsky.social/post/",
            "reddit": "https://www.reddit.com/r/sub{i}/comments/",
            "hackernews": "https://news.ycombinator.com/item?id=",
            "youtube": "https://www.youtube.com/watch?v=src{i}-",
        }
        self.src_prefix = pa.array(
            [hosts[PLATFORMS[p]].format(i=i) for i, p in enumerate(platform)], pa.string()
        )

    def sources(self) -> list[SourceRow]:
        """The synthetic sources as the warehouse's `_sources` rows."""
        return [
            SourceRow(sid, PLATFORMS[p], f"https://sources.example/{sid}", bool(o))
            for sid, p, o in zip(self.src_ids, self.src_platform, self.src_owned, strict=True)
        ]

    # -- batches --------------------------------------------------------------------------------
    def batches(
        self, batch_rows: int = 1_000_000, *, load_id: str = "synthetic", limit: int | None = None
    ) -> Iterator[SynthBatch]:
        """The posts in batches of `batch_rows` (the last one smaller)."""
        total = self.total if limit is None else min(limit, self.total)
        for start in range(0, total, batch_rows):
            yield self.batch(start, min(batch_rows, total - start), load_id=load_id)

    def batch(self, start: int, n: int, *, load_id: str = "synthetic") -> SynthBatch:
        """Posts `start` .. `start + n - 1`: each batch depends only on the seed and `start`."""
        rng = np.random.default_rng([self.seed, start])
        src = rng.choice(len(self.src_ids), size=n, p=self.src_weights)
        platform = self.src_platform[src]
        owned = self.src_owned[src]
        src_lang = self.src_lang[src]
        lang = np.where(src_lang == 2, rng.integers(0, 2, n), src_lang)
        lang = np.where(rng.random(n) < 0.04, 1 - lang, lang)  # a few posts in the other language
        # time: 12 weeks of the same expected volume, with a weekday and daytime rhythm
        week = rng.integers(0, WEEKS, n)
        day = rng.choice(7, size=n, p=_norm_p(WEEKDAY_WEIGHTS))
        hour = rng.choice(24, size=n, p=_norm_p(HOUR_WEIGHTS))
        seconds = rng.integers(0, 3600, n)
        offset = ((week - WEEKS) * 7 + day) * 86400 + hour * 3600 + seconds
        end_us = int(self.end.timestamp() * 1_000_000)
        published = end_us + offset.astype(np.int64) * 1_000_000
        fetched = published + (rng.exponential(1200, n).astype(np.int64) + 30) * 1_000_000
        # topics: most posts have one, some two; the last week's spike topic is louder
        last = week == WEEKS - 1
        p_aud = _norm_p(self.topic_weights)
        p_spike = self.topic_weights.copy()
        p_spike[self.spike] *= 1.8
        t1 = np.where(
            owned,
            rng.choice(self.n_topics, n, p=_norm_p(self.own_topic_weights)),
            np.where(
                last,
                rng.choice(self.n_topics, n, p=_norm_p(p_spike)),
                rng.choice(self.n_topics, n, p=p_aud),
            ),
        )
        t1 = np.where(rng.random(n) < np.where(owned, 0.95, 0.78), t1, -1)
        t2 = (t1 + 1 + rng.integers(0, self.n_topics - 1, n)) % self.n_topics
        t2 = np.where((t1 >= 0) & (rng.random(n) < 0.25), t2, -1)
        emerging = (rng.random(n) < EMERGING_SHARE[week]) & ~owned
        t1 = np.where(emerging & (rng.random(n) < 0.8), -1, t1)
        t2 = np.where(emerging, -1, t2)  # the emerging sentence takes the second place
        # tone: negative, neutral, positive or a question; the spike topic turns negative
        tone_p = np.array([0.18, 0.42, 0.28, 0.12])
        spike_p = np.array([0.45, 0.3, 0.15, 0.10])
        tone1 = np.where(last & (t1 == self.spike), _pick(rng, spike_p, n), _pick(rng, tone_p, n))
        tone2 = _pick(rng, tone_p, n)
        tone3 = _pick(rng, np.array([0.1, 0.7, 0.15, 0.05]), n)
        # fragments: a (topic or generic), b (second topic, emerging or none), c, hashtags
        a = np.where(
            t1 >= 0,
            _in_range(
                rng,
                self.topic_start[lang, np.maximum(t1, 0), tone1],
                self.topic_count[lang, np.maximum(t1, 0), tone1],
            ),
            _in_range(rng, self.generic_start[lang, tone1], self.generic_count[lang, tone1]),
        )
        b = np.where(
            t2 >= 0,
            _in_range(
                rng,
                self.topic_start[lang, np.maximum(t2, 0), tone2],
                self.topic_count[lang, np.maximum(t2, 0), tone2],
            ),
            -1,
        )
        b = np.where(
            emerging, _in_range(rng, self.emerging_start[lang], self.emerging_count[lang]), b
        )
        c = np.where(
            rng.random(n) < 0.5,
            _in_range(rng, self.generic_start[lang, tone3], self.generic_count[lang, tone3]),
            -1,
        )
        h = np.where(
            rng.random(n) < 0.4, _in_range(rng, self.tag_start[lang], self.tag_count[lang]), -1
        )
        ti = np.where(
            t1 >= 0,
            _in_range(
                rng,
                self.title_start[lang, np.maximum(t1, 0)],
                self.title_count[lang, np.maximum(t1, 0)],
            ),
            _in_range(rng, self.gtitle_start[lang], self.gtitle_count[lang]),
        )
        ti = np.where(HAS_TITLE[platform], ti, -1)
        # near-duplicates: ~2 % of audience posts copy another post's title and text
        dup = (rng.random(n) < 0.02) & ~owned & (np.arange(n) > 0)
        orig = (rng.random(n) * np.arange(n)).astype(np.int64)
        for arr in (a, b, c, h, t1, t2, tone1, tone2, lang, emerging):
            arr[dup] = arr[orig[dup]]
        ti = np.where(dup & HAS_TITLE[platform], np.where(ti >= 0, ti, ti[orig]), ti)
        ti = np.where(dup & (ti < 0) & HAS_TITLE[platform], ti[orig], ti)
        question = (
            (tone1 == ASK) | ((b >= 0) & (tone2 == ASK) & (t2 >= 0)) | ((c >= 0) & (tone3 == ASK))
        )
        # authors with a long tail: author k has about k^-2/3 of the posts of the first
        author_idx = (len(self.authors) * rng.random(n) ** 3).astype(np.int64)
        # engagement with a long tail (lognormal), counts only where the platform has them
        likes = np.floor(np.exp(rng.normal(1.0, 1.5, n))).astype(np.int64)
        reposts = rng.binomial(likes, 0.12)
        replies = rng.binomial(likes, 0.08) + (question & (rng.random(n) < 0.5))
        has_likes = HAS_LIKES[platform]
        is_scored = np.isin(platform, [3, 4])

        def take(values: pa.Array, idx: np.ndarray) -> pa.Array:
            return values.take(pa.array(idx, mask=idx < 0))

        ext = pc.cast(pa.array(np.arange(start, start + n, dtype=np.int64)), pa.string())
        # most posts link somewhere (a copy links where its original does): texts stay unique
        link_no = pc.cast(pa.array(np.where(dup, start + orig, start + np.arange(n))), pa.string())
        has_link = pa.array(rng.random(n) < 0.85)
        none = pa.nulls(n, pa.string())
        link = pc.if_else(
            has_link,
            pc.binary_join_element_wise(
                pa.array(("mehr: https://lnk.example/p", "more: https://lnk.example/p")).take(
                    pa.array(lang)
                ),
                link_no,
                "",
            ),
            none,
        )
        link_norm = pc.if_else(
            has_link,
            pc.binary_join_element_wise(
                pa.array(("mehr https lnk example p", "more https lnk example p")).take(
                    pa.array(lang)
                ),
                link_no,
                "",
            ),
            none,
        )
        text = pc.binary_join_element_wise(
            take(self.sent_text, a),
            take(self.sent_text, b),
            take(self.sent_text, c),
            take(self.tag_text, h),
            link,
            " ",
            null_handling="skip",
        )
        key_input = pc.binary_join_element_wise(
            take(self.title_norm, ti),
            take(self.sent_norm, a),
            take(self.sent_norm, b),
            take(self.sent_norm, c),
            take(self.tag_norm, h),
            link_norm,
            " ",
            null_handling="skip",
        )
        platform_names = pa.array(PLATFORMS, pa.string()).take(pa.array(platform))
        ids = pa.Table.from_batches(  # in chunks, so that DuckDB hashes on every core
            pa.table({"platform": platform_names, "ext": ext, "key": key_input}).to_batches(
                max_chunksize=65_536
            )
        )
        cur = self._hash.cursor()
        try:
            cur.register("ids", ids)
            hashed = cur.sql(
                "SELECT substr(sha256(platform || chr(31) || ext), 1, 24) AS post_id, "
                "substr(sha256(key), 1, 24) AS content_key FROM ids"
            ).to_arrow_table()
        finally:
            cur.close()
        post_id = hashed.column("post_id").combine_chunks()
        author = self.authors.take(pa.array(author_idx))
        no_author = (platform == 0) & (rng.random(n) < 0.1)
        author = pc.if_else(pa.array(no_author), pa.nulls(n, pa.string()), author)
        handle = pc.if_else(
            pa.array(HAS_HANDLE[platform]),
            pc.binary_join_element_wise("@", author, ""),
            pa.nulls(n, pa.string()),
        )
        ts = pa.timestamp("us", tz="UTC")
        posts = pa.Table.from_arrays(
            [
                post_id,
                platform_names,
                pa.array(self.src_ids, pa.string()).take(pa.array(src)),
                ext,
                pc.binary_join_element_wise(self.src_prefix.take(pa.array(src)), ext, ""),
                author,
                handle,
                take(self.title_text, ti),
                text,
                pa.array(["de", "en", None], pa.string()).take(pa.array(src_lang)),
                pa.array(published, ts),
                pa.array(fetched, ts),
                pa.array(likes, pa.int64(), mask=~has_likes),
                pa.array(reposts, pa.int64(), mask=~has_likes),
                pa.array(replies, pa.int64(), mask=~has_likes),
                pa.array(likes, pa.int64(), mask=~is_scored),
                hashed.column("content_key").combine_chunks(),
                pc.binary_join_element_wise('{"id": "', ext, '", "synthetic": true}', ""),
                pa.repeat(pa.scalar(load_id, pa.string()), n),
                pa.nulls(n, pa.int16()),  # rating: no synthetic platform rates
            ],
            schema=POST_SCHEMA,
        )
        # enrichment: all but ~0.5 % of posts, as the enrich flow would have stored them
        annotated = rng.random(n) >= 0.005
        polarity = np.where(t1 >= 0, TONE_POLARITY[tone1], 0.3 * TONE_POLARITY[tone1])
        polarity = polarity + np.where(t2 >= 0, 0.5 * TONE_POLARITY[tone2], 0.0)
        sentiment = np.clip(polarity + rng.normal(0.0, 0.2, n), -1.0, 1.0)
        label = np.where(sentiment <= -0.2, 0, np.where(sentiment >= 0.2, 2, 1))
        keys = np.stack([a, b, h], axis=1)
        key_cols = [take(self.sent_key, a), take(self.sent_key, b), take(self.tag_key, h)]
        key_terms = _list_of(key_cols, keys >= 0)
        annotated_at = fetched + 3_600_000_000
        ann = pa.Table.from_arrays(
            [
                post_id,
                pa.repeat(pa.scalar(PIPELINE_VERSION, pa.string()), n),
                pa.array(LANGS, pa.string()).take(pa.array(lang)),
                pa.array(0.85 + 0.15 * rng.random(n), pa.float64()),
                pa.array(np.round(sentiment, 4), pa.float64()),
                pa.array(["negative", "neutral", "positive"], pa.string()).take(pa.array(label)),
                pa.array(question, pa.bool_()),
                key_terms,
                pa.array(annotated_at, ts),
                posts.column("load_id").combine_chunks(),
            ],
            schema=ANNOTATION_SCHEMA,
        ).filter(pa.array(annotated))
        topic_parts = []
        topic_ids = pa.array(self.tax.topic_ids, pa.string())
        bucket_ids = pa.array([self.tax.buckets[t] for t in self.tax.topic_ids], pa.string())
        for t, frag in ((t1, a), (t2, b)):
            keep = (t >= 0) & annotated
            rows = np.nonzero(keep)[0]
            terms = take(self.sent_term, frag[rows])
            topic_parts.append(
                pa.Table.from_arrays(
                    [
                        post_id.take(pa.array(rows)),
                        topic_ids.take(pa.array(t[rows])),
                        bucket_ids.take(pa.array(t[rows])),
                        pa.ListArray.from_arrays(
                            pa.array(np.arange(len(rows) + 1, dtype=np.int32)), terms
                        ),
                        pa.repeat(pa.scalar(PIPELINE_VERSION, pa.string()), len(rows)),
                        pa.repeat(pa.scalar(load_id, pa.string()), len(rows)),
                    ],
                    schema=TOPIC_SCHEMA,
                )
            )
        return SynthBatch(posts, ann, pa.concat_tables(topic_parts))

    def posts(self, n: int | None = None) -> list[Post]:
        """The first `n` posts as `Post` records (for small n: one Python object per post)."""
        rows = pa.concat_tables(b.posts for b in self.batches(limit=n)).to_pylist()
        return [
            Post(
                platform=r["platform"],
                source_id=r["source_id"],
                external_id=r["external_id"],
                url=r["url"],
                author=r["author"],
                author_handle=r["author_handle"],
                title=r["title"],
                text=r["text"],
                lang_hint=r["lang_hint"],
                published_at=r["published_at"],
                fetched_at=r["fetched_at"],
                likes=r["likes"],
                reposts=r["reposts"],
                replies=r["replies"],
                score=r["score"],
                raw=json.loads(r["raw"]),
            )
            for r in rows
        ]


@dataclass(frozen=True)
class SynthBatch:
    """One batch: `_posts` rows and the enrichment rows for them."""

    posts: pa.Table
    annotations: pa.Table
    post_topics: pa.Table


def _norm_p(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum()


def _pick(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(p), size=n, p=_norm_p(p))


def _in_range(rng: np.random.Generator, start: np.ndarray, count: np.ndarray) -> np.ndarray:
    return (start + (rng.random(len(start)) * count).astype(np.int64)).astype(np.int64)


def _list_of(columns: list[pa.Array], valid: np.ndarray) -> pa.ListArray:
    """Row-wise lists of the valid entries of several string columns."""
    n, k = valid.shape
    counts = valid.sum(axis=1)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    # interleave the columns row by row, then keep the valid cells
    interleaved = pa.concat_arrays(columns).take(
        pa.array((np.arange(k)[None, :] * n + np.arange(n)[:, None]).ravel())
    )
    values = interleaved.filter(pa.array(valid.ravel()))
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def write_warehouse(
    path: Path, synth: Synth, *, annotations: bool = True, batch_rows: int = 1_000_000
) -> dict[str, int]:
    """A fresh warehouse with the synthetic posts (and enrichment), inserted batch by batch.

    The posts are new and unique by construction, so they go straight in (no anti-join);
    `bench/scale_load.py` measures Earshot's loading path itself. The digest facts are then
    built whole (`warehouse.facts.refresh_facts`).
    """
    from earshot.warehouse import open_warehouse
    from earshot.warehouse.connection import transaction
    from earshot.warehouse.facts import mark_all_dirty, refresh_facts
    from earshot.warehouse.sources import sync_sources
    from earshot.warehouse.taxonomy import sync_taxonomy

    con = open_warehouse(path)
    try:
        sync_sources(con, synth.sources())
        con.execute(
            "UPDATE _sources SET last_status = 'ok', last_attempt_at = ?, last_success_at = ?",
            [synth.end, synth.end],
        )
        tax = synth.tax
        sync_taxonomy(
            con,
            [(t, tax.labels[t], tax.buckets[t]) for t in tax.topic_ids],
            list(tax.bucket_rows),
            timezone=tax.timezone,
        )
        counts = {"posts": 0, "annotations": 0, "post_topics": 0}
        for batch in synth.batches(batch_rows):
            with transaction(con):
                con.register("_synth_posts", batch.posts)
                con.execute(
                    "INSERT INTO _posts "
                    "SELECT * REPLACE (CAST(raw AS JSON) AS raw) FROM _synth_posts"
                )
                con.unregister("_synth_posts")
                counts["posts"] += batch.posts.num_rows
                if annotations:
                    con.register("_synth_ann", batch.annotations)
                    con.register("_synth_topics", batch.post_topics)
                    con.execute("INSERT INTO _annotations SELECT * FROM _synth_ann")
                    con.execute("INSERT INTO _post_topics SELECT * FROM _synth_topics")
                    con.unregister("_synth_ann")
                    con.unregister("_synth_topics")
                    counts["annotations"] += batch.annotations.num_rows
                    counts["post_topics"] += batch.post_topics.num_rows
        # the rows went in around Earshot's writers: the digest facts are built whole
        mark_all_dirty(con, "bench.synth")
        counts["fact_weeks"] = refresh_facts(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=1_000_000, help="rows per batch")
    parser.add_argument(
        "--out", type=Path, help="write a fresh warehouse file (else: generate only)"
    )
    parser.add_argument("--no-annotations", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    synth = Synth(args.posts, seed=args.seed)
    if args.out:
        if args.out.exists():
            raise SystemExit(f"{args.out}: exists; synth writes a fresh warehouse")
        counts = write_warehouse(
            args.out, synth, annotations=not args.no_annotations, batch_rows=args.batch
        )
        what = ", ".join(f"{v:,} {k}" for k, v in counts.items())
        elapsed = time.perf_counter() - start
        print(
            f"wrote {what} to {args.out} in {elapsed:.1f} s "
            f"({counts['posts'] / elapsed:,.0f} posts/s)"
        )
        return
    rows = tags = 0
    for batch in synth.batches(args.batch):
        rows += batch.posts.num_rows
        tags += batch.post_topics.num_rows
    elapsed = time.perf_counter() - start
    print(
        f"generated {rows:,} posts (+ {tags:,} topic tags) in {elapsed:.1f} s "
        f"= {rows / elapsed:,.0f} posts/s (not stored; --out FILE writes a warehouse)"
    )


if __name__ == "__main__":
    main()
