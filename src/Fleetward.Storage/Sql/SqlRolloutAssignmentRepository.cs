using Dapper;
using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;

namespace Fleetward.Storage.Sql;

/// <summary>Device assignments; every write is a compare-and-set on the row's version.</summary>
internal sealed class SqlRolloutAssignmentRepository(SqlSession session) : IRolloutAssignmentRepository
{
    private const string Columns =
        "rollout_id AS RolloutId, device_id AS DeviceId, ring_index AS RingIndex, bucket AS Bucket, previous_version AS PreviousVersion, " +
        "status AS Status, attempt AS Attempt, failure_reason AS FailureReason, version AS Version, assigned_at AS AssignedAt, " +
        "status_changed_at AS StatusChangedAt, attempt_started_at AS AttemptStartedAt, downloading_at AS DownloadingAt, " +
        "downloaded_at AS DownloadedAt, installing_at AS InstallingAt, rebooting_at AS RebootingAt, verifying_at AS VerifyingAt, " +
        "rollback_ordered_at AS RollbackOrderedAt, finished_at AS FinishedAt";

    private static readonly string[] OpenStatuses =
    [
        .. Enum.GetValues<DeviceUpdateStatus>().Where(s => s <= DeviceUpdateStatus.Verifying || s is DeviceUpdateStatus.RollbackPending or DeviceUpdateStatus.RollbackUnresponsive).Select(s => s.ToName()),
    ];

    private static readonly string[] InProgressStatuses =
        [.. Enum.GetValues<DeviceUpdateStatus>().Where(s => s <= DeviceUpdateStatus.Verifying).Select(s => s.ToName())];

