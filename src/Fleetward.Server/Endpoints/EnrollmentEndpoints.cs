using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Access;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Identity;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fleetward.Server.Endpoints;

/// <summary>Enrollment groups and one-time tokens on the operator API: the provisioner's routes.</summary>
public static class EnrollmentEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var groups = api.MapGroup("/groups");
        groups.MapPost("/", CreateGroupAsync).RequireRole(OperatorRole.Provisioner);
        groups.MapGet("/", ListGroupsAsync).RequireRole(OperatorRole.Provisioner);
        groups.MapPost("/{name}/tokens", CreateTokenAsync).RequireRole(OperatorRole.Provisioner);
    }

    /// <summary>Body of POST /api/v1/groups. No factoryCaPem means token mode; approval is "auto" or "manual".</summary>
    public sealed record CreateGroupRequest(string Name, string Model, string? FactoryCaPem = null, IReadOnlyList<string>? Tags = null, long? CertLifetimeSeconds = null, string? Approval = null);

    /// <summary>An enrollment group as the API shows it (factory CAs by subject and SHA-256 fingerprint).</summary>
    public sealed record GroupView(string Name, string Mode, string Model, IReadOnlyList<string> Tags, long CertLifetimeSeconds, string Approval, IReadOnlyList<string> FactoryCas, DateTimeOffset CreatedAt)
    {
        public static GroupView From(EnrollmentGroup group) => new(
            group.Name,
            group.UsesFactoryCa ? "factory-ca" : "token",
            group.Model,
            group.Tags,
            (long)group.CertificateLifetime.TotalSeconds,
            group.Approval == EnrollmentApproval.Manual ? "manual" : "auto",
            [.. group.FactoryCaCertificates.Select(der =>
            {
                using var certificate = X509CertificateLoader.LoadCertificate(der);
                return $"{certificate.Subject} (sha256 {certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)})";
            })],
            group.CreatedAt);
    }

    public sealed record CreateTokenRequest(string DeviceId, long? ExpiresInSeconds = null);

    private static async Task<IResult> CreateGroupAsync(HttpContext context, EnrollmentGroupService service)
    {
        var request = await JsonBody.ReadAsync<CreateGroupRequest>(context.Request);
        var approval = request.Approval switch
        {
            null or "auto" => EnrollmentApproval.Automatic,
            "manual" => EnrollmentApproval.Manual,
            _ => throw ProblemException.Validation("$.approval", $"approval must be \"auto\" or \"manual\", got \"{request.Approval}\"."),
        };
        var lifetime = request.CertLifetimeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : Trust.Pki.DeviceCertificateAuthority.DefaultLifetime;
        var group = await service.CreateGroupAsync(request.Name, request.FactoryCaPem, request.Model, request.Tags ?? [], lifetime, approval,
            OperatorIdentity.Of(context).Actor, context.RequestAborted);
        return Results.Json(GroupView.From(group), JsonBody.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListGroupsAsync(HttpContext context, IFleetStore store)
    {
        await using var read = await store.ReadAsync(context.RequestAborted);
        var groups = await read.Enrollment.ListGroupsAsync(context.RequestAborted);
        return Results.Json(groups.Select(GroupView.From).ToList(), JsonBody.Options);
    }

    private static async Task<IResult> CreateTokenAsync(string name, HttpContext context, EnrollmentGroupService service)
    {
        var request = await JsonBody.ReadAsync<CreateTokenRequest>(context.Request);
        var expiresIn = request.ExpiresInSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : EnrollmentGroupService.DefaultTokenLifetime;
        var token = await service.CreateTokenAsync(name, request.DeviceId, expiresIn, OperatorIdentity.Of(context).Actor, context.RequestAborted);
        return Results.Json(token, JsonBody.Options, statusCode: StatusCodes.Status201Created);
    }
}
