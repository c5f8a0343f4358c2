namespace Fleetward.Trust.Notes;

/// <summary>Why a signed note, verifier key or checkpoint was refused; stable codes for callers and logs.</summary>
public enum NoteError
{
    /// <summary>Not valid UTF-8, control characters, or no text before the signatures.</summary>
    MalformedNote,
    /// <summary>No blank line separates the text from the signature lines (C2SP signed-note, Format).</summary>
    MissingBlankLine,
    /// <summary>A signature line is not "— name base64(keyID || signature)".</summary>
    MalformedSignatureLine,
    /// <summary>More signature lines than the verifier accepts.</summary>
    TooManySignatures,
    /// <summary>No signature is from a key the verifier trusts.</summary>
    UnknownKey,
    /// <summary>A signature from a trusted key does not verify.</summary>
    BadSignature,
    /// <summary>A verifier key string is not "name+hash+base64(type || key)" or its hash does not match.</summary>
    InvalidVerifierKey,
    /// <summary>The note text is not a C2SP tlog-checkpoint body.</summary>
    MalformedCheckpoint,
    /// <summary>The checkpoint's origin is not the expected log.</summary>
    OriginMismatch,
    /// <summary>The checkpoint's tree size or root hash differ from what was recomputed.</summary>
    TreeMismatch,
}

/// <summary>A refused note, key or checkpoint; <see cref="Code"/> says which rule, the message names the line or field.</summary>
public sealed class NoteFormatException(NoteError code, string message) : FormatException(message)
{
    public NoteError Code { get; } = code;
}
