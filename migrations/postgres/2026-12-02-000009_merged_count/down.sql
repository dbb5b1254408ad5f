ALTER TABLE issues DROP COLUMN merged_count;
