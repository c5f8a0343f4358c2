namespace Fleetward.Core.Detection;

/// <summary>Whom a set of geofences applies to: every device of a model, or one device.</summary>
public enum GeofenceScope
{
    Model,
    Device,
}

/// <summary>Stable names of geofence scopes, as stored and as used in the API path (models/devices).</summary>
public static class GeofenceScopeNames
{
    public static string ToName(this GeofenceScope scope) => scope switch
    {
        GeofenceScope.Model => "model",
        GeofenceScope.Device => "device",
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, null),
    };

    public static bool TryParse(string? name, out GeofenceScope scope)
    {
        switch (name)
        {
            case "model": scope = GeofenceScope.Model; return true;
            case "device": scope = GeofenceScope.Device; return true;
            default: scope = default; return false;
        }
    }
}

/// <summary>
/// The areas configured for one model or one device: a device must stay inside at least one of them
/// (<see cref="GeofenceDetector"/> measures against the nearest). Operators set them; reports never can.
/// </summary>
/// <param name="Subject">The model name or the device id.</param>
public sealed record GeofenceSet(GeofenceScope Scope, string Subject, IReadOnlyList<Geofence> Areas, DateTimeOffset UpdatedAt, string UpdatedBy)
{
    /// <summary>
    /// The fences that apply to a device: its own set when it has one (a robot lent to another site gets its own
    /// area instead of the model's), otherwise its model's, otherwise none (not fenced).
    /// </summary>
    public static IReadOnlyList<Geofence> Effective(GeofenceSet? device, GeofenceSet? model) =>
        device?.Areas ?? model?.Areas ?? [];
}
