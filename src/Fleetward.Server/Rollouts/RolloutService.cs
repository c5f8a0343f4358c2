using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Fleetward.Core.Ports;
using Fleetward.Core.Rollouts;
using Fleetward.Server.Problems;

namespace Fleetward.Server.Rollouts;

/// <summary>
/// Operator actions on rollouts. Each action is one unit of work: the rollout row is locked, the pure state
/// machine decides, and the new state, its effects and the audit record commit together. A refused action is
/// a 409 problem whose detail starts with the refusal code.
/// </summary>
public sealed partial class RolloutService(IFleetStore store, TimeProvider time)
{
    public const int MaxIdLength = 64;
    private const int PlannerPageSize = 2000;
    private const long MaxDurationSeconds = 10L * 366 * 24 * 3600;

    public async Task<RolloutView> CreateAsync(CreateRolloutRequest request, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = time.GetUtcNow();
        await using var work = await store.BeginAsync(cancellationToken);
        var definition = await ToDefinitionAsync(request, work.Releases, cancellationToken);
        var state = RolloutState.Draft(definition, now);
        if (!await work.Rollouts.InsertAsync(definition, state, cancellationToken))
        {
            throw new ProblemException(new Problem(ProblemType.Conflict, $"A rollout with id '{definition.Id}' already exists.", "$.id"));
        }
        await work.Audit.AppendAsync(new Core.Audit.AuditEvent("rollout.created", now, actor, "rollout:" + definition.Id,
            System.Text.Json.JsonSerializer.Serialize(new
            {
                releaseId = definition.Release.Id,
                version = definition.Release.Version,
                securityVersion = definition.Release.SecurityVersion,
                channel = definition.Release.Channel.ToName(),
                rings = definition.Rings.Select(r => r.CumulativePercent).ToArray(),
            })), cancellationToken);
        await work.CommitAsync(cancellationToken);
        return RolloutView.From(new StoredRollout(definition, state), [], now);
    }

