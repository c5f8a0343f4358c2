using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Fleetward.Core.Audit;
using Fleetward.Core.Ports;
using Fleetward.Server.Problems;
using Fleetward.Trust.Pki;

namespace Fleetward.Server.Identity;

/// <summary>A one-time enrollment token as handed out once: the plaintext is never stored.</summary>
public sealed record IssuedEnrollmentToken(string Token, string DeviceId, string Group, DateTimeOffset ExpiresAt);

/// <summary>Creates enrollment groups and one-time tokens (the provisioner's job), each audited with its creation.</summary>
public sealed class EnrollmentGroupService(IFleetStore store, TimeProvider time, FactoryTrustCache factoryTrust)
{
    public const string TokenPrefix = "fwe_";
    public static readonly TimeSpan MaxTokenLifetime = TimeSpan.FromDays(30);
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromHours(1);

    /// <summary>Creates a group. Every factory CA certificate must be a CA (basicConstraints cA=TRUE), and at least one self-signed.</summary>
    /// <exception cref="ProblemException">A field is invalid (400, naming it) or the name is taken (409).</exception>
    public async Task<EnrollmentGroup> CreateGroupAsync(
        string name, string? factoryCaPem, string model, IReadOnlyList<string> tags, TimeSpan lifetime, EnrollmentApproval approval, string actor, CancellationToken cancellationToken)
    {
        if (!DeviceIdentityName.IsValidDeviceId(name))
        {
            throw ProblemException.Validation("$.name", "name must be 1 to 64 characters of letters, digits, '.', '-' or '_'.");
        }

        if (string.IsNullOrWhiteSpace(model) || model.Length > 128)
        {
            throw ProblemException.Validation("$.model", "model must be 1 to 128 characters.");
        }

        if (tags.Any(t => string.IsNullOrWhiteSpace(t) || t.Length > 64 || t.Contains('\n')))
        {
            throw ProblemException.Validation("$.tags", "every tag must be 1 to 64 characters on one line.");
        }

        if (lifetime < DeviceCertificateAuthority.MinimumLifetime || lifetime > DeviceCertificateAuthority.MaximumLifetime)
        {
            throw ProblemException.Validation("$.certLifetimeSeconds", $"the certificate lifetime must be between {DeviceCertificateAuthority.MinimumLifetime} and {DeviceCertificateAuthority.MaximumLifetime}.");
        }

        var factoryCas = factoryCaPem is null ? [] : ParseFactoryCas(factoryCaPem);
        var group = new EnrollmentGroup(name, [.. factoryCas.Select(c => c.RawData)], model, [.. tags.Distinct(StringComparer.Ordinal)], lifetime, approval, time.GetUtcNow());
        await using (var uow = await store.BeginAsync(cancellationToken))
        {
            if (!await uow.Enrollment.InsertGroupAsync(group, cancellationToken))
            {
                throw new ProblemException(new Problem(ProblemType.Conflict, $"An enrollment group named '{name}' already exists.", "$.name"));
            }

            await uow.Audit.AppendAsync(Event("enrollment.group.created", name, actor, writer =>
            {
                writer.WriteString("group", name);
                writer.WriteString("mode", group.UsesFactoryCa ? "factory-ca" : "token");
                writer.WriteStartArray("factoryCaSha256");
                foreach (var ca in factoryCas)
                {
                    writer.WriteStringValue(ca.GetCertHashString(HashAlgorithmName.SHA256));
                }

                writer.WriteEndArray();
                writer.WriteString("model", model);
                writer.WriteString("approval", approval == EnrollmentApproval.Manual ? "manual" : "auto");
                writer.WriteNumber("certLifetimeSeconds", (long)lifetime.TotalSeconds);
            }), cancellationToken);
            await uow.CommitAsync(cancellationToken);
        }

        factoryTrust.Invalidate();
        return group;
    }

    /// <summary>Issues a one-time token for <paramref name="deviceId"/> in a token group; only its SHA-256 is stored.</summary>
    public async Task<IssuedEnrollmentToken> CreateTokenAsync(string groupName, string deviceId, TimeSpan expiresIn, string actor, CancellationToken cancellationToken)
    {
        if (!DeviceIdentityName.IsValidDeviceId(deviceId))
        {
            throw ProblemException.Validation("$.deviceId", "deviceId must be 1 to 64 characters of letters, digits, '.', '-' or '_'.");
        }

        if (expiresIn <= TimeSpan.Zero || expiresIn > MaxTokenLifetime)
        {
            throw ProblemException.Validation("$.expiresInSeconds", $"a token must expire within {MaxTokenLifetime.TotalDays} days.");
        }

        var now = time.GetUtcNow();
        var secret = TokenPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = new EnrollmentToken(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), groupName, deviceId, HashSecret(secret), now, now + expiresIn, null);
        await using (var uow = await store.BeginAsync(cancellationToken))
        {
            var group = await uow.Enrollment.GetGroupAsync(groupName, cancellationToken) ?? throw ProblemException.NotFound($"No enrollment group named '{groupName}'.");
            if (group.UsesFactoryCa)
            {
                throw new ProblemException(new Problem(ProblemType.Conflict, $"Group '{groupName}' enrolls devices by factory certificate; it issues no tokens.", "group"));
            }

            await uow.Enrollment.InsertTokenAsync(token, cancellationToken);
            await uow.Audit.AppendAsync(Event("enrollment.token.created", deviceId, actor, writer =>
            {
                writer.WriteString("tokenId", token.Id);
                writer.WriteString("group", groupName);
                writer.WriteString("deviceId", deviceId);
                writer.WriteString("expiresAt", token.ExpiresAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            }), cancellationToken);
            await uow.CommitAsync(cancellationToken);
        }

        return new IssuedEnrollmentToken(secret, deviceId, groupName, token.ExpiresAt);
    }

    /// <summary>SHA-256 of the token text: the token carries 256 random bits, so no slow hash is needed.</summary>
    public static byte[] HashSecret(string secret) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret));

    private static List<X509Certificate2> ParseFactoryCas(string pem)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw ProblemException.Validation("$.factoryCaPem", $"factoryCaPem is not PEM certificates: {e.Message}");
        }

        if (collection.Count == 0)
        {
            throw ProblemException.Validation("$.factoryCaPem", "factoryCaPem holds no certificate.");
        }

        foreach (var certificate in collection)
        {
            if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().SingleOrDefault() is not { CertificateAuthority: true })
            {
                throw ProblemException.Validation("$.factoryCaPem", $"'{certificate.Subject}' is not a CA certificate (RFC 5280 4.2.1.9).");
            }
        }

        if (!collection.Any(c => c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData)))
        {
            throw ProblemException.Validation("$.factoryCaPem", "factoryCaPem must include the manufacturer's self-signed root CA.");
        }

        return [.. collection];
    }

    private AuditEvent Event(string type, string subject, string actor, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return new AuditEvent(type, time.GetUtcNow(), actor, subject, System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
