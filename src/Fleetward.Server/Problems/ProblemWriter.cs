using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Problems;

/// <summary>Writes RFC 9457 problem details as <c>application/problem+json</c>.</summary>
public static class ProblemWriter
{
    public const string ContentType = "application/problem+json";

    public static async Task WriteAsync(HttpContext context, Problem problem)
    {
        var response = context.Response;
        response.StatusCode = problem.Type.Status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(response.Body);
        // RFC 9457 section 3.1 members, then extension members (section 3.2): code, field, traceId.
        json.WriteStartObject();
        json.WriteString("type", problem.Type.TypeUri);
        json.WriteString("title", problem.Type.Title);
        json.WriteNumber("status", problem.Type.Status);
        json.WriteString("detail", problem.Detail);
        json.WriteString("instance", context.Request.Path.Value);
        json.WriteString("code", problem.Type.Code);
        if (problem.Field is not null)
        {
            json.WriteString("field", problem.Field);
        }
        json.WriteString("traceId", context.TraceIdentifier);
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}
