using System.Text;

namespace Fleetward.Agent.Slots;

/// <summary>
/// Boot environment kept in a small <c>name=value</c> state file, replaced atomically; the default
/// backend for tests, the simulator and devices whose boot loader reads a plain file.
/// </summary>
public sealed class FileBootControl(string stateFile, string slotVariable = BootEnvironment.DefaultSlotVariable) : IBootControl
{
    public string StateFile { get; } = stateFile;

    public BootEnvironment Read()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(StateFile))
        {
            if (line.Length == 0)
            {
                continue;
            }
            var equals = line.IndexOf('=');
            if (equals <= 0)
            {
                throw new FormatException($"{StateFile}: line '{line}' is not name=value");
            }
            variables[line[..equals]] = line[(equals + 1)..];
        }
        return BootEnvironment.FromVariables(variables, slotVariable);
    }

    public void Write(BootEnvironment environment)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in environment.ToVariables(slotVariable))
        {
            text.Append(name).Append('=').Append(value).Append('\n');
        }
        DurableFile.WriteAllText(StateFile, text.ToString());
    }
}
