from __future__ import annotations

import pickle
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from pathlib import Path

from earshot.nlp import Annotation, Enricher, TopicMatch, TopicRule
from earshot.nlp.records import EnrichResult, Entity, PendingPost, TopicTags
from earshot.nlp.workers import (
    EnricherPool,
    _from_rows,
    _result_rows,
    close_shared_pools,
    enrich_batch,
)


def test_annotates_in_order_from_a_generator(enricher: Enricher) -> None:
    posts = [
        ("p1", "Der Kundenservice ist super, danke!", None),
        ("p2", "The customer experience was terrible.", None),
        ("p3", "", None),
        ("p4", "Wann kommt der Newsletter?", "de"),
        ("p5", "I hate waiting for the mailing list", "en"),
    ]
    small = Enricher(enricher.topics, batch_size=2)
    out = list(small.annotate(p for p in posts))
    assert [a.post_id for a in out] == ["p1", "p2", "p3", "p4", "p5"]
    assert all(isinstance(a, Annotation) for a in out)
    p1, p2, p3, p4, p5 = out
    assert (p1.lang, p1.sentiment_label) == ("de", "positive")
    assert [t.topic_id for t in p1.topics] == ["service"]
    assert (p2.lang, p2.sentiment_label) == ("en", "negative")
    assert p2.topics[0].matched_terms == ("customer experience",)
    assert (p3.lang, p3.sentiment, p3.topics, p3.is_question) == ("und", None, (), False)
    assert p4.is_question and p4.lang == "de"
    assert p5.sentiment is not None and p5.sentiment < 0


def test_streams_batch_by_batch() -> None:
    pulled = 0

    def posts() -> Iterator[tuple[str, str, str | None]]:
        nonlocal pulled
        for n in range(100):
            pulled += 1
            yield str(n), "Der Zug ist pünktlich", "de"

    annotations = Enricher((), batch_size=4).annotate(posts())
    first = next(annotations)
    assert first.post_id == "0"
    assert pulled <= 5
    assert sum(1 for _ in annotations) == 99


def test_unconfigured_language_gets_topics_but_no_sentiment(enricher: Enricher) -> None:
    [fr] = enricher.annotate(
        [("f", "Je suis vraiment très content de la newsletter de ce mois, merci #Marketing", None)]
    )
    assert fr.lang == "fr"
    assert fr.sentiment is None and fr.sentiment_label is None
    assert {t.topic_id for t in fr.topics} == {"newsletter", "marketing"}
    assert fr.key_terms == ("marketing",)
    [fr_question] = enricher.annotate([("g", "Quelqu'un sait quand le train arrive ?", None)])
    assert fr_question.is_question


def test_version_is_stable_and_follows_the_taxonomy(
    enricher: Enricher, taxonomy: tuple[TopicRule, ...]
) -> None:
    again = Enricher(taxonomy)
    assert again.version == enricher.version
    assert Enricher(tuple(reversed(taxonomy))).version == enricher.version
    changed = (*taxonomy[:-1], TopicRule("marketing", None, {"en": ("Marketing", "SEO")}))
    assert Enricher(changed).version != enricher.version
    assert Enricher(taxonomy, languages=("de",)).version != enricher.version


def test_version_follows_the_lexicon(tmp_path: Path, taxonomy: tuple[TopicRule, ...]) -> None:
    lexicon = tmp_path / "de.tsv"
    lexicon.write_text("gut\t2\n", encoding="utf-8")
    first = Enricher(taxonomy, lexicons={"de": lexicon}).version
    lexicon.write_text("gut\t3\n", encoding="utf-8")
    assert Enricher(taxonomy, lexicons={"de": lexicon}).version != first


def test_configured_language_without_lexicon_has_no_sentiment() -> None:
    [post] = Enricher((), languages=("fr",)).annotate([("x", "Le train est en retard", "fr")])
    assert post.lang == "fr" and post.sentiment is None


POSTS = [
    PendingPost("a", "Der Kundenservice ist super, danke!", None, None, True),
    PendingPost("b", "The customer experience was terrible.", "en", None, False),
    PendingPost("c", "Wann kommt der Newsletter?", "de", "de", True),
    PendingPost("d", "I hate waiting for the mailing list", None, "en", True),
    PendingPost("e", "Je lis la newsletter #Marketing", None, "fr", True),
]


def test_enrich_annotates_stale_posts_and_retags_topics_only_ones(enricher: Enricher) -> None:
    result = enricher.enrich(POSTS)
    assert [a.post_id for a in result.annotations] == ["a", "b"]
    # "b" has current topic tags: none are rewritten for it
    assert [t.post_id for t in result.topic_tags] == ["a", "c", "d", "e"]
    assert len(result) == 5
    # topics-only tags equal what full enrichment in the stored language gives
    full = {
        a.post_id: a.topics for a in enricher.annotate((p.post_id, p.text, p.lang) for p in POSTS)
    }
    assert {t.post_id: t.topics for t in result.topic_tags} == {
        pid: full[pid] for pid in ("a", "c", "d", "e")
    }
    assert [m.topic_id for m in full["d"]] == ["newsletter"]
    # inside spaCy's memory zones the annotations are the same as outside
    first_two = ((p.post_id, p.text, p.lang_hint) for p in POSTS[:2])
    assert result.annotations == tuple(enricher.annotate(first_two))
    assert {m.topic_id for m in full["e"]} == {"newsletter", "marketing"}


