using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleetward.Server.Configuration;

/// <summary>Which database backs the server.</summary>
public enum StorageEngine
{
    Sqlite,
    Postgres,
}

/// <summary>The server's configuration as read from the data directory's fleetward.json, paths resolved.</summary>
public sealed record ServerConfiguration(
    Uri OperatorUrl,
    Uri DeviceUrl,
    StorageEngine Engine,
    string SqlitePath,
    string? PostgresConnectionString,
    string OperatorCertificatePath,
    string OperatorKeyPath,
    Identity.CertificateAuthorityConfiguration? CertificateAuthority = null)
{
    /// <summary>The audit log's signing key file (audit.logKey); null when the file names none.</summary>
    public string? AuditLogKeyPath { get; init; }

    /// <summary>The audit log's origin (audit.origin); required for a PEM key, otherwise the key file's name is used.</summary>
    public string? AuditOrigin { get; init; }

    /// <summary>How often a checkpoint is signed when the log has grown (audit.checkpointIntervalSeconds).</summary>
    public TimeSpan AuditCheckpointInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a device ordered back may stay silent before it counts as rollback-unresponsive (rollouts.rollbackTimeoutSeconds).</summary>
    public TimeSpan RolloutRollbackTimeout { get; init; } = TimeSpan.FromHours(24);

    /// <summary>The optional "siem" section (see <see cref="Detection.SiemConfiguration"/>).</summary>
    public Detection.SiemConfiguration Siem { get; init; } = Detection.SiemConfiguration.None;
}

/// <summary>
/// A configuration file that cannot be used; <see cref="Key"/> names the offending key (dotted
/// path) or is null when the file as a whole is at fault.
/// </summary>
public sealed class ConfigurationException(string file, string? key, string problem, Exception? cause = null)
    : Exception(key is null ? $"{file}: {problem}" : $"{file}: key '{key}': {problem}", cause)
{
    public string File { get; } = file;

    public string? Key { get; } = key;
}

/// <summary>
/// Reads and writes fleetward.json. Reading is strict (unknown keys, wrong types and missing keys
/// are errors naming the key) because a typo in a security setting must not silently fall back to
/// a default. Version 1 layout:
/// <code>
/// { "version": 1,
///   "listeners": { "operatorUrl": "https://127.0.0.1:8443", "deviceUrl": "https://127.0.0.1:8444" },
///   "storage": { "engine": "sqlite", "sqlitePath": "fleetward.db", "postgresConnectionString": null },
///   "tls": { "operatorCertificate": "operator.crt", "operatorKey": "operator.key" },
///   "audit": { "logKey": "audit-log.key", "origin": null, "checkpointIntervalSeconds": 300 },
///   "ca": { "rootCertificate": "ca/root.crt", "issuingCertificate": "ca/issuing.crt", "issuingKey": "ca/issuing.key" or "pkcs11:..." } }
/// "ca" is optional: `fleetward ca init` adds it.
/// </code>
/// The "audit" section is optional (files written before it existed); without it no checkpoint is signed.
/// </summary>
public static class ConfigurationFile
{
    public const int CurrentVersion = 1;

