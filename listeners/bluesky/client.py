"""Fetch a Bluesky source: an author feed (public) or a post search (session with an app
password, refreshed when it expires); newest-first cursor pages, resumable."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from earshot.listeners.bluesky import urls
from earshot.listeners.bluesky.normalize import feed_items, item_id, item_time, post_from_view
from earshot.listeners.errors import HttpStatusError, ListenerError
from earshot.listeners.fetching import Listener, State
from earshot.listeners.http import HttpPolicy
from earshot.listeners.records import FetchResult, SourceSpec
from earshot.listeners.social.common import get_json, require, result, secret
from earshot.listeners.social.paging import Page, walk_newest_first

MAX_PAGES = 10

# Sessions live in this process only (tokens never reach the warehouse), one per account and
# service, shared by every source and client: a run with ten search sources logs in once.
_SESSIONS: dict[tuple[str, str], dict[str, str]] = {}
_SESSIONS_LOCK = threading.Lock()
# One login or refresh at a time per account: sources fetched concurrently wait for it
# instead of each creating a session (or spending the single-use refresh token twice).
_RENEWING: dict[tuple[str, str], threading.Lock] = {}


class Session:
    """An app-password session on `service`, created on first use and refreshed on expiry."""

    def __init__(
        self, client: httpx.Client, service: str, handle: str, password: str, policy: HttpPolicy
    ) -> None:
        self._client, self._service, self._policy = client, service, policy
        self._handle, self._password = handle, password
        self._key = (service, handle)
        with _SESSIONS_LOCK:
            self._renewing = _RENEWING.setdefault(self._key, threading.Lock())

    def _saved(self) -> dict[str, str] | None:
        with _SESSIONS_LOCK:
            return _SESSIONS.get(self._key)

    def _store(self, answer: Any, where: str) -> dict[str, str]:
        if not isinstance(answer, dict) or not isinstance(answer.get("accessJwt"), str):
            raise ListenerError(where, "the login answer has no access token")
        tokens = {"access": answer["accessJwt"], "refresh": str(answer.get("refreshJwt", ""))}
        with _SESSIONS_LOCK:
            _SESSIONS[self._key] = tokens
        return tokens

    def tokens(self) -> dict[str, str]:
        """The account's session, logging in only if this process has none yet."""
        saved = self._saved()
        if saved:
            return saved
        with self._renewing:
            return self._saved() or self.login()

    def renew(self, stale: Mapping[str, str]) -> dict[str, str]:
        """A fresh session after `stale` was refused; one refresh however many sources ask."""
        with self._renewing:
            saved = self._saved()
            if saved and saved.get("access") != stale.get("access"):
                return saved  # another source renewed it while this one waited
            return self.refresh()

    def login(self) -> dict[str, str]:
        url = urls.create_session(self._service)
        body = json.dumps({"identifier": self._handle, "password": self._password}).encode()
        answer, _ = get_json(
            self._client, url, policy=self._policy, method="POST", content=body,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        return self._store(answer, url)

    def refresh(self) -> dict[str, str]:
        tokens = self._saved()
        if not tokens or not tokens.get("refresh"):
            return self.login()
        url = urls.refresh_session(self._service)
        try:
            answer, _ = get_json(
                self._client, url, policy=self._policy, method="POST",
                headers={"Authorization": f"Bearer {tokens['refresh']}"},
            )  # fmt: skip
        except HttpStatusError:
            return self.login()  # the refresh token expired too
        return self._store(answer, url)

    def get(self, url: str) -> Any:
        tokens = self.tokens()
        try:
            return get_json(self._client, url, policy=self._policy, headers=_bearer(tokens))[0]
        except HttpStatusError as exc:
            if exc.status not in (400, 401):  # ExpiredToken comes as 400 or 401
                raise
        fresh = self.renew(tokens)
        return get_json(self._client, url, policy=self._policy, headers=_bearer(fresh))[0]


def _bearer(tokens: Mapping[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access']}"}


def _cursor(document: Any) -> str | None:
    cursor = document.get("cursor") if isinstance(document, dict) else None
    return cursor if isinstance(cursor, str) and cursor else None


@Listener
def fetch(
    client: httpx.Client, spec: SourceSpec, previous: State, policy: HttpPolicy, now: datetime
) -> FetchResult:
    """`actor` (a handle or DID: its author feed) or `query` (search; needs a session)."""
    if spec.options.get("actor"):
        actor = require(spec, "actor")
        appview = str(spec.options.get("appview") or urls.PUBLIC_APPVIEW)

        def page(cursor: str | None) -> Page:
            document, _ = get_json(client, urls.author_feed(appview, actor, cursor), policy=policy)
            return feed_items(document), _cursor(document)
    else:
        query = require(spec, "query")
        handle, password = secret(spec, "handle"), secret(spec, "app_password")
        if not handle or not password:
            raise ListenerError(
                spec.url,
                "Bluesky search needs a session: set `handle_env` and `app_password_env`",
            )
        service = str(spec.options.get("service") or urls.SERVICE)
        session = Session(client, service, handle, password, policy)

        def page(cursor: str | None) -> Page:
            document = session.get(urls.search_posts(service, query, cursor))
            return feed_items(document), _cursor(document)

    walk = walk_newest_first(
        page, previous.get("walk") or {}, key=item_time, ident=item_id, max_pages=MAX_PAGES
    )
    posts = [
        post_from_view(
            item["post"],
            source_id=spec.source_id,
            fetched_at=now,
            lang_hint=spec.lang_hint,
        )
        for item in walk.items
    ]
    state = {**previous, "walk": walk.state}
    return result(spec, [p for p in posts if p is not None], state, 200 if walk.pages else None)
