using System.Globalization;

namespace Fleetward.Agent.Slots;

/// <summary>
/// The boot-loader variables that decide which slot boots, with U-Boot's boot-count semantics
/// (U-Boot doc "Boot Count Limit"): while <see cref="UpgradeAvailable"/> is set every boot increments
/// <see cref="BootCount"/>, and once it exceeds <see cref="BootLimit"/> the boot loader runs its
/// alternative boot, which returns to the other slot. All three backends store exactly these values.
/// </summary>
public sealed record BootEnvironment(Slot Slot, bool UpgradeAvailable, int BootCount, int BootLimit)
{
    public const string BootCountVariable = "bootcount";
    public const string BootLimitVariable = "bootlimit";
    public const string UpgradeAvailableVariable = "upgrade_available";
    public const string DefaultSlotVariable = "fleetward_slot";

    /// <summary>A device fresh from the factory: slot A, no trial.</summary>
    public static BootEnvironment Factory(int bootLimit = 3) => new(Slot.A, false, 0, bootLimit);

    public IReadOnlyDictionary<string, string> ToVariables(string slotVariable) => new Dictionary<string, string>
    {
        [slotVariable] = Slot.ToName(),
        [UpgradeAvailableVariable] = UpgradeAvailable ? "1" : "0",
        [BootCountVariable] = BootCount.ToString(CultureInfo.InvariantCulture),
        [BootLimitVariable] = BootLimit.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Reads the variables; missing <c>bootcount</c>/<c>upgrade_available</c> mean 0 as in U-Boot, a missing slot or limit is an error.</summary>
    public static BootEnvironment FromVariables(IReadOnlyDictionary<string, string> variables, string slotVariable)
    {
        if (!variables.TryGetValue(slotVariable, out var slotName))
        {
            throw new FormatException($"{slotVariable}: boot environment has no slot variable");
        }
        if (!variables.TryGetValue(BootLimitVariable, out var limitText))
        {
            throw new FormatException($"{BootLimitVariable}: boot environment has no boot limit");
        }
        var upgrade = variables.TryGetValue(UpgradeAvailableVariable, out var upgradeText) ? ParseCount(upgradeText, UpgradeAvailableVariable) : 0;
        var count = variables.TryGetValue(BootCountVariable, out var countText) ? ParseCount(countText, BootCountVariable) : 0;
        return new BootEnvironment(SlotNames.Parse(slotName, slotVariable), upgrade != 0, count, ParseCount(limitText, BootLimitVariable));
    }

    private static int ParseCount(string text, string field) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"{field}: expected a non-negative integer, found '{text}'");
}

/// <summary>
/// Reads and writes the boot environment. Implementations write all variables in one update so a power
/// loss leaves either the old or the new environment.
/// </summary>
public interface IBootControl
{
    BootEnvironment Read();

    void Write(BootEnvironment environment);
}
