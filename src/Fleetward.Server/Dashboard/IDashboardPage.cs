using Fleetward.Core.Access;
using Fleetward.Core.Devices;
using Fleetward.Server.Access;
using Fleetward.Server.Dashboard.Html;
using Microsoft.AspNetCore.Http;

namespace Fleetward.Server.Dashboard;

/// <summary>
/// One dashboard page. Each area adds its page as one class registered with
/// <see cref="DashboardServiceCollectionExtensions.AddDashboardPage{TPage}"/> in its own module's
/// ConfigureServices; the dashboard maps it under /dashboard with its role, wraps it in the layout
/// and lists it in the navigation, so areas never edit each other's pages.
/// </summary>
public interface IDashboardPage
{
    /// <summary>The route below /dashboard, e.g. <c>/rollouts</c> or <c>/rollouts/{id}</c>.</summary>
    string Route { get; }

    /// <summary>The least role that may open the page (declared as route metadata, so the route-enumeration test covers it).</summary>
    OperatorRole Role { get; }

    /// <summary>The navigation entry, or null for pages reached by links only (details).</summary>
    DashboardNavigation? Navigation { get; }

    /// <summary>Reads what the page shows (I/O) and returns the view to render (pure). Throw ProblemException for 404/400.</summary>
    Task<DashboardView> LoadAsync(DashboardRequest request);
}

/// <summary>A navigation entry: its label, its order (lower first) and the path prefix that marks it current.</summary>
public sealed record DashboardNavigation(string Title, int Order);

/// <summary>What a page renders: the document title and the main content.</summary>
public sealed record DashboardView(string Title, Action<HtmlWriter> Body);

/// <summary>
/// A form post from a dashboard page (sign out; later: approve a rollout, quarantine a device).
/// Register with <see cref="DashboardServiceCollectionExtensions.AddDashboardAction{TAction}"/>; the
/// dashboard maps it as POST with its role and, when the caller is signed in with a session cookie,
/// refuses it unless the form carries the session's anti-forgery token, so actions never check that
/// themselves. Render the form with <see cref="DashboardLayout.ActionForm"/>.
/// </summary>
public interface IDashboardAction
{
    /// <summary>The POST route below /dashboard, e.g. <c>/logout</c> or <c>/devices/{id}/quarantine</c>.</summary>
    string Route { get; }

    OperatorRole Role { get; }

    /// <summary>Does the work and returns the dashboard path to show next (303 See Other). Throw ProblemException to refuse.</summary>
    Task<string> HandleAsync(DashboardRequest request, IFormCollection form);
}

/// <summary>
/// The request as a page or action sees it. <see cref="Session"/> and <see cref="AntiForgeryToken"/>
/// are set when the caller is signed in with a session cookie (not with a bearer header).
/// </summary>
public sealed record DashboardRequest(HttpContext Http, OperatorIdentity Identity, DateTimeOffset Now,
    Sessions.DashboardSession? Session = null, string? AntiForgeryToken = null)
{
    public CancellationToken Aborted => Http.RequestAborted;

    public string? RouteValue(string name) => Http.Request.RouteValues[name]?.ToString();
}

/// <summary>
/// A section of the device detail page. Areas that know something about a device (certificate,
/// installed software, telemetry, history) register one with
/// <see cref="DashboardServiceCollectionExtensions.AddDeviceDetailSection{TSection}"/>; sections are
/// shown in <see cref="Order"/>.
/// </summary>
public interface IDeviceDetailSection
{
    int Order { get; }

    /// <summary>Loads the section's data; returns null when the section has nothing to show for this device.</summary>
    Task<Action<HtmlWriter>?> LoadAsync(Device device, DashboardRequest request);
}
