using System.CommandLine;
using Fleetward.Cli.Commands;

namespace Fleetward.Cli;

/// <summary>The `fleetward` command: assembles the verbs, each defined in Commands/.</summary>
public static class Program
{
    /// <summary>
    /// Ctrl-C and SIGTERM cancel the running verb; the server, `demo --keep` and `agent run` then stop their listeners,
    /// flush their stores and remove temporary data, which takes longer than System.CommandLine's default two seconds.
    /// </summary>
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(30);

    public static Task<int> Main(string[] args) =>
        BuildRootCommand().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = ShutdownGrace });

    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("Fleetward: a self-hostable security control plane for fleets of robots and IoT devices.");
        root.Add(DemoCommand.Create());
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
