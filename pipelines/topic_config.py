"""Saving a topic definition into `listening.yaml` (Explore's query preview): the file is edited
round-trip with ruamel.yaml, so the user's comments, key order and layout stay as they were.

The CLI hands `save_topic` to Explore (`ExploreSettings.save_topic`), so Explore can save
without importing `pipelines/`. The result is validated with `load_config`; when it would not
load, the file is restored and the error names it. A changed definition changes the taxonomy
hash, so the next `earshot enrich` re-tags (topics only) the posts whose tags change.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from earshot.pipelines.config import ConfigError, load_config


class TopicSaveError(Exception):
    """The topic could not be saved; `str(exc)` names the file and what is wrong."""


def _flow(values: list[str]) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()  # `de: [a, b]`, as the example config writes term lists
    return seq


def save_topic(config_path: Path, topic: dict[str, Any]) -> None:
    """Write `topic` (`id`, and any of `label`, `bucket`, `terms`, `exclude`, `query`) into the
    config: the topic with that id is updated in place (keys not given stay), a new id is
    appended to `topics:`. Empty `exclude`/`query` remove those keys."""
    yaml = YAML()  # round-trip: comments and order kept
    yaml.preserve_quotes = True
    yaml.width = 4096
    original = config_path.read_text(encoding="utf-8")
    try:
        data = yaml.load(original)
    except Exception as exc:  # ruamel's errors have no common base worth naming
        raise TopicSaveError(f"{config_path}: cannot read as YAML: {exc}") from None
    if not isinstance(data, CommentedMap):
        raise TopicSaveError(f"{config_path}: expected a mapping at the top")
    topics = data.get("topics")
    if topics is None:
        topics = data["topics"] = CommentedSeq()
    if not isinstance(topics, CommentedSeq):
        raise TopicSaveError(f"{config_path}: topics: expected a list")
    entry = next((t for t in topics if isinstance(t, dict) and t.get("id") == topic["id"]), None)
    if entry is None:
        entry = CommentedMap()
        entry["id"] = topic["id"]
        entry["label"] = topic.get("label") or topic["id"]
        if topic.get("bucket"):
            entry["bucket"] = topic["bucket"]
        topics.append(entry)
    for key in ("label", "bucket"):
        if topic.get(key):
            entry[key] = topic[key]
    for key in ("terms", "exclude"):
        table = {lang: list(ts) for lang, ts in (topic.get(key) or {}).items() if ts}
        if table:
            entry[key] = CommentedMap((lang, _flow(ts)) for lang, ts in table.items())
        elif key in entry:
            if key == "terms":
                entry[key] = CommentedMap()
            else:
                del entry[key]
    if topic.get("query"):
        entry["query"] = topic["query"]
    elif "query" in entry:
        del entry["query"]
    out = io.StringIO()
    yaml.dump(data, out)
    temporary = config_path.with_name(f".{config_path.name}.{os.getpid()}.tmp")
    temporary.write_text(out.getvalue(), encoding="utf-8")
    try:
        load_config(temporary)
    except ConfigError as exc:
        temporary.unlink(missing_ok=True)
        message = str(exc).replace(str(temporary), str(config_path))
        raise TopicSaveError(f"the topic would break the config ({message})") from None
    os.replace(temporary, config_path)
