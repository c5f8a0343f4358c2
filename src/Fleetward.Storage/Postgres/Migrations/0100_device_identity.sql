CREATE TABLE device_certificates (
    serial TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    not_before BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    revoked_at BIGINT NULL,
    revocation_reason TEXT NULL,
    der BYTEA NOT NULL
);
CREATE INDEX device_certificates_device ON device_certificates (device_id, issued_at);
CREATE INDEX device_certificates_revoked ON device_certificates (revoked_at, not_after);

CREATE TABLE crl_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    number BIGINT NOT NULL
);
INSERT INTO crl_counter (id, number) VALUES (1, 0);

CREATE TABLE enrollment_groups (
    name TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    tags TEXT NOT NULL,
    cert_lifetime_seconds BIGINT NOT NULL,
    approval TEXT NOT NULL CHECK (approval IN ('auto', 'manual')),
    created_at BIGINT NOT NULL
);

CREATE TABLE enrollment_group_factory_cas (
    group_name TEXT NOT NULL REFERENCES enrollment_groups (name) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    der BYTEA NOT NULL,
    PRIMARY KEY (group_name, position)
);

CREATE TABLE enrollment_tokens (
    id TEXT PRIMARY KEY,
    group_name TEXT NOT NULL REFERENCES enrollment_groups (name),
    device_id TEXT NOT NULL,
    secret_hash BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    consumed_at BIGINT NULL
);

CREATE TABLE device_enrollments (
    device_id TEXT PRIMARY KEY,
    group_name TEXT NOT NULL REFERENCES enrollment_groups (name)
);
