"""The Enricher's fast path (components on the token view, no `Doc`) against `nlp.pipe`.

Both must give identical annotations: on a sample of the evaluation files when
`../shared/eval` is present, and always on hand-written posts that exercise every component.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest
import spacy

from earshot.nlp import Enricher, TopicRule
from earshot.nlp.evaluate import SAMPLE_TAXONOMY, read_germeval, read_tweets
from earshot.nlp.fastpath import FastPath
from earshot.nlp.pipeline import build_pipeline

EVAL = Path(__file__).resolve().parents[3] / "shared/eval"
TWEETS = EVAL / "sentiment-en/tweets_GroundTruth.txt"
GERMEVAL = EVAL / "sentiment-de/germeval2017_dev.tsv"

POSTS = (
    "Der Kundenservice ist super, danke! #Kundenservice #CustomerExperience",
    "Die Kundenservice-Hotline ist NICHT gut, aber der Newsletter ist toll :)",
    "The customer experience was terrible... but the mailing list is GREAT!!!",
    "Wann kommt der Zug? @DB_Bahn https://bahn.de/x?y=1 Liebe Grüße",
    "Does anyone know why the newsletter is late?? I don't like it D:",
    "Je suis vraiment très content de la newsletter, merci #Marketing",
    "Quelqu'un sait quand le train arrive ?",
    "",
    "   ",
    "Das gefällt mir nicht. Oberleitungsschaden in Köln, wieder mal 😠😠",
    "What a day! Kind regards, the team. Job offer: Marketing manager",
    "sooooo goooood, can't wait for the weekend <3",
)


def _sample() -> list[tuple[str, str, str | None]]:
    texts = list(POSTS)
    if TWEETS.exists():
        texts.extend(t for _, t in islice(read_tweets(TWEETS), 600))
    if GERMEVAL.exists():
        texts.extend(t for _, t in islice(read_germeval(GERMEVAL), 600))
    return [(str(n), text, None) for n, text in enumerate(texts)]


def test_fast_path_is_used_for_blank_pipelines() -> None:
    enricher = Enricher(SAMPLE_TAXONOMY)
    for nlp in (*enricher.pipelines.values(), enricher.fallback):
        fast = FastPath.of(nlp)
        assert fast.usable
        assert fast.topics is nlp.get_pipe("earshot_topics_v1")
        assert fast.keyterms is nlp.get_pipe("earshot_keyterms_v1")


def test_pipelines_with_other_components_take_the_spacy_path() -> None:
    nlp = build_pipeline("en", SAMPLE_TAXONOMY)
    nlp.add_pipe("sentencizer", first=True)  # any component the fast path does not know
    assert not FastPath.of(nlp).usable
    assert not FastPath.of(spacy.blank("en")).usable  # spaCy's own tokenizer


@pytest.mark.parametrize("taxonomy", [SAMPLE_TAXONOMY], ids=["sample-taxonomy"])
def test_fast_path_gives_the_spacy_pipelines_annotations(taxonomy: tuple[TopicRule, ...]) -> None:
    sample = _sample()
    fast = list(Enricher(taxonomy).annotate(sample))
    reference = list(Enricher(taxonomy, fast_path=False).annotate(sample))
    assert len(fast) == len(reference) == len(sample)
    for got, want in zip(fast, reference, strict=True):
        assert got == want, got.post_id
    # the sample exercises every part, so the comparison means something
    assert any(a.topics for a in fast)
    assert any(a.is_question for a in fast)
    assert any(a.key_terms for a in fast)
    assert {a.sentiment_label for a in fast} >= {"positive", "negative", "neutral", None}
    assert {a.lang for a in fast} >= {"de", "en", "fr"}
