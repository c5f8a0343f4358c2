-- RFC 6962 Merkle log over audit_entries: every perfect-subtree hash, written once in the same transaction as
-- its leaf (level 0 holds the leaf hashes), and the signed checkpoints (C2SP tlog-checkpoint) of the log key.
CREATE TABLE audit_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 62),
    idx BIGINT NOT NULL CHECK (idx >= 0),
    hash BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE audit_checkpoints (
    tree_size BIGINT PRIMARY KEY CHECK (tree_size >= 0),
    root_hash BYTEA NOT NULL CHECK (octet_length(root_hash) = 32),
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
