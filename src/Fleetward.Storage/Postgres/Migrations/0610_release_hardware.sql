-- Security receipts (issue 8): the hardware models each release is built for, one row per model, so "the latest
-- release of a device's model" is an indexed join in the same SQL on both engines (releases.hardware_ids keeps the
-- JSON list as the release was submitted). A release with no row is built for every model. Existing releases are
-- copied over from their JSON list; rollouts get an index by release for the "only aborted rollouts" test.
CREATE TABLE release_hardware (
    release_id TEXT NOT NULL REFERENCES releases (id),
    hardware_id TEXT NOT NULL,
    PRIMARY KEY (release_id, hardware_id)
);
CREATE INDEX release_hardware_model ON release_hardware (hardware_id, release_id);

INSERT INTO release_hardware (release_id, hardware_id)
SELECT DISTINCT r.id, h.value FROM releases r, jsonb_array_elements_text(r.hardware_ids::jsonb) AS h (value);

CREATE INDEX rollouts_release ON rollouts (release_id, status);
