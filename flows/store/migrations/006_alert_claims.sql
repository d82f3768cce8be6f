-- treatywatch schema v6: who is sending an alert.
--
-- `alerts.claimed_by` is set by the compare-and-set that moves a row from `pending` to `sending`
-- ("host:pid:token" of the delivering process). Only the process whose UPDATE moved the row sends it,
-- and a later run treats a `sending` row as interrupted only when its claimant is gone (or its claim
-- is older than the lease), so two overlapping runs can never both send one alert.

ALTER TABLE alerts ADD COLUMN claimed_by VARCHAR;