    public static ServerConfiguration Load(DataDirectory directory)
    {
        var file = directory.ConfigurationPath;
        JsonNode? root;
        try
        {
            var bytes = System.IO.File.ReadAllBytes(file);
            root = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConfigurationException(file, null, "the file does not exist; run 'fleetward init --data " + directory.Root + "' first.", exception);
        }
        catch (JsonException exception)
        {
            throw new ConfigurationException(file, null, $"not valid JSON (line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1}).", exception);
        }
        var reader = new Reader(file);
        var top = reader.Object(root, "$", ["version", "listeners", "storage", "tls", "audit", "ca", "siem", "rollouts"]);
        var version = reader.Int(top["version"], "version");
        if (version != CurrentVersion)
        {
            throw new ConfigurationException(file, "version", $"this binary reads version {CurrentVersion}, the file is version {version}.");
        }
        var listeners = reader.Object(top["listeners"], "listeners", ["operatorUrl", "deviceUrl"]);
        var storage = reader.Object(top["storage"], "storage", ["engine", "sqlitePath", "postgresConnectionString"]);
        var tls = reader.Object(top["tls"], "tls", ["operatorCertificate", "operatorKey"]);

        var engineName = reader.String(storage["engine"], "storage.engine");
        var engine = engineName switch
        {
            "sqlite" => StorageEngine.Sqlite,
            "postgres" => StorageEngine.Postgres,
            _ => throw new ConfigurationException(file, "storage.engine", $"must be \"sqlite\" or \"postgres\", got \"{engineName}\"."),
        };
        var sqlitePath = reader.String(storage["sqlitePath"], "storage.sqlitePath");
        var postgres = reader.OptionalString(storage, "postgresConnectionString", "storage.postgresConnectionString");
        if (engine == StorageEngine.Postgres && string.IsNullOrWhiteSpace(postgres))
        {
            throw new ConfigurationException(file, "storage.postgresConnectionString", "is required when storage.engine is \"postgres\".");
        }

        Identity.CertificateAuthorityConfiguration? ca = null;
        if (top["ca"] is not null)
        {
            var caNode = reader.Object(top["ca"], "ca", ["rootCertificate", "issuingCertificate", "issuingKey"]);
            var issuingKey = reader.String(caNode["issuingKey"], "ca.issuingKey");
            ca = new Identity.CertificateAuthorityConfiguration(
                directory.Resolve(reader.String(caNode["rootCertificate"], "ca.rootCertificate")),
                directory.Resolve(reader.String(caNode["issuingCertificate"], "ca.issuingCertificate")),
                issuingKey.StartsWith("pkcs11:", StringComparison.Ordinal) ? issuingKey : directory.Resolve(issuingKey));
        }

        var configuration = new ServerConfiguration(
            reader.HttpsUrl(listeners["operatorUrl"], "listeners.operatorUrl"),
            reader.HttpsUrl(listeners["deviceUrl"], "listeners.deviceUrl"),
            engine,
            directory.Resolve(sqlitePath),
            postgres,
            directory.Resolve(reader.String(tls["operatorCertificate"], "tls.operatorCertificate")),
            directory.Resolve(reader.String(tls["operatorKey"], "tls.operatorKey")),
            ca)
        {
            Siem = Detection.SiemConfiguration.Parse(top["siem"], directory),
        };
        if (top["rollouts"] is not null)
        {
            var rollouts = reader.Object(top["rollouts"], "rollouts", ["rollbackTimeoutSeconds"]);
            var timeout = reader.Int(rollouts["rollbackTimeoutSeconds"], "rollouts.rollbackTimeoutSeconds");
            if (timeout < 1)
            {
                throw new ConfigurationException(file, "rollouts.rollbackTimeoutSeconds", $"must be at least 1, got {timeout}.");
            }
            configuration = configuration with { RolloutRollbackTimeout = TimeSpan.FromSeconds(timeout) };
        }
        if (top["audit"] is null)
        {
            return configuration;
        }
        var audit = reader.Object(top["audit"], "audit", ["logKey", "origin", "checkpointIntervalSeconds"]);
        var interval = audit["checkpointIntervalSeconds"] is null ? 300 : reader.Int(audit["checkpointIntervalSeconds"], "audit.checkpointIntervalSeconds");
        if (interval < 1)
        {
            throw new ConfigurationException(file, "audit.checkpointIntervalSeconds", $"must be at least 1, got {interval}.");
        }
        return configuration with
        {
            AuditLogKeyPath = directory.Resolve(reader.String(audit["logKey"], "audit.logKey")),
            AuditOrigin = reader.OptionalString(audit, "origin", "audit.origin"),
            AuditCheckpointInterval = TimeSpan.FromSeconds(interval),
        };
    }

