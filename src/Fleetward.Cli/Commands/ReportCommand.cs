using System.CommandLine;
using System.Globalization;
using System.Text;
using Fleetward.Core.Receipts;
using Fleetward.Trust.Commands;
using Fleetward.Trust.Notes;

namespace Fleetward.Cli.Commands;

/// <summary>
/// `fleetward report`: the security receipts as a table (or the API's JSON), and with --out the signed export an
/// auditor keeps. `fleetward report verify FILE --verifier-key F` checks such an export offline against the pinned
/// audit-log key: exit 0 when it verifies, 1 naming the step that failed, 2 on bad usage.
/// </summary>
public static class ReportCommand
{
    public static Command Create(Func<string, string?>? environment = null)
    {
        var api = environment is null ? new OperatorApiOptions() : new OperatorApiOptions { Environment = environment };
        var days = new Option<int?>("--days") { Description = "Window of the rate figures in days, 1 to 366 (default 30).", HelpName = "N" };
        var outFile = new Option<FileInfo?>("--out") { Description = "Write the signed receipt (DSSE envelope, signed with the audit-log key) to this file.", HelpName = "FILE" };
        var report = new Command("report", "Show the fleet's security receipts: each KPI with its numerator, denominator and window.") { days, outFile };
        api.AddTo(report);
        report.Add(VerifyVerb());
        report.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            using var client = new OperatorApiClient(api.Connection(parse));
            var query = parse.GetValue(days) is { } n ? "?days=" + n.ToString(CultureInfo.InvariantCulture) : "";
            var output = parse.InvocationConfiguration.Output;
            string json;
            if (parse.GetValue(outFile) is { } file)
            {
                var envelopeJson = await client.SendAsync(HttpMethod.Get, "api/v1/receipts/signed" + query, null, cancellationToken);
                var envelope = SignedCommand.FromJson(envelopeJson);
                await File.WriteAllTextAsync(file.FullName, envelopeJson, cancellationToken);
                json = Encoding.UTF8.GetString(envelope.Payload);
                if (!parse.GetValue(api.Json))
                {
                    await WriteTableAsync(output, SecurityReceiptsJson.Parse(envelope.Payload));
                    await output.WriteLineAsync($"Wrote the signed receipt to {file.FullName} (key {string.Join(", ", envelope.Signatures.Select(s => s.KeyId))}). " +
                        $"Verify it with: fleetward report verify {file.FullName} --verifier-key DATA/audit-log.vkey");
                    return ExitCodes.Success;
                }
            }
            else
            {
                json = await client.SendAsync(HttpMethod.Get, "api/v1/receipts" + query, null, cancellationToken);
            }
            if (parse.GetValue(api.Json))
            {
                await output.WriteLineAsync(json);
            }
            else
            {
                await WriteTableAsync(output, SecurityReceiptsJson.Parse(Encoding.UTF8.GetBytes(json)));
            }
            return ExitCodes.Success;
        }));
        return report;
    }

    private static Command VerifyVerb()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A signed receipt written by 'fleetward report --out'." };
        var key = new Option<FileInfo>("--verifier-key")
        {
            Description = "The audit log's verifier key (vkey text, e.g. DATA/audit-log.vkey or GET /api/v1/audit/key) that you pinned.",
            HelpName = "FILE",
            Required = true,
        };
        var json = new Option<bool>("--json") { Description = "Print the verification result as JSON." };
        var command = new Command("verify", "Check a signed receipt offline: the signature with the pinned log key, the payload form, and the audit checkpoint inside it.")
        {
            file, key, json,
        };
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            var keyFile = parse.GetRequiredValue(key);
            var receiptFile = parse.GetRequiredValue(file);
            NoteVerifierKey verifierKey;
            string envelope;
            try
            {
                verifierKey = NoteVerifierKey.Parse((await File.ReadAllTextAsync(keyFile.FullName, cancellationToken)).Trim());
                envelope = await File.ReadAllTextAsync(receiptFile.FullName, cancellationToken);
            }
            catch (NoteFormatException exception)
            {
                throw new UsageException($"--verifier-key {keyFile.FullName}: {exception.Message}");
            }
            catch (IOException exception)
            {
                throw new UsageException(exception.Message);
            }
            var result = SignedReceipts.Verify(envelope, verifierKey);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                await output.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(new
                {
                    verified = result.Verified,
                    failure = result.Failure,
                    key = SignedReceipts.KeyIdOf(verifierKey),
                    server = result.Receipts?.Server,
                    generatedAt = result.Receipts?.GeneratedAt,
                    checkpointTreeSize = result.Receipts?.Audit.CheckpointTreeSize,
                }));
            }
            else if (result.Receipts is { } receipts)
            {
                await WriteTableAsync(output, receipts);
                await output.WriteLineAsync($"OK: signed by {SignedReceipts.KeyIdOf(verifierKey)}; the audit checkpoint inside is signed by the same key.");
            }
            else
            {
                await output.WriteLineAsync($"FAILED: {result.Failure}");
            }
            return result.Verified ? ExitCodes.Success : ExitCodes.Failure;
        }));
        return command;
    }

    /// <summary>The receipts as aligned text: one row per figure, then the window and the audit anchor.</summary>
    public static async Task WriteTableAsync(TextWriter output, SecurityReceipts receipts)
    {
        await TextTable.WriteAsync(output, ["FIGURE", "VALUE", "NUMERATOR / DENOMINATOR", "SCOPE", "NOTE"],
            receipts.Figures.Select(f => (IReadOnlyList<string>)[f.Title, ReceiptText.Value(f), ReceiptText.Fraction(f),
                f.Scope == ReceiptScope.Current ? "now" : "window", f.Reason ?? f.Detail ?? ""]));
        await output.WriteLineAsync($"Server {receipts.Server}, generated {TextTable.Time(receipts.GeneratedAt)}; window {TextTable.Time(receipts.WindowStart)} to {TextTable.Time(receipts.WindowEnd)}.");
        var audit = receipts.Audit;
        await output.WriteLineAsync(audit.CheckpointTreeSize is { } size
            ? $"Audit log: {audit.LogSize} entries; checkpoint of size {size}, root {audit.CheckpointRootHashHex}, {(audit.CheckpointVerified ? "verified" : "NOT verified")}: {audit.CheckpointDetail}."
            : $"Audit log: {audit.LogSize} entries; {audit.CheckpointDetail}.");
    }
}
