using System.Diagnostics.Metrics;
using Fleetward.Core.Ports;
using Fleetward.Server.Hosting;
using Fleetward.Server.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Receipts;

/// <summary>How the device listener treated one request (or one TLS handshake).</summary>
public enum DeviceConnectionOutcome
{
    /// <summary>Arrived over mutual TLS with a client certificate the handshake accepted, and was not refused as unauthenticated.</summary>
    Authenticated,

    /// <summary>Refused for want of authentication: HTTP 401, or a client certificate refused at the TLS handshake.</summary>
    Refused,

    /// <summary>No client certificate, on a route that allows that (EST bootstrap, TUF metadata).</summary>
    Anonymous,
}

/// <summary>
/// Counts device-listener outcomes in memory per UTC hour, so a request costs a lock and an increment, never a
/// database write; <see cref="DeviceConnectionTallyWriter"/> moves the counts into the store. Process metrics
/// (/metrics) reset on restart and are per replica; these persist and add up across replicas.
/// </summary>
public sealed class DeviceConnectionTally(TimeProvider time)
{
    private readonly object gate = new();
    private Dictionary<DateTimeOffset, long[]> pending = [];

    public void Record(DeviceConnectionOutcome outcome)
    {
        var hour = ConnectionTally.HourOf(time.GetUtcNow());
        lock (gate)
        {
            if (!pending.TryGetValue(hour, out var counts))
            {
                counts = new long[3];
                pending[hour] = counts;
            }
            counts[(int)outcome]++;
        }
    }

    /// <summary>Takes every count recorded so far, per hour, and starts afresh.</summary>
    public IReadOnlyList<ConnectionTally> Drain()
    {
        Dictionary<DateTimeOffset, long[]> taken;
        lock (gate)
        {
            taken = pending;
            pending = [];
        }
        return [.. taken.OrderBy(p => p.Key).Select(p => new ConnectionTally(p.Key, p.Value[0], p.Value[1], p.Value[2]))];
    }

    /// <summary>Puts counts back after a failed write, so they are written with the next flush.</summary>
    public void Restore(IEnumerable<ConnectionTally> tallies)
    {
        lock (gate)
        {
            foreach (var tally in tallies)
            {
                if (!pending.TryGetValue(tally.HourStart, out var counts))
                {
                    counts = new long[3];
                    pending[tally.HourStart] = counts;
                }
                counts[0] += tally.Authenticated;
                counts[1] += tally.Refused;
                counts[2] += tally.Anonymous;
            }
        }
    }
}

/// <summary>
/// Classifies every device-listener request after the pipeline has answered it. Installed by a startup filter
/// around the whole pipeline, so it sees the final status of every request, including refusals by the device
/// authentication middleware.
/// </summary>
public sealed class DeviceConnectionTallyMiddleware(RequestDelegate next, DeviceConnectionTally tally)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (ListenerFeature.Of(context) != FleetwardListener.Device)
        {
            await next(context);
            return;
        }
        try
        {
            await next(context);
        }
        finally
        {
            tally.Record(Classify(context.Response.StatusCode, context.Connection.ClientCertificate is not null));
        }
    }

    public static DeviceConnectionOutcome Classify(int status, bool hasClientCertificate) =>
        status == StatusCodes.Status401Unauthorized ? DeviceConnectionOutcome.Refused
        : hasClientCertificate ? DeviceConnectionOutcome.Authenticated
        : DeviceConnectionOutcome.Anonymous;
}

/// <summary>Puts <see cref="DeviceConnectionTallyMiddleware"/> in front of the server's own pipeline.</summary>
internal sealed class DeviceConnectionTallyStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<DeviceConnectionTallyMiddleware>();
        next(app);
    };
}

/// <summary>
/// Counts TLS handshakes refused on the device listener (no HTTP request exists for them) by listening to the
/// server's own <c>fleetward.device.tls.refusals</c> counter, of this server's meter scope only.
/// </summary>
public sealed class DeviceHandshakeRefusalListener : IDisposable
{
    private readonly MeterListener listener = new();

    public DeviceHandshakeRefusalListener(IMeterFactory meterFactory, DeviceConnectionTally tally)
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meterFactory) && instrument.Meter.Name == ServerMetrics.MeterName
                && instrument.Name == "fleetward.device.tls.refusals")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            for (var i = 0; i < value; i++)
            {
                tally.Record(DeviceConnectionOutcome.Refused);
            }
        });
        listener.Start();
    }

    public void Dispose() => listener.Dispose();
}

/// <summary>
/// Writes the in-memory counts to the store every interval and once more on shutdown. A failed write keeps the
/// counts for the next attempt and never stops the server.
/// </summary>
public sealed class DeviceConnectionTallyWriter(
    IFleetStore store, DeviceConnectionTally tally, DeviceHandshakeRefusalListener handshakes, TimeSpan interval, TimeProvider time,
    ILogger<DeviceConnectionTallyWriter> logger) : BackgroundService
{
    /// <summary>The listener lives as long as the writer; referencing it here makes the host create it at start.</summary>
    public DeviceHandshakeRefusalListener Handshakes { get; } = handshakes;

    /// <summary>Writes whatever was counted so far; returns how many hourly buckets were written.</summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        var tallies = tally.Drain();
        if (tallies.Count == 0)
        {
            return 0;
        }
        try
        {
            await using var work = await store.BeginAsync(cancellationToken);
            foreach (var t in tallies)
            {
                await work.Receipts.AddConnectionTallyAsync(t, cancellationToken);
            }
            await work.CommitAsync(cancellationToken);
            return tallies.Count;
        }
        catch
        {
            tally.Restore(tallies);
            throw;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await FlushAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogError(exception, "Writing the device connection counts at shutdown failed");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        while (await WaitAsync(timer, stoppingToken))
        {
            try
            {
                await FlushAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Writing the device connection counts failed; they are kept for the next attempt");
            }
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
