namespace Fleetward.Server.Problems;

/// <summary>
/// The stable problem types of the API (RFC 9457 section 3.1.1 "type"). Clients branch on
/// <see cref="Code"/> or <see cref="TypeUri"/>, never on the human-readable title or detail.
/// </summary>
public sealed record ProblemType(string Code, int Status, string Title)
{
    public const string BaseUri = "https://fleetward.dev/problems/";

    public string TypeUri => BaseUri + Code;

    public static readonly ProblemType Validation = new("validation", 400, "The request is not valid");
    public static readonly ProblemType Unauthenticated = new("unauthenticated", 401, "A valid API token is required");
    public static readonly ProblemType Forbidden = new("forbidden", 403, "The API token's role does not allow this");
    public static readonly ProblemType NotFound = new("not-found", 404, "No such resource");
    public static readonly ProblemType MethodNotAllowed = new("method-not-allowed", 405, "The method is not allowed on this resource");
    public static readonly ProblemType Conflict = new("conflict", 409, "The request conflicts with the current state");
    public static readonly ProblemType UnsupportedMediaType = new("unsupported-media-type", 415, "The request body must be application/json");
    public static readonly ProblemType Internal = new("internal", 500, "The server failed to handle the request");
    public static readonly ProblemType Unavailable = new("unavailable", 503, "The service is not ready");

    /// <summary>Maps a bare status code (for responses that carry no body yet) onto its problem type.</summary>
    public static ProblemType ForStatus(int status) => status switch
    {
        400 => Validation,
        401 => Unauthenticated,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        409 => Conflict,
        415 => UnsupportedMediaType,
        503 => Unavailable,
        _ when status >= 500 => Internal,
        _ => new ProblemType("http-" + status, status, "The request failed"),
    };
}

/// <summary>
/// One problem occurrence: its type, a public detail message and, for validation problems, the
/// request field at fault (a JSON path such as <c>$.role</c>, a query parameter or a route value).
/// </summary>
public sealed record Problem(ProblemType Type, string Detail, string? Field = null);

/// <summary>
/// Thrown by endpoint code to end a request with a problem response; the problem middleware
/// writes it. The message is public, so it must never carry secrets or internal causes.
/// </summary>
public sealed class ProblemException(Problem problem, Exception? cause = null)
    : Exception(problem.Detail, cause)
{
    public Problem Problem { get; } = problem;

    public static ProblemException Validation(string field, string detail) =>
        new(new Problem(ProblemType.Validation, detail, field));

    public static ProblemException NotFound(string detail) => new(new Problem(ProblemType.NotFound, detail));
}
