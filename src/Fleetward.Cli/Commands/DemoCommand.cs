using System.CommandLine;
using Fleetward.Cli.Commands.Demo;

namespace Fleetward.Cli.Commands;

/// <summary>
/// `fleetward demo`: the product in one command. Starts a control plane and a simulated fleet on loopback and tells the
/// story of <see cref="DemoStory"/>, checking every claim through the operator API; exit code 0 only when all of it
/// happened as narrated.
/// </summary>
public static class DemoCommand
{
    public const int DefaultDevices = 200;
    public const int MinimumDevices = 10;
    public const int MaximumDevices = 5000;

    public static Command Create()
    {
        var devices = new Option<int>("--devices")
        {
            Description = $"Simulated robots to enroll ({MinimumDevices}-{MaximumDevices}).",
            DefaultValueFactory = _ => DefaultDevices,
            HelpName = "N",
        };
        devices.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<int>();
            if (value is < MinimumDevices or > MaximumDevices)
            {
                result.AddError($"--devices must be between {MinimumDevices} and {MaximumDevices}, got {value}.");
            }
        });
        var keep = new Option<bool>("--keep") { Description = "Leave the server, the fleet and the dashboard running afterwards (until Ctrl-C), and print the dashboard URL and an admin token." };
        var command = new Command("demo",
            "Show Fleetward working end to end on loopback: a temporary server and a simulated fleet; enrollment, a canary rollout, "
            + "a faulty release halted and rolled back, a compromised robot quarantined, a downgrade refused, and the security receipts.")
        {
            devices, keep,
        };
        command.SetAction((parse, cancellationToken) => CommandErrors.RunAsync(parse.InvocationConfiguration.Error, () =>
            DemoStory.RunAsync(new DemoSettings(parse.GetValue(devices), parse.GetValue(keep)), DemoNarrator.For(parse.InvocationConfiguration.Output), cancellationToken)));
        return command;
    }
}
