using Fleetward.Core.Devices;
using Fleetward.Core.Ports;
using Fleetward.Core.Telemetry;

namespace Fleetward.Integration.Tests.Detection;

/// <summary>A batch whose unit of work fails to commit leaves nothing behind, and the device's retry is scored, not stale.</summary>
public sealed class FailingCommitTests
{
    [Fact]
    public async Task A_failed_commit_is_rolled_back_and_the_retry_is_scored()
    {
        var failing = new CommitFailingStore();
        await using var rig = await DetectionRig.StartAsync(TestEngine.Sqlite, new DateTimeOffset(2026, 11, 21, 8, 0, 0, TimeSpan.Zero), wrap: s => failing.Wrap(s));
        var device = await rig.AddDeviceAsync("rover-1", "rover-x");
        var report = new TelemetryReport
        {
            DeviceId = device.Id,
            Sequence = 1,
            SampledAt = rig.Clock.Now.AddSeconds(-2),
            IntervalSeconds = 60,
            CpuPercent = 10,
            MemoryUsedBytes = 1,
            MemoryTotalBytes = 2,
            Network = new NetworkCounters { BytesIn = 1, BytesOut = 1, PacketsIn = 1, PacketsOut = 1 },
            ProcessCount = 10,
            UptimeSeconds = 10,
            BootCount = 1,
        };
        var body = TelemetryCodec.Encode(new TelemetryBatch { Reports = [report] });

        failing.FailNextCommit = true;
        await Assert.ThrowsAsync<IOException>(() => rig.Ingest.IngestAsync(device, body, default));
        await using (var read = await rig.Store.ReadAsync())
        {
            Assert.Null(await read.Telemetry.GetLatestAsync(device.Id));
        }

        var retry = await rig.Ingest.IngestAsync(device, body, default);
        Assert.Equal(1, retry.Scored);
        Assert.Equal(0, retry.Stale);
    }

    private sealed class CommitFailingStore
    {
        public bool FailNextCommit { get; set; }

        public IFleetStore Wrap(IFleetStore inner) => new Store(inner, this);

        private sealed class Store(IFleetStore inner, CommitFailingStore owner) : IFleetStore
        {
            public string Engine => inner.Engine;

            public async Task<IFleetUnitOfWork> BeginAsync(CancellationToken cancellationToken = default) => new Work(await inner.BeginAsync(cancellationToken), owner);

            public Task<IFleetUnitOfWork> ReadAsync(CancellationToken cancellationToken = default) => inner.ReadAsync(cancellationToken);

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }

        private sealed class Work(IFleetUnitOfWork inner, CommitFailingStore owner) : IFleetUnitOfWork
        {
            public IApiTokenRepository Tokens => inner.Tokens;
            public IDeviceRepository Devices => inner.Devices;
            public IAuditTrail Audit => inner.Audit;
            public ITelemetryRepository Telemetry => inner.Telemetry;
            public IDetectionSnapshotRepository DetectionSnapshots => inner.DetectionSnapshots;
            public IIncidentRepository Incidents => inner.Incidents;
            public IIncidentSiemOutbox SiemOutbox => inner.SiemOutbox;
            public IDeviceCommandRepository DeviceCommands => inner.DeviceCommands;
            public IAuditLogReader AuditLog => inner.AuditLog;
            public IAuditLogCheckpointRepository AuditCheckpoints => inner.AuditCheckpoints;
            public IRolloutRepository Rollouts => inner.Rollouts;
            public IRolloutAssignmentRepository Assignments => inner.Assignments;
            public IRolloutDeviceSoftwareRepository DeviceSoftware => inner.DeviceSoftware;
            public ICertificateRepository Certificates => inner.Certificates;
            public IEnrollmentRepository Enrollment => inner.Enrollment;
            public IReleaseCatalog Releases => inner.Releases;
            public IGeofenceRepository Geofences => inner.Geofences;
            public IForensicBundleRepository ForensicBundles => inner.ForensicBundles;
            public ITufMetadataStore TufMetadata => inner.TufMetadata;
            public ISecurityReceiptQueries Receipts => inner.Receipts;

            public Task CommitAsync(CancellationToken cancellationToken = default)
            {
                if (!owner.FailNextCommit) return inner.CommitAsync(cancellationToken);
                owner.FailNextCommit = false;
                throw new IOException("disk full");
            }

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
