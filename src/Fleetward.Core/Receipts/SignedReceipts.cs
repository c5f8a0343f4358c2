using Fleetward.Trust.Canonical;
using Fleetward.Trust.Commands;
using Fleetward.Trust.Notes;

namespace Fleetward.Core.Receipts;

/// <summary>The answer of an offline receipt check: the receipt when every step passed, or the step that failed.</summary>
public sealed record ReceiptVerification(SecurityReceipts? Receipts, string? Failure)
{
    public bool Verified => Receipts is not null;

    public static ReceiptVerification Refused(string failure) => new(null, failure);
}

/// <summary>
/// Signs and verifies exported receipts: the canonical receipt JSON in a DSSE envelope (secure-systems-lab/dsse
/// envelope.md; Trust's <see cref="SignedCommand"/> is the envelope), signed with the server's audit-log key, so
/// whoever pinned that key for the log can check a receipt with no connection to the server, and the checkpoint
/// inside it ties the figures to the same tamper-evident log.
/// </summary>
public static class SignedReceipts
{
    public const string PayloadType = "application/vnd.fleetward.security-receipts.v1+json";

    /// <summary>The DSSE key id of a log key: its vkey name and 32-bit key hash, "origin+hash" (a lookup hint only).</summary>
    public static string KeyIdOf(NoteVerifierKey key) => $"{key.Name}+{key.KeyId:x8}";

    /// <summary>Signs PAE(payloadType, canonical receipt) (DSSE protocol.md "Protocol" step 2) with the log key.</summary>
    public static SignedCommand Sign(SecurityReceipts receipts, INoteSigner logKey)
    {
        ArgumentNullException.ThrowIfNull(logKey);
        var payload = SecurityReceiptsJson.ToCanonicalBytes(receipts);
        var signature = logKey.Sign(SignedCommand.PreAuthenticationEncoding(PayloadType, payload));
        return new SignedCommand(PayloadType, payload, [new CommandSignature(KeyIdOf(logKey.VerifierKey), signature)]);
    }

    /// <summary>
    /// Checks an exported envelope against the pinned log key, in the order DSSE protocol.md "Verification" requires
    /// (signature before parsing the payload), then the payload form, then the embedded audit checkpoint.
    /// </summary>
    public static ReceiptVerification Verify(string envelopeJson, NoteVerifierKey logKey)
    {
        ArgumentNullException.ThrowIfNull(logKey);
        SignedCommand envelope;
        try
        {
            envelope = SignedCommand.FromJson(envelopeJson);
        }
        catch (FormatException e)
        {
            return ReceiptVerification.Refused($"envelope: {e.Message}");
        }

        // DSSE protocol.md Verification 1-3: the payload type is what we expect and one signature verifies.
        if (envelope.PayloadType != PayloadType)
        {
            return ReceiptVerification.Refused($"envelope.payloadType: '{envelope.PayloadType}' is not {PayloadType}");
        }
        var signed = SignedCommand.PreAuthenticationEncoding(envelope.PayloadType, envelope.Payload);
        var keyId = KeyIdOf(logKey);
        var candidates = envelope.Signatures.Where(s => s.KeyId.Length == 0 || s.KeyId == keyId).ToList();
        if (candidates.Count == 0)
        {
            return ReceiptVerification.Refused($"signature: no signature by key {keyId} (found {string.Join(", ", envelope.Signatures.Select(s => s.KeyId))})");
        }
        if (!candidates.Any(s => logKey.Verify(signed, s.Signature)))
        {
            return ReceiptVerification.Refused($"signature: the signature by {keyId} does not verify over the payload (altered payload or wrong key)");
        }

        // DSSE step 4: only now parse the payload. It must be the canonical form that was signed.
        SecurityReceipts receipts;
        try
        {
            receipts = SecurityReceiptsJson.Parse(envelope.Payload);
            if (!CanonicalJson.Canonicalize(envelope.Payload).AsSpan().SequenceEqual(envelope.Payload))
            {
                return ReceiptVerification.Refused("payload: not in canonical JSON form");
            }
        }
        catch (Exception e) when (e is FormatException or CanonicalJsonException)
        {
            return ReceiptVerification.Refused($"payload: {e.Message}");
        }

        // The anchor: a checkpoint named in the receipt must itself be signed by the same log key and say what the receipt says.
        var audit = receipts.Audit;
        if (audit.CheckpointNote is { } note)
        {
            var opened = Checkpoint.Open(note, logKey, logKey.Name);
            if (!opened.IsValid)
            {
                return ReceiptVerification.Refused($"audit.checkpoint: {opened.Reason}");
            }
            var checkpoint = opened.Checkpoint!;
            if (checkpoint.TreeSize != audit.CheckpointTreeSize || Convert.ToHexStringLower(checkpoint.RootHash) != audit.CheckpointRootHashHex)
            {
                return ReceiptVerification.Refused(
                    $"audit.checkpoint: the signed checkpoint (size {checkpoint.TreeSize}) does not match checkpointTreeSize/checkpointRootHash of the receipt");
            }
            if (checkpoint.TreeSize > audit.LogSize)
            {
                return ReceiptVerification.Refused($"audit.logSize: {audit.LogSize} is smaller than the checkpoint's tree size {checkpoint.TreeSize}");
            }
        }
        else if (audit.CheckpointVerified)
        {
            return ReceiptVerification.Refused("audit.checkpointVerified: true without a checkpoint");
        }
        return new ReceiptVerification(receipts, null);
    }
}
