namespace Fleetward.Trust.Commands;

/// <summary>What the server may order a device to do (issue 7, device item 3).</summary>
public enum CommandType
{
    Isolate,
    RotateCredentials,
    ReAttest,
    Zeroize,
    UploadForensics,
    Release,
}

/// <summary>Wire names of <see cref="CommandType"/>.</summary>
public static class CommandTypeNames
{
    public static string ToName(this CommandType type) => type switch
    {
        CommandType.Isolate => "isolate",
        CommandType.RotateCredentials => "rotate-credentials",
        CommandType.ReAttest => "re-attest",
        CommandType.Zeroize => "zeroize",
        CommandType.UploadForensics => "upload-forensics",
        CommandType.Release => "release",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool TryParse(string? name, out CommandType type)
    {
        foreach (var candidate in Enum.GetValues<CommandType>())
        {
            if (candidate.ToName() == name)
            {
                type = candidate;
                return true;
            }
        }
        type = default;
        return false;
    }
}
