"""Posts with German and English words in several inflections, planted into a copy of the
generated history (tests/reports/history.py) for the search and query-preview tests."""

from __future__ import annotations

from datetime import timedelta

from earshot.listeners.records import Post
from earshot.nlp.records import Annotation, TopicMatch
from earshot.warehouse.annotations import store_annotations
from earshot.warehouse.search_index import refresh_search_index
from earshot.warehouse.sources import insert_posts
from tests.reports.history import NOW, W47_MONDAY, History

TEXTS = {
    # name: (text, lang, weeks before W47, topics, sentiment, question, likes, source)
    "de-service": (
        "Die Kundenservices der Stadtwerke waren heute langsam.",
        "de",
        0,
        ("service",),
        "negative",
        False,
        3,
        "blog",
    ),
    "de-service-2": (
        "Unser Kundenservice hilft sofort, danke!",
        "de",
        1,
        ("service",),
        "positive",
        False,
        40,
        "forum",
    ),
    "de-question": (
        "Wie erreiche ich den Kundenservice am Wochenende?",
        "de",
        0,
        ("service",),
        "neutral",
        True,
        7,
        "blog",
    ),
    "de-houses": (
        "Die Häuser in der Altstadt bekommen Wärmepumpen.",
        "de",
        2,
        ("climate",),
        "neutral",
        False,
        1,
        "forum",
    ),
    "en-customers": (
        "Customers complained about the slow hotline.",
        "en",
        0,
        ("service",),
        "negative",
        False,
        12,
        "forum",
    ),
    "own-service": (
        "Unser Kundenservice ist jetzt auch abends erreichbar.",
        "de",
        0,
        ("service",),
        "positive",
        False,
        5,
        "own",
    ),
}


def plant(h: History) -> dict[str, str]:
    """Store `TEXTS` (with their annotations) and index them; name -> post_id."""
    posts, annotations, ids = [], [], {}
    for name, (text, lang, weeks, topics, label, question, likes, source) in TEXTS.items():
        p = Post(
            platform="feed",
            source_id=source,
            external_id=f"search-{name}",
            url=f"https://example.org/search/{name}",
            author=f"author-{name}",
            author_handle=None,
            title=None,
            text=text,
            lang_hint=lang,
            published_at=W47_MONDAY - timedelta(weeks=weeks, hours=-5),
            fetched_at=NOW,
            likes=likes,
        )
        posts.append(p)
        ids[name] = p.post_id
        annotations.append(
            Annotation(
                post_id=p.post_id,
                lang=lang,
                lang_score=0.99,
                sentiment={"negative": -0.6, "neutral": 0.0, "positive": 0.6}[label],
                sentiment_label=label,
                is_question=question,
                key_terms=(),
                topics=tuple(TopicMatch(t, None, (t,)) for t in topics),
            )
        )
    insert_posts(h.con, posts, "load-search")
    store_annotations(h.con, annotations, pipeline_version="t.v1", load_id="load-search")
    refresh_search_index(h.con)
    return ids
