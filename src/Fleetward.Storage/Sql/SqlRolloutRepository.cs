using System.Globalization;
using System.Text.Json;
using Dapper;
using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;

namespace Fleetward.Storage.Sql;

/// <summary>
/// Rollouts over three tables (rollouts, rollout_rings, rollout_maintenance_windows). The state write is one
/// compare-and-set UPDATE on the version of the rollout row, followed by the ring rows, all in the caller's transaction.
/// </summary>
internal sealed class SqlRolloutRepository(SqlSession session) : IRolloutRepository
{
    private const string Columns =
        "id AS Id, release_id AS ReleaseId, release_version AS ReleaseVersion, release_security_version AS ReleaseSecurityVersion, " +
        "release_channel AS ReleaseChannel, selection_json AS SelectionJson, error_failed_count AS ErrorFailedCount, " +
        "error_failed_percent AS ErrorFailedPercent, error_minimum_finished AS ErrorMinimumFinished, error_action AS ErrorAction, " +
        "max_devices_per_minute AS MaxDevicesPerMinute, install_timeout_seconds AS InstallTimeoutSeconds, max_retries AS MaxRetries, " +
        "security_bypasses_windows AS SecurityBypassesWindows, version AS Version, status AS Status, current_ring AS CurrentRing, " +
        "status_reason AS StatusReason, created_at AS CreatedAt, updated_at AS UpdatedAt, started_at AS StartedAt, finished_at AS FinishedAt";

    private const string RingColumns =
        "rollout_id AS RolloutId, idx AS Idx, cumulative_percent AS CumulativePercent, minimum_soak_seconds AS MinimumSoakSeconds, " +
        "success_threshold_percent AS SuccessThresholdPercent, requires_approval AS RequiresApproval, status AS Status, " +
        "target_devices AS TargetDevices, succeeded AS Succeeded, failed AS Failed, reverted AS Reverted, " +
        "acknowledged_failed AS AcknowledgedFailed, acknowledged_finished AS AcknowledgedFinished, activated_at AS ActivatedAt, " +
        "soak_started_at AS SoakStartedAt, finished_at AS FinishedAt";

    public async Task<bool> InsertAsync(RolloutDefinition definition, RolloutState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(state);
        if (state.RolloutId != definition.Id || state.Rings.Count != definition.Rings.Count)
        {
            throw new ArgumentException($"state of rollout '{state.RolloutId}' does not belong to definition '{definition.Id}'", nameof(state));
        }

        var inserted = await session.Connection.ExecuteAsync(session.Command(
            "INSERT INTO rollouts (id, release_id, release_version, release_security_version, release_channel, selection_json, " +
            "error_failed_count, error_failed_percent, error_minimum_finished, error_action, max_devices_per_minute, " +
            "install_timeout_seconds, max_retries, security_bypasses_windows, version, status, current_ring, status_reason, " +
            "created_at, updated_at, started_at, finished_at) VALUES (@Id, @ReleaseId, @ReleaseVersion, @ReleaseSecurityVersion, " +
            "@ReleaseChannel, @SelectionJson, @ErrorFailedCount, @ErrorFailedPercent, @ErrorMinimumFinished, @ErrorAction, " +
            "@MaxDevicesPerMinute, @InstallTimeoutSeconds, @MaxRetries, @SecurityBypassesWindows, @Version, @Status, @CurrentRing, " +
            "@StatusReason, @CreatedAt, @UpdatedAt, @StartedAt, @FinishedAt) ON CONFLICT (id) DO NOTHING",
            new
            {
                definition.Id,
                ReleaseId = definition.Release.Id,
                ReleaseVersion = definition.Release.Version,
                ReleaseSecurityVersion = definition.Release.SecurityVersion,
                ReleaseChannel = definition.Release.Channel.ToName(),
                SelectionJson = SelectionCodec.Write(definition.Selection),
                ErrorFailedCount = definition.ErrorThreshold.FailedCount,
                ErrorFailedPercent = Text(definition.ErrorThreshold.FailedPercent),
                ErrorMinimumFinished = definition.ErrorThreshold.MinimumFinished,
                ErrorAction = definition.ErrorThreshold.Action.ToName(),
                definition.MaxDevicesPerMinute,
                InstallTimeoutSeconds = (long)definition.InstallTimeout.TotalSeconds,
                definition.MaxRetries,
                SecurityBypassesWindows = definition.Maintenance.SecurityReleasesBypassWindows ? 1 : 0,
                state.Version,
                Status = state.Status.ToName(),
                state.CurrentRing,
                state.StatusReason,
                CreatedAt = UnixTime.ToMs(state.CreatedAt),
                UpdatedAt = UnixTime.ToMs(state.UpdatedAt),
                StartedAt = UnixTime.ToMs(state.StartedAt),
                FinishedAt = UnixTime.ToMs(state.FinishedAt),
            },
            cancellationToken));
        if (inserted == 0)
        {
            return false;
        }

        for (var i = 0; i < definition.Maintenance.Windows.Count; i++)
        {
            var window = definition.Maintenance.Windows[i];
            await session.Connection.ExecuteAsync(session.Command(
                "INSERT INTO rollout_maintenance_windows (rollout_id, idx, cron, duration_seconds, time_zone) VALUES (@id, @idx, @cron, @duration, @zone)",
                new { id = definition.Id, idx = i, cron = window.Schedule.Expression, duration = (long)window.Duration.TotalSeconds, zone = window.TimeZone.Id },
                cancellationToken));
        }

        for (var i = 0; i < definition.Rings.Count; i++)
        {
            var ring = definition.Rings[i];
            var progress = state.Rings[i];
            await session.Connection.ExecuteAsync(session.Command(
                "INSERT INTO rollout_rings (rollout_id, idx, cumulative_percent, minimum_soak_seconds, success_threshold_percent, requires_approval, " +
                "status, target_devices, succeeded, failed, reverted, acknowledged_failed, acknowledged_finished, activated_at, soak_started_at, finished_at) " +
                "VALUES (@id, @idx, @cumulative, @soak, @success, @approval, @Status, @TargetDevices, @Succeeded, @Failed, @Reverted, " +
                "@AcknowledgedFailed, @AcknowledgedFinished, @ActivatedAt, @SoakStartedAt, @FinishedAt)",
                RingParameters(definition.Id, i, progress, new
                {
                    cumulative = Text(ring.CumulativePercent),
                    soak = (long)ring.MinimumSoak.TotalSeconds,
                    success = Text(ring.SuccessThresholdPercent),
                    approval = ring.RequiresApproval ? 1 : 0,
                }),
                cancellationToken));
        }

        return true;
    }

