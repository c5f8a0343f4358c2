namespace Fleetward.Core.Detection;

/// <summary>What one datapoint did to a latch.</summary>
public enum LatchTransition
{
    None,
    Alarmed,
    Cleared,
}

/// <summary>
/// Alarm after N consecutive breaching datapoints, clear after M consecutive normal ones (AWS IoT Device Defender
/// behaviours: consecutiveDatapointsToAlarm / consecutiveDatapointsToClear). One noisy sample neither raises nor
/// ends an alarm, and an alarm is reported once, not on every breaching report.
/// </summary>
public sealed class ConsecutiveLatch
{
    private readonly int _toAlarm;
    private readonly int _toClear;
    private int _breaching;
    private int _normal;

    public ConsecutiveLatch(int datapointsToAlarm, int datapointsToClear)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(datapointsToAlarm, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(datapointsToClear, 1);
        _toAlarm = datapointsToAlarm;
        _toClear = datapointsToClear;
    }

    public bool InAlarm { get; private set; }

    /// <summary>Sample time of the first datapoint in the current breaching run (the start of the anomaly).</summary>
    public DateTimeOffset? FirstBreachAt { get; private set; }

    public LatchTransition Observe(bool breaching, DateTimeOffset sampledAt)
    {
        if (breaching)
        {
            _normal = 0;
            if (_breaching == 0 && !InAlarm) FirstBreachAt = sampledAt;
            _breaching++;
            if (!InAlarm && _breaching >= _toAlarm)
            {
                InAlarm = true;
                return LatchTransition.Alarmed;
            }
            return LatchTransition.None;
        }

        _breaching = 0;
        if (!InAlarm)
        {
            FirstBreachAt = null;
            return LatchTransition.None;
        }
        _normal++;
        if (_normal < _toClear) return LatchTransition.None;
        InAlarm = false;
        _normal = 0;
        FirstBreachAt = null;
        return LatchTransition.Cleared;
    }
}
