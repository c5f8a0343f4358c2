using Fleetward.Trust.Commands;

namespace Fleetward.Agent.Commands;

/// <summary>How handling a command ended.</summary>
public enum CommandOutcomeKind
{
    Executed,
    Refused,
    Failed,
}

/// <summary>
/// What the agent reports back for a command: executed, refused by verification (with the refusal), or
/// failed while executing. Type and nonce are present when the payload was readable after verification.
/// </summary>
public sealed record CommandOutcome(CommandOutcomeKind Kind, string? Type, string? Nonce, CommandRefusal? Refusal, string Detail);

/// <summary>
/// Executes server commands on the device (issue 7, device item 3) only after <see cref="CommandVerifier"/>
/// accepted them for this device at the current time; every refusal comes back as an outcome to report.
/// </summary>
public sealed class CommandHandler(
    CommandVerifier verifier,
    string deviceId,
    ICommandNonceStore nonces,
    TimeProvider clock,
    CommandResponders responders)
{
    public async Task<CommandOutcome> HandleAsync(SignedCommand envelope, CancellationToken cancellationToken)
    {
        var verification = verifier.Verify(envelope, deviceId, clock.GetUtcNow(), nonces);
        if (verification.Command is not { } verified)
        {
            return new CommandOutcome(CommandOutcomeKind.Refused, null, null, verification.Refusal, verification.Detail);
        }
        var command = verified.Command;
        try
        {
            var detail = await ExecuteAsync(verified, cancellationToken).ConfigureAwait(false);
            return new CommandOutcome(CommandOutcomeKind.Executed, command.Type, command.Nonce, null, detail);
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new CommandOutcome(CommandOutcomeKind.Failed, command.Type, command.Nonce, null, $"{command.Type} failed: {error.Message}");
        }
    }

    private async Task<string> ExecuteAsync(VerifiedCommand verified, CancellationToken cancellationToken)
    {
        var parameters = verified.Command.Parameters;
        switch (verified.Type)
        {
            case CommandType.Isolate:
                responders.Isolation.Isolate(parameters.GetValueOrDefault("reason") ?? "isolated by the server");
                return "isolation flag set";
            case CommandType.Release:
                responders.Isolation.Release();
                return "isolation flag cleared";
            case CommandType.Zeroize:
                return $"{responders.Keys.Zeroize()} key files destroyed";
            case CommandType.RotateCredentials:
                await responders.Credentials.RotateAsync(cancellationToken).ConfigureAwait(false);
                return "credentials rotated";
            case CommandType.ReAttest:
                await responders.Attestation.ReAttestAsync(cancellationToken).ConfigureAwait(false);
                return "attestation sent";
            case CommandType.UploadForensics:
                await responders.Forensics.UploadAsync(verified.Command.Nonce, parameters, cancellationToken).ConfigureAwait(false);
                return "forensic logs uploaded";
            default:
                throw new InvalidOperationException($"no responder for command type {verified.Type}");
        }
    }
}
