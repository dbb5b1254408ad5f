DROP TABLE routing_rules;
DROP TABLE issue_clocks;
