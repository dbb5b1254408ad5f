-- How many issues were merged into each issue (status `duplicate`, `duplicate_of` = its ref).
-- Kept by the merge, in the transaction that links the duplicate; a duplicate is final, so it
-- only ever rises. Lists and queues read an issue's duplicates only when it has any: nearly
-- every page has none, and the lookup was one statement of four per page.
ALTER TABLE issues ADD COLUMN merged_count INTEGER NOT NULL DEFAULT 0;
UPDATE issues SET merged_count = (SELECT count(*) FROM issues d WHERE d.duplicate_of = issues.ref)
WHERE ref IN (SELECT duplicate_of FROM issues WHERE duplicate_of IS NOT NULL);