def test_tag_topics_keeps_order_and_empty_posts(enricher: Enricher) -> None:
    tags = enricher.tag_topics([("x", "", "de"), ("y", "Newsletter", "de"), ("z", "nix", "und")])
    assert tags == [
        TopicTags("x", (), topic_parts=()),
        TopicTags(
            "y",
            enricher.tag_topics([("y", "Newsletter", "de")])[0].topics,
            topic_parts=("newsletter",),
        ),
        TopicTags("z", (), topic_parts=("nix",)),
    ]
    assert tags[1].topics[0].topic_id == "newsletter"


def test_topic_parts_are_the_matchers_input_in_every_path(enricher: Enricher) -> None:
    # the distinct parts of the word sequence the tagger read: boundaries (the URL, the
    # mention's edges) left out, hashtags and camelCase split, folded
    text = "Der #KundenService bei @DB_Bahn, siehe https://example.org/x Kundenservice!"
    want = ("bahn", "bei", "db", "der", "kunden", "kundenservice", "service", "siehe")
    (fast,) = enricher.annotate([("a", text, "de")])
    assert fast.topic_parts == want
    assert enricher.tag_topics([("a", text, "de")])[0].topic_parts == want
    slow = Enricher(enricher.topics, fast_path=False)
    assert next(iter(slow.annotate([("a", text, "de")]))).topic_parts == want
    assert slow.tag_topics([("a", text, "de")])[0].topic_parts == want


def test_versions_per_part(enricher: Enricher, taxonomy: tuple[TopicRule, ...]) -> None:
    changed = (*taxonomy[:-1], TopicRule("marketing", None, {"en": ("Marketing", "SEO")}))
    other = Enricher(changed)
    assert other.analysis_version == enricher.analysis_version
    assert other.topics_version != enricher.topics_version
    fewer = Enricher(taxonomy, languages=("de",))  # language id changes: both parts
    assert fewer.analysis_version != enricher.analysis_version
    assert fewer.topics_version != enricher.topics_version


def test_settings_are_picklable_and_rebuild_the_same_enricher(enricher: Enricher) -> None:
    settings = pickle.loads(pickle.dumps(enricher.settings))
    assert settings == enricher.settings
    assert settings.build().version == enricher.version


def test_pool_of_warm_workers_gives_the_in_process_result(enricher: Enricher) -> None:
    batches = [POSTS[:3], POSTS[3:], POSTS]
    with EnricherPool(enricher.settings, 2) as pool:
        assert len(pool.worker_pids()) <= 2
        futures = [pool.submit(batch) for batch in batches]
        results = [f.result() for f in futures]
        assert len(pool.worker_pids()) == 2
    assert results == [enricher.enrich(batch) for batch in batches]
    with EnricherPool(enricher.settings, 1) as inline:
        assert inline.worker_pids() == []
        assert inline.submit(POSTS).result() == results[2]


def test_threads_share_one_in_process_enricher_safely(enricher: Enricher) -> None:
    # what a Dask worker with several threads does: batches in-process, one at a time
    try:
        with ThreadPoolExecutor(4) as threads:
            results = list(
                threads.map(lambda batch: enrich_batch(enricher.settings, batch, 1), [POSTS] * 4)
            )
    finally:
        close_shared_pools()
    assert results == [enricher.enrich(POSTS)] * 4


def test_pending_posts_pickle() -> None:
    assert pickle.loads(pickle.dumps(POSTS)) == POSTS


def test_worker_rows_carry_every_field_back() -> None:
    # what crosses between a pool worker and this process: plain tuples, rebuilt as records
    match = TopicMatch("service", "care", ("Kundenservice",), 0.75)
    rejected = TopicMatch("cx", None, ("Erlebnis",), 0.125)
    assert all(getattr(match, f.name) != f.default for f in fields(TopicMatch))
    annotation = Annotation(
        "p", "de", 0.9876, -0.5, "negative", True, ("kundenservice",), (match,),
        (Entity("ORG", "Bahn", 4, 8),), (rejected,), ("kundenservice",),
    )  # fmt: skip
    assert all(getattr(annotation, f.name) != f.default for f in fields(Annotation))
    tags = (TopicTags("p", (match,), (rejected,), ("a", "b")), TopicTags("q", ()))
    assert all(getattr(tags[0], f.name) != f.default for f in fields(TopicTags))
    result = EnrichResult((annotation,), tags)
    assert _from_rows(pickle.loads(pickle.dumps(_result_rows(result)))) == result
