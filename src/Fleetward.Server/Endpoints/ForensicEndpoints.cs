using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Fleetward.Core.Access;
using Fleetward.Core.Audit;
using Fleetward.Core.Devices;
using Fleetward.Core.Incidents;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Devices;
using Fleetward.Server.Hosting;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Fleetward.Server.Endpoints;

/// <summary>
/// The forensic log pull (issue 7): a device uploads its evidence bundle for an outstanding upload-forensics
/// command, quarantined or not; the server keeps the bytes with their SHA-256, audits the receipt and notes it on
/// the incident that asked for it. Operators list (auditor) and download (operator) the bundles.
/// </summary>
public sealed class ForensicEndpoints : IServerModule
{
    /// <summary>Large enough for recent logs, a process and socket snapshot and buffered telemetry; small enough to hold in memory.</summary>
    public const int MaxBundleBytes = 4 * 1024 * 1024;

    /// <summary>RFC 9110 section 15.5.14: the content is larger than the server is willing to process.</summary>
    public static readonly ProblemType TooLarge = new("too-large", 413, "The request body is too large");

    public void MapEndpoints(FleetwardRoutes routes)
    {
        routes.Device.MapPost("/device/v1/forensics/{commandId}", UploadAsync).RequireDevice(DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined);
        routes.OperatorApi.MapGet("/devices/{id}/forensics", ListAsync).RequireRole(OperatorRole.Auditor);
        routes.OperatorApi.MapGet("/devices/{id}/forensics/{bundleId}", DownloadAsync).RequireRole(OperatorRole.Operator);
    }

    private static async Task<IResult> UploadAsync(string commandId, HttpContext context, IFleetStore store, TimeProvider time)
    {
        var device = context.GetAuthenticatedDevice().Device;
        var content = await ReadBoundedAsync(context);
        if (content.Length == 0) throw ProblemException.Validation("$", "The forensic bundle is empty.");
        var now = time.GetUtcNow();
        await using var work = await store.BeginAsync(context.RequestAborted);
        var command = await work.DeviceCommands.GetAsync(commandId, context.RequestAborted);
        if (command is null || command.DeviceId != device.Id)
            throw new ProblemException(new Problem(ProblemType.NotFound, $"No command '{commandId}' for this device.", "commandId"));
        if (command.Kind != DeviceCommandKind.UploadForensicLogs)
            throw new ProblemException(new Problem(ProblemType.Conflict, $"Command '{commandId}' is {command.Kind.ToName()}, not {DeviceCommandKind.UploadForensicLogs.ToName()}.", "commandId"));
        if (command.Status is not (DeviceCommandStatus.Pending or DeviceCommandStatus.Delivered) || command.ExpiresAt <= now)
            throw new ProblemException(new Problem(ProblemType.Conflict,
                $"Command '{commandId}' is no longer outstanding ({(command.ExpiresAt <= now ? "expired" : command.Status.ToName())}).", "commandId"));

        var info = new ForensicBundleInfo("fb_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), device.Id, commandId, command.IncidentId,
            Convert.ToHexStringLower(SHA256.HashData(content)), content.Length, now);
        if (!await work.ForensicBundles.InsertAsync(info, content, context.RequestAborted))
            throw new ProblemException(new Problem(ProblemType.Conflict, $"Command '{commandId}' already has a forensic bundle.", "commandId"));
        await work.Audit.AppendAsync(new AuditEvent("device.forensics.uploaded", now, "device:" + device.Id, device.Id, new JsonObject
        {
            ["bundle_id"] = info.Id,
            ["command_id"] = commandId,
            ["incident_id"] = info.IncidentId,
            ["sha256"] = info.Sha256Hex,
            ["size_bytes"] = info.SizeBytes,
        }.ToJsonString()), context.RequestAborted);
        if (info.IncidentId is { } incidentId && await work.Incidents.GetAsync(incidentId, context.RequestAborted) is { } incident)
        {
            await work.Incidents.UpdateAsync(incident.NoteEvidence(now, "device:" + device.Id,
                $"forensic bundle {info.Id}: {info.SizeBytes} bytes, sha256 {info.Sha256Hex}"), context.RequestAborted);
        }
        await work.CommitAsync(context.RequestAborted);
        return Results.Json(ForensicBundleView.From(info), JsonBody.Options, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>Refuses a body over the limit from its Content-Length, or after reading one byte past it, without buffering more.</summary>
    private static async Task<byte[]> ReadBoundedAsync(HttpContext context)
    {
        var tooLarge = new ProblemException(new Problem(TooLarge, $"The forensic bundle is larger than {MaxBundleBytes} bytes.", "$"));
        if (context.Request.ContentLength > MaxBundleBytes) throw tooLarge;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxBundleBytes + 1;
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBundleBytes) throw tooLarge;
        }
        return buffer.ToArray();
    }

    private static async Task<IResult> ListAsync(string id, HttpContext context, IFleetStore store)
    {
        await using var read = await store.ReadAsync(context.RequestAborted);
        if (await read.Devices.GetAsync(id, context.RequestAborted) is null) throw ProblemException.NotFound($"No device with id '{id}'.");
        var bundles = await read.ForensicBundles.ListForDeviceAsync(id, context.RequestAborted);
        return Results.Json(bundles.Select(ForensicBundleView.From).ToList(), JsonBody.Options);
    }

    /// <summary>Each download is audited: who pulled which evidence is part of its chain of custody.</summary>
    private static async Task<IResult> DownloadAsync(string id, string bundleId, HttpContext context, IFleetStore store, TimeProvider time)
    {
        await using var work = await store.BeginAsync(context.RequestAborted);
        var bundle = await work.ForensicBundles.GetAsync(id, bundleId, context.RequestAborted)
            ?? throw ProblemException.NotFound($"No forensic bundle '{bundleId}' for device '{id}'.");
        await work.Audit.AppendAsync(new AuditEvent("device.forensics.downloaded", time.GetUtcNow(), OperatorIdentity.Of(context).Actor, id, new JsonObject
        {
            ["bundle_id"] = bundleId,
            ["sha256"] = bundle.Info.Sha256Hex,
        }.ToJsonString()), context.RequestAborted);
        await work.CommitAsync(context.RequestAborted);
        // RFC 9530 section 3: the digest of the representation, so a client can verify what it received.
        context.Response.Headers["Repr-Digest"] = "sha-256=:" + Convert.ToBase64String(Convert.FromHexString(bundle.Info.Sha256Hex)) + ":";
        return Results.File(bundle.Content, "application/octet-stream", bundleId + ".bin");
    }

    /// <summary>A stored bundle as the operator API shows it.</summary>
    public sealed record ForensicBundleView(string Id, string DeviceId, string CommandId, string? IncidentId, string Sha256, long SizeBytes, DateTimeOffset ReceivedAt)
    {
        public static ForensicBundleView From(ForensicBundleInfo i) => new(i.Id, i.DeviceId, i.CommandId, i.IncidentId, i.Sha256Hex, i.SizeBytes, i.ReceivedAt);
    }
}
