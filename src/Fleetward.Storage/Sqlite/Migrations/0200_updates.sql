CREATE TABLE tuf_metadata (
    role TEXT NOT NULL,
    version INTEGER NOT NULL,
    content BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (role, version)
);

CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    security_version INTEGER NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('stable', 'security')),
    target_path TEXT NOT NULL UNIQUE,
    targets_role TEXT NOT NULL,
    hardware_ids TEXT NOT NULL,
    length INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    sha512 TEXT NOT NULL,
    sbom_sha256 TEXT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'signed')),
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    targets_version INTEGER NULL,
    signed_at INTEGER NULL
);
CREATE INDEX releases_version ON releases (version, channel);
CREATE INDEX releases_created ON releases (created_at, id);

CREATE TABLE release_signatures (
    release_id TEXT NOT NULL REFERENCES releases (id),
    key_id TEXT NOT NULL,
    role TEXT NOT NULL,
    signed_at INTEGER NOT NULL,
    PRIMARY KEY (release_id, key_id, role)
);
CREATE INDEX release_signatures_key ON release_signatures (key_id, signed_at);
