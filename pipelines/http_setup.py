"""The HTTP politeness of the config: the policy every listener fetches under (user agent,
timeouts, retries, per-host intervals, trusted redirect hosts) and the shared client."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx
from pydantic import HttpUrl

from earshot.listeners.addresses import RedirectGuard
from earshot.listeners.http import HttpPolicy, build_client
from earshot.listeners.news import urls as gdelt_urls
from earshot.pipelines.config import LoadedConfig


def http_policy(loaded: LoadedConfig) -> HttpPolicy:
    cfg = loaded.config
    contact = f"; +{cfg.contact_url}" if cfg.contact_url else ""
    return HttpPolicy(
        user_agent=f"Earshot/0.1 (social listening for {cfg.organisation}{contact})",
        timeout_seconds=cfg.http.timeout_seconds,
        max_body_bytes=int(cfg.http.max_body_mb * 1024 * 1024),
        retries=cfg.http.retries,
        backoff_seconds=cfg.http.backoff_seconds,
        max_seconds_per_attempt=cfg.http.max_seconds_per_attempt,
        min_host_interval_seconds=cfg.http.min_host_interval_seconds,
        host_intervals=_host_intervals(cfg.http.host_intervals),
        redirect_guard=RedirectGuard(
            allow_private=cfg.http.allow_private_redirects,
            trusted_hosts=frozenset(configured_hosts(loaded)),
        ),
    )


def _host_intervals(configured: Mapping[str, float]) -> dict[str, float]:
    """The config's per-host intervals, with GDELT's own rule kept: at most one request every
    5 s (a longer configured interval wins)."""
    gdelt = max(configured.get(gdelt_urls.HOST, 0.0), gdelt_urls.MIN_INTERVAL_SECONDS)
    return {**configured, gdelt_urls.HOST: gdelt}


def configured_hosts(loaded: LoadedConfig) -> set[str]:
    """Hosts named by the sources in the config: redirects to them are always followed."""
    hosts: set[str] = set()
    for source in loaded.config.sources:
        urls = [str(source.url)] + [str(v) for v in vars(source).values() if isinstance(v, HttpUrl)]
        hosts.update(h for u in urls if (h := urlsplit(u).hostname))
    return hosts


def http_client(policy: HttpPolicy) -> httpx.Client:
    return build_client(policy)
