-- The name of the routing rule that proposed the issue's unit, as it was when the issue was
-- filed (rules are renamed and deleted later): the triage board says why it proposes a unit.
ALTER TABLE issues ADD COLUMN proposed_rule TEXT;
