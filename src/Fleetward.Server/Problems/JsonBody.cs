using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Problems;

/// <summary>
/// Strict reading of JSON request bodies: the media type must be JSON, the body must be present and
/// well-formed, unknown members are refused, wrong types and missing required members are refused,
/// and every refusal names the field (as a JSON path) so a client can fix it.
/// </summary>
public static class JsonBody
{
    /// <summary>The serializer settings of the whole API: camelCase, strict on input.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public const long MaxBodyBytes = 1024 * 1024;

    public static async Task<T> ReadAsync<T>(HttpRequest request)
    {
        if (request.ContentType is null || !IsJson(request.ContentType))
        {
            throw new ProblemException(new Problem(ProblemType.UnsupportedMediaType,
                $"Content-Type must be application/json, got '{request.ContentType ?? "(none)"}'.", "Content-Type"));
        }
        if (request.ContentLength is > MaxBodyBytes)
        {
            throw ProblemException.Validation("$", $"The body is larger than {MaxBodyBytes} bytes.");
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        if (buffer.Length == 0)
        {
            throw ProblemException.Validation("$", "The request body is missing; a JSON object is required.");
        }
        if (buffer.Length > MaxBodyBytes)
        {
            throw ProblemException.Validation("$", $"The body is larger than {MaxBodyBytes} bytes.");
        }

        return Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Deserializes and turns every serializer complaint into a validation problem naming the field.</summary>
    public static T Deserialize<T>(ReadOnlySpan<byte> utf8Json)
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(utf8Json, Options);
        }
        catch (JsonException exception)
        {
            throw new ProblemException(new Problem(ProblemType.Validation, Describe(exception), FieldOf(exception)), exception);
        }
        return value ?? throw ProblemException.Validation("$", "The request body must be a JSON object, not null.");
    }

    private static bool IsJson(string contentType)
    {
        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);
    }

    // System.Text.Json reports the failing member in Path, except for missing required members,
    // which it reports on the enclosing object and names only in the message.
    private static string FieldOf(JsonException exception)
    {
        var path = string.IsNullOrEmpty(exception.Path) ? "$" : exception.Path;
        var including = exception.Message.IndexOf("including:", StringComparison.Ordinal);
        if (IsMissingRequired(exception) && including >= 0 && QuotedName(exception.Message[including..]) is { } member)
        {
            return path + "." + member;
        }
        return path;
    }

    private static string Describe(JsonException exception)
    {
        var field = FieldOf(exception);
        if (exception.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return $"Unknown field '{field}'.";
        }
        if (IsMissingRequired(exception))
        {
            return $"Required field '{field}' is missing.";
        }
        if (exception.Message.Contains("doesn't allow null values", StringComparison.Ordinal))
        {
            return $"Field '{field}' must not be null.";
        }
        if (exception.Message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return field == "$" ? "The body must be a JSON object." : $"Field '{field}' has the wrong type or format.";
        }
        return $"The body is not valid JSON near '{field}' (line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1}).";
    }

    private static bool IsMissingRequired(JsonException exception) =>
        exception.Message.Contains("missing required properties", StringComparison.Ordinal);

    private static string? QuotedName(string message)
    {
        var start = message.IndexOf('\'');
        if (start < 0)
        {
            return null;
        }
        var end = message.IndexOf('\'', start + 1);
        return end > start ? message[(start + 1)..end] : null;
    }
}
