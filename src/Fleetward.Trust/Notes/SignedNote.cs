using System.Buffers.Binary;
using System.Text;

namespace Fleetward.Trust.Notes;

/// <summary>One signature line of a note: key name, key ID and the raw signature bytes.</summary>
public sealed record NoteSignature(string KeyName, uint KeyId, byte[] Signature);

/// <summary>Outcome of opening a note: the text is only to be used when <see cref="IsValid"/>; a refusal carries its code and reason.</summary>
public sealed record NoteVerification(bool IsValid, NoteError? Error, string Reason, SignedNote? Note, IReadOnlyList<NoteVerifierKey> VerifiedBy)
{
    public static NoteVerification Refused(NoteError error, string reason, SignedNote? note = null) => new(false, error, reason, note, []);
}

/// <summary>
/// A C2SP signed-note: text ending in a newline, a blank line, then signature lines
/// "— name base64(keyID || signature)". The text must be ignored unless a trusted key's signature verifies.
/// </summary>
public sealed class SignedNote
{
    /// <summary>C2SP signed-note: verifiers must accept at least 16 signatures and should cap them.</summary>
    public const int MaxSignatures = 100;

    private const string SignaturePrefix = "\u2014 ";

    private SignedNote(string text, IReadOnlyList<NoteSignature> signatures)
    {
        Text = text;
        Signatures = signatures;
    }

    /// <summary>The signed text, including its final newline and excluding the separating blank line.</summary>
    public string Text { get; }

    public IReadOnlyList<NoteSignature> Signatures { get; }

    /// <summary>Signs <paramref name="text"/> with each signer, in order.</summary>
    public static SignedNote Sign(string text, params INoteSigner[] signers)
    {
        RequireValidText(text);
        if (signers.Length == 0)
        {
            throw new ArgumentException("A signed note needs at least one signer.", nameof(signers));
        }
        var message = Encoding.UTF8.GetBytes(text);
        var signatures = signers
            .Select(s => new NoteSignature(s.VerifierKey.Name, s.VerifierKey.KeyId, s.Sign(message)))
            .ToList();
        return new SignedNote(text, signatures);
    }

    /// <summary>Parses a UTF-8 note; see <see cref="Parse(string)"/>.</summary>
    public static SignedNote Parse(ReadOnlySpan<byte> utf8)
    {
        string note;
        try
        {
            note = new UTF8Encoding(false, true).GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            throw new NoteFormatException(NoteError.MalformedNote, "The note is not valid UTF-8.");
        }
        return Parse(note);
    }

