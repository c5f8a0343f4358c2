CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    secret_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NULL,
    revoked_at INTEGER NULL,
    last_used_at INTEGER NULL
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    hardware_revision TEXT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'quarantined', 'decommissioned')),
    created_at INTEGER NOT NULL,
    first_seen_at INTEGER NULL,
    last_seen_at INTEGER NULL
);
CREATE INDEX devices_state ON devices (state, id);
CREATE INDEX devices_model ON devices (model, id);

CREATE TABLE device_tags (
    device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (device_id, tag)
);
CREATE INDEX device_tags_tag ON device_tags (tag, device_id);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL
);
INSERT INTO audit_head (id, size) VALUES (1, 0);

CREATE TABLE audit_entries (
    idx INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    time INTEGER NOT NULL,
    actor TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload TEXT NOT NULL
);
