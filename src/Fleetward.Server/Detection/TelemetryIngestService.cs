using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Fleetward.Core.Audit;
using Fleetward.Core.Detection;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Core.Telemetry;

namespace Fleetward.Server.Detection;

/// <summary>What one telemetry batch led to.</summary>
public sealed record TelemetryIngestResult(
    TelemetryValidationError? Error,
    TimeSpan? RetryAfter,
    int Scored,
    int Stale,
    IReadOnlyList<Incident> IncidentsOpened,
    IReadOnlyList<ExecutedResponse> Responses,
    DeviceLifecycleState DeviceStateAfter)
{
    public bool Accepted => Error is null && RetryAfter is null;
}

/// <summary>
/// The ingest path of issue 7: rate limit, decode and validate a batch for the authenticated device, score each
/// report, and persist what it led to — latest telemetry, incidents, automatic responses (device state, signed
/// commands, audit) and SIEM events — in one unit of work per batch. Batches of one device are handled one at a
/// time so its reports are scored and persisted in sequence order.
/// </summary>
public sealed class TelemetryIngestService(
    IFleetStore store,
    DetectionHost detection,
    IncidentResponder responder,
    PlaybookExecutor executor,
    SiemOutboxWriter outbox,
    TelemetryRateLimiter limiter,
    DetectionMetrics metrics,
    Identity.DeviceLifecycleService lifecycle,
    TimeProvider time)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _deviceLocks = new(StringComparer.Ordinal);

    public async Task<TelemetryIngestResult> IngestAsync(Device device, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var rate = limiter.TryAcquire(device.Id);
        if (!rate.Allowed)
        {
            metrics.RateLimited();
            return new(null, rate.RetryAfter, 0, 0, [], [], device.State);
        }

        var now = time.GetUtcNow();
        var decoded = TelemetryCodec.DecodeBatch(body.Span, now, device.Id);
        if (!decoded.IsValid)
        {
            metrics.Rejected(decoded.Error!.Field);
            return new(decoded.Error, null, 0, 0, [], [], device.State);
        }

        await detection.Restored.WaitAsync(cancellationToken);
        var gate = _deviceLocks.GetOrAdd(device.Id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        // The engine scores before the unit of work commits; if the commit fails, put the device's persisted part
        // (last sequence, baselines) back so the device's retry of the same reports is scored, not stale.
        var before = detection.Engine.ExportDevice(device.Id);
        try
        {
            return await PersistAsync(device, decoded.Value!, cancellationToken);
        }
        catch
        {
            if (before is null) detection.Engine.Forget(device.Id);
            else detection.Engine.ImportDevice(before);
            throw;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<TelemetryIngestResult> PersistAsync(Device device, TelemetryBatch batch, CancellationToken cancellationToken)
    {
        await using var work = await store.BeginAsync(cancellationToken);
        var now = time.GetUtcNow();
        var current = await work.Devices.GetAsync(device.Id, cancellationToken) ?? device;
        var state = current.State;
        var profile = new DeviceProfile(current.Model, await work.Geofences.GetEffectiveAsync(current.Id, current.Model, cancellationToken));
        var open = new Dictionary<(string, string), OpenIncidentRecord>();
        foreach (var incident in await work.Incidents.ListOpenForDeviceAsync(device.Id, cancellationToken))
        {
            var record = await work.Incidents.FindOpenAsync(incident.DeviceId, incident.Cause, cancellationToken);
            if (record is not null) open[(incident.DeviceId, incident.Cause)] = record;
        }
        var stored = open.Values.Select(r => r.Incident.Id).ToHashSet(StringComparer.Ordinal);

        int scored = 0, stale = 0;
        var opened = new List<Incident>();
        var executed = new List<ExecutedResponse>();
        foreach (var report in batch.Reports)
        {
            var outcome = detection.Evaluate(report, profile, now);
            if (outcome.Status == DetectionOutcomeStatus.StaleSequence)
            {
                stale++;
                continue;
            }
            scored++;
            await work.Telemetry.RecordAsync(report, now, cancellationToken);
            if (outcome.Detections.Count == 0 && outcome.Clears.Count == 0) continue;

            var round = responder.Respond(outcome, state, (d, c) => open.GetValueOrDefault((d, c)), () => IncidentIds.New(now), now);
            foreach (var incident in round.Incidents)
            {
                var previous = open.GetValueOrDefault((incident.DeviceId, incident.Cause))?.Incident.Status ?? IncidentStatus.Detected;
                if (incident.Status != previous)
                {
                    // The responder already moved the incident (e.g. contained by the quarantine it planned): audit the milestone.
                    await work.Audit.AppendAsync(new AuditEvent($"incident.{incident.Status.ToName()}", now, PlaybookPlanner.PlaybookActor, incident.Id,
                        new JsonObject { ["device_id"] = incident.DeviceId, ["from"] = previous.ToName() }.ToJsonString()), cancellationToken);
                }
                if (stored.Add(incident.Id))
                {
                    await work.Incidents.InsertAsync(incident, cancellationToken);
                    opened.Add(incident);
                    metrics.IncidentOpened(incident.Cause);
                    await work.Audit.AppendAsync(new AuditEvent("incident.opened", now, "fleetward:detection", incident.Id, new JsonObject
                    {
                        ["device_id"] = incident.DeviceId,
                        ["cause"] = incident.Cause,
                        ["severity"] = incident.Severity.ToString().ToLowerInvariant(),
                        ["signals"] = new JsonArray(incident.Signals.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
                    }.ToJsonString()), cancellationToken);
                }
                else
                {
                    await work.Incidents.UpdateAsync(incident, cancellationToken);
                }
            }
            foreach (var skippedResponse in round.Skipped)
            {
                await work.Audit.AppendAsync(new AuditEvent("response.skipped", now, PlaybookPlanner.PlaybookActor, device.Id, new JsonObject
                {
                    ["action"] = skippedResponse.Action.ToName(),
                    ["reason"] = skippedResponse.Reason,
                }.ToJsonString()), cancellationToken);
            }
            foreach (var siemEvent in round.SiemEvents) await outbox.EnqueueAsync(work, siemEvent, cancellationToken);
            foreach (var response in round.Responses)
            {
                executed.Add(await executor.ExecuteAsync(work, response, now, cancellationToken));
                metrics.Response(response.Action.ToName(), "automatic");
            }
            state = round.DeviceStateAfter;

            // Re-read what this round changed so the next report in the batch merges into it.
            foreach (var incident in round.Incidents)
            {
                var record = await work.Incidents.FindOpenAsync(incident.DeviceId, incident.Cause, cancellationToken);
                if (record is null) open.Remove((incident.DeviceId, incident.Cause));
                else open[(incident.DeviceId, incident.Cause)] = record;
            }
        }
        if (scored > 0) await work.Devices.MarkSeenAsync(device.Id, now, cancellationToken);
        await work.CommitAsync(cancellationToken);
        await lifecycle.ApplyCommittedAsync(executed, cancellationToken);
        metrics.Reports("scored", scored);
        if (stale > 0) metrics.Reports("stale", stale);
        return new(null, null, scored, stale, opened, executed, state);
    }
}

/// <summary>Incident ids that sort by creation time: <c>inc_</c>, UTC milliseconds in hex, and 48 random bits.</summary>
public static class IncidentIds
{
    public static string New(DateTimeOffset now) =>
        $"inc_{now.ToUnixTimeMilliseconds():x12}{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6))}";
}