    public async Task<StoredRollout?> GetAsync(string id, RolloutLock lockMode = RolloutLock.None, CancellationToken cancellationToken = default)
    {
        // PostgreSQL: the row lock is what serialises replicas (FOR UPDATE blocks a second writer until commit, then it
        // reads the new version). SQLite: BEGIN IMMEDIATE already holds the only write lock.
        var suffix = session.Connection is Npgsql.NpgsqlConnection
            ? lockMode switch { RolloutLock.Update => " FOR UPDATE", RolloutLock.Share => " FOR SHARE", _ => "" }
            : "";
        var rows = await session.Connection.QueryAsync<RolloutRow>(session.Command(
            $"SELECT {Columns} FROM rollouts WHERE id = @id{suffix}", new { id }, cancellationToken));
        var row = rows.FirstOrDefault();
        return row is null ? null : (await LoadAsync([row], cancellationToken))[0];
    }

    public async Task<IReadOnlyList<StoredRollout>> ListAsync(IReadOnlyCollection<RolloutStatus>? statuses = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "limit must be between 1 and 10000.");
        }

        var names = statuses?.Select(s => s.ToName()).ToArray();
        var where = names is null ? "" : names.Length == 0 ? " WHERE 1 = 0" : " WHERE status IN (" + string.Join(", ", names.Select((_, i) => "@s" + i)) + ")";
        var parameters = new DynamicParameters();
        for (var i = 0; i < (names?.Length ?? 0); i++)
        {
            parameters.Add("s" + i, names![i]);
        }

        var rows = (await session.Connection.QueryAsync<RolloutRow>(session.Command(
            $"SELECT {Columns} FROM rollouts{where} ORDER BY created_at DESC, id LIMIT {limit}", parameters, cancellationToken))).ToList();
        return rows.Count == 0 ? [] : await LoadAsync(rows, cancellationToken);
    }

    public async Task<bool> UpdateStateAsync(RolloutState state, long expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var updated = await session.Connection.ExecuteAsync(session.Command(
            "UPDATE rollouts SET version = @Version, status = @Status, current_ring = @CurrentRing, status_reason = @StatusReason, " +
            "updated_at = @UpdatedAt, started_at = @StartedAt, finished_at = @FinishedAt WHERE id = @Id AND version = @expectedVersion",
            new
            {
                Id = state.RolloutId,
                state.Version,
                Status = state.Status.ToName(),
                state.CurrentRing,
                state.StatusReason,
                UpdatedAt = UnixTime.ToMs(state.UpdatedAt),
                StartedAt = UnixTime.ToMs(state.StartedAt),
                FinishedAt = UnixTime.ToMs(state.FinishedAt),
                expectedVersion,
            },
            cancellationToken));
        if (updated == 0)
        {
            return false;
        }

        for (var i = 0; i < state.Rings.Count; i++)
        {
            var changed = await session.Connection.ExecuteAsync(session.Command(
                "UPDATE rollout_rings SET status = @Status, target_devices = @TargetDevices, succeeded = @Succeeded, failed = @Failed, " +
                "reverted = @Reverted, acknowledged_failed = @AcknowledgedFailed, acknowledged_finished = @AcknowledgedFinished, " +
                "activated_at = @ActivatedAt, soak_started_at = @SoakStartedAt, finished_at = @FinishedAt WHERE rollout_id = @id AND idx = @idx",
                RingParameters(state.RolloutId, i, state.Rings[i], null),
                cancellationToken));
            if (changed != 1)
            {
                throw new InvalidDataException($"rollout '{state.RolloutId}' has no stored ring {i}.");
            }
        }

        return true;
    }

    private async Task<IReadOnlyList<StoredRollout>> LoadAsync(IReadOnlyList<RolloutRow> rows, CancellationToken cancellationToken)
    {
        var ids = rows.Select(r => r.Id).ToArray();
        var parameters = new DynamicParameters();
        for (var i = 0; i < ids.Length; i++)
        {
            parameters.Add("r" + i, ids[i]);
        }

        var inList = string.Join(", ", ids.Select((_, i) => "@r" + i));
        var rings = (await session.Connection.QueryAsync<RingRow>(session.Command(
            $"SELECT {RingColumns} FROM rollout_rings WHERE rollout_id IN ({inList}) ORDER BY rollout_id, idx", parameters, cancellationToken)))
            .ToLookup(r => r.RolloutId);
        var windows = (await session.Connection.QueryAsync<WindowRow>(session.Command(
            $"SELECT rollout_id AS RolloutId, idx AS Idx, cron AS Cron, duration_seconds AS DurationSeconds, time_zone AS TimeZone " +
            $"FROM rollout_maintenance_windows WHERE rollout_id IN ({inList}) ORDER BY rollout_id, idx", parameters, cancellationToken)))
            .ToLookup(w => w.RolloutId);
        return [.. rows.Select(row => row.ToStored([.. rings[row.Id].OrderBy(r => r.Idx)], [.. windows[row.Id].OrderBy(w => w.Idx)]))];
    }

    private static DynamicParameters RingParameters(string rolloutId, int index, RingProgress progress, object? extra)
    {
        var parameters = new DynamicParameters(extra);
        parameters.Add("id", rolloutId);
        parameters.Add("idx", index);
        parameters.Add("Status", progress.Status.ToName());
        parameters.Add("TargetDevices", progress.TargetDevices);
        parameters.Add("Succeeded", progress.Succeeded);
        parameters.Add("Failed", progress.Failed);
        parameters.Add("Reverted", progress.Reverted);
        parameters.Add("AcknowledgedFailed", progress.AcknowledgedFailed);
        parameters.Add("AcknowledgedFinished", progress.AcknowledgedFinished);
        parameters.Add("ActivatedAt", UnixTime.ToMs(progress.ActivatedAt));
        parameters.Add("SoakStartedAt", UnixTime.ToMs(progress.SoakStartedAt));
        parameters.Add("FinishedAt", UnixTime.ToMs(progress.FinishedAt));
        return parameters;
    }

    private static string? Text(decimal? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static decimal ParseDecimal(string text, string column) =>
        decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidDataException($"column {column} holds '{text}', not a decimal.");

    private static T Parse<T>(string text, string column, TryParser<T> parser) =>
        parser(text, out var value) ? value : throw new InvalidDataException($"column {column} holds unknown value '{text}'.");

    private delegate bool TryParser<T>(string? text, out T value);

    /// <summary>The device selection as stored JSON: {"model":..,"tags":[..],"currentVersions":[..],"deviceIds":[..]}.</summary>
    private static class SelectionCodec
    {
        public static string Write(DeviceSelection selection) => JsonSerializer.Serialize(new SelectionDocument(
            selection.Model, [.. selection.Tags], [.. selection.CurrentVersions], [.. selection.DeviceIds]), Options);

        public static DeviceSelection Read(string json, string rolloutId)
        {
            var document = JsonSerializer.Deserialize<SelectionDocument>(json, Options)
                ?? throw new InvalidDataException($"rollout '{rolloutId}' has an empty selection_json.");
            return new DeviceSelection(document.Model, document.Tags ?? [], document.CurrentVersions ?? [], document.DeviceIds ?? []);
        }

        private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

        private sealed record SelectionDocument(string? Model, string[]? Tags, string[]? CurrentVersions, string[]? DeviceIds);
    }

    private sealed class RolloutRow
    {
        public string Id { get; set; } = "";
        public string ReleaseId { get; set; } = "";
        public string ReleaseVersion { get; set; } = "";
        public long ReleaseSecurityVersion { get; set; }
        public string ReleaseChannel { get; set; } = "";
        public string SelectionJson { get; set; } = "";
        public int? ErrorFailedCount { get; set; }
        public string? ErrorFailedPercent { get; set; }
        public int ErrorMinimumFinished { get; set; }
        public string ErrorAction { get; set; } = "";
        public int? MaxDevicesPerMinute { get; set; }
        public long InstallTimeoutSeconds { get; set; }
        public int MaxRetries { get; set; }
        public int SecurityBypassesWindows { get; set; }
        public long Version { get; set; }
        public string Status { get; set; } = "";
        public int CurrentRing { get; set; }
        public string? StatusReason { get; set; }
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }
        public long? StartedAt { get; set; }
        public long? FinishedAt { get; set; }

        public StoredRollout ToStored(IReadOnlyList<RingRow> rings, IReadOnlyList<WindowRow> windows)
        {
            var release = new ReleaseReference(ReleaseId, ReleaseVersion, ReleaseSecurityVersion,
                Parse<ReleaseChannel>(ReleaseChannel, "rollouts.release_channel", ReleaseChannelNames.TryParse));
            var threshold = new ErrorThreshold(ErrorFailedCount,
                ErrorFailedPercent is null ? null : ParseDecimal(ErrorFailedPercent, "rollouts.error_failed_percent"),
                ErrorMinimumFinished,
                Parse<ErrorThresholdAction>(ErrorAction, "rollouts.error_action", ErrorThresholdActionNames.TryParse));
            var maintenance = new MaintenancePolicy(
                [.. windows.Select(w => new MaintenanceWindow(CronSchedule.Parse(w.Cron), TimeSpan.FromSeconds(w.DurationSeconds), TimeZoneInfo.FindSystemTimeZoneById(w.TimeZone)))],
                SecurityBypassesWindows != 0);
            var definition = new RolloutDefinition(Id, release, SelectionCodec.Read(SelectionJson, Id),
                [.. rings.Select(r => r.ToDefinition())], threshold, MaxDevicesPerMinute, TimeSpan.FromSeconds(InstallTimeoutSeconds), MaxRetries, maintenance);
            var state = new RolloutState(Id, Version, Parse<RolloutStatus>(Status, "rollouts.status", RolloutStatusNames.TryParse), CurrentRing,
                [.. rings.Select(r => r.ToProgress())], StatusReason, UnixTime.FromMs(CreatedAt), UnixTime.FromMs(UpdatedAt),
                UnixTime.FromMs(StartedAt), UnixTime.FromMs(FinishedAt));
            return new StoredRollout(definition, state);
        }
    }

    private sealed class RingRow
    {
        public string RolloutId { get; set; } = "";
        public int Idx { get; set; }
        public string CumulativePercent { get; set; } = "";
        public long MinimumSoakSeconds { get; set; }
        public string SuccessThresholdPercent { get; set; } = "";
        public int RequiresApproval { get; set; }
        public string Status { get; set; } = "";
        public int TargetDevices { get; set; }
        public int Succeeded { get; set; }
        public int Failed { get; set; }
        public int Reverted { get; set; }
        public int AcknowledgedFailed { get; set; }
        public int AcknowledgedFinished { get; set; }
        public long? ActivatedAt { get; set; }
        public long? SoakStartedAt { get; set; }
        public long? FinishedAt { get; set; }

        public RingDefinition ToDefinition() => new(
            ParseDecimal(CumulativePercent, "rollout_rings.cumulative_percent"),
            TimeSpan.FromSeconds(MinimumSoakSeconds),
            ParseDecimal(SuccessThresholdPercent, "rollout_rings.success_threshold_percent"),
            RequiresApproval != 0);

        public RingProgress ToProgress() => new(
            Parse<RingStatus>(Status, "rollout_rings.status", RolloutStatusNames.TryParse),
            TargetDevices, Succeeded, Failed, Reverted, AcknowledgedFailed, AcknowledgedFinished,
            UnixTime.FromMs(ActivatedAt), UnixTime.FromMs(SoakStartedAt), UnixTime.FromMs(FinishedAt));
    }

    private sealed class WindowRow
    {
        public string RolloutId { get; set; } = "";
        public int Idx { get; set; }
        public string Cron { get; set; } = "";
        public long DurationSeconds { get; set; }
        public string TimeZone { get; set; } = "";
    }
}
