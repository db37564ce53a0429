"""Earshot: listen before you send. Social listening for organisations.

One installed package; its parts are folders at the repository's top level, mapped in here:
`earshot.listeners` (the web -> `Post` records), `earshot.nlp` (texts -> annotations),
`earshot.warehouse` (DuckDB), `earshot.reports` (digest, alerts), `earshot.explore` (the
local web app), `earshot.pipelines`
(Prefect flows, CLI, config; the one layer that sees all others).
"""
