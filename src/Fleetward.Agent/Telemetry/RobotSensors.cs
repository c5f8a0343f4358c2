namespace Fleetward.Agent.Telemetry;

/// <summary>A satellite position fix in WGS 84 degrees.</summary>
public sealed record GpsFix(double Latitude, double Longitude, double? AccuracyMeters);

/// <summary>
/// Robot signals beyond the operating system; any may be null when the device has no such sensor.
/// <see cref="TamperOpen"/> is true while the enclosure switch reports the case open.
/// </summary>
public sealed record SensorReadings(GpsFix? Position, bool? TamperOpen, double? PowerDrawWatts)
{
    public static SensorReadings None { get; } = new(null, null, null);
}

/// <summary>Reads the robot's own sensors; the simulator and tests supply theirs.</summary>
public interface IRobotSensors
{
    SensorReadings Read();
}

/// <summary>Sensors that always read the same values: devices without sensors (<see cref="SensorReadings.None"/>) and tests.</summary>
public sealed class FixedRobotSensors(SensorReadings readings) : IRobotSensors
{
    public SensorReadings Read() => readings;
}
