using System.Text.Json;
using System.Text.Json.Serialization;
using Fleetward.Trust.Merkle;
using Fleetward.Trust.Notes;

namespace Fleetward.Core.Audit;

/// <summary>A consistency proof from an earlier tree size to the pack's checkpoint, so an auditor holding that older checkpoint can check it offline.</summary>
public sealed record AuditConsistencyEvidence(
    [property: JsonPropertyName("fromSize")] long FromSize,
    [property: JsonPropertyName("proof")] IReadOnlyList<byte[]> Proof);

/// <summary>A pack that is not a well-formed evidence pack; <see cref="Field"/> is the JSON path of the problem.</summary>
public sealed class AuditEvidenceFormatException(string field, string message) : FormatException($"{field}: {message}")
{
    public string Field { get; } = field;
}

/// <summary>
/// What `fleetward audit export` writes and an auditor verifies with no access to the server: a signed checkpoint,
/// the entries it covers (canonical leaves, with the log's stored leaf hashes and optionally inclusion proofs), and
/// consistency proofs from earlier sizes. JSON, binary values in standard base64:
/// <code>
/// { "format": "fleetward-audit-evidence/v1",
///   "checkpoint": "&lt;C2SP signed note&gt;",
///   "logKey": "&lt;vkey, informational: auditors verify with the key they already trust&gt;",
///   "entries": [ { "index": 0, "leaf": "b64", "leafHash": "b64", "inclusionProof": ["b64", ...] } ],
///   "consistency": [ { "fromSize": 5, "proof": ["b64", ...] } ] }
/// </code>
/// </summary>
public sealed record AuditEvidencePack(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("checkpoint")] string Checkpoint,
    [property: JsonPropertyName("logKey")] string? LogKey,
    [property: JsonPropertyName("entries")] IReadOnlyList<AuditLogEntry> Entries,
    [property: JsonPropertyName("consistency")] IReadOnlyList<AuditConsistencyEvidence>? Consistency = null)
{
    public const string CurrentFormat = "fleetward-audit-evidence/v1";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Assembles a pack for <paramref name="entries"/> (index and canonical leaf, as stored) under the checkpoint of
    /// <paramref name="treeSize"/>, with stored leaf hashes and proofs read from the log's nodes.
    /// </summary>
    public static async Task<AuditEvidencePack> CreateAsync(
        string checkpointNote,
        NoteVerifierKey logKey,
        long treeSize,
        IReadOnlyList<(long Index, byte[] Leaf)> entries,
        IMerkleNodeSource nodes,
        bool includeInclusionProofs,
        IReadOnlyList<long>? consistencyFromSizes = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(nodes);
        var builder = new MerkleProofBuilder(nodes);
        var covered = entries.Where(e => e.Index < treeSize).ToList();
        var storedHashes = covered.Count == 0
            ? []
            : await nodes.GetNodesAsync(covered.Select(e => new MerkleNodeId(0, e.Index)).ToList(), cancellationToken).ConfigureAwait(false);
        var packed = new List<AuditLogEntry>(covered.Count);
        for (var i = 0; i < covered.Count; i++)
        {
            var proof = includeInclusionProofs
                ? await builder.InclusionProofAsync(covered[i].Index, treeSize, cancellationToken).ConfigureAwait(false)
                : null;
            packed.Add(new AuditLogEntry(covered[i].Index, covered[i].Leaf, storedHashes[i], proof));
        }
        var consistency = new List<AuditConsistencyEvidence>();
        foreach (var from in consistencyFromSizes ?? [])
        {
            consistency.Add(new AuditConsistencyEvidence(from, await builder.ConsistencyProofAsync(from, treeSize, cancellationToken).ConfigureAwait(false)));
        }
        return new AuditEvidencePack(CurrentFormat, checkpointNote, logKey.ToString(), packed, consistency.Count == 0 ? null : consistency);
    }

    /// <summary>
    /// The verification request for this pack under the auditor's own <paramref name="logKey"/>, using the pack's
    /// consistency proof from the trusted checkpoint's size when it has one.
    /// </summary>
    public AuditLogVerificationRequest ToVerificationRequest(NoteVerifierKey logKey, string? trustedCheckpointNote = null)
    {
        IReadOnlyList<byte[]>? proof = null;
        if (trustedCheckpointNote is not null && Consistency is not null)
        {
            try
            {
                var trustedSize = Trust.Notes.Checkpoint.ParseText(SignedNote.Parse(trustedCheckpointNote).Text).TreeSize;
                proof = Consistency.FirstOrDefault(c => c.FromSize == trustedSize)?.Proof;
            }
            catch (NoteFormatException)
            {
                // The verifier reports the malformed trusted checkpoint with its reason.
            }
        }
        return new AuditLogVerificationRequest(Checkpoint, logKey, Entries, trustedCheckpointNote, proof);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Reads a pack, refusing unknown formats and malformed fields with the JSON path of the problem.</summary>
    public static AuditEvidencePack FromJson(string json)
    {
        AuditEvidencePack? pack;
        try
        {
            pack = JsonSerializer.Deserialize<AuditEvidencePack>(json, Options);
        }
        catch (JsonException e)
        {
            throw new AuditEvidenceFormatException(e.Path ?? "$", $"not a valid evidence pack ({e.Message})");
        }
        if (pack is null)
        {
            throw new AuditEvidenceFormatException("$", "the pack is empty");
        }
        if (pack.Format != CurrentFormat)
        {
            throw new AuditEvidenceFormatException("$.format", $"expected '{CurrentFormat}', got '{pack.Format}'");
        }
        if (string.IsNullOrEmpty(pack.Checkpoint))
        {
            throw new AuditEvidenceFormatException("$.checkpoint", "is required");
        }
        if (pack.Entries is null)
        {
            throw new AuditEvidenceFormatException("$.entries", "is required");
        }
        for (var i = 0; i < pack.Entries.Count; i++)
        {
            var entry = pack.Entries[i];
            var path = $"$.entries[{i}]";
            if (entry is null)
            {
                throw new AuditEvidenceFormatException(path, "is null");
            }
            if (entry.Index < 0)
            {
                throw new AuditEvidenceFormatException($"{path}.index", "must not be negative");
            }
            if (entry.Leaf is null)
            {
                throw new AuditEvidenceFormatException($"{path}.leaf", "is required");
            }
            if (entry.StoredLeafHash is { Length: not MerkleHasher.HashSize })
            {
                throw new AuditEvidenceFormatException($"{path}.leafHash", $"must be {MerkleHasher.HashSize} bytes");
            }
            RequireHashes(entry.InclusionProof, $"{path}.inclusionProof");
        }
        for (var i = 0; i < (pack.Consistency?.Count ?? 0); i++)
        {
            var consistency = pack.Consistency![i];
            if (consistency is null || consistency.FromSize < 0 || consistency.Proof is null)
            {
                throw new AuditEvidenceFormatException($"$.consistency[{i}]", "needs a non-negative fromSize and a proof");
            }
            RequireHashes(consistency.Proof, $"$.consistency[{i}].proof");
        }
        return pack;
    }

    private static void RequireHashes(IReadOnlyList<byte[]>? hashes, string path)
    {
        for (var j = 0; j < (hashes?.Count ?? 0); j++)
        {
            if (hashes![j] is not { Length: MerkleHasher.HashSize })
            {
                throw new AuditEvidenceFormatException($"{path}[{j}]", $"must be {MerkleHasher.HashSize} bytes");
            }
        }
    }
}
