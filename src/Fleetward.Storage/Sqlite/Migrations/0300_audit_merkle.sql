-- RFC 6962 Merkle log over audit_entries: every perfect-subtree hash, written once in the same transaction as
-- its leaf (level 0 holds the leaf hashes), and the signed checkpoints (C2SP tlog-checkpoint) of the log key.
CREATE TABLE audit_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 62),
    idx INTEGER NOT NULL CHECK (idx >= 0),
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

CREATE TABLE audit_checkpoints (
    tree_size INTEGER PRIMARY KEY CHECK (tree_size >= 0),
    root_hash BLOB NOT NULL CHECK (length(root_hash) = 32),
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
