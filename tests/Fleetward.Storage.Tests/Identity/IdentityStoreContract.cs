using System.Security.Cryptography;
using Fleetward.Core.Devices;
using Fleetward.Core.Ports;

namespace Fleetward.Storage.Tests.Identity;

/// <summary>The device-identity part of the storage contract (certificates, CRL numbers, groups, tokens), on both engines.</summary>
public abstract class IdentityStoreContract(ITestStoreFactory factory) : StoreContract(factory)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 8, 0, 0, TimeSpan.Zero);
    [Fact]
    public async Task Certificate_round_trips_and_a_duplicate_serial_is_refused()
    {
        var certificate = Certificate("0A01", "robot-1", T0);
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Certificates.InsertAsync(certificate);
            await uow.CommitAsync();
        }

        await using (var uow = await Store.BeginAsync())
        {
            await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => uow.Certificates.InsertAsync(certificate with { DeviceId = "robot-2" }));
        }

        await using var read = await Store.ReadAsync();
        var found = await read.Certificates.GetAsync("0A01");
        Assert.NotNull(found);
        Assert.Equal("robot-1", found.DeviceId);
        Assert.Equal(T0.AddMinutes(-5), found.NotBefore);
        Assert.Equal(T0.AddHours(24), found.NotAfter);
        Assert.Equal(certificate.Der, found.Der);
        Assert.Null(found.RevokedAt);
    }

    [Fact]
    public async Task Revoking_a_device_revokes_each_certificate_once_and_the_crl_lists_only_unexpired_ones()
    {
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Certificates.InsertAsync(Certificate("01", "robot-1", T0));
            await uow.Certificates.InsertAsync(Certificate("02", "robot-1", T0.AddHours(1)));
            await uow.Certificates.InsertAsync(Certificate("03", "robot-2", T0));
            await uow.CommitAsync();
        }

        await using (var uow = await Store.BeginAsync())
        {
            var revoked = await uow.Certificates.RevokeAllForDeviceAsync("robot-1", T0.AddHours(2), "keyCompromise");
            Assert.Equal(["01", "02"], revoked.Select(c => c.SerialNumberHex).Order());
            Assert.Empty(await uow.Certificates.RevokeAllForDeviceAsync("robot-1", T0.AddHours(3), "superseded"));
            await uow.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        var listed = await read.Certificates.ListRevokedAsync(T0.AddHours(24.5));
        Assert.Equal(["02"], listed.Select(c => c.SerialNumberHex));
        Assert.Equal("keyCompromise", listed[0].RevocationReason);
        Assert.Equal(T0.AddHours(2), listed[0].RevokedAt);
        Assert.Equal(["02", "01"], (await read.Certificates.ListForDeviceAsync("robot-1")).Select(c => c.SerialNumberHex));
    }

    [Fact]
    public async Task Crl_numbers_increase_and_a_rolled_back_number_is_reused()
    {
        await using (var uow = await Store.BeginAsync())
        {
            Assert.Equal(1, await uow.Certificates.NextCrlNumberAsync());
            Assert.Equal(2, await uow.Certificates.NextCrlNumberAsync());
            await uow.CommitAsync();
        }

        await using (var uow = await Store.BeginAsync())
        {
            Assert.Equal(3, await uow.Certificates.NextCrlNumberAsync());
        }

        await using (var uow = await Store.BeginAsync())
        {
            Assert.Equal(3, await uow.Certificates.NextCrlNumberAsync());
            await uow.CommitAsync();
        }
    }

    [Fact]
    public async Task Group_round_trips_with_its_factory_cas_and_a_duplicate_name_changes_nothing()
    {
        var group = new EnrollmentGroup("line-a", [[1, 2, 3], [4, 5]], "rover-2", ["eu", "beta"], TimeSpan.FromHours(12), EnrollmentApproval.Manual, T0);
        await using (var uow = await Store.BeginAsync())
        {
            Assert.True(await uow.Enrollment.InsertGroupAsync(group));
            Assert.False(await uow.Enrollment.InsertGroupAsync(group with { Model = "other" }));
            Assert.True(await uow.Enrollment.InsertGroupAsync(new EnrollmentGroup("tokens", [], "rover-1", [], TimeSpan.FromHours(24), EnrollmentApproval.Automatic, T0)));
            await uow.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        var found = await read.Enrollment.GetGroupAsync("line-a");
        Assert.NotNull(found);
        Assert.Equal("rover-2", found.Model);
        Assert.Equal(["eu", "beta"], found.Tags);
        Assert.Equal(TimeSpan.FromHours(12), found.CertificateLifetime);
        Assert.Equal(EnrollmentApproval.Manual, found.Approval);
        Assert.Equal([new byte[] { 1, 2, 3 }, [4, 5]], found.FactoryCaCertificates);
        Assert.True(found.UsesFactoryCa);
        var all = await read.Enrollment.ListGroupsAsync();
        Assert.Equal(["line-a", "tokens"], all.Select(g => g.Name));
        Assert.False(all[1].UsesFactoryCa);
        Assert.Empty(all[1].Tags);
    }

    [Fact]
    public async Task A_token_is_consumed_once_and_never_after_it_expires()
    {
        var hash = SHA256.HashData("secret"u8);
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Enrollment.InsertGroupAsync(new EnrollmentGroup("tokens", [], "rover-1", [], TimeSpan.FromHours(24), EnrollmentApproval.Automatic, T0));
            await uow.Enrollment.InsertTokenAsync(new EnrollmentToken("tok1", "tokens", "robot-1", hash, T0, T0.AddHours(1), null));
            await uow.Enrollment.InsertTokenAsync(new EnrollmentToken("tok2", "tokens", "robot-2", SHA256.HashData("other"u8), T0, T0.AddHours(1), null));
            await uow.CommitAsync();
        }

        await using (var uow = await Store.BeginAsync())
        {
            var token = await uow.Enrollment.FindTokenBySecretHashAsync(hash);
            Assert.NotNull(token);
            Assert.Equal("robot-1", token.DeviceId);
            Assert.Equal(T0.AddHours(1), token.ExpiresAt);
            Assert.True(await uow.Enrollment.ConsumeTokenAsync("tok1", T0.AddMinutes(10)));
            Assert.False(await uow.Enrollment.ConsumeTokenAsync("tok1", T0.AddMinutes(11)));
            Assert.False(await uow.Enrollment.ConsumeTokenAsync("tok2", T0.AddHours(1)));
            await uow.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        Assert.Equal(T0.AddMinutes(10), (await read.Enrollment.FindTokenBySecretHashAsync(hash))!.ConsumedAt);
        Assert.Null(await read.Enrollment.FindTokenBySecretHashAsync(SHA256.HashData("nope"u8)));
    }

    [Fact]
    public async Task Concurrent_consumers_of_one_token_see_exactly_one_success()
    {
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Enrollment.InsertGroupAsync(new EnrollmentGroup("tokens", [], "rover-1", [], TimeSpan.FromHours(24), EnrollmentApproval.Automatic, T0));
            await uow.Enrollment.InsertTokenAsync(new EnrollmentToken("tok1", "tokens", "robot-1", SHA256.HashData("s"u8), T0, T0.AddHours(1), null));
            await uow.CommitAsync();
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var uow = await Store.BeginAsync();
            var consumed = await uow.Enrollment.ConsumeTokenAsync("tok1", T0.AddMinutes(1));
            await uow.CommitAsync();
            return consumed;
        }));
        Assert.Single(results, r => r);
    }

    [Fact]
    public async Task A_device_keeps_the_group_it_first_enrolled_through()
    {
        await using (var uow = await Store.BeginAsync())
        {
            await uow.Enrollment.InsertGroupAsync(new EnrollmentGroup("a", [], "m", [], TimeSpan.FromHours(24), EnrollmentApproval.Automatic, T0));
            await uow.Enrollment.InsertGroupAsync(new EnrollmentGroup("b", [], "m", [], TimeSpan.FromHours(24), EnrollmentApproval.Automatic, T0));
            await uow.Devices.InsertAsync(new Device("robot-1", "m", null, [], DeviceLifecycleState.Active, T0, null, null));
            await uow.Enrollment.SetDeviceGroupAsync("robot-1", "a");
            await uow.Enrollment.SetDeviceGroupAsync("robot-1", "b");
            await uow.CommitAsync();
        }

        await using var read = await Store.ReadAsync();
        Assert.Equal("a", await read.Enrollment.GetDeviceGroupAsync("robot-1"));
        Assert.Null(await read.Enrollment.GetDeviceGroupAsync("robot-9"));
    }

    private static StoredDeviceCertificate Certificate(string serial, string deviceId, DateTimeOffset issuedAt) =>
        new(serial, deviceId, issuedAt.AddMinutes(-5), issuedAt.AddHours(24), issuedAt, null, null, RandomNumberGenerator.GetBytes(300));
}

public sealed class SqliteIdentityStoreContract() : IdentityStoreContract(new SqliteTestStoreFactory());

public sealed class PostgresIdentityStoreContract() : IdentityStoreContract(new PostgresTestStoreFactory());
