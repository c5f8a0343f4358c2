using System.Globalization;
using System.Text;
using Fleetward.Core.Access;
using Fleetward.Core.Audit;
using Fleetward.Core.Ports;
using Fleetward.Server.Access;
using Fleetward.Server.Audit;
using Fleetward.Server.Hosting;
using Fleetward.Server.Options;
using Fleetward.Server.Problems;
using Fleetward.Trust.Merkle;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Endpoints;

/// <summary>
/// The audit log as auditors read it (role auditor or higher): signed checkpoints, entries by range with the leaf
/// bytes the log hashed, RFC 9162 inclusion and consistency proofs, and the log's verifier key. Everything served
/// here is evidence to check against a signed checkpoint, never to trust as is.
/// </summary>
public sealed class AuditEndpoints : IServerModule
{
    public const int MaxPageSize = 1000;

    public void ConfigureServices(IServiceCollection services, ServerOptions options)
    {
        if (options.AuditLogSigner is not { } signer)
        {
            return;
        }
        services.AddSingleton(provider => new AuditCheckpointer(provider.GetRequiredService<IFleetStore>(), signer, provider.GetRequiredService<TimeProvider>()));
        services.AddHostedService(provider => new AuditCheckpointService(
            provider.GetRequiredService<AuditCheckpointer>(), options.AuditCheckpointInterval,
            provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<AuditCheckpointService>>()));
    }

    public void MapEndpoints(FleetwardRoutes routes)
    {
        var audit = routes.OperatorApi.MapGroup("/audit");
        audit.MapGet("/checkpoint", LatestCheckpointAsync).RequireRole(OperatorRole.Auditor);
        audit.MapPost("/checkpoint", (Delegate)CreateCheckpointAsync).RequireRole(OperatorRole.Operator);
        audit.MapGet("/entries", EntriesAsync).RequireRole(OperatorRole.Auditor);
        audit.MapGet("/proofs/inclusion", InclusionProofAsync).RequireRole(OperatorRole.Auditor);
        audit.MapGet("/proofs/consistency", ConsistencyProofAsync).RequireRole(OperatorRole.Auditor);
        audit.MapGet("/key", Key).RequireRole(OperatorRole.Auditor);
    }

    private static async Task<IResult> LatestCheckpointAsync(HttpContext context, IFleetStore store)
    {
        AuditQuery.Only(context.Request.Query);
        await using var read = await store.ReadAsync(context.RequestAborted);
        var latest = await read.AuditCheckpoints.LatestAsync(context.RequestAborted)
            ?? throw ProblemException.NotFound("The audit log has no signed checkpoint yet; an operator can create one with POST /api/v1/audit/checkpoint.");
        return Results.Json(CheckpointView.From(latest), JsonBody.Options);
    }

