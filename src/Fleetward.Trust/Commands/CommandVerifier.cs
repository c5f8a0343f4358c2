using System.Security.Cryptography;

namespace Fleetward.Trust.Commands;

/// <summary>Why a device refused a command; reported back to the server and audited there.</summary>
public enum CommandRefusal
{
    Malformed,
    BadSignature,
    UnknownType,
    WrongDevice,
    NotYetValid,
    Expired,
    ValidityTooLong,
    Replayed,
}

/// <summary>A command that passed every check, with its type resolved.</summary>
public sealed record VerifiedCommand(CommandType Type, DeviceCommand Command);

/// <summary>The verifier's answer: the verified command, or a refusal with a detail naming what failed.</summary>
public sealed record CommandVerification(VerifiedCommand? Command, CommandRefusal? Refusal, string Detail)
{
    public bool Accepted => Command is not null;

    public static CommandVerification Refuse(CommandRefusal refusal, string detail) => new(null, refusal, detail);
}

/// <summary>
/// Remembers command nonces until the command expires, so a captured command cannot be played again; the
/// device keeps it durable across restarts.
/// </summary>
public interface ICommandNonceStore
{
    /// <summary>Records <paramref name="nonce"/>; false when it was already recorded (a replay).</summary>
    bool TryRecord(string nonce, DateTimeOffset keepUntil, DateTimeOffset now);
}

/// <summary>Limits of the time checks.</summary>
public sealed record CommandVerifierOptions(TimeSpan ClockSkew, TimeSpan MaxLifetime)
{
    public static CommandVerifierOptions Default { get; } = new(TimeSpan.FromMinutes(5), TimeSpan.FromHours(24));
}

/// <summary>
/// The device's pure check of a signed command against the server command keys it trusts: signature first
/// (DSSE protocol.md: verify, then parse), then type, device binding, validity window and nonce. The nonce is
/// recorded only when every other check passed, so a refused command never uses one up.
/// </summary>
public sealed class CommandVerifier
{
    private readonly IReadOnlyList<(string KeyId, ECDsa Key)> trustedKeys;
    private readonly CommandVerifierOptions options;

    public CommandVerifier(IReadOnlyList<ECDsa> trustedKeys, CommandVerifierOptions? options = null)
    {
        if (trustedKeys.Count == 0)
        {
            throw new ArgumentException("trustedKeys: at least one server command key is needed", nameof(trustedKeys));
        }
        foreach (var key in trustedKeys)
        {
            RequireP256(key, nameof(trustedKeys));
        }
        this.trustedKeys = trustedKeys.Select(key => (CommandKeyId.Of(key), key)).ToList();
        this.options = options ?? CommandVerifierOptions.Default;
    }

    public CommandVerification Verify(SignedCommand envelope, string deviceId, DateTimeOffset now, ICommandNonceStore nonces)
    {
        // DSSE protocol.md "Verification" 1-4: check the signature over PAE(payloadType, payload) with a
        // trusted key and the expected payload type before reading the payload.
        if (envelope.PayloadType != DeviceCommand.PayloadType)
        {
            return CommandVerification.Refuse(CommandRefusal.Malformed, $"payloadType '{envelope.PayloadType}' is not {DeviceCommand.PayloadType}");
        }
        var signed = SignedCommand.PreAuthenticationEncoding(envelope.PayloadType, envelope.Payload);
        if (!envelope.Signatures.Any(signature => IsValid(signature, signed)))
        {
            return CommandVerification.Refuse(CommandRefusal.BadSignature, "no signature verifies with a trusted command key");
        }

        DeviceCommand command;
        try
        {
            command = DeviceCommand.Decode(envelope.Payload);
        }
        catch (FormatException error)
        {
            return CommandVerification.Refuse(CommandRefusal.Malformed, error.Message);
        }
        if (!CommandTypeNames.TryParse(command.Type, out var type))
        {
            return CommandVerification.Refuse(CommandRefusal.UnknownType, $"command type '{command.Type}' is unknown");
        }
        if (!string.Equals(command.DeviceId, deviceId, StringComparison.Ordinal))
        {
            return CommandVerification.Refuse(CommandRefusal.WrongDevice, $"command is for device '{command.DeviceId}', this is '{deviceId}'");
        }
        if (command.ExpiresAt <= command.IssuedAt)
        {
            return CommandVerification.Refuse(CommandRefusal.Malformed, "command.expiresAt is not after command.issuedAt");
        }
        if (command.ExpiresAt - command.IssuedAt > options.MaxLifetime)
        {
            return CommandVerification.Refuse(CommandRefusal.ValidityTooLong, $"command is valid for {command.ExpiresAt - command.IssuedAt}, more than {options.MaxLifetime}");
        }
        if (command.IssuedAt > now + options.ClockSkew)
        {
            return CommandVerification.Refuse(CommandRefusal.NotYetValid, $"command is issued at {command.IssuedAt:O}, after {now:O} plus the allowed skew");
        }
        if (now >= command.ExpiresAt)
        {
            return CommandVerification.Refuse(CommandRefusal.Expired, $"command expired at {command.ExpiresAt:O}");
        }
        if (!nonces.TryRecord(command.Nonce, command.ExpiresAt, now))
        {
            return CommandVerification.Refuse(CommandRefusal.Replayed, $"nonce '{command.Nonce}' was already used");
        }
        return new CommandVerification(new VerifiedCommand(type, command), null, "verified");
    }

    internal static void RequireP256(ECDsa key, string parameter)
    {
        if (key.KeySize != 256)
        {
            throw new ArgumentException($"{parameter}: command keys are ECDSA P-256, found a {key.KeySize}-bit key", parameter);
        }
    }

    private bool IsValid(CommandSignature signature, byte[] signed)
    {
        foreach (var (keyId, key) in trustedKeys)
        {
            // The key id is only a hint (DSSE envelope.md); an empty one means try every trusted key.
            if (signature.KeyId.Length > 0 && signature.KeyId != keyId)
            {
                continue;
            }
            try
            {
                if (key.VerifyData(signed, signature.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
                {
                    return true;
                }
            }
            catch (CryptographicException)
            {
                // A signature that is not a DER ECDSA-Sig-Value does not verify.
            }
        }
        return false;
    }
}
