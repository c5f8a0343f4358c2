using System.CommandLine;

namespace Fleetward.Cli.Commands;

/// <summary>Where an operator command finds the server, its token and the certificate to trust.</summary>
public sealed record OperatorConnection(Uri Server, string Token, string? CaFile);

/// <summary>
/// The options every operator verb shares: --server, --token, --ca-file (each falling back to its
/// FLEETWARD_* environment variable) and --json. A verb calls <see cref="AddTo"/> and then
/// <see cref="Connection"/> in its action.
/// </summary>
public sealed class OperatorApiOptions
{
    public const string ServerVariable = "FLEETWARD_SERVER";
    public const string TokenVariable = "FLEETWARD_TOKEN";
    public const string CaFileVariable = "FLEETWARD_CA_FILE";

    public Option<string?> Server { get; } = new("--server") { Description = $"Operator API base URL, e.g. https://127.0.0.1:8443 (or {ServerVariable}).", HelpName = "URL" };

    public Option<string?> Token { get; } = new("--token") { Description = $"Operator API token fw_<id>_<secret> (or {TokenVariable}).", HelpName = "TOKEN" };

    public Option<string?> CaFile { get; } = new("--ca-file") { Description = $"PEM certificate(s) to trust for the server, e.g. DATA/operator-ca.pem (or {CaFileVariable}); without it the system trust store is used.", HelpName = "FILE" };

    public Option<bool> Json { get; } = new("--json") { Description = "Print the API's JSON instead of a table." };

    /// <summary>Reads environment variables; tests substitute their own.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    public void AddTo(Command command)
    {
        command.Add(Server);
        command.Add(Token);
        command.Add(CaFile);
        command.Add(Json);
    }

    /// <exception cref="UsageException">The server or token is given neither as option nor as environment variable, or is malformed.</exception>
    public OperatorConnection Connection(ParseResult parseResult)
    {
        var serverText = parseResult.GetValue(Server) ?? Environment(ServerVariable);
        if (string.IsNullOrWhiteSpace(serverText))
        {
            throw new UsageException($"--server is required (or set {ServerVariable}).");
        }
        if (!Uri.TryCreate(serverText, UriKind.Absolute, out var server) || server.Scheme != Uri.UriSchemeHttps)
        {
            throw new UsageException($"--server must be an https:// URL, got '{serverText}'.");
        }
        var token = parseResult.GetValue(Token) ?? Environment(TokenVariable);
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new UsageException($"--token is required (or set {TokenVariable}).");
        }
        var caFile = parseResult.GetValue(CaFile) ?? Environment(CaFileVariable);
        if (caFile is not null && !File.Exists(caFile))
        {
            throw new UsageException($"--ca-file {caFile} does not exist.");
        }
        return new OperatorConnection(server, token.Trim(), string.IsNullOrWhiteSpace(caFile) ? null : caFile);
    }
}
