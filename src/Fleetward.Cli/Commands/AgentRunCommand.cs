using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Fleetward.Agent.Identity;
using Fleetward.Agent.Runtime;
using Fleetward.Agent.Telemetry;

namespace Fleetward.Cli.Commands;

/// <summary>
/// <c>fleetward agent run</c>: the device agent's loop on a Linux device: enrolls, checks in and installs what rollouts
/// assign (verified through TUF, A/B slots), reports telemetry read from /proc and /sys, obeys signed commands. Logs one
/// JSON object per line on standard output; Ctrl-C (or SIGTERM) stops it between steps.
/// </summary>
public static class AgentRunCommand
{
    private static readonly JsonSerializerOptions LogJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static Command Create(TimeProvider? timeProvider = null)
    {
        var time = timeProvider ?? TimeProvider.System;
        var server = new Option<Uri>("--server")
        {
            Description = "The server's device listener, e.g. https://fleet.example:8443/",
            Required = true,
            CustomParser = result =>
            {
                var text = result.Tokens.Single().Value;
                if (Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps)
                {
                    return url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");
                }
                result.AddError($"--server must be an absolute https:// URL, got \"{text}\"");
                return null;
            },
        };
        var state = new Option<DirectoryInfo>("--state") { Description = "Directory for the agent's identity, TUF metadata, telemetry buffer and update records", Required = true };
        var fleetRoot = new Option<FileInfo>("--fleet-root") { Description = "The fleet root CA certificate (PEM): the only anchor trusted for the server's TLS certificate", Required = true };
        var tufRoot = new Option<FileInfo>("--tuf-root") { Description = "The TUF root.json provisioned at the factory", Required = true };
        var token = new Option<string?>("--token") { Description = "One-time enrollment token (with --device-id)" };
        var factoryCert = new Option<FileInfo?>("--factory-cert") { Description = "Factory identity certificate (PEM), enrolling through it" };
        var factoryKey = new Option<FileInfo?>("--factory-key") { Description = "Private key (PEM) of --factory-cert" };
        var deviceId = new Option<string?>("--device-id") { Description = "Device id; default: the serialNumber in the subject of --factory-cert" };
        var model = new Option<string>("--model") { Description = "Hardware model: targets signed for other hardware are refused", Required = true };
        var slots = new Option<DirectoryInfo?>("--slots") { Description = "Directory of the file-backed A/B slots (default: STATE/slots)" };
        var factoryVersion = new Option<string>("--factory-version") { Description = "Version of the image the factory installed", DefaultValueFactory = _ => "0.0.0" };
        var factorySecurityVersion = new Option<long>("--factory-security-version") { Description = "Security version of the factory image", DefaultValueFactory = _ => 0 };
        var interval = new Option<int>("--interval") { Description = "Seconds between check-ins, telemetry reports and command polls", DefaultValueFactory = _ => 60 };
        var production = new Option<bool>("--production") { Description = "Install only targets signed with production keys; requires --command-key" };
        var commandKey = new Option<FileInfo?>("--command-key")
        {
            Description = "The server's command verification key (SPKI PEM, as GET /device/v1/command-key serves it), pinned instead of trusted on first use",
        };

        var command = new Command("run", "Run the device agent: enroll, check in, install verified updates, report telemetry, obey signed commands")
        {
            server, state, fleetRoot, tufRoot, token, factoryCert, factoryKey, deviceId, model, slots, factoryVersion, factorySecurityVersion, interval, production, commandKey,
        };
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, async () =>
        {
            var output = parse.InvocationConfiguration.Output;
            var seconds = parse.GetValue(interval);
            if (seconds < 1)
            {
                throw new UsageException($"--interval must be at least 1 second, got {seconds}");
            }
            if (parse.GetValue(production) && parse.GetValue(commandKey) is null)
            {
                throw new UsageException("--production requires --command-key: a production device never trusts the server's command key on first use");
            }
            var credential = Credential(parse.GetValue(token), parse.GetValue(factoryCert), parse.GetValue(factoryKey));
            var id = parse.GetValue(deviceId) ?? FactoryDeviceId(credential)
                ?? throw new UsageException("--device-id is required with --token (and when --factory-cert names no serialNumber)");
            var stateDirectory = parse.GetValue(state)!.FullName;
            var root = X509Certificate2.CreateFromPem(ReadFile(parse.GetValue(fleetRoot)!, "--fleet-root"));
            var tuf = File.ReadAllBytes(RequireFile(parse.GetValue(tufRoot)!, "--tuf-root"));
            var counters = new AgentEventCounters();
            var collector = new TelemetryCollector(new TelemetryCollectorOptions(Path.Combine(stateDirectory, "collector")), time, new FixedRobotSensors(SensorReadings.None), counters);
            var version = parse.GetValue(factoryVersion)!;
            var slotDirectory = parse.GetValue(slots)?.FullName ?? Path.Combine(stateDirectory, "slots");
            var agentSlots = AgentSlots.FileBacked(slotDirectory, System.Text.Encoding.UTF8.GetBytes($"fleetward factory image {version}\n"));
            var period = TimeSpan.FromSeconds(seconds);
            using var pinnedCommandKey = parse.GetValue(commandKey) is { } keyFile ? ImportCommandKey(ReadFile(keyFile, "--command-key")) : null;
            await using var agent = new DeviceAgent(
                new DeviceAgentOptions(parse.GetValue(server)!, id, stateDirectory, root, credential, parse.GetValue(model)!, tuf,
                    new FactoryRelease(version, parse.GetValue(factorySecurityVersion)))
                {
                    Intervals = new AgentIntervals(period, period, period),
                    ProductionDevice = parse.GetValue(production),
                    CommandKey = pinnedCommandKey,
                },
                new DeviceAgentPorts(time, new Random(), collector, agentSlots)
                {
                    Counters = counters,
                    Log = entry =>
                    {
                        lock (output)
                        {
                            output.WriteLine(JsonSerializer.Serialize(entry, LogJson));
                            output.Flush();
                        }
                    },
                });
            try
            {
                await agent.RunAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            var status = agent.Status;
            lock (output)
            {
                output.WriteLine(JsonSerializer.Serialize(new AgentLogEntry(time.GetUtcNow(), "info", "agent.stop",
                    $"stopped; running {status.Installed.Version ?? "unknown"} on slot {status.Installed.Slot}"), LogJson));
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    private static EnrollmentCredential Credential(string? token, FileInfo? certificate, FileInfo? key)
    {
        if (token is not null)
        {
            return certificate is null && key is null
                ? EnrollmentCredential.WithToken(token)
                : throw new UsageException("--token and --factory-cert/--factory-key are alternatives; give one");
        }
        if (certificate is null || key is null)
        {
            throw new UsageException("give --token, or --factory-cert with --factory-key");
        }
        using var pem = X509Certificate2.CreateFromPemFile(RequireFile(certificate, "--factory-cert"), RequireFile(key, "--factory-key"));
        // Re-imported so SslStream on Linux can present the key (an ephemeral PEM key cannot be used for TLS client auth).
        return EnrollmentCredential.WithFactoryCertificate(X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null));
    }

    /// <summary>The serialNumber attribute (OID 2.5.4.5) of the factory certificate's subject: where IDevIDs carry the device id.</summary>
    private static string? FactoryDeviceId(EnrollmentCredential credential)
    {
        if (credential.FactoryCertificate is not { } certificate)
        {
            return null;
        }
        foreach (var name in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (name.GetSingleElementType().Value == "2.5.4.5")
            {
                return name.GetSingleElementValue();
            }
        }
        return null;
    }

    private static string RequireFile(FileInfo file, string option) =>
        file.Exists ? file.FullName : throw new UsageException($"{option}: {file.FullName} does not exist");

    private static string ReadFile(FileInfo file, string option) => File.ReadAllText(RequireFile(file, option));

    private static ECDsa ImportCommandKey(string pem)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            return key;
        }
        catch (ArgumentException error)
        {
            key.Dispose();
            throw new UsageException($"--command-key is not an ECDSA public key in PEM: {error.Message}");
        }
    }
}
