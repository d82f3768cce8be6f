-- treatywatch schema v3: operator controls and the article-page fetch log.
--
-- `source_health.state` gains the value `disabled_by_hand` (set by `treatywatch sources --disable`):
-- unlike an auto-disabled source (`disabled`, probed once a day), it is never fetched until
-- `treatywatch sources --enable` resets it. `source_health_events.kind` gains `enabled`; a hand
-- `disabled` event says "by hand" in its message and has no run_id. Both are values, not columns,
-- so this migration only documents them.
--
-- `fetches` now also logs article pages whose full-text fetch failed (the item keeps its summary).
-- `kind` tells them apart from feed fetches; page rows never count in a source's health score.

ALTER TABLE fetches ADD COLUMN kind VARCHAR DEFAULT 'feed';   -- feed | page
ALTER TABLE fetches ADD COLUMN item_id VARCHAR;               -- page rows: the item whose page failed
