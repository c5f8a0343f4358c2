using System.Globalization;
using Fleetward.Core.Identity;
using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Receipts;

/// <summary>
/// Turns the database's counts into the security receipts. Pure: the instant, the window and the checkpoint check
/// are passed in. Percentages are rounded down to two decimals, so 100 % means every single one; a figure whose
/// denominator is empty is null with the reason, never 0 or 100 %.
/// </summary>
public static class SecurityReceiptsCalculator
{
    /// <summary>
    /// A certificate is within the rotation SLO until the latest instant its renewal can be scheduled: two thirds of
    /// its lifetime plus the largest jitter (<see cref="CertificateRenewalSchedule"/>). Past it, the device has missed
    /// its renewal.
    /// </summary>
    public const double RenewalDeadlineFraction = CertificateRenewalSchedule.RenewalFraction + CertificateRenewalSchedule.JitterFraction;

    /// <summary>The window rate figures count over unless the caller asks for another.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(30);

    private const string InService = "in-service devices (active or quarantined)";

    public static SecurityReceipts Compute(string server, DateTimeOffset now, DateTimeOffset windowStart, ReceiptFacts facts, ReceiptCheckpointCheck? checkpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(server);
        ArgumentNullException.ThrowIfNull(facts);
        if (windowStart >= now)
        {
            throw new ArgumentException($"windowStart ({windowStart:O}) must be before now ({now:O}).", nameof(windowStart));
        }
        var fleet = facts.Fleet.InService;
        var figures = new List<ReceiptFigure>
        {
            UniqueCredentials(facts, fleet),
            Ratio(ReceiptFigureIds.AuthenticatedConnections, "Authenticated-connection ratio",
                "Device-listener requests made over mutual TLS with an accepted client certificate, out of those plus the ones refused for want of one (HTTP 401 or a refused TLS handshake). Anonymous EST-bootstrap and TUF requests are counted apart.",
                ReceiptScope.Window, facts.Connections.Authenticated, "authenticated requests",
                facts.Connections.Authenticated + facts.Connections.Refused, "authenticated plus refused requests",
                "the server counted no authenticated or refused device request in the window",
                $"{facts.Connections.Refused} refused, {facts.Connections.Anonymous} anonymous (EST bootstrap, TUF metadata)"),
            Ratio(ReceiptFigureIds.CertificatesWithinRotationSlo, "Certificates within rotation SLO",
                $"In-service devices holding a valid certificate that has not passed its renewal deadline ({RenewalDeadlineFraction.ToString("0.####", CultureInfo.InvariantCulture)} of its lifetime: the renewal point plus the largest jitter, of the shorter of the certificate's lifetime and its enrollment group's configured one), out of all in-service devices. A device without a valid certificate is outside the SLO.",
                ReceiptScope.Current, facts.Credentials.DevicesWithinRotationSlo, "devices within the SLO", fleet, InService,
                "no device is in service"),
            OnRelease(ReceiptFigureIds.DevicesOnLatestRelease, "Devices on the latest release",
                "In-service devices whose last check-in reported the latest release of their own hardware model, out of all in-service devices. A model's latest release is its newest signed release (highest security version, then the latest signed) built for that model, skipping releases whose rollouts were all aborted or cancelled.",
                facts.Releases, latest: true, fleet),
            OnRelease(ReceiptFigureIds.DevicesOnPreviousRelease, "Devices on release N-1",
                "In-service devices whose last check-in reported the release just before the latest one of their own hardware model (chosen the same way), out of all in-service devices.",
                facts.Releases, latest: false, fleet),
            Ratio(ReceiptFigureIds.SignedOtaSuccessRate, "Signed-OTA success rate",
                "Device updates that finished in the window and succeeded (verified, installed and healthy), out of all that finished: succeeded, failed or rolled back.",
                ReceiptScope.Window, facts.Ota.Succeeded, "succeeded updates", facts.Ota.Succeeded + facts.Ota.Failed + facts.Ota.RolledBack,
                "finished updates", "no device update finished in the window",
                $"{facts.Ota.Failed} failed, {facts.Ota.RolledBack} rolled back"),
            RollbackIncidents(facts.Ota),
            MedianTimeToPatch(ReceiptFigureIds.MedianTimeToPatch, "Median time to patch",
                "Median, over device updates that succeeded in the window, of the time from the release's signing (publication) to the device's success.",
                facts.PatchAll),
            MedianTimeToPatch(ReceiptFigureIds.MedianTimeToPatchSecurity, "Median time to patch (security channel)",
                "The same median over security-channel releases only.",
                facts.PatchSecurity),
            Mean(ReceiptFigureIds.MeanTimeToDetect, "MTTD",
                "Mean time to detect: over incidents detected in the window (dismissed false positives left out), the mean time from the first anomalous sample to the detection.",
                facts.Incidents.DetectMsSum, facts.Incidents.Detected, "incidents detected", "no incident was detected in the window",
                facts.Incidents.Dismissed == 0 ? null : $"{facts.Incidents.Dismissed} dismissed as false positives"),
            Mean(ReceiptFigureIds.MeanTimeToRecover, "MTTR",
                "Mean time to recover: over the incidents detected in the window that have recovered, the mean time from detection to recovery.",
                facts.Incidents.RecoverMsSum, facts.Incidents.Recovered, "incidents recovered",
                facts.Incidents.Detected == 0 ? "no incident was detected in the window" : "no incident detected in the window has recovered yet",
                facts.Incidents.Detected - facts.Incidents.Recovered is var open and > 0 ? $"{open} not recovered yet" : null),
            Isolates(facts.QuarantinesInWindow, fleet),
            new(ReceiptFigureIds.AuditLogSize, "Audit log size",
                "Entries in the tamper-evident audit log (RFC 9162 Merkle tree) when the receipt was made.",
                ReceiptUnit.Entries, ReceiptScope.Current, facts.Audit.LogSize, facts.Audit.LogSize, "entries", null, null, null),
            LastVerifiedCheckpoint(facts.Audit, checkpoint),
        };
        var latest = facts.Audit.LatestCheckpoint;
        var anchor = new ReceiptAuditAnchor(
            facts.Audit.LogSize,
            latest?.TreeSize,
            latest is null ? null : Convert.ToHexStringLower(latest.RootHash),
            latest?.CreatedAt,
            latest?.Note,
            latest is not null && checkpoint is { Verified: true },
            latest is null ? "the audit log has no signed checkpoint yet" : checkpoint?.Detail ?? "the checkpoint was not verified (no log key configured)");
        return new SecurityReceipts(server, now, windowStart, now, figures, anchor);
    }

