"""Property: any config file loads or raises `ConfigError` naming the file, nothing else."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from earshot.pipelines.config import ConfigError, load_config
from tests.pipelines.test_config import minimal

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**20),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["feed", "mastodon", "http://x", "https://example.org/f.xml", "de", "-1"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    ["organisation", "timezone", "warehouse", "http", "sources", "buckets", "topics", "digest",
     "nlp", "alerts", "unknown"]
)  # fmt: skip


def _check(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "listening.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_config(path)
        except ConfigError as exc:
            assert str(path) in str(exc)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_text_loads_or_raises_config_error(text: str) -> None:
    _check(text)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=6), st.booleans())
def test_any_mapping_loads_or_raises_config_error(changes: dict[str, Any], whole: bool) -> None:
    data = changes if whole else {**minimal(), **changes}
    _check(yaml.safe_dump(data, allow_unicode=True))


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["sources", "buckets", "topics"]),
    st.dictionaries(st.text(max_size=12), VALUES, max_size=4),
)
def test_any_list_item_change_loads_or_raises_config_error(key: str, extra: dict[str, Any]) -> None:
    data = minimal()
    data[key] = [{**data[key][0], **extra}]
    _check(yaml.safe_dump(data, allow_unicode=True))
