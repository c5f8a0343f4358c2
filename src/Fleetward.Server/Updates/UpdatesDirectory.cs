using System.Text.Json;
using System.Text.Json.Serialization;
using Fleetward.Core.Releases;

namespace Fleetward.Server.Updates;

/// <summary>
/// The update repository's files inside the data directory: <c>updates/settings.json</c>, online keys in
/// <c>updates/keys/</c>, development keys in <c>updates/development-keys/</c> (never for production), and artifacts
/// content-addressed in <c>updates/targets/sha256/HEX</c>.
/// </summary>
/// <remarks>
/// Artifacts live on disk rather than in the database: firmware images reach hundreds of megabytes, which would bloat
/// the SQLite WAL and PostgreSQL backups and pin memory in the drivers; on disk they stream with sendfile and their
/// name is their hash, so a file can be checked against its name at any time. Metadata (a few kilobytes per version)
/// lives in the database, in the same transaction as the release and audit rows.
/// </remarks>
public sealed class UpdatesDirectory(string dataDirectory)
{
    public string Root { get; } = Path.Combine(Path.GetFullPath(dataDirectory), "updates");

    public string SettingsPath => Path.Combine(Root, "settings.json");

    /// <summary>Online keys the server signs snapshot and timestamp with (and targets keys of a dev setup): *.key PEM files or *.pkcs11 URI files.</summary>
    public string KeysDirectory => Path.Combine(Root, "keys");

    /// <summary>Development-only keys (root, targets, security channel): a quick start, refused by production devices.</summary>
    public string DevelopmentKeysDirectory => Path.Combine(Root, "development-keys");

    public string TargetsDirectory => Path.Combine(Root, "targets", "sha256");

    public bool Exists => File.Exists(SettingsPath);
}

/// <summary>
/// Settings of the update repository (updates/settings.json), strict: unknown keys are errors.
/// </summary>
public sealed record UpdatesSettings
{
    /// <summary>Serve /tuf/metadata and /tuf/targets only to devices with a valid certificate (default: anyone, as TUF's security comes from signatures).</summary>
    public bool RequireDeviceCertificate { get; init; }

    /// <summary>Lifetimes of signed metadata per role.</summary>
    public TimeSpan RootLifetime { get; init; } = TimeSpan.FromDays(365);
    public TimeSpan TargetsLifetime { get; init; } = TimeSpan.FromDays(90);
    public TimeSpan SnapshotLifetime { get; init; } = TimeSpan.FromDays(7);
    public TimeSpan TimestampLifetime { get; init; } = TimeSpan.FromDays(1);

    /// <summary>How often the re-signing service checks for metadata nearing expiry.</summary>
    public TimeSpan ResignCheckInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Per-key signing rules (windows, quotas, class); keys not listed get their class from their marker and no limits.</summary>
    public IReadOnlyList<SigningKeySettings> SigningKeys { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static UpdatesSettings Load(UpdatesDirectory directory)
    {
        try
        {
            return JsonSerializer.Deserialize<UpdatesSettings>(File.ReadAllBytes(directory.SettingsPath), Json)
                ?? throw new UpdatesSettingsException(directory.SettingsPath, "the file holds null");
        }
        catch (JsonException e)
        {
            throw new UpdatesSettingsException(directory.SettingsPath, $"key '{e.Path}': {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UpdatesSettingsException(directory.SettingsPath, e.Message, e);
        }
    }

    public void Save(UpdatesDirectory directory) => File.WriteAllBytes(directory.SettingsPath, JsonSerializer.SerializeToUtf8Bytes(this, Json));

    public Fleetward.Trust.Tuf.TufExpiryPolicy Expiry => new(RootLifetime, TargetsLifetime, SnapshotLifetime, TimestampLifetime);
}

/// <summary>One key's signing rules as written in settings.json.</summary>
public sealed record SigningKeySettings
{
    public required string KeyId { get; init; }
    public required string Class { get; init; }
    public IReadOnlyList<SigningWindow> Windows { get; init; } = [];
    public int? MaxReleasesPerPeriod { get; init; }
    public TimeSpan? QuotaPeriod { get; init; }

    public SigningKeyRules ToRules() => new(KeyId,
        ReleaseSigningPolicy.TryParseClass(Class, out var keyClass) ? keyClass : throw new ArgumentException($"signingKeys[{KeyId}].class must be production, test or development, got '{Class}'"),
        Windows, MaxReleasesPerPeriod, QuotaPeriod);
}

/// <summary>updates/settings.json cannot be used; the message names the file and key.</summary>
public sealed class UpdatesSettingsException(string file, string problem, Exception? cause = null) : Exception($"{file}: {problem}", cause);
