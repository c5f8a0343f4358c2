using Fleetward.Core.Ports;
using Fleetward.Core.Receipts;
using Fleetward.Server.Dashboard.Html;
using Fleetward.Server.Dashboard.Pages;

namespace Fleetward.Server.Tests.Dashboard;

public sealed class ReceiptsPageTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static SecurityReceipts Receipts() => SecurityReceiptsCalculator.Compute("fleet.example/fleetward-audit", Now, Now.AddDays(-30),
        new ReceiptFacts(
            new FleetFacts(990, 10),
            new CredentialFacts(1000, 996, 4, 0, 1000),
            new ConnectionFacts(5000, 0, 0),
            ReleaseAdoptionFacts.None,
            new OtaFacts(0, 0, 0, 0, 0),
            new MedianSample(1, 5_400_000, 5_400_000),
            MedianSample.Empty,
            new IncidentFacts(0, 0, 0, 0, 0),
            3,
            new AuditFacts(120, new StoredAuditCheckpoint(118, new byte[32], "note", Now.AddMinutes(-3)))),
        new ReceiptCheckpointCheck(true, "signature verifies"));

    private static string Render()
    {
        var html = new HtmlWriter();
        ReceiptsPage.Render(html, Receipts(), Now);
        return html.ToString();
    }

    [Fact]
    public void Every_figure_has_a_row_with_value_fraction_and_definition()
    {
        var page = Render();
        foreach (var figure in Receipts().Figures)
        {
            Assert.Contains($"id=\"figure-{figure.Id}\"", page);
            Assert.Contains(System.Net.WebUtility.HtmlEncode(figure.Definition).Replace("&#39;", "&#x27;"), page.Replace("&#39;", "&#x27;"));
        }
        Assert.Contains("99.6 %", page);
        Assert.Contains("996 devices with a unique key / 1,000 in-service devices (active or quarantined)", page);
        Assert.Contains("4 share a public key with another device", page);
    }

    [Fact]
    public void Figures_without_data_say_no_data_and_why()
    {
        var page = Render();
        Assert.Contains("no data", page);
        Assert.Contains("no signed release is eligible for the model of any in-service device", page);
        Assert.Contains("no incident was detected in the window", page);
    }

    [Fact]
    public void Values_are_shown_in_their_units()
    {
        var figures = Receipts();
        Assert.Equal("1.5 h", ReceiptText.Value(figures.Figure(ReceiptFigureIds.MedianTimeToPatch)));
        Assert.Equal("3 per 1,000", ReceiptText.Value(figures.Figure(ReceiptFigureIds.IsolatesPerThousandDevices)));
        Assert.Equal("120", ReceiptText.Value(figures.Figure(ReceiptFigureIds.AuditLogSize)));
        Assert.Equal("no data", ReceiptText.Value(figures.Figure(ReceiptFigureIds.MeanTimeToDetect)));
        Assert.Equal("1 succeeded updates", ReceiptText.Fraction(figures.Figure(ReceiptFigureIds.MedianTimeToPatch)));
    }

    [Fact]
    public void The_audit_anchor_shows_the_checkpoint_and_its_verification()
    {
        var page = Render();
        Assert.Contains("Audit anchor", page);
        Assert.Contains(new string('0', 64), page);
        Assert.Contains("yes: signature verifies", page);
        Assert.Contains("<svg", page);
    }
}
