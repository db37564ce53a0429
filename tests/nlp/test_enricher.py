from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from nlp import Annotation, Enricher, TopicRule


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
