namespace Fleetward.Agent.Commands;

/// <summary>Enrolls again with fresh keys (EST simplereenroll, or enroll through the factory identity).</summary>
public interface ICredentialRotation
{
    Task RotateAsync(CancellationToken cancellationToken);
}

/// <summary>Produces and sends a fresh attestation (TPM quote) to the server.</summary>
public interface IReAttestation
{
    Task ReAttestAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Collects local logs and evidence and uploads them to the server's forensic endpoint for the command
/// <paramref name="commandId"/> (its signed nonce, the id the server accepts the upload for).
/// </summary>
public interface IForensicsUpload
{
    Task UploadAsync(string commandId, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken);
}

/// <summary>What carries out each verified command type on this device.</summary>
public sealed record CommandResponders(
    IsolationFlag Isolation,
    KeyZeroizer Keys,
    ICredentialRotation Credentials,
    IReAttestation Attestation,
    IForensicsUpload Forensics);
