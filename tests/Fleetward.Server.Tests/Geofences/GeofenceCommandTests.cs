using System.CommandLine;
using Fleetward.Cli.Commands;
using Fleetward.Core.Access;
using Fleetward.Core.Devices;

namespace Fleetward.Server.Tests.Geofences;

/// <summary>`fleetward geofence set|show|remove` against a real server: parsing, output and exit codes.</summary>
public sealed class GeofenceCommandTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private string _caFile = "";

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _caFile = Path.Combine(Path.GetTempPath(), $"fleetward-ca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(_caFile, _server.Certificate.ExportCertificatePem());
        await using var work = await _server.Store.BeginAsync();
        await work.Devices.InsertAsync(new Device("rover-7", "mower", null, [], DeviceLifecycleState.Active, _server.Clock.GetUtcNow(), null, null));
        await work.CommitAsync();
    }

    public async Task DisposeAsync()
    {
        File.Delete(_caFile);
        await _server.DisposeAsync();
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var all = args.Concat(["--server", _server.Server.OperatorAddress.ToString(), "--token", _server.TokenFor(OperatorRole.Operator), "--ca-file", _caFile]).ToArray();
        var code = await GeofenceCommand.Create().Parse(all).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Set_show_and_remove_model_and_device_fences()
    {
        var set = await RunAsync("set", "--model", "mower", "--circle", "depot:52.52,13.405,200", "--polygon", "field:52.50,13.40;52.50,13.41;52.51,13.41");
        Assert.True(set.Code == 0, set.Error);
        Assert.Contains("model mower", set.Output);
        Assert.Contains("depot: circle 52.52,13.405 radius 200 m", set.Output);
        Assert.Contains("field: polygon 52.5,13.4;52.5,13.41;52.51,13.41", set.Output);

        Assert.Equal(0, (await RunAsync("set", "--device", "rover-7", "--circle", "east site:52.52,13.449,300")).Code);
        var all = await RunAsync("show");
        Assert.Contains("model mower", all.Output);
        Assert.Contains("device rover-7", all.Output);
        Assert.Contains("east site: circle", all.Output);

        var removed = await RunAsync("remove", "--device", "rover-7");
        Assert.Equal((0, "removed"), (removed.Code, removed.Output.Trim()));
        var gone = await RunAsync("show", "--device", "rover-7");
        Assert.Equal(1, gone.Code);
        Assert.Contains("No geofences are configured for device 'rover-7'", gone.Error);
    }

    [Fact]
    public async Task Bad_input_exits_2_and_a_refused_set_exits_1_naming_the_field()
    {
        Assert.Equal(2, (await RunAsync("set", "--model", "mower")).Code);
        Assert.Equal(2, (await RunAsync("set", "--model", "mower", "--device", "rover-7", "--circle", "a:1,1,1")).Code);
        Assert.Equal(2, (await RunAsync("set", "--model", "mower", "--circle", "a:1,1")).Code);
        var refused = await RunAsync("set", "--model", "mower", "--circle", "a:1,1,0");
        Assert.Equal(1, refused.Code);
        Assert.Contains("$.areas[0].circle.radiusMeters", refused.Error);
    }
}
