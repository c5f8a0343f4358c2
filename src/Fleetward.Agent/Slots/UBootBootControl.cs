using System.Text;

namespace Fleetward.Agent.Slots;

/// <summary>
/// Boot environment in U-Boot's saved environment, through <c>fw_printenv</c>/<c>fw_setenv</c>
/// (libubootenv). The config file says where the environment lives (an MTD partition, an eMMC offset or,
/// in tests, a plain file made by <c>mkenvimage</c>). All variables are set with one <c>fw_setenv -s</c>
/// so they land in a single environment write (with a redundant environment, a power-safe one).
/// </summary>
public sealed class UBootBootControl(
    string configFile,
    string slotVariable = BootEnvironment.DefaultSlotVariable,
    string printTool = "fw_printenv",
    string setTool = "fw_setenv") : IBootControl
{
    public BootEnvironment Read() =>
        BootEnvironment.FromVariables(ExternalTool.ParseVariables(ExternalTool.Run(printTool, "-c", configFile)), slotVariable);

    public void Write(BootEnvironment environment)
    {
        var script = new StringBuilder();
        foreach (var (name, value) in environment.ToVariables(slotVariable))
        {
            script.Append(name).Append('=').Append(value).Append('\n');
        }
        var scriptFile = Path.GetTempFileName();
        try
        {
            File.WriteAllText(scriptFile, script.ToString());
            ExternalTool.Run(setTool, "-c", configFile, "-s", scriptFile);
        }
        finally
        {
            File.Delete(scriptFile);
        }
    }
}
