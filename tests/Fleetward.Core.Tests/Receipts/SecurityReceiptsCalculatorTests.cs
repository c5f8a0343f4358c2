using Fleetward.Core.Ports;
using Fleetward.Core.Receipts;
using Fleetward.Core.Rollouts;

namespace Fleetward.Core.Tests.Receipts;

public sealed class SecurityReceiptsCalculatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset WindowStart = Now.AddDays(-30);

    private static readonly ReceiptRelease V2 = new("rel-2", "2.0.0", ReleaseChannel.Security, 7, Now.AddDays(-2));
    private static readonly ReceiptRelease V1 = new("rel-1", "1.0.0", ReleaseChannel.Stable, 6, Now.AddDays(-20));

    /// <summary>A fleet of 1,000 in service with something in every figure.</summary>
    private static ReceiptFacts Busy() => new(
        new FleetFacts(Active: 990, Quarantined: 10),
        new CredentialFacts(DevicesWithValidCertificate: 998, DevicesWithUniqueKey: 996, DevicesSharingKey: 2, DevicesWithoutFingerprint: 0, DevicesWithinRotationSlo: 997),
        new ConnectionFacts(Authenticated: 9_990, Refused: 10, Anonymous: 40),
        new ReleaseAdoptionFacts([new ModelReleaseAdoption("mower", V2, V1, DevicesOnLatest: 900, DevicesOnPrevious: 95)]),
        new OtaFacts(Succeeded: 950, Failed: 30, RolledBack: 20, Rollouts: 4, RolloutsWithRollback: 1),
        new MedianSample(950, 3_600_000, 3_600_000),
        new MedianSample(900, 1_800_000, 1_900_000),
        new IncidentFacts(Detected: 4, DetectMsSum: 40_000, Recovered: 2, RecoverMsSum: 600_000, Dismissed: 1),
        QuarantinesInWindow: 12,
        new AuditFacts(5_000, new StoredAuditCheckpoint(4_990, new byte[32], "note", Now.AddMinutes(-1))));

    private static ReceiptFacts Empty() => new(
        new FleetFacts(0, 0),
        new CredentialFacts(0, 0, 0, 0, 0),
        new ConnectionFacts(0, 0, 0),
        ReleaseAdoptionFacts.None,
        new OtaFacts(0, 0, 0, 0, 0),
        MedianSample.Empty,
        MedianSample.Empty,
        new IncidentFacts(0, 0, 0, 0, 0),
        0,
        new AuditFacts(0, null));

    private static SecurityReceipts Compute(ReceiptFacts facts, ReceiptCheckpointCheck? check = null) =>
        SecurityReceiptsCalculator.Compute("fleet.example", Now, WindowStart, facts, check ?? new ReceiptCheckpointCheck(true, "signature and root verified"));

    [Fact]
    public void Unique_credentials_count_devices_with_an_unshared_key_over_the_in_service_fleet()
    {
        var figure = Compute(Busy()).Figure(ReceiptFigureIds.UniqueCredentials);
        Assert.Equal(99.6m, figure.Value);
        Assert.Equal(996, figure.Numerator);
        Assert.Equal(1000, figure.Denominator);
        Assert.Equal(ReceiptScope.Current, figure.Scope);
        Assert.Contains("2 share a public key", figure.Detail);
        Assert.Contains("2 hold no valid certificate", figure.Detail);
    }

    [Fact]
    public void Percentages_round_down_so_that_100_means_every_device()
    {
        Assert.Equal(99.99m, SecurityReceiptsCalculator.PercentFloor(99_999, 100_000));
        Assert.Equal(100m, SecurityReceiptsCalculator.PercentFloor(7, 7));
        Assert.Equal(33.33m, SecurityReceiptsCalculator.PercentFloor(1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => SecurityReceiptsCalculator.PercentFloor(3, 2));
    }

    [Fact]
    public void Authenticated_connection_ratio_leaves_anonymous_requests_out_of_the_denominator()
    {
        var figure = Compute(Busy()).Figure(ReceiptFigureIds.AuthenticatedConnections);
        Assert.Equal(99.9m, figure.Value);
        Assert.Equal((9_990L, 10_000L), (figure.Numerator!.Value, figure.Denominator!.Value));
        Assert.Equal(ReceiptScope.Window, figure.Scope);
        Assert.Contains("40 anonymous", figure.Detail);
    }

    [Fact]
    public void Connections_with_only_anonymous_requests_have_no_ratio()
    {
        var figure = Compute(Empty() with { Connections = new ConnectionFacts(0, 0, 25) }).Figure(ReceiptFigureIds.AuthenticatedConnections);
        Assert.Null(figure.Value);
        Assert.Contains("no authenticated or refused", figure.Reason);
    }

    [Fact]
    public void Rotation_slo_is_over_the_whole_in_service_fleet()
    {
        var figure = Compute(Busy()).Figure(ReceiptFigureIds.CertificatesWithinRotationSlo);
        Assert.Equal(99.7m, figure.Value);
        Assert.Contains("0.7167", figure.Definition);
    }

    [Fact]
    public void The_renewal_deadline_is_the_latest_point_the_renewal_schedule_can_pick()
    {
        Assert.Equal(2.0 / 3.0 + 0.05, SecurityReceiptsCalculator.RenewalDeadlineFraction, 12);
    }

    [Fact]
    public void Release_adoption_names_each_models_latest_and_previous_release()
    {
        var receipts = Compute(Busy());
        var latest = receipts.Figure(ReceiptFigureIds.DevicesOnLatestRelease);
        Assert.Equal(90m, latest.Value);
        Assert.Equal("mower: 2.0.0 (security, security version 7, release rel-2)", latest.Detail);
        var previous = receipts.Figure(ReceiptFigureIds.DevicesOnPreviousRelease);
        Assert.Equal(9.5m, previous.Value);
        Assert.Equal("mower: 1.0.0 (stable, security version 6, release rel-1)", previous.Detail);
    }

    [Fact]
    public void Release_adoption_adds_up_the_models_over_the_whole_fleet()
    {
        var rover = new ReceiptRelease("rov-3", "3.0.0", ReleaseChannel.Stable, 2, Now.AddDays(-1));
        var facts = Busy() with
        {
            Releases = new ReleaseAdoptionFacts([new ModelReleaseAdoption("mower", V2, V1, 600, 50), new ModelReleaseAdoption("rover", rover, null, 300, 0)]),
        };
        var receipts = Compute(facts);
        var latest = receipts.Figure(ReceiptFigureIds.DevicesOnLatestRelease);
        Assert.Equal((90m, 900L, 1000L), (latest.Value!.Value, latest.Numerator!.Value, latest.Denominator!.Value));
        Assert.Contains("rover: 3.0.0", latest.Detail);
        var previous = receipts.Figure(ReceiptFigureIds.DevicesOnPreviousRelease);
        Assert.Equal(5m, previous.Value);
        Assert.DoesNotContain("rover", previous.Detail);
    }

    [Fact]
    public void A_single_release_has_no_n_minus_1()
    {
        var facts = Busy() with { Releases = new ReleaseAdoptionFacts([new ModelReleaseAdoption("mower", V2, null, 1000, 0)]) };
        var receipts = Compute(facts);
        Assert.Equal(100m, receipts.Figure(ReceiptFigureIds.DevicesOnLatestRelease).Value);
        var previous = receipts.Figure(ReceiptFigureIds.DevicesOnPreviousRelease);
        Assert.Null(previous.Value);
        Assert.Equal("no model of an in-service device has two eligible signed releases", previous.Reason);
    }

    [Fact]
    public void Ota_success_rate_counts_failed_and_rolled_back_updates_against_it()
    {
        var figure = Compute(Busy()).Figure(ReceiptFigureIds.SignedOtaSuccessRate);
        Assert.Equal(95m, figure.Value);
        Assert.Equal(1000, figure.Denominator);
        Assert.Equal("30 failed, 20 rolled back", figure.Detail);
    }

    [Fact]
    public void Rollback_incidents_count_rollouts_that_rolled_devices_back()
    {
        var figure = Compute(Busy()).Figure(ReceiptFigureIds.RollbackIncidents);
        Assert.Equal(1m, figure.Value);
        Assert.Equal((1L, 4L), (figure.Numerator!.Value, figure.Denominator!.Value));
        Assert.Equal("20 device updates rolled back", figure.Detail);
    }

    [Fact]
    public void Zero_rollbacks_among_finished_rollouts_is_a_real_zero()
    {
        var figure = Compute(Busy() with { Ota = new OtaFacts(10, 0, 0, 1, 0) }).Figure(ReceiptFigureIds.RollbackIncidents);
        Assert.Equal(0m, figure.Value);
        Assert.Null(figure.Reason);
    }

    [Fact]
    public void Median_time_to_patch_of_an_odd_sample_is_the_middle_element()
    {
        var figure = Compute(Busy()).Figure(ReceiptFigureIds.MedianTimeToPatch);
        Assert.Equal(3600m, figure.Value);
        Assert.Equal(950, figure.Denominator);
        Assert.Null(figure.Numerator);
    }

    [Fact]
    public void Median_of_an_even_sample_is_the_mean_of_the_two_middle_elements()
    {
        Assert.Equal(1850m, Compute(Busy()).Figure(ReceiptFigureIds.MedianTimeToPatchSecurity).Value);
        Assert.Equal(0.0015m, SecurityReceiptsCalculator.MedianSeconds(new MedianSample(2, 1, 2)));
    }

    [Fact]
    public void Median_with_tied_middle_elements_is_that_value()
    {
        Assert.Equal(5m, SecurityReceiptsCalculator.MedianSeconds(new MedianSample(4, 5_000, 5_000)));
    }

    [Fact]
    public void Mttd_and_mttr_are_means_over_their_own_incident_counts()
    {
        var receipts = Compute(Busy());
        var mttd = receipts.Figure(ReceiptFigureIds.MeanTimeToDetect);
        Assert.Equal(10m, mttd.Value);
        Assert.Equal(4, mttd.Denominator);
        Assert.Contains("1 dismissed", mttd.Detail);
        var mttr = receipts.Figure(ReceiptFigureIds.MeanTimeToRecover);
        Assert.Equal(300m, mttr.Value);
        Assert.Equal(2, mttr.Denominator);
        Assert.Equal("2 not recovered yet", mttr.Detail);
    }

    [Fact]
    public void Mean_times_round_to_the_millisecond()
    {
        var facts = Busy() with { Incidents = new IncidentFacts(3, 1_000, 0, 0, 0) };
        Assert.Equal(0.333m, Compute(facts).Figure(ReceiptFigureIds.MeanTimeToDetect).Value);
    }

    [Fact]
    public void No_incidents_gives_null_mttd_and_mttr_with_a_reason_not_zero()
    {
        var receipts = Compute(Busy() with { Incidents = new IncidentFacts(0, 0, 0, 0, 0) });
        Assert.Null(receipts.Figure(ReceiptFigureIds.MeanTimeToDetect).Value);
        Assert.Equal("no incident was detected in the window", receipts.Figure(ReceiptFigureIds.MeanTimeToDetect).Reason);
        Assert.Null(receipts.Figure(ReceiptFigureIds.MeanTimeToRecover).Value);
    }

    [Fact]
    public void Open_incidents_without_recovery_leave_mttr_null_with_its_own_reason()
    {
        var figure = Compute(Busy() with { Incidents = new IncidentFacts(2, 2_000, 0, 0, 0) }).Figure(ReceiptFigureIds.MeanTimeToRecover);
        Assert.Null(figure.Value);
        Assert.Equal("no incident detected in the window has recovered yet", figure.Reason);
    }

    [Fact]
    public void Isolates_are_per_thousand_in_service_devices()
    {
        var figure = Compute(Busy()).Figure(ReceiptFigureIds.IsolatesPerThousandDevices);
        Assert.Equal(12m, figure.Value);
        Assert.Equal((12L, 1000L), (figure.Numerator!.Value, figure.Denominator!.Value));
        Assert.Equal(0.67m, Compute(Busy() with { Fleet = new FleetFacts(3_000, 0), QuarantinesInWindow = 2 }).Figure(ReceiptFigureIds.IsolatesPerThousandDevices).Value);
    }

    [Fact]
    public void Audit_figures_report_the_log_size_and_the_verified_checkpoint()
    {
        var receipts = Compute(Busy());
        Assert.Equal(5000m, receipts.Figure(ReceiptFigureIds.AuditLogSize).Value);
        var checkpoint = receipts.Figure(ReceiptFigureIds.LastVerifiedCheckpoint);
        Assert.Equal(4990m, checkpoint.Value);
        Assert.Equal((4990L, 5000L), (checkpoint.Numerator!.Value, checkpoint.Denominator!.Value));
        Assert.True(receipts.Audit.CheckpointVerified);
        Assert.Equal(4990, receipts.Audit.CheckpointTreeSize);
        Assert.Equal(new string('0', 64), receipts.Audit.CheckpointRootHashHex);
    }

    [Fact]
    public void A_checkpoint_that_fails_verification_is_reported_with_the_failure_and_no_value()
    {
        var receipts = Compute(Busy(), new ReceiptCheckpointCheck(false, "root differs at size 4990"));
        var figure = receipts.Figure(ReceiptFigureIds.LastVerifiedCheckpoint);
        Assert.Null(figure.Value);
        Assert.Equal("root differs at size 4990", figure.Reason);
        Assert.False(receipts.Audit.CheckpointVerified);
    }

    [Fact]
    public void An_empty_fleet_has_no_ratio_anywhere_and_says_why()
    {
        var receipts = Compute(Empty(), new ReceiptCheckpointCheck(false, "unused"));
        foreach (var figure in receipts.Figures.Where(f => f.Id != ReceiptFigureIds.AuditLogSize))
        {
            Assert.Null(figure.Value);
            Assert.False(string.IsNullOrEmpty(figure.Reason), figure.Id);
        }
        Assert.Equal(0m, receipts.Figure(ReceiptFigureIds.AuditLogSize).Value);
        Assert.Equal("the audit log has no signed checkpoint yet", receipts.Audit.CheckpointDetail);
        Assert.Equal(14, receipts.Figures.Select(f => f.Id).Distinct().Count());
    }

    [Fact]
    public void The_receipt_names_its_server_instant_and_window()
    {
        var receipts = Compute(Busy());
        Assert.Equal("fleet.example", receipts.Server);
        Assert.Equal(Now, receipts.GeneratedAt);
        Assert.Equal((WindowStart, Now), (receipts.WindowStart, receipts.WindowEnd));
        Assert.Throws<KeyNotFoundException>(() => receipts.Figure("nope"));
    }

    [Fact]
    public void A_window_that_does_not_end_after_it_starts_is_refused()
    {
        Assert.Throws<ArgumentException>(() => SecurityReceiptsCalculator.Compute("s", Now, Now, Busy(), null));
    }
}

public sealed class ReceiptTextTests
{
    [Theory]
    [InlineData("42", "42 s")]
    [InlineData("0.333", "0.333 s")]
    [InlineData("450", "7.5 min")]
    [InlineData("5400", "1.5 h")]
    [InlineData("276480", "3.2 d")]
    public void Durations_use_the_largest_readable_unit(string seconds, string expected) =>
        Assert.Equal(expected, ReceiptText.Duration(decimal.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void A_figure_without_a_value_reads_no_data_and_keeps_its_fraction()
    {
        var figure = new ReceiptFigure("x", "X", "def", ReceiptUnit.Percent, ReceiptScope.Current, null, null, null, 0, "devices", "none");
        Assert.Equal("no data", ReceiptText.Value(figure));
        Assert.Equal("0 devices", ReceiptText.Fraction(figure));
        Assert.Equal("12.5 %", ReceiptText.Value(figure with { Value = 12.5m }));
    }
}
