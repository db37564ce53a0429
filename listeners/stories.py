"""One story, however many places it arrives from: canonical URLs and the story key.

A blog post in its feed, a Mastodon status linking it, a Reddit link post and an HN story all
point at the same page, each through its own variant of the URL (`http://www.` vs `https://`,
a trailing slash, `?utm_source=mastodon`, `#comments`, an AMP copy, `youtu.be/ID`).
`canonical_url` maps the variants to one form; `story_key` hashes it, and a post that links
nowhere is keyed by its normalised words instead, so the same text posted to two platforms is
one story too. `Post.content_key` is this key: the warehouse counts stories with it.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

# Query parameters that say where a click came from, never which page it is.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gclsrc", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "vero_id",
        "oly_enc_id", "oly_anon_id", "rb_clickid", "s_cid", "ref", "ref_src", "ref_url",
        "cmpid", "spm", "share", "amp",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
_YOUTUBE_HOSTS = frozenset({"youtube.com", "music.youtube.com", "youtube-nocookie.com"})
_WORD = re.compile(r"[^\W_]+")
# Characters a path or query keeps escaped; everything else is written decoded.
_SEGMENT_SAFE = ":@!$&'()*+,;=-._~"
_QUERY_SAFE = "/:@!$'()*+,;-._~?"


def canonical_url(url: str | None) -> str | None:
    """The one form of a web page's URL (None for anything that is not an http(s) URL):

    https; host lower-case without `www.`/`m.`/`amp.` or a default port; no user info, no
    fragment, no tracking parameters (`utm_*`, `fbclid`, `gclid` ...); the other parameters
    sorted; no trailing slash; AMP copies (`/amp`, `.amp.html`, `?outputType=amp`, Google's
    and Cloudflare's AMP caches) as their original; YouTube links as `youtube.com/watch?v=ID`.
    """
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    path, query = parts.path, parts.query
    unwrapped = _amp_cache_original(host, path)
    if unwrapped is not None:
        return canonical_url(unwrapped)
    host = _short_host(host)
    if port not in (None, 80, 443):
        host = f"{host}:{port}"
    youtube = _youtube(host, path, query)
    if youtube is not None:
        return youtube
    params = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if not _tracking(k) and not (k.lower() == "outputtype" and v.lower() == "amp")
    ]
    path = _normal_path(path)
    query = urlencode(sorted(params), quote_via=quote, safe=_QUERY_SAFE)
    return urlunsplit(("https", host, path, query, ""))


def is_story_url(url: str | None) -> bool:
    """Whether a canonical URL names one page (not a site's home page)."""
    if not url:
        return False
    parts = urlsplit(url)
    return bool(parts.path not in ("", "/") or parts.query)


def story_key(story_url: str | None, title: str | None, text: str, identity: str) -> str:
    """The key by which cross-posted copies are one story.

    The canonical URL of the page the post is about, when it links one; else the hash of
    its words (case-folded, punctuation and spacing ignored: near-identical texts agree);
    else, for a post with neither, its own `identity` (empty posts are not one story).
    """
    canonical = canonical_url(story_url)
    if canonical and is_story_url(canonical):
        return _hash(f"url\x1f{canonical}")
    words = _WORD.findall(f"{title or ''} {text}".casefold())
    if not words:
        return _hash(f"post\x1f{identity}")
    return _hash(" ".join(words))


def first_link(urls: list[str] | tuple[str, ...]) -> str | None:
    """The first of `urls` that names a page (for a post that links several)."""
    for url in urls:
        if is_story_url(canonical_url(url)):
            return url
    return None


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:24]


def _tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _short_host(host: str) -> str:
    """'www.m.example.com' -> 'example.com' (a registrable name keeps its one dot)."""
    shorter = True
    while shorter:
        shorter = False
        for prefix in ("www.", "m.", "mobile.", "amp."):
            if host.startswith(prefix) and host.count(".") >= 2:
                host, shorter = host[len(prefix) :], True
    return host


def _amp_cache_original(host: str, path: str) -> str | None:
    """The page an AMP cache URL serves a copy of (`/c/s/example.com/a` -> https://...)."""
    if host.endswith(".cdn.ampproject.org") or host.endswith(".amp.cloudflare.com"):
        match = re.match(r"^/(?:[a-z]/)*?(s/)?([^/]+\.[^/]+)(/.*)?$", path)
    elif host in ("google.com", "www.google.com") and path.startswith("/amp/"):
        match = re.match(r"^/amp/(s/)?([^/]+\.[^/]+)(/.*)?$", path)
    else:
        return None
    if match is None:
        return None
    scheme = "https" if match.group(1) else "http"
    return f"{scheme}://{match.group(2)}{match.group(3) or ''}"


def _youtube(host: str, path: str, query: str) -> str | None:
    video: str | None = None
    if host == "youtu.be":
        video = path.strip("/").split("/")[0]
    elif host in _YOUTUBE_HOSTS:
        if path.rstrip("/") == "/watch":
            video = dict(parse_qsl(query)).get("v")
        elif path.startswith(("/shorts/", "/embed/", "/live/", "/v/")):
            video = path.split("/")[2]
    if not video or not re.fullmatch(r"[A-Za-z0-9_-]{6,20}", video):
        return None
    return f"https://youtube.com/watch?v={video}"


def _normal_path(path: str) -> str:
    # One spelling of each character (`%7E` and `~`, `%41` and `A`), escapes in upper case.
    # Segment by segment, so an escaped slash (%2F) stays one.
    path = "/".join(quote(unquote(segment), safe=_SEGMENT_SAFE) for segment in path.split("/"))
    if path.endswith("/amp") or path.endswith("/amp/"):
        path = path[: path.rindex("/amp")]
    elif path.endswith(".amp.html") or path.endswith(".amp.htm"):
        path = path.replace(".amp.htm", ".htm")
    while path.endswith("/"):
        path = path[:-1]
    return path
