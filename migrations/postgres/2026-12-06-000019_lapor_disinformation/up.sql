-- The kind of false content a hoax verdict found (fabricated, manipulated, ...), filterable and
-- reported; LAPOR! tracking ids found by a list filter (index) and by `q` (the search text now
-- ends with the id, lower case, as the service writes it).
ALTER TABLE issues ADD COLUMN disinformation_type TEXT;
CREATE INDEX issues_lapor_id ON issues (lapor_id) WHERE lapor_id IS NOT NULL;
UPDATE issues SET search = search || chr(10) || lower(lapor_id) WHERE lapor_id IS NOT NULL;