    private static async Task<IResult> CreateCheckpointAsync(HttpContext context)
    {
        AuditQuery.Only(context.Request.Query);
        var checkpointer = Checkpointer(context);
        AuditCheckpointResult result;
        try
        {
            result = await checkpointer.CheckpointAsync(context.RequestAborted);
        }
        catch (AuditLogInconsistentException exception)
        {
            throw new ProblemException(new Problem(ProblemType.Conflict, exception.Message), exception);
        }
        return Results.Json(CheckpointView.From(result.Checkpoint), JsonBody.Options,
            statusCode: result.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static async Task<IResult> EntriesAsync(HttpContext context, IFleetStore store)
    {
        var query = context.Request.Query;
        AuditQuery.Only(query, "start", "end");
        var start = AuditQuery.Long(query, "start", required: true)!.Value;
        var end = AuditQuery.Long(query, "end", required: false);
        await using var read = await store.ReadAsync(context.RequestAborted);
        var size = await read.AuditLog.SizeAsync(context.RequestAborted);
        if (start > size)
        {
            throw ProblemException.Validation("start", $"start is {start} but the log has only {size} entries.");
        }
        var last = end ?? Math.Min(size, start + MaxPageSize);
        if (last < start)
        {
            throw ProblemException.Validation("end", $"end ({last}) must not be smaller than start ({start}); the range is [start, end).");
        }
        if (last > size)
        {
            throw ProblemException.Validation("end", $"end is {last} but the log has only {size} entries.");
        }
        if (last - start > MaxPageSize)
        {
            throw ProblemException.Validation("end", $"at most {MaxPageSize} entries per request; [{start}, {last}) has {last - start}.");
        }
        var entries = await read.AuditLog.EntriesAsync(start, last, context.RequestAborted);
        IReadOnlyList<byte[]?> leafHashes;
        try
        {
            leafHashes = entries.Count == 0
                ? []
                : await read.AuditLog.Nodes.GetNodesAsync([.. entries.Select(e => new MerkleNodeId(0, e.Index))], context.RequestAborted);
        }
        catch (MerkleNodeNotFoundException)
        {
            // A leaf hash was removed from the node table: serve the entries without stored hashes, so the verifier
            // falls back to proofs against the signed root instead of trusting a partial set.
            leafHashes = new byte[]?[entries.Count];
        }
        var views = entries.Select((e, i) => EntryView.From(e, leafHashes[i])).ToList();
        return Results.Json(new EntryPage(start, last, size, views), JsonBody.Options);
    }

    private static async Task<IResult> InclusionProofAsync(HttpContext context, IFleetStore store)
    {
        var query = context.Request.Query;
        AuditQuery.Only(query, "index", "size");
        var index = AuditQuery.Long(query, "index", required: true)!.Value;
        var requestedSize = AuditQuery.Long(query, "size", required: false);
        await using var read = await store.ReadAsync(context.RequestAborted);
        var size = await RequireSizeAsync(read, "size", requestedSize, context.RequestAborted);
        if (index >= size)
        {
            throw ProblemException.Validation("index", $"index must be below the tree size {size}; got {index}.");
        }
        var proof = await Incomplete(() => new MerkleProofBuilder(read.AuditLog.Nodes).InclusionProofAsync(index, size, context.RequestAborted));
        return Results.Json(new InclusionProofView(index, size, proof), JsonBody.Options);
    }

    private static async Task<IResult> ConsistencyProofAsync(HttpContext context, IFleetStore store)
    {
        var query = context.Request.Query;
        AuditQuery.Only(query, "from", "to");
        var from = AuditQuery.Long(query, "from", required: true)!.Value;
        var requestedTo = AuditQuery.Long(query, "to", required: false);
        await using var read = await store.ReadAsync(context.RequestAborted);
        var to = await RequireSizeAsync(read, "to", requestedTo, context.RequestAborted);
        if (from > to)
        {
            throw ProblemException.Validation("from", $"from ({from}) must not be larger than to ({to}).");
        }
        var proof = await Incomplete(() => new MerkleProofBuilder(read.AuditLog.Nodes).ConsistencyProofAsync(from, to, context.RequestAborted));
        return Results.Json(new ConsistencyProofView(from, to, proof), JsonBody.Options);
    }

    private static IResult Key(HttpContext context)
    {
        AuditQuery.Only(context.Request.Query);
        var checkpointer = Checkpointer(context);
        return Results.Json(new KeyView(checkpointer.Origin, checkpointer.VerifierKey.ToString()), JsonBody.Options);
    }

    private static async Task<long> RequireSizeAsync(IFleetUnitOfWork read, string parameter, long? requested, CancellationToken cancellationToken)
    {
        var size = await read.AuditLog.SizeAsync(cancellationToken);
        if (requested is { } value && value > size)
        {
            throw ProblemException.Validation(parameter, $"{parameter} is {value} but the log has only {size} entries.");
        }
        return requested ?? size;
    }

    /// <summary>A proof over nodes that are gone from the database names the missing node instead of failing anonymously.</summary>
    private static async Task<T> Incomplete<T>(Func<Task<T>> build)
    {
        try
        {
            return await build();
        }
        catch (MerkleNodeNotFoundException exception)
        {
            throw new ProblemException(new Problem(ProblemType.Internal, "The audit log's stored tree is incomplete: " + exception.Message), exception);
        }
    }

    private static AuditCheckpointer Checkpointer(HttpContext context) =>
        context.RequestServices.GetService<AuditCheckpointer>()
        ?? throw new ProblemException(new Problem(ProblemType.Unavailable,
            "The audit log has no signing key configured (audit.logKey in fleetward.json), so it signs no checkpoints."));

    /// <summary>A signed tree head: <see cref="Checkpoint"/> is the C2SP signed note to verify; size and root repeat its body for convenience.</summary>
    public sealed record CheckpointView(long TreeSize, byte[] RootHash, string Checkpoint, DateTimeOffset CreatedAt)
    {
        public static CheckpointView From(StoredAuditCheckpoint checkpoint) => new(checkpoint.TreeSize, checkpoint.RootHash, checkpoint.Note, checkpoint.CreatedAt);
    }

    /// <summary>
    /// One entry: <see cref="Leaf"/> is its canonical encoding (<see cref="AuditLeafCodec"/>), the bytes a verifier hashes;
    /// <see cref="LeafHash"/> is the hash the log stored when it was appended. The decoded fields are for people.
    /// </summary>
    public sealed record EntryView(long Index, byte[] Leaf, byte[]? LeafHash, string Type, DateTimeOffset Time, string Actor, string Subject, string Payload)
    {
        public static EntryView From(StoredAuditEntry entry, byte[]? leafHash)
        {
            byte[] leaf;
            try
            {
                leaf = AuditLeafCodec.Encode(entry.Event);
            }
            catch (AuditLeafFormatException exception)
            {
                // A row that no longer encodes was altered outside Fleetward; its bytes can match no committed leaf hash.
                leaf = Encoding.UTF8.GetBytes($"unencodable audit row {entry.Index}: {exception.Message}");
            }
            var e = entry.Event;
            return new EntryView(entry.Index, leaf, leafHash, e.Type, e.Time, e.Actor, e.Subject, e.PayloadJson);
        }

        public AuditLogEntry ToLogEntry() => new(Index, Leaf, LeafHash);
    }

    /// <summary>Entries [Start, End) of a log that had <see cref="TreeSize"/> entries when read; rows missing from the database are absent.</summary>
    public sealed record EntryPage(long Start, long End, long TreeSize, IReadOnlyList<EntryView> Entries);

    public sealed record InclusionProofView(long Index, long TreeSize, IReadOnlyList<byte[]> Proof);

    public sealed record ConsistencyProofView(long From, long To, IReadOnlyList<byte[]> Proof);

    /// <summary>The log's origin and its verifier key in vkey text form ("name+hash+base64(type || key)").</summary>
    public sealed record KeyView(string Origin, string VerifierKey);

    /// <summary>Query parsing for the audit routes: unknown or repeated parameters and non-numbers are refused naming the parameter.</summary>
    public static class AuditQuery
    {
        public static void Only(IQueryCollection query, params string[] allowed)
        {
            foreach (var key in query.Keys)
            {
                if (!allowed.Contains(key, StringComparer.Ordinal))
                {
                    throw ProblemException.Validation(key, allowed.Length == 0
                        ? $"Unknown query parameter '{key}'; this route takes none."
                        : $"Unknown query parameter '{key}'; expected {string.Join(" or ", allowed)}.");
                }
                if (query[key].Count > 1)
                {
                    throw ProblemException.Validation(key, $"Query parameter '{key}' is given more than once.");
                }
            }
        }

        public static long? Long(IQueryCollection query, string name, bool required)
        {
            if (!query.TryGetValue(name, out var text))
            {
                return required ? throw ProblemException.Validation(name, $"Query parameter '{name}' is required.") : null;
            }
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                throw ProblemException.Validation(name, $"{name} must be a non-negative integer; got '{text}'.");
            }
            return value;
        }
    }
}
