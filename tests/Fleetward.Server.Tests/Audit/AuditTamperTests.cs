using System.CommandLine;
using Fleetward.Cli.Commands;
using Fleetward.Core.Audit;

namespace Fleetward.Server.Tests.Audit;

/// <summary>
/// Tampering proofs, end to end through the audit API and the verifier `fleetward audit verify` runs: an entry changed,
/// deleted or reordered directly in the database (raw SQL, as an attacker with database access would) is found and
/// named, on SQLite and on PostgreSQL. The log holds 2 tokens from setup plus 10 created through the API.
/// </summary>
public abstract class AuditTamperTests(string engine) : IAsyncLifetime
{
    private AuditServer server = null!;

    public async Task InitializeAsync()
    {
        server = await AuditServer.StartAsync(engine);
        await server.CreateTokensAsync(10);
        await server.CheckpointAsync();
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task An_untouched_log_verifies_and_stays_consistent_with_an_earlier_checkpoint()
    {
        var earlier = await server.CheckpointAsync();
        await server.CreateTokensAsync(3);
        await server.CheckpointAsync();
        using var client = server.AuditClient();
        var result = (await client.VerifyAsync(server.Signer.VerifierKey, earlier, default)).Result;
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(15, result.EntriesVerified);
        Assert.Contains("consistent with the trusted checkpoint of size 12", result.Reason);
    }

    [Fact]
    public async Task A_changed_entry_is_named()
    {
        await server.ExecuteRawAsync("UPDATE audit_entries SET actor = 'mallory' WHERE idx = 7");
        var result = await VerifyAsync();
        Assert.False(result.IsValid);
        Assert.Equal(AuditLogBreak.EntryChanged, result.Break);
        Assert.Equal(7, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task A_changed_payload_that_no_longer_parses_is_named()
    {
        await server.ExecuteRawAsync("UPDATE audit_entries SET payload = 'not json' WHERE idx = 4");
        var result = await VerifyAsync();
        Assert.Equal(AuditLogBreak.EntryChanged, result.Break);
        Assert.Equal(4, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task A_deleted_entry_is_named()
    {
        await server.ExecuteRawAsync("DELETE FROM audit_entries WHERE idx = 5");
        var result = await VerifyAsync();
        Assert.Equal(AuditLogBreak.EntryMissing, result.Break);
        Assert.Equal(5, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task Reordered_entries_are_named_at_the_first_moved_one()
    {
        // Swap the contents of entries 3 and 9, keeping every row (the indexes stay gap-free).
        await server.ExecuteRawAsync("UPDATE audit_entries SET idx = -1 WHERE idx = 3");
        await server.ExecuteRawAsync("UPDATE audit_entries SET idx = 3 WHERE idx = 9");
        await server.ExecuteRawAsync("UPDATE audit_entries SET idx = 9 WHERE idx = -1");
        var result = await VerifyAsync();
        Assert.Equal(AuditLogBreak.EntryChanged, result.Break);
        Assert.Equal(3, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task Entries_cut_from_the_end_are_named()
    {
        var trusted = await server.CheckpointAsync();
        await server.ExecuteRawAsync("DELETE FROM audit_entries WHERE idx >= 10");
        var result = (await server.AuditClient().VerifyAsync(server.Signer.VerifierKey, trusted, default)).Result;
        Assert.False(result.IsValid);
        Assert.Equal(10, result.FirstBrokenIndex);
    }

    [Fact]
    public async Task A_rewritten_tree_is_never_signed()
    {
        // A forged perfect subtree (level 3 covers entries 0-7) changes every later root: the server refuses to sign it.
        await server.ExecuteRawAsync("UPDATE audit_nodes SET hash = " + (engine == "sqlite" ? "zeroblob(32)" : "decode(repeat('00', 32), 'hex')") + " WHERE level = 3 AND idx = 0");
        await server.CreateTokensAsync(1);
        using var admin = server.Client(server.AdminToken);
        var response = await admin.PostAsync("/api/v1/audit/checkpoint", null);
        var problem = await ProblemAssert.IsProblemAsync(response, System.Net.HttpStatusCode.Conflict, "conflict");
        Assert.Contains("does not extend the checkpoint of size 12", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Removing_the_stored_leaf_hash_does_not_hide_a_changed_entry()
    {
        await server.ExecuteRawAsync("UPDATE audit_entries SET actor = 'mallory' WHERE idx = 9");
        await server.ExecuteRawAsync("DELETE FROM audit_nodes WHERE level = 0 AND idx = 9");
        using var client = server.AuditClient();
        try
        {
            var result = (await client.VerifyAsync(server.Signer.VerifierKey, null, default)).Result;
            Assert.False(result.IsValid);
            Assert.Equal(9, result.FirstBrokenIndex);
        }
        catch (AuditApiException exception)
        {
            // A proof the verifier asked for needs the removed node: the server says which one is gone.
            Assert.Contains("(0,9)", exception.Message);
        }
    }

    [Fact]
    public async Task The_verify_command_exits_non_zero_and_prints_the_entry()
    {
        await server.ExecuteRawAsync("UPDATE audit_entries SET subject = 'token:forged' WHERE idx = 2");
        var vkey = Path.Combine(server.Directory, "audit-log.vkey");
        await File.WriteAllTextAsync(vkey, server.Signer.VerifierKey + "\n");
        var ca = Path.Combine(server.Directory, "operator-ca.pem");
        await File.WriteAllTextAsync(ca, server.Certificate.ExportCertificatePem());
        var (code, output, error) = await RunAsync(["audit", "verify", "--server", server.Server.OperatorAddress.ToString(), "--token", server.AuditorToken,
            "--ca-file", ca, "--verifier-key", vkey]);
        Assert.True(code == 1, output + error);
        Assert.Contains("FAILED at entry 2 (EntryChanged)", output);
    }

    private async Task<AuditLogVerification> VerifyAsync()
    {
        using var client = server.AuditClient();
        return (await client.VerifyAsync(server.Signer.VerifierKey, null, default)).Result;
    }

    internal static async Task<(int Code, string Output, string Error)> RunAsync(string[] args, Func<string, string?>? environment = null)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new RootCommand { AuditCommand.Create(environment ?? (_ => null)) };
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}

public sealed class SqliteAuditTamperTests() : AuditTamperTests("sqlite");

public sealed class PostgresAuditTamperTests() : AuditTamperTests("postgres");
