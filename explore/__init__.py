"""Earshot Explore: the local web app to browse, search, preview and correct what Earshot heard.

Server-rendered pages (FastAPI + Jinja2, autoescaped) and a JSON API over the read-only
analytics copy; the only writes are corrections, through the writer lock. Explore imports
`earshot.reports`, `earshot.warehouse` and `earshot.nlp`, never `earshot.pipelines`: the CLI
hands it an `ExploreSettings` (`explore/settings.py`) built from the loaded config.

How a page registers its routes: each page module (`explore/<page>.py`) defines one
`router = APIRouter()` with its HTML page(s) and their `/api/...` twins, and `explore/app.py`
includes the fixed list `PAGE_MODULES` in order. A page reads the warehouse through
`explore.deps.reader(request)` (a cursor on the current analytics copy) or, for what depends
on the copy alone, `explore.deps.memo(request, key, compute)` (computed once per published
copy: a week's digest), renders with
`explore.render.page(request, "<template>.html", **context)` (which adds the layout's
language strings, the CSRF token and the week picker), and takes figures only from the
digest's code (`reports.digest.build_digest`, `warehouse.digest_queries`,
`warehouse.digest_posts`, `warehouse.questions`). Templates live in `explore/templates/` and
extend `base.html`; CSS and JS in `explore/static/` (no inline script or style: the CSP
forbids them).

The `search` and `preview` pages (`/search`, `/preview`, `explore/search.py`,
`explore/preview.py`) search the full-text index (`warehouse.search`). `/api/posts?q=` (and
`/posts?q=`) takes the same index's hits (`warehouse.search.search_docs`, `_posts.rowid`s:
what `/search` finds) as `warehouse.post_lists.PostFilter.rowids`; a text without a word is
a 400 on `q`.
"""
