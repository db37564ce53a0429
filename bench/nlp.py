"""Benchmark: Earshot's full enrichment against vaderSentiment alone and asent alone.

    python bench/nlp.py [--en ../shared/eval/sentiment-en/tweets_GroundTruth.txt] [--posts 100000]
                        [--with-model]

Same texts, same run, one process (plus Earshot with n_process=2). Earshot runs the path the
`enrich` flow uses: batches of new posts (`PendingPost`s, the flow's default batch size) through
`nlp.workers.enrich_batch`, in this process or handed to warm worker processes by as many
threads as the flow's task runner has. Its start-up (building the `Enricher`, or spawning the
workers that build theirs) is timed apart: the rate is the warm, steady one a long run sees.
Prints posts/s, words/s, peak memory (the process's maximum resident set so far, workers
included) and the ratios to vaderSentiment. asent is optional: it is skipped with a note when
not installed. Exits 1 when Earshot is below 0.5x vaderSentiment or n_process=2 scales below
1.6x. `--with-model`: English sentiment from a learned model (`nlp.learn`, trained here on the
tweets' ground truth, saved and loaded as `earshot learn` does), the target then 0.35x.
"""

from __future__ import annotations

import argparse
import atexit
import dataclasses
import multiprocessing
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from itertools import cycle, islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from earshot.nlp.enricher import EnricherSettings
from earshot.nlp.evaluate import SAMPLE_TAXONOMY, gold_label, read_tweets
from earshot.nlp.learn import fit
from earshot.nlp.ngram_features import FeatureSettings
from earshot.nlp.records import PendingPost
from earshot.nlp.rule_scores import RuleScores
from earshot.nlp.sentiment_model import model_path
from earshot.nlp.workers import (
    batches_per_worker,
    close_shared_pools,
    enrich_batch,
    feeding_threads,
    shared_pool,
)
from earshot.pipelines.config import NlpConfig

EVAL = Path(__file__).resolve().parent.parent.parent / "shared/eval"
DEFAULT_EN = EVAL / "sentiment-en/tweets_GroundTruth.txt"


def measure(
    name: str,
    run: Callable[[Sequence[str]], int],
    texts: Sequence[str],
    *,
    warm: Callable[[], object] | None = None,
    done: Callable[[], object] | None = None,
) -> float:
    """posts/s of `run(texts)`; `warm` (start-up) is timed apart, `done` (clean-up) not at all."""
    words = sum(len(t.split()) for t in texts)
    started = 0.0
    if warm is not None:
        start = time.perf_counter()
        warm()
        started = time.perf_counter() - start
    start = time.perf_counter()
    count = run(texts)
    seconds = time.perf_counter() - start
    if done is not None:
        done()  # workers exit and are waited for: their peak RSS counts below
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    rate = count / seconds
    print(
        f"{name:<34} {rate:>10,.0f} posts/s {words / seconds:>12,.0f} words/s "
        f"peak RSS {peak / 1024:>7.1f} MiB"
    )
    if warm is not None:
        print(f"{'  its start-up (not in the rate)':<34} {started:>10.2f} s")
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


BATCH = NlpConfig.model_fields["batch_size"].default  # posts per batch of the `enrich` flow
# what `pipelines.tagging.build_enricher` makes of a config with this taxonomy
SETTINGS = EnricherSettings(SAMPLE_TAXONOMY, ("de", "en"), (), (), batch_size=min(BATCH, 1000))


def new_posts(texts: Sequence[str], first: int = 0) -> list[list[PendingPost]]:
    """The texts as the flow's batches of new posts: no annotation, no topic tags yet."""
    posts = [PendingPost(str(first + n), t, None, None, True) for n, t in enumerate(texts)]
    return [posts[i : i + BATCH] for i in range(0, len(posts), BATCH)]


def earshot(n_process: int) -> Callable[[Sequence[str]], int]:
    """The `enrich` flow's NLP: `enrich_batch` from as many threads as its task runner has."""

    def run(texts: Sequence[str]) -> int:
        batches = new_posts(texts)
        if n_process == 1:
            return sum(len(enrich_batch(SETTINGS, batch, 1)) for batch in batches)
        with ThreadPoolExecutor(feeding_threads(n_process)) as threads:  # the flow's
            return sum(
                len(result)
                for result in threads.map(lambda b: enrich_batch(SETTINGS, b, n_process), batches)
            )

    return run