    /// <summary>Rounds a ratio down to two decimals of a percent: 99.999 % shows as 99.99, never as 100.</summary>
    public static decimal PercentFloor(long numerator, long denominator)
    {
        if (denominator <= 0 || numerator < 0 || numerator > denominator)
        {
            throw new ArgumentOutOfRangeException(nameof(numerator), $"{numerator}/{denominator} is not a ratio of counts.");
        }
        return decimal.Floor((decimal)numerator * 10_000m / denominator) / 100m;
    }

    /// <summary>The median of a sample in seconds: the middle element, or the mean of the two middle ones.</summary>
    public static decimal? MedianSeconds(MedianSample sample) =>
        sample.Count == 0 || sample.LowerMiddleMs is not { } lower || sample.UpperMiddleMs is not { } upper
            ? null
            : (lower + (decimal)upper) / 2m / 1000m;

    private static ReceiptFigure UniqueCredentials(ReceiptFacts facts, long fleet)
    {
        var c = facts.Credentials;
        var detail = new List<string>();
        if (c.DevicesSharingKey > 0) detail.Add($"{c.DevicesSharingKey} share a public key with another device");
        if (c.DevicesWithoutFingerprint > 0) detail.Add($"{c.DevicesWithoutFingerprint} hold a certificate whose key fingerprint is unknown");
        if (fleet > c.DevicesWithValidCertificate) detail.Add($"{fleet - c.DevicesWithValidCertificate} hold no valid certificate");
        return Ratio(ReceiptFigureIds.UniqueCredentials, "Devices with unique credentials",
            "In-service devices holding a valid certificate whose public key no certificate of any other device carries, out of all in-service devices. A shared key, an unknown key fingerprint or no valid certificate counts against it.",
            ReceiptScope.Current, c.DevicesWithUniqueKey, "devices with a unique key", fleet, InService,
            "no device is in service", detail.Count == 0 ? null : string.Join("; ", detail));
    }

    /// <summary>Models named in a release figure's detail; the rest are counted, so the detail stays short on a mixed fleet.</summary>
    private const int ModelsNamed = 10;

