DROP TABLE calendar_digests;
