"""Run the lenient (slow) feed parser in a child process with a deadline and a memory cap,
so a hostile or pathological feed costs one source a clear error, not the whole run.

The child is a fresh interpreter (`python -m earshot.listeners.feeds.bounded`), not a fork of the
threaded collect process: the body goes in on stdin, the parsed feed comes back as JSON.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from earshot.listeners.errors import ParseError
from earshot.listeners.feeds.parse import ParsedFeed, parse_xml_feed_leniently

DEADLINE_SECONDS = 20.0
MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024
_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding `listeners/`


def parse_leniently_bounded(
    body: bytes, url: str, content_type: str, *, seconds: float | None = None
) -> ParsedFeed:
    """`parse_xml_feed_leniently` in a child; a ParseError naming `url` when it takes longer
    than `seconds`, runs out of memory or crashes."""
    seconds = DEADLINE_SECONDS if seconds is None else seconds
    header = json.dumps({"url": url, "content_type": content_type}).encode() + b"\n"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")])),
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "earshot.listeners.feeds.bounded"],
            input=header + body,
            capture_output=True,
            timeout=seconds,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ParseError(
            url, f"the feed took the parser longer than {seconds:g} s (a hostile feed?)"
        ) from None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        raise ParseError(url, "the feed parser crashed (out of memory?)") from None
    if "error" in answer:
        raise ParseError(url, str(answer["error"]))
    return ParsedFeed(
        answer["kind"],
        answer["version"],
        answer["feed"],
        tuple(answer["entries"]),
        answer.get("problem"),
        bool(answer.get("cut_off")),
    )


def _main() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    data = sys.stdin.buffer.read()
    header, _, body = data.partition(b"\n")
    meta = json.loads(header)
    try:
        parsed = parse_xml_feed_leniently(body, meta["url"], meta["content_type"])
        answer = {
            "kind": parsed.kind,
            "version": parsed.version,
            "feed": parsed.feed,
            "entries": list(parsed.entries),
            "problem": parsed.problem,
            "cut_off": parsed.cut_off,
        }
    except ParseError as exc:
        answer = {"error": exc.message}
    except MemoryError:
        answer = {"error": "the feed parser ran out of memory"}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    _main()
