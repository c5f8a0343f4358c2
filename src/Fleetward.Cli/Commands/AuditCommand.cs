using System.CommandLine;
using System.Text.Json;
using Fleetward.Core.Audit;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Problems;
using Fleetward.Trust.Notes;

namespace Fleetward.Cli.Commands;

/// <summary>
/// `fleetward audit verify|export`: an auditor's check of the tamper-evident log. Online, it fetches the signed
/// checkpoint and every entry through the operator API, recomputes the RFC 6962 root, checks the signature and the
/// consistency with a checkpoint trusted earlier, and names the first entry that breaks. Offline, it does the same
/// over an evidence pack. Exit code 0 when the log verifies, 1 when it does not (or the server fails), 2 on bad usage.
/// </summary>
public static class AuditCommand
{
    public static Command Create(Func<string, string?>? environment = null)
    {
        var env = environment ?? Environment.GetEnvironmentVariable;
        var audit = new Command("audit", "Verify and export the tamper-evident audit log (RFC 6962 Merkle log with signed checkpoints).");
        audit.Add(VerifyVerb(env));
        audit.Add(ExportVerb(env));
        return audit;
    }

    private static Command VerifyVerb(Func<string, string?> env)
    {
        var api = new OperatorApiOptions { Environment = env };
        var trusted = new Option<FileInfo?>("--trusted-checkpoint") { Description = "A checkpoint note verified earlier: the log must still extend it (RFC 9162 2.1.4).", HelpName = "FILE" };
        var key = new Option<FileInfo?>("--verifier-key") { Description = "The log's verifier key (vkey text, e.g. DATA/audit-log.vkey). Required with --pack; online, the server's key is used (and reported) when absent.", HelpName = "FILE" };
        var pack = new Option<FileInfo?>("--pack") { Description = "Verify an evidence pack offline instead of asking a server.", HelpName = "FILE" };
        var save = new Option<FileInfo?>("--save-checkpoint") { Description = "After a successful check, write the verified checkpoint here (the next run's --trusted-checkpoint).", HelpName = "FILE" };
        var command = new Command("verify", "Recompute the log's Merkle root from every entry, check the signed checkpoint, and name the first entry that breaks.")
        {
            trusted, key, pack, save,
        };
        api.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async output =>
        {
            var trustedNote = parse.GetValue(trusted) is { } t ? await File.ReadAllTextAsync(t.FullName, cancellationToken) : null;
            var pinned = parse.GetValue(key) is { } k ? ReadVerifierKey(k) : null;
            AuditLogVerification result;
            string checkpointNote;
            string keySource;
            if (parse.GetValue(pack) is { } packFile)
            {
                if (pinned is null)
                {
                    throw new UsageException("--verifier-key is required with --pack: an offline check must use a key you already trust.");
                }
                var evidence = AuditEvidencePack.FromJson(await File.ReadAllTextAsync(packFile.FullName, cancellationToken));
                checkpointNote = evidence.Checkpoint;
                keySource = "--verifier-key";
                result = await new AuditLogVerifier().VerifyAsync(evidence.ToVerificationRequest(pinned, trustedNote), cancellationToken);
            }
            else
            {
                using var client = new AuditApiClient(OperatorApiClient.CreateHttpClient(api.Connection(parse), TimeSpan.FromSeconds(60)));
                var online = await client.VerifyAsync(pinned, trustedNote, cancellationToken);
                (result, checkpointNote) = (online.Result, online.CheckpointNote);
                keySource = pinned is null ? $"the server's key {online.Key} (not pinned: pass --verifier-key)" : "--verifier-key";
            }
            if (result.IsValid && parse.GetValue(save) is { } saveFile)
            {
                await File.WriteAllTextAsync(saveFile.FullName, checkpointNote, cancellationToken);
            }
            await Report(output, parse.GetValue(api.Json), result, keySource);
            return result.IsValid ? 0 : 1;
        }));
        return command;
    }

    private static Command ExportVerb(Func<string, string?> env)
    {
        var api = new OperatorApiOptions { Environment = env };
        var outFile = new Option<FileInfo>("--out") { Description = "Where to write the evidence pack (JSON).", HelpName = "FILE", Required = true };
        var trusted = new Option<FileInfo?>("--trusted-checkpoint") { Description = "Add the consistency proof from this earlier checkpoint's size to the pack.", HelpName = "FILE" };
        var command = new Command("export", "Write an evidence pack (checkpoint, entries with leaf hashes, consistency proofs) that an auditor verifies with no access to the server.")
        {
            outFile, trusted,
        };
        api.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(parse, async output =>
        {
            using var client = new AuditApiClient(OperatorApiClient.CreateHttpClient(api.Connection(parse), TimeSpan.FromSeconds(60)));
            var trustedNote = parse.GetValue(trusted) is { } t ? await File.ReadAllTextAsync(t.FullName, cancellationToken) : null;
            var pack = await client.ExportAsync(trustedNote, cancellationToken);
            var path = parse.GetRequiredValue(outFile).FullName;
            await File.WriteAllTextAsync(path, pack.ToJson(), cancellationToken);
            var size = Checkpoint.ParseText(SignedNote.Parse(pack.Checkpoint).Text).TreeSize;
            await output.WriteLineAsync(parse.GetValue(api.Json)
                ? JsonSerializer.Serialize(new { file = path, treeSize = size, entries = pack.Entries.Count })
                : $"Wrote evidence pack {path}: checkpoint of size {size}, {pack.Entries.Count} entries. Verify with: fleetward audit verify --pack {path} --verifier-key FILE");
            return 0;
        }));
        return command;
    }

    private static async Task Report(TextWriter output, bool json, AuditLogVerification result, string keySource)
    {
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new
            {
                valid = result.IsValid,
                @break = result.Break?.ToString(),
                firstBrokenIndex = result.FirstBrokenIndex,
                reason = result.Reason,
                treeSize = result.Checkpoint?.TreeSize,
                origin = result.Checkpoint?.Origin,
                entriesVerified = result.EntriesVerified,
            }));
            return;
        }
        if (result.IsValid)
        {
            await output.WriteLineAsync($"OK: {result.Reason}.");
            await output.WriteLineAsync($"Checkpoint {result.Checkpoint!.Origin} size {result.Checkpoint.TreeSize} root {Convert.ToBase64String(result.Checkpoint.RootHash)}, signed by {keySource}.");
            return;
        }
        var where = result.FirstBrokenIndex is { } index ? $"entry {index}" : "the log";
        await output.WriteLineAsync($"FAILED at {where} ({result.Break}): {result.Reason}.");
    }

    private static NoteVerifierKey ReadVerifierKey(FileInfo file)
    {
        try
        {
            return NoteVerifierKey.Parse(File.ReadAllText(file.FullName).Trim());
        }
        catch (NoteFormatException exception)
        {
            throw new UsageException($"--verifier-key {file.FullName}: {exception.Message}");
        }
    }

    private static async Task<int> RunAsync(ParseResult parse, Func<TextWriter, Task<int>> action)
    {
        var error = parse.InvocationConfiguration.Error;
        try
        {
            return await action(parse.InvocationConfiguration.Output);
        }
        catch (UsageException exception)
        {
            await error.WriteLineAsync("error: " + exception.Message);
            return 2;
        }
        catch (Exception exception) when (exception is AuditApiException or HttpRequestException or TaskCanceledException or IOException
            or UnauthorizedAccessException or AuditEvidenceFormatException or NoteFormatException or JsonException)
        {
            await error.WriteLineAsync("error: " + exception.Message + (exception.InnerException is { } inner ? " " + inner.Message : ""));
            return 1;
        }
    }

}