    private static ReceiptFigure OnRelease(string id, string title, string definition, ReleaseAdoptionFacts releases, bool latest, long fleet)
    {
        var named = releases.Models
            .Where(m => latest || m.Previous is not null)
            .OrderBy(m => m.Model, StringComparer.Ordinal)
            .Select(m => (m.Model, Release: latest ? m.Latest : m.Previous!))
            .ToList();
        if (named.Count == 0)
        {
            var reason = latest
                ? "no signed release is eligible for the model of any in-service device"
                : "no model of an in-service device has two eligible signed releases";
            return new(id, title, definition, ReceiptUnit.Percent, ReceiptScope.Current, null, null, "devices on the release", fleet, InService, reason);
        }
        var detail = string.Join("; ", named.Take(ModelsNamed).Select(n =>
            $"{n.Model}: {n.Release.Version} ({n.Release.Channel.ToName()}, security version {n.Release.SecurityVersion}, release {n.Release.Id})"));
        if (named.Count > ModelsNamed)
        {
            detail += $"; and {named.Count - ModelsNamed} more models";
        }
        var label = latest ? "devices on their model's latest release" : "devices on their model's release N-1";
        return Ratio(id, title, definition, ReceiptScope.Current, latest ? releases.DevicesOnLatest : releases.DevicesOnPrevious,
            label, fleet, InService, "no device is in service", detail);
    }

    private static ReceiptFigure RollbackIncidents(OtaFacts ota) =>
        new(ReceiptFigureIds.RollbackIncidents, "Rollback incidents",
            "Rollouts that rolled back at least one device update in the window (a halted release reverted on devices), out of the rollouts that finished any device update in the window.",
            ReceiptUnit.Count, ReceiptScope.Window,
            ota.Rollouts == 0 ? null : ota.RolloutsWithRollback,
            ota.RolloutsWithRollback, "rollouts with a rollback", ota.Rollouts, "rollouts with finished updates",
            ota.Rollouts == 0 ? "no rollout finished a device update in the window" : null,
            ota.RolledBack == 0 ? null : $"{ota.RolledBack} device updates rolled back");

    private static ReceiptFigure MedianTimeToPatch(string id, string title, string definition, MedianSample sample) =>
        new(id, title, definition, ReceiptUnit.Seconds, ReceiptScope.Window, MedianSeconds(sample), null, null, sample.Count, "succeeded updates",
            sample.Count == 0 ? "no device update of such a release succeeded in the window" : null);

    private static ReceiptFigure Mean(string id, string title, string definition, long sumMs, long count, string countLabel, string noData, string? detail) =>
        new(id, title, definition, ReceiptUnit.Seconds, ReceiptScope.Window,
            count == 0 ? null : decimal.Round((decimal)sumMs / count, 0, MidpointRounding.AwayFromZero) / 1000m,
            null, null, count, countLabel, count == 0 ? noData : null, detail);

    private static ReceiptFigure Isolates(long quarantines, long fleet) =>
        new(ReceiptFigureIds.IsolatesPerThousandDevices, "Isolates per 1,000 devices",
            "Devices put into quarantine in the window (audited lifecycle changes to quarantined, by an operator or a response playbook), per 1,000 in-service devices.",
            ReceiptUnit.PerThousandDevices, ReceiptScope.Window,
            fleet == 0 ? null : decimal.Round(quarantines * 1000m / fleet, 2, MidpointRounding.AwayFromZero),
            quarantines, "quarantines", fleet, InService, fleet == 0 ? "no device is in service" : null);

    private static ReceiptFigure LastVerifiedCheckpoint(AuditFacts audit, ReceiptCheckpointCheck? check)
    {
        const string Title = "Last verified checkpoint";
        const string Definition = "Tree size of the newest signed audit checkpoint, when its signature verifies with the log key and the stored tree still has the signed root at that size.";
        var latest = audit.LatestCheckpoint;
        if (latest is null)
        {
            return new(ReceiptFigureIds.LastVerifiedCheckpoint, Title, Definition, ReceiptUnit.Entries, ReceiptScope.Current, null, null, null,
                audit.LogSize, "entries in the log", "the audit log has no signed checkpoint yet");
        }
        var verified = check is { Verified: true };
        return new(ReceiptFigureIds.LastVerifiedCheckpoint, Title, Definition, ReceiptUnit.Entries, ReceiptScope.Current,
            verified ? latest.TreeSize : null, latest.TreeSize, "entries covered by the checkpoint", audit.LogSize, "entries in the log",
            verified ? null : check?.Detail ?? "the checkpoint was not verified (no log key configured)",
            $"signed {latest.CreatedAt.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}" + (verified ? "; " + check!.Detail : ""));
    }

    private static ReceiptFigure Ratio(string id, string title, string definition, ReceiptScope scope, long numerator, string numeratorLabel,
        long denominator, string denominatorLabel, string noData, string? detail = null) =>
        new(id, title, definition, ReceiptUnit.Percent, scope,
            denominator == 0 ? null : PercentFloor(numerator, denominator),
            numerator, numeratorLabel, denominator, denominatorLabel, denominator == 0 ? noData : null, detail);
}
