-- treatywatch schema v1. Stable, documented tables and views that users query with SQL.
-- Timestamps are TIMESTAMPTZ in UTC. Lists are DuckDB lists. JSON columns hold small records.

CREATE TABLE sources (
    source_id            VARCHAR PRIMARY KEY,
    kind                 VARCHAR NOT NULL,
    url                  VARCHAR NOT NULL,
    lang                 VARCHAR,
    source_group         VARCHAR,
    etag                 VARCHAR,          -- validators for the next conditional GET
    last_modified        VARCHAR,
    body_hash            VARCHAR,          -- servers lie about ETags: the body hash decides "unchanged"
    first_seen_at        TIMESTAMPTZ NOT NULL,
    last_attempt_at      TIMESTAMPTZ,
    last_success_at      TIMESTAMPTZ,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error_kind      VARCHAR,
    last_error           VARCHAR
);

CREATE TABLE runs (
    run_id         VARCHAR PRIMARY KEY,
    started_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ,
    sources_ok     INTEGER,
    sources_failed INTEGER,
    new_items      INTEGER,
    new_events     INTEGER,
    alerts_sent    INTEGER,
    alerts_failed  INTEGER
);

CREATE TABLE fetches (
    run_id      VARCHAR NOT NULL,
    source_id   VARCHAR NOT NULL,
    url         VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    status      INTEGER,                   -- HTTP status; 0 when no response
    latency_ms  INTEGER,
    bytes       BIGINT,
    items       INTEGER,                   -- entries in the document
    new_items   INTEGER,                   -- entries not seen before (or changed)
    error_kind  VARCHAR,                   -- NULL on success; timeout, connect, http_status, not_a_feed, ...
    error       VARCHAR
);

CREATE TABLE items (
    item_id       VARCHAR PRIMARY KEY,
    source_id     VARCHAR NOT NULL,
    url           VARCHAR,
    guid          VARCHAR,
    title         VARCHAR,
    summary       VARCHAR,
    text          VARCHAR,
    lang          VARCHAR,
    published     TIMESTAMPTZ,
    content_hash  VARCHAR NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    fetched_at    TIMESTAMPTZ NOT NULL    -- last time the content changed or was first stored
);

CREATE TABLE events (
    event_id          VARCHAR PRIMARY KEY,
    item_id           VARCHAR NOT NULL,
    family            VARCHAR NOT NULL,    -- termination | partnership
    type              VARCHAR NOT NULL,    -- termination, suspension, withdrawal, partnership_signed, partnership_strengthened
    actor             VARCHAR NOT NULL,    -- ISO 3166-1 alpha-2 or EU/NATO/CSTO/CIS/CoE
    counterparts      VARCHAR[] NOT NULL,
    domain            VARCHAR NOT NULL,
    stage             VARCHAR,
    evidence          VARCHAR NOT NULL,
    span_start        INTEGER,
    span_end          INTEGER,
    confidence        DOUBLE NOT NULL,
    rule              VARCHAR NOT NULL,
    flags             VARCHAR[] NOT NULL,
    officials         JSON,
    dates             DATE[],
    lang              VARCHAR,
    extractor_version VARCHAR,
    detected_at       TIMESTAMPTZ NOT NULL,
    cluster_id        VARCHAR              -- the real-world event this mention belongs to
);

CREATE TABLE event_parties (
    event_id VARCHAR NOT NULL,
    party    VARCHAR NOT NULL,
    role     VARCHAR NOT NULL,             -- actor | counterpart
    PRIMARY KEY (event_id, party, role)
);

-- One real-world event, reported by one or more mentions (events rows) across outlets, languages
-- and days. Alerts are about clusters, so five outlets give one alert.
CREATE TABLE clusters (
    cluster_id       VARCHAR PRIMARY KEY,
    family           VARCHAR NOT NULL,
    type             VARCHAR NOT NULL,     -- the most specific type seen
    actor            VARCHAR NOT NULL,
    parties          VARCHAR[] NOT NULL,   -- sorted union of actor and counterparts over all mentions
    domain           VARCHAR NOT NULL,
    stage            VARCHAR NOT NULL,     -- furthest lifecycle stage seen
    official         BOOLEAN NOT NULL,     -- confirmed by an official legal portal (source group `legal`)
    confidence       DOUBLE NOT NULL,      -- rises with independent sources and official confirmation
    mentions         INTEGER NOT NULL,
    sources          VARCHAR[] NOT NULL,   -- distinct source ids
    first_seen_at    TIMESTAMPTZ NOT NULL,
    last_seen_at     TIMESTAMPTZ NOT NULL,
    alerted_parties  VARCHAR[],            -- the state last promised to alerts (NULL: never alerted)
    alerted_stage    VARCHAR,
    alerted_official BOOLEAN
);

-- The alert ledger: one row per (subject, change, destination), written BEFORE sending.
CREATE TABLE alerts (
    alert_id        VARCHAR PRIMARY KEY,
    kind            VARCHAR NOT NULL,      -- event | update | health | digest
    subject_id      VARCHAR NOT NULL,      -- cluster_id (event, update), source id or 'runs' (health)
    event_id        VARCHAR,               -- the mention that caused it (event, update)
    change          VARCHAR NOT NULL,      -- new | parties:+XX,YY | stage:ratified | official | a health reason
    payload         JSON,                  -- health: {title, message}
    destination_key VARCHAR NOT NULL,      -- hash of the apprise URL; the URL itself is never stored
    destination     VARCHAR NOT NULL,      -- privacy-masked URL, safe to show
    tag             VARCHAR NOT NULL,      -- the apprise tag that routed it (termination, partnership, health)
    mode            VARCHAR NOT NULL DEFAULT 'immediate',  -- immediate | digest
    status          VARCHAR NOT NULL,      -- pending | sending | sent | uncertain | superseded | given_up
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      VARCHAR,
    created_at      TIMESTAMPTZ NOT NULL,
    not_before      TIMESTAMPTZ,           -- debounce, digest schedule or retry backoff
    last_attempt_at TIMESTAMPTZ,
    sent_at         TIMESTAMPTZ,
    digest_id       VARCHAR                -- the digest message that carried it
);

CREATE VIEW v_events AS
SELECT e.event_id, e.cluster_id, e.family, e.type, e.actor, e.counterparts, e.domain, e.stage, e.confidence,
       e.flags, e.evidence, e.rule, e.officials, e.dates, e.lang, e.detected_at,
       i.item_id, i.source_id, i.title AS item_title, i.url AS item_url, i.published
FROM events e JOIN items i USING (item_id);

CREATE VIEW v_clusters AS
SELECT c.*, (SELECT list(e.event_id ORDER BY e.detected_at) FROM events e WHERE e.cluster_id = c.cluster_id) AS event_ids
FROM clusters c;

CREATE VIEW v_alerts AS
SELECT a.alert_id, a.kind, a.change, a.status, a.mode, a.attempts, a.destination, a.tag, a.last_error,
       a.created_at, a.not_before, a.sent_at, a.subject_id, c.type, c.actor, c.parties
FROM alerts a LEFT JOIN clusters c ON c.cluster_id = a.subject_id;

CREATE VIEW v_source_health AS
SELECT s.source_id, s.kind, s.source_group, s.url, s.last_success_at, s.last_attempt_at,
       s.consecutive_failures, s.last_error_kind, s.last_error,
       (SELECT count(*) FROM items i WHERE i.source_id = s.source_id) AS items
FROM sources s;
