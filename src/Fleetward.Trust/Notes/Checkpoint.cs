using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Fleetward.Trust.Merkle;

namespace Fleetward.Trust.Notes;

/// <summary>Outcome of checking a signed checkpoint; a refusal carries its code and reason.</summary>
public sealed record CheckpointVerification(bool IsValid, NoteError? Error, string Reason, Checkpoint? Checkpoint, SignedNote? Note)
{
    public static CheckpointVerification Refused(NoteError error, string reason, SignedNote? note = null) => new(false, error, reason, null, note);
}

/// <summary>
/// A C2SP tlog-checkpoint: the note text "origin\nsize\nbase64(root)\n" plus optional extension lines. The log's
/// signed statement of its tree head, which auditors pin and later prove the log consistent with.
/// </summary>
public sealed class Checkpoint
{
    public Checkpoint(string origin, long treeSize, byte[] rootHash, IReadOnlyList<string>? extensions = null)
    {
        // tlog-checkpoint, Note text 1: the origin is non-empty (and, as a note line, a single line).
        if (string.IsNullOrEmpty(origin) || origin.Contains('\n'))
        {
            throw new NoteFormatException(NoteError.MalformedCheckpoint, "Checkpoint origin must be a non-empty single line.");
        }
        if (treeSize < 0)
        {
            throw new NoteFormatException(NoteError.MalformedCheckpoint, $"Checkpoint tree size must not be negative, got {treeSize}.");
        }
        if (rootHash is null || rootHash.Length != MerkleHasher.HashSize)
        {
            throw new NoteFormatException(NoteError.MalformedCheckpoint, $"Checkpoint root hash must be {MerkleHasher.HashSize} bytes.");
        }
        var ext = extensions?.ToArray() ?? [];
        // tlog-checkpoint, Note text 4: extension lines, if any, are non-empty.
        if (ext.Any(e => string.IsNullOrEmpty(e) || e.Contains('\n')))
        {
            throw new NoteFormatException(NoteError.MalformedCheckpoint, "Checkpoint extension lines must be non-empty single lines.");
        }
        Origin = origin;
        TreeSize = treeSize;
        RootHash = (byte[])rootHash.Clone();
        Extensions = ext;
    }

    public string Origin { get; }
    public long TreeSize { get; }
    public byte[] RootHash { get; }
    public IReadOnlyList<string> Extensions { get; }

    /// <summary>The note text this checkpoint signs.</summary>
    public string ToNoteText()
    {
        var builder = new StringBuilder()
            .Append(Origin).Append('\n')
            .Append(TreeSize.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(Convert.ToBase64String(RootHash)).Append('\n');
        foreach (var extension in Extensions)
        {
            builder.Append(extension).Append('\n');
        }
        return builder.ToString();
    }

    /// <summary>Parses a checkpoint body (tlog-checkpoint, Note text), naming the line that is wrong.</summary>
    public static Checkpoint ParseText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.EndsWith('\n'))
        {
            throw new NoteFormatException(NoteError.MalformedCheckpoint, "Checkpoint text must end with a newline.");
        }
        var lines = text[..^1].Split('\n');
        if (lines.Length < 3)
        {
            throw new NoteFormatException(NoteError.MalformedCheckpoint, $"A checkpoint has at least three lines (origin, tree size, root hash), got {lines.Length}.");
        }
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                throw new NoteFormatException(NoteError.MalformedCheckpoint, $"Checkpoint line {i + 1} is empty.");
            }
        }
        // Line 2: ASCII decimal, no leading zeroes unless the tree is empty.
        var sizeText = lines[1];
        if (!sizeText.All(char.IsAsciiDigit) || (sizeText.Length > 1 && sizeText[0] == '0')
            || !long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new NoteFormatException(NoteError.MalformedCheckpoint, $"Checkpoint line 2 (tree size) must be a decimal number without leading zeroes, got '{sizeText}'.");
        }
        // Line 3: base64 of the RFC 6962 root hash.
        var root = NoteVerifierKey.StrictBase64(lines[2], NoteError.MalformedCheckpoint, "checkpoint line 3 (root hash)");
        if (root.Length != MerkleHasher.HashSize)
        {
            throw new NoteFormatException(NoteError.MalformedCheckpoint, $"Checkpoint line 3 (root hash) decodes to {root.Length} bytes, expected {MerkleHasher.HashSize}.");
        }
        return new Checkpoint(lines[0], size, root, lines[3..]);
    }

    /// <summary>Signs this checkpoint as a note. tlog-checkpoint: the key name should match the origin.</summary>
    public SignedNote Sign(INoteSigner signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return SignedNote.Sign(ToNoteText(), signer);
    }

    /// <summary>
    /// Opens a signed checkpoint: signature by <paramref name="logKey"/> first (the text is untrusted until then),
    /// then the body, then the origin when <paramref name="expectedOrigin"/> is given.
    /// </summary>
    public static CheckpointVerification Open(string note, NoteVerifierKey logKey, string? expectedOrigin = null)
    {
        ArgumentNullException.ThrowIfNull(logKey);
        var opened = SignedNote.Open(note, [logKey]);
        if (!opened.IsValid)
        {
            return CheckpointVerification.Refused(opened.Error!.Value, opened.Reason, opened.Note);
        }
        Checkpoint checkpoint;
        try
        {
            checkpoint = ParseText(opened.Note!.Text);
        }
        catch (NoteFormatException e)
        {
            return CheckpointVerification.Refused(e.Code, e.Message, opened.Note);
        }
        if (expectedOrigin is not null && checkpoint.Origin != expectedOrigin)
        {
            return CheckpointVerification.Refused(NoteError.OriginMismatch, $"Checkpoint origin '{checkpoint.Origin}' is not the expected log '{expectedOrigin}'.", opened.Note);
        }
        return new CheckpointVerification(true, null, "checkpoint signature verifies", checkpoint, opened.Note);
    }

    /// <summary>Compares this checkpoint with a tree recomputed from the entries; a mismatch names size or root.</summary>
    public CheckpointVerification Matches(long treeSize, ReadOnlySpan<byte> rootHash)
    {
        if (treeSize != TreeSize)
        {
            return CheckpointVerification.Refused(NoteError.TreeMismatch, $"Checkpoint tree size {TreeSize} differs from the recomputed size {treeSize}.");
        }
        if (!CryptographicOperations.FixedTimeEquals(rootHash, RootHash))
        {
            return CheckpointVerification.Refused(NoteError.TreeMismatch, $"Checkpoint root {Convert.ToBase64String(RootHash)} differs from the recomputed root {Convert.ToBase64String(rootHash)} at size {treeSize}.");
        }
        return new CheckpointVerification(true, null, "checkpoint matches the recomputed tree", this, null);
    }
}
