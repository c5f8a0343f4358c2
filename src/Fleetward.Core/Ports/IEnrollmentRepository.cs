namespace Fleetward.Core.Ports;

/// <summary>Whether a device of a group becomes active at first enrollment, or waits for an operator.</summary>
public enum EnrollmentApproval
{
    Automatic,
    Manual,
}

/// <summary>
/// An enrollment group (the Azure DPS / AWS fleet provisioning idea): how its devices prove who they are (a factory
/// CA when <paramref name="FactoryCaCertificates"/> is non-empty, one-time tokens otherwise), and what the registry
/// records for them at first enrollment.
/// </summary>
public sealed record EnrollmentGroup(
    string Name,
    IReadOnlyList<byte[]> FactoryCaCertificates,
    string Model,
    IReadOnlyList<string> Tags,
    TimeSpan CertificateLifetime,
    EnrollmentApproval Approval,
    DateTimeOffset CreatedAt)
{
    public bool UsesFactoryCa => FactoryCaCertificates.Count > 0;
}

/// <summary>A one-time enrollment token, bound to one device id; only the SHA-256 of its secret is stored.</summary>
public sealed record EnrollmentToken(
    string Id,
    string GroupName,
    string DeviceId,
    byte[] SecretHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? ConsumedAt);

/// <summary>Enrollment groups, one-time tokens, and which group each device enrolled through.</summary>
public interface IEnrollmentRepository
{
    /// <summary>Returns false when a group with that name exists (nothing is changed).</summary>
    Task<bool> InsertGroupAsync(EnrollmentGroup group, CancellationToken cancellationToken = default);

    Task<EnrollmentGroup?> GetGroupAsync(string name, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<EnrollmentGroup>> ListGroupsAsync(CancellationToken cancellationToken = default);

    Task InsertTokenAsync(EnrollmentToken token, CancellationToken cancellationToken = default);

    Task<EnrollmentToken?> FindTokenBySecretHashAsync(byte[] secretHash, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks the token used, atomically: true only for the one caller that found it unused and unexpired at
    /// <paramref name="at"/>, so a replayed token can never be consumed twice.
    /// </summary>
    Task<bool> ConsumeTokenAsync(string id, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Records the group a device enrolled through (the first one wins; later calls change nothing).</summary>
    Task SetDeviceGroupAsync(string deviceId, string groupName, CancellationToken cancellationToken = default);

    Task<string?> GetDeviceGroupAsync(string deviceId, CancellationToken cancellationToken = default);
}
