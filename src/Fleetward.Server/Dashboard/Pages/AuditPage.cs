using System.Diagnostics;
using System.Globalization;
using Fleetward.Core.Access;
using Fleetward.Core.Audit;
using Fleetward.Core.Ports;
using Fleetward.Server.Audit;
using Fleetward.Server.Dashboard.Html;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Problems;
using Fleetward.Trust.Merkle;
using Fleetward.Trust.Notes;

namespace Fleetward.Server.Dashboard.Pages;

/// <summary>What the audit page found when it re-verified the stored log against the latest signed checkpoint.</summary>
public sealed record AuditLogStatus(StoredAuditCheckpoint? Checkpoint, IReadOnlyList<NoteSignature> Signatures, long LogSize,
    AuditLogVerification? Verification, string? NotVerifiedBecause, TimeSpan Took);

/// <summary>
/// Re-verifies the audit log as stored now against its latest checkpoint with the same <see cref="AuditLogVerifier"/>
/// that `fleetward audit verify` runs: the checkpoint's signature under the log key, every entry re-encoded and
/// hashed into the RFC 6962 root, and on a mismatch the first changed entry named (stored leaf hashes, then
/// consistency proofs from the stored nodes). The database is the thing being checked, so nothing it holds is trusted
/// beyond what the signed root confirms.
/// </summary>
public sealed class AuditLogStatusReader(IFleetStore store, AuditCheckpointer? checkpointer = null)
{
    public async Task<AuditLogStatus> ReadAsync(CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        await using var read = await store.ReadAsync(ct);
        var size = await read.AuditLog.SizeAsync(ct);
        var checkpoint = await read.AuditCheckpoints.LatestAsync(ct);
        if (checkpoint is null)
        {
            return new AuditLogStatus(null, [], size, null, "the log has no signed checkpoint yet", watch.Elapsed);
        }
        IReadOnlyList<NoteSignature> signatures;
        try
        {
            signatures = SignedNote.Parse(checkpoint.Note).Signatures;
        }
        catch (NoteFormatException)
        {
            signatures = [];
        }
        if (checkpointer is null)
        {
            return new AuditLogStatus(checkpoint, signatures, size, null,
                "no audit log key is configured (audit.logKey in fleetward.json), so there is no key to verify the checkpoint with", watch.Elapsed);
        }
        var entries = new List<AuditLogEntry>();
        for (long start = 0; start < checkpoint.TreeSize; start += AuditEndpoints.MaxPageSize)
        {
            var end = Math.Min(checkpoint.TreeSize, start + AuditEndpoints.MaxPageSize);
            var page = await read.AuditLog.EntriesAsync(start, end, ct);
            IReadOnlyList<byte[]?> hashes;
            try
            {
                hashes = page.Count == 0 ? [] : await read.AuditLog.Nodes.GetNodesAsync([.. page.Select(e => new MerkleNodeId(0, e.Index))], ct);
            }
            catch (MerkleNodeNotFoundException)
            {
                hashes = new byte[]?[page.Count];
            }
            entries.AddRange(page.Select((e, i) => AuditEndpoints.EntryView.From(e, hashes[i]).ToLogEntry()));
        }
        AuditLogVerification verification;
        try
        {
            verification = await new AuditLogVerifier(new MerkleNodeAuditProofSource(read.AuditLog.Nodes))
                .VerifyAsync(new AuditLogVerificationRequest(checkpoint.Note, checkpointer.VerifierKey, entries), ct);
        }
        catch (MerkleNodeNotFoundException exception)
        {
            verification = new AuditLogVerification(false, AuditLogBreak.ProofUnavailable,
                "the stored tree is incomplete, so the changed entry cannot be located: " + exception.Message, null, null, 0);
        }
        return new AuditLogStatus(checkpoint, signatures, size, verification, null, watch.Elapsed);
    }
}

