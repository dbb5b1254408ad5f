-- Evidence files (screenshots, photos, short videos, PDFs) in the database: the file's backup
-- (`tanggap backup`) and restore carry them, and a file is written in the same transaction as
-- its audit event (nothing half-written). Stored as received after its metadata was stripped;
-- `sha256` is of the stored bytes.
CREATE TABLE evidence_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    issue_id BIGINT NOT NULL REFERENCES issues (id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX evidence_files_issue ON evidence_files (issue_id, id);
