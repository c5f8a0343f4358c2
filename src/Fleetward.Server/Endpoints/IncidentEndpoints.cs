using Fleetward.Core.Access;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Detection;
using Fleetward.Server.Hosting;
using Fleetward.Server.Options;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Server.Endpoints;

/// <summary>
/// Incidents for operators: list and read (timeline, MTTD, MTTR, responses taken), contain and resolve, and the
/// one-click playbook actions on a device. Reading needs auditor, acting needs operator.
/// </summary>
public sealed class IncidentEndpoints : IServerModule
{
    public const int MaxPageSize = 500;

    /// <summary>The playbook names of the API and CLI, and the response each runs.</summary>
    public static readonly IReadOnlyDictionary<string, ResponseAction> Playbooks = new Dictionary<string, ResponseAction>(StringComparer.Ordinal)
    {
        ["quarantine"] = ResponseAction.Quarantine,
        ["rotate-credentials"] = ResponseAction.RotateCredentials,
        ["reattest"] = ResponseAction.ForceReattestation,
        ["zeroize"] = ResponseAction.Zeroize,
        ["forensic-pull"] = ResponseAction.ForensicLogPull,
        ["release"] = ResponseAction.ReleaseFromQuarantine,
    };

    public void ConfigureServices(IServiceCollection services, ServerOptions options) => services.AddDetection();

    public void MapEndpoints(FleetwardRoutes routes)
    {
        var incidents = routes.OperatorApi.MapGroup("/incidents");
        incidents.MapGet("/", ListAsync).RequireRole(OperatorRole.Auditor);
        incidents.MapGet("/{id}", GetAsync).RequireRole(OperatorRole.Auditor);
        incidents.MapPost("/{id}/contain", ContainAsync).RequireRole(OperatorRole.Operator);
        incidents.MapPost("/{id}/resolve", ResolveAsync).RequireRole(OperatorRole.Operator);
        routes.OperatorApi.MapPost("/devices/{id}/playbooks/{action}", PlaybookAsync).RequireRole(OperatorRole.Operator);
    }

    private static async Task<IResult> ListAsync(HttpContext context, IFleetStore store)
    {
        var query = ParseQuery(context.Request.Query);
        await using var read = await store.ReadAsync(context.RequestAborted);
        var incidents = await read.Incidents.ListAsync(query, context.RequestAborted);
        var next = incidents.Count == query.Limit ? incidents[^1].Id : null;
        return Results.Json(new IncidentPage([.. incidents.Select(i => IncidentSummary.From(i))], next, ResponseTimesView.From(IncidentResponseTimes.Of(incidents))), JsonBody.Options);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, IFleetStore store)
    {
        await using var read = await store.ReadAsync(context.RequestAborted);
        var incident = await read.Incidents.GetAsync(id, context.RequestAborted) ?? throw ProblemException.NotFound($"No incident with id '{id}'.");
        var actions = await read.Incidents.ListActionsAsync(id, context.RequestAborted);
        return Results.Json(IncidentDetail.From(incident, actions), JsonBody.Options);
    }

    private static async Task<IResult> ContainAsync(string id, HttpContext context, IncidentService service, IFleetStore store)
    {
        var body = await ReadOptionalAsync<ContainRequest>(context.Request) ?? new ContainRequest();
        var result = await service.ContainAsync(id, OperatorIdentity.Of(context).Actor, body.Reason, context.RequestAborted);
        return await AnswerAsync(result, context, store);
    }

    private static async Task<IResult> ResolveAsync(string id, HttpContext context, IncidentService service, IFleetStore store)
    {
        var body = await JsonBody.ReadAsync<ResolveRequest>(context.Request);
        if (string.IsNullOrWhiteSpace(body.Reason)) throw ProblemException.Validation("$.reason", "Resolving an incident needs a reason.");
        var result = await service.ResolveAsync(id, OperatorIdentity.Of(context).Actor, body.Reason, body.FalsePositive, context.RequestAborted);
        return await AnswerAsync(result, context, store);
    }

