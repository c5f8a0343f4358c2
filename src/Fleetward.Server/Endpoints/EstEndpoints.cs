using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Fleetward.Core.Devices;
using Fleetward.Server.Devices;
using Fleetward.Server.Identity;
using Fleetward.Server.Problems;
using Fleetward.Trust.Pki;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Fleetward.Server.Endpoints;

/// <summary>
/// EST (RFC 7030) on the device listener, plus the CRL. Responses are base64 DER on one line without a
/// Content-Transfer-Encoding header (RFC 8951 2); refusals are RFC 9457 problems with the stable refusal code.
/// </summary>
public static class EstEndpoints
{
    public const string Prefix = "/.well-known/est";

    public static void Map(RouteGroupBuilder device)
    {
        var est = device.MapGroup(Prefix);
        // RFC 7030 4.1.1: /cacerts needs no authentication; it is how a device bootstraps trust (checked out of band).
        est.MapGet("/cacerts", CaCerts).AllowWithoutDeviceCertificate("RFC 7030 4.1.1: CA certificates are public and bootstrap trust");
        est.MapGet("/csrattrs", CsrAttrs).AllowWithoutDeviceCertificate("RFC 7030 4.5: CSR attributes are public");
        est.MapPost("/simpleenroll", EnrollAsync).AllowWithoutDeviceCertificate("RFC 7030 4.2.1: authenticated inside by a one-time token or a factory certificate");
        est.MapPost("/simplereenroll", ReenrollAsync).RequireDevice(DeviceLifecycleState.Active, DeviceLifecycleState.Quarantined);
        device.MapGet(CrlPublisher.Path, CrlAsync).AllowWithoutDeviceCertificate("RFC 5280 5: a CRL is signed and public");
    }

    private static IResult CaCerts(HttpContext context)
    {
        var ca = RequireAuthority(context);
        // RFC 7030 4.1.3: the current CA certificates; the root is the trust anchor the device should pin.
        return Base64(EstWireFormat.EncodeCertsOnly([ca.Issuing, ca.Root]), EstWireFormat.CertsOnlyMediaType);
    }

    private static IResult CsrAttrs(HttpContext context)
    {
        RequireAuthority(context);
        return Base64(EstWireFormat.EncodeCsrAttributes(EstWireFormat.DefaultCsrAttributes), EstWireFormat.CsrAttrsMediaType);
    }

    private static async Task CrlAsync(HttpContext context)
    {
        RequireAuthority(context);
        var der = await context.RequestServices.GetRequiredService<CrlPublisher>().GetAsync(context.RequestAborted);
        context.Response.ContentType = CrlPublisher.MediaType;
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.Body.WriteAsync(der, context.RequestAborted);
    }

    private static async Task EnrollAsync(HttpContext context)
    {
        var service = context.RequestServices.GetRequiredService<EstEnrollmentService>();
        var (body, refusal) = await ReadBodyAsync(context.Request);
        EstOutcome outcome;
        if (refusal is not null)
        {
            outcome = await service.RefuseAsync(null, EstEnrollmentService.EnrollEndpoint, refusal, context.RequestAborted);
        }
        else
        {
            var (user, password, malformed) = ParseBasic(context.Request);
            if (malformed is not null)
            {
                outcome = await service.RefuseAsync(null, EstEnrollmentService.EnrollEndpoint, malformed, context.RequestAborted);
            }
            else
            {
                var certificate = context.Connection.ClientCertificate;
                outcome = await service.EnrollAsync(new EnrollmentCredentials(user, password, user is null ? certificate : null, []), body, context.RequestAborted);
            }
        }

        await WriteAsync(context, outcome);
    }

    private static async Task ReenrollAsync(HttpContext context)
    {
        var device = context.GetAuthenticatedDevice();
        var service = context.RequestServices.GetRequiredService<EstEnrollmentService>();
        var (body, refusal) = await ReadBodyAsync(context.Request);
        var outcome = refusal is not null
            ? await service.RefuseAsync(device.Device.Id, EstEnrollmentService.ReenrollEndpoint, refusal, context.RequestAborted)
            : await service.ReenrollAsync(device.Device.Id, device.Certificate, body, context.RequestAborted);
        await WriteAsync(context, outcome);
    }

