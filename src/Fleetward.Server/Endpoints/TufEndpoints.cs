using Fleetward.Core.Access;
using Fleetward.Core.Devices;
using Fleetward.Server.Access;
using Fleetward.Server.Devices;
using Fleetward.Server.Hosting;
using Fleetward.Server.Options;
using Fleetward.Server.Problems;
using Fleetward.Server.Updates;
using Fleetward.Trust.Tuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Server.Endpoints;

/// <summary>
/// The TUF repository: metadata and targets read-only on the device listener (consistent-snapshot names), and on the
/// operator API the ceremony endpoints: the current root and the server's online keys, a root signed offline (admin),
/// and a targets role's unsigned draft and its offline-signed upload (release manager).
/// </summary>
public sealed class TufEndpoints : IServerModule
{
    public const string AnonymousJustification =
        "TUF metadata and targets carry their own signatures and hashes (TUF spec 2.1, 5.x): any client, including a " +
        "standard TUF client or a device before enrollment, can verify them without trusting the channel.";

    private bool _requireDevice;
    private bool _hasRepository;

    public void ConfigureServices(IServiceCollection services, ServerOptions options)
    {
        if (options.DataDirectory is null) return;
        var directory = new UpdatesDirectory(options.DataDirectory);
        if (!directory.Exists) return;
        // Loaded now, so a bad settings file or an unopenable key stops the server at start with the file named.
        UpdatesSettings settings;
        TufKeyring keyring;
        try
        {
            settings = UpdatesSettings.Load(directory);
            keyring = TufKeyring.Load(directory, Environment.GetEnvironmentVariable);
        }
        catch (Exception e) when (e is UpdatesSettingsException or TufKeyFileException)
        {
            throw new Configuration.ConfigurationException(e is TufKeyFileException key ? key.Path : directory.SettingsPath, null, e.Message, e);
        }
        _requireDevice = settings.RequireDeviceCertificate;
        _hasRepository = true;
        services.AddSingleton(directory);
        services.AddSingleton(settings);
        services.AddSingleton(keyring);
        services.AddSingleton<ArtifactStore>();
        services.AddSingleton<TufRepositoryService>();
        services.AddHostedService<TufResigningService>();
    }

    public void MapEndpoints(FleetwardRoutes routes)
    {
        MapOperatorApi(routes);
        // Without a repository there is nothing to serve, and no reason to let certificate-less clients onto the device listener.
        if (!_hasRepository) return;
        var tuf = routes.Device.MapGroup("/tuf");
        var metadata = tuf.MapGet("/metadata/{file}", MetadataAsync);
        var targets = tuf.MapGet("/targets/{**path}", TargetAsync);
        if (_requireDevice)
        {
            metadata.RequireDevice(DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined);
            targets.RequireDevice(DeviceLifecycleState.Active);
        }
        else
        {
            metadata.AllowWithoutDeviceCertificate(AnonymousJustification);
            targets.AllowWithoutDeviceCertificate(AnonymousJustification);
        }
    }

    private static void MapOperatorApi(FleetwardRoutes routes)
    {
        var api = routes.OperatorApi.MapGroup("/tuf");
        api.MapGet("/root", (Delegate)RootAsync).RequireRole(OperatorRole.Auditor);
        api.MapPut("/root", (Delegate)UploadRootAsync).RequireRole(OperatorRole.Admin);
        api.MapGet("/online-keys", (Delegate)OnlineKeysAsync).RequireRole(OperatorRole.Auditor);
        api.MapGet("/roles/{role}/draft", DraftAsync).RequireRole(OperatorRole.ReleaseManager);
        api.MapPut("/roles/{role}", UploadTargetsAsync).RequireRole(OperatorRole.ReleaseManager);
    }

    /// <summary>The repository service, or 503 when this server has no update repository (no data directory, or one from before updates).</summary>
    public static TufRepositoryService Repository(HttpContext context) =>
        context.RequestServices.GetService<TufRepositoryService>()
        ?? throw new ProblemException(new Problem(ProblemType.Unavailable, "This server has no update repository; run 'fleetward init' to create one."));

    private static async Task<IResult> MetadataAsync(string file, HttpContext context)
    {
        var content = await Repository(context).ReadMetadataAsync(file, context.RequestAborted)
            ?? throw ProblemException.NotFound($"No metadata file '{file}'.");
        return Results.Bytes(content, "application/json");
    }

    private static async Task<IResult> TargetAsync(string path, HttpContext context)
    {
        var found = await Repository(context).OpenTargetAsync(path, context.RequestAborted)
            ?? throw ProblemException.NotFound($"No target '{path}'.");
        return Results.Stream(found.Content, "application/octet-stream");
    }

    private static async Task<IResult> RootAsync(HttpContext context) =>
        Results.Bytes((await Repository(context).CurrentRootAsync(context.RequestAborted)).ToBytes(), "application/json");

    private static async Task<IResult> OnlineKeysAsync(HttpContext context)
    {
        var keys = await Repository(context).OnlineKeysAsync(context.RequestAborted);
        var json = new System.Text.Json.Nodes.JsonArray([.. keys.Select(k => (System.Text.Json.Nodes.JsonNode)k.ToJson())]);
        return Results.Text(json.ToJsonString(), "application/json");
    }

    private static async Task<IResult> UploadRootAsync(HttpContext context)
    {
        var root = await Repository(context).AcceptRootAsync(await ReadMetadataBodyAsync(context.Request), OperatorIdentity.Of(context).Actor, context.RequestAborted);
        return Results.Json(new AcceptedMetadata(TufRoles.Root, root.Version, root.Expires), JsonBody.Options);
    }

    private static async Task<IResult> DraftAsync(string role, HttpContext context) =>
        Results.Bytes((await Repository(context).DraftAsync(role, context.RequestAborted)).ToBytes(), "application/json");

    private static async Task<IResult> UploadTargetsAsync(string role, HttpContext context)
    {
        var targets = await Repository(context).AcceptSignedTargetsAsync(role, await ReadMetadataBodyAsync(context.Request), OperatorIdentity.Of(context).Actor, context.RequestAborted);
        return Results.Json(new AcceptedMetadata(role, targets.Version, targets.Expires), JsonBody.Options);
    }

    /// <summary>A signed metadata file as the body, verbatim: its signatures cover its canonical form, so it is not re-serialized.</summary>
    private static async Task<byte[]> ReadMetadataBodyAsync(HttpRequest request)
    {
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            throw new ProblemException(new Problem(ProblemType.UnsupportedMediaType, $"Content-Type must be application/json, got '{request.ContentType ?? "(none)"}'.", "Content-Type"));
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        if (buffer.Length == 0 || buffer.Length > JsonBody.MaxBodyBytes)
            throw ProblemException.Validation("$", $"The body must be a signed metadata file of 1 to {JsonBody.MaxBodyBytes} bytes.");
        return buffer.ToArray();
    }

    /// <summary>What the server accepted: the role, its version and expiry.</summary>
    public sealed record AcceptedMetadata(string Role, long Version, DateTimeOffset Expires);
}
