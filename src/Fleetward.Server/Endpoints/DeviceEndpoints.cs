using Fleetward.Core.Access;
using Fleetward.Core.Devices;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Hosting;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Endpoints;

/// <summary>The device registry as operators read it. Read-only here; lifecycle changes come with device identity.</summary>
public sealed class DeviceEndpoints : IServerModule
{
    public const int MaxPageSize = 1000;

    public void MapEndpoints(FleetwardRoutes routes)
    {
        var devices = routes.OperatorApi.MapGroup("/devices");
        devices.MapGet("/", ListAsync).RequireRole(OperatorRole.Auditor);
        devices.MapGet("/{id}", GetAsync).RequireRole(OperatorRole.Auditor);
    }

    private static async Task<IResult> ListAsync(HttpContext context, IFleetStore store)
    {
        var query = ParseQuery(context.Request.Query);
        await using var read = await store.ReadAsync(context.RequestAborted);
        var devices = await read.Devices.ListAsync(query, context.RequestAborted);
        var next = devices.Count == query.Limit ? devices[^1].Id : null;
        return Results.Json(new DevicePage([.. devices.Select(DeviceView.From)], next), JsonBody.Options);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, IFleetStore store)
    {
        await using var read = await store.ReadAsync(context.RequestAborted);
        var device = await read.Devices.GetAsync(id, context.RequestAborted)
            ?? throw ProblemException.NotFound($"No device with id '{id}'.");
        return Results.Json(DeviceView.From(device), JsonBody.Options);
    }

    /// <summary>Reads after, limit, state, model and tag; a bad value is a validation problem naming the parameter.</summary>
    public static DeviceQuery ParseQuery(IQueryCollection query)
    {
        foreach (var key in query.Keys)
        {
            if (key is not ("after" or "limit" or "state" or "model" or "tag"))
            {
                throw ProblemException.Validation(key, $"Unknown query parameter '{key}'; expected after, limit, state, model or tag.");
            }
            if (query[key].Count > 1)
            {
                throw ProblemException.Validation(key, $"Query parameter '{key}' is given more than once.");
            }
        }
        var limit = 100;
        if (query.TryGetValue("limit", out var limitText)
            && (!int.TryParse(limitText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxPageSize))
        {
            throw ProblemException.Validation("limit", $"limit must be an integer from 1 to {MaxPageSize}; got '{limitText}'.");
        }
        DeviceLifecycleState? state = null;
        if (query.TryGetValue("state", out var stateText))
        {
            if (!DeviceLifecycleStateNames.TryParse(stateText, out var parsed))
            {
                throw ProblemException.Validation("state", $"state must be pending, active, quarantined or decommissioned; got '{stateText}'.");
            }
            state = parsed;
        }
        return new DeviceQuery(NonEmpty(query, "after"), limit, state, NonEmpty(query, "model"), NonEmpty(query, "tag"));
    }

    private static string? NonEmpty(IQueryCollection query, string key)
    {
        if (!query.TryGetValue(key, out var value))
        {
            return null;
        }
        return string.IsNullOrEmpty(value) ? throw ProblemException.Validation(key, $"Query parameter '{key}' must not be empty.") : value.ToString();
    }

    /// <summary>A device as the API shows it.</summary>
    public sealed record DeviceView(string Id, string Model, string? HardwareRevision, IReadOnlyList<string> Tags, string State,
        DateTimeOffset CreatedAt, DateTimeOffset? FirstSeenAt, DateTimeOffset? LastSeenAt)
    {
        public static DeviceView From(Device device) => new(device.Id, device.Model, device.HardwareRevision, device.Tags,
            device.State.ToName(), device.CreatedAt, device.FirstSeenAt, device.LastSeenAt);
    }

    /// <summary>One page of devices; pass <see cref="Next"/> as <c>after</c> to get the next page (null at the end).</summary>
    public sealed record DevicePage(IReadOnlyList<DeviceView> Items, string? Next);
}
