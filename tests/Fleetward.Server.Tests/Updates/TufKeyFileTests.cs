using System.Diagnostics;
using Fleetward.Server.Updates;
using Fleetward.Trust.Crypto;

namespace Fleetward.Server.Tests.Updates;

public sealed class TufKeyFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fleetward-keyfile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("ed25519")]
    [InlineData("ecdsa")]
    public void An_encrypted_key_opens_with_its_passphrase_and_signs_for_the_same_public_key(string type)
    {
        var key = TufKeyFile.Generate(type);
        var path = Path.Combine(_dir, type + ".key");
        TufKeyFile.Write(path, key, "s3cret passphrase", iterations: 100_000);
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", File.ReadAllText(path));
        var opened = TufKeyFile.Open(path, () => "s3cret passphrase");
        Assert.Equal(key.Signer.PublicKey.KeyId, opened.PublicKey.KeyId);
        var data = "metadata"u8.ToArray();
        Assert.True(TufSignatureVerifier.Verify(key.Signer.PublicKey, data, opened.Sign(data)));
    }

    [Fact]
    public void A_wrong_passphrase_is_refused_naming_the_file()
    {
        var path = Path.Combine(_dir, "k.key");
        TufKeyFile.Write(path, TufKeyFile.Generate("ed25519"), "right", iterations: 100_000);
        var refused = Assert.Throws<TufKeyFileException>(() => TufKeyFile.Open(path, () => "wrong"));
        Assert.Equal(path, refused.Path);
    }

    [Fact]
    public void An_encrypted_key_without_a_passphrase_is_refused()
    {
        var path = Path.Combine(_dir, "k.key");
        TufKeyFile.Write(path, TufKeyFile.Generate("ecdsa"), "right", iterations: 100_000);
        Assert.Contains("passphrase is required", Assert.Throws<TufKeyFileException>(() => TufKeyFile.Open(path, () => null)).Message);
    }

    [Fact]
    public void An_unencrypted_key_file_is_readable_by_its_owner_only_and_never_overwritten()
    {
        var path = Path.Combine(_dir, "online.key");
        TufKeyFile.Write(path, TufKeyFile.Generate("ed25519"));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Throws<IOException>(() => TufKeyFile.Write(path, TufKeyFile.Generate("ed25519")));
        Assert.NotNull(TufKeyFile.Open(path, () => throw new InvalidOperationException("no passphrase needed")));
    }

    [Fact]
    public void Openssl_reads_the_encrypted_ed25519_key_and_derives_the_same_public_key()
    {
        var key = TufKeyFile.Generate("ed25519");
        var path = Path.Combine(_dir, "k.key");
        TufKeyFile.Write(path, key, "pass phrase", iterations: 100_000);
        var start = new ProcessStartInfo("openssl", ["pkey", "-in", path, "-passin", "pass:pass phrase", "-pubout", "-outform", "DER"])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        // The SubjectPublicKeyInfo of an Ed25519 key ends with the 32-byte public key (RFC 8410 4).
        Assert.Equal(key.Signer.PublicKey.PublicValue, Convert.ToHexStringLower(output.ToArray()[^32..]));
    }
}
