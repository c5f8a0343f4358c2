-- Geofences per device model and per device (issue 7): at most one set of areas per subject, stored as JSON
-- (circles and polygons in WGS 84 degrees), read whole by the ingest path and the operator API.
CREATE TABLE geofences (
    scope TEXT NOT NULL CHECK (scope IN ('model', 'device')),
    subject TEXT NOT NULL,
    areas TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (scope, subject)
);
