namespace Fleetward.Core.Devices;

/// <summary>Where a device stands in its life; the state gates every request the device makes.</summary>
public enum DeviceLifecycleState
{
    Pending,
    Active,
    Quarantined,
    Decommissioned,
}

/// <summary>A registered device: the identity every certificate, rollout and incident hangs off.</summary>
public sealed record Device(
    string Id,
    string Model,
    string? HardwareRevision,
    IReadOnlyList<string> Tags,
    DeviceLifecycleState State,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FirstSeenAt,
    DateTimeOffset? LastSeenAt);

/// <summary>Stable text names of lifecycle states, as stored and as shown in the API.</summary>
public static class DeviceLifecycleStateNames
{
    public static string ToName(this DeviceLifecycleState state) => state switch
    {
        DeviceLifecycleState.Pending => "pending",
        DeviceLifecycleState.Active => "active",
        DeviceLifecycleState.Quarantined => "quarantined",
        DeviceLifecycleState.Decommissioned => "decommissioned",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static bool TryParse(string? name, out DeviceLifecycleState state)
    {
        switch (name)
        {
            case "pending": state = DeviceLifecycleState.Pending; return true;
            case "active": state = DeviceLifecycleState.Active; return true;
            case "quarantined": state = DeviceLifecycleState.Quarantined; return true;
            case "decommissioned": state = DeviceLifecycleState.Decommissioned; return true;
            default: state = default; return false;
        }
    }
}
