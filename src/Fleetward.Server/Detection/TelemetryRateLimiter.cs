using System.Collections.Concurrent;

namespace Fleetward.Server.Detection;

/// <summary>A device may send <see cref="Burst"/> batches at once and then <see cref="BatchesPerMinute"/> on average.</summary>
public sealed record TelemetryRateLimit(double BatchesPerMinute, int Burst)
{
    /// <summary>An agent sends one batch per interval (a minute by default) plus its buffered backlog after an outage.</summary>
    public static TelemetryRateLimit Default { get; } = new(6, 20);
}

/// <summary>The limiter's answer: go ahead, or wait <see cref="RetryAfter"/>.</summary>
public readonly record struct RateDecision(bool Allowed, TimeSpan RetryAfter);

/// <summary>
/// Per-device token buckets, so one noisy or compromised device cannot starve ingest for the fleet. Buckets of
/// devices idle long enough to be full again are dropped, bounding memory by the devices recently active.
/// </summary>
public sealed class TelemetryRateLimiter(TelemetryRateLimit limit, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private long _calls;

    public RateDecision TryAcquire(string deviceId)
    {
        var now = time.GetUtcNow();
        var perSecond = limit.BatchesPerMinute / 60.0;
        var bucket = _buckets.GetOrAdd(deviceId, _ => new Bucket(limit.Burst, now));
        RateDecision decision;
        lock (bucket)
        {
            var elapsed = Math.Max(0, (now - bucket.UpdatedAt).TotalSeconds);
            bucket.Tokens = Math.Min(limit.Burst, bucket.Tokens + elapsed * perSecond);
            bucket.UpdatedAt = now;
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                decision = new RateDecision(true, TimeSpan.Zero);
            }
            else
            {
                decision = new RateDecision(false, TimeSpan.FromSeconds(Math.Ceiling((1 - bucket.Tokens) / perSecond)));
            }
        }
        if (Interlocked.Increment(ref _calls) % 10_000 == 0) Sweep(now, perSecond);
        return decision;
    }

    private void Sweep(DateTimeOffset now, double perSecond)
    {
        var full = TimeSpan.FromSeconds(limit.Burst / perSecond);
        foreach (var (id, bucket) in _buckets)
        {
            if (now - bucket.UpdatedAt > full) _buckets.TryRemove(id, out _);
        }
    }

    private sealed class Bucket(double tokens, DateTimeOffset updatedAt)
    {
        public double Tokens = tokens;
        public DateTimeOffset UpdatedAt = updatedAt;
    }
}
