using System.CommandLine;
using Fleetward.Cli.Commands;

namespace Fleetward.Cli;

/// <summary>The `fleetward` command: assembles the verbs, each defined in Commands/.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => BuildRootCommand().Parse(args).InvokeAsync();

    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("Fleetward: a self-hostable security control plane for fleets of robots and IoT devices.");
        root.Add(InitCommand.Create());
        root.Add(ServerCommand.Create());
        root.Add(TokenCommand.Create());
        root.Add(DeviceCommand.Create());
        root.Add(RolloutCommand.Create());
        root.Add(GeofenceCommand.Create());
        root.Add(AuditCommand.Create());
        root.Add(CaCommand.Create());
        root.Add(GroupCommand.Create());
        root.Add(IncidentCommand.Create());
        root.Add(KeysCommand.Create());
        root.Add(TufRootCommand.Create());
        root.Add(ReleaseCommand.Create());
        root.Add(ReportCommand.Create());
        root.Add(SimCommand.Create());
        var agent = new Command("agent", "Device-side tools of the Fleetward agent.");
        agent.Add(AgentTufCommand.Create());
        agent.Add(AgentRunCommand.Create());
        root.Add(agent);
        return root;
    }
}
