"""Discourse JSON URLs. Pure."""

from __future__ import annotations

from urllib.parse import quote, urlencode


def _base(forum: str) -> str:
    return forum.rstrip("/")


def latest_posts(forum: str, *, before: int | None = None) -> str:
    """The forum's newest posts (50 a page), older ones with `before` (a post id)."""
    url = f"{_base(forum)}/posts.json"
    return url + ("?" + urlencode({"before": str(before)}) if before is not None else "")


def latest_topics(
    forum: str, *, category: str | None = None, tag: str | None = None, page: int = 0
) -> str:
    """Topics by latest activity: the forum's, a category's (slug or id) or a tag's."""
    if category:
        path = f"/c/{quote(category.strip('/'), safe='/')}/l/latest.json"
    elif tag:
        path = f"/tag/{quote(tag, safe='')}/l/latest.json"
    else:
        path = "/latest.json"
    params = {"order": "activity", "ascending": "false"}
    if page:
        params["page"] = str(page)
    return f"{_base(forum)}{path}?{urlencode(params)}"


def topic(forum: str, topic_id: int, *, page: int = 1) -> str:
    """A topic with one page of its posts (`chunk_size`, 20, a page) and all its post ids."""
    url = f"{_base(forum)}/t/{topic_id}.json"
    return url + (f"?page={page}" if page > 1 else "")


def post_url(forum: str, post: dict[str, object] | None = None, *, path: str | None = None) -> str:
    """The public page of a post: `/t/<slug>/<topic id>/<post number>`."""
    if path:
        return _base(forum) + (path if path.startswith("/") else "/" + path)
    post = post or {}
    slug = post.get("topic_slug") or "-"
    return f"{_base(forum)}/t/{slug}/{post.get('topic_id')}/{post.get('post_number')}"
