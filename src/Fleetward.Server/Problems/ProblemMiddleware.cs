using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Fleetward.Server.Problems;

/// <summary>
/// Guarantees that every error leaving the server is problem+json: thrown
/// <see cref="ProblemException"/>s become their problem, bad HTTP requests become 400, any other
/// exception becomes a 500 whose cause stays in the log (never in the response), and bodiless error
/// statuses (no route, wrong method) get a problem body.
/// </summary>
public sealed class ProblemMiddleware(RequestDelegate next, ILogger<ProblemMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (ProblemException problem) when (!context.Response.HasStarted)
        {
            await ProblemWriter.WriteAsync(context, problem.Problem);
            return;
        }
        catch (BadHttpRequestException bad) when (!context.Response.HasStarted)
        {
            logger.LogInformation("Bad HTTP request on {Path}: {Reason}", context.Request.Path.Value, bad.Message);
            await ProblemWriter.WriteAsync(context, new Problem(ProblemType.ForStatus(bad.StatusCode), bad.Message));
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception exception) when (!context.Response.HasStarted)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path} (trace {TraceId})",
                context.Request.Method, context.Request.Path.Value, context.TraceIdentifier);
            await ProblemWriter.WriteAsync(context, new Problem(ProblemType.Internal,
                $"Internal error; quote trace id {context.TraceIdentifier} to the operator."));
            return;
        }

        var response = context.Response;
        if (response.StatusCode >= 400 && !response.HasStarted && response.ContentType is null && response.ContentLength is null)
        {
            var type = ProblemType.ForStatus(response.StatusCode);
            var detail = response.StatusCode switch
            {
                404 => $"No resource at {context.Request.Path.Value}.",
                405 => $"{context.Request.Method} is not allowed on {context.Request.Path.Value}.",
                _ => type.Title + ".",
            };
            await ProblemWriter.WriteAsync(context, new Problem(type, detail));
        }
    }
}