/// <summary>The audit API answered with an error; the message carries its problem code and detail.</summary>
public sealed class AuditApiException(string message) : Exception(message);

/// <summary>What an online verification found, with the checkpoint and key it used.</summary>
public sealed record OnlineAuditVerification(AuditLogVerification Result, string CheckpointNote, NoteVerifierKey Key);

/// <summary>
/// The audit API as the verifier sees it: an untrusted source of a checkpoint, entries and proofs, all of which
/// <see cref="AuditLogVerifier"/> checks against the signed checkpoint. Owns the <see cref="HttpClient"/>.
/// </summary>
public sealed class AuditApiClient(HttpClient http) : IAuditProofSource, IDisposable
{
    public Task<AuditEndpoints.KeyView> KeyAsync(CancellationToken cancellationToken) =>
        GetAsync<AuditEndpoints.KeyView>("api/v1/audit/key", cancellationToken);

    public Task<AuditEndpoints.CheckpointView> CheckpointAsync(CancellationToken cancellationToken) =>
        GetAsync<AuditEndpoints.CheckpointView>("api/v1/audit/checkpoint", cancellationToken);

    /// <summary>Every stored entry below <paramref name="treeSize"/>, page by page; entries missing from the server's database are simply absent.</summary>
    public async Task<IReadOnlyList<AuditLogEntry>> EntriesAsync(long treeSize, CancellationToken cancellationToken)
    {
        var entries = new List<AuditLogEntry>();
        for (long start = 0; start < treeSize; start += AuditEndpoints.MaxPageSize)
        {
            var end = Math.Min(treeSize, start + AuditEndpoints.MaxPageSize);
            var page = await GetAsync<AuditEndpoints.EntryPage>($"api/v1/audit/entries?start={start}&end={end}", cancellationToken);
            entries.AddRange(page.Entries.Select(e => e.ToLogEntry()));
        }
        return entries;
    }

