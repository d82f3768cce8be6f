-- treatywatch schema v7: bounded runs.
--
-- `fetches.dropped`: entries of that fetch not stored (beyond the per-feed item cap, without any
-- identity, duplicates of an earlier entry's id): counted, never silent.
-- `page_backlog`: article pages a run did not fetch (per-source / per-run page caps, the source's time
-- budget, a transient failure); later runs fetch them and re-store the item with its full text.
-- `quiet` carries the first run's "history, never alert" decision over to that later run.

ALTER TABLE fetches ADD COLUMN dropped INTEGER DEFAULT 0;
-- `fetches.note`: what was odd but handled (a lying charset label corrected, repeated or recycled ids).
ALTER TABLE fetches ADD COLUMN note VARCHAR;

CREATE TABLE page_backlog (
    item_id    VARCHAR PRIMARY KEY,
    source_id  VARCHAR NOT NULL,
    url        VARCHAR NOT NULL,
    quiet      BOOLEAN NOT NULL DEFAULT false,
    reason     VARCHAR,
    attempts   INTEGER NOT NULL DEFAULT 0,
    added_at   TIMESTAMPTZ NOT NULL
);
