-- treatywatch schema v8: no credentials in stored source URLs.
--
-- A feed URL with userinfo (https://user:pass@host/feed) was stored in clear in `sources.url` (and so
-- shown by `v_source_health`); runs now store it as https://***@host/feed, as `fetches.url` always
-- did. This scrubs what earlier runs stored.

UPDATE sources SET url = regexp_replace(url, '^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@', '\1***@')
WHERE regexp_matches(url, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@');
