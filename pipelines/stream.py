"""`earshot stream`: run the configured stream sources (Bluesky Jetstream) until stopped.

Joins the parts: the listener (`listeners.bluesky.stream`) reads the stream; the topic filter
(`nlp.topicfilter`) decides which posts to keep; each batch is stored through the writer lock
with the cursor it reaches (`warehouse.sources.store_stream_batch`). One thread per source;
SIGTERM or Ctrl-C stops them all after each stores its last batch. A source streams in one
process at a time (a lock file beside the warehouse): a second `earshot stream` (or a
deployment run started while one is running) says who holds it and leaves.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

from earshot.listeners.bluesky.stream import JetstreamListener, StreamStats
from earshot.listeners.records import FetchResult, FetchStatus, Post, SourceSpec
from earshot.pipelines import http_setup, jobs, tagging
from earshot.pipelines.config import BlueskySource, LoadedConfig, is_stream
from earshot.pipelines.streamlock import StreamBusy, streaming_lock
from earshot.warehouse.loads import finish_load, start_load
from earshot.warehouse.sources import FetchRecord, source_states, store_fetches, store_stream_batch

LOG = logging.getLogger("earshot.pipelines.stream")


class StreamError(Exception):
    """A stream cannot start (no such stream source, already streaming); names the source."""


@dataclass(frozen=True, slots=True)
class StreamOutcome:
    source_id: str
    stats: StreamStats


def stream_sources(loaded: LoadedConfig, only: str | None = None) -> list[BlueskySource]:
    """The config's stream sources, or the one `only` (which must be one)."""
    found = [s for s in loaded.config.sources if is_stream(s) and isinstance(s, BlueskySource)]
    if only is not None:
        found = [s for s in found if s.id == only]
        if not found:
            raise StreamError(
                f"{loaded.path}: source {only!r} is not a stream source (`kind: bluesky` with "
                "`stream: true`)"
            )
    return found


def topic_filter(loaded: LoadedConfig) -> Callable[[Post], bool]:
    """Which streamed posts to keep: those the topic tagger finds a topic in."""
    from earshot.nlp.topicfilter import TopicFilter  # spaCy: only where a stream runs

    matcher = TopicFilter(tagging.topic_rules(loaded), languages=loaded.config.nlp.languages)

    def accept(post: Post) -> bool:
        return matcher.matches(post.text, post.lang_hint)

    return accept


def _spec(source: BlueskySource) -> SourceSpec:
    return SourceSpec(
        source.id, source.kind, str(source.url), source.owned, source.lang, source.options()
    )


def _listener(
    loaded: LoadedConfig,
    source: BlueskySource,
    state: dict[str, Any],
    accept: Callable[[Post], bool],
    load_id: str,
) -> JetstreamListener:
    def store(posts: Sequence[Post], new_state: dict[str, Any]) -> None:
        with jobs.write_session(loaded) as con:
            store_stream_batch(con, source.id, posts, new_state, load_id=load_id, at=jobs.utcnow())

    def report_failure(message: str) -> None:
        now = jobs.utcnow()
        failed = FetchResult(source.id, FetchStatus.FAILED, error=message)
        with jobs.write_session(loaded) as con:
            store_fetches(con, [FetchRecord(failed, now, now)], load_id)

    policy = http_setup.http_policy(loaded)
    return JetstreamListener(
        _spec(source),
        accept=accept,
        store=store,
        report_failure=report_failure,
        state=state,
        user_agent=policy.user_agent,
        batch_seconds=source.batch_seconds,
        open_timeout_seconds=loaded.config.http.timeout_seconds,
        max_message_bytes=policy.max_body_bytes,
    )


def run_streams(
    loaded: LoadedConfig,
    only: str | None = None,
    *,
    handle_signals: bool = True,
    started: Callable[[list[JetstreamListener]], None] | None = None,
) -> list[StreamOutcome]:
    """Stream every stream source (or `only`) until SIGTERM/SIGINT (with `handle_signals`,
    from the main thread) or until each listener is stopped; return what each saw.

    `started` is handed the listeners once they run (bench/stream.py stops them itself).
    """
    sources = stream_sources(loaded, only)
    if not sources:
        raise StreamError(f"{loaded.path}: no stream source (`kind: bluesky`, `stream: true`)")
    accept = topic_filter(loaded)
    with contextlib.ExitStack() as stack:
        for source in sources:
            try:
                stack.enter_context(streaming_lock(loaded.warehouse_path, source.id))
            except StreamBusy as exc:
                raise StreamError(str(exc)) from None
        with jobs.warehouse(loaded) as con:
            states = source_states(con)
            load_id = start_load(con, "stream")
        listeners = [
            _listener(
                loaded, s, dict(states[s.id].state) if s.id in states else {}, accept, load_id
            )
            for s in sources
        ]
        if handle_signals:
            stack.enter_context(_stopping_on_signals(listeners))
        threads = [
            threading.Thread(target=lst.run, name=f"stream-{lst.spec.source_id}", daemon=True)
            for lst in listeners
        ]
        for thread in threads:
            thread.start()
        if started is not None:
            started(listeners)
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(timeout=0.5)
        stats = {lst.spec.source_id: lst.stats for lst in listeners}
        with jobs.write_session(loaded) as con:
            finish_load(
                con,
                load_id,
                status="done",
                rows_added=sum(s.matched for s in stats.values()),
                details={sid: figures(s) for sid, s in stats.items()},
            )
    return [StreamOutcome(sid, s) for sid, s in stats.items()]


def figures(stats: StreamStats) -> dict[str, Any]:
    return {
        "events": stats.events,
        "posts": stats.posts,
        "matched": stats.matched,
        "malformed": stats.malformed,
        "connections": stats.connections,
        "failures": stats.failures,
        "batches": stats.batches,
        "cursor": stats.cursor,
    }


@contextlib.contextmanager
def _stopping_on_signals(listeners: list[JetstreamListener]) -> Iterator[None]:
    """SIGTERM and SIGINT stop every listener (each stores its last batch); outside the main
    thread (a flow run in a worker thread) signals stay as they were."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        LOG.info("signal %d: stopping the streams after their last batch", signum)
        for listener in listeners:
            listener.stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_streams_logged(loaded: LoadedConfig, only: str | None = None) -> str:
    """`run_streams` for the command line: the listeners' log on stderr, a summary returned."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("earshot")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        outcomes = run_streams(loaded, only)
    finally:
        logger.removeHandler(handler)
    return "\n".join(
        f"stream {o.source_id}: {o.stats.events} event(s), {o.stats.posts} post(s), "
        f"{o.stats.matched} kept, {o.stats.malformed} malformed, "
        f"{o.stats.connections} connection(s), {o.stats.batches} batch(es)"
        for o in outcomes
    )