    public async Task<IReadOnlyList<byte[]>> GetInclusionProofAsync(long index, long treeSize, CancellationToken cancellationToken = default) =>
        (await GetAsync<AuditEndpoints.InclusionProofView>($"api/v1/audit/proofs/inclusion?index={index}&size={treeSize}", cancellationToken)).Proof;

    public async Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long size1, long size2, CancellationToken cancellationToken = default) =>
        (await GetAsync<AuditEndpoints.ConsistencyProofView>($"api/v1/audit/proofs/consistency?from={size1}&to={size2}", cancellationToken)).Proof;

    /// <summary>
    /// `audit verify --server`: checks the latest checkpoint under <paramref name="pinnedKey"/> (or the key the server
    /// publishes), recomputes the root over every entry, and checks consistency with <paramref name="trustedCheckpointNote"/>.
    /// </summary>
    public async Task<OnlineAuditVerification> VerifyAsync(NoteVerifierKey? pinnedKey, string? trustedCheckpointNote, CancellationToken cancellationToken)
    {
        var key = pinnedKey ?? NoteVerifierKey.Parse((await KeyAsync(cancellationToken)).VerifierKey);
        var checkpoint = await CheckpointAsync(cancellationToken);
        var entries = await EntriesAsync(checkpoint.TreeSize, cancellationToken);
        var result = await new AuditLogVerifier(this).VerifyAsync(
            new AuditLogVerificationRequest(checkpoint.Checkpoint, key, entries, trustedCheckpointNote), cancellationToken);
        return new OnlineAuditVerification(result, checkpoint.Checkpoint, key);
    }

    /// <summary>`audit export`: the latest checkpoint, every entry with its stored leaf hash, and a consistency proof from the trusted checkpoint's size.</summary>
    public async Task<AuditEvidencePack> ExportAsync(string? trustedCheckpointNote, CancellationToken cancellationToken)
    {
        var key = await KeyAsync(cancellationToken);
        var checkpoint = await CheckpointAsync(cancellationToken);
        var entries = await EntriesAsync(checkpoint.TreeSize, cancellationToken);
        List<AuditConsistencyEvidence>? consistency = null;
        if (trustedCheckpointNote is not null)
        {
            var from = Checkpoint.ParseText(SignedNote.Parse(trustedCheckpointNote).Text).TreeSize;
            if (from <= checkpoint.TreeSize)
            {
                consistency = [new AuditConsistencyEvidence(from, await GetConsistencyProofAsync(from, checkpoint.TreeSize, cancellationToken))];
            }
        }
        return new AuditEvidencePack(AuditEvidencePack.CurrentFormat, checkpoint.Checkpoint, key.VerifierKey, entries, consistency);
    }

    public void Dispose() => http.Dispose();

    private async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(path, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var detail = body;
            try
            {
                var problem = JsonDocument.Parse(body).RootElement;
                detail = $"{problem.GetProperty("code").GetString()}: {problem.GetProperty("detail").GetString()}";
            }
            catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
            {
            }
            throw new AuditApiException($"GET /{path} answered {(int)response.StatusCode}: {detail}");
        }
        return JsonSerializer.Deserialize<T>(body, JsonBody.Options)
            ?? throw new AuditApiException($"GET /{path} answered an empty body.");
    }
}
