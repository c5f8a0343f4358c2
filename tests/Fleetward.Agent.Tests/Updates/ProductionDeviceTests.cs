using Fleetward.Agent.Tests.Tuf;
using Fleetward.Agent.Tuf;
using Fleetward.Core.Releases;
using Fleetward.Trust.Crypto;
using Fleetward.Trust.Tuf;

namespace Fleetward.Agent.Tests.Updates;

/// <summary>A production device installs only targets whose whole vouching chain of targets roles uses production keys.</summary>
public sealed class ProductionDeviceTests
{
    private static readonly byte[] Firmware = "firmware"u8.ToArray();
    private static readonly TufUpdaterOptions Production = new() { ProductionDevice = true };

    private static SimulatedTufRepository WithDelegatedRole(SigningKeyClass keyClass, string delegator = TufRoles.Targets)
    {
        var repo = new SimulatedTufRepository();
        var signer = new MarkedTufSigner(Ed25519TufSigner.Generate(), keyClass);
        repo.Builder.Delegate(delegator, new DelegatedRole { Name = "lab", Keys = new([signer.PublicKey.KeyId], 1), Paths = ["lab/*"] },
            [signer.PublicKey], [signer]);
        repo.AddTarget("lab/fw.bin", Firmware, securityVersion: 1, role: "lab");
        repo.AddTarget("fw.bin", Firmware, securityVersion: 1);
        repo.Publish();
        return repo;
    }

    [Fact]
    public async Task A_production_device_installs_targets_signed_by_production_keys()
    {
        using var device = new SimulatedDevice(WithDelegatedRole(SigningKeyClass.Production), Production);
        Assert.Equal(Firmware, await device.UpdateAsync("lab/fw.bin"));
        Assert.Equal(Firmware, await device.UpdateAsync("fw.bin"));
    }

    [Theory]
    [InlineData(SigningKeyClass.Test)]
    [InlineData(SigningKeyClass.Development)]
    public async Task A_production_device_refuses_a_target_from_a_role_with_a_test_or_development_key(SigningKeyClass keyClass)
    {
        using var device = new SimulatedDevice(WithDelegatedRole(keyClass), Production);
        var refused = await Assert.ThrowsAsync<TufTrustException>(() => device.UpdateAsync("lab/fw.bin"));
        Assert.Equal(TufTrustFailure.NonProductionKey, refused.Reason);
        Assert.Equal("lab", refused.Role);
        Assert.Equal(Firmware, await device.UpdateAsync("fw.bin"));
    }

    [Fact]
    public async Task A_lab_device_installs_test_signed_targets()
    {
        using var device = new SimulatedDevice(WithDelegatedRole(SigningKeyClass.Test));
        Assert.Equal(Firmware, await device.UpdateAsync("lab/fw.bin"));
    }

    [Fact]
    public async Task A_production_key_below_a_test_key_in_the_chain_does_not_make_the_target_production()
    {
        var repo = new SimulatedTufRepository();
        var test = new MarkedTufSigner(Ed25519TufSigner.Generate(), SigningKeyClass.Test);
        var production = Ed25519TufSigner.Generate();
        repo.Builder.Delegate(TufRoles.Targets, new DelegatedRole { Name = "lab", Keys = new([test.PublicKey.KeyId], 1), Paths = ["lab/*"] }, [test.PublicKey], [test]);
        repo.Builder.Delegate("lab", new DelegatedRole { Name = "lab-fw", Keys = new([production.PublicKey.KeyId], 1), Paths = ["lab/*"] }, [production.PublicKey], [production]);
        repo.AddTarget("lab/fw.bin", Firmware, securityVersion: 1, role: "lab-fw");
        repo.Publish();
        using var device = new SimulatedDevice(repo, Production);
        var refused = await Assert.ThrowsAsync<TufTrustException>(() => device.UpdateAsync("lab/fw.bin"));
        Assert.Equal(TufTrustFailure.NonProductionKey, refused.Reason);
    }
}
