using Fleetward.Core.Access;
using Fleetward.Core.Devices;
using Fleetward.Core.Ports;
using Fleetward.Server.Dashboard.Html;
using Fleetward.Server.Endpoints;
using Fleetward.Server.Problems;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Dashboard.Pages;

/// <summary>The device registry as a filterable table, paged by device id (keyset) so deep pages cost the same as the first.</summary>
public sealed class DeviceListPage(IFleetStore store) : IDashboardPage
{
    public const int PageSize = 50;
    public const string Path = DashboardEndpoints.BasePath + "/devices";

    public string Route => "/devices";

    public OperatorRole Role => OperatorRole.Auditor;

    public DashboardNavigation Navigation { get; } = new("Devices", 20);

    public async Task<DashboardView> LoadAsync(DashboardRequest request)
    {
        var filter = DeviceListFilter.Parse(request.Http.Request.Query);
        IReadOnlyList<Device> devices;
        await using (var read = await store.ReadAsync(request.Aborted))
        {
            devices = await read.Devices.ListAsync(new DeviceQuery(filter.After, PageSize, filter.State, filter.Model, filter.Tag), request.Aborted);
        }
        return new DashboardView("Devices", html => Render(html, filter, devices, request.Now));
    }

    public static void Render(HtmlWriter html, DeviceListFilter filter, IReadOnlyList<Device> devices, DateTimeOffset now)
    {
        DashboardLayout.Heading(html, "Devices", "Filter by state, model or tag; the list is ordered by device id.");
        FilterForm(html, filter);
        using (html.Open("section", ("class", "card card-flush")))
        {
            if (devices.Count == 0)
            {
                html.Element("p", filter.After is null ? "No device matches these filters." : "No more devices.", ("class", "empty"));
            }
            else
            {
                Table(html, devices, now);
            }
        }
        using (html.Open("nav", ("class", "pager"), ("aria-label", "Pages")))
        {
            if (filter.After is not null)
            {
                html.Element("a", "← First page", ("href", filter.Href(after: null)), ("class", "button button-quiet"));
            }
            html.Element("span", $"{devices.Count} shown" + (filter.After is null ? "" : $" after {filter.After}"), ("class", "muted"));
            if (devices.Count == PageSize)
            {
                html.Element("a", "Next page →", ("href", filter.Href(after: devices[^1].Id)), ("class", "button button-quiet"), ("rel", "next"));
            }
        }
    }

    /// <summary>The device table, also used by the overview.</summary>
    public static void Table(HtmlWriter html, IReadOnlyList<Device> devices, DateTimeOffset now)
    {
        using (html.Open("div", ("class", "table-scroll")))
        using (html.Open("table", ("class", "table")))
        {
            using (html.Open("thead"))
            using (html.Open("tr"))
            {
                foreach (var heading in new[] { "Device", "Model", "State", "Tags", "Last seen" })
                {
                    html.Element("th", heading, ("scope", "col"));
                }
            }
            using (html.Open("tbody"))
            {
                foreach (var device in devices)
                {
                    using (html.Open("tr"))
                    {
                        using (html.Open("td", ("data-label", "Device")))
                        {
                            html.Element("a", device.Id, ("href", DeviceDetailPage.Href(device.Id)), ("class", "mono"));
                        }
                        using (html.Open("td", ("data-label", "Model")))
                        {
                            html.Text(device.Model);
                            if (device.HardwareRevision is not null)
                            {
                                html.Element("span", " rev " + device.HardwareRevision, ("class", "muted"));
                            }
                        }
                        using (html.Open("td", ("data-label", "State")))
                        {
                            DashboardLayout.StateBadge(html, device.State);
                        }
                        using (html.Open("td", ("data-label", "Tags")))
                        {
                            Tags(html, device.Tags);
                        }
                        using (html.Open("td", ("data-label", "Last seen")))
                        {
                            DashboardLayout.Instant(html, device.LastSeenAt, now);
                        }
                    }
                }
            }
        }
    }

    public static void Tags(HtmlWriter html, IReadOnlyList<string> tags)
    {
        foreach (var tag in tags)
        {
            html.Element("a", tag, ("class", "tag"), ("href", new DeviceListFilter(null, null, tag, null).Href(after: null)));
        }
    }

    private static void FilterForm(HtmlWriter html, DeviceListFilter filter)
    {
        using (html.Open("form", ("class", "filters"), ("method", "get"), ("action", Path)))
        {
            using (html.Open("label"))
            {
                html.Element("span", "State");
                using (html.Open("select", ("name", "state")))
                {
                    html.Element("option", "any state", ("value", ""));
                    foreach (var state in Enum.GetValues<DeviceLifecycleState>())
                    {
                        html.Element("option", state.ToName(), ("value", state.ToName()), ("selected", filter.State == state ? "selected" : null));
                    }
                }
            }
            using (html.Open("label"))
            {
                html.Element("span", "Model");
                html.Void("input", ("type", "text"), ("name", "model"), ("value", filter.Model ?? ""), ("placeholder", "e.g. rover-x2"));
            }
            using (html.Open("label"))
            {
                html.Element("span", "Tag");
                html.Void("input", ("type", "text"), ("name", "tag"), ("value", filter.Tag ?? ""), ("placeholder", "e.g. site:north"));
            }
            html.Element("button", "Apply", ("type", "submit"), ("class", "button"));
            if (filter.State is not null || filter.Model is not null || filter.Tag is not null)
            {
                html.Element("a", "Clear", ("href", Path), ("class", "button button-quiet"));
            }
        }
    }
}

/// <summary>The device list's filters as the form sends them: empty fields mean "any".</summary>
public sealed record DeviceListFilter(DeviceLifecycleState? State, string? Model, string? Tag, string? After)
{
    public static DeviceListFilter Parse(IQueryCollection query)
    {
        foreach (var key in query.Keys)
        {
            if (key is not ("state" or "model" or "tag" or "after"))
            {
                throw ProblemException.Validation(key, $"Unknown filter '{key}'; expected state, model, tag or after.");
            }
        }
        DeviceLifecycleState? state = null;
        var stateText = Value(query, "state");
        if (stateText is not null)
        {
            if (!DeviceLifecycleStateNames.TryParse(stateText, out var parsed))
            {
                throw ProblemException.Validation("state", $"state must be pending, active, quarantined or decommissioned; got '{stateText}'.");
            }
            state = parsed;
        }
        return new DeviceListFilter(state, Value(query, "model"), Value(query, "tag"), Value(query, "after"));
    }

    /// <summary>The list URL with these filters and the given page start.</summary>
    public string Href(string? after)
    {
        var query = new QueryString()
            .Add(State is { } state ? QueryString.Create("state", state.ToName()) : QueryString.Empty)
            .Add(Model is null ? QueryString.Empty : QueryString.Create("model", Model))
            .Add(Tag is null ? QueryString.Empty : QueryString.Create("tag", Tag))
            .Add(after is null ? QueryString.Empty : QueryString.Create("after", after));
        return DeviceListPage.Path + query.Value;
    }

    private static string? Value(IQueryCollection query, string key)
    {
        var value = query[key];
        if (value.Count > 1)
        {
            throw ProblemException.Validation(key, $"Filter '{key}' is given more than once.");
        }
        var text = value.ToString().Trim();
        return text.Length == 0 ? null : text;
    }
}
