namespace Fleetward.Core.Rollouts;

/// <summary>
/// What the planner needs to know about one device. A value type holding references the caller already
/// owns, so streaming a million of them through the planner allocates nothing per device.
/// </summary>
/// <param name="Id">Device id.</param>
/// <param name="Model">Device model.</param>
/// <param name="Tags">Device tags.</param>
/// <param name="InstalledVersion">Release version the device last reported as running, if known.</param>
/// <param name="InstalledSecurityVersion">Anti-downgrade counter of the image the device runs, if known.</param>
public readonly record struct DeviceFacts(string Id, string Model, IReadOnlyList<string> Tags, string? InstalledVersion, long? InstalledSecurityVersion = null);

/// <summary>
/// Which devices a rollout targets. Every criterion that is given must hold (they combine with AND);
/// an empty criterion places no restriction. Tags: the device must carry all of them.
/// Current versions and explicit ids: the device's value must be one of the listed values.
/// </summary>
public sealed class DeviceSelection
{
    private readonly HashSet<string>? _deviceIds;
    private readonly HashSet<string>? _currentVersions;

    public DeviceSelection(
        string? model = null,
        IReadOnlyList<string>? tags = null,
        IReadOnlyList<string>? currentVersions = null,
        IReadOnlyList<string>? deviceIds = null)
    {
        Model = string.IsNullOrEmpty(model) ? null : model;
        Tags = tags ?? [];
        CurrentVersions = currentVersions ?? [];
        DeviceIds = deviceIds ?? [];
        _currentVersions = CurrentVersions.Count == 0 ? null : new HashSet<string>(CurrentVersions, StringComparer.Ordinal);
        _deviceIds = DeviceIds.Count == 0 ? null : new HashSet<string>(DeviceIds, StringComparer.Ordinal);
    }

    /// <summary>Selects every registered device.</summary>
    public static DeviceSelection All { get; } = new();

    public string? Model { get; }
    public IReadOnlyList<string> Tags { get; }
    public IReadOnlyList<string> CurrentVersions { get; }
    public IReadOnlyList<string> DeviceIds { get; }

    public bool Matches(in DeviceFacts device)
    {
        if (Model is not null && !string.Equals(Model, device.Model, StringComparison.Ordinal))
            return false;
        if (_deviceIds is not null && !_deviceIds.Contains(device.Id))
            return false;
        if (_currentVersions is not null && (device.InstalledVersion is null || !_currentVersions.Contains(device.InstalledVersion)))
            return false;
        for (var i = 0; i < Tags.Count; i++)
        {
            if (!Contains(device.Tags, Tags[i]))
                return false;
        }
        return true;
    }

    private static bool Contains(IReadOnlyList<string> tags, string wanted)
    {
        for (var i = 0; i < tags.Count; i++)
        {
            if (string.Equals(tags[i], wanted, StringComparison.Ordinal))
                return true;
        }
        return false;
    }
}
