using System.Text.Json.Serialization;

namespace Fleetward.Core.Audit;

/// <summary>
/// One log entry as an auditor receives it: its index, its canonical leaf bytes (<see cref="AuditLeafCodec"/>),
/// and optionally the leaf hash the log stores for it and its inclusion proof against the checkpoint,
/// which let a verifier name the exact entry that was altered.
/// </summary>
public sealed record AuditLogEntry(
    [property: JsonPropertyName("index")] long Index,
    [property: JsonPropertyName("leaf")] byte[] Leaf,
    [property: JsonPropertyName("leafHash")] byte[]? StoredLeafHash = null,
    [property: JsonPropertyName("inclusionProof")] IReadOnlyList<byte[]>? InclusionProof = null);
