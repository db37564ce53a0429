"""Benchmark: Earshot's full enrichment against vaderSentiment alone and asent alone.

    python bench/nlp.py [--en ../shared/eval/sentiment-en/tweets_GroundTruth.txt] [--posts 100000]

Same texts, same run, one process (plus Earshot with n_process=2). Prints posts/s, words/s,
peak memory (the process's maximum resident set so far, workers included) and the ratios to
vaderSentiment. asent is optional: it is skipped with a note when not installed. Exits 1 when
Earshot is below 0.5x vaderSentiment or n_process=2 scales below 1.6x.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable, Sequence
from itertools import cycle, islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlp.enricher import Enricher
from nlp.evaluate import SAMPLE_TAXONOMY, read_tweets

EVAL = Path(__file__).resolve().parent.parent.parent / "shared/eval"
DEFAULT_EN = EVAL / "sentiment-en/tweets_GroundTruth.txt"


def measure(name: str, run: Callable[[Sequence[str]], int], texts: Sequence[str]) -> float:
    words = sum(len(t.split()) for t in texts)
    start = time.perf_counter()
    count = run(texts)
    seconds = time.perf_counter() - start
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    rate = count / seconds
    print(
        f"{name:<34} {rate:>10,.0f} posts/s {words / seconds:>12,.0f} words/s "
        f"peak RSS {peak / 1024:>7.1f} MiB"
    )
    return rate


def vader(texts: Sequence[str]) -> int:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return sum(1 for t in texts if analyzer.polarity_scores(t) is not None)


def asent_alone(texts: Sequence[str]) -> int:
    import asent  # noqa: F401  (registers the asent_en_v1 factory)
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("asent_en_v1")
    return sum(1 for doc in nlp.pipe(texts, batch_size=256) if doc._.polarity is not None)


def earshot(n_process: int) -> Callable[[Sequence[str]], int]:
    def run(texts: Sequence[str]) -> int:
        enricher = Enricher(SAMPLE_TAXONOMY)
        items = ((str(n), t, None) for n, t in enumerate(texts))
        if n_process == 1:
            return sum(1 for _ in enricher.annotate(items))
        return sum(1 for _ in enricher.annotate_parallel(items, n_process=n_process))

    return run


TARGET_RATIO = 0.5  # Earshot / vaderSentiment posts/s, one process (issue 4)
TARGET_SCALING = 1.6  # n_process=2 / n_process=1: near-linear


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--en", type=Path, default=DEFAULT_EN, help="tweets_GroundTruth.txt")
    parser.add_argument("--posts", type=int, default=100_000)
    args = parser.parse_args(argv)
    base = [t for _, t in read_tweets(args.en)]
    texts = list(islice(cycle(base), args.posts))
    print(f"{len(texts):,} posts ({len(base):,} tweets repeated), {len(SAMPLE_TAXONOMY)} topics")
    rates = {"vader": measure("vaderSentiment alone", vader, texts)}
    try:
        import asent  # noqa: F401
    except ImportError:
        print("asent alone: skipped (pip install asent to compare)")
    else:
        rates["asent"] = measure("asent alone (blank en + sentencizer)", asent_alone, texts)
    rates["earshot"] = measure("Earshot full enrichment", earshot(1), texts)
    # vaderSentiment again right after: on a shared machine the load drifts, and the ratio
    # should compare runs under the same conditions (the baseline is the mean of both)
    again = measure("vaderSentiment alone (again)", vader, texts)
    rates["vader"] = (rates["vader"] + again) / 2
    rates["earshot2"] = measure("Earshot full enrichment, n_process=2", earshot(2), texts)
    print(f"Earshot / vaderSentiment: {rates['earshot'] / rates['vader']:.2f}x (target >= 0.5x)")
    if "asent" in rates:
        print(f"Earshot / asent: {rates['earshot'] / rates['asent']:.2f}x")
    scaling = rates["earshot2"] / rates["earshot"]
    print(f"n_process=2 / n_process=1: {scaling:.2f}x (linear = 2x, target >= {TARGET_SCALING}x)")
    failed = []
    if rates["earshot"] / rates["vader"] < TARGET_RATIO:
        failed.append(f"Earshot / vaderSentiment below {TARGET_RATIO}x")
    if scaling < TARGET_SCALING:
        failed.append(f"n_process=2 scaling below {TARGET_SCALING}x")
    for message in failed:
        print(f"BELOW TARGET: {message}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
