using System.Globalization;
using Fleetward.Core.Access;
using Fleetward.Core.Policy;
using Fleetward.Core.Rollouts;
using Fleetward.Server.Access;
using Fleetward.Server.Hosting;
using Fleetward.Server.Options;
using Fleetward.Server.Problems;
using Fleetward.Server.Rollouts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fleetward.Server.Endpoints;

/// <summary>
/// The operator API of rollouts (/api/v1/rollouts): operators act, auditors read. Actions take an optional
/// <c>expectedVersion</c> query parameter so a retried click cannot apply twice; approve takes an optional <c>ring</c>.
/// Also registers the rollout services and the background worker.
/// </summary>
public sealed class RolloutEndpoints : IServerModule
{
    public void ConfigureServices(IServiceCollection services, ServerOptions options)
    {
        services.TryAddSingleton(new UpdateGatePolicy());
        services.AddSingleton<RolloutService>();
        services.AddSingleton<CheckInService>();
        services.AddSingleton(provider => new RolloutTicker(
            provider.GetRequiredService<Core.Ports.IFleetStore>(), provider.GetRequiredService<TimeProvider>(), options.RolloutRollbackTimeout));
        services.AddHostedService<RolloutWorker>();
    }

    public void MapEndpoints(FleetwardRoutes routes)
    {
        var rollouts = routes.OperatorApi.MapGroup("/rollouts");
        rollouts.MapPost("/", CreateAsync).RequireRole(OperatorRole.Operator);
        rollouts.MapGet("/", ListAsync).RequireRole(OperatorRole.Auditor);
        rollouts.MapGet("/{id}", (string id, HttpContext context, RolloutService service) => Json(service.GetAsync(id, context.RequestAborted)))
            .RequireRole(OperatorRole.Auditor);
        rollouts.MapGet("/{id}/devices", ListDevicesAsync).RequireRole(OperatorRole.Auditor);
        rollouts.MapPost("/{id}/start", (string id, HttpContext context, RolloutService service) =>
            Json(service.StartAsync(id, Actor(context), ExpectedVersion(context), context.RequestAborted))).RequireRole(OperatorRole.Operator);
        rollouts.MapPost("/{id}/pause", (string id, HttpContext context, RolloutService service) =>
            Json(service.PauseAsync(id, Actor(context), ExpectedVersion(context), context.RequestAborted))).RequireRole(OperatorRole.Operator);
        rollouts.MapPost("/{id}/resume", (string id, HttpContext context, RolloutService service) =>
            Json(service.ResumeAsync(id, Actor(context), ExpectedVersion(context), context.RequestAborted))).RequireRole(OperatorRole.Operator);
        rollouts.MapPost("/{id}/approve", (string id, HttpContext context, RolloutService service) =>
            Json(service.ApproveAsync(id, IntQuery(context, "ring", 0), Actor(context), ExpectedVersion(context), context.RequestAborted))).RequireRole(OperatorRole.Operator);
        rollouts.MapPost("/{id}/cancel", (string id, HttpContext context, RolloutService service) =>
            Json(service.CancelAsync(id, Actor(context), ExpectedVersion(context), context.RequestAborted))).RequireRole(OperatorRole.Operator);
        rollouts.MapPost("/{id}/abort", (string id, HttpContext context, RolloutService service) =>
            Json(service.AbortAsync(id, Actor(context), ExpectedVersion(context), context.RequestAborted))).RequireRole(OperatorRole.Operator);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, RolloutService service)
    {
        var request = await JsonBody.ReadAsync<CreateRolloutRequest>(context.Request);
        var created = await service.CreateAsync(request, Actor(context), context.RequestAborted);
        return Results.Json(created, JsonBody.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpContext context, RolloutService service)
    {
        RolloutStatus? status = null;
        if (context.Request.Query.TryGetValue("status", out var text))
        {
            if (!RolloutStatusNames.TryParse(text, out RolloutStatus parsed))
            {
                throw ProblemException.Validation("status", $"status must be draft, running, paused, completed, aborted or cancelled; got '{text}'.");
            }
            status = parsed;
        }
        return Results.Json(await service.ListAsync(status, context.RequestAborted), JsonBody.Options);
    }

    public const int MaxDevicePage = 1000;

    /// <summary>GET /rollouts/{id}/devices?status=rollback-pending&amp;status=rolled-back&amp;after=ID&amp;limit=N: who is where, with timestamps.</summary>
    private static async Task<IResult> ListDevicesAsync(string id, HttpContext context, RolloutService service)
    {
        var query = context.Request.Query;
        foreach (var key in query.Keys)
        {
            if (key is not ("status" or "after" or "limit"))
            {
                throw ProblemException.Validation(key, $"Unknown query parameter '{key}'; expected status, after or limit.");
            }
        }
        var statuses = new List<DeviceUpdateStatus>();
        foreach (var text in query["status"])
        {
            if (!DeviceUpdateStatusNames.TryParse(text, out var status))
            {
                throw ProblemException.Validation("status", $"status must be a device update state such as assigned, installing, succeeded, failed, rollback-pending or rolled-back; got '{text}'.");
            }
            statuses.Add(status);
        }
        var limit = IntQuery(context, "limit", 1) ?? 100;
        if (limit > MaxDevicePage)
        {
            throw ProblemException.Validation("limit", $"limit must be at most {MaxDevicePage}; got {limit}.");
        }
        var after = query.TryGetValue("after", out var afterText) ? afterText.ToString() : null;
        return Results.Json(await service.ListDevicesAsync(id, statuses, after, limit, context.RequestAborted), JsonBody.Options);
    }

    private static async Task<IResult> Json<T>(Task<T> result) => Results.Json(await result, JsonBody.Options);

    private static string Actor(HttpContext context) => OperatorIdentity.Of(context).Actor;

    private static long? ExpectedVersion(HttpContext context) => IntQuery(context, "expectedVersion", 0);

    private static int? IntQuery(HttpContext context, string name, int minimum)
    {
        if (!context.Request.Query.TryGetValue(name, out var text))
        {
            return null;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < minimum)
        {
            throw ProblemException.Validation(name, $"{name} must be an integer of at least {minimum}; got '{text}'.");
        }
        return value;
    }
}
