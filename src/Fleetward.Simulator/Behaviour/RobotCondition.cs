using Fleetward.Core.Detection;

namespace Fleetward.Simulator.Behaviour;

/// <summary>
/// What a Mirai-like bot does on a device (the three behaviours of Antonakakis et al., "Understanding the Mirai
/// Botnet", USENIX Security 2017): its scanner opens telnet connections (23, and 2323 one time in ten) to random
/// addresses, its killer module ends the service on <see cref="KilledServicePort"/> and binds that port itself, and
/// the bot unlinks its own executable after start.
/// </summary>
public sealed record MiraiInfection(DateTimeOffset Since, int ScanFanOut = 30, int KilledServicePort = 22, string BotProcess = "dvrHelper", int BotPid = 31337);

/// <summary>
/// Departures from a robot's benign behaviour that drills switch on; <see cref="None"/> is a healthy robot. A robot
/// reads its condition at every sample, so a drill takes effect on the next report.
/// </summary>
public sealed record RobotCondition
{
    public static RobotCondition None { get; } = new();

    public MiraiInfection? Mirai { get; init; }

    /// <summary>The enclosure switch reads open (chassis tamper).</summary>
    public bool TamperOpen { get; init; }

    /// <summary>The robot is carried to this position (stolen, or wandered off) and reports fixes around it.</summary>
    public GeoPoint? DisplacedTo { get; init; }

    /// <summary>Releases whose trial boot fails the robot's health check (a bad release).</summary>
    public IReadOnlySet<string> UnhealthyReleases { get; init; } = new HashSet<string>(StringComparer.Ordinal);
}
