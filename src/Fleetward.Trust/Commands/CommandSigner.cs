using System.Security.Cryptography;

namespace Fleetward.Trust.Commands;

/// <summary>Identifies a command key: lowercase hex SHA-256 of its DER SubjectPublicKeyInfo (RFC 5280 4.1.2.7).</summary>
public static class CommandKeyId
{
    public static string Of(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
}

/// <summary>
/// The server's side: signs commands with its command key, ECDSA P-256 over SHA-256 with DER signatures,
/// over the DSSE pre-authentication encoding of the canonical payload (DSSE protocol.md "Protocol").
/// </summary>
public sealed class CommandSigner
{
    private readonly ECDsa key;
    private readonly string keyId;

    public CommandSigner(ECDsa key)
    {
        CommandVerifier.RequireP256(key, nameof(key));
        this.key = key;
        keyId = CommandKeyId.Of(key);
    }

    public SignedCommand Sign(DeviceCommand command)
    {
        var payload = command.Encode();
        var signature = key.SignData(
            SignedCommand.PreAuthenticationEncoding(DeviceCommand.PayloadType, payload),
            HashAlgorithmName.SHA256,
            DSASignatureFormat.Rfc3279DerSequence);
        return new SignedCommand(DeviceCommand.PayloadType, payload, [new CommandSignature(keyId, signature)]);
    }
}
