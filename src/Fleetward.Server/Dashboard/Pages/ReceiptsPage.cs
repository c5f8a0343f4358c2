using System.Globalization;
using Fleetward.Core.Access;
using Fleetward.Core.Receipts;
using Fleetward.Server.Dashboard.Charts;
using Fleetward.Server.Dashboard.Html;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Receipts;

namespace Fleetward.Server.Dashboard.Pages;

/// <summary>
/// The security receipts: every KPI with its value, the numerator and denominator it rests on, whether it is a
/// snapshot or a window figure, its definition, and the audit checkpoint that anchors it. Takes <c>?days=N</c>.
/// </summary>
public sealed class ReceiptsPage(SecurityReceiptsService service) : IDashboardPage
{
    public string Route => "/receipts";

    public OperatorRole Role => OperatorRole.Auditor;

    public DashboardNavigation Navigation { get; } = new("Receipts", 80);

    public async Task<DashboardView> LoadAsync(DashboardRequest request)
    {
        var receipts = await service.ComputeAsync(ReceiptEndpoints.Window(request.Http.Request.Query), request.Aborted);
        return new DashboardView("Security receipts", html => Render(html, receipts, request.Now));
    }

    public static void Render(HtmlWriter html, SecurityReceipts receipts, DateTimeOffset now)
    {
        var days = (receipts.WindowEnd - receipts.WindowStart).TotalDays.ToString("0.#", CultureInfo.InvariantCulture);
        DashboardLayout.Heading(html, "Security receipts",
            $"Computed live from the database by {receipts.Server}. Window figures count the last {days} days; current figures are a snapshot. Signed exports: GET /api/v1/receipts/signed or fleetward report --out.");
        var percents = receipts.Figures.Where(f => f.Unit == ReceiptUnit.Percent && f.Value is not null).ToList();
        if (percents.Count > 0)
        {
            using (html.Open("section", ("class", "card")))
            {
                html.Element("h2", "Posture at a glance");
                SvgCharts.BarChart(html, "chart-receipts", "Percentage figures",
                    [.. percents.Select(f => new ChartDatum(f.Title, (double)f.Value!.Value, "1"))]);
            }
        }
        using (html.Open("section", ("class", "card card-flush")))
        using (html.Open("div", ("class", "table-scroll")))
        using (html.Open("table", ("class", "table"), ("id", "receipts")))
        {
            using (html.Open("thead"))
            using (html.Open("tr"))
            {
                foreach (var heading in new[] { "Figure", "Value", "Numerator / denominator", "Scope", "Note" })
                {
                    html.Element("th", heading, ("scope", "col"));
                }
            }
            using (html.Open("tbody"))
            {
                foreach (var figure in receipts.Figures)
                {
                    Row(html, figure);
                }
            }
        }
        Anchor(html, receipts.Audit, now);
    }

    private static void Row(HtmlWriter html, ReceiptFigure figure)
    {
        using (html.Open("tr", ("id", "figure-" + figure.Id)))
        {
            using (html.Open("td", ("data-label", "Figure")))
            {
                html.Element("strong", figure.Title);
                html.Element("div", figure.Definition, ("class", "fine-print"));
            }
            html.Element("td", ReceiptText.Value(figure), ("data-label", "Value"), ("class", figure.Value is null ? "muted" : "mono"));
            html.Element("td", ReceiptText.Fraction(figure), ("data-label", "Numerator / denominator"));
            html.Element("td", figure.Scope == ReceiptScope.Current ? "now" : "window", ("data-label", "Scope"));
            html.Element("td", figure.Reason ?? figure.Detail ?? "", ("data-label", "Note"), ("class", figure.Reason is null ? null : "muted"));
        }
    }

    private static void Anchor(HtmlWriter html, ReceiptAuditAnchor audit, DateTimeOffset now)
    {
        using (html.Open("section", ("class", "card"), ("aria-labelledby", "anchor-heading")))
        {
            html.Element("h2", "Audit anchor", ("id", "anchor-heading"));
            using (html.Open("dl", ("class", "facts")))
            {
                Fact(html, "Log size", audit.LogSize.ToString("N0", CultureInfo.InvariantCulture));
                Fact(html, "Checkpoint tree size", audit.CheckpointTreeSize?.ToString("N0", CultureInfo.InvariantCulture) ?? "none");
                Fact(html, "Checkpoint root (SHA-256)", audit.CheckpointRootHashHex ?? "none", "mono");
                using (html.Open("div", ("class", "fact")))
                {
                    html.Element("dt", "Checkpoint signed");
                    using (html.Open("dd"))
                    {
                        DashboardLayout.Instant(html, audit.CheckpointCreatedAt, now);
                    }
                }
                Fact(html, "Verified", (audit.CheckpointVerified ? "yes: " : "no: ") + audit.CheckpointDetail);
            }
        }
    }

    private static void Fact(HtmlWriter html, string name, string value, string? cssClass = null)
    {
        using (html.Open("div", ("class", "fact")))
        {
            html.Element("dt", name);
            html.Element("dd", value, ("class", cssClass));
        }
    }
}