def start_earshot(n_process: int, texts: Sequence[str]) -> Callable[[], object]:
    """Build the in-process `Enricher`, or start every worker (each builds its own)."""

    def warm() -> object:
        # the pool as the flow's first batch makes it, then a few posts for each worker at
        # once, so that every worker process is started and has built its `Enricher`
        shared_pool(SETTINGS, n_process, recycle_after=batches_per_worker(BATCH))
        [posts] = new_posts(texts[: n_process * 4], first=-len(texts))
        with ThreadPoolExecutor(n_process) as threads:
            return list(
                threads.map(
                    lambda n: enrich_batch(SETTINGS, posts[n::n_process], n_process),
                    range(n_process),
                )
            )

    return warm


def train_model(folder: Path, en: Path) -> str:
    """Train an English model on the tweets' ground truth and save it as `earshot learn` does."""
    tweets = read_tweets(en)
    texts = [t for _, t in tweets]
    start = time.perf_counter()
    model, _ = fit(
        "en",
        texts,
        [gold_label(m) for m, _ in tweets],
        RuleScores("en").scores(texts),
        FeatureSettings(),
        identity="bench",
    )
    path = model_path(folder, "en")
    model.save(path)
    print(
        f"model: en, {len(texts):,} labels, {len(model.vocabulary):,} features, "
        f"trained in {time.perf_counter() - start:.1f} s (in a child process)",
        flush=True,
    )
    return str(path)


def with_model(folder: Path, en: Path) -> EnricherSettings:
    """`SETTINGS` plus a learned English model. It is trained in a child process, so this
    one holds only what `enrich` holds: the loaded model, not scikit-learn's training."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        path = child.submit(train_model, folder, en).result()
    return dataclasses.replace(SETTINGS, sentiment_models=(("en", path),))


TARGET_RATIO = 0.5  # Earshot / vaderSentiment posts/s, one process (issue 4)
TARGET_RATIO_MODEL = 0.35  # the same with a learned model in place (issue 14)
TARGET_SCALING = 1.6  # n_process=2 / n_process=1: near-linear


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--en", type=Path, default=DEFAULT_EN, help="tweets_GroundTruth.txt")
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument(
        "--with-model", action="store_true", help="English sentiment from a learned model"
    )
    args = parser.parse_args(argv)
    base = [t for _, t in read_tweets(args.en)]
    global SETTINGS
    target = TARGET_RATIO
    if args.with_model:
        folder = Path(tempfile.mkdtemp(prefix="earshot-bench-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        SETTINGS = with_model(folder, args.en)
        target = TARGET_RATIO_MODEL
    texts = list(islice(cycle(base), args.posts))
    print(f"{len(texts):,} posts ({len(base):,} tweets repeated), {len(SAMPLE_TAXONOMY)} topics")
    rates = {"vader": measure("vaderSentiment alone", vader, texts)}
    try:
        import asent  # noqa: F401
    except ImportError:
        print("asent alone: skipped (pip install asent to compare)")
    else:
        rates["asent"] = measure("asent alone (blank en + sentencizer)", asent_alone, texts)
    rates["earshot"] = measure(
        "Earshot enrich_batch",
        earshot(1),
        texts,
        warm=start_earshot(1, texts),
        done=close_shared_pools,
    )
    # vaderSentiment again right after: on a shared machine the load drifts, and the ratio
    # should compare runs under the same conditions (the baseline is the mean of both)
    again = measure("vaderSentiment alone (again)", vader, texts)
    rates["vader"] = (rates["vader"] + again) / 2
    rates["earshot2"] = measure(
        "Earshot enrich_batch, n_process=2",
        earshot(2),
        texts,
        warm=start_earshot(2, texts),
        done=close_shared_pools,
    )
    ratio = rates["earshot"] / rates["vader"]
    print(f"Earshot / vaderSentiment: {ratio:.2f}x (target >= {target}x)")
    if "asent" in rates:
        print(f"Earshot / asent: {rates['earshot'] / rates['asent']:.2f}x")
    scaling = rates["earshot2"] / rates["earshot"]
    print(f"n_process=2 / n_process=1: {scaling:.2f}x (linear = 2x, target >= {TARGET_SCALING}x)")
    failed = []
    if ratio < target:
        failed.append(f"Earshot / vaderSentiment below {target}x")
    if scaling < TARGET_SCALING:
        failed.append(f"n_process=2 scaling below {TARGET_SCALING}x")
    for message in failed:
        print(f"BELOW TARGET: {message}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