    public async Task<RolloutView> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var read = await store.ReadAsync(cancellationToken);
        var stored = await read.Rollouts.GetAsync(id, RolloutLock.None, cancellationToken) ?? throw NotFound(id);
        var counts = await read.Assignments.CountByRingAndStatusAsync(id, cancellationToken);
        return RolloutView.From(stored, counts, time.GetUtcNow());
    }

    /// <summary>The rollout's assignments in <paramref name="statuses"/> (all when empty), by device id after <paramref name="afterDeviceId"/>.</summary>
    public async Task<AssignmentPage> ListDevicesAsync(string id, IReadOnlyCollection<DeviceUpdateStatus> statuses, string? afterDeviceId, int limit, CancellationToken cancellationToken)
    {
        await using var read = await store.ReadAsync(cancellationToken);
        _ = await read.Rollouts.GetAsync(id, RolloutLock.None, cancellationToken) ?? throw NotFound(id);
        var page = await read.Assignments.ListByStatusAsync(id, statuses.Count == 0 ? Enum.GetValues<DeviceUpdateStatus>() : statuses, afterDeviceId, limit, cancellationToken);
        return new AssignmentPage([.. page.Select(AssignmentView.From)], page.Count == limit ? page[^1].DeviceId : null);
    }

    public async Task<RolloutList> ListAsync(RolloutStatus? status, CancellationToken cancellationToken)
    {
        await using var read = await store.ReadAsync(cancellationToken);
        var rollouts = await read.Rollouts.ListAsync(status is { } s ? [s] : null, 1000, cancellationToken);
        return new RolloutList([.. rollouts.Select(RolloutSummaryView.From)]);
    }

    /// <summary>Starts a draft: counts the selected active devices per ring (the ring targets) and opens the first ring.</summary>
    public Task<RolloutView> StartAsync(string id, string actor, long? expectedVersion, CancellationToken cancellationToken) =>
        ActAsync(id, actor, "rollout.started", async (rollout, work) =>
        {
            if (rollout.State.Status != RolloutStatus.Draft)
            {
                return new StartRollout([]);
            }
            var planner = new RolloutPlanner(rollout.Definition);
            var targets = new int[rollout.Definition.Rings.Count];
            string? after = null;
            while (true)
            {
                var page = await work.DeviceSoftware.ListActiveFactsAsync(after, PlannerPageSize, cancellationToken);
                var counts = planner.CountRings(page);
                for (var i = 0; i < targets.Length; i++)
                {
                    targets[i] += counts[i];
                }
                if (page.Count < PlannerPageSize)
                {
                    return new StartRollout(targets);
                }
                after = page[^1].Id;
            }
        }, expectedVersion, cancellationToken);

    public Task<RolloutView> PauseAsync(string id, string actor, long? expectedVersion, CancellationToken cancellationToken) =>
        ActAsync(id, actor, "rollout.paused", (_, _) => Task.FromResult<RolloutEvent>(new PauseRollout()), expectedVersion, cancellationToken);

    public Task<RolloutView> ResumeAsync(string id, string actor, long? expectedVersion, CancellationToken cancellationToken) =>
        ActAsync(id, actor, "rollout.resumed", (_, _) => Task.FromResult<RolloutEvent>(new ResumeRollout()), expectedVersion, cancellationToken);

    public Task<RolloutView> CancelAsync(string id, string actor, long? expectedVersion, CancellationToken cancellationToken) =>
        ActAsync(id, actor, "rollout.cancelled", (_, _) => Task.FromResult<RolloutEvent>(new CancelRollout()), expectedVersion, cancellationToken);

    public Task<RolloutView> AbortAsync(string id, string actor, long? expectedVersion, CancellationToken cancellationToken) =>
        ActAsync(id, actor, "rollout.aborted", (_, _) => Task.FromResult<RolloutEvent>(new AbortRollout()), expectedVersion, cancellationToken);

    /// <summary>Approves <paramref name="ring"/>, or when null the ring currently awaiting approval, so the next ring opens.</summary>
    public Task<RolloutView> ApproveAsync(string id, int? ring, string actor, long? expectedVersion, CancellationToken cancellationToken) =>
        ActAsync(id, actor, "rollout.ring-approved", (rollout, _) =>
        {
            var index = ring ?? rollout.State.Rings.ToList().FindIndex(r => r.Status == RingStatus.AwaitingApproval);
            return Task.FromResult<RolloutEvent>(new ApproveNextRing(index < 0 ? rollout.State.CurrentRing : index));
        }, expectedVersion, cancellationToken);

    private async Task<RolloutView> ActAsync(
        string id, string actor, string auditType, Func<LockedRollout, IFleetUnitOfWork, Task<RolloutEvent>> makeEvent, long? expectedVersion, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var work = await store.BeginAsync(cancellationToken);
        var rollout = await LockedRollout.LoadAsync(work, id, actor, now, cancellationToken) ?? throw NotFound(id);
        var @event = (await makeEvent(rollout, work)) with { ExpectedVersion = expectedVersion };
        var transition = rollout.Apply(@event);
        if (transition.Refusal is { } refusal)
        {
            throw new ProblemException(new Problem(ProblemType.Conflict, $"{refusal.Code}: {refusal.Message}"));
        }
        await rollout.AuditAsync(auditType, new { version = rollout.State.Version, status = rollout.State.Status.ToName(), currentRing = rollout.State.CurrentRing }, cancellationToken);
        await rollout.SaveAsync(cancellationToken);
        var counts = await work.Assignments.CountByRingAndStatusAsync(id, cancellationToken);
        await work.CommitAsync(cancellationToken);
        return RolloutView.From(new StoredRollout(rollout.Definition, rollout.State), counts, now);
    }

    private static ProblemException NotFound(string id) => ProblemException.NotFound($"No rollout with id '{id}'.");

    private static async Task<RolloutDefinition> ToDefinitionAsync(CreateRolloutRequest request, IReleaseCatalog catalog, CancellationToken cancellationToken)
    {
        var id = request.Id ?? "ro-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        if (id.Length > MaxIdLength || !IdPattern().IsMatch(id))
        {
            throw ProblemException.Validation("$.id", $"id must be 1 to {MaxIdLength} characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit; got '{id}'.");
        }
        var selectionSpec = request.Selection ?? new SelectionSpec();
        var selection = new DeviceSelection(selectionSpec.Model, selectionSpec.Tags, selectionSpec.CurrentVersions, selectionSpec.DeviceIds);
        var release = await RolloutReleaseResolver.ResolveAsync(catalog, request.Release, selection, cancellationToken);

        var threshold = request.ErrorThreshold ?? new ErrorThresholdSpec(FailedPercent: 5m);
        if (!ErrorThresholdActionNames.TryParse(threshold.Action, out var action))
        {
            throw ProblemException.Validation("$.errorThreshold.action", $"errorThreshold.action must be pause or abort; got '{threshold.Action}'.");
        }
        var maintenance = request.Maintenance ?? new MaintenanceSpec();
        var windows = new List<MaintenanceWindow>();
        for (var i = 0; i < (maintenance.Windows?.Count ?? 0); i++)
        {
            windows.Add(ToWindow(maintenance.Windows![i], $"$.maintenance.windows[{i}]"));
        }
        var rings = (request.Rings ?? []).Select(r => r is null ? null! : new RingDefinition(
            r.CumulativePercent, Seconds(r.MinimumSoakSeconds), r.SuccessThresholdPercent, r.RequiresApproval)).ToList();

        var definition = new RolloutDefinition(
            id,
            release,
            selection,
            rings,
            new ErrorThreshold(threshold.FailedCount, threshold.FailedPercent, threshold.MinimumFinished, action),
            request.MaxDevicesPerMinute,
            Seconds(request.InstallTimeoutSeconds ?? 1800),
            request.MaxRetries ?? 0,
            new MaintenancePolicy(windows, maintenance.SecurityReleasesBypassWindows));
        var errors = definition.Validate();
        if (errors.Count > 0)
        {
            var first = errors[0];
            throw ProblemException.Validation(RequestField(first.Field), string.Join("; ", errors.Select(e => $"{RequestField(e.Field)}: {e.Message}")));
        }
        return definition;
    }

    private static MaintenanceWindow ToWindow(MaintenanceWindowSpec spec, string path)
    {
        if (spec is null)
        {
            throw ProblemException.Validation(path, $"{path} must not be null.");
        }
        CronSchedule schedule;
        try
        {
            schedule = CronSchedule.Parse(spec.Schedule ?? "");
        }
        catch (CronFormatException e)
        {
            throw ProblemException.Validation(path + ".schedule", $"schedule is not a valid cron expression ({e.Field}): {e.Message}");
        }
        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(spec.TimeZone ?? "");
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw ProblemException.Validation(path + ".timeZone", $"timeZone '{spec.TimeZone}' is not a known time zone id.");
        }
        return new MaintenanceWindow(schedule, Seconds(spec.DurationSeconds), zone);
    }

    // Negative stays negative (the definition's validation names the field); beyond ten years is treated as ten years.
    private static TimeSpan Seconds(long seconds) => TimeSpan.FromSeconds(Math.Clamp(seconds, -1L, MaxDurationSeconds));

    /// <summary>Maps a definition field path onto the request's JSON path (durations are given in seconds).</summary>
    private static string RequestField(string field) =>
        "$." + DurationField().Replace(field, m => m.Value + "Seconds");

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"(minimumSoak|installTimeout|duration)(?=$|\.)")]
    private static partial Regex DurationField();
}