    private static async Task<IResult> PlaybookAsync(string id, string action, HttpContext context, IncidentService service)
    {
        if (!Playbooks.TryGetValue(action, out var response))
        {
            throw ProblemException.Validation("action", $"Unknown playbook '{action}'; expected one of {string.Join(", ", Playbooks.Keys)}.");
        }
        var body = await ReadOptionalAsync<PlaybookRequest>(context.Request) ?? new PlaybookRequest();
        if (response is ResponseAction.ReleaseFromQuarantine or ResponseAction.Zeroize && string.IsNullOrWhiteSpace(body.Reason))
        {
            throw ProblemException.Validation("$.reason", $"The {action} playbook needs a reason.");
        }
        var result = await service.RunPlaybookAsync(id, response, body.IncidentId, OperatorIdentity.Of(context).Actor, body.Reason, context.RequestAborted);
        Refuse(result);
        var executed = result.Response!;
        return Results.Json(new PlaybookResult(action, id, executed.Response.IncidentId, executed.DeviceStateAfter?.ToName(),
            [.. executed.Commands.Select(c => new PlaybookCommand(c.Id, c.Kind.ToName(), c.ExpiresAt))]), JsonBody.Options);
    }

    private static async Task<IResult> AnswerAsync(OperatorActionResult result, HttpContext context, IFleetStore store)
    {
        Refuse(result);
        await using var read = await store.ReadAsync(context.RequestAborted);
        var actions = await read.Incidents.ListActionsAsync(result.Incident!.Id, context.RequestAborted);
        return Results.Json(IncidentDetail.From(result.Incident, actions), JsonBody.Options);
    }

    private static void Refuse(OperatorActionResult result)
    {
        switch (result.Refusal)
        {
            case null:
                return;
            case OperatorRefusalKind.NotFound:
                throw ProblemException.NotFound(result.Reason!);
            case OperatorRefusalKind.Invalid:
                throw ProblemException.Validation("$.reason", result.Reason!);
            default:
                throw new ProblemException(new Problem(ProblemType.Conflict, result.Reason!));
        }
    }

    /// <summary>The body of contain and playbook requests is optional; when present it is read strictly.</summary>
    private static async Task<T?> ReadOptionalAsync<T>(HttpRequest request) where T : class =>
        request.ContentLength is 0 || (request.ContentLength is null && request.ContentType is null) ? null : await JsonBody.ReadAsync<T>(request);