    /// <summary>Records the device CA in an existing configuration file (written to a temporary file, then renamed over it).</summary>
    public static void SetCertificateAuthority(DataDirectory directory, string rootCertificate, string issuingCertificate, string issuingKey)
    {
        var file = directory.ConfigurationPath;
        var root = JsonNode.Parse(System.IO.File.ReadAllBytes(file), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip }) as JsonObject
            ?? throw new ConfigurationException(file, null, "must be a JSON object.");
        string Relative(string path) => path.StartsWith("pkcs11:", StringComparison.Ordinal) ? path : Path.GetRelativePath(directory.Root, Path.GetFullPath(path));
        root["ca"] = new JsonObject
        {
            ["rootCertificate"] = Relative(rootCertificate),
            ["issuingCertificate"] = Relative(issuingCertificate),
            ["issuingKey"] = Relative(issuingKey),
        };
        var temporary = file + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
            stream.Flush(flushToDisk: true);
        }
        System.IO.File.Move(temporary, file, overwrite: true);
    }

    /// <summary>Writes a new configuration file (never overwrites), mode 0600 since it may hold a database password.</summary>
    public static void Create(DataDirectory directory, Uri operatorUrl, Uri deviceUrl, string? postgresConnectionString)
    {
        var document = new JsonObject
        {
            ["version"] = CurrentVersion,
            ["listeners"] = new JsonObject
            {
                ["operatorUrl"] = operatorUrl.GetLeftPart(UriPartial.Authority),
                ["deviceUrl"] = deviceUrl.GetLeftPart(UriPartial.Authority),
            },
            ["storage"] = new JsonObject
            {
                ["engine"] = postgresConnectionString is null ? "sqlite" : "postgres",
                ["sqlitePath"] = Path.GetFileName(directory.DefaultDatabasePath),
                ["postgresConnectionString"] = postgresConnectionString,
            },
            ["tls"] = new JsonObject
            {
                ["operatorCertificate"] = Path.GetFileName(directory.OperatorCertificatePath),
                ["operatorKey"] = Path.GetFileName(directory.OperatorKeyPath),
            },
            ["audit"] = new JsonObject
            {
                ["logKey"] = Path.GetFileName(directory.AuditLogKeyPath),
                ["checkpointIntervalSeconds"] = 300,
            },
        };
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var stream = new FileStream(directory.ConfigurationPath, options);
        stream.Write(Encoding.UTF8.GetBytes(document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
    }

    private sealed class Reader(string file)
    {
        public JsonObject Object(JsonNode? node, string key, string[] allowed)
        {
            if (node is not JsonObject obj)
            {
                throw new ConfigurationException(file, key == "$" ? null : key, node is null ? "is missing." : "must be a JSON object.");
            }
            foreach (var (name, _) in obj)
            {
                if (!allowed.Contains(name, StringComparer.Ordinal))
                {
                    throw new ConfigurationException(file, key == "$" ? name : key + "." + name, $"unknown key; expected one of {string.Join(", ", allowed)}.");
                }
            }
            return obj;
        }

        public string String(JsonNode? node, string key)
        {
            if (node is null)
            {
                throw new ConfigurationException(file, key, "is missing.");
            }
            if (node.GetValueKind() != JsonValueKind.String)
            {
                throw new ConfigurationException(file, key, "must be a string.");
            }
            var value = node.GetValue<string>();
            return string.IsNullOrWhiteSpace(value) ? throw new ConfigurationException(file, key, "must not be empty.") : value;
        }

        public string? OptionalString(JsonObject parent, string name, string key)
        {
            if (!parent.TryGetPropertyValue(name, out var node) || node is null)
            {
                return null;
            }
            return String(node, key);
        }

        public int Int(JsonNode? node, string key)
        {
            if (node is null)
            {
                throw new ConfigurationException(file, key, "is missing.");
            }
            if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue<int>(out var value))
            {
                throw new ConfigurationException(file, key, "must be an integer.");
            }
            return value;
        }

        public Uri HttpsUrl(JsonNode? node, string key)
        {
            var text = String(node, key);
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url))
            {
                throw new ConfigurationException(file, key, $"must be an https:// URL, got \"{text}\".");
            }
            if (!Options.ServerOptions.TryGetEndPoint(url, out _, out var error))
            {
                throw new ConfigurationException(file, key, error);
            }
            return url;
        }
    }
}
