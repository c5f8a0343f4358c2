-- Security receipts (issue 8). The SHA-256 of each device certificate's SubjectPublicKeyInfo, so the database can
-- count devices whose key another device also holds (NULL for certificates stored before this migration or whose
-- DER did not parse); hourly counts of device-listener requests by authentication outcome; and indexes for the
-- window queries (finished updates, detected incidents, quarantines in the audit log).
ALTER TABLE device_certificates ADD COLUMN public_key_sha256 BYTEA NULL;
CREATE INDEX device_certificates_public_key ON device_certificates (public_key_sha256, device_id);

CREATE TABLE device_connection_tallies (
    hour_start BIGINT PRIMARY KEY,
    authenticated BIGINT NOT NULL CHECK (authenticated >= 0),
    refused BIGINT NOT NULL CHECK (refused >= 0),
    anonymous BIGINT NOT NULL CHECK (anonymous >= 0)
);

CREATE INDEX device_assignments_finished ON device_assignments (finished_at, status);
CREATE INDEX incidents_detected ON incidents (detected_at);
CREATE INDEX audit_entries_type_time ON audit_entries (type, time);
