using System.Globalization;
using System.Text;
using Fleetward.Trust.Commands;

namespace Fleetward.Agent.Commands;

/// <summary>
/// Command nonces kept in a file until their command expires, so a replay is refused even after the agent
/// restarts; expired entries are pruned on each write, which bounds the file by the commands of one lifetime.
/// </summary>
public sealed class FileCommandNonceStore(string path) : ICommandNonceStore
{
    private readonly Lock gate = new();

    public bool TryRecord(string nonce, DateTimeOffset keepUntil, DateTimeOffset now)
    {
        if (nonce.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException("nonce: must not contain white space", nameof(nonce));
        }
        lock (gate)
        {
            var live = Load().Where(entry => entry.Value > now).ToDictionary(entry => entry.Key, entry => entry.Value, StringComparer.Ordinal);
            if (live.ContainsKey(nonce))
            {
                return false;
            }
            live[nonce] = keepUntil;
            var text = new StringBuilder();
            foreach (var (key, until) in live)
            {
                text.Append(key).Append(' ').Append(until.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
            DurableFile.WriteAllText(path, text.ToString());
            return true;
        }
    }

    private Dictionary<string, DateTimeOffset> Load()
    {
        var entries = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return entries;
        }
        foreach (var line in File.ReadAllLines(path))
        {
            var parts = line.Split(' ');
            if (parts.Length != 2 || !long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds))
            {
                throw new FormatException($"{path}: line '{line}' is not 'nonce unix-seconds'");
            }
            entries[parts[0]] = DateTimeOffset.FromUnixTimeSeconds(seconds);
        }
        return entries;
    }
}
