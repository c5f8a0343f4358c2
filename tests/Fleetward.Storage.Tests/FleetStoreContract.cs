using System.Security.Cryptography;
using Fleetward.Core.Access;
using Fleetward.Core.Audit;
using Fleetward.Core.Devices;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Tests;

/// <summary>
/// The storage contract: every behaviour the domain relies on, run unchanged against SQLite and PostgreSQL.
/// </summary>
public abstract class FleetStoreContract(ITestStoreFactory factory) : StoreContract(factory)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 8, 0, 0, TimeSpan.Zero);
    [Fact]
    public void Reports_its_engine() => Assert.Equal(Factory.Engine, Store.Engine);

    [Fact]
    public async Task Token_round_trips_and_is_found_only_by_its_exact_hash()
    {
        var token = NewToken("t1", OperatorRole.ReleaseManager, expires: T0.AddDays(30));
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Tokens.InsertAsync(token);
            await uow.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        var found = await read.Tokens.FindBySecretHashAsync(token.SecretHash.ToArray());
        Assert.NotNull(found);
        Assert.Equal(token.Id, found.Id);
        Assert.Equal(token.Name, found.Name);
        Assert.Equal(OperatorRole.ReleaseManager, found.Role);
        Assert.Equal(token.SecretHash, found.SecretHash);
        Assert.Equal(T0, found.CreatedAt);
        Assert.Equal(T0.AddDays(30), found.ExpiresAt);
        Assert.Null(found.RevokedAt);
        Assert.Null(found.LastUsedAt);

        var other = token.SecretHash.ToArray();
        other[0] ^= 1;
        Assert.Null(await read.Tokens.FindBySecretHashAsync(other));
    }

    [Fact]
    public async Task Duplicate_secret_hash_is_refused_and_the_first_token_survives()
    {
        var token = NewToken("t1", OperatorRole.Admin);
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Tokens.InsertAsync(token);
            await uow.CommitAsync();
        }

        await using (var uow = await Store.BeginAsync())
        {
            await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => uow.Tokens.InsertAsync(token with { Id = "t2" }));
        }

        await using var read = await Store.ReadAsync();
        Assert.Single(await read.Tokens.ListAsync());
    }

    [Fact]
    public async Task Revocation_keeps_the_first_revocation_time_and_reports_unknown_ids()
    {
        await using var uow = await Store.BeginAsync();
        await uow.Tokens.InsertAsync(NewToken("t1", OperatorRole.Operator));
        Assert.True(await uow.Tokens.RevokeAsync("t1", T0.AddHours(1)));
        Assert.True(await uow.Tokens.RevokeAsync("t1", T0.AddHours(2)));
        Assert.False(await uow.Tokens.RevokeAsync("missing", T0));
        Assert.Equal(T0.AddHours(1), (await uow.Tokens.GetAsync("t1"))!.RevokedAt);
    }

    [Fact]
    public async Task Last_used_time_only_moves_forward()
    {
        await using var uow = await Store.BeginAsync();
        await uow.Tokens.InsertAsync(NewToken("t1", OperatorRole.Auditor));
        await uow.Tokens.TouchLastUsedAsync("t1", T0.AddMinutes(5));
        await uow.Tokens.TouchLastUsedAsync("t1", T0.AddMinutes(1));
        Assert.Equal(T0.AddMinutes(5), (await uow.Tokens.GetAsync("t1"))!.LastUsedAt);
    }

    [Fact]
    public async Task Device_round_trips_with_tags_and_duplicates_change_nothing()
    {
        var device = NewDevice("mower-0001", "mower-x1", ["garden", "eu"]);
        await using (var uow = await Store.BeginAsync())
        {
            Assert.True(await uow.Devices.InsertAsync(device));
            Assert.False(await uow.Devices.InsertAsync(device with { Model = "other", Tags = ["x"] }));
            await uow.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        var stored = await read.Devices.GetAsync("mower-0001");
        Assert.NotNull(stored);
        Assert.Equal("mower-x1", stored.Model);
        Assert.Equal("rev-b", stored.HardwareRevision);
        Assert.Equal(["eu", "garden"], stored.Tags);
        Assert.Equal(DeviceLifecycleState.Pending, stored.State);
        Assert.Equal(T0, stored.CreatedAt);
        Assert.Null(await read.Devices.GetAsync("mower-0002"));
    }

    [Fact]
    public async Task Device_listing_pages_by_id_and_filters_by_state_model_and_tag()
    {
        await using (var uow = await Store.BeginAsync())
        {
            for (var i = 0; i < 25; i++)
            {
                var device = NewDevice($"dev-{i:D3}", i % 2 == 0 ? "mower" : "drone", i % 5 == 0 ? ["canary"] : []);
                await uow.Devices.InsertAsync(device with { State = i < 20 ? DeviceLifecycleState.Active : DeviceLifecycleState.Quarantined });
            }

            await uow.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        var seen = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await read.Devices.ListAsync(new DeviceQuery(AfterId: after, Limit: 10));
            if (page.Count == 0)
            {
                break;
            }

            seen.AddRange(page.Select(d => d.Id));
            after = page[^1].Id;
        }

        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"dev-{i:D3}"), seen);
        Assert.Equal(5, (await read.Devices.ListAsync(new DeviceQuery(State: DeviceLifecycleState.Quarantined))).Count);
        Assert.Equal(13, (await read.Devices.ListAsync(new DeviceQuery(Model: "mower"))).Count);
        var canary = await read.Devices.ListAsync(new DeviceQuery(Tag: "canary"));
        Assert.Equal(["dev-000", "dev-005", "dev-010", "dev-015", "dev-020"], canary.Select(d => d.Id));
        Assert.All(canary, d => Assert.Equal(["canary"], d.Tags));
        Assert.Equal(25, await read.Devices.CountAsync());
        Assert.Equal(20, await read.Devices.CountAsync(DeviceLifecycleState.Active));
    }

    [Fact]
    public async Task Listing_refuses_a_limit_out_of_range()
    {
        await using var read = await Store.ReadAsync();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => read.Devices.ListAsync(new DeviceQuery(Limit: 0)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => read.Devices.ListAsync(new DeviceQuery(Limit: 10_001)));
    }

    [Fact]
    public async Task State_and_seen_times_update_and_report_unknown_devices()
    {
        await using var uow = await Store.BeginAsync();
        await uow.Devices.InsertAsync(NewDevice("d1", "mower", []));
        Assert.True(await uow.Devices.SetStateAsync("d1", DeviceLifecycleState.Quarantined));
        Assert.True(await uow.Devices.MarkSeenAsync("d1", T0.AddMinutes(1)));
        Assert.True(await uow.Devices.MarkSeenAsync("d1", T0.AddMinutes(2)));
        Assert.False(await uow.Devices.SetStateAsync("nope", DeviceLifecycleState.Active));
        Assert.False(await uow.Devices.MarkSeenAsync("nope", T0));
        var d = (await uow.Devices.GetAsync("d1"))!;
        Assert.Equal(DeviceLifecycleState.Quarantined, d.State);
        Assert.Equal(T0.AddMinutes(1), d.FirstSeenAt);
        Assert.Equal(T0.AddMinutes(2), d.LastSeenAt);
    }

    [Fact]
    public async Task Disposing_without_commit_rolls_everything_back_including_the_audit_record()
    {
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Devices.InsertAsync(NewDevice("d1", "mower", ["a"]));
            Assert.Equal(0, await uow.Audit.AppendAsync(NewEvent("device.registered", "d1")));
        }

        await using (var uow = await Store.BeginAsync())
        {
            Assert.Null(await uow.Devices.GetAsync("d1"));
            Assert.Equal(0, await uow.Audit.AppendAsync(NewEvent("device.registered", "d2")));
            await uow.CommitAsync();
        }
    }

    [Fact]
    public async Task Concurrent_audit_appends_get_consecutive_indexes_without_gaps()
    {
        const int writers = 8, perWriter = 10;
        var indexes = new System.Collections.Concurrent.ConcurrentBag<long>();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                await using var uow = await Store.BeginAsync();
                indexes.Add(await uow.Audit.AppendAsync(NewEvent("test.append", $"w{w}-{i}")));
                if (i % 3 == 2)
                {
                    continue; // abandoned: rolled back, its index must be reused
                }

                await uow.CommitAsync();
            }
        })));

        var committed = writers * (perWriter - perWriter / 3);
        await using var next = await Store.BeginAsync();
        Assert.Equal(committed, await next.Audit.AppendAsync(NewEvent("test.append", "last")));
    }

    [Fact]
    public async Task Committing_twice_is_refused()
    {
        await using var uow = await Store.BeginAsync();
        await uow.CommitAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => uow.CommitAsync());
    }

    [Fact]
    public async Task Reopening_applies_no_migration_twice()
    {
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Devices.InsertAsync(NewDevice("d1", "mower", []));
            await uow.CommitAsync();
        }

        await Store.DisposeAsync();
        Store = await Factory.OpenAsync(Location);
        await using var read = await Store.ReadAsync();
        Assert.NotNull(await read.Devices.GetAsync("d1"));
    }

    [Fact]
    public async Task A_database_newer_than_the_binary_is_refused_untouched()
    {
        await Store.DisposeAsync();
        await Factory.ExecuteRawAsync(Location, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from_the_future', 0)");
        var error = await Assert.ThrowsAsync<StoreSchemaException>(() => Factory.OpenAsync(Location));
        Assert.Contains("9999", error.Message);
        Assert.Contains("newer than this binary", error.Message);
        await Factory.ExecuteRawAsync(Location, "DELETE FROM schema_migrations WHERE version = 9999");
        Store = await Factory.OpenAsync(Location);
    }

    private static ApiToken NewToken(string id, OperatorRole role, DateTimeOffset? expires = null) =>
        new(id, $"token {id}", role, SHA256.HashData(RandomNumberGenerator.GetBytes(32)), T0, expires, null, null);

    private static Device NewDevice(string id, string model, string[] tags) =>
        new(id, model, "rev-b", tags, DeviceLifecycleState.Pending, T0, null, null);

    private static AuditEvent NewEvent(string type, string subject) =>
        new(type, T0, "test", subject, "{}");
}

public sealed class SqliteFleetStoreContract() : FleetStoreContract(new SqliteTestStoreFactory())
{
    [Fact]
    public async Task Uses_write_ahead_logging()
    {
        var store = (Sqlite.SqliteFleetStore)Store;
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={store.DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }
}

public sealed class PostgresFleetStoreContract() : FleetStoreContract(new PostgresTestStoreFactory());
