using Fleetward.Core.Access;
using Fleetward.Core.Releases;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Hosting;
using Fleetward.Server.Problems;
using Fleetward.Server.Updates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Fleetward.Core.Rollouts;

namespace Fleetward.Server.Endpoints;

/// <summary>
/// The release catalogue: upload an artifact (content-addressed), publish it as a release (a TUF target, signed at
/// once by development keys or later offline), list and show releases. Rollouts resolve releases by id here.
/// </summary>
public sealed class ReleaseEndpoints : IServerModule
{
    /// <summary>Largest artifact accepted (firmware images, root file systems).</summary>
    public const long MaxArtifactBytes = 4L * 1024 * 1024 * 1024;

    public void MapEndpoints(FleetwardRoutes routes)
    {
        var releases = routes.OperatorApi.MapGroup("/releases");
        releases.MapPost("/artifacts", (Delegate)UploadAsync).RequireRole(OperatorRole.ReleaseManager);
        releases.MapPost("/", (Delegate)PublishAsync).RequireRole(OperatorRole.ReleaseManager);
        releases.MapGet("/", ListAsync).RequireRole(OperatorRole.Auditor);
        releases.MapGet("/{id}", GetAsync).RequireRole(OperatorRole.Auditor);
    }

    private static async Task<IResult> UploadAsync(HttpContext context)
    {
        var repository = TufEndpoints.Repository(context);
        if (context.Request.ContentType is not "application/octet-stream")
            throw new ProblemException(new Problem(ProblemType.UnsupportedMediaType,
                $"Content-Type must be application/octet-stream, got '{context.Request.ContentType ?? "(none)"}'.", "Content-Type"));
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxArtifactBytes;
        StoredArtifact stored;
        try
        {
            stored = await repository.Artifacts.PutAsync(context.Request.Body, MaxArtifactBytes, context.RequestAborted);
        }
        catch (ArtifactTooLargeException e)
        {
            throw ProblemException.Validation("$", e.Message);
        }
        return Results.Json(new ArtifactView(stored.Sha256, stored.Sha512, stored.Length), JsonBody.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> PublishAsync(HttpContext context)
    {
        var request = await JsonBody.ReadAsync<PublishReleaseRequest>(context.Request);
        var release = await TufEndpoints.Repository(context).PublishAsync(request, OperatorIdentity.Of(context).Actor, context.RequestAborted);
        return Results.Json(ReleaseView.From(release), JsonBody.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpContext context, IFleetStore store)
    {
        ReleaseChannel? channel = null;
        ReleaseState? state = null;
        if (context.Request.Query["channel"] is { Count: > 0 } c)
            channel = ReleaseChannelNames.TryParse(c[0], out var parsed) ? parsed : throw ProblemException.Validation("channel", $"must be stable or security, got '{c[0]}'.");
        if (context.Request.Query["state"] is { Count: > 0 } s)
            state = ReleaseNames.TryParseState(s[0], out var parsed) ? parsed : throw ProblemException.Validation("state", $"must be pending or signed, got '{s[0]}'.");
        await using var read = await store.ReadAsync(context.RequestAborted);
        var releases = await read.Releases.ListAsync(channel, state, context.RequestAborted);
        return Results.Json(new ReleaseList([.. releases.Select(ReleaseView.From)]), JsonBody.Options);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, IFleetStore store)
    {
        await using var read = await store.ReadAsync(context.RequestAborted);
        var release = await read.Releases.GetAsync(id, context.RequestAborted) ?? throw ProblemException.NotFound($"No release with id '{id}'.");
        var signatures = await read.Releases.ListSignaturesAsync(id, context.RequestAborted);
        return Results.Json(ReleaseView.From(release) with { Signatures = [.. signatures.Select(s => new SignatureView(s.KeyId, s.Role, s.SignedAt))] }, JsonBody.Options);
    }

    /// <summary>Response of an artifact upload: pass <see cref="Sha256"/> to publish.</summary>
    public sealed record ArtifactView(string Sha256, string Sha512, long Length);

    public sealed record SignatureView(string KeyId, string Role, DateTimeOffset SignedAt);

    /// <summary>A release as the API shows it.</summary>
    public sealed record ReleaseView(string Id, string Version, long SecurityVersion, string Channel, string State, string TargetPath,
        string TargetsRole, IReadOnlyList<string> Hardware, long Length, string Sha256, string Sha512, string? SbomSha256,
        DateTimeOffset CreatedAt, string CreatedBy, long? TargetsVersion, DateTimeOffset? SignedAt, IReadOnlyList<SignatureView>? Signatures = null)
    {
        public static ReleaseView From(Release r) => new(r.Id, r.Version, r.SecurityVersion, r.Channel.ToName(), r.State.ToName(), r.TargetPath,
            r.TargetsRole, r.HardwareIds, r.Length, r.Sha256, r.Sha512, r.SbomSha256, r.CreatedAt, r.CreatedBy, r.TargetsVersion, r.SignedAt);
    }

    public sealed record ReleaseList(IReadOnlyList<ReleaseView> Items);
}
