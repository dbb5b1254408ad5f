DROP TABLE partner_reshares;
DROP TABLE partner_deliveries;
DROP TABLE partners;
DROP TABLE clarifications;
