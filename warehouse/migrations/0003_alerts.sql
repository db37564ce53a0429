-- Alerts sent by the `alert` flow: one row per notification, so a spike is announced once per
-- cooldown (the flow skips a topic/kind whose last alert is younger than the cooldown).
CREATE TABLE _alerts (
    alert_id   VARCHAR PRIMARY KEY,
    topic_id   VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,          -- 'volume' | 'negative'
    fired_at   TIMESTAMPTZ NOT NULL,
    posts      BIGINT NOT NULL,
    baseline   DOUBLE NOT NULL,
    z          DOUBLE NOT NULL,
    channels   VARCHAR[] NOT NULL,        -- where it went: 'email', 'webhook'
    details    JSON
);
