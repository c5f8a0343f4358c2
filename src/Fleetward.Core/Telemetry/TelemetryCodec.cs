using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Fleetward.Core.Telemetry;

/// <summary>Source-generated (trim- and AOT-safe) JSON contract of the telemetry wire format: snake_case names.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    MaxDepth = 16)]
[JsonSerializable(typeof(TelemetryReport))]
[JsonSerializable(typeof(TelemetryBatch))]
public sealed partial class TelemetryJsonContext : JsonSerializerContext;

/// <summary>A decoded, validated report or batch, or the first problem with it (field path and message).</summary>
public sealed record TelemetryDecodeResult<T>(T? Value, TelemetryValidationError? Error) where T : class
{
    public bool IsValid => Error is null;
}

/// <summary>
/// Reads and writes the telemetry wire format with the size bounds applied before parsing and the value rules
/// of <see cref="TelemetryReportValidator"/> after, so ingest has one call that either yields a report detectors can
/// trust structurally or says which field is wrong.
/// </summary>
public static partial class TelemetryCodec
{
    public static byte[] Encode(TelemetryReport report) =>
        JsonSerializer.SerializeToUtf8Bytes(report, TelemetryJsonContext.Default.TelemetryReport);

    public static byte[] Encode(TelemetryBatch batch) =>
        JsonSerializer.SerializeToUtf8Bytes(batch, TelemetryJsonContext.Default.TelemetryBatch);

    public static TelemetryDecodeResult<TelemetryReport> DecodeReport(ReadOnlySpan<byte> json, DateTimeOffset now)
    {
        if (json.Length > TelemetryLimits.MaxReportBytes)
            return new(null, new("$", $"report is larger than {TelemetryLimits.MaxReportBytes} bytes"));
        var (report, error) = Parse(json, TelemetryJsonContext.Default.TelemetryReport);
        if (error is not null) return new(null, error);
        if (report is null) return new(null, new("$", "must be a JSON object"));
        error = TelemetryReportValidator.Validate(report, now);
        return error is null ? new(report, null) : new(null, error);
    }

    /// <summary>
    /// Decodes a batch; reports must be for one device and in increasing sequence order. When
    /// <paramref name="expectedDeviceId"/> is given (the id from the client certificate), every report must carry it:
    /// a device may only report about itself.
    /// </summary>
    public static TelemetryDecodeResult<TelemetryBatch> DecodeBatch(ReadOnlySpan<byte> json, DateTimeOffset now, string? expectedDeviceId = null)
    {
        if (json.Length > TelemetryLimits.MaxBatchBytes)
            return new(null, new("$", $"batch is larger than {TelemetryLimits.MaxBatchBytes} bytes"));
        var (batch, error) = Parse(json, TelemetryJsonContext.Default.TelemetryBatch);
        if (error is not null) return new(null, error);
        if (batch is null) return new(null, new("$", "must be a JSON object"));
        if (batch.Reports is null || batch.Reports.Count == 0) return new(null, new("reports", "must hold at least one report"));
        if (batch.Reports.Count > TelemetryLimits.MaxReportsPerBatch)
            return new(null, new("reports", $"has more than {TelemetryLimits.MaxReportsPerBatch} reports"));
        for (var i = 0; i < batch.Reports.Count; i++)
        {
            var report = batch.Reports[i];
            if (report is null) return new(null, new($"reports[{i}]", "must not be null"));
            if (TelemetryReportValidator.Validate(report, now) is { } e)
                return new(null, e with { Field = $"reports[{i}].{e.Field}" });
            if (expectedDeviceId is not null && report.DeviceId != expectedDeviceId)
                return new(null, new($"reports[{i}].device_id", "does not match the authenticated device"));
            if (i > 0 && report.DeviceId != batch.Reports[0].DeviceId)
                return new(null, new($"reports[{i}].device_id", "differs from reports[0].device_id"));
            if (i > 0 && report.Sequence <= batch.Reports[i - 1].Sequence)
                return new(null, new($"reports[{i}].sequence", "must be greater than the previous report's sequence"));
        }
        return new(batch, null);
    }

    private static (T? Value, TelemetryValidationError? Error) Parse<T>(ReadOnlySpan<byte> json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
    {
        try
        {
            return (JsonSerializer.Deserialize(json, info), null);
        }
        catch (JsonException ex)
        {
            return (default, new(FieldOf(ex), Describe(ex)));
        }
    }

    private static string FieldOf(JsonException ex)
    {
        var missing = MissingRequired().Match(ex.Message);
        var path = ex.Path is null or "$" ? "" : ex.Path.StartsWith("$.", StringComparison.Ordinal) ? ex.Path[2..] : ex.Path.TrimStart('$');
        if (missing.Success) return path.Length == 0 ? missing.Groups[1].Value : $"{path}.{missing.Groups[1].Value}";
        return path.Length == 0 ? "$" : path;
    }

    // The serializer's messages name CLR types; the public message only says what kind of problem it is.
    private static string Describe(JsonException ex) =>
        MissingRequired().IsMatch(ex.Message) ? "is required"
        : ex.InnerException is FormatException or InvalidOperationException ? "has the wrong type or format"
        : ex.Message.Contains("could not be converted", StringComparison.Ordinal) ? "has the wrong type or format"
        : ex.Message.Contains("maximum configured depth", StringComparison.Ordinal) ? "is nested too deeply"
        : "is not valid JSON";

    [GeneratedRegex("missing required properties including: '([^']+)'")]
    private static partial Regex MissingRequired();
}