    public async Task<bool> InsertAsync(DeviceAssignment assignment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        return await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO device_assignments (rollout_id, device_id, ring_index, bucket, previous_version, status, attempt, failure_reason, version, " +
            "assigned_at, status_changed_at, attempt_started_at, downloading_at, downloaded_at, installing_at, rebooting_at, verifying_at, " +
            "rollback_ordered_at, finished_at) VALUES (@RolloutId, @DeviceId, @RingIndex, @Bucket, @PreviousVersion, @Status, @Attempt, " +
            "@FailureReason, @Version, @AssignedAt, @StatusChangedAt, @AttemptStartedAt, @DownloadingAt, @DownloadedAt, @InstallingAt, " +
            "@RebootingAt, @VerifyingAt, @RollbackOrderedAt, @FinishedAt) ON CONFLICT (rollout_id, device_id) DO NOTHING",
            Parameters(assignment), cancellationToken)) == 1;
    }

    public async Task<DeviceAssignment?> GetAsync(string rolloutId, string deviceId, CancellationToken cancellationToken = default) =>
        (await QueryAsync("rollout_id = @rolloutId AND device_id = @deviceId", new { rolloutId, deviceId }, "", cancellationToken)).FirstOrDefault();

    public Task<IReadOnlyList<DeviceAssignment>> ListOpenForDeviceAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        var parameters = InList("s", OpenStatuses, out var inList);
        parameters.Add("deviceId", deviceId);
        return QueryAsync($"device_id = @deviceId AND status IN ({inList})", parameters, " ORDER BY assigned_at, rollout_id", cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListRolloutIdsForDeviceAsync(string deviceId, CancellationToken cancellationToken = default) =>
        [.. await session.Connection.QueryAsync<string>(session.Command(
            "SELECT rollout_id FROM device_assignments WHERE device_id = @deviceId", new { deviceId }, cancellationToken))];

    public Task<IReadOnlyList<DeviceAssignment>> ListByStatusAsync(
        string rolloutId, IReadOnlyCollection<DeviceUpdateStatus> statuses, string? afterDeviceId, int limit, CancellationToken cancellationToken = default)
    {
        CheckLimit(limit);
        if (statuses.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<DeviceAssignment>>([]);
        }

        var parameters = InList("s", [.. statuses.Select(s => s.ToName())], out var inList);
        parameters.Add("rolloutId", rolloutId);
        parameters.Add("after", afterDeviceId ?? "");
        return QueryAsync($"rollout_id = @rolloutId AND status IN ({inList}) AND device_id > @after", parameters, $" ORDER BY device_id LIMIT {limit}", cancellationToken);
    }

    public Task<IReadOnlyList<DeviceAssignment>> ListAttemptsStartedBeforeAsync(
        string rolloutId, DateTimeOffset startedAtOrBefore, int limit, CancellationToken cancellationToken = default)
    {
        CheckLimit(limit);
        var parameters = InList("s", InProgressStatuses, out var inList);
        parameters.Add("rolloutId", rolloutId);
        parameters.Add("before", UnixTime.ToMs(startedAtOrBefore));
        return QueryAsync($"rollout_id = @rolloutId AND attempt_started_at <= @before AND status IN ({inList})", parameters,
            $" ORDER BY attempt_started_at, device_id LIMIT {limit}", cancellationToken);
    }

    public Task<int> CountAssignedSinceAsync(string rolloutId, DateTimeOffset since, CancellationToken cancellationToken = default) =>
        session.Connection.ExecuteScalarAsync<int>(session.Command(
            "SELECT COUNT(*) FROM device_assignments WHERE rollout_id = @rolloutId AND assigned_at >= @since",
            new { rolloutId, since = UnixTime.ToMs(since) }, cancellationToken));

    public async Task<IReadOnlyList<AssignmentCount>> CountByRingAndStatusAsync(string rolloutId, CancellationToken cancellationToken = default)
    {
        var rows = await session.Connection.QueryAsync<(int Ring, string Status, long Count)>(session.Command(
            "SELECT ring_index, status, COUNT(*) FROM device_assignments WHERE rollout_id = @rolloutId GROUP BY ring_index, status ORDER BY ring_index, status",
            new { rolloutId }, cancellationToken));
        return [.. rows.Select(r => new AssignmentCount(r.Ring, ParseStatus(r.Status), checked((int)r.Count)))];
    }

    public async Task<bool> UpdateAsync(DeviceAssignment assignment, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        var parameters = Parameters(assignment);
        parameters.Add("expectedVersion", expectedVersion);
        return await session.Connection.ExecuteAsync(session.Command(
            "UPDATE device_assignments SET status = @Status, attempt = @Attempt, failure_reason = @FailureReason, version = @Version, " +
            "status_changed_at = @StatusChangedAt, attempt_started_at = @AttemptStartedAt, downloading_at = @DownloadingAt, " +
            "downloaded_at = @DownloadedAt, installing_at = @InstallingAt, rebooting_at = @RebootingAt, verifying_at = @VerifyingAt, " +
            "rollback_ordered_at = @RollbackOrderedAt, finished_at = @FinishedAt " +
            "WHERE rollout_id = @RolloutId AND device_id = @DeviceId AND version = @expectedVersion",
            parameters, cancellationToken)) == 1;
    }

    private async Task<IReadOnlyList<DeviceAssignment>> QueryAsync(string where, object parameters, string tail, CancellationToken cancellationToken) =>
        [.. (await session.Connection.QueryAsync<AssignmentRow>(session.Command(
            $"SELECT {Columns} FROM device_assignments WHERE {where}{tail}", parameters, cancellationToken))).Select(r => r.ToAssignment())];

    private static DynamicParameters InList(string prefix, IReadOnlyList<string> values, out string inList)
    {
        var parameters = new DynamicParameters();
        for (var i = 0; i < values.Count; i++)
        {
            parameters.Add(prefix + i, values[i]);
        }

        inList = string.Join(", ", values.Select((_, i) => "@" + prefix + i));
        return parameters;
    }

    private static void CheckLimit(int limit)
    {
        if (limit is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "limit must be between 1 and 10000.");
        }
    }

    private static DeviceUpdateStatus ParseStatus(string text) =>
        DeviceUpdateStatusNames.TryParse(text, out var status) ? status : throw new InvalidDataException($"device_assignments.status holds unknown value '{text}'.");

    private static DynamicParameters Parameters(DeviceAssignment a)
    {
        var p = new DynamicParameters();
        p.Add("RolloutId", a.RolloutId);
        p.Add("DeviceId", a.DeviceId);
        p.Add("RingIndex", a.RingIndex);
        p.Add("Bucket", a.Bucket);
        p.Add("PreviousVersion", a.PreviousVersion);
        p.Add("Status", a.Status.ToName());
        p.Add("Attempt", a.Attempt);
        p.Add("FailureReason", a.FailureReason);
        p.Add("Version", a.Version);
        p.Add("AssignedAt", UnixTime.ToMs(a.AssignedAt));
        p.Add("StatusChangedAt", UnixTime.ToMs(a.StatusChangedAt));
        p.Add("AttemptStartedAt", UnixTime.ToMs(a.AttemptStartedAt));
        p.Add("DownloadingAt", UnixTime.ToMs(a.DownloadingAt));
        p.Add("DownloadedAt", UnixTime.ToMs(a.DownloadedAt));
        p.Add("InstallingAt", UnixTime.ToMs(a.InstallingAt));
        p.Add("RebootingAt", UnixTime.ToMs(a.RebootingAt));
        p.Add("VerifyingAt", UnixTime.ToMs(a.VerifyingAt));
        p.Add("RollbackOrderedAt", UnixTime.ToMs(a.RollbackOrderedAt));
        p.Add("FinishedAt", UnixTime.ToMs(a.FinishedAt));
        return p;
    }

    private sealed class AssignmentRow
    {
        public string RolloutId { get; set; } = "";
        public string DeviceId { get; set; } = "";
        public int RingIndex { get; set; }
        public int Bucket { get; set; }
        public string? PreviousVersion { get; set; }
        public string Status { get; set; } = "";
        public int Attempt { get; set; }
        public string? FailureReason { get; set; }
        public long Version { get; set; }
        public long AssignedAt { get; set; }
        public long StatusChangedAt { get; set; }
        public long? AttemptStartedAt { get; set; }
        public long? DownloadingAt { get; set; }
        public long? DownloadedAt { get; set; }
        public long? InstallingAt { get; set; }
        public long? RebootingAt { get; set; }
        public long? VerifyingAt { get; set; }
        public long? RollbackOrderedAt { get; set; }
        public long? FinishedAt { get; set; }

        public DeviceAssignment ToAssignment() => new(
            RolloutId, DeviceId, RingIndex, Bucket, PreviousVersion, ParseStatus(Status), Attempt, FailureReason, Version,
            UnixTime.FromMs(AssignedAt), UnixTime.FromMs(StatusChangedAt), UnixTime.FromMs(AttemptStartedAt), UnixTime.FromMs(DownloadingAt),
            UnixTime.FromMs(DownloadedAt), UnixTime.FromMs(InstallingAt), UnixTime.FromMs(RebootingAt), UnixTime.FromMs(VerifyingAt),
            UnixTime.FromMs(RollbackOrderedAt), UnixTime.FromMs(FinishedAt));
    }
}
