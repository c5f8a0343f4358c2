using System.CommandLine;
using System.Security.Cryptography;
using Fleetward.Cli.Commands;
using Fleetward.Core.Access;
using Fleetward.Server.Tests.Cli;

namespace Fleetward.Server.Tests.Identity;

/// <summary>`fleetward group create|list|token` and `fleetward device approve|quarantine|release|revoke|decommission` against a real server.</summary>
public sealed class IdentityCliTests : IAsyncLifetime
{
    private IdentityTestServer _server = null!;
    private string _caFile = "";

    public async Task InitializeAsync()
    {
        _server = await IdentityTestServer.StartAsync();
        _caFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(_caFile, _server.Server.Certificate.ExportCertificatePem());
    }

    public async Task DisposeAsync()
    {
        File.Delete(_caFile);
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Provisioner_creates_a_manual_group_and_a_token_and_an_operator_approves_then_revokes()
    {
        var created = await RunAsync(OperatorRole.Provisioner, "group", "create", "line-m", "--model", "rover-3", "--tag", "eu", "--tag", "beta", "--cert-lifetime", "12h", "--approval", "manual");
        Assert.True(created.ExitCode == 0, created.Error);
        Assert.Contains("line-m", created.Output);
        Assert.Contains("manual", (await RunAsync(OperatorRole.Provisioner, "group", "list")).Output);

        var tokenRun = await RunAsync(OperatorRole.Provisioner, "group", "token", "line-m", "--device-id", "robot-9", "--expires", "30m");
        Assert.True(tokenRun.ExitCode == 0, tokenRun.Error);
        var token = tokenRun.Output.Trim();
        Assert.StartsWith("fwe_", token);
        Assert.Contains("shown only now", tokenRun.Error);

        // An operator token may not mint enrollment tokens; a provisioner may not run the fleet.
        Assert.Equal(ExitCodes.Failure, (await RunAsync(OperatorRole.Operator, "group", "token", "line-m", "--device-id", "robot-10")).ExitCode);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = _server.DeviceClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, ".well-known/est/simpleenroll") { Content = IdentityTestServer.CsrBody(Trust.Pki.DeviceCertificateRequest.Create(key, "robot-9")) };
        request.Headers.Authorization = IdentityTestServer.Basic("robot-9", token);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, (await client.SendAsync(request)).StatusCode);

        Assert.Equal(ExitCodes.Failure, (await RunAsync(OperatorRole.Provisioner, "device", "approve", "robot-9")).ExitCode);
        var approved = await RunAsync(OperatorRole.Operator, "device", "approve", "robot-9");
        Assert.True(approved.ExitCode == 0, approved.Error);
        Assert.Contains("now active", approved.Output);

        using var certificate = await _server.EnrollAsync("robot-9", token, key);
        Assert.Contains("now quarantined", (await RunAsync(OperatorRole.Operator, "device", "quarantine", "robot-9", "--reason", "suspicious")).Output);
        Assert.Contains("now active", (await RunAsync(OperatorRole.Operator, "device", "release", "robot-9")).Output);
        var revoked = await RunAsync(OperatorRole.Operator, "device", "revoke", "robot-9", "--reason", "superseded");
        Assert.True(revoked.ExitCode == 0, revoked.Error);
        Assert.Contains(certificate.SerialNumber, revoked.Output);
        var shown = await RunAsync(OperatorRole.Operator, "device", "show", "robot-9");
        Assert.Contains(certificate.SerialNumber, shown.Output);
        Assert.Contains("superseded", shown.Output);
        Assert.Contains("now decommissioned", (await RunAsync(OperatorRole.Operator, "device", "decommission", "robot-9")).Output);
        var again = await RunAsync(OperatorRole.Operator, "device", "decommission", "robot-9");
        Assert.Equal(ExitCodes.Failure, again.ExitCode);
        Assert.Contains("final", again.Error);
    }

    private Task<CliRunner.Result> RunAsync(OperatorRole role, params string[] args)
    {
        Func<string, string?> environment = name => name switch
        {
            OperatorApiOptions.ServerVariable => _server.Server.Server.OperatorAddress.ToString(),
            OperatorApiOptions.TokenVariable => _server.Server.TokenFor(role),
            OperatorApiOptions.CaFileVariable => _caFile,
            _ => null,
        };
        var root = new RootCommand { GroupCommand.Create(environment), DeviceCommand.Create(environment) };
        return CliRunner.RunAsync(root, args, default);
    }
}
