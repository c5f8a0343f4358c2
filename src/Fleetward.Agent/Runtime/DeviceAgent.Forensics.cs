using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleetward.Agent.Commands;
using Fleetward.Agent.Telemetry;

namespace Fleetward.Agent.Runtime;

/// <summary>
/// The forensic log pull (issue 7): on a verified upload-forensics command the agent sends one bounded JSON bundle of
/// what an investigator asks for first: its recent log, a fresh snapshot (connections, listeners, processes whose
/// executable was deleted), its status, its update records and the telemetry it has not delivered yet.
/// </summary>
public sealed partial class DeviceAgent
{
    /// <summary>The server refuses larger bundles (POST /device/v1/forensics/{commandId}).</summary>
    public const int MaxForensicBundleBytes = 4 * 1024 * 1024;

    private const int ForensicLogEntries = 500;
    private const int ForensicLogMessageChars = 2048;
    private const int ForensicSocketsPerList = 2000;
    private const int ForensicFileBytes = 256 * 1024;
    private const int ForensicTelemetryBytes = 1024 * 1024;

    private static readonly JsonSerializerOptions ForensicJson = new(JsonSerializerDefaults.Web);

    private readonly Queue<AgentLogEntry> recentLog = new();

    /// <summary>Keeps the last <see cref="ForensicLogEntries"/> log entries for a forensic bundle (caller holds <c>statusLock</c>).</summary>
    private void RememberLog(AgentLogEntry entry)
    {
        if (recentLog.Count == ForensicLogEntries) recentLog.Dequeue();
        recentLog.Enqueue(entry with
        {
            Message = entry.Message.Length > ForensicLogMessageChars ? entry.Message[..ForensicLogMessageChars] : entry.Message,
        });
    }

    /// <summary>The bundle for command <paramref name="commandId"/>, UTF-8 JSON of at most <see cref="MaxForensicBundleBytes"/>.</summary>
    internal byte[] CollectForensicBundle(string commandId)
    {
        AgentLogEntry[] log;
        lock (statusLock)
        {
            log = [.. recentLog];
        }
        var pending = telemetryBuffer.ReadBatch(int.MaxValue, ForensicTelemetryBytes);
        var bundle = new JsonObject
        {
            ["format"] = "fleetward-forensics/1",
            ["deviceId"] = options.DeviceId,
            ["commandId"] = commandId,
            ["collectedAt"] = time.GetUtcNow(),
            ["status"] = JsonSerializer.SerializeToNode(Status, ForensicJson),
            ["log"] = JsonSerializer.SerializeToNode(log, ForensicJson),
            ["snapshot"] = ForensicSnapshot(),
            ["files"] = new JsonObject
            {
                ["update.json"] = StateFile("update.json"),
                ["slot-releases.json"] = StateFile("slot-releases.json"),
            },
            ["pendingTelemetry"] = new JsonArray([.. pending.Select(r => (JsonNode)Convert.ToBase64String(r.Payload))]),
        };
        var bytes = Encoding.UTF8.GetBytes(bundle.ToJsonString());
        return bytes.Length <= MaxForensicBundleBytes
            ? bytes
            : throw new InvalidOperationException($"the forensic bundle is {bytes.Length} bytes, over the limit of {MaxForensicBundleBytes}");
    }

    private JsonObject ForensicSnapshot()
    {
        SystemSnapshot snapshot;
        try
        {
            snapshot = ports.Snapshots.Collect();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException)
        {
            return new JsonObject { ["error"] = error.Message };
        }
        static JsonArray Sockets(IReadOnlyList<SocketEntry> sockets) => new([.. sockets.Take(ForensicSocketsPerList).Select(s => (JsonNode)new JsonObject
        {
            ["protocol"] = s.Protocol.ToString().ToLowerInvariant(),
            ["local"] = s.Local.ToString(),
            ["remote"] = s.Remote.ToString(),
            ["state"] = s.State,
            ["inode"] = s.Inode,
        })]);
        return new JsonObject
        {
            ["collectedAt"] = snapshot.CollectedAt,
            ["uptimeSeconds"] = (long)snapshot.Uptime.TotalSeconds,
            ["processCount"] = snapshot.Processes.ProcessCount,
            ["deletedExecutables"] = JsonSerializer.SerializeToNode(snapshot.Processes.DeletedExecutables, ForensicJson),
            ["establishedConnections"] = Sockets(snapshot.EstablishedConnections),
            ["establishedConnectionCount"] = snapshot.EstablishedConnections.Count,
            ["listeners"] = Sockets(snapshot.Listeners),
            ["listenerCount"] = snapshot.Listeners.Count,
        };
    }

    /// <summary>A state file of the agent as text (its first <see cref="ForensicFileBytes"/> bytes), or null when absent.</summary>
    private string? StateFile(string name)
    {
        var path = Path.Combine(options.StateDirectory, name);
        if (!File.Exists(path)) return null;
        using var file = File.OpenRead(path);
        var buffer = new byte[Math.Min(file.Length, ForensicFileBytes)];
        file.ReadExactly(buffer);
        return Encoding.UTF8.GetString(buffer);
    }

    private async Task UploadForensicsAsync(string commandId, CancellationToken cancellationToken)
    {
        var client = await RequireApiAsync(cancellationToken).ConfigureAwait(false);
        var bundle = CollectForensicBundle(commandId);
        await client.UploadForensicsAsync(commandId, bundle, cancellationToken).ConfigureAwait(false);
        Log("info", "forensics.uploaded", $"forensic bundle of {bundle.Length} bytes for command {commandId}");
    }

    /// <summary>The agent's own collector, used when the ports give none.</summary>
    private sealed class ForensicsUpload(DeviceAgent agent) : IForensicsUpload
    {
        public Task UploadAsync(string commandId, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken) =>
            agent.UploadForensicsAsync(commandId, cancellationToken);
    }
}
