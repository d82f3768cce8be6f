-- treatywatch schema v4: analysts' feedback on clusters, so a wrong alert stops and becomes test data.
--
-- One row per mark; the latest mark of a cluster wins and the history stays. `verdict`:
--   correct  the cluster is right as extracted
--   wrong    no such event: the cluster is never alerted again (pending alerts are superseded)
--   parties  the event is real but its actor/counterparts are wrong (corrected values given)
--   type     the event is real but its type is wrong (corrected type given)

CREATE TABLE feedback (
    feedback_id  VARCHAR PRIMARY KEY,
    cluster_id   VARCHAR NOT NULL,
    verdict      VARCHAR NOT NULL,
    actor        VARCHAR,              -- corrected actor (verdict parties)
    counterparts VARCHAR[],            -- corrected counterparts (verdict parties)
    type         VARCHAR,              -- corrected type (verdict type)
    note         VARCHAR,
    marked_by    VARCHAR NOT NULL,     -- the analyst: TREATYWATCH_ANALYST, else the OS user
    marked_at    TIMESTAMPTZ NOT NULL
);

-- The mark in force per cluster (latest wins).
CREATE VIEW v_feedback AS
SELECT * EXCLUDE (rn) FROM (
    SELECT f.*, row_number() OVER (PARTITION BY cluster_id ORDER BY marked_at DESC, feedback_id DESC) AS rn
    FROM feedback f
) WHERE rn = 1;

-- Clusters with the analyst's verdict and corrections beside what was extracted.
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

-- Precision from feedback: per rule, per source and per confidence band, over reviewed mentions.
-- A mention counts as correct when its cluster is marked correct, or marked parties/type (the
-- event is real; `exact` then says whether it needed no correction).
CREATE VIEW v_precision AS
WITH reviewed AS (
    SELECT e.event_id, e.rule, i.source_id, e.confidence,
           CASE WHEN e.confidence >= 0.9 THEN '0.9-1.0' WHEN e.confidence >= 0.8 THEN '0.8-0.9'
                WHEN e.confidence >= 0.7 THEN '0.7-0.8' WHEN e.confidence >= 0.6 THEN '0.6-0.7'
                ELSE '<0.6' END AS band,
           f.verdict
    FROM events e JOIN items i USING (item_id) JOIN v_feedback f ON f.cluster_id = e.cluster_id
)
SELECT 'rule' AS dimension, rule AS value, count(*) AS reviewed,
       count(*) FILTER (WHERE verdict <> 'wrong') AS real_events,
       count(*) FILTER (WHERE verdict = 'correct') AS exact,
       round(count(*) FILTER (WHERE verdict <> 'wrong') / count(*), 3) AS precision
FROM reviewed GROUP BY rule
UNION ALL
SELECT 'source', source_id, count(*), count(*) FILTER (WHERE verdict <> 'wrong'),
       count(*) FILTER (WHERE verdict = 'correct'), round(count(*) FILTER (WHERE verdict <> 'wrong') / count(*), 3)
FROM reviewed GROUP BY source_id
UNION ALL
SELECT 'confidence', band, count(*), count(*) FILTER (WHERE verdict <> 'wrong'),
       count(*) FILTER (WHERE verdict = 'correct'), round(count(*) FILTER (WHERE verdict <> 'wrong') / count(*), 3)
FROM reviewed GROUP BY band;
