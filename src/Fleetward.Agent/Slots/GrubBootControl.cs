namespace Fleetward.Agent.Slots;

/// <summary>
/// Boot environment in a GRUB environment block (<c>grubenv</c>) through <c>grub-editenv</c>; grub.cfg
/// reads the same variables with <c>load_env</c> and applies the U-Boot boot-count rule in script.
/// </summary>
public sealed class GrubBootControl(
    string environmentFile,
    string slotVariable = BootEnvironment.DefaultSlotVariable,
    string tool = "grub-editenv") : IBootControl
{
    public BootEnvironment Read() =>
        BootEnvironment.FromVariables(ExternalTool.ParseVariables(ExternalTool.Run(tool, environmentFile, "list")), slotVariable);

    public void Write(BootEnvironment environment)
    {
        var arguments = new List<string> { environmentFile, "set" };
        arguments.AddRange(environment.ToVariables(slotVariable).Select(variable => $"{variable.Key}={variable.Value}"));
        ExternalTool.Run(tool, [.. arguments]);
    }
}
