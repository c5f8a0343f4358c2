using System.Globalization;
using System.Text.Json;

namespace Fleetward.Cli.Commands.Demo;

/// <summary>
/// The security receipts as rows of a two-column table, straight from the server's JSON (GET /api/v1/receipts): nested
/// objects become dotted names, lists of values are joined and lists of objects are counted, so every figure the server
/// computed is shown and none is made up here.
/// </summary>
public static class DemoReceiptsTable
{
    public static IReadOnlyList<(string Name, string Value)> Rows(JsonElement receipts)
    {
        var rows = new List<(string, string)>();
        Flatten("", receipts, rows);
        return rows;
    }

    private static void Flatten(string name, JsonElement value, List<(string, string)> rows)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    Flatten(name.Length == 0 ? property.Name : name + "." + property.Name, property.Value, rows);
                }
                break;
            case JsonValueKind.Array when value.EnumerateArray().All(item => item.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)):
                rows.Add((Label(name), string.Join(", ", value.EnumerateArray().Select(Scalar))));
                break;
            case JsonValueKind.Array:
                rows.Add((Label(name), value.GetArrayLength().ToString(CultureInfo.InvariantCulture) + " item(s)"));
                break;
            default:
                rows.Add((Label(name), Scalar(value)));
                break;
        }
    }

    private static string Label(string name) => name.Length == 0 ? "(value)" : name;

    private static string Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Null => "-",
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Number when value.TryGetInt64(out var whole) => whole.ToString("N0", CultureInfo.InvariantCulture),
        JsonValueKind.Number => value.GetDouble().ToString("0.###", CultureInfo.InvariantCulture),
        _ => value.GetRawText(),
    };
}
