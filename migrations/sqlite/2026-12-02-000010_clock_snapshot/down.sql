ALTER TABLE issues DROP COLUMN clocks_version;
ALTER TABLE issues DROP COLUMN clocks;
