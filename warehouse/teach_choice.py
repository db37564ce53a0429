"""Which of the judged candidates a step of the teach queue asks about: three lanes, each
round-robin over the strata (`choose`), so that 20 labels cover many topics and weeks."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Sequence

# Shares of a step's picks (`choose`), measured with `bench/learning_curve.py` on the shared
# labelled files. Labels chosen by uncertainty are hard for the model that chose them: on 800
# such GermEval labels a model lost to the rules in cross-validation on those labels (micro-F1
# .685 against .691), so none was used, while it beat them on held-out posts (macro-F1 .569
# against .530). A representative share keeps the labels like the posts: at 800 labels 0.5
# left German sentiment 0.044 behind random choice, 0.7 put it 0.014 ahead.
BALANCE_SHARE = 0.5  # the likeliest of a class short of labels, while one is
EXPLORE_SHARE = 0.7  # representative: a seeded random sample of the candidates


def _tiebreak(key: str, seed: int = 0) -> bytes:
    salted = key if not seed else f"{seed}\x00{key}"  # seed 0: the order the queue always had
    return hashlib.blake2b(salted.encode(), digest_size=8).digest()


def choose(
    uncertainties: Sequence[float],
    strata: Sequence[Hashable],
    keys: Sequence[str],
    n: int,
    *,
    short: Sequence[bool] | None = None,
    explore: float = EXPLORE_SHARE,
    too_close: Callable[[int, Sequence[int]], bool] | None = None,
    seed: int = 0,
    explorable: Sequence[bool] | None = None,
) -> list[int]:
    """`n` positions in three lanes, each round-robin over the strata (each round takes every
    stratum's next item, the strata in the order of their first one):

    - balance: while `short` marks any item (the likeliest of a class that lacks labels,
      `nlp.teach`), `BALANCE_SHARE` of the picks, in the hash order of `keys` among them;
    - explore: `explore` of the picks, in the hash order of `keys` (a seeded random sample:
      representative of the candidates, which the uncertain ones are not), among the items
      `explorable` marks (None: all), its share scaled by theirs among the candidates (the
      others' part of it goes to the next lane: relevance questions, `warehouse.teach`);
    - the rest by uncertainty, most uncertain first, skipping an item `too_close` to one
      already chosen (near-duplicates teach once); skipped ones fill what is still missing.

    Ties go by a hash of `keys` (post ids, texts), not by position, so a file's or a table's
    order does not decide. `seed` salts that hash: another seed, another exploration sample
    (`bench/learning_curve.py` runs the queue once per seed; the product keeps seed 0). With
    one stratum and no other lane this is plain uncertainty sampling.
    """
    chosen: list[int] = []
    taken: set[int] = set()
    everything = range(len(uncertainties))
    by_hash = sorted(everything, key=lambda i: _tiebreak(keys[i], seed))
    if short is not None and any(short):
        quota = min(round(n * BALANCE_SHARE), n)
        _round_robin([i for i in by_hash if short[i]], strata, quota, chosen, taken)
    pool = by_hash if explorable is None else [i for i in by_hash if explorable[i]]
    share = explore * len(pool) / max(len(by_hash), 1)
    quota = min(len(chosen) + round(n * share), n)
    _round_robin(pool, strata, quota, chosen, taken)
    order = sorted(everything, key=lambda i: (-uncertainties[i], _tiebreak(keys[i], seed)))
    if too_close is not None:
        _round_robin(order, strata, n, chosen, taken, lambda i: not too_close(i, chosen))
    _round_robin(order, strata, n, chosen, taken)
    return chosen


def _round_robin(
    order: Sequence[int],
    strata: Sequence[Hashable],
    n: int,
    chosen: list[int],
    taken: set[int],
    accept: Callable[[int], bool] | None = None,
) -> None:
    """Append to `chosen` until it holds `n`: round-robin over the strata, each stratum's
    items in `order` (those already `taken`, or not `accept`ed, passed over). Round r takes
    an item of each stratum with at most r chosen so far, so that the lanes together spread."""
    queues: dict[Hashable, list[int]] = {}
    for i in order:
        if i not in taken:
            queues.setdefault(strata[i], []).append(i)
    per = Counter(strata[i] for i in chosen)
    lanes = [(stratum, iter(lane)) for stratum, lane in queues.items()]  # by their first item
    depth = 0
    while len(chosen) < n and lanes:
        still: list[tuple[Hashable, Iterator[int]]] = []
        for stratum, lane in lanes:
            if len(chosen) >= n:
                break
            if per[stratum] > depth:
                still.append((stratum, lane))
                continue
            for i in lane:
                if accept is None or accept(i):
                    chosen.append(i)
                    taken.add(i)
                    per[stratum] += 1
                    still.append((stratum, lane))
                    break
        lanes = still
        depth += 1
