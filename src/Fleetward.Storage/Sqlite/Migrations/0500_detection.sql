CREATE TABLE telemetry_latest (
    device_id TEXT PRIMARY KEY,
    sequence INTEGER NOT NULL,
    sampled_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    report TEXT NOT NULL
);

CREATE TABLE telemetry_history (
    device_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    sampled_at INTEGER NOT NULL,
    cpu_percent REAL NOT NULL,
    memory_used_bytes INTEGER NOT NULL,
    bytes_in INTEGER NOT NULL,
    bytes_out INTEGER NOT NULL,
    tcp_connections INTEGER NOT NULL,
    process_count INTEGER NOT NULL,
    PRIMARY KEY (device_id, sequence)
);

CREATE TABLE detection_device_snapshots (
    device_id TEXT PRIMARY KEY,
    saved_at INTEGER NOT NULL,
    snapshot TEXT NOT NULL
);

CREATE TABLE detection_model_snapshots (
    model TEXT PRIMARY KEY,
    saved_at INTEGER NOT NULL,
    snapshot TEXT NOT NULL
);

CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    cause TEXT NOT NULL,
    severity INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('detected', 'contained', 'eradicated', 'recovered', 'dismissed')),
    summary TEXT NOT NULL,
    first_anomalous_at INTEGER NOT NULL,
    detected_at INTEGER NOT NULL,
    contained_at INTEGER NULL,
    eradicated_at INTEGER NULL,
    recovered_at INTEGER NULL,
    dismissed_at INTEGER NULL,
    last_detected_at INTEGER NOT NULL,
    detection_count INTEGER NOT NULL,
    signals TEXT NOT NULL,
    timeline TEXT NOT NULL
);
CREATE UNIQUE INDEX incidents_one_open ON incidents (device_id, cause) WHERE status IN ('detected', 'contained', 'eradicated');
CREATE INDEX incidents_device ON incidents (device_id, id);
CREATE INDEX incidents_status ON incidents (status, id);

CREATE TABLE incident_actions (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    taken_at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (incident_id, action, taken_at)
);

CREATE TABLE device_commands (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    incident_id TEXT NULL,
    envelope TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'completed', 'refused', 'failed')),
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    delivered_at INTEGER NULL,
    completed_at INTEGER NULL,
    outcome TEXT NULL
);
CREATE INDEX device_commands_device ON device_commands (device_id, status, issued_at);

CREATE TABLE siem_outbox (
    id INTEGER PRIMARY KEY,
    sink TEXT NOT NULL,
    event TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT NULL
);
CREATE INDEX siem_outbox_due ON siem_outbox (sink, next_attempt_at, id);
