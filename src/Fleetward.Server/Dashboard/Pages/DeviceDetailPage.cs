using Fleetward.Core.Access;
using Fleetward.Core.Devices;
using Fleetward.Core.Ports;
using Fleetward.Server.Dashboard.Html;
using Fleetward.Server.Problems;

namespace Fleetward.Server.Dashboard.Pages;

/// <summary>
/// One device: its identity and state first, then every section other areas register
/// (certificate, software, telemetry, history), in their order.
/// </summary>
public sealed class DeviceDetailPage(IFleetStore store, IEnumerable<IDeviceDetailSection> sections) : IDashboardPage
{
    private readonly IReadOnlyList<IDeviceDetailSection> sections = [.. sections.OrderBy(section => section.Order)];

    public string Route => "/devices/{id}";

    public OperatorRole Role => OperatorRole.Auditor;

    public DashboardNavigation? Navigation => null;

    public static string Href(string deviceId) => DeviceListPage.Path + "/" + Uri.EscapeDataString(deviceId);

    public async Task<DashboardView> LoadAsync(DashboardRequest request)
    {
        var id = request.RouteValue("id") ?? throw ProblemException.Validation("id", "The device id is missing.");
        Device device;
        await using (var read = await store.ReadAsync(request.Aborted))
        {
            device = await read.Devices.GetAsync(id, request.Aborted) ?? throw ProblemException.NotFound($"No device with id '{id}'.");
        }
        var bodies = new List<Action<HtmlWriter>>();
        foreach (var section in sections)
        {
            if (await section.LoadAsync(device, request) is { } body)
            {
                bodies.Add(body);
            }
        }
        return new DashboardView("Device " + device.Id, html =>
        {
            using (html.Open("nav", ("class", "breadcrumb"), ("aria-label", "Breadcrumb")))
            {
                html.Element("a", "Devices", ("href", DeviceListPage.Path));
                html.Element("span", " / ", ("aria-hidden", "true"));
                html.Element("span", device.Id, ("aria-current", "page"));
            }
            using (html.Open("div", ("class", "page-head page-head-row")))
            {
                html.Element("h1", device.Id, ("class", "mono"));
                DashboardLayout.StateBadge(html, device.State);
            }
            foreach (var body in bodies)
            {
                body(html);
            }
        });
    }
}

/// <summary>The registry's facts about a device: model, revision, tags, and when it was created, first and last seen.</summary>
public sealed class DeviceIdentitySection : IDeviceDetailSection
{
    public int Order => 0;

    public Task<Action<HtmlWriter>?> LoadAsync(Device device, DashboardRequest request) =>
        Task.FromResult<Action<HtmlWriter>?>(html => Render(html, device, request.Now));

    public static void Render(HtmlWriter html, Device device, DateTimeOffset now)
    {
        using (html.Open("section", ("class", "card"), ("aria-labelledby", "identity-heading")))
        {
            html.Element("h2", "Identity", ("id", "identity-heading"));
            using (html.Open("dl", ("class", "facts")))
            {
                Fact(html, "Device id", () => html.Element("span", device.Id, ("class", "mono")));
                Fact(html, "Model", () => html.Text(device.Model));
                Fact(html, "Hardware revision", () =>
                {
                    if (device.HardwareRevision is null)
                    {
                        html.Element("span", "not recorded", ("class", "muted"));
                    }
                    else
                    {
                        html.Text(device.HardwareRevision);
                    }
                });
                Fact(html, "State", () => DashboardLayout.StateBadge(html, device.State));
                Fact(html, "Tags", () =>
                {
                    if (device.Tags.Count == 0)
                    {
                        html.Element("span", "none", ("class", "muted"));
                    }
                    DeviceListPage.Tags(html, device.Tags);
                });
                Fact(html, "Registered", () => DashboardLayout.Instant(html, device.CreatedAt, now));
                Fact(html, "First seen", () => DashboardLayout.Instant(html, device.FirstSeenAt, now));
                Fact(html, "Last seen", () => DashboardLayout.Instant(html, device.LastSeenAt, now));
            }
        }
    }

    private static void Fact(HtmlWriter html, string name, Action value)
    {
        using (html.Open("div", ("class", "fact")))
        {
            html.Element("dt", name);
            using (html.Open("dd"))
            {
                value();
            }
        }
    }
}
