using System.Collections.Concurrent;
using Fleetward.Core.Audit;
using Fleetward.Core.Ports;
using Fleetward.Trust.Merkle;

namespace Fleetward.Storage.Tests;

/// <summary>
/// The Merkle audit log's storage contract, run against SQLite and PostgreSQL: appends keep the stored tree equal to
/// the RFC 6962 tree over the committed entries, through rollbacks and concurrent writers, and proofs built from the
/// SQL node store verify (RFC 9162 2.1.3, 2.1.4).
/// </summary>
public abstract class AuditLogContract(ITestStoreFactory factory) : StoreContract(factory)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 8, 0, 0, TimeSpan.Zero);
    [Fact]
    public async Task Root_of_the_stored_nodes_equals_the_RFC_6962_root_of_every_leaf_at_every_size()
    {
        var events = new List<AuditEvent>();
        for (var i = 0; i < 21; i++)
        {
            await using var uow = await Store.BeginAsync();
            // Group commit: one to three appends per transaction.
            for (var j = 0; j <= i % 3; j++)
            {
                var e = Event("test.append", $"s{events.Count}");
                Assert.Equal(events.Count, await uow.Audit.AppendAsync(e));
                events.Add(e);
            }
            await uow.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        Assert.Equal(events.Count, await read.AuditLog.SizeAsync());
        var leafHashes = events.Select(AuditLeafCodec.LeafHash).ToList();
        var builder = new MerkleProofBuilder(read.AuditLog.Nodes);
        for (var size = 0; size <= events.Count; size++)
        {
            Assert.Equal(MerkleHasher.RootOf(leafHashes.Take(size).ToList()), await builder.RootAsync(size));
        }
        var stored = await read.AuditLog.Nodes.GetNodesAsync(Enumerable.Range(0, events.Count).Select(i => new MerkleNodeId(0, i)).ToList());
        Assert.Equal(leafHashes, stored);
    }

    [Fact]
    public async Task Stored_entries_re_encode_to_exactly_the_leaves_that_were_hashed()
    {
        var e = new AuditEvent("token.created", T0.AddTicks(12_345), "admin", "token:t1", "{ \"z\": 1.50, \"a\": [true, null, \"x\\u0041\"] }");
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Audit.AppendAsync(e);
            await uow.CommitAsync();
        }
        await using var read = await Store.ReadAsync();
        var entry = Assert.Single(await read.AuditLog.EntriesAsync(0, 10));
        Assert.Equal(0, entry.Index);
        Assert.Equal("{\"a\":[true,null,\"xA\"],\"z\":1.5}", entry.Event.PayloadJson);
        Assert.Equal(AuditLeafCodec.LeafHash(e), AuditLeafCodec.LeafHash(entry.Event));
        Assert.Equal(AuditLeafCodec.LeafHash(e), (await read.AuditLog.Nodes.GetNodesAsync([new MerkleNodeId(0, 0)]))[0]);
    }

    [Fact]
    public async Task A_malformed_event_is_refused_naming_the_field_and_nothing_is_written()
    {
        await using (var uow = await Store.BeginAsync())
        {
            var error = await Assert.ThrowsAsync<AuditLeafFormatException>(() => uow.Audit.AppendAsync(new AuditEvent("x", T0, "a", "s", "[1]")));
            Assert.Contains("payload", error.Message);
            Assert.Equal(0, await uow.Audit.AppendAsync(Event("ok", "s")));
            await uow.CommitAsync();
        }
        await using var read = await Store.ReadAsync();
        Assert.Equal(1, await read.AuditLog.SizeAsync());
    }

    [Fact]
    public async Task A_rolled_back_append_leaves_no_leaf_and_no_node_behind()
    {
        var committed = new List<AuditEvent>();
        for (var i = 0; i < 9; i++)
        {
            await using var uow = await Store.BeginAsync();
            var e = Event("test.append", $"try{i}");
            await uow.Audit.AppendAsync(e);
            await uow.Audit.AppendAsync(e with { Subject = $"try{i}b" });
            if (i % 2 == 0)
            {
                committed.Add(e);
                committed.Add(e with { Subject = $"try{i}b" });
                await uow.CommitAsync();
            }
        }

        await using var read = await Store.ReadAsync();
        Assert.Equal(committed.Count, await read.AuditLog.SizeAsync());
        Assert.Equal(committed, (await read.AuditLog.EntriesAsync(0, 100)).Select(e => e.Event));
        Assert.Equal(MerkleHasher.RootOf(committed.Select(AuditLeafCodec.LeafHash).ToList()), await new MerkleProofBuilder(read.AuditLog.Nodes).RootAsync(committed.Count));
        // Nothing beyond the committed tree exists: the next leaf slot is free.
        await Assert.ThrowsAsync<MerkleNodeNotFoundException>(async () => await read.AuditLog.Nodes.GetNodesAsync([new MerkleNodeId(0, committed.Count)]));
    }

    [Fact]
    public async Task Concurrent_appenders_build_one_consistent_tree()
    {
        const int writers = 6, perWriter = 8;
        var committed = new ConcurrentDictionary<long, AuditEvent>();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                await using var uow = await Store.BeginAsync();
                var first = Event("test.concurrent", $"w{w}-{i}");
                var second = first with { Subject = $"w{w}-{i}-2" };
                var a = await uow.Audit.AppendAsync(first);
                var b = await uow.Audit.AppendAsync(second);
                Assert.Equal(a + 1, b);
                if (i % 4 == 3)
                {
                    continue; // rolled back
                }
                await uow.CommitAsync();
                committed[a] = first;
                committed[b] = second;
            }
        })));

        var size = writers * (perWriter - perWriter / 4) * 2;
        Assert.Equal(Enumerable.Range(0, size).Select(i => (long)i), committed.Keys.Order());
        await using var read = await Store.ReadAsync();
        Assert.Equal(size, await read.AuditLog.SizeAsync());
        var leafHashes = Enumerable.Range(0, size).Select(i => AuditLeafCodec.LeafHash(committed[i])).ToList();
        var root = MerkleHasher.RootOf(leafHashes);
        var builder = new MerkleProofBuilder(read.AuditLog.Nodes);
        Assert.Equal(root, await builder.RootAsync(size));
        for (var i = 0; i < size; i += 7)
        {
            var proof = await builder.InclusionProofAsync(i, size);
            Assert.True(MerkleProofs.VerifyInclusion(i, size, leafHashes[i], proof, root).IsValid);
        }
    }

    [Fact]
    public async Task Inclusion_and_consistency_proofs_from_the_SQL_node_store_verify()
    {
        var events = Enumerable.Range(0, 37).Select(i => Event("test.proof", $"p{i}")).ToList();
        await using (var uow = await Store.BeginAsync())
        {
            foreach (var e in events)
            {
                await uow.Audit.AppendAsync(e);
            }
            await uow.CommitAsync();
        }
        var leafHashes = events.Select(AuditLeafCodec.LeafHash).ToList();
        await using var read = await Store.ReadAsync();
        var builder = new MerkleProofBuilder(read.AuditLog.Nodes);
        foreach (var size in new[] { 1, 2, 7, 8, 16, 31, 37 })
        {
            var root = MerkleHasher.RootOf(leafHashes.Take(size).ToList());
            for (var index = 0; index < size; index++)
            {
                var proof = await builder.InclusionProofAsync(index, size);
                Assert.True(MerkleProofs.VerifyInclusion(index, size, leafHashes[index], proof, root).IsValid, $"inclusion {index} in {size}");
            }
            foreach (var from in new[] { 1, 3, 4, 8, 13, size })
            {
                if (from > size)
                {
                    continue;
                }
                var proof = await builder.ConsistencyProofAsync(from, size);
                var fromRoot = MerkleHasher.RootOf(leafHashes.Take(from).ToList());
                Assert.True(MerkleProofs.VerifyConsistency(from, size, proof, fromRoot, root).IsValid, $"consistency {from} -> {size}");
            }
        }
    }

    [Fact]
    public async Task A_tampered_node_makes_the_next_append_fail_rather_than_extend_a_forged_tree()
    {
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Audit.AppendAsync(Event("a", "1"));
            await uow.CommitAsync();
        }
        await Factory.ExecuteRawAsync(Location, "DELETE FROM audit_nodes WHERE level = 0 AND idx = 0");
        await using var next = await Store.BeginAsync();
        var error = await Assert.ThrowsAsync<MerkleNodeNotFoundException>(() => next.Audit.AppendAsync(Event("b", "2")));
        Assert.Equal(new MerkleNodeId(0, 0), error.Id);
    }

    [Fact]
    public async Task Checkpoints_are_kept_once_per_size_and_the_latest_is_the_largest()
    {
        var root = MerkleHasher.EmptyRoot();
        await using (var uow = await Store.BeginAsync())
        {
            Assert.Null(await uow.AuditCheckpoints.LatestAsync());
            Assert.True(await uow.AuditCheckpoints.InsertAsync(new StoredAuditCheckpoint(0, root, "note 0\n", T0)));
            Assert.True(await uow.AuditCheckpoints.InsertAsync(new StoredAuditCheckpoint(5, root, "note 5\n", T0.AddMinutes(5))));
            Assert.True(await uow.AuditCheckpoints.InsertAsync(new StoredAuditCheckpoint(3, root, "note 3\n", T0.AddMinutes(3))));
            Assert.False(await uow.AuditCheckpoints.InsertAsync(new StoredAuditCheckpoint(5, root, "other\n", T0.AddMinutes(9))));
            await uow.CommitAsync();
        }
        await using var read = await Store.ReadAsync();
        var latest = await read.AuditCheckpoints.LatestAsync();
        Assert.Equal(new StoredAuditCheckpoint(5, root, "note 5\n", T0.AddMinutes(5)) with { RootHash = latest!.RootHash }, latest);
        Assert.Equal(root, latest.RootHash);
        Assert.Equal("note 3\n", (await read.AuditCheckpoints.GetAsync(3))!.Note);
        Assert.Null(await read.AuditCheckpoints.GetAsync(4));
    }

    [Fact]
    public async Task A_node_planted_ahead_of_the_log_is_refused_as_a_write_once_conflict()
    {
        await Factory.ExecuteRawAsync(Location, "INSERT INTO audit_nodes (level, idx, hash) VALUES (0, 0, " + HashLiteral(new byte[32]) + ")");
        await using var uow = await Store.BeginAsync();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => uow.Audit.AppendAsync(Event("a", "1")));
        Assert.Contains("write-once", error.Message);
    }

    [Fact]
    public async Task An_identical_node_planted_ahead_of_the_log_is_accepted()
    {
        var e = Event("a", "1");
        await Factory.ExecuteRawAsync(Location, "INSERT INTO audit_nodes (level, idx, hash) VALUES (0, 0, " + HashLiteral(AuditLeafCodec.LeafHash(e)) + ")");
        await using var uow = await Store.BeginAsync();
        Assert.Equal(0, await uow.Audit.AppendAsync(e));
        await uow.CommitAsync();
    }

    private string HashLiteral(byte[] hash) => Factory.Engine == "sqlite"
        ? $"X'{Convert.ToHexString(hash)}'"
        : $"'\\x{Convert.ToHexString(hash)}'::bytea";

    private static AuditEvent Event(string type, string subject) => new(type, T0, "test", subject, "{\"n\":1}");
}

public sealed class SqliteAuditLogContract() : AuditLogContract(new SqliteTestStoreFactory());

public sealed class PostgresAuditLogContract() : AuditLogContract(new PostgresTestStoreFactory());
