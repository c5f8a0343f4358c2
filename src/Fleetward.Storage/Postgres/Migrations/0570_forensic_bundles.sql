-- Forensic bundles a device uploaded for an upload-forensics command (issue 7, forensic log pull): one per command,
-- kept whole with the SHA-256 of the bytes as received.
CREATE TABLE forensic_bundles (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    command_id TEXT NOT NULL UNIQUE,
    incident_id TEXT,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    content BYTEA NOT NULL
);
CREATE INDEX forensic_bundles_device ON forensic_bundles (device_id, received_at);