/// <summary>
/// The audit log: the latest signed checkpoint, a verification of the stored log against it done on every
/// visit, and the entries newest first, paged by index.
/// </summary>
public sealed class AuditPage(IFleetStore store, AuditLogStatusReader status) : IDashboardPage
{
    public const string Path = DashboardEndpoints.BasePath + "/audit";
    public const int PageSize = 50;

    public string Route => "/audit";

    public OperatorRole Role => OperatorRole.Auditor;

    public DashboardNavigation Navigation { get; } = new("Audit", 60);

    public async Task<DashboardView> LoadAsync(DashboardRequest request)
    {
        var query = request.Http.Request.Query;
        foreach (var key in query.Keys)
        {
            if (key != "before")
            {
                throw ProblemException.Validation(key, $"Unknown parameter '{key}'; expected before.");
            }
        }
        long? before = null;
        var beforeText = query["before"].ToString();
        if (beforeText.Length > 0)
        {
            if (!long.TryParse(beforeText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw ProblemException.Validation("before", $"before must be a non-negative integer; got '{beforeText}'.");
            }
            before = parsed;
        }
        var log = await status.ReadAsync(request.Aborted);
        var end = Math.Min(before ?? log.LogSize, log.LogSize);
        IReadOnlyList<StoredAuditEntry> entries;
        await using (var read = await store.ReadAsync(request.Aborted))
        {
            entries = await read.AuditLog.EntriesAsync(Math.Max(0, end - PageSize), end, request.Aborted);
        }
        return new DashboardView("Audit log", html => Render(html, log, [.. entries.OrderByDescending(e => e.Index)], end, request.Now));
    }

    public static void Render(HtmlWriter html, AuditLogStatus log, IReadOnlyList<StoredAuditEntry> entries, long end, DateTimeOffset now)
    {
        DashboardLayout.Heading(html, "Audit log", "An append-only Merkle log (RFC 6962); signed checkpoints commit to every entry before them.");
        using (html.Open("div", ("class", "grid-2")))
        {
            Checkpoint(html, log, now);
            Verification(html, log);
        }
        using (html.Open("section", ("class", "card card-flush"), ("aria-labelledby", "entries-heading")))
        {
            html.Element("h2", $"Entries ({DashboardLayout.Count(log.LogSize)} in the log)", ("id", "entries-heading"), ("class", "card-title"));
            if (entries.Count == 0)
            {
                html.Element("p", "No entries here.", ("class", "empty"));
            }
            else
            {
                EntryTable(html, [.. entries.Select(e => (e.Index, e.Event.Type, e.Event.Time, e.Event.Actor, (string?)e.Event.Subject, e.Event.PayloadJson))], now);
            }
            using (html.Open("nav", ("class", "pager pager-inset"), ("aria-label", "Pages")))
            {
                if (end < log.LogSize)
                {
                    html.Element("a", "← Newest", ("href", Path), ("class", "button button-quiet"));
                }
                html.Element("span", entries.Count == 0 ? "" : $"entries {entries[^1].Index} to {entries[0].Index}", ("class", "muted"));
                if (entries.Count > 0 && entries[^1].Index > 0)
                {
                    html.Element("a", "Older →", ("href", Path + "?before=" + entries[^1].Index.ToString(CultureInfo.InvariantCulture)),
                        ("class", "button button-quiet"), ("rel", "next"));
                }
            }
        }
    }

    private static void Checkpoint(HtmlWriter html, AuditLogStatus log, DateTimeOffset now)
    {
        using (html.Open("section", ("class", "card"), ("aria-labelledby", "checkpoint-heading")))
        {
            html.Element("h2", "Latest checkpoint", ("id", "checkpoint-heading"));
            if (log.Checkpoint is not { } checkpoint)
            {
                html.Element("p", "No signed checkpoint yet; the server signs one every few minutes once the log key is configured.", ("class", "muted"));
                return;
            }
            using (html.Open("dl", ("class", "facts facts-compact")))
            {
                DashboardLayout.Fact(html, "Tree size", DashboardLayout.Count(checkpoint.TreeSize));
                DashboardLayout.Fact(html, "Root hash", () => html.Element("span", Convert.ToHexStringLower(checkpoint.RootHash), ("class", "mono hash"), ("id", "root-hash")));
                DashboardLayout.Fact(html, "Signed by", () =>
                {
                    foreach (var signature in log.Signatures)
                    {
                        html.Element("span", $"{signature.KeyName} (key id {signature.KeyId.ToString("x8", CultureInfo.InvariantCulture)})", ("class", "mono"), ("id", "key-id"));
                    }
                });
                DashboardLayout.Fact(html, "Signed at", () => DashboardLayout.Instant(html, checkpoint.CreatedAt, now));
                DashboardLayout.Fact(html, "Entries since", DashboardLayout.Count(Math.Max(0, log.LogSize - checkpoint.TreeSize)));
            }
        }
    }

    private static void Verification(HtmlWriter html, AuditLogStatus log)
    {
        using (html.Open("section", ("class", "card"), ("aria-labelledby", "verification-heading")))
        {
            html.Element("h2", "Verification", ("id", "verification-heading"));
            if (log.Verification is not { } result)
            {
                DashboardLayout.Badge(html, "not verified", "neutral");
                html.Element("p", "Not verified: " + log.NotVerifiedBecause + ".", ("class", "muted"));
                return;
            }
            using (html.Open("div", ("class", "verification verification-" + (result.IsValid ? "ok" : "failed")), ("id", "verification")))
            {
                DashboardLayout.Badge(html, result.IsValid ? "verified" : "failed", result.IsValid ? "good" : "bad");
                html.Element("p", result.Reason, ("class", "verification-reason"));
                if (!result.IsValid)
                {
                    using (html.Open("dl", ("class", "facts facts-compact")))
                    {
                        DashboardLayout.Fact(html, "Check", result.Break?.ToString());
                        DashboardLayout.Fact(html, "First broken entry", result.FirstBrokenIndex?.ToString(CultureInfo.InvariantCulture), "not located");
                    }
                }
            }
            html.Element("p", $"Re-verified on this visit in {log.Took.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms; run 'fleetward audit verify' to check from outside the server.",
                ("class", "fine-print"));
        }
    }

    /// <summary>Audit entries as a table (the audit page and a rollout's history); the subject column is left out when null.</summary>
    public static void EntryTable(HtmlWriter html, IReadOnlyList<(long Index, string Type, DateTimeOffset At, string Actor, string? Subject, string Payload)> entries, DateTimeOffset now)
    {
        var withSubject = entries.Any(e => e.Subject is not null);
        using (html.Open("div", ("class", "table-scroll")))
        using (html.Open("table", ("class", "table audit-entries")))
        {
            using (html.Open("thead"))
            using (html.Open("tr"))
            {
                foreach (var heading in withSubject ? new[] { "#", "When", "Event", "Actor", "Subject", "Detail" } : ["#", "When", "Event", "Actor", "Detail"])
                {
                    html.Element("th", heading, ("scope", "col"));
                }
            }
            using (html.Open("tbody"))
            {
                foreach (var entry in entries)
                {
                    using (html.Open("tr"))
                    {
                        html.Element("td", entry.Index.ToString(CultureInfo.InvariantCulture), ("data-label", "#"), ("class", "num"));
                        using (html.Open("td", ("data-label", "When")))
                        {
                            DashboardLayout.CompactInstant(html, entry.At, now);
                        }
                        html.Element("td", entry.Type, ("data-label", "Event"), ("class", "mono"));
                        html.Element("td", entry.Actor, ("data-label", "Actor"), ("class", "mono"));
                        if (withSubject)
                        {
                            html.Element("td", entry.Subject, ("data-label", "Subject"), ("class", "mono"));
                        }
                        html.Element("td", Shorten(entry.Payload, 120), ("data-label", "Detail"), ("class", "mono payload"), ("title", entry.Payload.Length > 120 ? entry.Payload : null));
                    }
                }
            }
        }
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