    /// <summary>Reads before, limit, status, open, device and cause; a bad value is a validation problem naming the parameter.</summary>
    public static IncidentQuery ParseQuery(IQueryCollection query)
    {
        foreach (var key in query.Keys)
        {
            if (key is not ("before" or "limit" or "status" or "open" or "device" or "cause"))
                throw ProblemException.Validation(key, $"Unknown query parameter '{key}'; expected before, limit, status, open, device or cause.");
            if (query[key].Count > 1) throw ProblemException.Validation(key, $"Query parameter '{key}' is given more than once.");
            if (string.IsNullOrEmpty(query[key])) throw ProblemException.Validation(key, $"Query parameter '{key}' must not be empty.");
        }
        var limit = 100;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxPageSize))
        {
            throw ProblemException.Validation("limit", $"limit must be an integer from 1 to {MaxPageSize}; got '{limitText}'.");
        }
        IncidentStatus? status = null;
        if (query.TryGetValue("status", out var statusText))
        {
            if (!IncidentStatusNames.TryParse(statusText, out var parsed))
                throw ProblemException.Validation("status", $"status must be detected, contained, eradicated, recovered or dismissed; got '{statusText}'.");
            status = parsed;
        }
        var open = false;
        if (query.TryGetValue("open", out var openText) && !bool.TryParse(openText, out open))
            throw ProblemException.Validation("open", $"open must be true or false; got '{openText}'.");
        return new IncidentQuery(query["before"].FirstOrDefault(), limit, status, open, query["device"].FirstOrDefault(), query["cause"].FirstOrDefault());
    }

    public sealed record ContainRequest(string? Reason = null);

    public sealed record ResolveRequest(string Reason, bool FalsePositive = false);

    public sealed record PlaybookRequest(string? Reason = null, string? IncidentId = null);

    public sealed record PlaybookCommand(string Id, string Kind, DateTimeOffset ExpiresAt);

    /// <summary>What a one-click action did: the incident it applied to, the device state after, the commands queued.</summary>
    public sealed record PlaybookResult(string Playbook, string DeviceId, string? IncidentId, string? DeviceState, IReadOnlyList<PlaybookCommand> Commands);

    public sealed record IncidentSummary(string Id, string DeviceId, string Cause, string Severity, string Status, string Summary,
        DateTimeOffset DetectedAt, DateTimeOffset LastDetectedAt, int DetectionCount, IReadOnlyList<string> Signals)
    {
        public static IncidentSummary From(Incident i) => new(i.Id, i.DeviceId, i.Cause, i.Severity.ToString().ToLowerInvariant(), i.Status.ToName(),
            i.Summary, i.DetectedAt, i.LastDetectedAt, i.DetectionCount, i.Signals);
    }

    public sealed record TimelineEntryView(DateTimeOffset At, string Kind, string Actor, string Detail);

    public sealed record ActionView(string Action, DateTimeOffset TakenAt, string Actor);

    /// <summary>An incident with its timeline, milestones and the times to detect and to recover in seconds.</summary>
    public sealed record IncidentDetail(string Id, string DeviceId, string Cause, string Severity, string Status, string Summary,
        DateTimeOffset FirstAnomalousAt, DateTimeOffset DetectedAt, DateTimeOffset? ContainedAt, DateTimeOffset? EradicatedAt,
        DateTimeOffset? RecoveredAt, DateTimeOffset? DismissedAt, int DetectionCount, IReadOnlyList<string> Signals,
        double TimeToDetectSeconds, double? TimeToRecoverSeconds, IReadOnlyList<TimelineEntryView> Timeline, IReadOnlyList<ActionView> Actions)
    {
        public static IncidentDetail From(Incident i, IReadOnlyList<IncidentActionRecord> actions) => new(i.Id, i.DeviceId, i.Cause,
            i.Severity.ToString().ToLowerInvariant(), i.Status.ToName(), i.Summary, i.FirstAnomalousAt, i.DetectedAt, i.ContainedAt, i.EradicatedAt,
            i.RecoveredAt, i.DismissedAt, i.DetectionCount, i.Signals, i.TimeToDetect.TotalSeconds, i.TimeToRecover?.TotalSeconds,
            [.. i.Timeline.Select(t => new TimelineEntryView(t.At, KindName(t.Kind), t.Actor, t.Detail))],
            [.. actions.Select(a => new ActionView(a.Action.ToName(), a.TakenAt, a.Actor))]);

        private static string KindName(IncidentEventKind kind) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(kind.ToString());
    }

    /// <summary>MTTD and MTTR over the listed incidents, in seconds.</summary>
    public sealed record ResponseTimesView(int Incidents, double? MeanTimeToDetectSeconds, double? MedianTimeToDetectSeconds, int Recovered,
        double? MeanTimeToRecoverSeconds, double? MedianTimeToRecoverSeconds)
    {
        public static ResponseTimesView From(IncidentResponseTimes t) => new(t.Incidents, t.MeanTimeToDetect?.TotalSeconds, t.MedianTimeToDetect?.TotalSeconds,
            t.Recovered, t.MeanTimeToRecover?.TotalSeconds, t.MedianTimeToRecover?.TotalSeconds);
    }

    public sealed record IncidentPage(IReadOnlyList<IncidentSummary> Items, string? Next, ResponseTimesView ResponseTimes);
}
