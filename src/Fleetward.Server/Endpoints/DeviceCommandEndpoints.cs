using System.Text.Json.Nodes;
using Fleetward.Core.Access;
using Fleetward.Core.Audit;
using Fleetward.Core.DeviceApi;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Detection;
using Fleetward.Server.Devices;
using Fleetward.Server.Hosting;
using Fleetward.Server.Options;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Server.Endpoints;

/// <summary>
/// Signed commands for devices: a device fetches its outstanding commands and reports what it did with each; the
/// public command key is served so agents can pin it. Quarantined devices keep these routes: isolate and release
/// reach them this way.
/// </summary>
public sealed class DeviceCommandEndpoints : IServerModule
{
    public void ConfigureServices(IServiceCollection services, ServerOptions options) => services.AddDetection();

    public void MapEndpoints(FleetwardRoutes routes)
    {
        var device = routes.Device.MapGroup("/device/v1");
        device.MapGet("/commands", FetchAsync).RequireDevice(DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined);
        device.MapPost("/commands/{id}/outcome", OutcomeAsync).RequireDevice(DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined);
        device.MapGet("/command-key", (ServerCommandKey key) => Results.Json(new CommandKeyView(key.KeyId, "ecdsa-p256-sha256", key.PublicKeyPem), JsonBody.Options))
            .RequireDevice(DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined);
        routes.OperatorApi.MapGet("/devices/{id}/commands", ListAsync).RequireRole(OperatorRole.Auditor);
    }

    private static async Task<IResult> FetchAsync(HttpContext context, IFleetStore store, TimeProvider time)
    {
        var device = context.GetAuthenticatedDevice().Device;
        var now = time.GetUtcNow();
        await using var work = await store.BeginAsync(context.RequestAborted);
        var commands = await work.DeviceCommands.ListOutstandingAsync(device.Id, now, context.RequestAborted);
        await work.DeviceCommands.MarkDeliveredAsync([.. commands.Where(c => c.Status == DeviceCommandStatus.Pending).Select(c => c.Id)], now, context.RequestAborted);
        await work.CommitAsync(context.RequestAborted);
        return Results.Json(new CommandBatch([.. commands.Select(c => new DeviceCommandView(c.Id, c.Kind.ToName(), JsonNode.Parse(c.Envelope)!.AsObject()))]), JsonBody.Options);
    }

    private static async Task<IResult> OutcomeAsync(string id, HttpContext context, IFleetStore store, TimeProvider time, DetectionMetrics metrics)
    {
        var device = context.GetAuthenticatedDevice().Device;
        var body = await JsonBody.ReadAsync<CommandOutcomeReport>(context.Request);
        if (!DeviceCommandStatusNames.TryParse(body.Status, out var status) || status is DeviceCommandStatus.Pending or DeviceCommandStatus.Delivered)
        {
            throw ProblemException.Validation("$.status", $"status must be completed, refused or failed; got '{body.Status}'.");
        }
        if (body.Detail.Length > 1024) throw ProblemException.Validation("$.detail", "detail must be at most 1024 characters.");
        var now = time.GetUtcNow();
        await using var work = await store.BeginAsync(context.RequestAborted);
        var command = await work.DeviceCommands.GetAsync(id, context.RequestAborted);
        if (command is null || command.DeviceId != device.Id) throw ProblemException.NotFound($"No command '{id}' for this device.");
        if (!await work.DeviceCommands.RecordOutcomeAsync(device.Id, id, status, body.Detail, now, context.RequestAborted))
        {
            throw new ProblemException(new Problem(ProblemType.Conflict, $"Command '{id}' already has an outcome ({command.Status.ToName()})."));
        }
        await work.Audit.AppendAsync(new AuditEvent("device.command.outcome", now, "device:" + device.Id, device.Id, new JsonObject
        {
            ["command_id"] = id,
            ["kind"] = command.Kind.ToName(),
            ["status"] = status.ToName(),
            ["detail"] = body.Detail,
        }.ToJsonString()), context.RequestAborted);
        await work.CommitAsync(context.RequestAborted);
        metrics.CommandOutcome(status.ToName());
        return Results.NoContent();
    }

    private static async Task<IResult> ListAsync(string id, HttpContext context, IFleetStore store)
    {
        await using var read = await store.ReadAsync(context.RequestAborted);
        if (await read.Devices.GetAsync(id, context.RequestAborted) is null) throw ProblemException.NotFound($"No device with id '{id}'.");
        var commands = await read.DeviceCommands.ListForDeviceAsync(id, 100, context.RequestAborted);
        return Results.Json(commands.Select(c => new CommandStatusView(c.Id, c.Kind.ToName(), c.IncidentId, c.Status.ToName(), c.IssuedAt, c.ExpiresAt,
            c.DeliveredAt, c.CompletedAt, c.Outcome)).ToList(), JsonBody.Options);
    }

    public sealed record CommandStatusView(string Id, string Kind, string? IncidentId, string Status, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt,
        DateTimeOffset? DeliveredAt, DateTimeOffset? CompletedAt, string? Outcome);
}
