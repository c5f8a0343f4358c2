using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Fleetward.Trust.Keys;

namespace Fleetward.Integration.Tests.Pki;

/// <summary>
/// A throw-away SoftHSM2 token in a temporary directory holding one EC P-256 key generated inside the token
/// (pkcs11-tool --keypairgen --sensitive), opened once per test run through the OpenSSL pkcs11 engine.
/// </summary>
public sealed class SoftHsmToken : IDisposable
{
    public const string TokenLabel = "fleetward-test";
    public const string KeyLabel = "issuing-ca";
    public const string SoModule = "/usr/lib/softhsm/libsofthsm2.so";
    private const string SoPin = "87654321";

    private readonly TempDirectory _dir = new();

    public SoftHsmToken()
    {
        Pin = Convert.ToHexString(RandomNumberGenerator.GetBytes(4));
        Assert.True(File.Exists(SoModule), $"{SoModule} is missing; install the Debian package 'softhsm2'.");
        Assert.True(
            File.Exists("/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so") || File.Exists("/usr/lib/aarch64-linux-gnu/engines-3/pkcs11.so"),
            "The OpenSSL pkcs11 engine is missing; install the Debian package 'libengine-pkcs11-openssl'.");

        Directory.CreateDirectory(_dir.File("tokens"));
        ConfigPath = _dir.File("softhsm2.conf");
        File.WriteAllText(ConfigPath, $"directories.tokendir = {_dir.File("tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n");
        Environment = new Dictionary<string, string> { ["SOFTHSM2_CONF"] = ConfigPath };

        ExternalTool.RunOk("softhsm2-util", "softhsm2", ["--init-token", "--free", "--label", TokenLabel, "--so-pin", SoPin, "--pin", Pin], _dir.Path, Environment);
        Pkcs11Tool("--login", "--pin", Pin, "--keypairgen", "--key-type", "EC:prime256v1", "--label", KeyLabel, "--id", "01", "--usage-sign", "--sensitive");

        // The engine and SoftHSM read SOFTHSM2_CONF from the native environment; .NET's Environment only changes
        // the managed copy, so set it with libc's setenv before the engine loads the module.
        Assert.Equal(0, SetEnv("SOFTHSM2_CONF", ConfigPath, 1));
        KeyUri = new Pkcs11KeyUri(TokenLabel, KeyLabel);
        Key = Pkcs11KeyStore.OpenPrivateKey(KeyUri, Pin);
    }

    public string Pin { get; }

    public string ConfigPath { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public Pkcs11KeyUri KeyUri { get; }

    public AsymmetricAlgorithm Key { get; }

    public string Pkcs11Tool(params string[] arguments) =>
        ExternalTool.RunOk("pkcs11-tool", "opensc", ["--module", SoModule, "--token-label", TokenLabel, .. arguments], _dir.Path, Environment);

    public void Dispose()
    {
        Key.Dispose();
        _dir.Dispose();
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi)]
    private static extern int SetEnv(string name, string value, int overwrite);
}
