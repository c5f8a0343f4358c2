namespace Fleetward.Agent.Slots;

/// <summary>One of the two root-file-system slots of an A/B device.</summary>
public enum Slot
{
    A,
    B,
}

/// <summary>The text form of a slot as boot loaders store it ("a"/"b").</summary>
public static class SlotNames
{
    public static Slot Other(this Slot slot) => slot == Slot.A ? Slot.B : Slot.A;

    public static string ToName(this Slot slot) => slot == Slot.A ? "a" : "b";

    public static Slot Parse(string? name, string field) => name?.Trim().ToLowerInvariant() switch
    {
        "a" => Slot.A,
        "b" => Slot.B,
        _ => throw new FormatException($"{field}: expected slot 'a' or 'b', found '{name}'"),
    };
}
