-- treatywatch schema v5: the instrument an event is about (which treaty, agreement or body).
--
-- `instrument_text` is the instrument as the evidence writes it ('' when unnamed), `instrument_id`
-- the registry id (config/registry/, e.g. CFE, ECOWAS, NEW_START; NULL when not a registry body),
-- `instrument_kind` bilateral | multilateral | organisation. Rows stored before v5 keep NULLs.
-- A cluster keeps the instrument of its mentions: two treaties left by one state on one day are
-- two clusters.

ALTER TABLE events ADD COLUMN instrument_text VARCHAR;
ALTER TABLE events ADD COLUMN instrument_id VARCHAR;
ALTER TABLE events ADD COLUMN instrument_kind VARCHAR;
ALTER TABLE clusters ADD COLUMN instrument_text VARCHAR;
ALTER TABLE clusters ADD COLUMN instrument_id VARCHAR;
ALTER TABLE clusters ADD COLUMN instrument_kind VARCHAR;

CREATE OR REPLACE VIEW v_events AS
SELECT e.event_id, e.cluster_id, e.family, e.type, e.actor, e.counterparts, e.domain, e.stage, e.confidence,
       e.flags, e.evidence, e.rule, e.officials, e.dates, e.lang, e.detected_at,
       i.item_id, i.source_id, i.title AS item_title, i.url AS item_url, i.published,
       e.instrument_text, e.instrument_id, e.instrument_kind
FROM events e JOIN items i USING (item_id);

-- v_clusters as in v4 (with the analysts' review), now also carrying the instrument columns (c.*).
CREATE OR REPLACE VIEW v_clusters AS
SELECT c.*,
       (SELECT list(e.event_id ORDER BY e.detected_at) FROM events e WHERE e.cluster_id = c.cluster_id) AS event_ids,
       f.verdict AS review, f.note AS review_note, f.marked_by AS reviewed_by, f.marked_at AS reviewed_at,
       coalesce(f.type, c.type) AS type_reviewed,
       coalesce(f.actor, c.actor) AS actor_reviewed,
       CASE WHEN f.actor IS NOT NULL OR f.counterparts IS NOT NULL
            THEN list_sort(list_distinct(list_concat([coalesce(f.actor, c.actor)], coalesce(f.counterparts, []))))
            ELSE c.parties END AS parties_reviewed
FROM clusters c LEFT JOIN v_feedback f USING (cluster_id);
