-- treatywatch schema v2: source health (failure score, backoff, auto-disable) and its transitions.
-- `sources.consecutive_failures` (v1) keeps counting attempts; `source_health.score` weighs them.

CREATE TABLE source_health (
    source_id        VARCHAR PRIMARY KEY,
    state            VARCHAR NOT NULL,     -- ok | failing | disabled
    score            DOUBLE NOT NULL,      -- sum of failure weights since the last success (hard 1, soft 0.5)
    next_attempt_at  TIMESTAMPTZ,          -- NULL: fetch on every run; otherwise not before this time
    last_items       INTEGER,              -- entries in the last successful parse (to spot a feed gone empty)
    first_success_at TIMESTAMPTZ,          -- NULL until the first success: that run is the source's "first run"
    updated_at       TIMESTAMPTZ NOT NULL
);

-- One row per health transition; the alert side routes these with the apprise tag `health`.
CREATE TABLE source_health_events (
    health_event_id VARCHAR PRIMARY KEY,
    source_id       VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,      -- failing | disabled | recovered
    message         VARCHAR NOT NULL,
    score           DOUBLE,
    run_id          VARCHAR,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE OR REPLACE VIEW v_source_health AS
SELECT s.source_id, s.kind, s.source_group, s.url, s.last_success_at, s.last_attempt_at,
       s.consecutive_failures, s.last_error_kind, s.last_error,
       (SELECT count(*) FROM items i WHERE i.source_id = s.source_id) AS items,
       coalesce(h.state, 'new') AS state, coalesce(h.score, 0) AS score, h.next_attempt_at,
       h.last_items, h.first_success_at
FROM sources s LEFT JOIN source_health h USING (source_id);
