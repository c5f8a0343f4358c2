using Fleetward.Core.DeviceApi;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Fleetward.Core.Devices;
using Fleetward.Core.Policy;
using Fleetward.Server.Devices;
using Fleetward.Server.Problems;
using Fleetward.Server.Rollouts;

namespace Fleetward.Server.Tests.Rollouts;

/// <summary>Check-in input rules and the credential facts the gate is given.</summary>
public sealed class CheckInReportTests : IAsyncLifetime
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero));
    private IRolloutTestStore _test = null!;
    private CheckInService _checkIn = null!;
    private Device _device = null!;

    public async Task InitializeAsync()
    {
        _test = await SqliteRolloutTestStore.CreateAsync(_clock);
        _checkIn = new CheckInService(_test.Store, _clock, new UpdateGatePolicy());
        _device = new Device("dev-1", "mower", null, [], DeviceLifecycleState.Active, _clock.GetUtcNow(), null, null);
        await using var work = await _test.Store.BeginAsync();
        await work.Devices.InsertAsync(_device);
        await work.CommitAsync();
    }

    public async Task DisposeAsync() => await _test.DisposeAsync();

    private DeviceCredential Credential => new("01", "dev-1", _clock.GetUtcNow().AddDays(-1), _clock.GetUtcNow().AddDays(1), false);

    [Theory]
    [InlineData("exploded", null, null, "$.assignment.phase")]
    [InlineData("rollback-pending", null, null, "$.assignment.phase")]
    [InlineData("succeeded", 0, null, "$.assignment.attempt")]
    [InlineData("failed", 1, "bad\u0007reason", "$.assignment.failureReason")]
    public async Task Bad_assignment_reports_are_problems_naming_the_field(string phase, int? attempt, string? reason, string field)
    {
        var report = new CheckInReport(null, "healthy", new AssignmentReport("r1", phase, attempt, reason));
        var problem = await Assert.ThrowsAsync<ProblemException>(() => _checkIn.CheckInAsync(_device, Credential, report, default));
        Assert.Equal(field, problem.Problem.Field);
    }

    [Fact]
    public async Task Negative_security_version_and_oversized_text_are_refused()
    {
        var negative = await Assert.ThrowsAsync<ProblemException>(() =>
            _checkIn.CheckInAsync(_device, Credential, new CheckInReport(new InstalledSoftware("fw", "1", -1, "a")), default));
        Assert.Equal("$.installed.securityVersion", negative.Problem.Field);
        var longHealth = await Assert.ThrowsAsync<ProblemException>(() =>
            _checkIn.CheckInAsync(_device, Credential, new CheckInReport(null, new string('x', CheckInService.MaxTextLength + 1)), default));
        Assert.Equal("$.health", longHealth.Problem.Field);
    }

    [Fact]
    public async Task Check_in_records_the_software_state_and_last_seen_time()
    {
        var answer = await _checkIn.CheckInAsync(_device, Credential, new CheckInReport(new InstalledSoftware("fw", "1.4.0", 3, "b"), "degraded"), default);

        Assert.Equal("none", answer.Instruction.Kind);
        await using var read = await _test.Store.ReadAsync();
        Assert.Equal(new Core.Ports.DeviceSoftwareState("dev-1", "fw", "1.4.0", 3, "b", "degraded", _clock.GetUtcNow()), await read.DeviceSoftware.GetAsync("dev-1"));
        Assert.Equal(_clock.GetUtcNow(), (await read.Devices.GetAsync("dev-1"))!.LastSeenAt);
    }

    [Fact]
    public async Task A_report_about_an_unknown_rollout_changes_nothing()
    {
        var answer = await _checkIn.CheckInAsync(_device, Credential, new CheckInReport(null, null, new AssignmentReport("nope", "succeeded")), default);
        Assert.Equal("none", answer.Instruction.Kind);
    }

    [Fact]
    public async Task Credential_facts_come_from_the_presented_certificate_and_the_revocation_lookup()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=dev-1, O=Fleetward devices", key, HashAlgorithmName.SHA256);
        var notBefore = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var certificate = request.CreateSelfSigned(notBefore, notBefore.AddYears(1));
        var device = new AuthenticatedDevice(_device, certificate);

        var valid = await DeviceCredentials.FromAsync(device, new RevokedSerial("00"));
        var revoked = await DeviceCredentials.FromAsync(device, new RevokedSerial(certificate.SerialNumber));

        Assert.Equal(new DeviceCredential(certificate.SerialNumber, "dev-1", notBefore, notBefore.AddYears(1), false), valid);
        Assert.True(revoked.Revoked);
    }

    private sealed class RevokedSerial(string serial) : Fleetward.Server.Identity.IDeviceRevocationLookup
    {
        public ValueTask<bool> IsRevokedAsync(string serialNumberHex, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(serialNumberHex == serial);
    }
}
