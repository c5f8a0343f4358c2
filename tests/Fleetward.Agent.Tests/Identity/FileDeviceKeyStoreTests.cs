using Fleetward.Agent.Identity;

namespace Fleetward.Agent.Tests.Identity;

public sealed class FileDeviceKeyStoreTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("fleetward-agent-keys-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Theory]
    [InlineData(null)]
    [InlineData("device key passphrase")]
    public void The_key_is_created_once_kept_private_and_replaced_only_by_rotation(string? passphrase)
    {
        var path = Path.Combine(_dir.FullName, "state", "device.key");
        var store = new FileDeviceKeyStore(path, passphrase);
        using var first = store.Current();
        using var again = new FileDeviceKeyStore(path, passphrase).Current();
        Assert.Equal(first.ExportSubjectPublicKeyInfo(), again.ExportSubjectPublicKeyInfo());
        Assert.Equal(256, first.KeySize);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.Equal(passphrase is not null, File.ReadAllText(path).Contains("ENCRYPTED PRIVATE KEY"));

        using var rotated = store.Rotate();
        using var current = store.Current();
        Assert.NotEqual(first.ExportSubjectPublicKeyInfo(), rotated.ExportSubjectPublicKeyInfo());
        Assert.Equal(rotated.ExportSubjectPublicKeyInfo(), current.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void A_wrong_passphrase_is_refused_naming_the_file()
    {
        var path = Path.Combine(_dir.FullName, "device.key");
        using (new FileDeviceKeyStore(path, "the right passphrase").Current())
        {
        }

        var error = Assert.Throws<InvalidOperationException>(() => new FileDeviceKeyStore(path, "a wrong passphrase").Current());
        Assert.Contains(path, error.Message);
    }
}
