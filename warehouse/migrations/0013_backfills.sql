-- Backfills: a source's history fetched back to a date (`earshot backfill`). Each page's posts
-- and the backfill's progress (the platform's cursor, window or page to go on from) commit in
-- one transaction, so a killed backfill goes on where it stopped. A backfill never touches
-- the source's incremental state in _sources.
CREATE TABLE _backfills (
    backfill_id  VARCHAR PRIMARY KEY,
    source_id    VARCHAR NOT NULL,
    since        TIMESTAMPTZ NOT NULL,        -- inclusive
    until        TIMESTAMPTZ NOT NULL,        -- exclusive
    progress     JSON NOT NULL DEFAULT '{}',  -- the listener's own: where the next page starts
    load_id      VARCHAR NOT NULL,            -- the load of its latest run (each run is a load)
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ,                 -- NULL: not finished (running, or stopped)
    status       VARCHAR NOT NULL CHECK (status IN ('running', 'done', 'superseded')),
    pages        INTEGER NOT NULL DEFAULT 0,
    posts_added  BIGINT NOT NULL DEFAULT 0,
    reached      TIMESTAMPTZ,                 -- the oldest time its pages reached so far
    exhausted    BOOLEAN NOT NULL DEFAULT false  -- the listing ended before `since`: the
                                                 -- history reaches only back to `reached`
);
