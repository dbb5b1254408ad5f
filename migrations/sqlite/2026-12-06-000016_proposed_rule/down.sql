ALTER TABLE issues DROP COLUMN proposed_rule;
