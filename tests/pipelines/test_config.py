from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from earshot.pipelines.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def minimal() -> dict[str, Any]:
    return {
        "organisation": "Beispiel GmbH",
        "timezone": "Europe/Berlin",
        "warehouse": {"path": "data/w.duckdb"},
        "sources": [{"id": "blog", "kind": "feed", "url": "https://example.org/feed.xml"}],
        "buckets": [{"id": "expert", "label": "Expert", "target_share": 1.0}],
        "topics": [
            {
                "id": "service",
                "label": "Service",
                "bucket": "expert",
                "terms": {"de": ["Kundenservice"], "en": ["customer service"]},
            }
        ],
        "digest": {"language": "de", "outbox": "outbox"},
    }


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "listening.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_example_config_is_valid_and_realistic() -> None:
    loaded = load_config(ROOT / "examples" / "listening.yaml")
    cfg = loaded.config
    assert 6 <= len(cfg.topics) <= 10
    assert len(cfg.buckets) == 4
    assert abs(sum(b.target_share for b in cfg.buckets) - 1) < 1e-9
    assert any(s.owned for s in cfg.sources) and any(not s.owned for s in cfg.sources)
    assert all({"de", "en"} <= set(t.terms) for t in cfg.topics)
    assert loaded.warehouse_path == ROOT / "examples" / "data" / "earshot.duckdb"


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    loaded = load_config(write(tmp_path, minimal()))
    assert loaded.warehouse_path == tmp_path / "data" / "w.duckdb"
    assert loaded.outbox == tmp_path / "outbox"


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node: Any = data
    for p in parts[:-1]:
        node = node[int(p)] if p.isdigit() else node[p]
    last = parts[-1]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("sourcez", [], "sourcez: unknown key"),
        ("sources.0.url", "not a url", "sources[0].url: "),
        ("sources.0.kind", "gopher", "sources[0].kind: "),
        ("sources.0.id", "Has Spaces", "sources[0].id: expected an id"),
        ("sources.0.interval_minutes", 0, "sources[0].interval_minutes: "),
        ("topics.0.bucket", "nope", "topics[0].bucket: unknown bucket 'nope'"),
        ("topics.0.terms", {"de": []}, "topics[0].terms: a topic needs at least one term"),
        ("topics.0.terms", {"deu": ["x"]}, "topics[0].terms.deu: expected a two-letter"),
        ("buckets.0.target_share", 0.5, "buckets: target_share values add up to 0.50"),
        ("timezone", "Mars/Olympus", "timezone: unknown time zone 'Mars/Olympus'"),
        ("digest.language", "fr", "digest.language: "),
        (
            "digest.smtp",
            {"host": "smtp.example.org", "sender": "a@example.org"},
            "digest.recipients: SMTP is configured but no recipient",
        ),
        (
            "digest.smtp",
            {"host": "h", "sender": "x@y.z", "password_env": "BAD-NAME"},
            "digest.smtp.password_env: expected the name of an environment variable",
        ),
        ("warehouse.paht", "x", "warehouse.paht: unknown key"),
    ],
)
def test_bad_key_is_named(tmp_path: Path, key: str, value: Any, expected: str) -> None:
    data = minimal()
    _set(data, key, value)
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_missing_required_key(tmp_path: Path) -> None:
    data = minimal()
    del data["organisation"]
    with pytest.raises(ConfigError, match="organisation: required key is missing"):
        load_config(write(tmp_path, data))


def test_duplicate_ids(tmp_path: Path) -> None:
    data = minimal()
    data["sources"].append(dict(data["sources"][0]))
    with pytest.raises(ConfigError, match=r"sources\[1\]\.id: duplicate id 'blog'"):
        load_config(write(tmp_path, data))


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "listening.yaml"
    path.write_text("organisation: x\nsources: [1,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not valid YAML at line 3"):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_secret_comes_from_the_named_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load_config(write(tmp_path, minimal()))
    monkeypatch.setenv("EARSHOT_TEST_PW", "s3cret")
    assert loaded.secret("digest.smtp.password_env", "EARSHOT_TEST_PW") == "s3cret"
    monkeypatch.delenv("EARSHOT_TEST_PW")
    with pytest.raises(
        ConfigError,
        match=r"digest\.smtp\.password_env: environment variable "
        r"EARSHOT_TEST_PW is not set",
    ):
        loaded.secret("digest.smtp.password_env", "EARSHOT_TEST_PW")


def test_prefect_yaml_matches_the_served_schedules() -> None:
    from earshot.pipelines.schedules import SCHEDULES, WAREHOUSE_QUEUE, WORK_POOL

    declared = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    by_name = {d["name"]: d for d in declared["deployments"]}
    for s in SCHEDULES:
        d = by_name[s.deployment]
        assert d["entrypoint"] == f"earshot.pipelines.flows:{s.flow}"
        assert d["schedules"] == [{"cron": s.cron, "timezone": s.timezone}]
        assert d["parameters"] == {"config": "listening.yaml"}
        assert d["work_pool"] == {"name": WORK_POOL, "work_queue_name": WAREHOUSE_QUEUE}
        assert d["concurrency_limit"] == {"limit": 1, "collision_strategy": s.collision_strategy}
    # one set: `prefect deploy --all` cannot schedule a job twice
    assert {s.deployment for s in SCHEDULES} == set(by_name)
