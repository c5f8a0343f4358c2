-- Rollouts (issue 5). Percentages are exact decimal text; durations are whole seconds; times are Unix milliseconds.
CREATE TABLE rollouts (
    id TEXT PRIMARY KEY,
    release_id TEXT NOT NULL,
    release_version TEXT NOT NULL,
    release_security_version BIGINT NOT NULL,
    release_channel TEXT NOT NULL CHECK (release_channel IN ('stable', 'security')),
    selection_json TEXT NOT NULL,
    error_failed_count INTEGER NULL,
    error_failed_percent TEXT NULL,
    error_minimum_finished INTEGER NOT NULL,
    error_action TEXT NOT NULL CHECK (error_action IN ('pause', 'abort')),
    max_devices_per_minute INTEGER NULL,
    install_timeout_seconds BIGINT NOT NULL,
    max_retries INTEGER NOT NULL,
    security_bypasses_windows INTEGER NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'running', 'paused', 'completed', 'aborted', 'cancelled')),
    current_ring INTEGER NOT NULL,
    status_reason TEXT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    started_at BIGINT NULL,
    finished_at BIGINT NULL
);
CREATE INDEX rollouts_status ON rollouts (status, created_at);

CREATE TABLE rollout_maintenance_windows (
    rollout_id TEXT NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    cron TEXT NOT NULL,
    duration_seconds BIGINT NOT NULL,
    time_zone TEXT NOT NULL,
    PRIMARY KEY (rollout_id, idx)
);

CREATE TABLE rollout_rings (
    rollout_id TEXT NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    cumulative_percent TEXT NOT NULL,
    minimum_soak_seconds BIGINT NOT NULL,
    success_threshold_percent TEXT NOT NULL,
    requires_approval INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'soaking', 'awaiting-approval', 'passed', 'failed')),
    target_devices INTEGER NOT NULL,
    succeeded INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    reverted INTEGER NOT NULL,
    acknowledged_failed INTEGER NOT NULL,
    acknowledged_finished INTEGER NOT NULL,
    activated_at BIGINT NULL,
    soak_started_at BIGINT NULL,
    finished_at BIGINT NULL,
    PRIMARY KEY (rollout_id, idx)
);

CREATE TABLE device_assignments (
    rollout_id TEXT NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    ring_index INTEGER NOT NULL,
    bucket INTEGER NOT NULL CHECK (bucket >= 0 AND bucket < 10000),
    previous_version TEXT NULL,
    status TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    failure_reason TEXT NULL,
    version BIGINT NOT NULL,
    assigned_at BIGINT NOT NULL,
    status_changed_at BIGINT NOT NULL,
    attempt_started_at BIGINT NULL,
    downloading_at BIGINT NULL,
    downloaded_at BIGINT NULL,
    installing_at BIGINT NULL,
    rebooting_at BIGINT NULL,
    verifying_at BIGINT NULL,
    rollback_ordered_at BIGINT NULL,
    finished_at BIGINT NULL,
    PRIMARY KEY (rollout_id, device_id)
);
-- Rate limit: assignments of a rollout in the last minute.
CREATE INDEX device_assignments_assigned ON device_assignments (rollout_id, assigned_at);
-- Effects (withdraw, roll back) and status counts.
CREATE INDEX device_assignments_status ON device_assignments (rollout_id, status, device_id);
-- Check-in: a device's assignments.
CREATE INDEX device_assignments_device ON device_assignments (device_id, status);
-- Install timeouts.
CREATE INDEX device_assignments_attempt ON device_assignments (rollout_id, attempt_started_at);

CREATE TABLE device_software (
    device_id TEXT PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    release_id TEXT NULL,
    version TEXT NULL,
    security_version BIGINT NULL,
    slot TEXT NULL,
    health TEXT NULL,
    checked_in_at BIGINT NOT NULL
);