    /// <summary>Parses the note's structure without checking any signature (C2SP signed-note, Format).</summary>
    public static SignedNote Parse(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        // Format: no ASCII control characters other than newline.
        for (var i = 0; i < note.Length; i++)
        {
            if (note[i] < 0x20 && note[i] != '\n')
            {
                throw new NoteFormatException(NoteError.MalformedNote, $"The note contains control character U+{(int)note[i]:X4} at offset {i}.");
            }
        }
        // Format: the text is separated from the signatures by the last empty line.
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0)
        {
            throw new NoteFormatException(NoteError.MissingBlankLine, "The note has no blank line between its text and its signatures.");
        }
        var text = note[..(split + 1)];
        var block = note[(split + 2)..];
        if (block.Length == 0)
        {
            throw new NoteFormatException(NoteError.MalformedSignatureLine, "The note has no signature lines after its blank line.");
        }
        if (!block.EndsWith('\n'))
        {
            throw new NoteFormatException(NoteError.MalformedSignatureLine, "The last signature line does not end with a newline.");
        }
        var lines = block[..^1].Split('\n');
        if (lines.Length > MaxSignatures)
        {
            throw new NoteFormatException(NoteError.TooManySignatures, $"The note has {lines.Length} signatures; at most {MaxSignatures} are accepted.");
        }
        var signatures = new List<NoteSignature>(lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            signatures.Add(ParseSignatureLine(lines[i], i + 1));
        }
        return new SignedNote(text, signatures);
    }

    /// <summary>
    /// Parses and verifies (C2SP signed-note, Signatures): signatures from unknown keys are ignored; a signature
    /// from a known key (same name and key ID) must verify or the whole note is refused; at least one must verify.
    /// </summary>
    public static NoteVerification Open(string note, IReadOnlyCollection<NoteVerifierKey> trustedKeys)
    {
        ArgumentNullException.ThrowIfNull(trustedKeys);
        SignedNote parsed;
        try
        {
            parsed = Parse(note);
        }
        catch (NoteFormatException e)
        {
            return NoteVerification.Refused(e.Code, e.Message);
        }
        return parsed.Verify(trustedKeys);
    }

    /// <summary>Verifies this parsed note's signatures against <paramref name="trustedKeys"/>; see <see cref="Open"/>.</summary>
    public NoteVerification Verify(IReadOnlyCollection<NoteVerifierKey> trustedKeys)
    {
        ArgumentNullException.ThrowIfNull(trustedKeys);
        var message = Encoding.UTF8.GetBytes(Text);
        var verified = new List<NoteVerifierKey>();
        foreach (var signature in Signatures)
        {
            var key = trustedKeys.FirstOrDefault(k => k.Name == signature.KeyName && k.KeyId == signature.KeyId);
            if (key is null)
            {
                continue;
            }
            if (!key.Verify(message, signature.Signature))
            {
                return NoteVerification.Refused(NoteError.BadSignature, $"The signature by '{signature.KeyName}' (key {signature.KeyId:x8}) does not verify.", this);
            }
            if (!verified.Contains(key))
            {
                verified.Add(key);
            }
        }
        if (verified.Count == 0)
        {
            var seen = string.Join(", ", Signatures.Select(s => $"{s.KeyName}+{s.KeyId:x8}"));
            return NoteVerification.Refused(NoteError.UnknownKey, $"No signature is from a trusted key (signed by: {seen}).", this);
        }
        return new NoteVerification(true, null, "signature verifies", this, verified);
    }

    /// <summary>The wire form: text, blank line, signature lines.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder(Text).Append('\n');
        foreach (var signature in Signatures)
        {
            var blob = new byte[4 + signature.Signature.Length];
            BinaryPrimitives.WriteUInt32BigEndian(blob, signature.KeyId);
            signature.Signature.CopyTo(blob, 4);
            builder.Append(SignaturePrefix).Append(signature.KeyName).Append(' ').Append(Convert.ToBase64String(blob)).Append('\n');
        }
        return builder.ToString();
    }

    private static NoteSignature ParseSignatureLine(string line, int number)
    {
        if (!line.StartsWith(SignaturePrefix, StringComparison.Ordinal))
        {
            throw new NoteFormatException(NoteError.MalformedSignatureLine, $"Signature line {number} does not start with an em dash and a space.");
        }
        var rest = line[SignaturePrefix.Length..];
        var space = rest.IndexOf(' ');
        if (space <= 0 || space == rest.Length - 1 || rest.IndexOf(' ', space + 1) >= 0)
        {
            throw new NoteFormatException(NoteError.MalformedSignatureLine, $"Signature line {number} is not '— <key name> <base64 signature>'.");
        }
        var name = rest[..space];
        if (!NoteVerifierKey.IsValidName(name))
        {
            throw new NoteFormatException(NoteError.MalformedSignatureLine, $"Signature line {number} has an invalid key name '{name}'.");
        }
        var blob = NoteVerifierKey.StrictBase64(rest[(space + 1)..], NoteError.MalformedSignatureLine, $"the signature on line {number}");
        // Signatures: 4 bytes of big-endian key ID followed by at least one byte of signature.
        if (blob.Length < 5)
        {
            throw new NoteFormatException(NoteError.MalformedSignatureLine, $"The signature on line {number} is shorter than a key ID plus a signature.");
        }
        return new NoteSignature(name, BinaryPrimitives.ReadUInt32BigEndian(blob), blob[4..]);
    }

    private static void RequireValidText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0 || !text.EndsWith('\n'))
        {
            throw new NoteFormatException(NoteError.MalformedNote, "Note text must be non-empty and end with a newline.");
        }
        if (text.Any(c => c < 0x20 && c != '\n'))
        {
            throw new NoteFormatException(NoteError.MalformedNote, "Note text must not contain control characters other than newline.");
        }
    }
}
