using System.Text.Json;
using Fleetward.Cli.Commands.Demo;

namespace Fleetward.Server.Tests.Cli;

public sealed class DemoReceiptsTableTests
{
    private static IReadOnlyList<(string Name, string Value)> Rows(string json)
    {
        using var document = JsonDocument.Parse(json);
        return DemoReceiptsTable.Rows(document.RootElement);
    }

    [Fact]
    public void Every_figure_is_a_row_with_nested_names_dotted() =>
        Assert.Equal(
            [("devices", "1,200"), ("ratio", "0.975"), ("audit.entries", "42"), ("audit.verified", "yes"), ("mttd", "-")],
            Rows("""{"devices":1200,"ratio":0.975,"audit":{"entries":42,"verified":true},"mttd":null}"""));

    [Fact]
    public void Lists_of_values_are_joined_and_lists_of_objects_counted() =>
        Assert.Equal(
            [("releases", "1.1.0, 1.0.0"), ("incidents", "2 item(s)")],
            Rows("""{"releases":["1.1.0","1.0.0"],"incidents":[{"id":"a"},{"id":"b"}]}"""));
}
