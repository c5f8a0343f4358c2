using Fleetward.Agent.Commands;
using Fleetward.Agent.Tests.Slots;

namespace Fleetward.Agent.Tests.Commands;

public sealed class KeyZeroizerTests : IDisposable
{
    private readonly TemporaryDirectory directory = new();

    public KeyZeroizerTests()
    {
        Directory.CreateDirectory(directory.Sub("keys"));
        File.WriteAllText(directory.Sub("keys/device.crt"), "certificate");
    }

    public void Dispose() => directory.Dispose();

    [Fact]
    public void With_the_key_on_a_token_zeroize_destroys_the_files_and_says_the_key_survived()
    {
        var refused = Assert.Throws<InvalidOperationException>(() => new KeyZeroizer(directory.Sub("keys"), "a PKCS#11 token").Zeroize());

        Assert.Contains("partial", refused.Message);
        Assert.Contains("a PKCS#11 token", refused.Message);
        Assert.Empty(Directory.EnumerateFiles(directory.Sub("keys")));
    }

    [Fact]
    public void With_file_keys_zeroize_counts_what_it_destroyed() =>
        Assert.Equal(1, new KeyZeroizer(directory.Sub("keys")).Zeroize());
}