    private static async Task WriteAsync(HttpContext context, EstOutcome outcome)
    {
        if (outcome.Certificate is { } certificate)
        {
            // RFC 7030 4.2.3: a certs-only PKCS#7 holding just the issued certificate.
            await Base64(EstWireFormat.EncodeCertsOnly([certificate]), EstWireFormat.CertsOnlyMediaType).ExecuteAsync(context);
            return;
        }

        if (outcome.RetryAfter is { } retryAfter)
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            context.Response.Headers.RetryAfter = ((int)retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return;
        }

        var refusal = outcome.Refusal!;
        if (refusal.Status == StatusCodes.Status401Unauthorized)
        {
            // RFC 7030 3.2.3 / RFC 9110 11.6.1: say how to authenticate.
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"fleetward-est\"";
        }

        await ProblemWriter.WriteAsync(context, DeviceProblems.Est(refusal));
    }

    /// <summary>Reads at most <see cref="EstWireFormat.MaxBase64BodyChars"/> characters; a larger body is refused (413) without reading it all.</summary>
    private static async Task<(string? Body, EstRefusal? Refusal)> ReadBodyAsync(HttpRequest request)
    {
        var tooLarge = new EstRefusal(StatusCodes.Status413PayloadTooLarge, PkiErrorCodes.BodyTooLarge, "body",
            $"The body is larger than {EstWireFormat.MaxBase64BodyChars} bytes.");
        if (request.ContentLength > EstWireFormat.MaxBase64BodyChars)
        {
            return (null, tooLarge);
        }

        if (request.ContentType is { } contentType
            && (!MediaTypeHeaderValue.TryParse(contentType, out var media) || !string.Equals(media.MediaType, EstWireFormat.Pkcs10MediaType, StringComparison.OrdinalIgnoreCase)))
        {
            return (null, new EstRefusal(StatusCodes.Status415UnsupportedMediaType, "est.media_type", "Content-Type",
                $"Content-Type must be {EstWireFormat.Pkcs10MediaType} (RFC 7030 4.2.1), got '{contentType}'."));
        }

        var buffer = new byte[EstWireFormat.MaxBase64BodyChars + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(total), request.HttpContext.RequestAborted)) > 0)
        {
            total += read;
        }

        return total > EstWireFormat.MaxBase64BodyChars ? (null, tooLarge) : (Encoding.ASCII.GetString(buffer, 0, total), null);
    }

    private static (string? User, string? Password, EstRefusal? Malformed) ParseBasic(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return (null, null, null);
        }

        var malformed = new EstRefusal(StatusCodes.Status401Unauthorized, "est.authorization_malformed", "authorization",
            "The Authorization header must be HTTP Basic with the device id as user and the one-time token as password.");
        if (!AuthenticationHeaderValue.TryParse(header, out var value) || !string.Equals(value.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || value.Parameter is null)
        {
            return (null, null, malformed);
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value.Parameter));
        }
        catch (FormatException)
        {
            return (null, null, malformed);
        }

        var colon = decoded.IndexOf(':');
        return colon <= 0 ? (null, null, malformed) : (decoded[..colon], decoded[(colon + 1)..], null);
    }

    private static FleetCertificateAuthority RequireAuthority(HttpContext context) =>
        context.RequestServices.GetService<FleetCertificateAuthority>()
        ?? throw new ProblemException(new Problem(ProblemType.Unavailable, "No device certificate authority is configured on this server; run 'fleetward ca init'."));

    private static IResult Base64(byte[] der, string mediaType) =>
        Results.Bytes(Encoding.ASCII.GetBytes(EstWireFormat.EncodeBase64(der)), mediaType);
}
