using Fleetward.Agent.Identity;
using Fleetward.Simulator.Enrollment;

namespace Fleetward.Simulator.Tests.Enrollment;

public sealed class SimulatedFactoryCaTests
{
    [Fact]
    public async Task A_robot_enrolls_over_est_with_an_idevid_from_a_factory_line_registered_through_the_operator_api()
    {
        await using var server = await SimulationServer.StartAsync(TimeProvider.System);
        using var factory = SimulatedFactoryCa.Create("mower-m3", DateTimeOffset.UtcNow);
        await server.Operator.CreateFactoryGroupAsync("sim-line-mower", "mower-m3", factory.CertificatePem, TimeSpan.FromHours(24), default);
        using var identity = factory.IssueDeviceIdentity("robot-0001", DateTimeOffset.UtcNow);
        var state = Directory.CreateTempSubdirectory("fleetward-sim-enroll-").FullName;
        try
        {
            var enroller = new Enroller(new EnrollerOptions(server.DeviceAddress, "robot-0001", state, server.FleetRoot, new FileDeviceKeyStore(Path.Combine(state, "device.key"))),
                EnrollmentCredential.WithFactoryCertificate(identity), TimeProvider.System, new Random(1));

            var (_, certificate) = await enroller.StepAsync(false, default);

            Assert.NotNull(certificate);
            Assert.Equal("active", await server.Operator.DeviceStateAsync("robot-0001", default));
            Assert.Equal("CN=robot-0001", certificate.Subject);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public void A_factory_line_kept_on_disk_is_the_same_ca_when_loaded_again()
    {
        var directory = Path.Combine(Path.GetTempPath(), "fleetward-sim-factory-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var first = SimulatedFactoryCa.LoadOrCreate(directory, "drone-d2", DateTimeOffset.UtcNow);
            using var again = SimulatedFactoryCa.LoadOrCreate(directory, "drone-d2", DateTimeOffset.UtcNow);
            using var identity = again.IssueDeviceIdentity("robot-0002", DateTimeOffset.UtcNow);

            Assert.Equal(first.Certificate.Thumbprint, again.Certificate.Thumbprint);
            Assert.Equal(first.Certificate.Subject, identity.Issuer);
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(directory, "ca.key")));
            using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
            chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(first.Certificate);
            chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
            Assert.True(chain.Build(identity));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
